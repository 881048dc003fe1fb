package app_test

import (
	"context"
	"encoding/csv"
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
	"github.com/humblehq/humble/internal/user"
)

// The decision pages' cast, in fund {fund} unless named otherwise. Each
// round has two applications, the first ({…1}) from the applicant's
// organisation, the second ({…2}) from the other applicant's:
//
//	{closed}    voting closed below its quorum: no result yet
//	{recorded}  voting closed, result computed, decision recorded (draft)
//	{decided}   decided: the decision is final (a secret ballot)
//
//	steward          steward of the fund
//	chair            panel chair, declared "none" everywhere
//	member           panel member, declared "none" everywhere
//	recused          panel member, recused from every {…1}
//	applicant        member of the organisation of every {…1}
//	other-applicant  member of the organisation of every {…2}
//	user             signed in, no role, no organisation
//	member-other     panel member of another fund
//	anonymous        nobody signed in
var decisionPageRows = map[string][]access{
	// The results: public once final; before that the fund's stewards and
	// panel read them, and everyone else is told there are none.
	"GET /rounds/:id/results": {
		{"anonymous", "/rounds/{decided}/results", "", 200},
		{"user", "/rounds/{decided}/results", "", 200},
		{"applicant", "/rounds/{decided}/results", "", 200},
		{"member-other", "/rounds/{decided}/results", "", 200},
		{"anonymous", "/rounds/{recorded}/results", "", 404},
		{"user", "/rounds/{recorded}/results", "", 404},
		{"applicant", "/rounds/{recorded}/results", "", 404},
		{"other-applicant", "/rounds/{recorded}/results", "", 404},
		{"member-other", "/rounds/{recorded}/results", "", 404},
		{"steward", "/rounds/{recorded}/results", "", 200}, // the draft, marked not final
		{"chair", "/rounds/{recorded}/results", "", 200},
		{"member", "/rounds/{recorded}/results", "", 200},
		{"recused", "/rounds/{recorded}/results", "", 200},
		{"chair", "/rounds/{closed}/results", "", 200}, // "no result yet"
		{"anonymous", "/rounds/{closed}/results", "", 404},
		{"anonymous", "/rounds/999999/results", "", 404},
	},
	"GET /rounds/:id/results.csv": {
		{"anonymous", "/rounds/{decided}/results.csv", "", 200},
		{"other-applicant", "/rounds/{decided}/results.csv", "", 200},
		{"anonymous", "/rounds/{recorded}/results.csv", "", 404},
		{"steward", "/rounds/{recorded}/results.csv", "", 404}, // only a final decision is downloaded
		{"anonymous", "/rounds/999999/results.csv", "", 404},
	},

	// The chair's decision page: the fund's stewards and panel read it.
	"GET /rounds/:id/decision": {
		{"anonymous", "/rounds/{recorded}/decision", "", 303},
		{"user", "/rounds/{recorded}/decision", "", 403},
		{"applicant", "/rounds/{recorded}/decision", "", 403},
		{"other-applicant", "/rounds/{decided}/decision", "", 403},
		{"member-other", "/rounds/{recorded}/decision", "", 403},
		{"steward", "/rounds/{recorded}/decision", "", 200},
		{"chair", "/rounds/{closed}/decision", "", 200},
		{"chair", "/rounds/{recorded}/decision", "", 200},
		{"member", "/rounds/{recorded}/decision", "", 200},
		{"recused", "/rounds/{recorded}/decision", "", 200},
		{"steward", "/rounds/{decided}/decision", "", 200},
		{"chair", "/rounds/999999/decision", "", 404},
	},
	"POST /rounds/:id/result": {
		{"anonymous", "/rounds/{closed}/result", "reason=x", 303},
		{"user", "/rounds/{closed}/result", "reason=x", 403},
		{"applicant", "/rounds/{closed}/result", "reason=x", 403},
		{"steward", "/rounds/{closed}/result", "reason=x", 403},
		{"member", "/rounds/{closed}/result", "reason=x", 403},
		{"member-other", "/rounds/{closed}/result", "reason=x", 403},
		{"chair", "/rounds/{recorded}/result", "reason=x", 409}, // already computed
		{"chair", "/rounds/{closed}/result", "reason=", 422},
		{"chair", "/rounds/{closed}/result", "reason=Two+members+were+ill", 303},
		{"chair", "/rounds/999999/result", "reason=x", 404},
	},
	"POST /rounds/:id/decision": {
		{"anonymous", "/rounds/{recorded}/decision", "mode=computed", 303},
		{"user", "/rounds/{recorded}/decision", "mode=computed", 403},
		{"applicant", "/rounds/{recorded}/decision", "mode=computed", 403},
		{"steward", "/rounds/{recorded}/decision", "mode=computed", 403}, // stewards do not decide
		{"member", "/rounds/{recorded}/decision", "mode=computed", 403},
		{"recused", "/rounds/{recorded}/decision", "mode=computed", 403},
		{"member-other", "/rounds/{recorded}/decision", "mode=computed", 403},
		{"chair", "/rounds/{closed}/decision", "mode=computed", 409}, // no result yet
		{"chair", "/rounds/{recorded}/decision", "mode=amended&fund-{recorded1}=yes&amount-{recorded1}=2000&amendment_reason=r", 422},
		{"chair", "/rounds/{recorded}/decision", "mode=amended&fund-{recorded1}=yes&amount-{recorded1}=500&amendment_reason=", 422},
		{"chair", "/rounds/{recorded}/decision", "mode=anything", 422}, // neither computed nor amended: nothing recorded
		{"chair", "/rounds/{recorded}/decision", "mode=computed", 303},
		{"chair", "/rounds/{decided}/decision", "mode=computed", 409}, // final
		{"chair", "/rounds/999999/decision", "mode=computed", 404},
	},
	"POST /rounds/:id/decision/applications/:application_id": {
		{"anonymous", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 303},
		{"user", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 403},
		{"applicant", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 403},
		{"other-applicant", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 403},
		{"steward", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 403},
		{"member-other", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 403},
		{"recused", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=r&feedback=f", 403}, // recused from it
		{"recused", "/rounds/{recorded}/decision/applications/{recorded2}", "rationale=Clear+plan&feedback=Thank+you", 303},
		{"member", "/rounds/{recorded}/decision/applications/{recorded1}", "rationale=Strong+support&feedback=Well+done", 303},
		{"chair", "/rounds/{decided}/decision/applications/{decided1}", "rationale=r&feedback=f", 409}, // final
		{"chair", "/rounds/{closed}/decision/applications/{closed1}", "rationale=r&feedback=f", 409},   // not recorded
		{"member", "/rounds/{recorded}/decision/applications/999999", "rationale=r&feedback=f", 404},
		{"member", "/rounds/999999/decision/applications/{recorded1}", "rationale=r&feedback=f", 404},
	},
	"POST /rounds/:id/decision/final": {
		{"anonymous", "/rounds/{recorded}/decision/final", "", 303},
		{"user", "/rounds/{recorded}/decision/final", "", 403},
		{"applicant", "/rounds/{recorded}/decision/final", "", 403},
		{"steward", "/rounds/{recorded}/decision/final", "", 403},
		{"member", "/rounds/{recorded}/decision/final", "", 403},
		{"recused", "/rounds/{recorded}/decision/final", "", 403},
		{"member-other", "/rounds/{recorded}/decision/final", "", 403},
		{"chair", "/rounds/{recorded}/decision/final", "starts_on=2026-05-01&ends_on=2026-04-01", 422},
		{"chair", "/rounds/{recorded}/decision/final", "instalments=many", 422},
		{"chair", "/rounds/{closed}/decision/final", "", 409},  // not recorded
		{"chair", "/rounds/{decided}/decision/final", "", 409}, // already final
		{"chair", "/rounds/999999/decision/final", "", 404},
	},
}

func init() { registerArea("decision pages", decisionPageRows) }

type decisionPageCast struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	vars     map[string]string
}

var decisionPagePeople = []string{"steward", "chair", "member", "recused", "applicant", "other-applicant", "user", "member-other"}

// decisionPageVoters name the panel distinctly, to look for their names.
var decisionPageVoters = map[string]string{"chair": "Chidi Okonkwo", "member": "Mira Hassan", "recused": "Rafe Doyle"}

func newDecisionPageCast(t *testing.T) *decisionPageCast {
	env := apptest.New(t)
	ctx := context.Background()
	dc := &decisionPageCast{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, vars: map[string]string{}}
	for _, name := range decisionPagePeople {
		display := name
		if v, ok := decisionPageVoters[name]; ok {
			display = v
		}
		dc.people[name] = env.CreateUser(t, display)
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, dc.people["applicant"])
	other := env.CreateOrg(t, "Riverside Walkers", org.Applicant, dc.people["other-applicant"])
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder)
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	newFund := func() int64 {
		return id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
			currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people', 'Riverside', 5000000,
			'GBP', 'place', 'open') RETURNING id`, funder.ID)
	}
	fund, otherFund := newFund(), newFund()
	env.Grant(t, dc.people["steward"], authz.Steward, authz.FundDomain(fund))
	env.Grant(t, dc.people["member-other"], authz.PanelMember, authz.FundDomain(otherFund))
	for name, role := range map[string]string{"chair": panel.Chair, "member": panel.Member, "recused": panel.Member} {
		if _, err := env.Svc.Panels.AddMember(ctx, dc.people["steward"].ID, fund,
			panel.NewMember{UserID: dc.people[name].ID, Role: role, ChosenBy: "lottery"}); err != nil {
			t.Fatal(err)
		}
		waitForRole(t, env, dc.people[name].ID, authz.Role(panel.SeatRoles[role]), fund)
	}
	// round makes a round in review with its two applications, takes the
	// panel's declarations, opens voting, casts the ballots (by the first
	// n of chair, member) and closes voting, which computes the result if
	// the quorum is met.
	chair := dc.people["chair"].ID
	round_ := func(key string, quorum, ballots int, secret bool) (int64, int64, int64) {
		t.Helper()
		r := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
			voting_close_at, method, rule, quorum, tie_break, state, secret_ballot) VALUES (?, ?, 1000000,
			now() - interval '30 days', now() - interval '20 days', now() - interval '10 days', now() + interval '10 days',
			'approval', 'greedy_cost', ?, 'lower_cost', 'review', ?) RETURNING id`, fund, "Round "+key, quorum, secret)
		app := func(o org.Organisation, title string) int64 {
			return id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
				VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, r, fund, o.ID, title)
		}
		a1, a2 := app(applicant, "Youth kitchen "+key), app(other, "Walking group "+key)
		none := func(a int64) panel.DeclarationEntry {
			return panel.DeclarationEntry{ApplicationID: a, Kind: panel.NoConflict}
		}
		for name, entries := range map[string][]panel.DeclarationEntry{
			"chair": {none(a1), none(a2)}, "member": {none(a1), none(a2)},
			"recused": {{ApplicationID: a1, Kind: panel.Recused, Note: "My brother runs it."}, none(a2)},
		} {
			if _, err := env.Svc.Panels.Declare(ctx, dc.people[name].ID, r, panel.DeclarationSet{Declarations: entries}); err != nil {
				t.Fatal(err)
			}
		}
		if err := env.DB.Exec(`UPDATE rounds SET state = 'voting' WHERE id = ?`, r).Error; err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"chair", "member"}[:ballots] {
			c := ballot.Contents{Approvals: []int64{a1, a2}}
			if i == 1 {
				c.Approvals = []int64{a1}
			}
			if _, _, err := env.Svc.Ballots.Cast(ctx, dc.people[name].ID, r, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := env.Svc.Rounds.Transition(ctx, chair, r, round.Closed); err != nil {
			t.Fatal(err)
		}
		dc.vars["{"+key+"}"], dc.vars["{"+key+"1}"], dc.vars["{"+key+"2}"] = fmt.Sprint(r), fmt.Sprint(a1), fmt.Sprint(a2)
		return r, a1, a2
	}
	round_("closed", 3, 1, false)
	recorded, _, _ := round_("recorded", 1, 2, false)
	decided, d1, d2 := round_("decided", 1, 2, true)
	for _, r := range []int64{recorded, decided} {
		if _, err := env.Svc.Decisions.RecordDecision(ctx, chair, r, decision.Record{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []int64{d1, d2} {
		if _, err := env.Svc.Decisions.WriteWords(ctx, chair, decided, a, decision.Words{
			Rationale: fmt.Sprintf("Rationale %d: the panel valued the plan.", a),
			Feedback:  fmt.Sprintf("Feedback %d: only for the applicant.", a)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Svc.Decisions.Finalise(ctx, chair, decided, decision.Terms{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range decisionPagePeople {
		dc.tokens[name] = env.Token(t, dc.people[name])
		b := env.NewBrowser(t)
		b.SignIn(t, dc.people[name])
		dc.browsers[name] = b
	}
	dc.browsers["anonymous"] = env.NewBrowser(t)
	return dc
}

func (dc *decisionPageCast) expand(s string) string {
	pairs := make([]string, 0, 2*len(dc.vars))
	for k, v := range dc.vars {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func TestDecisionPagesAuthorization(t *testing.T) {
	dc := newDecisionPageCast(t)
	rows := map[string][]access{}
	for route, rs := range decisionPageRows {
		for _, r := range rs {
			r.body = dc.expand(r.body)
			rows[route] = append(rows[route], r)
		}
	}
	page := func(who, path string) string {
		t.Helper()
		return string(dc.browsers[who].Get(t, dc.expand(path)).Body)
	}
	// Below the quorum, the page says so; only the chair is offered to
	// have the result computed anyway.
	if got := page("steward", "/rounds/{closed}/decision"); !strings.Contains(got, "1 of the panel's 3 members voted, and the quorum is 3 ballots.") ||
		strings.Contains(got, "Compute the result anyway") {
		t.Errorf("the steward's decision page below the quorum:\n%s", got)
	}
	if got := page("chair", "/rounds/{closed}/decision"); !strings.Contains(got, "Compute the result anyway") {
		t.Errorf("the chair's decision page below the quorum:\n%s", got)
	}

	runTable(t, dc.env, rows, dc.expand, dc.tokens, dc.browsers)

	// Computed anyway (in the table), with the chair's reason shown.
	if got := page("chair", "/rounds/{closed}/decision"); !strings.Contains(got, "Two members were ill") ||
		!strings.Contains(got, "Record the computed result") {
		t.Errorf("the chair's decision page once computed anyway:\n%s", got)
	}
	// The public results: the bar, its table, the rationale; never the
	// feedback, nor (a secret round) anybody's name.
	got := page("anonymous", "/rounds/{decided}/results")
	for _, want := range []string{"<svg", "<table", "Youth kitchen decided", dc.expand("Rationale {decided1}: the panel valued the plan."),
		"/rounds/" + dc.vars["{decided}"] + "/results.csv", "/result/recompute"} {
		if !strings.Contains(got, want) {
			t.Errorf("the public results page lacks %q", want)
		}
	}
	never := []string{"Feedback", "only for the applicant"}
	for name := range decisionPageVoters {
		never = append(never, dc.people[name].DisplayName, dc.people[name].Email)
	}
	for _, never := range never {
		if strings.Contains(got, never) {
			t.Errorf("the public results page shows %q:\n%s", never, got)
		}
	}
	// The draft, to the fund's stewards, says it is not final.
	if got := page("steward", "/rounds/{recorded}/results"); !strings.Contains(got, "Not final.") {
		t.Errorf("the steward's draft results page is not marked as not final:\n%s", got)
	}
	// The CSV: a header and one row per application, no feedback.
	r := dc.browsers["anonymous"].Get(t, dc.expand("/rounds/{decided}/results.csv"))
	records, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || len(records) != 3 || strings.Contains(string(r.Body), "only for the applicant") {
		t.Errorf("the CSV (%v): %q", err, r.Body)
	}
	// The refused writes wrote nothing: the recused member's words are not
	// on the recorded decision, the member's are; the failed final left
	// the round closed.
	d, err := dc.env.Svc.Decisions.Get(context.Background(), decisionPageRoundID(t, dc.vars["{recorded}"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range d.Applications {
		switch fmt.Sprint(a.ApplicationID) {
		case dc.vars["{recorded1}"]:
			if a.Rationale != "Strong support" || a.Feedback != "Well done" {
				t.Errorf("the recorded decision's first application: %+v", a)
			}
		case dc.vars["{recorded2}"]:
			if a.Rationale != "Clear plan" || a.Feedback != "Thank you" {
				t.Errorf("the recorded decision's second application: %+v", a)
			}
		}
	}
	if d.Status != decision.Draft {
		t.Errorf("the recorded decision is %s", d.Status)
	}
	// The decision page shows the recused member that they are recused.
	if got := page("recused", "/rounds/{recorded}/decision"); !strings.Contains(got, "You are recused from this application") {
		t.Errorf("the recused member's decision page:\n%s", got)
	}
	// The applicant reads their feedback on their application page; the
	// other applicant cannot open it.
	if got := page("applicant", "/applications/{decided1}"); !strings.Contains(got, dc.expand("Feedback {decided1}: only for the applicant.")) ||
		!strings.Contains(got, "The panel's decision") {
		t.Errorf("the applicant's application page lacks the decision:\n%s", got)
	}
	if r := dc.browsers["other-applicant"].Get(t, dc.expand("/applications/{decided1}")); r.Status != 404 {
		t.Errorf("another applicant opens the application: %d", r.Status)
	}
}

func decisionPageRoundID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
