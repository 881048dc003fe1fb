package app_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/account"
)

// TestPatternCountsFollowReadingRights tags every section of every
// account in the fund — drafts, notes awaiting confirmation, sections
// with no words and sections whose only words are a story whose consent
// was withdrawn included — and the dialogue, with one theme. Then, for
// each reader, the pattern view's counts and the list behind them must
// hold exactly the sections that reader is shown words in when reading
// each account through the API, and the dialogue only for those taking
// part: nobody learns from a count or a list that a source exists if they
// cannot read it.
func TestPatternCountsFollowReadingRights(t *testing.T) {
	ac := newPatternCast(t)
	env, ctx := ac.env, context.Background()
	if r := env.Do(t, "POST", ac.expand("/api/v1/accounts/{submitted}/stories/{storyWithdrawn}/withdraw"), ac.tokens["grantee2"], nil); r.Status != 204 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	// Two accounts whose "what happened" is only a story, public: one
	// whose consent reaches only learning within the fund, one withdrawn.
	var grantA int64
	fmt.Sscan(ac.vars["{grantA}"], &grantA)
	g := ac.people["grantee"].ID
	for _, withdraw := range []bool{false, true} {
		st := account.StoryInput{Body: "Kim found the club.", Purposes: []string{account.ForLearning}, Naming: "anonymous"}
		if withdraw {
			st = account.StoryInput{Body: "Lee found work.", Purposes: account.Purposes, Naming: "anonymous"}
		}
		m, err := env.Svc.Accounts.Create(ctx, g, grantA, account.NewAccount{Contents: account.Contents{
			Sections: map[string]account.SectionInput{"what_happened": {Visibility: account.Public},
				"what_we_need": {Body: "A bigger hall.", Visibility: account.Peers}},
			Stories: &[]account.StoryInput{st}}})
		if err != nil {
			t.Fatal(err)
		}
		if withdraw {
			var sid int64
			env.DB.Raw(`SELECT id FROM account_stories WHERE account_id = ?`, m.ID).Scan(&sid)
			if err := env.Svc.Accounts.WithdrawStory(ctx, g, m.ID, sid); err != nil {
				t.Fatal(err)
			}
			m, _ = env.Svc.Accounts.Meta(ctx, m.ID)
		}
		if _, err := env.Svc.Accounts.Submit(ctx, g, m.ID, m.Version); err != nil {
			t.Fatal(err)
		}
	}
	fund := ac.vars["{fund}"]
	var theme int64
	if err := env.DB.Raw(`INSERT INTO themes (fund_id, name, status) VALUES (?, 'Everything', 'curated') RETURNING id`, fund).Scan(&theme).Error; err != nil {
		t.Fatal(err)
	}
	type acct struct {
		ID   int64
		Kind string
	}
	var accounts []acct
	env.DB.Raw(`SELECT id, kind FROM reflective_accounts WHERE fund_id = ? ORDER BY id`, fund).Scan(&accounts)
	for _, a := range accounts {
		for _, key := range account.SectionKeys {
			if err := env.DB.Exec(`INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key) VALUES (?, ?, ?, ?)`, fund, theme, a.ID, key).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := env.DB.Exec(`INSERT INTO theme_tags (fund_id, theme_id, dialogue_id) VALUES (?, ?, ?)`, fund, theme, ac.vars["{dialogue}"]).Error; err != nil {
		t.Fatal(err)
	}

	readers := []string{"steward", "partner", "grantee", "grantee2", "other-grantee", "member", "user", "steward-other", "anonymous"}
	seen := map[string][]string{}
	for _, who := range readers {
		// What the reader is shown, account by account.
		want, orgs := []string{}, map[int64]bool{}
		for _, a := range accounts {
			path := fmt.Sprintf("/api/v1/accounts/%d", a.ID)
			if a.Kind == account.Funder {
				path = fmt.Sprintf("/api/v1/reflections/%d", a.ID)
			}
			r := env.Do(t, "GET", path, ac.tokens[who], nil)
			if r.Status != 200 {
				continue
			}
			var got struct {
				Status         string
				Kind           string
				OrganisationID int64 `json:"organisation_id"`
				Sections       []struct {
					Key     string
					Body    string
					Stories []struct{ Shown bool }
				}
			}
			r.JSON(t, &got)
			if got.Status != account.Submitted && got.Status != account.Published {
				continue
			}
			for _, s := range got.Sections {
				words := s.Body != ""
				for _, st := range s.Stories {
					words = words || st.Shown
				}
				if words {
					want = append(want, fmt.Sprintf("%d/%s", a.ID, s.Key))
					if got.Kind == account.Grantee {
						orgs[got.OrganisationID] = true
					}
				}
			}
		}
		if who == "grantee" || who == "other-grantee" { // convener and accepted; member declined
			want = append(want, "dialogue/"+ac.vars["{dialogue}"])
		}
		sort.Strings(want)
		seen[who] = want

		var view struct {
			Periods []string
			Themes  []struct {
				ID      int64
				Name    string
				Total   struct{ Sources, Grantees int }
				Periods []struct {
					Period   string
					Sources  int
					Grantees int
				}
			}
		}
		env.Do(t, "GET", "/api/v1/funds/"+fund+"/patterns", ac.tokens[who], nil).JSON(t, &view)
		found := false
		for _, th := range view.Themes {
			if th.ID != theme {
				continue
			}
			found = true
			if th.Total.Sources != len(want) || th.Total.Grantees != len(orgs) {
				t.Errorf("%s: counted %d sources across %d grantees; reads %d sections across %d grantees",
					who, th.Total.Sources, th.Total.Grantees, len(want), len(orgs))
			}
			sum := 0
			for _, p := range th.Periods {
				sum += p.Sources
			}
			if sum != th.Total.Sources || len(th.Periods) != len(view.Periods) {
				t.Errorf("%s: the quarters add up to %d of %d", who, sum, th.Total.Sources)
			}
		}
		if !found {
			t.Fatalf("%s: the theme is not in the view", who)
		}
		var list struct {
			Items []struct {
				AccountID  *int64 `json:"account_id"`
				SectionKey string `json:"section_key"`
				DialogueID *int64 `json:"dialogue_id"`
				Excerpt    string
			}
		}
		env.Do(t, "GET", fmt.Sprintf("/api/v1/funds/%s/patterns/%d/sources", fund, theme), ac.tokens[who], nil).JSON(t, &list)
		got := []string{}
		for _, it := range list.Items {
			if it.DialogueID != nil {
				got = append(got, fmt.Sprintf("dialogue/%d", *it.DialogueID))
			} else {
				got = append(got, fmt.Sprintf("%d/%s", *it.AccountID, it.SectionKey))
			}
			for _, mark := range []string{"STORY", "Kim found", "Lee found"} {
				if strings.Contains(it.Excerpt, mark) {
					t.Errorf("%s: a story's words in an excerpt: %q", who, it.Excerpt)
				}
			}
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: sources listed\n  %v\nbut reads\n  %v", who, got, want)
		}
		// The pattern view's page, and the page behind the count, say the
		// same.
		viewPage := string(ac.browsers[who].Get(t, "/funds/"+fund+"/patterns").Body)
		if n := len(want); n > 1 && !strings.Contains(viewPage, fmt.Sprintf(`>%d<span class="visually-hidden"> sources for Everything in all quarters`, n)) {
			t.Errorf("%s: the pattern view's page does not count %d sources", who, n)
		}
		page := string(ac.browsers[who].Get(t, fmt.Sprintf("/funds/%s/patterns/%d", fund, theme)).Body)
		if n := len(want); n > 0 && !strings.Contains(page, fmt.Sprintf("%d %s you can read", n, map[bool]string{true: "source", false: "sources"}[n == 1])) {
			t.Errorf("%s: the sources page does not list %d sources", who, n)
		}
	}
	// The readers differ, as their rights do: the rule is really tested.
	n := func(who string) int { return len(seen[who]) }
	for _, who := range readers {
		t.Logf("%s reads %d sources", who, n(who))
	}
	if !(n("steward") > n("member") && n("member") > n("anonymous") && n("anonymous") > 0 && n("grantee") != n("other-grantee")) {
		t.Errorf("counts per reader do not differ as expected: %v", map[string]int{"steward": n("steward"), "grantee": n("grantee"),
			"other-grantee": n("other-grantee"), "member": n("member"), "anonymous": n("anonymous")})
	}
	if n("steward-other") != n("anonymous") || n("user") != n("anonymous") {
		t.Errorf("a steward of another fund or a person with no role reads more than the public")
	}
}
