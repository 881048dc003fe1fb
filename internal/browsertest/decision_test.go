package browsertest_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/user"
)

// waitForFundRole waits until the authorizer knows of a role given inside
// a service's transaction (it learns of it by notification).
func waitForFundRole(t *testing.T, env *apptest.Env, userID int64, role authz.Role, fundID int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(env.Svc.Authz.RolesIn(userID, authz.FundDomain(fundID)), role) {
		if time.Now().After(deadline) {
			t.Fatalf("user %d never got %s in fund %d", userID, role, fundID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The panel chair of a round whose voting has just closed records the
// computed decision (after first trying an amendment without a reason),
// is refused making it final while the panel's words are missing, writes
// a rationale and feedback for every application and makes it final. An
// applicant reads their feedback on their application's page; an
// anonymous visitor reads the public results, with the budget bar and its
// table, and downloads the CSV.
func TestDecisionJourney(t *testing.T) {
	env, ctx := start(t)
	bg := context.Background()
	steward := env.CreateUser(t, "Sam Steward")
	funder := env.CreateOrg(t, "Northern Trust", org.Funder, steward)
	f, err := env.Svc.Funds.Create(bg, steward.ID, fund.NewFund{OrganisationID: funder.ID, Currency: "GBP",
		Principles: []string{"Trust people with lived experience"},
		Details: fund.Details{Name: "Riverside Futures", PurposeFlourishing: "shared growing and cooking",
			PurposeWhom: "families new to the city", PurposeWhere: "the Lower Don valley", BudgetMinor: 15_000_000, SystemScale: "place"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Funds.ChangeStatus(bg, steward.ID, f.ID, fund.Open); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	r, err := env.Svc.Rounds.Create(bg, steward.ID, f.ID, round.NewRound{Name: "Spring 2026", BudgetMinor: 5_000_000,
		Windows: round.Windows{ApplicationsOpenAt: at(-time.Hour), ApplicationsCloseAt: at(14 * 24 * time.Hour),
			VotingOpenAt: at(21 * 24 * time.Hour), VotingCloseAt: at(28 * 24 * time.Hour)},
		Method: round.Approval, SecretBallot: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Rounds.Transition(bg, steward.ID, r.ID, round.Accepting); err != nil {
		t.Fatal(err)
	}
	applicants := map[string]user.User{}
	apply := func(orgName, person string, p application.Proposal) application.Application {
		t.Helper()
		u := env.CreateUser(t, person)
		applicants[person] = u
		o := env.CreateOrg(t, orgName, org.Applicant, u)
		a, err := env.Svc.Applications.Apply(bg, u.ID, r.ID, application.NewApplication{OrganisationID: o.ID, Proposal: p})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	orchard := apply("Riverside Growers", "Ana Applicant", application.Proposal{Title: "Community orchard",
		Explore: "Whether a shared orchard brings neighbours together.", WithWhom: "Twelve families on the Hillside estate.",
		HowLearn: "A monthly supper.", AmountMinor: 1_000_000, BudgetSummary: "Trees, tools and suppers."})
	kitchen := apply("Hillside Makers", "Ben Applicant", application.Proposal{Title: "Pop-up kitchen",
		Explore: "Cooking lessons led by newly arrived parents.", WithWhom: "Parents at two primary schools.",
		HowLearn: "Short stories after each session.", AmountMinor: 2_000_000, BudgetSummary: "Kitchen hire and ingredients."})
	library := apply("Eastfield Readers", "Cara Applicant", application.Proposal{Title: "Seed library",
		Explore: "Whether swapping seeds starts conversations.", WithWhom: "Allotment holders.",
		HowLearn: "A logbook kept by the swappers.", AmountMinor: 3_000_000, BudgetSummary: "Shelves, packets and a stall."})
	apps := []application.Application{orchard, kitchen, library}
	if _, err := env.Svc.Rounds.Transition(bg, steward.ID, r.ID, round.Review); err != nil {
		t.Fatal(err)
	}

	// The panel declares, votes and the chair closes voting: the result is
	// computed (no quorum is set).
	panelists := map[string]user.User{}
	for _, seat := range []struct{ name, role string }{{"Chidi Chair", panel.Chair}, {"Mira Member", panel.Member}, {"Rafe Member", panel.Member}} {
		u := env.CreateUser(t, seat.name)
		panelists[seat.name] = u
		if _, err := env.Svc.Panels.AddMember(bg, steward.ID, f.ID, panel.NewMember{UserID: u.ID, Role: seat.role, ChosenBy: "lottery"}); err != nil {
			t.Fatal(err)
		}
		waitForFundRole(t, env, u.ID, authz.Role(panel.SeatRoles[seat.role]), f.ID)
		var entries []panel.DeclarationEntry
		for _, a := range apps {
			entries = append(entries, panel.DeclarationEntry{ApplicationID: a.ID, Kind: panel.NoConflict})
		}
		if _, err := env.Svc.Panels.Declare(bg, u.ID, r.ID, panel.DeclarationSet{Declarations: entries}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Svc.Rounds.Transition(bg, steward.ID, r.ID, round.Voting); err != nil {
		t.Fatal(err)
	}
	for name, approvals := range map[string][]int64{
		"Chidi Chair": {orchard.ID, kitchen.ID}, "Mira Member": {orchard.ID, library.ID}, "Rafe Member": {orchard.ID, kitchen.ID},
	} {
		if _, _, err := env.Svc.Ballots.Cast(bg, panelists[name].ID, r.ID, ballot.Contents{Approvals: approvals}); err != nil {
			t.Fatal(err)
		}
	}
	chair := panelists["Chidi Chair"]
	if _, err := env.Svc.Rounds.Transition(bg, chair.ID, r.ID, round.Closed); err != nil {
		t.Fatal(err)
	}
	roundPath := fmt.Sprintf("/rounds/%d", r.ID)
	decisionPath := roundPath + "/decision"

	// The chair, from the round page, to the decision page.
	wantStatus(t, "chair signs in", signIn(t, ctx, env, chair.Email, apptest.Password), http.StatusOK)
	wantStatus(t, "GET "+roundPath, bt.Navigate(t, ctx, env.URL+roundPath), http.StatusOK)
	wantStatus(t, "follow the decision link", bt.FollowLink(t, ctx, "The panel's decision: recording it, rationale and feedback"), http.StatusOK)
	wantPath(t, ctx, env, decisionPath)
	wantText(t, ctx, "h1", "The panel's decision")
	if got := bt.Texts(t, ctx, "section[aria-labelledby=result-title] tbody tr"); len(got) != 3 ||
		!strings.HasPrefix(got[0], "Community orchard from Riverside Growers £10,000.00 Funded, 1st") ||
		!strings.Contains(got[2], "Seed library from Eastfield Readers £30,000.00 Not funded") {
		t.Errorf("the computed result's rows: %q", got)
	}
	bt.CheckA11y(t, ctx, "decision (computed result)")
	bt.Screenshot(t, ctx, "decision-computed-result")

	// An amendment without a reason is refused, naming the field.
	bt.Fill(t, ctx, "Amount (GBP) for Community orchard", "8,000")
	wantStatus(t, "amend without a reason", bt.ClickButton(t, ctx, "Record the amended decision"), http.StatusUnprocessableEntity)
	checkErrorSummary(t, ctx, map[string]string{
		"amendment_reason": "Say why the decision differs from the computed result: your reason is published beside it"})
	if got := bt.FieldValue(t, ctx, "Amount (GBP) for Community orchard"); got != "8,000" {
		t.Errorf("the amount field holds %q after the error", got)
	}
	bt.CheckA11y(t, ctx, "decision (amendment without a reason)")
	bt.Screenshot(t, ctx, "decision-amendment-without-a-reason")

	wantStatus(t, "record the computed result", bt.ClickButton(t, ctx, "Record the computed result"), http.StatusOK)
	wantPath(t, ctx, env, decisionPath+"?notice=recorded")
	wantText(t, ctx, ".notice[role=status]", "The decision is recorded. The panel can now write a rationale and feedback for every application.")
	if got := bt.Texts(t, ctx, "#missing-words li"); len(got) != 3 {
		t.Errorf("the applications still needing words: %q", got)
	}
	bt.CheckA11y(t, ctx, "decision (recorded)")
	bt.Screenshot(t, ctx, "decision-recorded")

	// Final is refused while words are missing; the 409 says why.
	wantStatus(t, "make final too early", bt.ClickButton(t, ctx, "Make the decision final"), http.StatusConflict)
	if got := bt.Texts(t, ctx, ".error-summary a"); len(got) != 1 || !strings.Contains(got[0], "Every application needs a rationale and feedback before the decision is final") ||
		!strings.Contains(got[0], "Seed library") {
		t.Errorf("the refusal to make it final says %q", got)
	}
	if href := bt.Attr(t, ctx, ".error-summary a", "href"); href != "#missing-words" {
		t.Errorf("the refusal links to %q", href)
	}
	wantFocus(t, ctx, "div.error-summary")
	bt.CheckA11y(t, ctx, "decision (final refused)")

	for _, a := range apps {
		bt.Fill(t, ctx, "Rationale for "+a.Title, "The panel valued how "+a.Title+" learns with its neighbours.")
		bt.Fill(t, ctx, "Feedback for "+a.Title, "Dear "+a.Title+" team: thank you; we would love to hear how it goes.")
		wantStatus(t, "save the words on "+a.Title, bt.ClickButton(t, ctx, "Save rationale and feedback for "+a.Title), http.StatusOK)
		wantPath(t, ctx, env, fmt.Sprintf("%s?notice=words#words-%d", decisionPath, a.ID))
	}
	if bt.Count(t, ctx, "#missing-words") != 0 {
		t.Errorf("words are still missing: %q", bt.Text(t, ctx, "#missing-words"))
	}
	if got := bt.Text(t, ctx, fmt.Sprintf("#words-%d", library.ID)); !strings.Contains(got, "Rationale: written. Feedback: written.") {
		t.Errorf("the library's words: %q", got)
	}
	wantStatus(t, "make final", bt.ClickButton(t, ctx, "Make the decision final"), http.StatusOK)
	wantPath(t, ctx, env, decisionPath+"?notice=final")
	wantText(t, ctx, ".notice[role=status]", "The decision is final. The results are public, and the funded applications are now grants.")
	if bt.Count(t, ctx, "main form") != 0 {
		t.Errorf("a final decision's page still has %d form(s)", bt.Count(t, ctx, "main form"))
	}
	bt.CheckA11y(t, ctx, "decision (final)")
	bt.Screenshot(t, ctx, "decision-final")

	// The applicant reads their decision and feedback.
	ana := applicants["Ana Applicant"]
	waitForFundRole(t, env, ana.ID, authz.Grantee, f.ID)
	applicant := freshBrowser(t, ctx)
	wantStatus(t, "applicant signs in", signIn(t, applicant, env, ana.Email, apptest.Password), http.StatusOK)
	appPath := fmt.Sprintf("/applications/%d", orchard.ID)
	wantStatus(t, "GET "+appPath, bt.Navigate(t, applicant, env.URL+appPath), http.StatusOK)
	page := bt.Text(t, applicant, "section[aria-labelledby=decision-title]")
	for _, want := range []string{"Funded: £10,000.00.", "The panel valued how Community orchard learns with its neighbours.",
		"Feedback for you", "Dear Community orchard team: thank you; we would love to hear how it goes.",
		"Under the round's rule:", "The grant Amount £10,000.00", "£5,000.00"} {
		if !strings.Contains(page, want) {
			t.Errorf("the applicant's decision lacks %q:\n%s", want, page)
		}
	}
	bt.CheckA11y(t, applicant, "application (decided, funded)")
	bt.Screenshot(t, applicant, "application-decided")

	// Anyone reads the results: the bar, its table, the rule; no feedback.
	visitor := freshBrowser(t, ctx)
	resultsPath := roundPath + "/results"
	wantStatus(t, "GET "+resultsPath+" anonymously", bt.Navigate(t, visitor, env.URL+resultsPath), http.StatusOK)
	wantText(t, visitor, "h1", "Results: Spring 2026")
	if n := bt.Count(t, visitor, "figure svg[role=img] g rect"); n != 3 { // two funded, one unspent
		t.Errorf("the bar has %d segment(s), want 3", n)
	}
	if got := bt.Attr(t, visitor, "figure svg[role=img]", "aria-labelledby"); got != "bar-title" {
		t.Errorf("the bar is labelled by %q", got)
	}
	if got := bt.Texts(t, visitor, "ol.bar-legend li"); strings.Join(got, "|") !=
		"Community orchard from Riverside Growers: £10,000.00 (20% of the budget)|Pop-up kitchen from Hillside Makers: £20,000.00 (40% of the budget)" {
		t.Errorf("the bar's key: %q", got)
	}
	wantText(t, visitor, "section[aria-labelledby=funded-title] table caption", "What was funded, in figures (the same as the bar)")
	if got := bt.Texts(t, visitor, "section[aria-labelledby=funded-title] table tbody tr"); strings.Join(got, "|") !=
		"1 Community orchard Riverside Growers £10,000.00 20%|2 Pop-up kitchen Hillside Makers £20,000.00 40%|None Not spent £20,000.00 40%" {
		t.Errorf("the table alternative: %q", got)
	}
	main := bt.Text(t, visitor, "main")
	for _, want := range []string{"Method of Equal Shares", "The panel valued how Seed library learns with its neighbours.",
		"The ballots were secret", "Download the decision (CSV)"} {
		if !strings.Contains(main, want) {
			t.Errorf("the results page lacks %q", want)
		}
	}
	for _, never := range []string{"Dear ", "Chidi", "Mira", "Rafe"} {
		if strings.Contains(main, never) {
			t.Errorf("the public results page shows %q", never)
		}
	}
	bt.CheckA11y(t, visitor, "results (public)")
	bt.Screenshot(t, visitor, "results-public")

	// The CSV: a header and one row per application.
	resp, err := http.Get(env.URL + resultsPath + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || len(records) != 1+len(apps) {
		t.Fatalf("the CSV: status %d, %d record(s), %v", resp.StatusCode, len(records), err)
	}
	if records[0][0] != "application_id" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("the CSV's header %q, type %q", records[0], resp.Header.Get("Content-Type"))
	}
}
