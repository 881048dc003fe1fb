package browsertest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/org"
)

// A grantee writes a reflective account of their grant — a section shared
// with peers, a story about a person with its consent (first refused for
// want of what the person agreed to) — saves it and submits it. The
// steward finds it on the fund's learning page and responds; the grantee
// reads the response on their account. The steward records a payment and
// writes notes of a conversation on the grant's page; the grantee finds
// them waiting and confirms them with a correction. axe finds nothing on
// any page, on a desktop and on a phone.
func TestReflectiveAccountJourney(t *testing.T) {
	env, ctx := start(t)
	steward, grantee := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Gina Grantee")
	club := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, grantee)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, steward)
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Riverside Futures")
	round := applicationtest.PastRound(t, env.DB, fund, "review")
	_, grant := applicationtest.Grant(t, env.DB, round, club.ID, "Saturday clubs", 50000, applicationtest.Day(-100), applicationtest.Day(265))
	agr := id(`INSERT INTO agreements (grant_id, fund_id, organisation_id) VALUES (?, ?, ?) RETURNING id`, grant, fund, club.ID)
	id(`INSERT INTO agreement_versions (agreement_id, number, status, content, content_hash, signed_at)
		VALUES (?, 1, 'signed', '{"reflection":{"mode":"written","every_months":3},"learning_signals":[{"name":"Who comes on Saturdays",
		"tells_us":"Whether new young people find their way in.","does_not_tell_us":"Whether they feel they belong."}]}',
		repeat('c', 64), now()) RETURNING id`, agr)
	if err := env.DB.Exec(`INSERT INTO grant_instalments (grant_id, number, due_on, amount_minor)
		VALUES (?, 1, current_date - 100, 25000), (?, 2, current_date + 80, 25000)`, grant, grant).Error; err != nil {
		t.Fatal(err)
	}
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fund))
	env.Grant(t, grantee, authz.Grantee, authz.FundDomain(fund))

	// The grantee starts an account from their grant's accounts page.
	wantStatus(t, "grantee signs in", signIn(t, ctx, env, grantee.Email, apptest.Password), http.StatusOK)
	grantPath := fmt.Sprintf("/grants/%d/accounts", grant)
	wantStatus(t, "GET "+grantPath, bt.Navigate(t, ctx, env.URL+grantPath), http.StatusOK)
	wantText(t, ctx, "h1", "Reflective accounts: Saturday clubs")
	if got := bt.Text(t, ctx, "section[aria-labelledby=rhythm-title]"); !strings.Contains(got, "an account every 3 months") {
		t.Errorf("the rhythm: %q", got)
	}
	bt.CheckA11y(t, ctx, "grant accounts")
	wantStatus(t, "start an account", bt.ClickButton(t, ctx, "Start writing an account"), http.StatusOK)
	m := regexp.MustCompile(`/accounts/(\d+)/edit$`).FindStringSubmatch(bt.Location(t, ctx))
	if m == nil {
		t.Fatalf("the browser is at %s, want an account's writing page", bt.Location(t, ctx))
	}
	accountPath := "/accounts/" + m[1]
	wantText(t, ctx, "h1", "Your reflective account")
	if got := bt.Text(t, ctx, "aside[aria-labelledby=signals-title]"); !strings.Contains(got, "Who comes on Saturdays") ||
		!strings.Contains(got, "Whether they feel they belong.") || !strings.Contains(got, "tied to payment or to renewal") {
		t.Errorf("the signals beside the readings: %q", got)
	}
	bt.CheckA11y(t, ctx, "account writing page")
	bt.Screenshot(t, ctx, "account-writing")

	bt.Fill(t, ctx, "What you tried", "Saturday cooking clubs, led by the young people themselves.")
	clickLabel(t, ctx, "visibility-what_we_tried-peers")
	bt.Fill(t, ctx, "What happened", "Twelve came to the first club; twenty by the fourth.")
	bt.Fill(t, ctx, "What did not go as hoped", "The first menu was ours, not theirs, and nobody ate it.")
	bt.Fill(t, ctx, "The story", "Amira, who had never cooked, ran the fourth club on her own.")
	clickLabel(t, ctx, "story-1-naming-first_name")
	wantStatus(t, "save without consent purposes", bt.ClickButton(t, ctx, "Save draft"), http.StatusUnprocessableEntity)
	checkErrorSummary(t, ctx, map[string]string{"story-1-purposes": "Story 1: what the person agreed to is required."})
	if got := bt.FieldValue(t, ctx, "What you tried"); got != "Saturday cooking clubs, led by the young people themselves." {
		t.Errorf("the section lost its words after the error: %q", got)
	}
	bt.CheckA11y(t, ctx, "account writing page (consent missing)")
	clickLabel(t, ctx, "story-1-purposes-learning_within_fund")
	clickLabel(t, ctx, "story-1-purposes-reports")
	wantStatus(t, "save the draft", bt.ClickButton(t, ctx, "Save draft"), http.StatusOK)
	wantPath(t, ctx, env, accountPath+"/edit?notice=saved")
	wantText(t, ctx, ".notice[role=status]", "Your draft is saved. Only your organisation can see it until you submit it.")
	if !bt.Eval[bool](t, ctx, `document.getElementById('story-1-purposes-reports').checked && document.getElementById('visibility-what_we_tried-peers').checked`) {
		t.Error("the saved draft lost the story's consent or the section's visibility")
	}
	wantStatus(t, "submit", bt.ClickButton(t, ctx, "Submit the account"), http.StatusOK)
	wantPath(t, ctx, env, accountPath+"?notice=submitted")
	main := bt.Text(t, ctx, "main")
	for _, want := range []string{"Amira, who had never cooked", "Who can read this: Also other grantees and the panel of this fund.",
		"Consent: By their first name; for Learning within this fund", "The fund will respond by"} {
		if !strings.Contains(main, want) {
			t.Errorf("the submitted account lacks %q", want)
		}
	}
	if bt.Count(t, ctx, "a[href$='/edit']") != 0 {
		t.Error("a submitted account still offers to edit it")
	}
	bt.CheckA11y(t, ctx, "account (submitted)")
	bt.Screenshot(t, ctx, "account-submitted")

	// The steward finds it on the learning page and responds.
	stew := freshBrowser(t, ctx)
	wantStatus(t, "steward signs in", signIn(t, stew, env, steward.Email, apptest.Password), http.StatusOK)
	learning := fmt.Sprintf("/funds/%d/learning", fund)
	wantStatus(t, "GET "+learning, bt.Navigate(t, stew, env.URL+learning), http.StatusOK)
	if got := bt.Text(t, stew, "section[aria-labelledby=responses-title]"); !strings.Contains(got, "Hillside Youth Club") {
		t.Errorf("the learning page's responses: %q", got)
	}
	bt.CheckA11y(t, stew, "fund learning page")
	bt.Screenshot(t, stew, "fund-learning")
	wantStatus(t, "GET the response page", bt.Navigate(t, stew, env.URL+accountPath+"/response"), http.StatusOK)
	wantText(t, stew, "h1", "The fund's response")
	bt.CheckA11y(t, stew, "response page")
	bt.Fill(t, stew, "Your response", "Thank you. Amira's club is exactly what we hoped the fund would make room for.")
	wantStatus(t, "send the response", bt.ClickButton(t, stew, "Send the response"), http.StatusOK)
	wantText(t, stew, ".notice[role=status]", "Your response is sent. It cannot be changed.")
	if bt.Count(t, stew, "a[href$='/edit']") != 0 || bt.Count(t, stew, "form[action$='/edit']") != 0 {
		t.Error("the steward is offered a way to edit the grantee's account")
	}

	// The grantee reads it.
	wantStatus(t, "grantee reloads", bt.Navigate(t, ctx, env.URL+accountPath), http.StatusOK)
	if got := bt.Text(t, ctx, "section[aria-labelledby=response-title]"); !strings.Contains(got, "exactly what we hoped") {
		t.Errorf("the grantee's view of the response: %q", got)
	}
	bt.CheckA11y(t, ctx, "account (responded)")
	bt.Screenshot(t, ctx, "account-responded")
	for _, want := range []string{"What we tried", "What happened"} {
		if got := bt.Text(t, stew, "main"); !strings.Contains(got, want) {
			t.Errorf("the steward's view lacks the heading %q", want)
		}
	}
	if got := bt.Text(t, stew, "main"); strings.Contains(got, "What you tried") {
		t.Error("the steward reads the account under a heading that says \"you\"")
	}

	// The steward records the first payment and writes notes of a
	// conversation.
	wantStatus(t, "steward opens the grant", bt.Navigate(t, stew, env.URL+grantPath), http.StatusOK)
	bt.CheckA11y(t, stew, "grant accounts (steward)")
	wantStatus(t, "record a payment", bt.ClickButton(t, stew, "Record that instalment 1 was paid"), http.StatusOK)
	wantText(t, stew, ".notice[role=status]", "The payment is recorded.")
	if got := bt.Text(t, stew, "section[aria-labelledby=payments-title]"); !strings.Contains(got, "Paid ") {
		t.Errorf("the payments after recording one: %q", got)
	}
	wantStatus(t, "open the notes page", bt.FollowLink(t, stew, "Write notes of a conversation"), http.StatusOK)
	wantText(t, stew, "h1", "Notes of a conversation with Hillside Youth Club")
	bt.CheckA11y(t, stew, "notes of a conversation")
	wantStatus(t, "save empty notes", bt.ClickButton(t, stew, "Save the notes for Hillside Youth Club to confirm"), http.StatusUnprocessableEntity)
	bt.CheckA11y(t, stew, "notes of a conversation (empty)")
	bt.Fill(t, stew, "What we learnt", "That the young people plan better menus than we do.")
	wantStatus(t, "save the notes", bt.ClickButton(t, stew, "Save the notes for Hillside Youth Club to confirm"), http.StatusOK)
	notes := regexp.MustCompile(`(/accounts/\d+)\?notice=notes$`).FindStringSubmatch(bt.Location(t, stew))
	if notes == nil {
		t.Fatalf("after saving the notes the steward is at %s", bt.Location(t, stew))
	}

	// The grantee finds them waiting, and confirms them with a correction.
	wantStatus(t, "grantee opens the grant", bt.Navigate(t, ctx, env.URL+grantPath), http.StatusOK)
	if got := bt.Text(t, ctx, "section[aria-labelledby=waiting-title]"); !strings.Contains(got, "Notes by Sam Steward") {
		t.Errorf("the notes waiting: %q", got)
	}
	if got := bt.Text(t, ctx, "section[aria-labelledby=payments-title]"); !strings.Contains(got, "Paid ") || strings.Contains(got, "Record that") {
		t.Errorf("the grantee's view of the payments: %q", got)
	}
	bt.CheckA11y(t, ctx, "grant accounts (notes waiting)")
	wantStatus(t, "open the notes", bt.Navigate(t, ctx, env.URL+notes[1]), http.StatusOK)
	bt.CheckA11y(t, ctx, "notes to confirm")
	bt.Fill(t, ctx, "Your corrections (optional)", "It was the older ones who planned them.")
	wantStatus(t, "confirm the notes", bt.ClickButton(t, ctx, "Confirm these notes"), http.StatusOK)
	wantText(t, ctx, ".notice[role=status]", "The notes are confirmed and now count as your account.")
}
