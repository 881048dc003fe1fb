package browsertest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/search/searchtest"
	"github.com/humblehq/humble/internal/user"
)

// A steward writes a learning synthesis citing a theme and a section of a
// grantee's account, and publishes it; the fund's public page lists it and
// a visitor reads it with the citations they may read. A grantee searches
// the fund and finds what a peer shares with them, but not what the peer
// keeps for the funder; an empty search is refused with an error summary.
// axe finds nothing on any page, on a desktop and on a phone.
func TestSearchAndSynthesisJourney(t *testing.T) {
	env, ctx := start(t)
	f := searchtest.New(t, env.DB)
	// The fixture's people sign in with the test password.
	pw := env.CreateUser(t, "Password Holder")
	if err := env.DB.Exec(`UPDATE users SET password_hash = ? WHERE id IN (?, ?)`, pw.PasswordHash, f.Steward, f.GranteeB).Error; err != nil {
		t.Fatal(err)
	}
	email := func(id int64) string {
		var e string
		if err := env.DB.Raw(`SELECT email FROM users WHERE id = ?`, id).Scan(&e).Error; err != nil {
			t.Fatal(err)
		}
		return e
	}
	dom := authz.FundDomain(f.Fund)
	env.Grant(t, user.User{ID: f.Steward}, authz.Steward, dom)
	env.Grant(t, user.User{ID: f.GranteeA}, authz.Grantee, dom)
	env.Grant(t, user.User{ID: f.GranteeB}, authz.Grantee, dom)
	fundPath := fmt.Sprintf("/funds/%d", f.Fund)

	// The steward writes a synthesis.
	wantStatus(t, "steward signs in", signIn(t, ctx, env, email(f.Steward), apptest.Password), http.StatusOK)
	wantStatus(t, "GET syntheses", bt.Navigate(t, ctx, env.URL+fundPath+"/syntheses"), http.StatusOK)
	wantText(t, ctx, "h1", "Learning syntheses")
	bt.CheckA11y(t, ctx, "syntheses list")
	wantStatus(t, "write a synthesis", bt.FollowLink(t, ctx, "Write a synthesis"), http.StatusOK)
	wantText(t, ctx, "h1", "Write a learning synthesis")
	bt.CheckA11y(t, ctx, "synthesis form")
	wantStatus(t, "save without a title", bt.ClickButton(t, ctx, "Save the draft"), http.StatusUnprocessableEntity)
	if bt.Count(t, ctx, ".error-summary a[href='#title']") != 1 {
		t.Errorf("the error summary does not point to the title: %q", bt.Texts(t, ctx, ".error-summary a"))
	}
	bt.CheckA11y(t, ctx, "synthesis form (errors)")
	bt.Fill(t, ctx, "Title", "Autumn: rooms people make their own")
	bt.Eval[string](t, ctx, `document.getElementById('period_start').value = '2026-09-01'`)
	bt.Eval[string](t, ctx, `document.getElementById('period_end').value = '2026-11-30'`)
	bt.Fill(t, ctx, "What the fund is learning", "Spaces work when the people using them decide what they are for.")
	for _, v := range []string{fmt.Sprintf("theme:%d", f.Theme), fmt.Sprintf("section:%d:what_we_learnt", f.AccountA)} {
		id := bt.Eval[string](t, ctx, `document.querySelector('input[name=cite][value="`+v+`"]').id`)
		clickLabel(t, ctx, id)
	}
	if n := bt.Count(t, ctx, fmt.Sprintf(`input[name=cite][value="dialogue:%d"]`, f.Dialogue)); n != 1 {
		t.Errorf("the steward, who convened the dialogue, may not cite it (%d)", n)
	}
	wantStatus(t, "save the draft", bt.ClickButton(t, ctx, "Save the draft"), http.StatusOK)
	m := regexp.MustCompile(`/syntheses/(\d+)\?notice=saved$`).FindStringSubmatch(bt.Location(t, ctx))
	if m == nil {
		t.Fatalf("the browser is at %s, want a synthesis page", bt.Location(t, ctx))
	}
	synPath := "/syntheses/" + m[1]
	if got := bt.Text(t, ctx, "section[aria-labelledby=sources-title]"); !strings.Contains(got, "Theme: Belonging") ||
		!strings.Contains(got, "Hillside Youth Club: What we learnt") {
		t.Errorf("the draft's sources: %q", got)
	}
	bt.CheckA11y(t, ctx, "synthesis (draft)")
	wantStatus(t, "publish", bt.ClickButton(t, ctx, "Publish the synthesis"), http.StatusOK)
	wantText(t, ctx, ".notice[role=status]", "The synthesis is published on the fund's page. It will not change from now on.")
	if bt.Count(t, ctx, "a[href$='/edit']") != 0 {
		t.Error("a published synthesis still offers to edit it")
	}

	// Anyone reads it from the fund's page.
	anon := freshBrowser(t, ctx)
	wantStatus(t, "GET the fund page", bt.Navigate(t, anon, env.URL+fundPath), http.StatusOK)
	if got := bt.Text(t, anon, "section[aria-labelledby=syntheses-title]"); !strings.Contains(got, "Autumn: rooms people make their own") {
		t.Errorf("the fund page's syntheses: %q", got)
	}
	bt.CheckA11y(t, anon, "fund page with syntheses")
	wantStatus(t, "open the synthesis", bt.FollowLink(t, anon, "Autumn: rooms people make their own"), http.StatusOK)
	wantPath(t, anon, env, synPath)
	if got := bt.Text(t, anon, "section[aria-labelledby=sources-title]"); !strings.Contains(got, "Theme: Belonging") ||
		!strings.Contains(got, "What we learnt") {
		t.Errorf("the public's view of the sources: %q", got)
	}
	bt.CheckA11y(t, anon, "synthesis (published)")

	// A grantee searches the fund.
	peer := freshBrowser(t, ctx)
	wantStatus(t, "grantee signs in", signIn(t, peer, env, email(f.GranteeB), apptest.Password), http.StatusOK)
	wantStatus(t, "GET the search page", bt.Navigate(t, peer, env.URL+fundPath+"/search"), http.StatusOK)
	bt.CheckA11y(t, peer, "search page")
	wantStatus(t, "search nothing", bt.ClickButton(t, peer, "Search"), http.StatusUnprocessableEntity)
	checkErrorSummary(t, peer, map[string]string{"q": "Say what words to look for."})
	bt.CheckA11y(t, peer, "search page (error)")
	bt.Fill(t, peer, "Words to look for", searchtest.PeersSection+" clubs")
	wantStatus(t, "search shared words", bt.ClickButton(t, peer, "Search"), http.StatusOK)
	results := bt.Text(t, peer, "section[aria-labelledby=results-title]")
	if !strings.Contains(results, "Reflective account from Hillside Youth Club: What we tried") ||
		!strings.Contains(results, searchtest.PeersSection+" clubs on Saturdays") || bt.Count(t, peer, "mark") == 0 {
		t.Errorf("the peer's results: %q", results)
	}
	bt.CheckA11y(t, peer, "search results")
	bt.Screenshot(t, peer, "search-results")
	bt.Fill(t, peer, "Words to look for", searchtest.PartnerSection)
	wantStatus(t, "search private words", bt.ClickButton(t, peer, "Search"), http.StatusOK)
	results = bt.Text(t, peer, "section[aria-labelledby=results-title]")
	if !strings.Contains(results, "Nothing found") || strings.Contains(results, searchtest.PartnerSection) {
		t.Errorf("the peer found private words: %q", results)
	}
	bt.CheckA11y(t, peer, "search results (none)")
}
