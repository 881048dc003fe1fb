package app_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/account"
)

// Attacks on issue 5 (reflective accounts and story consent) that got
// through when they were written. Each test is what should hold; it fails
// while the hole is open. They reuse the accounts' cast (newAccountCast).

// attackSubmitted writes and submits an account of {grantA} as the
// grantee, through the service, and returns its id.
func attackSubmitted(t *testing.T, ac *accountCast, c account.Contents) int64 {
	t.Helper()
	ctx := context.Background()
	svc := ac.env.Svc.Accounts
	var grantA int64
	fmt.Sscan(ac.vars["{grantA}"], &grantA)
	m, err := svc.Create(ctx, ac.people["grantee"].ID, grantA, account.NewAccount{Contents: c})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, ac.people["grantee"].ID, m.ID, m.Version); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

var (
	attackTextarea = regexp.MustCompile(`(?s)<textarea[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>`)
	attackInput    = regexp.MustCompile(`<input [^>]*>`)
	attackAttr     = regexp.MustCompile(`\b(name|value|type)="([^"]*)"`)
)

// attackForm reads the values a browser would send from a page's form:
// textareas, hidden/date/text inputs, checked radios and checkboxes.
func attackForm(page string) url.Values {
	f := url.Values{}
	for _, m := range attackTextarea.FindAllStringSubmatch(page, -1) {
		f.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for _, in := range attackInput.FindAllString(page, -1) {
		attrs := map[string]string{}
		for _, a := range attackAttr.FindAllStringSubmatch(in, -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		if attrs["name"] == "" || attrs["name"] == "_csrf" {
			continue
		}
		if (attrs["type"] == "radio" || attrs["type"] == "checkbox") && !strings.Contains(in, " checked") {
			continue
		}
		f.Add(attrs["name"], attrs["value"])
	}
	return f
}

// TestAttackLearningSavingADraftUndoesAWithdrawal: consent for a story in
// a draft is withdrawn (here by another member of the organisation; the
// route allows it on drafts). The author's writing page still shows the
// story (the author always sees it) with no sign of the withdrawal, and
// saving the page re-creates every story from the form with consent
// fresh: the withdrawal is gone, and once submitted the story is shown to
// everyone its consent names, the public included.
func TestAttackLearningSavingADraftUndoesAWithdrawal(t *testing.T) {
	ac := newAccountCast(t)
	const story = "ATTACK-STORY: Pat found a flat through the club."
	r := ac.env.Do(t, "POST", ac.expand("/api/v1/grants/{grantA}/accounts"), ac.tokens["grantee"], map[string]any{
		"sections": map[string]any{"what_happened": map[string]string{"body": "We ran the clubs.", "visibility": "public"}},
		"stories": []map[string]any{{"body": story, "purposes": []string{account.ForLearning, account.ForPublic, account.ForReports},
			"naming": "first_name"}},
	})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var acc account.Account
	r.JSON(t, &acc)
	var storyID int64
	for _, s := range acc.Sections {
		for _, st := range s.Stories {
			storyID = st.ID
		}
	}
	if storyID == 0 {
		t.Fatalf("no story in %s", r.Body)
	}
	if w := ac.env.Do(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/stories/%d/withdraw", acc.ID, storyID), ac.tokens["grantee2"], nil); w.Status != 204 {
		t.Fatalf("withdraw: %d %s", w.Status, w.Body)
	}

	// The author opens the writing page and presses "Submit the account".
	b := ac.browsers["grantee"]
	pg := b.Get(t, fmt.Sprintf("/accounts/%d/edit", acc.ID))
	if pg.Status != 200 {
		t.Fatalf("edit page: %d", pg.Status)
	}
	form := attackForm(string(pg.Body))
	form.Set("action", "submit")
	if s := b.Post(t, fmt.Sprintf("/accounts/%d/edit", acc.ID), form); s.Status != 303 {
		t.Fatalf("submit on the page: %d %s", s.Status, s.Body)
	}

	var withdrawn int64
	ac.env.DB.Raw(`SELECT count(*) FROM account_stories WHERE account_id = ? AND withdrawn_at IS NOT NULL`, acc.ID).Scan(&withdrawn)
	if withdrawn == 0 {
		t.Error("saving the draft erased the record that consent was withdrawn")
	}
	for _, who := range []string{"anonymous", "steward", "other-grantee"} {
		g := ac.env.Do(t, "GET", fmt.Sprintf("/api/v1/accounts/%d", acc.ID), ac.tokens[who], nil)
		if strings.Contains(string(g.Body), story) {
			t.Errorf("%s reads a story whose consent was withdrawn", who)
		}
	}
}

// TestAttackLearningExportIgnoresConsentPurpose: the export reads every
// story "for reports", whoever downloads it — and anyone may. A story the
// person agreed to for learning within the fund and for reports, but not
// for public pages, is hidden from the public on the account, yet anyone
// can read it in the CSV; one agreed to for reports only is hidden from
// other grantees on the account, yet they read it in the CSV.
func TestAttackLearningExportIgnoresConsentPurpose(t *testing.T) {
	ac := newAccountCast(t)
	const notPublic = "ATTACK-NOT-PUBLIC: Lee told us about his debts."
	const reportsOnly = "ATTACK-REPORTS-ONLY: Kim spoke about her son."
	attackSubmitted(t, ac, account.Contents{
		Sections: map[string]account.SectionInput{"what_happened": {Body: "Clubs ran all spring.", Visibility: account.Public}},
		Stories:  &[]account.StoryInput{{Body: notPublic, Purposes: []string{account.ForLearning, account.ForReports}, Naming: "full_name"}},
	})
	attackSubmitted(t, ac, account.Contents{
		Sections: map[string]account.SectionInput{"what_happened": {Body: "Suppers ran all spring.", Visibility: account.Peers}},
		Stories:  &[]account.StoryInput{{Body: reportsOnly, Purposes: []string{account.ForReports}, Naming: "full_name"}},
	})
	cases := []struct{ who, story string }{{"anonymous", notPublic}, {"user", notPublic}, {"other-grantee", reportsOnly}, {"member", reportsOnly}}
	for _, c := range cases {
		csv := ac.env.Do(t, "GET", ac.expand("/api/v1/funds/{fund}/accounts.csv"), ac.tokens[c.who], nil)
		if csv.Status != 200 {
			t.Fatalf("%s: export %d", c.who, csv.Status)
		}
		if strings.Contains(string(csv.Body), c.story) {
			t.Errorf("%s reads in the export a story whose consent does not reach them: %q", c.who, c.story)
		}
	}
}

// TestAttackLearningListShowsAccountsTheReaderCannotRead: an account whose
// only open part is a story the reader may not see (withdrawn, expired,
// or not consented for them) is 404 to the public, yet the grant's list
// (API and page) names it, with its author and period.
func TestAttackLearningListShowsAccountsTheReaderCannotRead(t *testing.T) {
	ac := newAccountCast(t)
	id := attackSubmitted(t, ac, account.Contents{
		Sections: map[string]account.SectionInput{
			"what_happened":   {Visibility: account.Public},
			"context_changed": {Body: "PRIVATE: a hard quarter.", Visibility: account.FunderAndPartner},
		},
		Stories: &[]account.StoryInput{{Body: "ATTACK: Ravi's story.", Purposes: []string{account.ForLearning}, Naming: "anonymous"}},
	})
	if g := ac.env.Do(t, "GET", fmt.Sprintf("/api/v1/accounts/%d", id), "", nil); g.Status != 404 {
		t.Fatalf("anonymous reads the account: %d (this test expects 404 there)", g.Status)
	}
	l := ac.env.Do(t, "GET", ac.expand("/api/v1/grants/{grantA}/accounts"), "", nil)
	var list struct {
		Items []account.Meta `json:"items"`
	}
	l.JSON(t, &list)
	for _, m := range list.Items {
		if m.ID == id {
			t.Errorf("the API list shows the public account %d that it answers 404 for", id)
		}
	}
	pg := ac.browsers["anonymous"].Get(t, ac.expand("/grants/{grantA}/accounts"))
	if strings.Contains(string(pg.Body), fmt.Sprintf(`href="/accounts/%d"`, id)) {
		t.Errorf("the grant's accounts page links the public to account %d, which is 404 to them", id)
	}
}

// TestAttackLearningReflectionStoryConsentCannotBeWithdrawn: the funder's
// reflections carry stories with consent too, but no route records a
// withdrawal for them (the accounts' route refuses a reflection with 404,
// and the reflections have none), so once published the story stays in
// front of every grantee and the panel.
func TestAttackLearningReflectionStoryConsentCannotBeWithdrawn(t *testing.T) {
	ac := newAccountCast(t)
	ctx := context.Background()
	svc := ac.env.Svc.Accounts
	var fund int64
	fmt.Sscan(ac.vars["{fund}"], &fund)
	const story = "ATTACK-REFLECTION: Ana, a grantee's volunteer, told us our forms shut her out."
	ref, err := svc.CreateReflection(ctx, ac.people["steward"].ID, fund, account.Contents{
		Sections: map[string]account.SectionInput{"what_happened": {Body: "We changed our forms.", Visibility: account.Peers}},
		Stories:  &[]account.StoryInput{{Body: story, Purposes: []string{account.ForLearning}, Naming: "first_name"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, ac.people["steward"].ID, ref.ID, ref.Version); err != nil {
		t.Fatal(err)
	}
	var storyID int64
	ac.env.DB.Raw(`SELECT id FROM account_stories WHERE account_id = ?`, ref.ID).Scan(&storyID)
	if g := ac.env.Do(t, "GET", fmt.Sprintf("/api/v1/reflections/%d", ref.ID), ac.tokens["other-grantee"], nil); !strings.Contains(string(g.Body), story) {
		t.Fatalf("the grantee does not see the story before withdrawal: %d %s", g.Status, g.Body)
	}
	done := false
	for _, p := range []string{"/api/v1/reflections/%d/stories/%d/withdraw", "/api/v1/accounts/%d/stories/%d/withdraw"} {
		if r := ac.env.Do(t, "POST", fmt.Sprintf(p, ref.ID, storyID), ac.tokens["steward"], nil); r.Status == 204 {
			done = true
			break
		}
	}
	if pr := ac.browsers["steward"].Post(t, fmt.Sprintf("/reflections/%d/stories/%d/withdraw", ref.ID, storyID), url.Values{}); !done && pr.Status == 303 {
		done = true
	}
	if !done {
		t.Error("no route lets a steward record that the person in a reflection's story withdrew their consent")
	}
	if g := ac.env.Do(t, "GET", fmt.Sprintf("/api/v1/reflections/%d", ref.ID), ac.tokens["other-grantee"], nil); strings.Contains(string(g.Body), story) {
		t.Error("the grantees still read the reflection's story")
	}
}
