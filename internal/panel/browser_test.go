package panel_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
)

func browserSignIn(t *testing.T, ctx context.Context, env *apptest.Env, email string) {
	t.Helper()
	if s := bt.Navigate(t, ctx, env.URL+"/sign-in"); s != http.StatusOK {
		t.Fatalf("GET /sign-in: %d", s)
	}
	bt.Fill(t, ctx, "Email address", email)
	bt.Fill(t, ctx, "Password", apptest.Password)
	bt.ClickButton(t, ctx, "Sign in")
}

func setValue(t *testing.T, ctx context.Context, css, value string) {
	t.Helper()
	bt.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).value = %q`, css, value))
}

func wantStatus(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: HTTP status %d, want %d", what, got, want)
	}
}

// TestPanelPagesInABrowser walks the steward and a panel member through the
// panel's pages, with axe-core checking each one (and its error state) for
// WCAG 2.2 AA problems at desktop and phone sizes.
func TestPanelPagesInABrowser(t *testing.T) {
	t.Parallel()
	ctx := bt.Start(t)
	w := newWorld(t)
	env := w.env

	// The steward forms the panel.
	browserSignIn(t, ctx, env, w.people["steward"].Email)
	wantStatus(t, "panel page", bt.Navigate(t, ctx, fmt.Sprintf("%s/funds/%d/panel", env.URL, w.fund)), 200)
	bt.CheckA11y(t, ctx, "panel page (empty)")
	wantStatus(t, "add nobody", bt.ClickButton(t, ctx, "Add to the panel"), 422)
	bt.CheckA11y(t, ctx, "panel page with errors")
	for _, who := range []string{"member", "undeclared"} {
		bt.Fill(t, ctx, "Email address or user id", w.people[who].Email)
		wantStatus(t, "add "+who, bt.ClickButton(t, ctx, "Add to the panel"), 200)
		w.rolesEventually(t, w.people[who], authz.PanelMember)
	}
	bt.CheckA11y(t, ctx, "panel page")
	wantStatus(t, "edit a seat", bt.FollowLink(t, ctx, "Change or remove Mo Member"), 200)
	bt.CheckA11y(t, ctx, "seat form")

	// The member declares: first forgetting a note, then properly.
	bt.ClickButton(t, ctx, "Sign out")
	browserSignIn(t, ctx, env, w.people["member"].Email)
	declPath := fmt.Sprintf("%s/rounds/%d/declarations", env.URL, w.round)
	wantStatus(t, "declarations", bt.Navigate(t, ctx, declPath), 200)
	bt.CheckA11y(t, ctx, "declaration form")
	bt.ClickInPage(t, ctx, fmt.Sprintf("#kind-%d-disclosed", w.app1))
	bt.ClickInPage(t, ctx, fmt.Sprintf("#kind-%d", w.app2))
	wantStatus(t, "declare without a note", bt.ClickButton(t, ctx, "Save declarations"), 422)
	bt.CheckA11y(t, ctx, "declaration form with errors")
	setValue(t, ctx, fmt.Sprintf("#note-%d", w.app1), "We live on the same estate.")
	wantStatus(t, "declare", bt.ClickButton(t, ctx, "Save declarations"), 200)

	// Deliberation: post, then retract without and with a reason.
	wantStatus(t, "discussion", bt.Navigate(t, ctx, fmt.Sprintf("%s/applications/%d/discussion", env.URL, w.app1)), 200)
	bt.Fill(t, ctx, "Your comment", "The kitchen plan reads well.")
	wantStatus(t, "post", bt.ClickButton(t, ctx, "Post comment"), 200)
	bt.Eval[bool](t, ctx, `(document.querySelectorAll('details').forEach(d => d.open = true), true)`)
	bt.CheckA11y(t, ctx, "discussion with correct and retract forms")
	wantStatus(t, "retract without reason", bt.ClickButton(t, ctx, "Retract"), 422)
	bt.CheckA11y(t, ctx, "discussion with errors")
	bt.Fill(t, ctx, "Why you are retracting it", "I misread the budget.")
	wantStatus(t, "retract", bt.ClickButton(t, ctx, "Retract"), 200)
	if got := bt.Text(t, ctx, "main ol"); !strings.Contains(got, "Retracted: I misread the budget.") {
		t.Errorf("the thread shows %q", got)
	}
	wantStatus(t, "time", bt.Navigate(t, ctx, fmt.Sprintf("%s/rounds/%d/panel-time", env.URL, w.round)), 200)
	bt.CheckA11y(t, ctx, "a member's time page")

	// Someone who has not declared is shown the way.
	bt.ClickButton(t, ctx, "Sign out")
	browserSignIn(t, ctx, env, w.people["undeclared"].Email)
	wantStatus(t, "declare first", bt.Navigate(t, ctx, fmt.Sprintf("%s/applications/%d/discussion", env.URL, w.app1)), 409)
	bt.CheckA11y(t, ctx, "declare first")

	// The steward reads the table and records time.
	bt.ClickButton(t, ctx, "Sign out")
	browserSignIn(t, ctx, env, w.people["steward"].Email)
	wantStatus(t, "table", bt.Navigate(t, ctx, declPath), 200)
	bt.CheckA11y(t, ctx, "declarations table")
	wantStatus(t, "time", bt.Navigate(t, ctx, fmt.Sprintf("%s/rounds/%d/panel-time", env.URL, w.round)), 200)
	wantStatus(t, "record nothing", bt.ClickButton(t, ctx, "Record time"), 422)
	bt.CheckA11y(t, ctx, "time page with errors")
	setValue(t, ctx, "#user_id", fmt.Sprint(w.people["member"].ID))
	bt.Fill(t, ctx, "Hours", "2.5")
	bt.Fill(t, ctx, "Amount paid (GBP)", "45.50")
	wantStatus(t, "record", bt.ClickButton(t, ctx, "Record time"), 200)
	bt.CheckA11y(t, ctx, "time page")
	if got := bt.Text(t, ctx, "main table"); !strings.Contains(got, "£45.50") {
		t.Errorf("the time table shows %q", got)
	}
}
