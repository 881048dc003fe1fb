package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/user"
)

// roundCast is who the rounds table speaks for. Fund {F} is open, {D} is
// a draft fund, {O} is another open fund.
var roundCast = []string{
	"anonymous",
	"user",          // signed in, no role, no organisation
	"steward",       // steward of {F} and of the draft fund {D}
	"steward-other", // steward of another fund {O} only
	"chair",         // panel chair of {F}
	"member",        // panel member of {F}
	"grantee",       // grantee in {F}, member of the applicant organisation
	"applicant",     // member of the applicant organisation, no role
}

// Rounds of {F} (and one of {D}), one per route that changes them, so
// rows stay independent of each other's order:
//
//	{draft}    draft; only read
//	{open}     accepting; read by all; edited once through the API
//	{pedit}    accepting; edited once through the page
//	{dfund}    a draft round of the draft fund {D}
//	{t-open}   draft → accepting (API)
//	{t-review} accepting → review (API, by the chair)
//	{t-empty}  review with no eligible application (API and page: 409)
//	{t-vote}   review with an application → voting (API)
//	{t-decide} voting → closed (API, the chair only)
//	{p-open}   draft → accepting (page)
//	{p-decide} voting → closed (page, the chair only)
var roundRows = map[string][]access{
	"GET /api/v1/funds/:id/rounds": {
		{"anonymous", "/api/v1/funds/{F}/rounds", "", 200},
		{"user", "/api/v1/funds/{F}/rounds", "", 200},
		{"member", "/api/v1/funds/{F}/rounds", "", 200},
		{"steward", "/api/v1/funds/{F}/rounds", "", 200},
		{"anonymous", "/api/v1/funds/{D}/rounds", "", 404}, // a draft fund is not public
		{"user", "/api/v1/funds/{D}/rounds", "", 404},
		{"steward-other", "/api/v1/funds/{D}/rounds", "", 404},
		{"chair", "/api/v1/funds/{D}/rounds", "", 404}, // chair of another fund
		{"steward", "/api/v1/funds/{D}/rounds", "", 200},
		{"anonymous", "/api/v1/funds/999999/rounds", "", 404},
		{"anonymous", "/api/v1/funds/x/rounds", "", 404},
	},
	"POST /api/v1/funds/:id/rounds": {
		{"anonymous", "/api/v1/funds/{F}/rounds", roundJSON, 401},
		{"user", "/api/v1/funds/{F}/rounds", roundJSON, 403},
		{"applicant", "/api/v1/funds/{F}/rounds", roundJSON, 403},
		{"grantee", "/api/v1/funds/{F}/rounds", roundJSON, 403},
		{"member", "/api/v1/funds/{F}/rounds", roundJSON, 403},
		{"chair", "/api/v1/funds/{F}/rounds", roundJSON, 403},
		{"steward-other", "/api/v1/funds/{F}/rounds", roundJSON, 403},
		{"steward", "/api/v1/funds/{O}/rounds", roundJSON, 403}, // not their fund
		{"steward", "/api/v1/funds/{F}/rounds", `{"name":"","budget_minor":100,"method":"approval"}`, 422},
		{"steward", "/api/v1/funds/{F}/rounds", `{"name":"Too much","budget_minor":900000000,"method":"approval"}`, 409},
		{"steward", "/api/v1/funds/{F}/rounds", roundJSON, 201},
		{"steward", "/api/v1/funds/{D}/rounds", roundJSON, 201}, // a draft fund takes draft rounds
		{"steward-other", "/api/v1/funds/{O}/rounds", roundJSON, 201},
	},
	"GET /api/v1/rounds/:id": {
		{"anonymous", "/api/v1/rounds/{open}", "", 200},
		{"user", "/api/v1/rounds/{open}", "", 200},
		{"applicant", "/api/v1/rounds/{open}", "", 200},
		{"anonymous", "/api/v1/rounds/{draft}", "", 404},
		{"user", "/api/v1/rounds/{draft}", "", 404},
		{"applicant", "/api/v1/rounds/{draft}", "", 404},
		{"grantee", "/api/v1/rounds/{draft}", "", 404},
		{"member", "/api/v1/rounds/{draft}", "", 404},
		{"steward-other", "/api/v1/rounds/{draft}", "", 404},
		{"chair", "/api/v1/rounds/{draft}", "", 200},
		{"steward", "/api/v1/rounds/{draft}", "", 200},
		{"anonymous", "/api/v1/rounds/{dfund}", "", 404},
		{"steward-other", "/api/v1/rounds/{dfund}", "", 404},
		{"steward", "/api/v1/rounds/{dfund}", "", 200},
		{"steward", "/api/v1/rounds/999999", "", 404},
	},
	"PATCH /api/v1/rounds/:id": {
		{"anonymous", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 401},
		{"user", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 403},
		{"applicant", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 403},
		{"grantee", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 403},
		{"member", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 403},
		{"chair", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 403},
		{"steward-other", "/api/v1/rounds/{open}", `{"version":1,"name":"X"}`, 403},
		{"user", "/api/v1/rounds/{draft}", `{"version":1,"name":"X"}`, 404},
		{"steward-other", "/api/v1/rounds/{draft}", `{"version":1,"name":"X"}`, 404},
		{"steward", "/api/v1/rounds/{open}", `{"version":1,"name":"Renamed"}`, 200},
		{"steward", "/api/v1/rounds/{open}", `{"version":1,"name":"Stale"}`, 412},
		{"steward", "/api/v1/rounds/{open}", `{"version":2,"budget_minor":0}`, 422},
	},
	"POST /api/v1/rounds/:id/transitions": {
		{"anonymous", "/api/v1/rounds/{t-open}/transitions", `{"to":"accepting"}`, 404}, // still a draft
		{"user", "/api/v1/rounds/{t-open}/transitions", `{"to":"accepting"}`, 404},
		{"member", "/api/v1/rounds/{t-open}/transitions", `{"to":"accepting"}`, 404},
		{"steward-other", "/api/v1/rounds/{t-open}/transitions", `{"to":"accepting"}`, 404},
		{"chair", "/api/v1/rounds/{t-open}/transitions", `{"to":"accepting"}`, 403}, // opening is the steward's
		{"steward", "/api/v1/rounds/{t-open}/transitions", `{"to":"review"}`, 409},
		{"steward", "/api/v1/rounds/{t-open}/transitions", `{"to":"accepting"}`, 200},
		{"steward", "/api/v1/rounds/{t-open}/transitions", `{"to":"draft"}`, 409},
		{"chair", "/api/v1/rounds/{t-open}/transitions", `{"to":"draft"}`, 409},
		{"member", "/api/v1/rounds/{t-open}/transitions", `{"to":"draft"}`, 403},
		{"anonymous", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 401},
		{"user", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 403},
		{"applicant", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 403},
		{"grantee", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 403},
		{"member", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 403},
		{"steward-other", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 403},
		{"member", "/api/v1/rounds/{t-review}/transitions", `{"to":"nowhere"}`, 403},
		{"chair", "/api/v1/rounds/{t-review}/transitions", `{"to":"nowhere"}`, 422},
		{"chair", "/api/v1/rounds/{t-review}/transitions", `{"to":"review"}`, 200},
		{"steward", "/api/v1/rounds/{t-empty}/transitions", `{"to":"voting"}`, 409},
		{"chair", "/api/v1/rounds/{t-empty}/transitions", `{"to":"voting"}`, 409},
		{"member", "/api/v1/rounds/{t-vote}/transitions", `{"to":"voting"}`, 403},
		{"steward", "/api/v1/rounds/{t-vote}/transitions", `{"to":"voting"}`, 200},
		{"member", "/api/v1/rounds/{t-decide}/transitions", `{"to":"closed"}`, 403},
		{"steward", "/api/v1/rounds/{t-decide}/transitions", `{"to":"closed"}`, 403}, // the chair's alone
		{"steward-other", "/api/v1/rounds/{t-decide}/transitions", `{"to":"closed"}`, 403},
		{"chair", "/api/v1/rounds/{t-decide}/transitions", `{"to":"closed"}`, 200},
		{"chair", "/api/v1/rounds/{t-decide}/transitions", `{"to":"closed"}`, 409},
	},

	// Pages.
	"GET /funds/:id/rounds/new": {
		{"anonymous", "/funds/{F}/rounds/new", "", 303},
		{"user", "/funds/{F}/rounds/new", "", 403},
		{"applicant", "/funds/{F}/rounds/new", "", 403},
		{"member", "/funds/{F}/rounds/new", "", 403},
		{"chair", "/funds/{F}/rounds/new", "", 403},
		{"steward-other", "/funds/{F}/rounds/new", "", 403},
		{"steward", "/funds/{F}/rounds/new", "", 200},
		{"steward", "/funds/{D}/rounds/new", "", 200},
	},
	"POST /funds/:id/rounds/new": {
		{"anonymous", "/funds/{F}/rounds/new", roundForm, 303},
		{"user", "/funds/{F}/rounds/new", roundForm, 403},
		{"grantee", "/funds/{F}/rounds/new", roundForm, 403},
		{"chair", "/funds/{F}/rounds/new", roundForm, 403},
		{"steward-other", "/funds/{F}/rounds/new", roundForm, 403},
		{"steward", "/funds/{F}/rounds/new", "name=Page+round&budget=lots&method=approval", 422},
		{"steward", "/funds/{F}/rounds/new", "name=Page+round&budget=9,000,000.00&method=approval&tie_break=lower_cost", 409},
		{"steward", "/funds/{F}/rounds/new", roundForm, 303},
	},
	"GET /rounds/:id": {
		{"anonymous", "/rounds/{open}", "", 200},
		{"user", "/rounds/{open}", "", 200},
		{"applicant", "/rounds/{open}", "", 200},
		{"member", "/rounds/{open}", "", 200},
		{"anonymous", "/rounds/{draft}", "", 404},
		{"user", "/rounds/{draft}", "", 404},
		{"grantee", "/rounds/{draft}", "", 404},
		{"member", "/rounds/{draft}", "", 404},
		{"steward-other", "/rounds/{draft}", "", 404},
		{"chair", "/rounds/{draft}", "", 200},
		{"steward", "/rounds/{draft}", "", 200},
		{"user", "/rounds/{dfund}", "", 404},
		{"steward", "/rounds/{dfund}", "", 200},
		{"anonymous", "/rounds/999999", "", 404},
	},
	"GET /rounds/:id/edit": {
		{"anonymous", "/rounds/{open}/edit", "", 303},
		{"user", "/rounds/{open}/edit", "", 403},
		{"member", "/rounds/{open}/edit", "", 403},
		{"chair", "/rounds/{open}/edit", "", 403},
		{"steward-other", "/rounds/{open}/edit", "", 403},
		{"user", "/rounds/{draft}/edit", "", 404},
		{"steward", "/rounds/{draft}/edit", "", 200},
		{"steward", "/rounds/{open}/edit", "", 200},
	},
	"POST /rounds/:id/edit": {
		{"anonymous", "/rounds/{pedit}/edit", "version=1&" + roundForm, 303},
		{"user", "/rounds/{pedit}/edit", "version=1&" + roundForm, 403},
		{"grantee", "/rounds/{pedit}/edit", "version=1&" + roundForm, 403},
		{"chair", "/rounds/{pedit}/edit", "version=1&" + roundForm, 403},
		{"steward-other", "/rounds/{pedit}/edit", "version=1&" + roundForm, 403},
		{"user", "/rounds/{draft}/edit", "version=1&" + roundForm, 404},
		{"steward", "/rounds/{pedit}/edit", "version=1&" + roundForm, 303},
		{"steward", "/rounds/{pedit}/edit", "version=1&" + roundForm, 412},
		{"steward", "/rounds/{pedit}/edit", "version=2&name=&budget=1000&method=approval&tie_break=lower_cost", 422},
	},
	"POST /rounds/:id/transitions": {
		{"anonymous", "/rounds/{p-open}/transitions", "to=accepting", 303},
		{"user", "/rounds/{p-open}/transitions", "to=accepting", 404},
		{"member", "/rounds/{p-open}/transitions", "to=accepting", 404},
		{"chair", "/rounds/{p-open}/transitions", "to=accepting", 403},
		{"steward", "/rounds/{p-open}/transitions", "to=voting", 409},
		{"steward", "/rounds/{p-open}/transitions", "to=accepting", 303},
		{"steward", "/rounds/{t-empty}/transitions", "to=voting", 409},
		{"steward", "/rounds/{p-decide}/transitions", "to=closed", 403},
		{"member", "/rounds/{p-decide}/transitions", "to=closed", 403},
		{"chair", "/rounds/{p-decide}/transitions", "to=closed", 303},
	},
}

const (
	roundJSON = `{"name":"Table round","budget_minor":1000,"method":"approval"}`
	roundForm = "name=Page+round&budget=1,000.00&applications_open_at=2026-05-01T09:00&applications_close_at=2026-06-01T17:00" +
		"&voting_open_at=2026-06-15T09:00&voting_close_at=2026-06-30T17:00&method=score&max_score=5&points=99" +
		"&quorum=2&secret_ballot=secret&tie_break=earlier_application&rule="
)

func init() { registerArea("rounds", roundRows) }

// roundsWorld is the cast and records of the rounds table.
type roundsWorld struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	ids      map[string]int64
}

func newRoundsWorld(t *testing.T) *roundsWorld {
	env := apptest.New(t)
	ctx := context.Background()
	w := &roundsWorld{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{"anonymous": env.NewBrowser(t)}, ids: map[string]int64{}}
	for _, who := range roundCast[1:] {
		w.people[who] = env.CreateUser(t, who)
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, w.people["grantee"], w.people["applicant"])
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder)
	mkFund := func(status string) int64 {
		var id int64
		err := env.DB.Raw(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
				budget_minor, currency, system_scale, status)
			VALUES (?, 'Growing Together', 'belonging', 'young people', 'Riverside', 100000000, 'GBP', 'place', ?) RETURNING id`,
			funder.ID, status).Scan(&id).Error
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	F, D, O := mkFund("open"), mkFund("draft"), mkFund("open")
	w.ids["F"], w.ids["D"], w.ids["O"] = F, D, O
	env.Grant(t, w.people["steward"], authz.Steward, authz.FundDomain(F))
	env.Grant(t, w.people["steward"], authz.Steward, authz.FundDomain(D))
	env.Grant(t, w.people["steward-other"], authz.Steward, authz.FundDomain(O))
	env.Grant(t, w.people["chair"], authz.PanelChair, authz.FundDomain(F))
	env.Grant(t, w.people["member"], authz.PanelMember, authz.FundDomain(F))
	env.Grant(t, w.people["grantee"], authz.Grantee, authz.FundDomain(F))

	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	t1, t2, t3 := t0.AddDate(0, 1, 0), t0.AddDate(0, 1, 14), t0.AddDate(0, 2, 0)
	mkRound := func(key string, fundID int64, state string) int64 {
		r, err := env.Svc.Rounds.Create(ctx, 0, fundID, round.NewRound{Name: "Round " + key, BudgetMinor: 100000,
			Windows: round.Windows{ApplicationsOpenAt: &t0, ApplicationsCloseAt: &t1, VotingOpenAt: &t2, VotingCloseAt: &t3},
			Method:  round.Approval})
		if err != nil {
			t.Fatal(err)
		}
		// Put straight into state, keeping version 1 for the edit rows.
		if err := env.DB.Exec(`UPDATE rounds SET state = ? WHERE id = ?`, state, r.ID).Error; err != nil {
			t.Fatal(err)
		}
		w.ids[key] = r.ID
		return r.ID
	}
	mkRound("draft", F, round.Draft)
	mkRound("open", F, round.Accepting)
	mkRound("pedit", F, round.Accepting)
	mkRound("dfund", D, round.Draft)
	mkRound("t-open", F, round.Draft)
	mkRound("t-review", F, round.Accepting)
	mkRound("t-empty", F, round.Review)
	vote := mkRound("t-vote", F, round.Review)
	mkRound("t-decide", F, round.Voting)
	mkRound("p-open", F, round.Draft)
	mkRound("p-decide", F, round.Voting)
	if err := env.DB.Exec(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
		VALUES (?, ?, ?, 'Garden club', 'x', 'y', 'z', 50000)`, vote, F, applicant.ID).Error; err != nil {
		t.Fatal(err)
	}

	for who, u := range w.people {
		w.tokens[who] = env.Token(t, u)
		b := env.NewBrowser(t)
		b.SignIn(t, u)
		w.browsers[who] = b
	}
	return w
}

func (w *roundsWorld) expand(s string) string {
	for k, v := range w.ids {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

func TestRoundsAuthorization(t *testing.T) {
	w := newRoundsWorld(t)
	runTable(t, w.env, roundRows, w.expand, w.tokens, w.browsers)
}

// TestRoundPages follows a steward and the panel chair through the round
// pages and checks what the pages say, beyond the statuses of the table.
func TestRoundPages(t *testing.T) {
	w := newRoundsWorld(t)
	steward, chair, user := w.browsers["steward"], w.browsers["chair"], w.browsers["user"]
	F := fmt.Sprint(w.ids["F"])
	contains := func(t *testing.T, r apptest.Response, want ...string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(string(r.Body), s) {
				t.Errorf("page (status %d) does not say %q", r.Status, s)
			}
		}
	}
	lacks := func(t *testing.T, r apptest.Response, s string) {
		t.Helper()
		if strings.Contains(string(r.Body), s) {
			t.Errorf("page says %q", s)
		}
	}

	form := steward.Get(t, "/funds/"+F+"/rounds/new")
	contains(t, form, "<legend>Voting method</legend>", "<legend>Tie-break</legend>", `type="datetime-local"`,
		"Times are in UTC", `<label for="budget">Budget (GBP)</label>`)

	r := steward.Post(t, "/funds/"+F+"/rounds/new", url.Values{"name": {"Autumn round"}, "budget": {"£1,250.50"},
		"applications_open_at": {"2026-09-01T09:00"}, "applications_close_at": {"2026-10-01T17:00"},
		"voting_open_at": {"2026-10-15T09:00"}, "voting_close_at": {"2026-10-30T17:00"},
		"method": {"cumulative"}, "points": {"10"}, "max_per_application": {"4"}, "max_score": {"7"},
		"quorum": {"1"}, "secret_ballot": {"open"}, "tie_break": {"lower_cost"}})
	loc := r.Header.Get("Location")
	if r.Status != 303 || !strings.HasPrefix(loc, "/rounds/") {
		t.Fatalf("create: %d %s %.500s", r.Status, loc, r.Body)
	}
	var stored struct {
		BudgetMinor  int64
		MethodParams string
		Rule         string
		Open         time.Time
	}
	if err := w.env.DB.Raw(`SELECT budget_minor, method_params::text AS method_params, rule, applications_open_at AS open FROM rounds WHERE id = ?`,
		strings.TrimPrefix(loc, "/rounds/")).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if stored.BudgetMinor != 125050 || stored.MethodParams != `{"points": 10, "max_per_application": 4}` || stored.Rule != "mes_points_greedy" ||
		!stored.Open.Equal(time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("stored %+v", stored)
	}

	page := steward.Get(t, loc)
	contains(t, page, "£1,250.50", "Cumulative points: each panel member spreads 10 points over the applications, at most 4 on any one.",
		"This round <strong>is a draft</strong>", "Open the round for applications", "1 Sep 2026 09:00", "Edit the round")
	lacks(t, chair.Get(t, loc), "Open the round for applications")
	lacks(t, chair.Get(t, loc), "Edit the round")

	r = steward.Post(t, loc+"/transitions", url.Values{"to": {"voting"}})
	if r.Status != 409 {
		t.Fatalf("skipping: %d", r.Status)
	}
	contains(t, r, "There is a problem", "A round moves one step at a time: from draft it can only move to accepting applications, not to voting.")

	if r = steward.Post(t, loc+"/transitions", url.Values{"to": {"accepting"}}); r.Status != 303 {
		t.Fatalf("opening: %d %.300s", r.Status, r.Body)
	}
	page = chair.Get(t, loc)
	contains(t, page, "accepting applications", "Close applications and start the panel")
	contains(t, user.Get(t, loc), "Applications are open until 1 Oct 2026 17:00 UTC")
	lacks(t, user.Get(t, loc), "<form method=\"post\" action=\""+loc+"/transitions\"")

	// Over-commit through the page: the error is in the form.
	r = steward.Post(t, "/funds/"+F+"/rounds/new", url.Values{"name": {"Huge"}, "budget": {"999,999.00"},
		"method": {"approval"}, "tie_break": {"lower_cost"}})
	if r.Status != 409 {
		t.Fatalf("over-commit: %d", r.Status)
	}
	contains(t, r, "£988,749.50 of the fund&#39;s budget is left; this round asks for £999,999.00.", `href="#budget"`)

	// Bad input names the field.
	r = steward.Post(t, "/funds/"+F+"/rounds/new", url.Values{"name": {"Scores"}, "budget": {"10.005"},
		"method": {"score"}, "max_score": {"500"}, "tie_break": {"lower_cost"}})
	if r.Status != 422 {
		t.Fatalf("bad input: %d", r.Status)
	}
	contains(t, r, "Budget must have at most 2 digits after the decimal point in GBP", `href="#budget"`)

	// A stale edit form is refused and shows the round as it is.
	edit := loc + "/edit"
	contains(t, steward.Get(t, edit), `name="version" value="2"`)
	if r = steward.Post(t, edit, url.Values{"version": {"1"}, "name": {"Lost"}, "budget": {"1"}, "method": {"approval"},
		"tie_break": {"lower_cost"}}); r.Status != 412 {
		t.Fatalf("stale edit: %d", r.Status)
	}
	contains(t, r, "Someone else changed this round", `value="Autumn round"`, `name="version" value="2"`)

	// Once voting has opened, the form offers only the name and dates.
	voting := fmt.Sprint(w.ids["t-decide"])
	page = steward.Get(t, "/rounds/"+voting+"/edit")
	contains(t, page, "Fixed since voting opened", `id="voting_close_at"`)
	lacks(t, page, `id="budget"`)
	if r = steward.Post(t, "/rounds/"+voting+"/edit", url.Values{"version": {"1"}, "name": {"Renamed while voting"},
		"applications_open_at": {"2026-05-01T09:00"}, "applications_close_at": {"2026-06-01T09:00"},
		"voting_open_at": {"2026-06-15T09:00"}, "voting_close_at": {"2026-07-15T09:00"}}); r.Status != 303 {
		t.Fatalf("edit while voting: %d %.500s", r.Status, r.Body)
	}
	contains(t, steward.Get(t, r.Header.Get("Location")), "Renamed while voting", "£1,000.00", "Your changes are saved.")
}
