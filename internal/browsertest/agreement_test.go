package browsertest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/org"
)

// A steward and a grantee, each in their own browser, write a grant's
// learning agreement together: the steward starts it and adds a learning
// signal, the grantee changes the cadence while the steward is editing (so
// the steward's save is refused and shown beside the current text), the
// grantee signs, the steward's later change sets that signature aside,
// both sign, and the grantee renegotiates a second version whose changes
// both can read side by side.
func TestAgreementJourney(t *testing.T) {
	env, steward := start(t)
	sam, gus := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Gus Grantee")
	club := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, gus)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, sam)
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Riverside Futures")
	round := applicationtest.PastRound(t, env.DB, fund, "decided")
	_, grant := applicationtest.Grant(t, env.DB, round, club.ID, "Kitchen table", 1000000, "2026-04-01", "2027-03-31")
	env.Grant(t, sam, authz.Steward, authz.FundDomain(fund))
	env.Grant(t, gus, authz.Grantee, authz.FundDomain(fund))
	waitForFundRole(t, env, gus.ID, authz.Grantee, fund)
	page := fmt.Sprintf("/grants/%d/agreement", grant)

	// The steward starts the agreement from its filled-in first draft.
	wantStatus(t, "steward signs in", signIn(t, steward, env, sam.Email, apptest.Password), http.StatusOK)
	wantStatus(t, "GET "+page, bt.Navigate(t, steward, env.URL+page), http.StatusOK)
	wantText(t, steward, "h1", "Learning agreement")
	if !strings.Contains(bt.Text(t, steward, "main"), "None of them is tied to payment or to renewal of this grant") {
		t.Error("the agreement page lacks the statement about learning signals")
	}
	bt.CheckA11y(t, steward, "agreement (not started)")
	wantStatus(t, "start writing", bt.FollowLink(t, steward, "Start writing the agreement"), http.StatusOK)
	wantText(t, steward, "h1", "Start the learning agreement")
	if got := bt.FieldValue(t, steward, "Shared purpose"); got != "To enable belonging for young people in Riverside." {
		t.Errorf("the first draft's shared purpose: %q", got)
	}
	bt.Fill(t, steward, "Why we funded you", "The panel loved that the kitchen is run by the people who use it.")
	bt.Fill(t, steward, "Learning questions", "Who comes, and who does not yet?\nWhat makes people come back?")
	bt.Fill(t, steward, "Name of learning signal 1", "Who comes to supper")
	bt.Fill(t, steward, "What it tells us of learning signal 1", "Whether new people find their way in.")
	bt.Fill(t, steward, "What it does not tell us of learning signal 1", "Whether they feel they belong.")
	wantStatus(t, "add another signal", bt.ClickButton(t, steward, "Add another learning signal"), http.StatusOK)
	if n := bt.Count(t, steward, "fieldset.signal"); n != 2 {
		t.Errorf("%d signal fieldsets after adding one, want 2", n)
	}
	if got := bt.FieldValue(t, steward, "Name of learning signal 1"); got != "Who comes to supper" {
		t.Errorf("adding a signal lost the first: %q", got)
	}
	bt.CheckA11y(t, steward, "agreement editor (two signals)")
	bt.Screenshot(t, steward, "agreement-editor")
	wantStatus(t, "save the first draft", bt.ClickButton(t, steward, "Save the draft"), http.StatusOK)
	wantPath(t, steward, env, page+"?notice=saved")
	main := bt.Text(t, steward, "main")
	for _, want := range []string{"Who comes to supper", "What it does not tell us: Whether they feel they belong.", "Every 6 months"} {
		if !strings.Contains(main, want) {
			t.Errorf("the saved draft lacks %q", want)
		}
	}

	// The steward opens the editor; meanwhile the grantee changes the
	// cadence and saves. The steward's save is refused, and nothing is
	// overwritten.
	wantStatus(t, "steward opens the editor", bt.FollowLink(t, steward, "Change the draft"), http.StatusOK)
	grantee := freshBrowser(t, steward)
	wantStatus(t, "grantee signs in", signIn(t, grantee, env, gus.Email, apptest.Password), http.StatusOK)
	wantStatus(t, "GET "+page, bt.Navigate(t, grantee, env.URL+page), http.StatusOK)
	wantStatus(t, "grantee opens the editor", bt.FollowLink(t, grantee, "Change the draft"), http.StatusOK)
	bt.Fill(t, grantee, "How often, in months (1 to 24)", "4")
	wantStatus(t, "grantee saves", bt.ClickButton(t, grantee, "Save the draft"), http.StatusOK)
	bt.Fill(t, steward, "Consent terms for stories", "We name people only with their written consent.")
	wantStatus(t, "steward saves a stale draft", bt.ClickButton(t, steward, "Save the draft"), http.StatusPreconditionFailed)
	if got := bt.Texts(t, steward, ".error-summary a"); len(got) != 1 || !strings.Contains(got[0], "Someone else saved the draft") {
		t.Errorf("the refusal says %q", got)
	}
	wantFocus(t, steward, "div.error-summary")
	if got := bt.FieldValue(t, steward, "How often, in months (1 to 24)"); got != "4" {
		t.Errorf("the form does not show the grantee's change: %q", got)
	}
	if !strings.Contains(bt.Text(t, steward, "section[aria-labelledby=yours]"), "We name people only with their written consent.") {
		t.Error("the steward's own words are not shown beside the current text")
	}
	bt.CheckA11y(t, steward, "agreement editor (someone else saved first)")
	bt.Screenshot(t, steward, "agreement-stale")
	bt.Fill(t, steward, "Consent terms for stories", "We name people only with their written consent.")
	wantStatus(t, "steward saves again", bt.ClickButton(t, steward, "Save the draft"), http.StatusOK)
	wantPath(t, steward, env, page+"?notice=saved")

	// The grantee signs; the steward then changes the text, which sets the
	// grantee's signature aside, and says so.
	wantStatus(t, "grantee reloads", bt.Navigate(t, grantee, env.URL+page), http.StatusOK)
	if !strings.Contains(bt.Text(t, grantee, "section[aria-labelledby=sign-title]"), "What signing means.") {
		t.Error("the signing section does not explain signing")
	}
	bt.CheckA11y(t, grantee, "agreement (ready to sign)")
	wantStatus(t, "grantee signs", bt.ClickButton(t, grantee, "Sign version 1 for the grantee"), http.StatusOK)
	wantText(t, grantee, ".notice[role=status]", "You have signed the draft. Once the other side signs the same text, this version is fixed.")
	wantStatus(t, "steward opens the editor", bt.Navigate(t, steward, env.URL+page+"/edit"), http.StatusOK)
	if !strings.Contains(bt.Text(t, steward, "main"), "This text has been signed by Gus Grantee (for the grantee)") {
		t.Error("the editor does not warn that the text is signed")
	}
	bt.Fill(t, steward, "The funder answers each reflective account within (days)", "14")
	wantStatus(t, "steward changes a signed draft", bt.ClickButton(t, steward, "Save the draft"), http.StatusOK)
	wantPath(t, steward, env, page+"?notice=cleared")
	if got := bt.Text(t, steward, ".notice[role=status]"); !strings.Contains(got, "that signature no longer counts") {
		t.Errorf("the notice after changing a signed text: %q", got)
	}

	// Both sign the new text.
	wantStatus(t, "steward signs", bt.ClickButton(t, steward, "Sign version 1 for the funder"), http.StatusOK)
	wantStatus(t, "grantee reloads", bt.Navigate(t, grantee, env.URL+page), http.StatusOK)
	wantStatus(t, "grantee signs again", bt.ClickButton(t, grantee, "Sign version 1 for the grantee"), http.StatusOK)
	wantText(t, grantee, ".notice[role=status]", "Both sides have signed. This version of the agreement is now fixed and governs the grant.")
	wantText(t, grantee, "#signed-title", "Version 1: signed, and governing the grant")
	if got := bt.Texts(t, grantee, "section[aria-labelledby=signed-title] tbody tr"); len(got) != 2 ||
		!strings.HasPrefix(got[0], "The funder Sam Steward") || !strings.HasPrefix(got[1], "The grantee Gus Grantee") {
		t.Errorf("the signatures: %q", got)
	}
	bt.CheckA11y(t, grantee, "agreement (signed)")
	bt.Screenshot(t, grantee, "agreement-signed")

	// The grantee renegotiates: version 2 starts from version 1.
	wantStatus(t, "renegotiate", bt.ClickButton(t, grantee, "Renegotiate the agreement"), http.StatusOK)
	wantText(t, grantee, "#draft-title", "Version 2: the draft being written")
	wantStatus(t, "grantee opens the editor", bt.FollowLink(t, grantee, "Change the draft"), http.StatusOK)
	bt.Fill(t, grantee, "Learning questions", "Who comes, and who does not yet?\nWhat do people cook when it is their turn?\nDoes anyone bring a friend?")
	wantStatus(t, "save version 2", bt.ClickButton(t, grantee, "Save the draft"), http.StatusOK)
	wantStatus(t, "what changed", bt.FollowLink(t, grantee, "What changed from version 1"), http.StatusOK)
	wantText(t, grantee, "h1", "What changed in version 2")
	wantText(t, grantee, "table.changes caption", "Version 1 beside version 2: the parts that changed")
	rows := bt.Texts(t, grantee, "table.changes tbody tr")
	if strings.Join(rows, "|") != "Learning question 2 What makes people come back? What do people cook when it is their turn? Changed|"+
		"Learning question 3 (empty) Does anyone bring a friend? Added" {
		t.Errorf("the changes: %q", rows)
	}
	bt.CheckA11y(t, grantee, "agreement changes")
	bt.Screenshot(t, grantee, "agreement-changes")

	// The steward reads every version.
	wantStatus(t, "GET versions", bt.Navigate(t, steward, env.URL+page+"/versions"), http.StatusOK)
	if got := bt.Texts(t, steward, "tbody tr"); len(got) != 2 || !strings.HasPrefix(got[0], "Version 2 Draft") ||
		!strings.Contains(got[1], "Signed by both sides") || !strings.Contains(got[1], "(governs the grant)") {
		t.Errorf("the versions: %q", got)
	}
	bt.CheckA11y(t, steward, "agreement versions")
	wantStatus(t, "GET version 1", bt.FollowLink(t, steward, "Version 1"), http.StatusOK)
	wantText(t, steward, "h1", "Version 1 of the learning agreement")
	if !strings.Contains(bt.Text(t, steward, "main"), "Within 14 days of each account") {
		t.Error("version 1 does not say what was signed")
	}
	bt.CheckA11y(t, steward, "agreement version 1")
}
