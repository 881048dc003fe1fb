package browsertest_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/humblehq/humble/internal/app"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/user"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// signInFailed is the sign-in form's one message for a wrong password and
// an unknown email alike.
const signInFailed = "Email or password is not right. Check them and try again."

// start gives the test a browser, then a running Humble. The browser comes
// first so a test without Chromium fails (or skips) before making a
// database.
func start(t *testing.T) (*apptest.Env, context.Context) {
	t.Helper()
	t.Parallel()
	ctx := bt.Start(t)
	return apptest.New(t), ctx
}

func wantStatus(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: HTTP status %d, want %d", what, got, want)
	}
}

func wantText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	if got := bt.Text(t, ctx, css); got != want {
		t.Errorf("%s: text %q, want %q", css, got, want)
	}
}

func wantFocus(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	if got := bt.Focused(t, ctx); got != want {
		t.Errorf("focus is on %q, want %q", got, want)
	}
}

func wantPath(t *testing.T, ctx context.Context, env *apptest.Env, want string) {
	t.Helper()
	if got := bt.Location(t, ctx); got != env.URL+want {
		t.Errorf("the browser is at %s, want %s", got, env.URL+want)
	}
}

// signIn fills in and sends the sign-in form; it returns the status of the
// page the browser ends on.
func signIn(t *testing.T, ctx context.Context, env *apptest.Env, email, password string) int {
	t.Helper()
	wantStatus(t, "GET /sign-in", bt.Navigate(t, ctx, env.URL+"/sign-in"), http.StatusOK)
	bt.Fill(t, ctx, "Email address", email)
	bt.Fill(t, ctx, "Password", password)
	return bt.ClickButton(t, ctx, "Sign in")
}

// checkErrorSummary checks a form's error state: the summary has focus and
// lists the messages, each linking to its field, and each field shows its
// own message and is marked invalid.
func checkErrorSummary(t *testing.T, ctx context.Context, fields map[string]string) {
	t.Helper()
	if bt.Count(t, ctx, ".error-summary") != 1 {
		t.Fatalf("no error summary on the page")
	}
	wantText(t, ctx, ".error-summary h2", "There is a problem")
	if role := bt.Attr(t, ctx, ".error-summary", "role"); role != "alert" {
		t.Errorf("error summary role %q, want alert", role)
	}
	wantFocus(t, ctx, "div.error-summary")
	links := bt.Texts(t, ctx, ".error-summary a")
	if len(links) != len(fields) {
		t.Errorf("error summary lists %q, want %d message(s)", links, len(fields))
	}
	for id, msg := range fields {
		sel := `.error-summary a[href="#` + id + `"]`
		if bt.Count(t, ctx, sel) != 1 {
			t.Errorf("error summary has no link to #%s: %q", id, links)
			continue
		}
		wantText(t, ctx, sel, msg)
		wantText(t, ctx, "#"+id+"-error", "Error: "+msg)
		if got := bt.Attr(t, ctx, "#"+id, "aria-invalid"); got != "true" {
			t.Errorf("#%s aria-invalid=%q, want true", id, got)
		}
		if got := bt.Attr(t, ctx, "#"+id, "aria-describedby"); !slices.Contains(strings.Fields(got), id+"-error") {
			t.Errorf("#%s aria-describedby=%q, want it to name %s-error", id, got, id)
		}
	}
}

// A first administrator, made as `humble admin create` makes one, signs in
// through the form and lands on the home page, then signs out.
func TestSignIn(t *testing.T) {
	env, ctx := start(t)
	admin, err := app.CreateAdmin(context.Background(), env.Svc, user.NewAccount{
		Email: "ada@example.org", DisplayName: "Ada Lovelace", Password: "analytical engine notes",
	})
	if err != nil {
		t.Fatal(err)
	}
	// The server learns of a role assigned inside a transaction (as
	// CreateAdmin does) from its LISTEN/NOTIFY listener, within a second.
	deadline := time.Now().Add(2 * time.Second)
	for !slices.Contains(env.Svc.Authz.RolesIn(admin.ID, authz.Installation), authz.Admin) {
		if time.Now().After(deadline) {
			t.Fatalf("CreateAdmin's role not seen by the server: roles %q", env.Svc.Authz.RolesIn(admin.ID, authz.Installation))
		}
		time.Sleep(20 * time.Millisecond)
	}

	wantStatus(t, "GET /", bt.Navigate(t, ctx, env.URL+"/"), http.StatusOK)
	wantText(t, ctx, "h1", "Welcome to Humble")
	bt.CheckA11y(t, ctx, "home (signed out)")

	wantStatus(t, "follow the Sign in link", bt.FollowLink(t, ctx, "Sign in"), http.StatusOK)
	wantPath(t, ctx, env, "/sign-in")
	wantText(t, ctx, "h1", "Sign in")
	if got := bt.Eval[string](t, ctx, `document.title`); got != "Sign in · Humble" {
		t.Errorf("title %q", got)
	}
	bt.CheckA11y(t, ctx, "sign-in")
	bt.Screenshot(t, ctx, "sign-in")

	bt.Fill(t, ctx, "Email address", "ada@example.org")
	bt.Fill(t, ctx, "Password", "analytical engine notes")
	wantStatus(t, "sign in", bt.ClickButton(t, ctx, "Sign in"), http.StatusOK)
	wantPath(t, ctx, env, "/")
	wantText(t, ctx, "h1", "Welcome, Ada Lovelace")
	nav := bt.Texts(t, ctx, "nav a, nav button")
	if !slices.Contains(nav, "Your account") || !slices.Contains(nav, "Sign out") || slices.Contains(nav, "Sign in") {
		t.Errorf("navigation when signed in: %q", nav)
	}
	bt.CheckA11y(t, ctx, "home (signed in)")
	bt.Screenshot(t, ctx, "home-signed-in")

	wantStatus(t, "sign out", bt.ClickButton(t, ctx, "Sign out"), http.StatusOK)
	wantPath(t, ctx, env, "/")
	wantText(t, ctx, "h1", "Welcome to Humble")
}

// A wrong password and an unknown email get the same error, shown in a
// focused summary linking to the field and beside the field itself.
func TestWrongPassword(t *testing.T) {
	env, ctx := start(t)
	u := env.CreateUser(t, "Grace Hopper")

	wantStatus(t, "sign in with a wrong password", signIn(t, ctx, env, u.Email, "not the right password"), http.StatusUnauthorized)
	wantPath(t, ctx, env, "/sign-in")
	checkErrorSummary(t, ctx, map[string]string{"email": signInFailed})
	if got := bt.FieldValue(t, ctx, "Email address"); got != u.Email {
		t.Errorf("email field holds %q after the error, want %q", got, u.Email)
	}
	if got := bt.FieldValue(t, ctx, "Password"); got != "" {
		t.Errorf("password field is refilled after the error")
	}
	bt.CheckA11y(t, ctx, "sign-in (wrong password)")
	bt.Screenshot(t, ctx, "sign-in-wrong-password")
	// The summary's link takes the keyboard to the field.
	bt.ClickInPage(t, ctx, `.error-summary a[href="#email"]`)
	wantFocus(t, ctx, "input#email")
	known := bt.Text(t, ctx, "main")

	wantStatus(t, "sign in with an unknown email", signIn(t, ctx, env, "nobody.here@example.org", "not the right password"), http.StatusUnauthorized)
	checkErrorSummary(t, ctx, map[string]string{"email": signInFailed})
	if unknown := bt.Text(t, ctx, "main"); unknown != known {
		t.Errorf("the page tells an unknown email from a wrong password:\nknown:   %s\nunknown: %s", known, unknown)
	}

	// An empty form names both fields; each link focuses its field.
	wantStatus(t, "GET /sign-in", bt.Navigate(t, ctx, env.URL+"/sign-in"), http.StatusOK)
	wantStatus(t, "send an empty form", bt.ClickButton(t, ctx, "Sign in"), http.StatusUnprocessableEntity)
	checkErrorSummary(t, ctx, map[string]string{"email": "Enter your email address", "password": "Enter your password"})
	bt.CheckA11y(t, ctx, "sign-in (empty form)")
	bt.ClickInPage(t, ctx, `.error-summary a[href="#password"]`)
	wantFocus(t, ctx, "input#password")
}

// An invited person follows the link, fixes a too-short password, and is
// signed in; the link then no longer works.
func TestAcceptInvitation(t *testing.T) {
	env, ctx := start(t)
	admin := env.CreateUser(t, "Ada Lovelace")
	env.Grant(t, admin, authz.Admin, authz.Installation)
	secret, _, err := env.Svc.Users.Invite(context.Background(), admin.ID, user.NewInvitation{Email: "grace@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	link := env.URL + user.InvitePath + secret

	wantStatus(t, "follow the invitation", bt.Navigate(t, ctx, link), http.StatusOK)
	wantText(t, ctx, "h1", "Accept your invitation")
	if !strings.Contains(bt.Text(t, ctx, "main"), "grace@example.org") {
		t.Errorf("the invitation page does not say which email was invited")
	}
	bt.CheckA11y(t, ctx, "invitation")

	bt.Fill(t, ctx, "Your name", "Grace Hopper")
	bt.Fill(t, ctx, "Choose a password", "too short")
	wantStatus(t, "accept with a short password", bt.ClickButton(t, ctx, "Create my account"), http.StatusUnprocessableEntity)
	msgs := bt.Texts(t, ctx, ".error-summary a")
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Password") {
		t.Fatalf("error summary %q, want one message about the password", msgs)
	}
	checkErrorSummary(t, ctx, map[string]string{"password": msgs[0]})
	if got := bt.FieldValue(t, ctx, "Your name"); got != "Grace Hopper" {
		t.Errorf("name field holds %q after the error", got)
	}
	bt.CheckA11y(t, ctx, "invitation (password too short)")
	bt.Screenshot(t, ctx, "invitation-short-password")

	bt.Fill(t, ctx, "Choose a password", "nanoseconds of wire")
	wantStatus(t, "accept", bt.ClickButton(t, ctx, "Create my account"), http.StatusOK)
	wantPath(t, ctx, env, "/")
	wantText(t, ctx, "h1", "Welcome, Grace Hopper")

	wantStatus(t, "follow the used invitation", bt.Navigate(t, ctx, link), http.StatusGone)
	wantText(t, ctx, "h1", "This invitation link does not work")
	if bt.Count(t, ctx, "main form") != 0 {
		t.Errorf("a used invitation still shows a form")
	}
	bt.CheckA11y(t, ctx, "invitation (used)")

	// The new account signs in with the password chosen.
	wantStatus(t, "sign out", bt.ClickButton(t, ctx, "Sign out"), http.StatusOK)
	wantStatus(t, "sign in", signIn(t, ctx, env, "grace@example.org", "nanoseconds of wire"), http.StatusOK)
	wantText(t, ctx, "h1", "Welcome, Grace Hopper")
}

// A token's secret is shown once, right after it is made; afterwards the
// token is listed by its prefix and can be revoked.
func TestCreateToken(t *testing.T) {
	env, ctx := start(t)
	u := env.CreateUser(t, "Katherine Johnson")
	wantStatus(t, "sign in", signIn(t, ctx, env, u.Email, apptest.Password), http.StatusOK)

	wantStatus(t, "follow Your account", bt.FollowLink(t, ctx, "Your account"), http.StatusOK)
	wantPath(t, ctx, env, "/account")
	wantText(t, ctx, "h1", "Your account")
	if !strings.Contains(bt.Text(t, ctx, "main"), "You have no tokens.") {
		t.Errorf("a new account lists tokens")
	}
	bt.CheckA11y(t, ctx, "account (no tokens)")

	bt.Fill(t, ctx, "Token name", "reporting script")
	wantStatus(t, "create a token", bt.ClickButton(t, ctx, "Create token"), http.StatusOK)
	secret := bt.FieldValue(t, ctx, "Token")
	if !strings.HasPrefix(secret, "hmb_") || len(secret) < 30 {
		t.Fatalf("the new token field holds %q", secret)
	}
	if !bt.Eval[bool](t, ctx, `(() => { const r = document.getElementById('new-token').getBoundingClientRect(); return r.width > 100 && r.height > 10 })()`) {
		t.Errorf("the new token is not visible")
	}
	if !strings.Contains(bt.Text(t, ctx, ".notice.secret"), "it will not be shown again") {
		t.Errorf("the new token's notice does not warn that it is shown once")
	}
	if r := env.Do(t, http.MethodGet, "/api/v1/me", secret, nil); r.Status != http.StatusOK {
		t.Errorf("GET /api/v1/me with the new token: %d %s", r.Status, r.Body)
	}
	bt.CheckA11y(t, ctx, "account (new token)")
	bt.Screenshot(t, ctx, "account-new-token")

	// Coming back: the secret is gone, the token is listed by its prefix.
	wantStatus(t, "GET /account", bt.Navigate(t, ctx, env.URL+"/account"), http.StatusOK)
	if bt.Count(t, ctx, "#new-token") != 0 || bt.Eval[bool](t, ctx, `document.documentElement.outerHTML.includes(`+jsString(secret)+`)`) {
		t.Fatalf("the token's secret is shown again")
	}
	if n := bt.Count(t, ctx, "table tbody tr"); n != 1 {
		t.Fatalf("%d tokens listed, want 1", n)
	}
	wantText(t, ctx, "tbody tr td:nth-child(1)", "reporting script")
	wantText(t, ctx, "tbody tr td:nth-child(2)", secret[:len("hmb_")+6]+"…")
	if got := bt.Text(t, ctx, "tbody tr td:nth-child(4)"); got == "never" || got == "" {
		t.Errorf("last used %q after the token was used", got)
	}

	wantStatus(t, "revoke", bt.ClickButton(t, ctx, "Revoke token reporting script"), http.StatusOK)
	wantPath(t, ctx, env, "/account")
	if got := bt.Text(t, ctx, "tbody tr td:nth-child(5)"); !strings.HasPrefix(got, "revoked ") {
		t.Errorf("status after revoking: %q", got)
	}
	if n := bt.Count(t, ctx, "tbody button"); n != 0 {
		t.Errorf("a revoked token still has %d button(s)", n)
	}
	if r := env.Do(t, http.MethodGet, "/api/v1/me", secret, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me with the revoked token: %d", r.Status)
	}
	bt.CheckA11y(t, ctx, "account (revoked token)")
	bt.Screenshot(t, ctx, "account-revoked")
}

// The skip link is the first tab stop, shows when focused, and moves focus
// to the main content, from where Tab continues into it.
func TestSkipLink(t *testing.T) {
	env, ctx := start(t)
	for _, path := range []string{"/", "/sign-in"} {
		wantStatus(t, "GET "+path, bt.Navigate(t, ctx, env.URL+path), http.StatusOK)
		bt.Tab(t, ctx)
		wantFocus(t, ctx, "a.skip-link")
		if got := bt.FocusedText(t, ctx); got != "Skip to main content" {
			t.Errorf("%s: first tab stop says %q", path, got)
		}
		if !bt.FocusedIsVisible(t, ctx) {
			t.Errorf("%s: the focused skip link is not visible", path)
		}
		bt.Press(t, ctx, kb.Enter)
		wantFocus(t, ctx, "main#main")
		bt.Tab(t, ctx)
		if !bt.Eval[bool](t, ctx, `document.querySelector('main').contains(document.activeElement)`) {
			t.Errorf("%s: Tab after the skip link goes to %s, outside main", path, bt.Focused(t, ctx))
		}
	}
}

func jsString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'`
}
