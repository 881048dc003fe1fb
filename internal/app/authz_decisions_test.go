package app_test

import (
	"context"
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

// The decisions' cast, in fund {fund}: every round has {app1}/{app2} of
// the applicant's organisation and a third application of another's.
//
//	{voting}    still voting
//	{noquorum}  closed with one ballot of a quorum of three: no result
//	{closed}    closed, result computed, decision recorded, no words yet
//	{decided}   decided: final decision, {grant} made for the applicant
//	{secret}    decided, secret ballot
//
//	steward, chair, member, recused (recused from app1 of each round),
//	applicant (member of the applying organisation), other-applicant,
//	user (no role), member-other (panel member of another fund), anonymous
var decisionRows = map[string][]access{
	"GET /api/v1/rounds/:id/result": {
		{"anonymous", "/api/v1/rounds/{closed}/result", "", 404}, // no public result before the decision is final
		{"user", "/api/v1/rounds/{closed}/result", "", 404},
		{"applicant", "/api/v1/rounds/{closed}/result", "", 404},
		{"member-other", "/api/v1/rounds/{closed}/result", "", 404},
		{"steward", "/api/v1/rounds/{closed}/result", "", 200},
		{"chair", "/api/v1/rounds/{closed}/result", "", 200},
		{"member", "/api/v1/rounds/{closed}/result", "", 200},
		{"recused", "/api/v1/rounds/{closed}/result", "", 200},
		{"steward", "/api/v1/rounds/{noquorum}/result", "", 404},
		{"steward", "/api/v1/rounds/{voting}/result", "", 404},
		{"anonymous", "/api/v1/rounds/{decided}/result", "", 200},
		{"user", "/api/v1/rounds/{decided}/result", "", 200},
		{"anonymous", "/api/v1/rounds/999999/result", "", 404},
	},
	"POST /api/v1/rounds/:id/result": {
		{"anonymous", "/api/v1/rounds/{noquorum}/result", `{"reason":"Two were ill."}`, 401},
		{"user", "/api/v1/rounds/{noquorum}/result", `{"reason":"Two were ill."}`, 403},
		{"steward", "/api/v1/rounds/{noquorum}/result", `{"reason":"Two were ill."}`, 403},
		{"member", "/api/v1/rounds/{noquorum}/result", `{"reason":"Two were ill."}`, 403},
		{"member-other", "/api/v1/rounds/{noquorum}/result", `{"reason":"Two were ill."}`, 403},
		{"chair", "/api/v1/rounds/{noquorum}/result", `{"reason":" "}`, 422},
		{"chair", "/api/v1/rounds/{noquorum}/result", `{"why":"x"}`, 422},
		{"chair", "/api/v1/rounds/{voting}/result", `{"reason":"Early."}`, 409},
		{"chair", "/api/v1/rounds/{closed}/result", `{"reason":"Again."}`, 409},
		{"chair", "/api/v1/rounds/{noquorum}/result", `{"reason":"Two were ill; the panel agreed to go ahead."}`, 201},
		{"chair", "/api/v1/rounds/{noquorum}/result", `{"reason":"Twice."}`, 409},
		{"chair", "/api/v1/rounds/999999/result", `{"reason":"x"}`, 404},
	},
	"GET /api/v1/rounds/:id/result/recompute": {
		{"anonymous", "/api/v1/rounds/{closed}/result/recompute", "", 404},
		{"user", "/api/v1/rounds/{closed}/result/recompute", "", 404},
		{"steward", "/api/v1/rounds/{closed}/result/recompute", "", 200},
		{"member", "/api/v1/rounds/{closed}/result/recompute", "", 200},
		{"anonymous", "/api/v1/rounds/{decided}/result/recompute", "", 200},
		{"anonymous", "/api/v1/rounds/999999/result/recompute", "", 404},
	},
	"GET /api/v1/rounds/:id/decision": {
		{"anonymous", "/api/v1/rounds/{closed}/decision", "", 404},
		{"user", "/api/v1/rounds/{closed}/decision", "", 404},
		{"applicant", "/api/v1/rounds/{closed}/decision", "", 404},
		{"member-other", "/api/v1/rounds/{closed}/decision", "", 404},
		{"steward", "/api/v1/rounds/{closed}/decision", "", 200},
		{"chair", "/api/v1/rounds/{closed}/decision", "", 200},
		{"member", "/api/v1/rounds/{closed}/decision", "", 200},
		{"steward", "/api/v1/rounds/{voting}/decision", "", 404},
		{"anonymous", "/api/v1/rounds/{decided}/decision", "", 200},
		{"applicant", "/api/v1/rounds/{decided}/decision", "", 200},
		{"anonymous", "/api/v1/rounds/999999/decision", "", 404},
	},
	"PUT /api/v1/rounds/:id/decision": {
		{"anonymous", "/api/v1/rounds/{closed}/decision", `{}`, 401},
		{"user", "/api/v1/rounds/{closed}/decision", `{}`, 403},
		{"applicant", "/api/v1/rounds/{closed}/decision", `{}`, 403},
		{"steward", "/api/v1/rounds/{closed}/decision", `{}`, 403},
		{"member", "/api/v1/rounds/{closed}/decision", `{}`, 403},
		{"member-other", "/api/v1/rounds/{closed}/decision", `{}`, 403},
		{"chair", "/api/v1/rounds/{closed}/decision", `{"funded":[{"application_id":{closed3},"amount_minor":100000}]}`, 422},
		{"chair", "/api/v1/rounds/{closed}/decision", `{"funded":[{"application_id":999999,"amount_minor":1}],"amendment_reason":"x"}`, 422},
		{"chair", "/api/v1/rounds/{closed}/decision", `{"rating":"green"}`, 422},
		{"chair", "/api/v1/rounds/{closed}/decision", `{}`, 200},
		{"chair", "/api/v1/rounds/{voting}/decision", `{}`, 409},
		{"chair", "/api/v1/rounds/{noquorum}/decision", `{}`, 200}, // the chair has had its result computed (POST …/result above)
		{"chair", "/api/v1/rounds/{decided}/decision", `{}`, 409},
		{"chair", "/api/v1/rounds/999999/decision", `{}`, 404},
	},
	"PUT /api/v1/rounds/:id/decision/applications/:application_id": {
		{"anonymous", "/api/v1/rounds/{closed}/decision/applications/{closed2}", `{"rationale":"r","feedback":"f"}`, 401},
		{"user", "/api/v1/rounds/{closed}/decision/applications/{closed2}", `{"rationale":"r","feedback":"f"}`, 403},
		{"applicant", "/api/v1/rounds/{closed}/decision/applications/{closed2}", `{"rationale":"r","feedback":"f"}`, 403},
		{"steward", "/api/v1/rounds/{closed}/decision/applications/{closed2}", `{"rationale":"r","feedback":"f"}`, 403},
		{"member-other", "/api/v1/rounds/{closed}/decision/applications/{closed2}", `{"rationale":"r","feedback":"f"}`, 403},
		{"recused", "/api/v1/rounds/{closed}/decision/applications/{closed1}", `{"rationale":"r","feedback":"f"}`, 403},
		{"member", "/api/v1/rounds/{closed}/decision/applications/{closed2}", `{"rationale":"Backed by most.","feedback":"Thank you."}`, 200},
		{"chair", "/api/v1/rounds/{closed}/decision/applications/{closed1}", `{"rationale":"Backed by all.","feedback":"Lovely."}`, 200},
		{"member", "/api/v1/rounds/{closed}/decision/applications/999999", `{"rationale":"r","feedback":"f"}`, 404},
		{"chair", "/api/v1/rounds/{decided}/decision/applications/{decided1}", `{"rationale":"r","feedback":"f"}`, 409},
		{"chair", "/api/v1/rounds/{voting}/decision/applications/{voting1}", `{"rationale":"r","feedback":"f"}`, 409},
	},
	"POST /api/v1/rounds/:id/decision/final": {
		{"anonymous", "/api/v1/rounds/{closed}/decision/final", `{}`, 401},
		{"user", "/api/v1/rounds/{closed}/decision/final", `{}`, 403},
		{"steward", "/api/v1/rounds/{closed}/decision/final", `{}`, 403},
		{"member", "/api/v1/rounds/{closed}/decision/final", `{}`, 403},
		{"chair", "/api/v1/rounds/{closed}/decision/final", `{"instalments":0.5}`, 422},
		{"chair", "/api/v1/rounds/{closed}/decision/final", `{"starts_on":"soon"}`, 422},
		{"chair", "/api/v1/rounds/{closed}/decision/final", `{}`, 409}, // the third application has no words yet
		{"chair", "/api/v1/rounds/{decided}/decision/final", `{}`, 409},
		{"chair", "/api/v1/rounds/999999/decision/final", `{}`, 404},
	},
	"GET /api/v1/rounds/:id/decision.csv": {
		{"anonymous", "/api/v1/rounds/{decided}/decision.csv", "", 200},
		{"anonymous", "/api/v1/rounds/{closed}/decision.csv", "", 404},
		{"steward", "/api/v1/rounds/{closed}/decision.csv", "", 404}, // only a final decision is published
		{"anonymous", "/api/v1/rounds/999999/decision.csv", "", 404},
	},
	"GET /api/v1/applications/:id/decision": {
		{"anonymous", "/api/v1/applications/{decided1}/decision", "", 401},
		{"user", "/api/v1/applications/{decided1}/decision", "", 404},
		{"other-applicant", "/api/v1/applications/{decided1}/decision", "", 404},
		{"member-other", "/api/v1/applications/{decided1}/decision", "", 404},
		{"applicant", "/api/v1/applications/{decided1}/decision", "", 200},
		{"steward", "/api/v1/applications/{decided1}/decision", "", 200},
		{"applicant", "/api/v1/applications/{closed1}/decision", "", 404}, // not final yet
		{"applicant", "/api/v1/applications/999999/decision", "", 404},
	},
	"GET /api/v1/rounds/:id/ballots": {
		{"anonymous", "/api/v1/rounds/{decided}/ballots", "", 200},
		{"applicant", "/api/v1/rounds/{decided}/ballots", "", 200},
		{"anonymous", "/api/v1/rounds/{secret}/ballots", "", 404}, // never, for a secret round
		{"steward", "/api/v1/rounds/{secret}/ballots", "", 404},
		{"chair", "/api/v1/rounds/{secret}/ballots", "", 404},
		{"steward", "/api/v1/rounds/{closed}/ballots", "", 404}, // not before the decision is final
		{"member", "/api/v1/rounds/{voting}/ballots", "", 404},
		{"anonymous", "/api/v1/rounds/999999/ballots", "", 404},
	},
	"GET /api/v1/funds/:id/grants": {
		{"anonymous", "/api/v1/funds/{fund}/grants", "", 200},
		{"user", "/api/v1/funds/{fund}/grants", "", 200},
		{"anonymous", "/api/v1/funds/999999/grants", "", 404},
	},
	"GET /api/v1/grants/:id": {
		{"anonymous", "/api/v1/grants/{grant}", "", 200},
		{"applicant", "/api/v1/grants/{grant}", "", 200},
		{"other-applicant", "/api/v1/grants/{grant}", "", 200},
		{"anonymous", "/api/v1/grants/999999", "", 404},
	},
	// Recording that an instalment was paid: the fund's stewards, once.
	"POST /api/v1/grants/:id/instalments/:number/paid": {
		{"anonymous", "/api/v1/grants/{grant}/instalments/1/paid", `{}`, 401},
		{"applicant", "/api/v1/grants/{grant}/instalments/1/paid", `{}`, 403},
		{"chair", "/api/v1/grants/{grant}/instalments/1/paid", `{}`, 403},
		{"member-other", "/api/v1/grants/{grant}/instalments/1/paid", `{}`, 403},
		{"steward", "/api/v1/grants/999999/instalments/1/paid", `{}`, 404},
		{"steward", "/api/v1/grants/{grant}/instalments/9/paid", `{}`, 404},
		{"steward", "/api/v1/grants/{grant}/instalments/x/paid", `{}`, 404},
		{"steward", "/api/v1/grants/{grant}/instalments/1/paid", `{"paid_on":"2999-01-01"}`, 422},
		{"steward", "/api/v1/grants/{grant}/instalments/1/paid", `{"paid":true}`, 422},
		{"steward", "/api/v1/grants/{grant}/instalments/1/paid", `{}`, 200},
		{"steward", "/api/v1/grants/{grant}/instalments/1/paid", `{}`, 409},
	},
}

func init() { registerArea("decisions", decisionRows) }

type decisionCast struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	vars     map[string]string
}

// newDecisionCast builds the rounds above through the services, as people
// would: ballots cast, voting closed by the chair (which computes the
// result), decisions recorded, words written, decisions made final.
func newDecisionCast(t *testing.T) *decisionCast {
	env := apptest.New(t)
	ctx := context.Background()
	dc := &decisionCast{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, vars: map[string]string{}}
	names := []string{"steward", "chair", "member", "recused", "applicant", "other-applicant", "user", "member-other"}
	for _, name := range names {
		dc.people[name] = env.CreateUser(t, name)
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, dc.people["applicant"])
	other := env.CreateOrg(t, "Shared Tables", org.Applicant, dc.people["other-applicant"])
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
			currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people', 'Riverside', 50000000,
			'GBP', 'place', 'open') RETURNING id`, funder.ID)
	}
	fund, otherFund := newFund(), newFund()
	env.Grant(t, dc.people["steward"], authz.Steward, authz.FundDomain(fund))
	env.Grant(t, dc.people["member-other"], authz.PanelMember, authz.FundDomain(otherFund))
	steward := dc.people["steward"].ID
	for name, role := range map[string]string{"chair": panel.Chair, "member": panel.Member, "recused": panel.Member} {
		if _, err := env.Svc.Panels.AddMember(ctx, steward, fund, panel.NewMember{UserID: dc.people[name].ID, Role: role, ChosenBy: "lottery"}); err != nil {
			t.Fatal(err)
		}
		waitForRole(t, env, dc.people[name].ID, authz.Role(panel.SeatRoles[role]), fund)
	}
	chair := dc.people["chair"].ID
	// newRound makes a round in voting with three applications (two of the
	// applicant's, one of the other's) of 100,000 each in a budget of
	// 250,000, declared on by the panel.
	newRound := func(key string, quorum int, secret bool) [3]int64 {
		r := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
			voting_close_at, method, rule, quorum, tie_break, state, secret_ballot) VALUES (?, ?, 250000,
			now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
			'approval', 'mes_cost_add1_greedy', ?, 'lower_cost', 'review', ?) RETURNING id`, fund, key+" round", quorum, secret)
		var apps [3]int64
		for i, o := range []int64{applicant.ID, applicant.ID, other.ID} {
			apps[i] = id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
				VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, r, fund, o, fmt.Sprintf("%s idea %d", key, i+1))
			dc.vars[fmt.Sprintf("{%s%d}", key, i+1)] = fmt.Sprint(apps[i])
		}
		for _, name := range []string{"chair", "member", "recused"} {
			var entries []panel.DeclarationEntry
			for i, a := range apps {
				e := panel.DeclarationEntry{ApplicationID: a, Kind: panel.NoConflict}
				if name == "recused" && i == 0 {
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
	vote := func(name string, r int64, apps ...int64) {
		t.Helper()
		if _, _, err := env.Svc.Ballots.Cast(ctx, dc.people[name].ID, r, ballot.Contents{Approvals: apps}); err != nil {
			t.Fatal(err)
		}
	}
	closeVoting := func(key string) int64 {
		t.Helper()
		var r int64
		fmt.Sscan(dc.vars["{"+key+"}"], &r)
		if _, err := env.Svc.Rounds.Transition(ctx, chair, r, round.Closed); err != nil {
			t.Fatal(err)
		}
		return r
	}
	decide := func(r int64, apps [3]int64) {
		t.Helper()
		if _, err := env.Svc.Decisions.RecordDecision(ctx, chair, r, decision.Record{}); err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			if _, err := env.Svc.Decisions.WriteWords(ctx, chair, r, a, decision.Words{Rationale: "The panel's reasons.", Feedback: "Words for you."}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := env.Svc.Decisions.Finalise(ctx, chair, r, decision.Terms{}); err != nil {
			t.Fatal(err)
		}
	}

	v := newRound("voting", 1, false)
	vote("member", mustID(dc.vars["{voting}"]), v[0])

	nq := newRound("noquorum", 3, false)
	vote("member", mustID(dc.vars["{noquorum}"]), nq[0])
	closeVoting("noquorum")

	c := newRound("closed", 1, false)
	vote("member", mustID(dc.vars["{closed}"]), c[0], c[1])
	vote("chair", mustID(dc.vars["{closed}"]), c[0])
	r := closeVoting("closed")
	if _, err := env.Svc.Decisions.RecordDecision(ctx, chair, r, decision.Record{}); err != nil {
		t.Fatal(err)
	}

	d := newRound("decided", 1, false)
	vote("member", mustID(dc.vars["{decided}"]), d[0], d[1])
	vote("chair", mustID(dc.vars["{decided}"]), d[0])
	decide(closeVoting("decided"), d)

	s := newRound("secret", 1, true)
	vote("member", mustID(dc.vars["{secret}"]), s[2])
	vote("chair", mustID(dc.vars["{secret}"]), s[0], s[2])
	decide(closeVoting("secret"), s)

	dc.vars["{fund}"] = fmt.Sprint(fund)
	dc.vars["{grant}"] = fmt.Sprint(id(`SELECT id FROM grants WHERE application_id = ?`, d[0]))
	for _, name := range names {
		dc.tokens[name] = env.Token(t, dc.people[name])
		b := env.NewBrowser(t)
		b.SignIn(t, dc.people[name])
		dc.browsers[name] = b
	}
	dc.browsers["anonymous"] = env.NewBrowser(t)
	return dc
}

func mustID(s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		panic(err)
	}
	return n
}

func (dc *decisionCast) expand(s string) string {
	pairs := make([]string, 0, 2*len(dc.vars))
	for k, v := range dc.vars {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func TestDecisionAuthorization(t *testing.T) {
	dc := newDecisionCast(t)
	runTable(t, dc.env, decisionRows, dc.expand, dc.tokens, dc.browsers)

	// The feedback is the applicant's: the public decision leaves it out,
	// the applicant's own view has it.
	pub := dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{decided}/decision"), "", nil)
	if pub.Status != 200 || strings.Contains(string(pub.Body), "Words for you.") || !strings.Contains(string(pub.Body), "The panel's reasons.") {
		t.Fatalf("public decision: %d %s", pub.Status, pub.Body)
	}
	own := dc.env.Do(t, "GET", dc.expand("/api/v1/applications/{decided1}/decision"), dc.tokens["applicant"], nil)
	if own.Status != 200 || !strings.Contains(string(own.Body), "Words for you.") || !strings.Contains(string(own.Body), `"instalments"`) {
		t.Fatalf("the applicant's view: %d %s", own.Status, own.Body)
	}
	// Instalments are the grantee's and stewards': not the public's, not
	// another applicant's.
	for _, who := range []string{"anonymous", "other-applicant"} {
		g := dc.env.Do(t, "GET", dc.expand("/api/v1/grants/{grant}"), dc.tokens[who], nil)
		if strings.Contains(string(g.Body), "instalments") {
			t.Fatalf("%s sees the payment schedule: %s", who, g.Body)
		}
	}
	g := dc.env.Do(t, "GET", dc.expand("/api/v1/grants/{grant}"), dc.tokens["applicant"], nil)
	if !strings.Contains(string(g.Body), `"instalments":[{"number":1`) {
		t.Fatalf("the grantee does not see the schedule: %s", g.Body)
	}
	// The refused finalisation left the round as it was.
	res := dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{closed}/decision"), dc.tokens["steward"], nil)
	if !strings.Contains(string(res.Body), `"status":"draft"`) {
		t.Fatalf("decision after refused finalisation: %s", res.Body)
	}
	if n := dc.count(t, `SELECT count(*) FROM grants WHERE round_id = ?`, dc.vars["{closed}"]); n != 0 {
		t.Fatalf("%d grants made by a refused finalisation", n)
	}
	// The stored result recomputes to itself.
	rc := dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{decided}/result/recompute"), "", nil)
	if !strings.Contains(string(rc.Body), `"matches":true`) {
		t.Fatalf("recomputation: %s", rc.Body)
	}
	// The CSV has a header and a row per application, and no feedback.
	csv := dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{decided}/decision.csv"), "", nil)
	if lines := strings.Count(strings.TrimSpace(string(csv.Body)), "\n") + 1; lines != 4 || strings.Contains(string(csv.Body), "Words for you.") {
		t.Fatalf("CSV (%d lines): %s", lines, csv.Body)
	}
	// An open round's ballots are published with the decision, with who
	// cast them.
	bs := dc.env.Do(t, "GET", dc.expand("/api/v1/rounds/{decided}/ballots"), "", nil)
	if !strings.Contains(string(bs.Body), `"display_name":"member"`) || !strings.Contains(string(bs.Body), dc.expand(`"approvals":[{decided1},{decided2}]`)) {
		t.Fatalf("published ballots: %s", bs.Body)
	}
	// The grantee role came with the grant.
	waitForRole(t, dc.env, dc.people["applicant"].ID, authz.Grantee, mustID(dc.vars["{fund}"]))
}

func (dc *decisionCast) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := dc.env.DB.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecretBallotsAppearNowhere reads every route that touches a secret
// round's votes, as everyone who may read them, and looks in the answers
// for anything that ties a voter to their ballot.
func TestSecretBallotsAppearNowhere(t *testing.T) {
	dc := newDecisionCast(t)
	admin := dc.env.CreateUser(t, "Ada Admin")
	dc.env.Grant(t, admin, authz.Admin, authz.Installation)
	dc.tokens["admin"] = dc.env.Token(t, admin)
	routes := []string{
		"/api/v1/rounds/{secret}/result", "/api/v1/rounds/{secret}/result/recompute", "/api/v1/rounds/{secret}/decision",
		"/api/v1/rounds/{secret}/decision.csv", "/api/v1/rounds/{secret}/turnout", "/api/v1/rounds/{secret}/ballot",
		"/api/v1/rounds/{secret}/ballots", "/rounds/{secret}/results", "/rounds/{secret}/results.csv", "/rounds/{secret}/decision",
		"/api/v1/applications/{secret1}/decision", "/api/v1/applications/{secret3}/decision",
		"/api/v1/funds/{fund}/grants",
	}
	voters := []string{"member", "chair"}
	for _, who := range []string{"anonymous", "steward", "chair", "member", "admin", "applicant"} {
		for _, route := range routes {
			r := dc.env.Do(t, "GET", dc.expand(route), dc.tokens[who], nil)
			body := string(r.Body)
			for _, name := range voters {
				v := dc.people[name]
				if who == name && strings.HasSuffix(route, "/ballot") {
					continue // their own ballot, to themselves
				}
				for _, mark := range []string{v.Email, fmt.Sprintf(`"user_id":%d,`, v.ID)} {
					if strings.Contains(body, mark) {
						t.Errorf("%s reading %s sees %q of a secret round's voter:\n%.400s", who, route, mark, body)
					}
				}
			}
		}
	}
	// The audit log says a secret ballot was cast or revised, never what it
	// held; an open round's ballot events hold their contents.
	var log struct {
		Items []struct {
			Action  string
			Changes map[string]any
		}
	}
	dc.env.Do(t, "GET", "/api/v1/audit-events?limit=200", dc.tokens["admin"], nil).JSON(t, &log)
	secret, open := 0, 0
	for _, e := range log.Items {
		if !strings.HasPrefix(e.Action, "ballot.") {
			continue
		}
		_, holds := e.Changes["ballot"]
		if fmt.Sprint(e.Changes["round_id"]) == dc.vars["{secret}"] {
			secret++
			if holds {
				t.Errorf("the audit log holds a secret ballot: %v", e.Changes)
			}
		} else if holds {
			open++
		}
	}
	if secret != 2 || open == 0 {
		t.Fatalf("audit log: %d secret ballot events (want 2), %d open ones with contents (want some)", secret, open)
	}
}
