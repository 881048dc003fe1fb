package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/agreement"
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

	demoLearning(t, env, grants.Items)
	demoPeerLearning(t, env, decided.FundID)

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

// demoLearning checks what the demo seeds after the decided round: a
// learning agreement signed twice, one signed once, two submitted
// accounts answered by the stewards, and the funder's reflection, each
// read as its readers may.
func demoLearning(t *testing.T, env *apptest.Env, grants []decision.Grant) {
	t.Helper()
	ctx := t.Context()
	token := func(email string) string {
		u, err := env.Svc.Users.ByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return env.Token(t, u)
	}
	amara, tom, priya, june := token("amara@example.org"), token("tom@example.org"), token("priya@example.org"), token("june@example.org")
	byTitle := map[string]int64{}
	for _, g := range grants {
		byTitle[g.Title] = g.ID
	}
	keys, cooking := byTitle["Evening key-holders for the community room"], byTitle["Cooking across languages"]
	if keys == 0 || cooking == 0 {
		t.Fatalf("the demo's grants: %v", byTitle)
	}

	// Tom reads both signed versions of his agreement, and what changed.
	var versions struct {
		Items []agreement.Version `json:"items"`
	}
	demoGet(t, env, "/api/v1/grants/"+demoID(keys)+"/agreement/versions", tom, http.StatusOK, &versions)
	if len(versions.Items) != 2 {
		t.Fatalf("the key-holders' agreement has %d versions, want 2", len(versions.Items))
	}
	for _, v := range versions.Items {
		if v.Status != agreement.Signed || v.SignedBy(agreement.Funder) == nil || v.SignedBy(agreement.Grantee) == nil {
			t.Errorf("version %d: %s, signatures %+v", v.Number, v.Status, v.Signatures)
		}
		if missing := v.Content.Missing(); len(missing) > 0 || len(v.Content.LearningSignals) == 0 || v.Content.Reflection.EveryMonths != 3 {
			t.Errorf("version %d: missing %v, %d signals, every %d months", v.Number, missing, len(v.Content.LearningSignals),
				v.Content.Reflection.EveryMonths)
		}
	}
	v1, v2 := versions.Items[0].Content, versions.Items[1].Content
	if len(v2.LearningSignals) != len(v1.LearningSignals)+1 || v2.LearningQuestions[0] == v1.LearningQuestions[0] {
		t.Errorf("version 2 should change a learning question and add a signal: %+v", v2)
	}
	var ch agreement.Changes
	demoGet(t, env, "/api/v1/grants/"+demoID(keys)+"/agreement/versions/2/changes", tom, http.StatusOK, &ch)
	if ch.Changed == 0 {
		t.Errorf("no changes between versions 1 and 2: %+v", ch)
	}
	var ag agreement.Agreement
	demoGet(t, env, "/api/v1/grants/"+demoID(cooking)+"/agreement", priya, http.StatusOK, &ag)
	if ag.Versions != 1 || ag.Signed == nil || ag.Draft != nil {
		t.Errorf("the cooking agreement: %d versions, signed %v, draft %v", ag.Versions, ag.Signed, ag.Draft)
	}
	if r := env.Do(t, http.MethodGet, "/api/v1/grants/"+demoID(keys)+"/agreement", priya, nil); r.Status != http.StatusForbidden {
		t.Errorf("priya reads tom's agreement: %d", r.Status)
	}

	// The fund's learning page: two accounts answered in time, nothing
	// overdue on either side, one published reflection.
	var l account.Learning
	demoGet(t, env, "/api/v1/funds/1/learning", amara, http.StatusOK, &l)
	if len(l.Responses) != 2 || len(l.LateResponses) != 0 || len(l.OverdueAccounts) != 0 {
		t.Fatalf("learning: %d responses, %d late, %d overdue accounts", len(l.Responses), len(l.LateResponses), len(l.OverdueAccounts))
	}
	if len(l.Reflections) != 1 || l.Reflections[0].Status != account.Published {
		t.Errorf("learning: reflections %+v", l.Reflections)
	}
	for _, g := range l.Grants {
		if g.GrantID != keys && g.GrantID != cooking {
			continue
		}
		states := map[string]int{}
		for _, p := range g.Cadence.Periods {
			states[p.State]++
		}
		if !g.Cadence.AgreementSigned || states["received"] != 1 || states["due"] != 1 || states["overdue"] != 0 {
			t.Errorf("grant %d: cadence %+v", g.GrantID, g.Cadence)
		}
	}
	stories := 0
	for _, row := range l.Responses {
		if row.SentAt == nil {
			t.Errorf("account %d has no response", row.AccountID)
		}
		path := "/api/v1/accounts/" + demoID(row.AccountID)
		owner, peer := tom, priya
		if row.GrantID == cooking {
			owner, peer = priya, tom
		}
		var resp account.Response
		demoGet(t, env, path+"/response", owner, http.StatusOK, &resp)
		if resp.Body == "" || resp.Late {
			t.Errorf("account %d: response %+v", row.AccountID, resp)
		}
		// Section visibility: the owner reads every section; another
		// grantee and the panel read what is shared with peers; anyone
		// reads only what is public.
		seen := map[string]map[string]int{}
		for who, tok := range map[string]string{"owner": owner, "peer": peer, "panel": june, "anyone": ""} {
			var a account.Account
			demoGet(t, env, path, tok, http.StatusOK, &a)
			if a.Status != account.Submitted {
				t.Errorf("account %d is %s", row.AccountID, a.Status)
			}
			seen[who] = map[string]int{}
			for _, sec := range a.Sections {
				seen[who][sec.Visibility]++
				if who == "owner" {
					stories += len(sec.Stories)
				} else if who == "anyone" && len(sec.Stories) > 0 {
					t.Errorf("account %d: anyone reads a story", row.AccountID)
				}
			}
		}
		if len(seen["owner"]) != 3 || seen["owner"][account.FunderAndPartner] == 0 {
			t.Errorf("account %d: the owner reads %v, want sections at all three visibilities", row.AccountID, seen["owner"])
		}
		for _, who := range []string{"peer", "panel"} {
			if seen[who][account.FunderAndPartner] != 0 || seen[who][account.Peers] == 0 || seen[who][account.Public] == 0 {
				t.Errorf("account %d: %s reads %v", row.AccountID, who, seen[who])
			}
		}
		if len(seen["anyone"]) != 1 || seen["anyone"][account.Public] == 0 {
			t.Errorf("account %d: anyone reads %v, want public sections only", row.AccountID, seen["anyone"])
		}
	}
	if stories != 1 {
		t.Errorf("%d stories in the accounts, want 1", stories)
	}

	// The funder's reflection is read by the fund's grantees and panel, not
	// by anyone.
	var refl struct {
		Items []account.Meta `json:"items"`
	}
	demoGet(t, env, "/api/v1/funds/1/reflections", tom, http.StatusOK, &refl)
	if len(refl.Items) != 1 || refl.Items[0].Kind != account.Funder || refl.Items[0].AuthorName != "Amara Okafor" {
		t.Fatalf("tom reads reflections %+v", refl.Items)
	}
	var a account.Account
	demoGet(t, env, "/api/v1/reflections/"+demoID(refl.Items[0].ID), june, http.StatusOK, &a)
	if len(a.Sections) < 5 {
		t.Errorf("june reads %d sections of the funder's reflection", len(a.Sections))
	}
	demoGet(t, env, "/api/v1/reflections/"+demoID(refl.Items[0].ID), "", http.StatusNotFound, nil)

	// The pages: anyone reads the public part of tom's account, and the
	// fund page lists the grants with links to their accounts; the
	// steward's fund page links to the learning page and the reflections.
	b := env.NewBrowser(t)
	for _, row := range l.Responses {
		if row.GrantID != keys {
			continue
		}
		page := string(b.Get(t, "/accounts/"+demoID(row.AccountID)).Body)
		if !strings.Contains(page, "Residents will look after a space") || strings.Contains(page, "Hardly any young parents came") ||
			strings.Contains(page, "Mariam") {
			t.Errorf("anyone's page of tom's account shows the wrong sections:\n%s", page)
		}
	}
	fundPage := string(b.Get(t, "/funds/1").Body)
	for _, want := range []string{"Cooking across languages", "Shared Tables", "/grants/" + demoID(keys) + "/accounts"} {
		if !strings.Contains(fundPage, want) {
			t.Errorf("anyone's fund page lacks %q", want)
		}
	}
	if strings.Contains(fundPage, "/funds/1/learning") || strings.Contains(fundPage, "/grants/"+demoID(keys)+"/agreement") {
		t.Errorf("anyone's fund page links to the learning page or an agreement")
	}
	if r := b.Post(t, "/sign-in", url.Values{"email": {"amara@example.org"}, "password": {app.DemoPassword}}); r.Status != http.StatusSeeOther {
		t.Fatalf("amara signs in: %d", r.Status)
	}
	fundPage = string(b.Get(t, "/funds/1").Body)
	for _, want := range []string{"/funds/1/learning", "/funds/1/reflections", "/grants/" + demoID(keys) + "/agreement"} {
		if !strings.Contains(fundPage, want) {
			t.Errorf("amara's fund page lacks %q", want)
		}
	}
	if page := b.Get(t, "/funds/1/learning"); page.Status != http.StatusOK || !strings.Contains(string(page.Body), "Shared Tables") {
		t.Errorf("amara's learning page: %d", page.Status)
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
