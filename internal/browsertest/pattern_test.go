package browsertest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/pattern"
)

// A steward accepts a theme a grantee suggested, puts it on two sections
// of the grantee's submitted account (one for the funder only, one
// public), opens the fund's pattern view and follows a count to its
// sources. A grantee of another organisation sees the smaller count, and
// only the public source behind it. axe finds nothing on any page, on a
// desktop and on a phone.
func TestPatternJourney(t *testing.T) {
	env, ctx := start(t)
	steward, grantee, peer := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Gina Grantee"), env.CreateUser(t, "Pat Peer")
	club := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, grantee)
	env.CreateOrg(t, "Shared Tables", org.Applicant, peer)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, steward)
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Riverside Futures")
	round := applicationtest.PastRound(t, env.DB, fund, "review")
	_, grant := applicationtest.Grant(t, env.DB, round, club.ID, "Saturday clubs", 50000, "2026-01-01", "2026-12-31")
	dom := authz.FundDomain(fund)
	env.Grant(t, steward, authz.Steward, dom)
	env.Grant(t, grantee, authz.Grantee, dom)
	env.Grant(t, peer, authz.Grantee, dom)

	svc := env.Svc.Accounts
	m, err := svc.Create(ctx, grantee.ID, grant, account.NewAccount{Contents: account.Contents{PeriodStart: "2026-04-01", PeriodEnd: "2026-06-30",
		Sections: map[string]account.SectionInput{
			"not_as_hoped":   {Body: "FUNDER-ONLY: the first menu was ours, not theirs.", Visibility: account.FunderAndPartner},
			"what_we_learnt": {Body: "The young people plan better menus than we do.", Visibility: account.Public},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, grantee.ID, m.ID, m.Version); err != nil {
		t.Fatal(err)
	}
	th, err := env.Svc.Patterns.Suggest(ctx, grantee.ID, fund, pattern.NewTheme{Name: "Belonging"})
	if err != nil {
		t.Fatal(err)
	}

	// The steward accepts the suggestion.
	wantStatus(t, "steward signs in", signIn(t, ctx, env, steward.Email, apptest.Password), http.StatusOK)
	themes := fmt.Sprintf("/funds/%d/themes", fund)
	wantStatus(t, "GET "+themes, bt.Navigate(t, ctx, env.URL+themes), http.StatusOK)
	wantText(t, ctx, "h1", "Themes")
	if got := bt.Text(t, ctx, "section[aria-labelledby=others-title]"); !strings.Contains(got, "Belonging · suggested by Gina Grantee") {
		t.Errorf("the suggestion: %q", got)
	}
	bt.CheckA11y(t, ctx, "themes (a suggestion waiting)")
	bt.ClickInPage(t, ctx, fmt.Sprintf("#theme-%d summary", th.ID))
	bt.Fill(t, ctx, "What it is about", "Feeling that a place and its people are yours.")
	bt.CheckA11y(t, ctx, "themes (curating)")
	wantStatus(t, "accept the theme", bt.ClickButton(t, ctx, "Accept Belonging"), http.StatusOK)
	wantText(t, ctx, ".notice[role=status]", "The theme is saved.")
	if got := bt.Text(t, ctx, "section[aria-labelledby=curated-title]"); !strings.Contains(got, "Belonging: Feeling that a place and its people are yours.") {
		t.Errorf("the themes in use: %q", got)
	}
	bt.Screenshot(t, ctx, "themes")

	// The steward tags two sections of the account.
	tags := fmt.Sprintf("/accounts/%d/themes", m.ID)
	wantStatus(t, "GET "+tags, bt.Navigate(t, ctx, env.URL+tags), http.StatusOK)
	wantText(t, ctx, "h1", "Themes in the account by Hillside Youth Club, 1 April 2026 to 30 June 2026")
	bt.CheckA11y(t, ctx, "tagging an account")
	clickLabel(t, ctx, fmt.Sprintf("tag-not_as_hoped-%d", th.ID))
	clickLabel(t, ctx, fmt.Sprintf("tag-what_we_learnt-%d", th.ID))
	wantStatus(t, "save the themes", bt.ClickButton(t, ctx, "Save the themes"), http.StatusOK)
	wantText(t, ctx, ".notice[role=status]", "The themes are saved.")
	if !bt.Eval[bool](t, ctx, fmt.Sprintf(`document.getElementById('tag-not_as_hoped-%d').checked && document.getElementById('tag-what_we_learnt-%d').checked`, th.ID, th.ID)) {
		t.Error("the saved themes are not ticked")
	}
	bt.Screenshot(t, ctx, "tagging")

	// The pattern view, and the sources behind a count.
	patterns := fmt.Sprintf("/funds/%d/patterns", fund)
	wantStatus(t, "GET "+patterns, bt.Navigate(t, ctx, env.URL+patterns), http.StatusOK)
	wantText(t, ctx, "h1", "Patterns across the fund")
	if bt.Count(t, ctx, "svg[role=img] title") != 1 || bt.Count(t, ctx, "svg[role=img] desc") != 1 || bt.Count(t, ctx, "svg rect") != 1 {
		t.Error("the chart lacks its title, its description or its bar")
	}
	if got := bt.Text(t, ctx, "table caption"); !strings.HasPrefix(got, "Belonging") {
		t.Errorf("the table's caption: %q", got)
	}
	bt.CheckA11y(t, ctx, "pattern view (steward)")
	bt.Screenshot(t, ctx, "patterns-steward")
	wantStatus(t, "follow the count", bt.FollowLink(t, ctx, "2 sources for Belonging in April to June 2026"), http.StatusOK)
	wantPath(t, ctx, env, fmt.Sprintf("/funds/%d/patterns/%d?period=2026-Q2", fund, th.ID))
	wantText(t, ctx, "h1", "“Belonging” in April to June 2026")
	if got := bt.Text(t, ctx, "main"); !strings.Contains(got, "2 sources you can read") || !strings.Contains(got, "FUNDER-ONLY") {
		t.Errorf("the steward's sources: %q", got)
	}
	if n := bt.Count(t, ctx, fmt.Sprintf(`main ul.cards a[href^="/accounts/%d#s-"]`, m.ID)); n != 2 {
		t.Errorf("%d links to the account, want 2", n)
	}
	bt.CheckA11y(t, ctx, "sources (steward)")
	bt.Screenshot(t, ctx, "sources-steward")

	// A grantee of another organisation sees the public section only.
	other := freshBrowser(t, ctx)
	wantStatus(t, "peer signs in", signIn(t, other, env, peer.Email, apptest.Password), http.StatusOK)
	wantStatus(t, "peer opens the patterns", bt.Navigate(t, other, env.URL+patterns), http.StatusOK)
	if got := bt.Text(t, other, "table"); !strings.Contains(got, "April to June 2026 1 source for Belonging in April to June 2026 1") || strings.Contains(got, "2 sources") {
		t.Errorf("the peer's figures: %q", got)
	}
	bt.CheckA11y(t, other, "pattern view (peer)")
	wantStatus(t, "peer follows the count", bt.FollowLink(t, other, "1 source for Belonging in April to June 2026"), http.StatusOK)
	if got := bt.Text(t, other, "main"); !strings.Contains(got, "1 source you can read") || strings.Contains(got, "FUNDER-ONLY") ||
		!strings.Contains(got, "The young people plan better menus") {
		t.Errorf("the peer's sources: %q", got)
	}
	bt.CheckA11y(t, other, "sources (peer)")
	// The peer may read the public section but it is not theirs to tag.
	if s := bt.Navigate(t, other, env.URL+tags); s != http.StatusForbidden {
		t.Errorf("the peer opens the tagging page: %d", s)
	}
}
