package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/user"
)

// The panels' cast, all in fund {fund} unless named otherwise:
//
//	steward        steward of the fund
//	chair          panel chair, declared "none" on both applications
//	member         panel member, declared "none" on both applications
//	recused        panel member, recused from {app1}, "none" on {app2}
//	undeclared     panel member who has declared nothing
//	applicant      member of the organisation that made both applications
//	user           signed in, no role, no organisation
//	steward-other  steward of another fund
//	anonymous      nobody signed in
//
// Records: {seat}, {seatDel} and {seat2} are spare seats to change and
// remove (API, then pages); {comment…} are the member's comments, each used by one
// route; {oldComment} was posted more than ten minutes ago.
var panelRows = map[string][]access{
	// API: membership.
	"GET /api/v1/funds/:id/panel": {
		{"anonymous", "/api/v1/funds/{fund}/panel", "", 401},
		{"user", "/api/v1/funds/{fund}/panel", "", 403},
		{"applicant", "/api/v1/funds/{fund}/panel", "", 403},
		{"steward-other", "/api/v1/funds/{fund}/panel", "", 403},
		{"steward", "/api/v1/funds/{fund}/panel", "", 200},
		{"chair", "/api/v1/funds/{fund}/panel", "", 200},
		{"member", "/api/v1/funds/{fund}/panel", "", 200},
		{"recused", "/api/v1/funds/{fund}/panel", "", 200},
		{"steward", "/api/v1/funds/999999/panel", "", 403}, // no role in a fund that does not exist
	},
	"POST /api/v1/funds/:id/panel": {
		{"anonymous", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 401},
		{"user", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 403},
		{"applicant", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 403},
		{"chair", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 403},
		{"member", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 403},
		{"steward-other", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 403},
		{"steward", "/api/v1/funds/{fund}/panel", `{"role":"member","chosen_by":"lottery"}`, 422},
		{"steward", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"member","chosen_by":"lottery"}`, 201},
		{"steward", "/api/v1/funds/{fund}/panel", `{"user_id":{spare1},"role":"chair","chosen_by":"invited"}`, 409},
	},
	"GET /api/v1/funds/:id/panel/summary": {
		{"anonymous", "/api/v1/funds/{fund}/panel/summary", "", 200},
		{"user", "/api/v1/funds/{fund}/panel/summary", "", 200},
		{"applicant", "/api/v1/funds/{fund}/panel/summary", "", 200},
		{"anonymous", "/api/v1/funds/{draftFund}/panel/summary", "", 404},
		{"anonymous", "/api/v1/funds/999999/panel/summary", "", 404},
	},
	"PATCH /api/v1/panel-members/:id": {
		{"anonymous", "/api/v1/panel-members/{seat}", `{"role":"chair"}`, 401},
		{"user", "/api/v1/panel-members/{seat}", `{"role":"chair"}`, 403},
		{"member", "/api/v1/panel-members/{seat}", `{"role":"chair"}`, 403},
		{"chair", "/api/v1/panel-members/{seat}", `{"role":"chair"}`, 403},
		{"steward-other", "/api/v1/panel-members/{seat}", `{"role":"chair"}`, 403},
		{"steward", "/api/v1/panel-members/{seat}", `{"term_end":"2020-01-01","term_start":"2020-02-01"}`, 422},
		{"steward", "/api/v1/panel-members/{seat}", `{"role":"chair","term_end":null}`, 200},
		{"steward", "/api/v1/panel-members/999999", `{"role":"chair"}`, 404},
	},
	"DELETE /api/v1/panel-members/:id": {
		{"anonymous", "/api/v1/panel-members/{seatDel}", "", 401},
		{"user", "/api/v1/panel-members/{seatDel}", "", 403},
		{"member", "/api/v1/panel-members/{seatDel}", "", 403},
		{"chair", "/api/v1/panel-members/{seatDel}", "", 403},
		{"steward-other", "/api/v1/panel-members/{seatDel}", "", 403},
		{"steward", "/api/v1/panel-members/{seatDel}", "", 204},
		{"steward", "/api/v1/panel-members/{seatDel}", "", 404},
	},

	// API: time and payment; seen by stewards and by the member themself.
	"GET /api/v1/rounds/:id/panel-time": {
		{"anonymous", "/api/v1/rounds/{round}/panel-time", "", 401},
		{"user", "/api/v1/rounds/{round}/panel-time", "", 403},
		{"applicant", "/api/v1/rounds/{round}/panel-time", "", 403},
		{"steward-other", "/api/v1/rounds/{round}/panel-time", "", 403},
		{"steward", "/api/v1/rounds/{round}/panel-time", "", 200},
		{"steward", "/api/v1/rounds/{round}/panel-time?user_id={memberID}", "", 200},
		{"member", "/api/v1/rounds/{round}/panel-time", "", 200},
		{"member", "/api/v1/rounds/{round}/panel-time?user_id={memberID}", "", 200},
		{"member", "/api/v1/rounds/{round}/panel-time?user_id={chairID}", "", 404}, // someone else's
		{"chair", "/api/v1/rounds/{round}/panel-time", "", 200},
		{"steward", "/api/v1/rounds/999999/panel-time", "", 404},
	},
	"PUT /api/v1/rounds/:id/panel-time": {
		{"anonymous", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"voucher"}`, 401},
		{"user", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"voucher"}`, 403},
		{"member", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"voucher"}`, 403},
		{"chair", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"voucher"}`, 403},
		{"steward-other", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"voucher"}`, 403},
		{"steward", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"amount"}`, 422},
		{"steward", "/api/v1/rounds/{round}/panel-time", `{"user_id":{memberID},"hours":2,"payment":"voucher"}`, 200}, // replaces
		{"steward", "/api/v1/rounds/{round}/panel-time", `{"user_id":{chairID},"hours":3.5,"payment":"amount","amount_minor":7000}`, 201},
	},

	// API: declarations.
	"GET /api/v1/rounds/:id/declarations": {
		{"anonymous", "/api/v1/rounds/{round}/declarations", "", 401},
		{"user", "/api/v1/rounds/{round}/declarations", "", 403},
		{"applicant", "/api/v1/rounds/{round}/declarations", "", 403},
		{"steward-other", "/api/v1/rounds/{round}/declarations", "", 403},
		{"steward", "/api/v1/rounds/{round}/declarations", "", 200},
		{"chair", "/api/v1/rounds/{round}/declarations", "", 200},
		{"member", "/api/v1/rounds/{round}/declarations", "", 200},
		{"recused", "/api/v1/rounds/{round}/declarations", "", 200},
		{"undeclared", "/api/v1/rounds/{round}/declarations", "", 200},
	},
	"PUT /api/v1/rounds/:id/declarations": {
		{"anonymous", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 401},
		{"user", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 403},
		{"applicant", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 403},
		{"steward", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 403}, // stewards do not declare
		{"steward-other", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 403},
		{"member", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"disclosed"}]}`, 422},
		{"member", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 200},
		{"recused", "/api/v1/rounds/{round}/declarations", `{"declarations":[{"application_id":{app1},"kind":"recused","note":"My sister runs it."}]}`, 200},
		{"member", "/api/v1/rounds/{otherRound}/declarations", `{"declarations":[{"application_id":{app1},"kind":"none"}]}`, 409}, // still accepting
	},

	// API: deliberation.
	"GET /api/v1/applications/:id/comments": {
		{"anonymous", "/api/v1/applications/{app1}/comments", "", 401},
		{"user", "/api/v1/applications/{app1}/comments", "", 403},
		{"applicant", "/api/v1/applications/{app1}/comments", "", 403}, // not even on their own application
		{"steward-other", "/api/v1/applications/{app1}/comments", "", 403},
		{"steward", "/api/v1/applications/{app1}/comments", "", 200},
		{"chair", "/api/v1/applications/{app1}/comments", "", 200},
		{"member", "/api/v1/applications/{app1}/comments", "", 200},
		{"recused", "/api/v1/applications/{app1}/comments", "", 403},
		{"recused", "/api/v1/applications/{app2}/comments", "", 200},
		{"undeclared", "/api/v1/applications/{app1}/comments", "", 409},
		{"steward", "/api/v1/applications/999999/comments", "", 404},
	},
	"POST /api/v1/applications/:id/comments": {
		{"anonymous", "/api/v1/applications/{app1}/comments", `{"body":"Hello"}`, 401},
		{"user", "/api/v1/applications/{app1}/comments", `{"body":"Hello"}`, 403},
		{"applicant", "/api/v1/applications/{app1}/comments", `{"body":"Hello"}`, 403},
		{"steward-other", "/api/v1/applications/{app1}/comments", `{"body":"Hello"}`, 403},
		{"recused", "/api/v1/applications/{app1}/comments", `{"body":"Hello"}`, 403},
		{"undeclared", "/api/v1/applications/{app1}/comments", `{"body":"Hello"}`, 409},
		{"member", "/api/v1/applications/{app1}/comments", `{"body":""}`, 422},
		{"member", "/api/v1/applications/{app1}/comments", `{"body":"A careful plan."}`, 201},
		{"chair", "/api/v1/applications/{app1}/comments", `{"body":"Agreed."}`, 201},
		{"steward", "/api/v1/applications/{app1}/comments", `{"body":"The budget is confirmed."}`, 201},
		{"recused", "/api/v1/applications/{app2}/comments", `{"body":"On this one I can speak."}`, 201},
	},
	"PATCH /api/v1/comments/:id": {
		{"anonymous", "/api/v1/comments/{commentA}", `{"body":"Corrected."}`, 401},
		{"user", "/api/v1/comments/{commentA}", `{"body":"Corrected."}`, 403},
		{"chair", "/api/v1/comments/{commentA}", `{"body":"Corrected."}`, 403}, // not the author
		{"steward", "/api/v1/comments/{commentA}", `{"body":"Corrected."}`, 403},
		{"recused", "/api/v1/comments/{commentA}", `{"body":"Corrected."}`, 403},
		{"member", "/api/v1/comments/{commentA}", `{"body":"Corrected."}`, 200},
		{"member", "/api/v1/comments/{oldComment}", `{"body":"Too late."}`, 409},
		{"member", "/api/v1/comments/999999", `{"body":"Nothing."}`, 404},
	},
	"POST /api/v1/comments/:id/retract": {
		{"anonymous", "/api/v1/comments/{commentB}/retract", `{"reason":"Misread."}`, 401},
		{"user", "/api/v1/comments/{commentB}/retract", `{"reason":"Misread."}`, 403},
		{"chair", "/api/v1/comments/{commentB}/retract", `{"reason":"Misread."}`, 403},
		{"steward", "/api/v1/comments/{commentB}/retract", `{"reason":"Misread."}`, 403},
		{"member", "/api/v1/comments/{commentB}/retract", `{"reason":""}`, 422},
		{"member", "/api/v1/comments/{commentB}/retract", `{"reason":"Misread the budget."}`, 200},
		{"member", "/api/v1/comments/{commentB}/retract", `{"reason":"Again."}`, 409},
	},

	// Pages.
	"GET /funds/:id/panel": {
		{"anonymous", "/funds/{fund}/panel", "", 303},
		{"user", "/funds/{fund}/panel", "", 403},
		{"applicant", "/funds/{fund}/panel", "", 403},
		{"steward-other", "/funds/{fund}/panel", "", 403},
		{"steward", "/funds/{fund}/panel", "", 200},
		{"chair", "/funds/{fund}/panel", "", 200},
		{"member", "/funds/{fund}/panel", "", 200},
	},
	"POST /funds/:id/panel": {
		{"anonymous", "/funds/{fund}/panel", "person={spare2}&role=member&chosen_by=invited", 303},
		{"user", "/funds/{fund}/panel", "person={spare2}&role=member&chosen_by=invited", 403},
		{"member", "/funds/{fund}/panel", "person={spare2}&role=member&chosen_by=invited", 403},
		{"steward-other", "/funds/{fund}/panel", "person={spare2}&role=member&chosen_by=invited", 403},
		{"steward", "/funds/{fund}/panel", "person=&role=member&chosen_by=invited", 422},
		{"steward", "/funds/{fund}/panel", "person={spare2}&role=member&chosen_by=invited", 303},
		{"steward", "/funds/{fund}/panel", "person={spare2}&role=member&chosen_by=invited", 409},
	},
	"GET /panel-members/:id/edit": {
		{"anonymous", "/panel-members/{seat2}/edit", "", 303},
		{"user", "/panel-members/{seat2}/edit", "", 403},
		{"member", "/panel-members/{seat2}/edit", "", 403},
		{"steward-other", "/panel-members/{seat2}/edit", "", 403},
		{"steward", "/panel-members/{seat2}/edit", "", 200},
		{"steward", "/panel-members/999999/edit", "", 404},
	},
	"POST /panel-members/:id/edit": {
		{"anonymous", "/panel-members/{seat2}/edit", "role=chair&chosen_by=lottery&term_start=2026-01-01", 303},
		{"member", "/panel-members/{seat2}/edit", "role=chair&chosen_by=lottery&term_start=2026-01-01", 403},
		{"steward-other", "/panel-members/{seat2}/edit", "role=chair&chosen_by=lottery&term_start=2026-01-01", 403},
		{"steward", "/panel-members/{seat2}/edit", "role=chair&chosen_by=lottery&term_start=soon", 422},
		{"steward", "/panel-members/{seat2}/edit", "role=chair&chosen_by=lottery&term_start=2026-01-01", 303},
	},
	"POST /panel-members/:id/remove": {
		{"anonymous", "/panel-members/{seat2}/remove", "", 303},
		{"user", "/panel-members/{seat2}/remove", "", 403},
		{"member", "/panel-members/{seat2}/remove", "", 403},
		{"steward-other", "/panel-members/{seat2}/remove", "", 403},
		{"steward", "/panel-members/{seat2}/remove", "", 303},
		{"steward", "/panel-members/{seat2}/remove", "", 404},
	},
	"GET /rounds/:id/declarations": {
		{"anonymous", "/rounds/{round}/declarations", "", 303},
		{"user", "/rounds/{round}/declarations", "", 403},
		{"applicant", "/rounds/{round}/declarations", "", 403},
		{"steward-other", "/rounds/{round}/declarations", "", 403},
		{"steward", "/rounds/{round}/declarations", "", 200},
		{"chair", "/rounds/{round}/declarations", "", 200},
		{"member", "/rounds/{round}/declarations", "", 200},
		{"recused", "/rounds/{round}/declarations", "", 200},
	},
	"POST /rounds/:id/declarations": {
		{"anonymous", "/rounds/{round}/declarations", "kind-{app1}=none", 303},
		{"user", "/rounds/{round}/declarations", "kind-{app1}=none", 403},
		{"steward", "/rounds/{round}/declarations", "kind-{app1}=none", 403},
		{"member", "/rounds/{round}/declarations", "kind-{app1}=disclosed&note-{app1}=", 422},
		{"member", "/rounds/{round}/declarations", "", 422}, // nothing answered
		{"member", "/rounds/{round}/declarations", "kind-{app1}=none&kind-{app2}=none", 303},
		{"recused", "/rounds/{round}/declarations", "kind-{app1}=recused&note-{app1}=My+sister+runs+it.", 303},
		{"member", "/rounds/{otherRound}/declarations", "kind-{app1}=none", 409}, // still accepting
	},
	"GET /rounds/:id/panel-time": {
		{"anonymous", "/rounds/{round}/panel-time", "", 303},
		{"user", "/rounds/{round}/panel-time", "", 403},
		{"applicant", "/rounds/{round}/panel-time", "", 403},
		{"steward-other", "/rounds/{round}/panel-time", "", 403},
		{"steward", "/rounds/{round}/panel-time", "", 200},
		{"member", "/rounds/{round}/panel-time", "", 200},
	},
	"POST /rounds/:id/panel-time": {
		{"anonymous", "/rounds/{round}/panel-time", "user_id={memberID}&hours=3&payment=declined", 303},
		{"user", "/rounds/{round}/panel-time", "user_id={memberID}&hours=3&payment=declined", 403},
		{"member", "/rounds/{round}/panel-time", "user_id={memberID}&hours=3&payment=declined", 403},
		{"steward-other", "/rounds/{round}/panel-time", "user_id={memberID}&hours=3&payment=declined", 403},
		{"steward", "/rounds/{round}/panel-time", "user_id={memberID}&hours=lots&payment=declined", 422},
		{"steward", "/rounds/{round}/panel-time", "user_id={memberID}&hours=3&payment=amount&amount=45.50", 303},
	},
	"GET /applications/:id/discussion": {
		{"anonymous", "/applications/{app1}/discussion", "", 303},
		{"user", "/applications/{app1}/discussion", "", 403},
		{"applicant", "/applications/{app1}/discussion", "", 403},
		{"steward-other", "/applications/{app1}/discussion", "", 403},
		{"steward", "/applications/{app1}/discussion", "", 200},
		{"chair", "/applications/{app1}/discussion", "", 200},
		{"member", "/applications/{app1}/discussion", "", 200},
		{"recused", "/applications/{app1}/discussion", "", 403},
		{"recused", "/applications/{app2}/discussion", "", 200},
		{"undeclared", "/applications/{app1}/discussion", "", 409},
	},
	"POST /applications/:id/discussion": {
		{"anonymous", "/applications/{app1}/discussion", "body=Hello", 303},
		{"user", "/applications/{app1}/discussion", "body=Hello", 403},
		{"applicant", "/applications/{app1}/discussion", "body=Hello", 403},
		{"recused", "/applications/{app1}/discussion", "body=Hello", 403},
		{"undeclared", "/applications/{app1}/discussion", "body=Hello", 409},
		{"member", "/applications/{app1}/discussion", "body=", 422},
		{"member", "/applications/{app1}/discussion", "body=Well+argued.", 303},
		{"steward", "/applications/{app1}/discussion", "body=Noted.", 303},
	},
	"POST /comments/:id/correct": {
		{"anonymous", "/comments/{commentC}/correct", "body=Fixed.", 303},
		{"chair", "/comments/{commentC}/correct", "body=Fixed.", 403},
		{"member", "/comments/{commentC}/correct", "body=", 422},
		{"member", "/comments/{commentC}/correct", "body=Fixed.", 303},
		{"member", "/comments/{oldComment}/correct", "body=Too+late.", 409},
	},
	"POST /comments/:id/retract": {
		{"anonymous", "/comments/{commentD}/retract", "reason=Wrong.", 303},
		{"chair", "/comments/{commentD}/retract", "reason=Wrong.", 403},
		{"member", "/comments/{commentD}/retract", "reason=", 422},
		{"member", "/comments/{commentD}/retract", "reason=Wrong.", 303},
	},
}

func init() { registerArea("panels", panelRows) }

// panelCast is the people and records of panelRows.
type panelCast struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	vars     map[string]string
}

func newPanelCast(t *testing.T) *panelCast {
	env := apptest.New(t)
	ctx := context.Background()
	pc := &panelCast{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, vars: map[string]string{}}
	for _, name := range []string{"steward", "chair", "member", "recused", "undeclared", "applicant", "user", "steward-other",
		"spare1", "spare2", "seat", "seat2", "seatDel"} {
		pc.people[name] = env.CreateUser(t, name)
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, pc.people["applicant"])
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder)
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	newFund := func(status string) int64 {
		return id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
			currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people', 'Riverside', 5000000,
			'GBP', 'place', ?) RETURNING id`, funder.ID, status)
	}
	fund, other, draft := newFund("open"), newFund("open"), newFund("draft")
	newRound := func(state string) int64 {
		return id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
			voting_close_at, method, rule, quorum, tie_break, state) VALUES (?, 'Spring round', 1000000, now() - interval '30 days',
			now() - interval '10 days', now() - interval '10 days', now() + interval '10 days', 'approval', 'greedy', 2,
			'lower_cost', ?) RETURNING id`, fund, state)
	}
	round, otherRound := newRound("review"), newRound("accepting")
	newApp := func(title string) int64 {
		return id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, round, fund, applicant.ID, title)
	}
	app1, app2 := newApp("Youth kitchen"), newApp("Walking group")

	env.Grant(t, pc.people["steward"], authz.Steward, authz.FundDomain(fund))
	env.Grant(t, pc.people["steward-other"], authz.Steward, authz.FundDomain(other))
	svc := env.Svc.Panels
	steward := pc.people["steward"].ID
	seats := map[string]int64{}
	for name, role := range map[string]string{"chair": panel.Chair, "member": panel.Member, "recused": panel.Member,
		"undeclared": panel.Member, "seat": panel.Member, "seat2": panel.Member, "seatDel": panel.Member} {
		m, err := svc.AddMember(ctx, steward, fund, panel.NewMember{UserID: pc.people[name].ID, Role: role, ChosenBy: "lottery"})
		if err != nil {
			t.Fatal(err)
		}
		seats[name] = m.ID
		waitForRole(t, env, pc.people[name].ID, authz.Role(panel.SeatRoles[role]), fund)
	}
	declare := func(name string, entries ...panel.DeclarationEntry) {
		t.Helper()
		if _, err := svc.Declare(ctx, pc.people[name].ID, round, panel.DeclarationSet{Declarations: entries}); err != nil {
			t.Fatal(err)
		}
	}
	none := func(app int64) panel.DeclarationEntry {
		return panel.DeclarationEntry{ApplicationID: app, Kind: panel.NoConflict}
	}
	declare("chair", none(app1), none(app2))
	declare("member", none(app1), none(app2))
	declare("recused", panel.DeclarationEntry{ApplicationID: app1, Kind: panel.Recused, Note: "My sister runs it."}, none(app2))
	hours := 1.5
	if _, _, err := svc.RecordTime(ctx, steward, round, panel.TimeEntry{UserID: pc.people["member"].ID, Hours: &hours, Payment: "declined"}); err != nil {
		t.Fatal(err)
	}
	comment := func(body string) int64 {
		t.Helper()
		c, err := svc.PostComment(ctx, pc.people["member"].ID, app1, body)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	old := comment("Posted a while ago.")
	if err := env.DB.Exec(`UPDATE comments SET created_at = now() - interval '11 minutes' WHERE id = ?`, old).Error; err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]int64{"fund": fund, "draftFund": draft, "round": round, "otherRound": otherRound,
		"app1": app1, "app2": app2, "seat": seats["seat"], "seat2": seats["seat2"], "seatDel": seats["seatDel"], "oldComment": old,
		"commentA": comment("First thoughts."), "commentB": comment("Second thoughts."),
		"commentC": comment("Third thoughts."), "commentD": comment("Fourth thoughts."),
		"memberID": pc.people["member"].ID, "chairID": pc.people["chair"].ID,
		"spare1": pc.people["spare1"].ID, "spare2": pc.people["spare2"].ID} {
		pc.vars["{"+k+"}"] = fmt.Sprint(v)
	}
	for _, name := range []string{"steward", "chair", "member", "recused", "undeclared", "applicant", "user", "steward-other"} {
		pc.tokens[name] = env.Token(t, pc.people[name])
		b := env.NewBrowser(t)
		b.SignIn(t, pc.people[name])
		pc.browsers[name] = b
	}
	pc.browsers["anonymous"] = env.NewBrowser(t)
	return pc
}

func (pc *panelCast) expand(s string) string {
	pairs := make([]string, 0, 2*len(pc.vars))
	for k, v := range pc.vars {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// waitForRole waits until the app's authorizer knows of a role given inside
// a service's transaction (it learns of it by notification).
func waitForRole(t *testing.T, env *apptest.Env, userID int64, role authz.Role, fundID int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(env.Svc.Authz.RolesIn(userID, authz.FundDomain(fundID)), role) {
		if time.Now().After(deadline) {
			t.Fatalf("user %d never got %s in fund %d", userID, role, fundID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPanelAuthorization(t *testing.T) {
	pc := newPanelCast(t)
	rows := map[string][]access{}
	for route, rs := range panelRows {
		for _, r := range rs {
			r.body = pc.expand(r.body)
			rows[route] = append(rows[route], r)
		}
	}
	runTable(t, pc.env, rows, pc.expand, pc.tokens, pc.browsers)
}
