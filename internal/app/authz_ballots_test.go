package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/user"
)

// The ballots' cast, in fund {fund} unless named otherwise; {round} is
// voting (approval), {closed} is decided, {secret} is voting and secret:
//
//	steward       steward of the fund
//	chair         panel chair, declared "none" on {app1} and {app2}
//	member        panel member, declared "none" on both
//	recused       panel member, recused from {app1}, "none" on {app2}
//	voter         panel member, "none" on {app1} and {app2}, who votes
//	              through the pages (so the API rows' first casts stay first)
//	applicant     member of the organisation that made the applications
//	user          signed in, no role, no organisation
//	member-other  panel member of another fund
//	anonymous     nobody signed in
var ballotRows = map[string][]access{
	"PUT /api/v1/rounds/:id/ballot": {
		{"anonymous", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1}]}`, 401},
		{"user", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1}]}`, 403},
		{"applicant", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1}]}`, 403},
		{"steward", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1}]}`, 403}, // stewards do not vote
		{"member-other", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1}]}`, 403},
		{"member", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1},{app2}]}`, 201},
		{"member", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app2}]}`, 200}, // revised
		{"member", "/api/v1/rounds/{round}/ballot", `{"scores":{"{app1}":1}}`, 422},
		{"chair", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1}]}`, 201},
		{"recused", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app1},{app2}]}`, 422},
		{"recused", "/api/v1/rounds/{round}/ballot", `{"approvals":[{app2}]}`, 201},
		{"member", "/api/v1/rounds/{closed}/ballot", `{"approvals":[]}`, 409}, // frozen, nothing written
		{"member", "/api/v1/rounds/{secret}/ballot", `{"approvals":[{secretApp}]}`, 201},
		{"member", "/api/v1/rounds/999999/ballot", `{"approvals":[]}`, 404},
	},
	"GET /api/v1/rounds/:id/ballot": {
		{"anonymous", "/api/v1/rounds/{round}/ballot", "", 401},
		{"user", "/api/v1/rounds/{round}/ballot", "", 403},
		{"applicant", "/api/v1/rounds/{round}/ballot", "", 403},
		{"steward", "/api/v1/rounds/{round}/ballot", "", 403},
		{"member-other", "/api/v1/rounds/{round}/ballot", "", 403},
		{"member", "/api/v1/rounds/{closed}/ballot", "", 200},  // their own, frozen
		{"chair", "/api/v1/rounds/{closed}/ballot", "", 404},   // has not voted there
		{"steward", "/api/v1/rounds/{closed}/ballot", "", 403}, // nobody else's
		{"member", "/api/v1/rounds/999999/ballot", "", 404},
	},
	"GET /api/v1/rounds/:id/turnout": {
		{"anonymous", "/api/v1/rounds/{round}/turnout", "", 401},
		{"user", "/api/v1/rounds/{round}/turnout", "", 403},
		{"applicant", "/api/v1/rounds/{round}/turnout", "", 403},
		{"member", "/api/v1/rounds/{round}/turnout", "", 403},
		{"recused", "/api/v1/rounds/{round}/turnout", "", 403},
		{"member-other", "/api/v1/rounds/{round}/turnout", "", 403},
		{"steward", "/api/v1/rounds/{round}/turnout", "", 200},
		{"chair", "/api/v1/rounds/{round}/turnout", "", 200},
		{"chair", "/api/v1/rounds/{secret}/turnout", "", 200},
		{"steward", "/api/v1/rounds/999999/turnout", "", 404},
	},

	// The voting pages: the same rule as the API, on the member's own
	// ballot; anonymous visitors are sent to sign in.
	"GET /rounds/:id/ballot": {
		{"anonymous", "/rounds/{round}/ballot", "", 303},
		{"user", "/rounds/{round}/ballot", "", 403},
		{"applicant", "/rounds/{round}/ballot", "", 403},
		{"steward", "/rounds/{round}/ballot", "", 403}, // stewards do not vote
		{"member-other", "/rounds/{round}/ballot", "", 403},
		{"member", "/rounds/{round}/ballot", "", 200},
		{"chair", "/rounds/{round}/ballot", "", 200},
		{"recused", "/rounds/{round}/ballot", "", 200},
		{"member", "/rounds/{closed}/ballot", "", 200}, // their own, read-only
		{"chair", "/rounds/{closed}/ballot", "", 200},  // "you did not cast a ballot"
		{"member", "/rounds/{secret}/ballot", "", 200},
		{"member", "/rounds/999999/ballot", "", 404},
	},
	"POST /rounds/:id/ballot/review": {
		{"anonymous", "/rounds/{round}/ballot/review", "approve-{app1}=yes", 303},
		{"user", "/rounds/{round}/ballot/review", "approve-{app1}=yes", 403},
		{"applicant", "/rounds/{round}/ballot/review", "approve-{app1}=yes", 403},
		{"steward", "/rounds/{round}/ballot/review", "approve-{app1}=yes", 403},
		{"member-other", "/rounds/{round}/ballot/review", "approve-{app1}=yes", 403},
		{"member", "/rounds/{round}/ballot/review", "approve-{app1}=yes&approve-{app2}=yes", 200}, // checked, not written
		{"recused", "/rounds/{round}/ballot/review", "approve-{app1}=yes", 422},
		{"member", "/rounds/{closed}/ballot/review", "approve-{closedApp}=yes", 409},
		{"member", "/rounds/999999/ballot/review", "", 404},
	},
	"POST /rounds/:id/ballot": {
		{"anonymous", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes", 303},
		{"user", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes", 403},
		{"applicant", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes", 403},
		{"steward", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes", 403},
		{"member-other", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes", 403},
		{"voter", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes", 303},
		{"voter", "/rounds/{round}/ballot", "step=change&approve-{app2}=yes", 200},                    // back to the form, nothing written
		{"recused", "/rounds/{round}/ballot", "step=save&approve-{app1}=yes&approve-{app2}=yes", 422}, // nothing written
		{"voter", "/rounds/{secret}/ballot", "step=save&approve-{secretApp}=yes", 422},                // not declared on it
		{"member", "/rounds/{closed}/ballot", "step=save&approve-{closedApp}=yes", 409},               // frozen
		{"voter", "/rounds/999999/ballot", "step=save", 404},
	},
}

func init() { registerArea("ballots", ballotRows) }

type ballotCast struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	vars     map[string]string
}

func newBallotCast(t *testing.T) *ballotCast {
	env := apptest.New(t)
	ctx := context.Background()
	bc := &ballotCast{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, vars: map[string]string{}}
	names := []string{"steward", "chair", "member", "recused", "voter", "applicant", "user", "member-other"}
	for _, name := range names {
		bc.people[name] = env.CreateUser(t, name)
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, bc.people["applicant"])
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
	fund, other := newFund(), newFund()
	newRound := func(secret bool) int64 {
		return id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
			voting_close_at, method, rule, quorum, tie_break, state, secret_ballot) VALUES (?, 'Spring round', 1000000,
			now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
			'approval', 'greedy_cost', 2, 'lower_cost', 'review', ?) RETURNING id`, fund, secret)
	}
	round, closed, secret := newRound(false), newRound(false), newRound(true)
	newApp := func(roundID int64, title string) int64 {
		return id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, roundID, fund, applicant.ID, title)
	}
	app1, app2, secretApp := newApp(round, "Youth kitchen"), newApp(round, "Walking group"), newApp(secret, "Choir")
	closedApp := newApp(closed, "Library")

	env.Grant(t, bc.people["steward"], authz.Steward, authz.FundDomain(fund))
	env.Grant(t, bc.people["member-other"], authz.PanelMember, authz.FundDomain(other))
	steward := bc.people["steward"].ID
	for name, role := range map[string]string{"chair": panel.Chair, "member": panel.Member, "recused": panel.Member, "voter": panel.Member} {
		if _, err := env.Svc.Panels.AddMember(ctx, steward, fund, panel.NewMember{UserID: bc.people[name].ID, Role: role, ChosenBy: "lottery"}); err != nil {
			t.Fatal(err)
		}
		waitForRole(t, env, bc.people[name].ID, authz.Role(panel.SeatRoles[role]), fund)
	}
	none := func(app int64) panel.DeclarationEntry {
		return panel.DeclarationEntry{ApplicationID: app, Kind: panel.NoConflict}
	}
	declare := func(name string, r int64, entries ...panel.DeclarationEntry) {
		t.Helper()
		if _, err := env.Svc.Panels.Declare(ctx, bc.people[name].ID, r, panel.DeclarationSet{Declarations: entries}); err != nil {
			t.Fatal(err)
		}
	}
	declare("chair", round, none(app1), none(app2))
	declare("member", round, none(app1), none(app2))
	declare("voter", round, none(app1), none(app2))
	declare("member", secret, none(secretApp))
	declare("recused", round, panel.DeclarationEntry{ApplicationID: app1, Kind: panel.Recused, Note: "My sister runs it."}, none(app2))
	declare("member", closed, none(closedApp))
	if err := env.DB.Exec(`UPDATE rounds SET state = 'voting' WHERE id IN (?, ?, ?)`, round, closed, secret).Error; err != nil {
		t.Fatal(err)
	}
	// The member voted in {closed} before it closed.
	if _, _, err := env.Svc.Ballots.Cast(ctx, bc.people["member"].ID, closed, ballot.Contents{Approvals: []int64{closedApp}}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Exec(`UPDATE rounds SET state = 'decided' WHERE id = ?`, closed).Error; err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]int64{"fund": fund, "round": round, "closed": closed, "secret": secret,
		"app1": app1, "app2": app2, "secretApp": secretApp, "closedApp": closedApp} {
		bc.vars["{"+k+"}"] = fmt.Sprint(v)
	}
	for _, name := range names {
		bc.tokens[name] = env.Token(t, bc.people[name])
		b := env.NewBrowser(t)
		b.SignIn(t, bc.people[name])
		bc.browsers[name] = b
	}
	bc.browsers["anonymous"] = env.NewBrowser(t)
	return bc
}

func (bc *ballotCast) expand(s string) string {
	pairs := make([]string, 0, 2*len(bc.vars))
	for k, v := range bc.vars {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func TestBallotAuthorization(t *testing.T) {
	bc := newBallotCast(t)
	rows := map[string][]access{}
	for route, rs := range ballotRows {
		for _, r := range rs {
			r.body = bc.expand(r.body)
			rows[route] = append(rows[route], r)
		}
	}
	runTable(t, bc.env, rows, bc.expand, bc.tokens, bc.browsers)

	// The refused revision of the closed round wrote nothing.
	r := bc.env.Do(t, "GET", bc.expand("/api/v1/rounds/{closed}/ballot"), bc.tokens["member"], nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), bc.expand(`"approvals":[{closedApp}]`)) || !strings.Contains(string(r.Body), `"version":1`) {
		t.Fatalf("frozen ballot: %d %s", r.Status, r.Body)
	}

	// Turnout is counts only; a secret ballot is nowhere in it.
	r = bc.env.Do(t, "GET", bc.expand("/api/v1/rounds/{secret}/turnout"), bc.tokens["chair"], nil)
	if r.Status != 200 || strings.Contains(string(r.Body), "approvals") || strings.Contains(string(r.Body), bc.vars["{secretApp}"]+"]") {
		t.Fatalf("turnout: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(r.Body), `"voted":1`) {
		t.Fatalf("turnout: %s", r.Body)
	}

	// The voter's ballot is the one they saved through the pages: going
	// back to the form wrote nothing, and nor did the refused ones.
	r = bc.env.Do(t, "GET", bc.expand("/api/v1/rounds/{round}/ballot"), bc.tokens["voter"], nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), bc.expand(`"approvals":[{app1}]`)) || !strings.Contains(string(r.Body), `"version":1`) {
		t.Fatalf("the voter's ballot: %d %s", r.Status, r.Body)
	}
	r = bc.env.Do(t, "GET", bc.expand("/api/v1/rounds/{secret}/ballot"), bc.tokens["voter"], nil)
	if r.Status != 404 {
		t.Fatalf("the voter's refused secret ballot: %d %s", r.Status, r.Body)
	}

	// The pages show a member their own ballot and nobody else's: by
	// content, not only by status.
	page := func(who, path string) string {
		t.Helper()
		r := bc.browsers[who].Get(t, bc.expand(path))
		return string(r.Body)
	}
	if got := page("member", "/rounds/{closed}/ballot"); !strings.Contains(got, "Voting has closed") ||
		!strings.Contains(got, "Library") || !strings.Contains(got, "You support 1 application") || strings.Contains(got, "<form method=\"post\" action=\"/rounds/") {
		t.Errorf("the member's closed ballot page:\n%s", got)
	}
	if got := page("chair", "/rounds/{closed}/ballot"); !strings.Contains(got, "You did not cast a ballot in this round.") ||
		strings.Contains(got, "Library") || strings.Contains(got, "You support") {
		t.Errorf("the chair's page of a round they did not vote in shows a ballot:\n%s", got)
	}
	if got := page("chair", "/rounds/{secret}/ballot"); strings.Contains(got, "You saved a ballot") || strings.Contains(got, "checked") {
		t.Errorf("the chair's page of the secret round shows a ballot:\n%s", got)
	}
	for _, who := range []string{"steward", "applicant", "member-other", "user"} {
		for _, path := range []string{"/rounds/{closed}/ballot", "/rounds/{secret}/ballot", "/rounds/{round}/ballot"} {
			if got := page(who, path); strings.Contains(got, "Library") || strings.Contains(got, "Youth kitchen") ||
				strings.Contains(got, "Choir") || strings.Contains(got, "You support") {
				t.Errorf("%s's page %s shows a ballot:\n%s", who, path, got)
			}
		}
	}
	// A recused member's stale form is refused naming the application.
	rr := bc.browsers["recused"].Post(t, bc.expand("/rounds/{round}/ballot/review"), url.Values{bc.expand("approve-{app1}"): {"yes"}})
	if rr.Status != 422 || !strings.Contains(string(rr.Body), "You are recused from “Youth kitchen”, so it cannot be on your ballot") ||
		!strings.Contains(string(rr.Body), bc.expand(`href="#app-{app1}"`)) {
		t.Errorf("the recused member's refused ballot: %d\n%s", rr.Status, rr.Body)
	}
	if got := page("member", "/rounds/{secret}/ballot"); !strings.Contains(got, "Choir") || !strings.Contains(got, "checked") ||
		!strings.Contains(got, "Secret: nobody but the member who cast a ballot ever sees it.") {
		t.Errorf("the member's own secret ballot:\n%s", got)
	}
}
