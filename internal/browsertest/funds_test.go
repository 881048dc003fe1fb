package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/apptest"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/user"
)

// A steward of a funder creates a fund (first forgetting part of its
// purpose), publishes it, moves its learning cycle on with a reason,
// creates a round and opens it for applications; a second round asking for
// more than the fund has left is refused on the form, with the reason.
func TestStewardJourney(t *testing.T) {
	env, ctx := start(t)
	steward := env.CreateUser(t, "Sam Steward")
	env.CreateOrg(t, "Northern Trust", org.Funder, steward)

	wantStatus(t, "sign in", signIn(t, ctx, env, steward.Email, apptest.Password), http.StatusOK)
	wantPath(t, ctx, env, "/")
	wantText(t, ctx, "h1", "Welcome, Sam Steward")
	if got := bt.Text(t, ctx, "main"); !strings.Contains(got, "You are not part of any fund yet.") {
		t.Errorf("a new steward's home page: %q", got)
	}
	bt.CheckA11y(t, ctx, "home (funder, no funds)")

	// The form, sent without "for whom".
	wantStatus(t, "follow Create a fund", bt.FollowLink(t, ctx, "Create a fund"), http.StatusOK)
	wantPath(t, ctx, env, "/funds/new")
	wantText(t, ctx, "h1", "Create a fund")
	bt.CheckA11y(t, ctx, "create a fund")
	fillFund := func(whom string) {
		t.Helper()
		bt.Fill(t, ctx, "Name of the fund", "Riverside Futures")
		bt.Fill(t, ctx, "Enable … (an aspect of flourishing)", "shared growing and cooking")
		bt.Fill(t, ctx, "for … (whom)", whom)
		bt.Fill(t, ctx, "in … (where)", "the Lower Don valley")
		bt.Fill(t, ctx, "Guiding principles", "Trust people with lived experience\nLearn in the open\nShare power over money")
		bt.Fill(t, ctx, "Budget", "150,000")
		selectOption(t, ctx, "Currency", "GBP")
		clickLabel(t, ctx, "scale-organisation")
	}
	fillFund("")
	wantStatus(t, "create a fund without whom", bt.ClickButton(t, ctx, "Create the fund"), http.StatusUnprocessableEntity)
	wantText(t, ctx, "h1", "Create a fund")
	checkErrorSummary(t, ctx, map[string]string{"purpose_whom": "For whom is required"})
	if got := bt.FieldValue(t, ctx, "Name of the fund"); got != "Riverside Futures" {
		t.Errorf("the name field holds %q after the error", got)
	}
	if got := bt.FieldValue(t, ctx, "Guiding principles"); got != "Trust people with lived experience\nLearn in the open\nShare power over money" {
		t.Errorf("the principles field holds %q after the error", got)
	}
	if !bt.Eval[bool](t, ctx, `document.getElementById('scale-organisation').checked`) {
		t.Errorf("the chosen system scale is lost after the error")
	}
	bt.CheckA11y(t, ctx, "create a fund (purpose missing)")

	// Sent again, complete.
	fillFund("families new to the city")
	wantStatus(t, "create the fund", bt.ClickButton(t, ctx, "Create the fund"), http.StatusOK)
	fundPath := strings.TrimPrefix(bt.Location(t, ctx), env.URL)
	var fundID int64
	if _, err := fmt.Sscanf(fundPath, "/funds/%d", &fundID); err != nil || fundPath != fmt.Sprintf("/funds/%d", fundID) {
		t.Fatalf("after creating a fund the browser is at %s", fundPath)
	}
	wantText(t, ctx, "h1", "Riverside Futures")
	wantText(t, ctx, "p.lead", "Enable shared growing and cooking for families new to the city in the Lower Don valley.")
	if got := bt.Texts(t, ctx, "section[aria-labelledby=principles-title] li"); strings.Join(got, "|") !=
		"Trust people with lived experience|Learn in the open|Share power over money" {
		t.Errorf("principles on the fund page: %q", got)
	}
	wantText(t, ctx, "dl.summary", "Budget £150,000.00 System scale organisation Learning-cycle stage Purpose")
	wantText(t, ctx, "p.muted", "Northern Trust · draft")
	bt.CheckA11y(t, ctx, "fund (draft)")

	wantStatus(t, "open the fund", bt.ClickButton(t, ctx, "Open the fund"), http.StatusOK)
	wantPath(t, ctx, env, fundPath)
	wantText(t, ctx, "p.muted", "Northern Trust · open")
	if n := bt.Count(t, ctx, `form[action$="/status"] button`); n != 2 || bt.Text(t, ctx, `form[action$="/status"] button`) != "Mark as active" {
		t.Errorf("an open fund offers %d status button(s), first %q", n, bt.Text(t, ctx, `form[action$="/status"] button`))
	}
	bt.CheckA11y(t, ctx, "fund (open)")

	// A stage move needs a reason.
	selectOption(t, ctx, "Move to stage", "Understanding the system")
	wantStatus(t, "move stage without a reason", bt.ClickButton(t, ctx, "Record the move"), http.StatusUnprocessableEntity)
	if got := bt.Texts(t, ctx, ".error-summary a"); len(got) != 1 || got[0] != "Reason is required" {
		t.Errorf("error summary for a stage move without a reason: %q", got)
	}
	wantText(t, ctx, "#reason-error", "Error: Reason is required")
	wantFocus(t, ctx, "div.error-summary")
	bt.CheckA11y(t, ctx, "fund (stage move without a reason)")

	const reason = "We have met the growing groups and know whose voices we have missed."
	selectOption(t, ctx, "Move to stage", "Understanding the system")
	bt.Fill(t, ctx, "Why now?", reason)
	wantStatus(t, "move stage", bt.ClickButton(t, ctx, "Record the move"), http.StatusOK)
	wantPath(t, ctx, env, fundPath+"#stage")
	wantText(t, ctx, "dl.summary dd:nth-of-type(3)", "Understanding the system")
	if hist := bt.Texts(t, ctx, "ol.history li"); len(hist) == 0 ||
		!strings.HasPrefix(hist[len(hist)-1], "Understanding the system, ") || !strings.HasSuffix(hist[len(hist)-1], ": "+reason) {
		t.Errorf("stage history: %q", hist)
	}
	if bt.Count(t, ctx, ".error-summary") != 0 {
		t.Errorf("an error summary is left after the move")
	}
	bt.CheckA11y(t, ctx, "fund (stage moved)")

	// A round, from the fund page.
	wantStatus(t, "follow Create a round", bt.FollowLink(t, ctx, "Create a round"), http.StatusOK)
	wantPath(t, ctx, env, fundPath+"/rounds/new")
	wantText(t, ctx, "h1", "New round")
	bt.CheckA11y(t, ctx, "new round")
	now := time.Now().UTC().Truncate(time.Minute)
	windows := map[string]time.Time{
		"Applications open (UTC)": now.Add(time.Hour), "Applications close (UTC)": now.Add(14 * 24 * time.Hour),
		"Voting opens (UTC)": now.Add(21 * 24 * time.Hour), "Voting closes (UTC)": now.Add(28 * 24 * time.Hour),
	}
	fillRound := func(name, budget string) {
		t.Helper()
		bt.Fill(t, ctx, "Name", name)
		bt.Fill(t, ctx, "Budget (GBP)", budget)
		for label, at := range windows {
			setValue(t, ctx, label, at.Format("2006-01-02T15:04"))
		}
		clickLabel(t, ctx, "method") // Approval
		bt.Fill(t, ctx, "Quorum", "3")
	}
	fillRound("Spring 2026", "100,000")
	wantStatus(t, "create the round", bt.ClickButton(t, ctx, "Create the round"), http.StatusOK)
	roundPath := strings.TrimPrefix(bt.Location(t, ctx), env.URL)
	if !strings.HasPrefix(roundPath, "/rounds/") {
		t.Fatalf("after creating a round the browser is at %s", roundPath)
	}
	wantText(t, ctx, "h1", "Spring 2026")
	wantText(t, ctx, "p.lead", "This round is a draft.")
	details := bt.Text(t, ctx, "section[aria-labelledby=details-title] dl")
	for _, want := range []string{
		"Budget £100,000.00",
		"Applications Open from " + now.Add(time.Hour).Format("2 Jan 2006 15:04") + " to " + now.Add(14*24*time.Hour).Format("2 Jan 2006 15:04") + " UTC",
		"Voting method Approval: each panel member approves as many applications as they support.",
		"Quorum At least 3 ballots are needed for a decision.",
	} {
		if !strings.Contains(details, want) {
			t.Errorf("the round's details lack %q:\n%s", want, details)
		}
	}
	bt.CheckA11y(t, ctx, "round (draft)")

	wantStatus(t, "open the round", bt.ClickButton(t, ctx, "Open the round for applications"), http.StatusOK)
	wantPath(t, ctx, env, roundPath+"?moved=1")
	wantText(t, ctx, ".notice", "The round is accepting applications.")
	wantText(t, ctx, "p.lead", "This round is accepting applications.")
	wantText(t, ctx, "[aria-current=step]", "accepting applications (now)")
	bt.CheckA11y(t, ctx, "round (accepting)")

	// A round asking for more than is left: the reason, on the form.
	wantStatus(t, "back to the fund", bt.FollowLink(t, ctx, "Riverside Futures"), http.StatusOK)
	wantPath(t, ctx, env, fundPath)
	wantText(t, ctx, "section[aria-labelledby=rounds-title] li", "Spring 2026 (accepting, £100,000.00)")
	wantStatus(t, "follow Create a round", bt.FollowLink(t, ctx, "Create a round"), http.StatusOK)
	fillRound("Autumn 2026", "60,000")
	wantStatus(t, "create a too-large round", bt.ClickButton(t, ctx, "Create the round"), http.StatusConflict)
	wantPath(t, ctx, env, fundPath+"/rounds/new")
	wantText(t, ctx, "h1", "New round")
	checkErrorSummary(t, ctx, map[string]string{"budget": "£50,000.00 of the fund's budget is left; this round asks for £60,000.00."})
	if got := bt.FieldValue(t, ctx, "Name"); got != "Autumn 2026" {
		t.Errorf("the name field holds %q after the refusal", got)
	}
	if rs, _, err := env.Svc.Rounds.List(context.Background(), fundID, true, 0, 10); err != nil || len(rs) != 1 {
		t.Errorf("after the refusal the fund has %d round(s) (%v), want 1", len(rs), err)
	}
	bt.CheckA11y(t, ctx, "new round (over the fund's budget)")
}

// A steward invites someone new onto the panel from the fund's people and
// roles page. In a browser of their own, the new member accepts, declares
// no conflict on one application and recuses from the other (first
// forgetting the note), reads and discusses the first, and sees only the
// title and organisation of the second, whose discussion is closed to them.
func TestPanelMemberJourney(t *testing.T) {
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
		Method: round.Approval})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Rounds.Transition(bg, steward.ID, r.ID, round.Accepting); err != nil {
		t.Fatal(err)
	}
	apply := func(orgName, person string, p application.Proposal) application.Application {
		t.Helper()
		u := env.CreateUser(t, person)
		o := env.CreateOrg(t, orgName, org.Applicant, u)
		a, err := env.Svc.Applications.Apply(bg, u.ID, r.ID, application.NewApplication{OrganisationID: o.ID, Proposal: p})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	orchard := apply("Riverside Growers", "Ana Applicant", application.Proposal{Title: "Community orchard",
		Explore: "Whether a shared orchard brings neighbours together across languages.", WithWhom: "Twelve families on the Hillside estate.",
		HowLearn: "A monthly supper where we talk about what changed.", AmountMinor: 1_000_000, BudgetSummary: "Trees, tools and suppers."})
	kitchen := apply("Hillside Makers", "Ben Applicant", application.Proposal{Title: "Pop-up kitchen",
		Explore: "Cooking lessons led by newly arrived parents.", WithWhom: "Parents at two primary schools.",
		HowLearn: "Short stories collected after each session.", AmountMinor: 2_000_000, BudgetSummary: "Kitchen hire and ingredients."})
	if _, err := env.Svc.Rounds.Transition(bg, steward.ID, r.ID, round.Review); err != nil {
		t.Fatal(err)
	}
	fundPath := fmt.Sprintf("/funds/%d", f.ID)

	// The steward invites a person who has no account.
	wantStatus(t, "steward signs in", signIn(t, ctx, env, steward.Email, apptest.Password), http.StatusOK)
	wantStatus(t, "GET "+fundPath, bt.Navigate(t, ctx, env.URL+fundPath), http.StatusOK)
	wantStatus(t, "follow People and roles", bt.FollowLink(t, ctx, "People and roles"), http.StatusOK)
	wantPath(t, ctx, env, fundPath+"/roles")
	wantText(t, ctx, "h1", "People and roles")
	bt.CheckA11y(t, ctx, "people and roles")
	bt.Fill(t, ctx, "Email address", "priya.patel@example.org")
	bt.Fill(t, ctx, "Their name (for a new invitation; optional)", "Priya Patel")
	clickLabel(t, ctx, "role-panel_member")
	wantStatus(t, "invite a panel member", bt.ClickButton(t, ctx, "Give the role"), http.StatusOK)
	if got := bt.Text(t, ctx, ".notice[role=status]"); !strings.Contains(got, "No account uses priya.patel@example.org yet") {
		t.Errorf("notice after inviting: %q", got)
	}
	link := bt.FieldValue(t, ctx, "Invitation link")
	lu, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(lu.Path, user.InvitePath) || len(lu.Path) < len(user.InvitePath)+20 {
		t.Fatalf("the invitation link on the page is %q", link)
	}
	bt.CheckA11y(t, ctx, "people and roles (invitation link)")

	// A fresh browser follows the link. (The page's link carries the
	// configured base URL; the test server has its own address.)
	member := freshBrowser(t, ctx)
	wantStatus(t, "follow the invitation", bt.Navigate(t, member, env.URL+lu.Path), http.StatusOK)
	wantText(t, member, "h1", "Accept your invitation")
	bt.Fill(t, member, "Your name", "Priya Patel")
	bt.Fill(t, member, "Choose a password", "orchards and kitchens")
	wantStatus(t, "accept", bt.ClickButton(t, member, "Create my account"), http.StatusOK)
	wantPath(t, member, env, "/")
	wantText(t, member, "h1", "Welcome, Priya Patel")
	wantText(t, member, "section[aria-labelledby=funds-title] ul.cards", "Riverside Futures (Panel member)")
	bt.CheckA11y(t, member, "home (panel member)")

	// Declarations: recused needs a note.
	declPath := fmt.Sprintf("/rounds/%d/declarations", r.ID)
	wantStatus(t, "GET "+declPath, bt.Navigate(t, member, env.URL+declPath), http.StatusOK)
	wantText(t, member, "h1", "Conflicts of interest")
	if got := bt.Texts(t, member, "form fieldset > legend"); strings.Join(got, "|") != "Community orchard from Riverside Growers|Pop-up kitchen from Hillside Makers" {
		t.Errorf("the declaration form asks about %q", got)
	}
	bt.CheckA11y(t, member, "declarations (none yet)")
	kitchenNote := fmt.Sprintf("note-%d", kitchen.ID)
	clickLabel(t, member, fmt.Sprintf("kind-%d-recused", kitchen.ID))
	wantStatus(t, "recuse without a note", bt.ClickButton(t, member, "Save declarations"), http.StatusUnprocessableEntity)
	checkErrorSummary(t, member, map[string]string{kitchenNote: "Say what the connection is with “Pop-up kitchen”"})
	if !bt.Eval[bool](t, member, fmt.Sprintf(`document.getElementById('kind-%d-recused').checked`, kitchen.ID)) {
		t.Errorf("the recused answer is lost after the error")
	}
	if ds, err := env.Svc.Panels.Declarations(bg, r.ID, 0); err != nil || len(ds) != 0 {
		t.Errorf("after the error %d declaration(s) are recorded (%v)", len(ds), err)
	}
	bt.CheckA11y(t, member, "declarations (recused without a note)")

	clickLabel(t, member, fmt.Sprintf("kind-%d", orchard.ID)) // No conflict of interest
	typeInto(t, member, "#"+kitchenNote, "My sister runs Hillside Makers.")
	wantStatus(t, "declare", bt.ClickButton(t, member, "Save declarations"), http.StatusOK)
	wantPath(t, member, env, declPath)
	if bt.Count(t, member, ".error-summary") != 0 {
		t.Errorf("an error summary is left after declaring")
	}
	if got := bt.Text(t, member, fmt.Sprintf("fieldset:has(#%s)", kitchenNote)); !strings.Contains(got, "You have recused yourself from this application.") {
		t.Errorf("the recused application's fieldset says %q", got)
	}
	bt.CheckA11y(t, member, "declarations (declared)")

	// The first application, in full, and its discussion.
	wantStatus(t, "read the orchard", bt.FollowLink(t, member, "Read the application Community orchard"), http.StatusOK)
	wantPath(t, member, env, fmt.Sprintf("/applications/%d", orchard.ID))
	wantText(t, member, "h1", "Community orchard")
	wantText(t, member, "p.lead", "From Riverside Growers")
	page := bt.Text(t, member, "main")
	for _, want := range []string{"Whether a shared orchard brings neighbours together across languages.",
		"Twelve families on the Hillside estate.", "A monthly supper where we talk about what changed.",
		"Amount requested £10,000.00", "Trees, tools and suppers.", "Your declaration: no conflict of interest."} {
		if !strings.Contains(page, want) {
			t.Errorf("the orchard's page lacks %q:\n%s", want, page)
		}
	}
	bt.CheckA11y(t, member, "application (full)")

	wantStatus(t, "back to the declarations", bt.Navigate(t, member, env.URL+declPath), http.StatusOK)
	wantStatus(t, "open the orchard's discussion", bt.FollowLink(t, member, "Discussion of Community orchard"), http.StatusOK)
	wantPath(t, member, env, fmt.Sprintf("/applications/%d/discussion", orchard.ID))
	wantText(t, member, "h1", "Discussion: Community orchard")
	bt.CheckA11y(t, member, "discussion (empty)")
	const comment = "I like that the suppers are where the learning happens."
	bt.Fill(t, member, "Your comment", comment)
	wantStatus(t, "post a comment", bt.ClickButton(t, member, "Post comment"), http.StatusOK)
	if got := bt.Text(t, member, "ol.comments li"); !strings.HasPrefix(got, "Priya Patel (you), ") || !strings.Contains(got, comment) {
		t.Errorf("the thread after posting: %q", got)
	}
	bt.CheckA11y(t, member, "discussion (one comment)")

	// The second application: title and organisation only, no discussion.
	kitchenPath := fmt.Sprintf("/applications/%d", kitchen.ID)
	wantStatus(t, "GET "+kitchenPath, bt.Navigate(t, member, env.URL+kitchenPath), http.StatusOK)
	wantText(t, member, "h1", "Pop-up kitchen")
	wantText(t, member, "p.lead", "From Hillside Makers")
	page = bt.Text(t, member, "main")
	if !strings.Contains(page, "you see only its title and organisation") {
		t.Errorf("the recused application's page does not say why it is brief:\n%s", page)
	}
	for _, hidden := range []string{"Cooking lessons", "Parents at two primary schools", "Short stories", "Kitchen hire", "£20,000.00"} {
		if strings.Contains(page, hidden) || bt.Eval[bool](t, member, `document.documentElement.outerHTML.includes(`+jsString(hidden)+`)`) {
			t.Errorf("a recused member's page shows %q", hidden)
		}
	}
	bt.CheckA11y(t, member, "application (recused)")

	wantStatus(t, "GET the kitchen's discussion", bt.Navigate(t, member, env.URL+kitchenPath+"/discussion"), http.StatusForbidden)
	if got := bt.Text(t, member, "main"); !strings.Contains(got, "You recused yourself from this application, so its deliberation is closed to you") {
		t.Errorf("the refused discussion says %q", got)
	}
	if bt.Count(t, member, "textarea, ol.comments") != 0 {
		t.Errorf("the refused discussion shows a thread or a comment form")
	}
	bt.CheckA11y(t, member, "discussion (recused)")
}

// freshBrowser opens a tab in a new browser context of the browser in ctx:
// its own cookies and storage, as another person's browser. Its console's
// errors fail the test, as Start's do.
func freshBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	fresh, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(fresh, func(ev any) {
		var p string
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			// A page answered with an error status is expected; a
			// broken stylesheet, script or CSP violation is not.
			if e.Entry != nil && e.Entry.Level == log.EntryLevelError &&
				(e.Entry.Source != log.EntrySourceNetwork || strings.Contains(e.Entry.URL, "/static/")) {
				p = fmt.Sprintf("- [%s] %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			if e.ExceptionDetails != nil {
				p = "- [exception] " + e.ExceptionDetails.Text
			}
		}
		if p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("open a fresh browser context: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) > 0 {
			t.Errorf("the fresh browser's console reported %d problem(s):\n%s", len(problems), strings.Join(problems, "\n"))
		}
	})
	return fresh
}

// clickLabel clicks the label of the control with that id, as a person
// picks a radio button.
func clickLabel(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	bt.ClickInPage(t, ctx, `label[for="`+id+`"]`)
	if !bt.Eval[bool](t, ctx, `document.getElementById(`+jsString(id)+`).checked`) {
		t.Fatalf("clicking the label of #%s did not check it", id)
	}
}

// labelled is a JavaScript expression for the control labelled label.
func labelled(label string) string {
	return `[...document.querySelectorAll('label')].find(l => l.textContent.trim() === ` + jsString(label) + `).control`
}

// setValue sets the value of the field labelled label, for fields a
// person fills with a picker (such as a date and time), and tells the
// page it changed.
func setValue(t *testing.T, ctx context.Context, label, value string) {
	t.Helper()
	got := bt.Eval[string](t, ctx, `(() => { const e = `+labelled(label)+`; e.value = `+jsString(value)+`;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return e.value })()`)
	if got != value {
		t.Fatalf("the field labelled %s took %q as %q", label, value, got)
	}
}

// selectOption chooses the option with that text in the select labelled
// label.
func selectOption(t *testing.T, ctx context.Context, label, option string) {
	t.Helper()
	ok := bt.Eval[bool](t, ctx, `(() => { const s = `+labelled(label)+`;
		const o = [...s.options].find(o => o.text.trim() === `+jsString(option)+`); if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
	if !ok {
		t.Fatalf("the select labelled %s has no option %q", label, option)
	}
}

// typeInto empties the field matching css and types value into it.
func typeInto(t *testing.T, ctx context.Context, css, value string) {
	t.Helper()
	bt.Do(t, ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(css)+`).value = ''`),
		chromedp.SendKeys(chromedp.CSS(css), value, chromedp.NodeVisible))
}
