package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/app"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/user"
)

// TestDemo seeds the demo and walks through what its README paragraph
// promises: a decided round with grants and a public result, a round
// open for voting where the chair still has a ballot to cast, and a round
// under review. Seeding again changes nothing.
func TestDemo(t *testing.T) {
	env := apptest.New(t)
	ctx := t.Context()
	if err := app.SeedDemo(ctx, env.Svc); err != nil {
		t.Fatal(err)
	}
	rounds, _, err := env.Svc.Rounds.List(ctx, 1, true, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]round.Round{}
	for _, r := range rounds {
		byName[r.Name] = r
	}
	decided, voting, review := byName[app.DemoDecidedRound], byName[app.DemoVotingRound], byName[app.DemoReviewRound]
	for r, want := range map[*round.Round]string{&decided: round.Decided, &voting: round.Voting, &review: round.Review} {
		if r.State != want {
			t.Errorf("round %q (%d) is %q, want %q", r.Name, r.ID, r.State, want)
		}
		if !r.VotingCloseAt.After(*r.VotingOpenAt) || r.VotingOpenAt.Before(*r.ApplicationsCloseAt) ||
			!r.ApplicationsCloseAt.After(*r.ApplicationsOpenAt) {
			t.Errorf("round %q has windows out of order: %v %v %v %v", r.Name, r.ApplicationsOpenAt, r.ApplicationsCloseAt,
				r.VotingOpenAt, r.VotingCloseAt)
		}
	}
	if !decided.VotingCloseAt.Before(*voting.VotingOpenAt) || !voting.VotingCloseAt.After(*voting.VotingOpenAt) {
		t.Errorf("the decided round's voting should close before the voting round's opens")
	}
	person := func(email string) user.User {
		u, err := env.Svc.Users.ByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	june, tom := person("june@example.org"), person("tom@example.org")

	// The decided round: anyone reads the decision (without feedback), the
	// result and its recomputation; three grants were made.
	var d decision.Decision
	demoGet(t, env, "/api/v1/rounds/"+demoID(decided.ID)+"/decision", "", http.StatusOK, &d)
	if d.Status != decision.Final || len(d.Applications) != 4 || d.TotalMinor != 3_300_000 {
		t.Fatalf("decision: status %q, %d applications, total %d", d.Status, len(d.Applications), d.TotalMinor)
	}
	funded := 0
	for _, a := range d.Applications {
		if a.Rationale == "" || a.Feedback != "" {
			t.Errorf("application %d: rationale %q, feedback %q in the public decision", a.ApplicationID, a.Rationale, a.Feedback)
		}
		if a.Funded {
			funded++
		} else if a.Title != "A mobile kitchen for the far towers" {
			t.Errorf("%q was not funded; the demo's words say it was", a.Title)
		}
	}
	if funded != 3 {
		t.Errorf("%d applications funded, want 3", funded)
	}
	var res decision.Result
	demoGet(t, env, "/api/v1/rounds/"+demoID(decided.ID)+"/result", "", http.StatusOK, &res)
	if res.Ballots != 3 || len(res.Outcome.Funded) != 3 {
		t.Errorf("result: %d ballots, funded %v", res.Ballots, res.Outcome.Funded)
	}
	var rc decision.Recomputation
	demoGet(t, env, "/api/v1/rounds/"+demoID(decided.ID)+"/result/recompute", "", http.StatusOK, &rc)
	if !rc.Matches {
		t.Errorf("recomputation does not match: %+v", rc)
	}
	var grants struct {
		Items []decision.Grant `json:"items"`
	}
	demoGet(t, env, "/api/v1/funds/1/grants", "", http.StatusOK, &grants)
	if len(grants.Items) != 3 {
		t.Fatalf("%d grants, want 3", len(grants.Items))
	}
	// tom is a grantee now: he reads his grant's instalments and his
	// feedback.
	tomToken := env.Token(t, tom)
	for _, g := range grants.Items {
		if g.OrganisationName != "Eastfield Tenants' Network" {
			continue
		}
		var full decision.Grant
		demoGet(t, env, "/api/v1/grants/"+demoID(g.ID), tomToken, http.StatusOK, &full)
		if len(full.Instalments) != 4 {
			t.Errorf("grant %d: %d instalments, want 4", g.ID, len(full.Instalments))
		}
		var mine struct {
			Decision decision.Application `json:"decision"`
		}
		demoGet(t, env, "/api/v1/applications/"+demoID(g.ApplicationID)+"/decision", tomToken, http.StatusOK, &mine)
		if mine.Decision.Feedback == "" {
			t.Errorf("tom reads no feedback on application %d", g.ApplicationID)
		}
	}

	// The voting round: two of three have voted; june has declared and
	// not voted, and her ballot meets the quorum.
	juneToken := env.Token(t, june)
	var turnout ballot.Turnout
	demoGet(t, env, "/api/v1/rounds/"+demoID(voting.ID)+"/turnout", juneToken, http.StatusOK, &turnout)
	if turnout.Voted != 2 || turnout.PanelSize != 3 {
		t.Errorf("turnout %+v, want 2 of 3", turnout)
	}
	demoGet(t, env, "/api/v1/rounds/"+demoID(voting.ID)+"/ballot", juneToken, http.StatusNotFound, nil)
	b := env.NewBrowser(t)
	if r := b.Post(t, "/sign-in", url.Values{"email": {june.Email}, "password": {app.DemoPassword}}); r.Status != http.StatusSeeOther {
		t.Fatalf("june signs in with the demo password: %d", r.Status)
	}
	page := b.Get(t, "/rounds/"+demoID(voting.ID)+"/ballot")
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "Draught-proofing together") {
		t.Fatalf("june's voting page: %d\n%s", page.Status, page.Body)
	}
	apps, err := env.Svc.Ballots.Applications(ctx, voting.ID, june.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, a := range apps {
		if !a.Votable() {
			t.Errorf("june cannot vote on %q (declaration %q)", a.Title, a.Declaration)
		}
		ids = append(ids, a.ID)
	}
	body := `{"scores":{`
	for i, id := range ids { // three out of five for each
		if i > 0 {
			body += ","
		}
		body += `"` + demoID(id) + `":3`
	}
	body += `}}`
	if r := env.Do(t, http.MethodPut, "/api/v1/rounds/"+demoID(voting.ID)+"/ballot", juneToken, body); r.Status != http.StatusCreated {
		t.Fatalf("june's ballot: %d %s", r.Status, r.Body)
	}
	if _, err := env.Svc.Rounds.Transition(ctx, june.ID, voting.ID, round.Closed); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Decisions.Result(ctx, voting.ID); err != nil {
		t.Errorf("closing the voting round with june's ballot computes no result: %v", err)
	}

	// Seeding again is a no-op.
	if err := app.SeedDemo(context.Background(), env.Svc); err != nil {
		t.Fatal(err)
	}
	if again, _, _ := env.Svc.Rounds.List(ctx, 1, true, 0, 10); len(again) != 3 {
		t.Errorf("after seeding twice the fund has %d rounds", len(again))
	}
}

func demoGet(t *testing.T, env *apptest.Env, path, token string, status int, v any) {
	t.Helper()
	r := env.Do(t, http.MethodGet, path, token, nil)
	if r.Status != status {
		t.Fatalf("GET %s: %d, want %d: %s", path, r.Status, status, r.Body)
	}
	if v != nil {
		r.JSON(t, v)
	}
}

func demoID(id int64) string { return strconv.FormatInt(id, 10) }
