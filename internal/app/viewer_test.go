package app_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/httpapi"
)

// TestFundViewerAgreesWithGet checks the fund-wide reading rule that
// patterns, search and dialogue sources use (account.VisibleSections,
// through httpapi.FundViewer) against what Get shows each reader of each
// account, section by section: a section is readable across the fund
// exactly when its account is submitted (or a published reflection) and
// Get shows this reader words in it.
func TestFundViewerAgreesWithGet(t *testing.T) {
	ac := newAccountCast(t)
	ctx := context.Background()
	env := ac.env
	if r := env.Do(t, "POST", ac.expand("/api/v1/accounts/{submitted}/stories/{storyWithdrawn}/withdraw"), ac.tokens["grantee2"], nil); r.Status != 204 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	fund, _ := strconv.ParseInt(ac.vars["{fund}"], 10, 64)
	grantA, _ := strconv.ParseInt(ac.vars["{grantA}"], 10, 64)
	// Two more accounts whose "what happened" is only a story, public:
	// one whose consent reaches only learning within the fund, one whose
	// consent was withdrawn. Whether the section has words for a reader
	// then rests on the story's consent alone.
	g := ac.people["grantee"].ID
	storyOnly := func(st account.StoryInput, withdraw bool) string {
		m, err := env.Svc.Accounts.Create(ctx, g, grantA, account.NewAccount{Contents: account.Contents{
			Sections: map[string]account.SectionInput{"what_happened": {Visibility: account.Public},
				"context_changed": {Body: "Quiet months.", Visibility: account.FunderAndPartner}},
			Stories: &[]account.StoryInput{st}}})
		if err != nil {
			t.Fatal(err)
		}
		if withdraw {
			var sid int64
			if err := env.DB.Raw(`SELECT id FROM account_stories WHERE account_id = ?`, m.ID).Scan(&sid).Error; err != nil {
				t.Fatal(err)
			}
			if err := env.Svc.Accounts.WithdrawStory(ctx, g, m.ID, sid); err != nil {
				t.Fatal(err)
			}
			m, _ = env.Svc.Accounts.Meta(ctx, m.ID)
		}
		if _, err := env.Svc.Accounts.Submit(ctx, g, m.ID, m.Version); err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(m.ID, 10)
	}
	ac.vars["{learningStory}"] = storyOnly(account.StoryInput{Body: "Kim found the club.", Purposes: []string{account.ForLearning}, Naming: "anonymous"}, false)
	ac.vars["{withdrawnStory}"] = storyOnly(account.StoryInput{Body: "Lee found work.", Purposes: account.Purposes, Naming: "anonymous"}, true)
	readers := []string{"steward", "partner", "grantee", "grantee2", "other-grantee", "member", "user", "steward-other", "anonymous"}
	accounts := []string{"{submitted}", "{private}", "{private2}", "{draft}", "{notes}", "{reflection}", "{refdraft}", "{learningStory}", "{withdrawnStory}"}
	checked, readable := 0, 0
	for _, who := range readers {
		p := &httpapi.Principal{}
		if u, ok := ac.people[who]; ok {
			orgs, err := env.Svc.Orgs.OrgIDsOf(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			p = &httpapi.Principal{User: u, OrgIDs: orgs}
		}
		v := httpapi.FundViewer(env.Svc.Authz, p, fund)
		reads, err := env.Svc.Accounts.Readable(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range accounts {
			id, _ := strconv.ParseInt(ac.vars[av], 10, 64)
			m, err := env.Svc.Accounts.Meta(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			shown := map[string]bool{}
			if a, err := env.Svc.Accounts.Get(ctx, id, httpapi.AccountReader(env.Svc.Authz, p, m)); err == nil && m.Frozen() {
				for _, s := range a.Sections {
					has := s.Body != ""
					for _, st := range s.Stories {
						has = has || st.Shown
					}
					shown[s.Key] = has
				}
			}
			for _, key := range account.SectionKeys {
				got, err := env.Svc.Accounts.CanRead(ctx, v, id, key)
				if err != nil {
					t.Fatal(err)
				}
				if reads.Reads(id, key) != got {
					t.Errorf("%s reading %s %s: Readable says %v, CanRead %v", who, av, key, !got, got)
				}
				if got != shown[key] {
					t.Errorf("%s reading %s %s: fund-wide rule says %v, Get says %v", who, av, key, got, shown[key])
				}
				checked++
				if got {
					readable++
				}
			}
		}
	}
	// The cast must exercise both answers, or the test proves nothing.
	if readable == 0 || readable == checked {
		t.Fatalf("%d of %d sections readable: the cast does not test the rule", readable, checked)
	}
}
