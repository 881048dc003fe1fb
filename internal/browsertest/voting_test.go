package browsertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
)

// votingRound is a round in voting with five applications, on which the
// member has declared: no conflict (orchard, walks), disclosed (kitchen),
// recused (choir), nothing yet (café).
type votingRound struct {
	id                                   int64
	orchard, kitchen, walks, choir, cafe int64
}

// A panel member votes in a round of each method through the pages — the
// form, the review of "my ballot", the save — and the ballot stored is
// the one they reviewed. Mistakes (approvals over the budget, one rank
// given twice) come back on the form with an error summary naming the
// field and the member's input kept; "Change it" on the review goes back
// to the form as it was. axe finds nothing on any of the pages, at desktop
// and phone widths.
func TestVotingEveryMethod(t *testing.T) {
	env, ctx := start(t)
	bg := context.Background()
	steward := env.CreateUser(t, "Sam Steward")
	member := env.CreateUser(t, "Priya Patel")
	makers := env.CreateOrg(t, "Hillside Makers", org.Applicant)
	fundID := applicationtest.Fund(t, env.DB, "Riverside Futures")
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fundID))
	if _, err := env.Svc.Panels.AddMember(bg, steward.ID, fundID, panel.NewMember{UserID: member.ID, Role: panel.Member, ChosenBy: "lottery"}); err != nil {
		t.Fatal(err)
	}
	waitForPanelRole(t, env, member.ID, fundID)

	newRound := func(name, method, params string) votingRound {
		t.Helper()
		var r votingRound
		if err := env.DB.Raw(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at,
			voting_open_at, voting_close_at, method, method_params, rule, quorum, tie_break, state) VALUES (?, ?, 1000000,
			now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
			?, ?::jsonb, 'greedy_cost', 0, 'lower_cost', 'review') RETURNING id`, fundID, name, method, params).Scan(&r.id).Error; err != nil {
			t.Fatal(err)
		}
		app := func(title, kind string) int64 {
			id := applicationtest.Application(t, env.DB, r.id, makers.ID, title)
			if kind != "" {
				applicationtest.Declare(t, env.DB, id, member.ID, kind)
			}
			return id
		}
		r.orchard = app("Community orchard", "none")
		r.kitchen = app("Pop-up kitchen", "disclosed")
		r.walks = app("Walking group", "none")
		r.choir = app("Youth choir", "recused")
		r.cafe = app("Repair café", "")
		applicationtest.SetRoundState(t, env.DB, r.id, "voting")
		return r
	}
	approval := newRound("Approval round", "approval", `{}`)
	budget := newRound("Budget round", "approval_budget", `{}`)
	score := newRound("Score round", "score", `{"max_score":5}`)
	ranking := newRound("Ranking round", "ranking", `{}`)
	cumulative := newRound("Points round", "cumulative", `{"points":10,"max_per_application":6}`)

	wantStatus(t, "sign in", signIn(t, ctx, env, member.Email, apptest.Password), http.StatusOK)

	// openForm goes from the round's page to the voting form.
	openForm := func(r votingRound, name string) {
		t.Helper()
		wantStatus(t, "GET the round", bt.Navigate(t, ctx, fmt.Sprintf("%s/rounds/%d", env.URL, r.id)), http.StatusOK)
		wantStatus(t, "follow Vote", bt.FollowLink(t, ctx, "Vote"), http.StatusOK)
		wantPath(t, ctx, env, fmt.Sprintf("/rounds/%d/ballot", r.id))
		wantText(t, ctx, "h1", "Your ballot")
		notOn := bt.Text(t, ctx, "section[aria-labelledby=not-on-ballot-title]")
		for _, want := range []string{"Youth choir: you are recused from this application", "Repair café: declare any conflict of interest"} {
			if !strings.Contains(notOn, want) {
				t.Errorf("%s: “Not on your ballot” lacks %q: %q", name, want, notOn)
			}
		}
		if n := bt.Count(t, ctx, fmt.Sprintf(`[name$="-%d"], [name$="-%d"]`, r.choir, r.cafe)); n != 0 {
			t.Errorf("%s: the form has %d control(s) for the recused and undeclared applications", name, n)
		}
		bt.CheckA11y(t, ctx, name+" form")
	}
	// review sends the form and checks the review page's ballot.
	review := func(name, summary string, items ...string) {
		t.Helper()
		wantStatus(t, "review "+name, bt.ClickButton(t, ctx, "Review my ballot"), http.StatusOK)
		wantText(t, ctx, "h1", "Check your ballot")
		wantText(t, ctx, "#my-ballot-title + p", summary)
		if got := bt.Texts(t, ctx, ".ballot li"); !slices.Equal(got, items) {
			t.Errorf("%s review lists %q, want %q", name, got, items)
		}
		bt.CheckA11y(t, ctx, name+" review")
	}
	// save saves the reviewed ballot and reads back what was stored.
	save := func(r votingRound, name string) ballot.Contents {
		t.Helper()
		wantStatus(t, "save "+name, bt.ClickButton(t, ctx, "Save my ballot"), http.StatusOK)
		wantPath(t, ctx, env, fmt.Sprintf("/rounds/%d/ballot?saved=1", r.id))
		wantText(t, ctx, ".notice", "Your ballot is saved. You can change it until voting closes.")
		b, err := env.Svc.Ballots.Get(bg, r.id, member.ID)
		if err != nil {
			t.Fatalf("%s: the saved ballot: %v", name, err)
		}
		return b.Contents
	}
	ids := func(vs ...int64) []int64 { return vs }
	key := func(id int64) string { return strconv.FormatInt(id, 10) }

	// Approval.
	openForm(approval, "approval")
	if got := bt.Texts(t, ctx, "#ballot-choices label"); strings.Join(got, "|") != "Community orchard|Pop-up kitchen|Walking group" {
		t.Errorf("the approval form asks about %q", got)
	}
	clickLabel(t, ctx, fmt.Sprintf("approve-%d", approval.orchard))
	clickLabel(t, ctx, fmt.Sprintf("approve-%d", approval.walks))
	review("approval", "You support 2 applications, which ask for £10,000.00 together.",
		"Community orchard from Hillside Makers: asks for £5,000.00", "Walking group from Hillside Makers: asks for £5,000.00")
	if got := bt.Text(t, ctx, ".ballot-others"); got != "Pop-up kitchen from Hillside Makers" {
		t.Errorf("the approval review leaves out %q", got)
	}
	if c := save(approval, "approval"); !slices.Equal(c.Approvals, ids(approval.orchard, approval.walks)) {
		t.Errorf("approval: stored %+v", c)
	}
	// The form shows the saved ballot.
	if !bt.Eval[bool](t, ctx, fmt.Sprintf(`document.getElementById('approve-%d').checked && !document.getElementById('approve-%d').checked`,
		approval.orchard, approval.kitchen)) {
		t.Errorf("the approval form does not show the saved ballot")
	}

	// Approval within the budget: over it first.
	openForm(budget, "approval within the budget")
	if got := bt.Text(t, ctx, "#ballot-choices-hint"); !strings.Contains(got, "must fit the round's budget of £10,000.00") {
		t.Errorf("the budget form's hint: %q", got)
	}
	for _, id := range ids(budget.orchard, budget.kitchen, budget.walks) {
		clickLabel(t, ctx, fmt.Sprintf("approve-%d", id))
	}
	wantStatus(t, "review over the budget", bt.ClickButton(t, ctx, "Review my ballot"), http.StatusUnprocessableEntity)
	const overBudget = "The applications you support ask for £15,000.00 together, more than the round's budget of £10,000.00: support fewer"
	if got := bt.Texts(t, ctx, ".error-summary a"); !slices.Equal(got, []string{overBudget}) {
		t.Errorf("the error summary over the budget: %q", got)
	}
	if href := bt.Attr(t, ctx, ".error-summary a", "href"); href != "#ballot-choices" {
		t.Errorf("the over-budget error links to %q", href)
	}
	wantText(t, ctx, "#ballot-choices-error", "Error: "+overBudget)
	wantFocus(t, ctx, "div.error-summary")
	if !bt.Eval[bool](t, ctx, fmt.Sprintf(`[%d, %d, %d].every(id => document.getElementById('approve-' + id).checked)`,
		budget.orchard, budget.kitchen, budget.walks)) {
		t.Errorf("the ticks are lost after the error")
	}
	if _, err := env.Svc.Ballots.Get(bg, budget.id, member.ID); !ballot.IsNotFound(err) {
		t.Errorf("a refused ballot was stored (%v)", err)
	}
	bt.CheckA11y(t, ctx, "approval within the budget (over it)")
	bt.ClickInPage(t, ctx, fmt.Sprintf(`label[for="approve-%d"]`, budget.kitchen)) // untick
	review("approval within the budget", "You support 2 applications, which ask for £10,000.00 together. The round's budget is £10,000.00.",
		"Community orchard from Hillside Makers: asks for £5,000.00", "Walking group from Hillside Makers: asks for £5,000.00")
	if c := save(budget, "approval within the budget"); !slices.Equal(c.Approvals, ids(budget.orchard, budget.walks)) {
		t.Errorf("approval within the budget: stored %+v", c)
	}

	// Scores, with "Change it" on the review.
	openForm(score, "scores")
	if got := bt.Texts(t, ctx, "#ballot-choices fieldset > legend"); strings.Join(got, "|") != "Community orchard|Pop-up kitchen|Walking group" {
		t.Errorf("the score form asks about %q", got)
	}
	clickLabel(t, ctx, fmt.Sprintf("score-%d-4", score.orchard))
	clickLabel(t, ctx, fmt.Sprintf("score-%d-dont_know", score.kitchen))
	clickLabel(t, ctx, fmt.Sprintf("score-%d", score.walks)) // 0
	review("scores", "You score applications from 0 to 5; “Don't know” counts neither for nor against.",
		"Community orchard from Hillside Makers: 4 out of 5", "Pop-up kitchen from Hillside Makers: Don't know",
		"Walking group from Hillside Makers: 0 out of 5")
	wantStatus(t, "change it", bt.ClickButton(t, ctx, "Change it"), http.StatusOK)
	wantText(t, ctx, "h1", "Your ballot")
	if !bt.Eval[bool](t, ctx, fmt.Sprintf(`document.getElementById('score-%d-4').checked && document.getElementById('score-%d-dont_know').checked && document.getElementById('score-%d').checked`,
		score.orchard, score.kitchen, score.walks)) {
		t.Errorf("“Change it” lost the scores")
	}
	if _, err := env.Svc.Ballots.Get(bg, score.id, member.ID); !ballot.IsNotFound(err) {
		t.Errorf("a reviewed ballot was stored before saving (%v)", err)
	}
	clickLabel(t, ctx, fmt.Sprintf("score-%d-2", score.walks))
	review("scores", "You score applications from 0 to 5; “Don't know” counts neither for nor against.",
		"Community orchard from Hillside Makers: 4 out of 5", "Pop-up kitchen from Hillside Makers: Don't know",
		"Walking group from Hillside Makers: 2 out of 5")
	c := save(score, "scores")
	if got := scoresOf(c); !maps.Equal(got, map[string]string{key(score.orchard): "4", key(score.kitchen): `"dont_know"`, key(score.walks): "2"}) {
		t.Errorf("scores: stored %v", got)
	}

	// Ranking: one rank given twice first.
	openForm(ranking, "ranking")
	selectOption(t, ctx, "Community orchard", "1")
	selectOption(t, ctx, "Walking group", "1")
	wantStatus(t, "review a rank given twice", bt.ClickButton(t, ctx, "Review my ballot"), http.StatusUnprocessableEntity)
	walksRank := fmt.Sprintf("rank-%d", ranking.walks)
	checkErrorSummary(t, ctx, map[string]string{
		walksRank: "Rank for “Walking group” is 1, which you also gave “Community orchard”: give each application a different rank"})
	if got := bt.FieldValue(t, ctx, "Walking group"); got != "1" {
		t.Errorf("the walking group's rank holds %q after the error", got)
	}
	if _, err := env.Svc.Ballots.Get(bg, ranking.id, member.ID); !ballot.IsNotFound(err) {
		t.Errorf("a refused ranking was stored (%v)", err)
	}
	bt.CheckA11y(t, ctx, "ranking (a rank given twice)")
	selectOption(t, ctx, "Community orchard", "2")
	review("ranking", "You rank 2 applications, the one you most want funded first.",
		"Walking group from Hillside Makers", "Community orchard from Hillside Makers")
	if got := bt.Text(t, ctx, ".ballot-others"); got != "Pop-up kitchen from Hillside Makers" {
		t.Errorf("the ranking review leaves out %q", got)
	}
	if c := save(ranking, "ranking"); !slices.Equal(c.Ranking, ids(ranking.walks, ranking.orchard)) {
		t.Errorf("ranking: stored %+v", c)
	}
	if got := bt.FieldValue(t, ctx, "Walking group") + bt.FieldValue(t, ctx, "Community orchard") + bt.FieldValue(t, ctx, "Pop-up kitchen"); got != "12" {
		t.Errorf("the saved ranking on the form: %q", got)
	}

	// Cumulative points.
	openForm(cumulative, "cumulative points")
	if got := bt.Text(t, ctx, "#ballot-choices-hint"); !strings.Contains(got, "You have 10 points to spread over the applications, and can give at most 6 to any one.") {
		t.Errorf("the points form's hint: %q", got)
	}
	bt.Fill(t, ctx, "Community orchard", "6")
	bt.Fill(t, ctx, "Pop-up kitchen", "3")
	review("cumulative points", "You give 9 of your 10 points.",
		"Community orchard from Hillside Makers: 6 points", "Pop-up kitchen from Hillside Makers: 3 points")
	if c := save(cumulative, "cumulative points"); !maps.Equal(c.Points, map[string]int{key(cumulative.orchard): 6, key(cumulative.kitchen): 3}) {
		t.Errorf("cumulative points: stored %+v", c)
	}
	if got := bt.FieldValue(t, ctx, "Community orchard"); got != "6" {
		t.Errorf("the saved points on the form: %q", got)
	}
	bt.CheckA11y(t, ctx, "cumulative points (saved)")

	// Once voting has closed, the ballot is shown read-only.
	applicationtest.SetRoundState(t, env.DB, ranking.id, "closed")
	wantStatus(t, "GET the closed ballot", bt.Navigate(t, ctx, fmt.Sprintf("%s/rounds/%d/ballot", env.URL, ranking.id)), http.StatusOK)
	wantText(t, ctx, "#ballot-status", "Voting has closed, so ballots can no longer change.")
	if got := bt.Texts(t, ctx, ".ballot li"); strings.Join(got, "|") != "Walking group from Hillside Makers|Community orchard from Hillside Makers" {
		t.Errorf("the closed ballot lists %q", got)
	}
	if n := bt.Count(t, ctx, "main form, main select, main input"); n != 0 {
		t.Errorf("the closed ballot has %d form control(s)", n)
	}
	bt.CheckA11y(t, ctx, "ranking (closed)")
}

func scoresOf(c ballot.Contents) map[string]string {
	out := map[string]string{}
	for k, v := range c.Scores {
		out[k] = string(json.RawMessage(v))
	}
	return out
}

// waitForPanelRole waits until the authorizer knows of a new panel
// member's role (it arrives by NOTIFY).
func waitForPanelRole(t *testing.T, env *apptest.Env, userID, fundID int64) {
	t.Helper()
	role := authz.Role(panel.SeatRoles[panel.Member])
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(env.Svc.Authz.RolesIn(userID, authz.FundDomain(fundID)), role) {
		if time.Now().After(deadline) {
			t.Fatalf("user %d never got %s in fund %d", userID, role, fundID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
