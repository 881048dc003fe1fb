package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/app"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/httpapi"
)

// demoPeerLearning checks what the demo promises of issue 6: a dialogue
// convened by tom with a follow-up that opens with its open actions,
// actions in every state, an issue passed up and answered by amara,
// curated themes with counts that differ per viewer, and a published
// synthesis on the public fund page.
func demoPeerLearning(t *testing.T, env *apptest.Env, fundID int64) {
	t.Helper()
	ctx := context.Background()
	tom, amara := demoPerson(t, env, "tom@example.org"), demoPerson(t, env, "amara@example.org")
	open := func(id, user int64) dialogue.Dialogue {
		t.Helper()
		d, err := env.Svc.Dialogues.Get(ctx, id, user, func(int64, string) bool { return false })
		if err != nil {
			t.Fatalf("dialogue %d: %v", id, err)
		}
		return d
	}
	list, err := env.Svc.Dialogues.List(ctx, fundID, tom)
	if err != nil {
		t.Fatal(err)
	}
	var first, followUp int64
	for _, s := range list {
		if s.FollowsUp != nil {
			followUp, first = s.ID, *s.FollowsUp
		}
	}
	if followUp == 0 {
		t.Fatalf("tom's dialogues have no follow-up: %+v", list)
	}
	d := open(first, tom)
	states := map[string]int{}
	for _, a := range d.Actions {
		states[a.Status]++
	}
	if states["open"] == 0 || states["done"] == 0 || states["dropped"] == 0 {
		t.Errorf("the first dialogue's actions by state: %v, want some of each", states)
	}
	answered := false
	for _, is := range d.Issues {
		answered = answered || is.Answer != nil
	}
	if !answered || d.Notes == nil || d.Notes.Version < 2 {
		t.Errorf("the first dialogue: an answered issue %v, notes %+v", answered, d.Notes)
	}
	f := open(followUp, tom)
	if f.Earlier == nil || len(f.Earlier.OpenActions) != states["open"] {
		t.Errorf("the follow-up opens with %+v, want the %d open actions", f.Earlier, states["open"])
	}
	if _, err := env.Svc.Dialogues.Get(ctx, first, amara, func(int64, string) bool { return false }); err != nil {
		t.Errorf("amara took part in the first dialogue: %v", err)
	}
	passed, err := env.Svc.Dialogues.IssuesFor(ctx, fundID)
	if err != nil || len(passed) == 0 {
		t.Errorf("issues passed up: %v %v", passed, err)
	}

	// Themes: the steward sees at least as much as a peer grantee, who
	// sees more than the public, who sees something.
	total := func(v account.Viewer) int {
		t.Helper()
		view, err := env.Svc.Patterns.Patterns(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, th := range view.Themes {
			n += th.Total.Sources
		}
		return n
	}
	viewer := func(id int64) account.Viewer {
		p := &httpapi.Principal{}
		if id != 0 {
			orgs, err := env.Svc.Orgs.OrgIDsOf(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			p.User.ID, p.OrgIDs = id, orgs
		}
		return httpapi.FundViewer(env.Svc.Authz, p, fundID)
	}
	steward, peer, public := total(viewer(amara)), total(viewer(demoPerson(t, env, "priya@example.org"))), total(viewer(0))
	if !(steward >= peer && peer > public && public > 0) {
		t.Errorf("pattern counts: steward %d, priya %d, public %d", steward, peer, public)
	}

	// Rosa was invited to the follow-up and has not answered: her home
	// page says so. Tom, who accepted, has nothing waiting.
	for who, want := range map[string]bool{"rosa@example.org": true, "tom@example.org": false} {
		rb := env.NewBrowser(t)
		if r := rb.Post(t, "/sign-in", url.Values{"email": {who}, "password": {app.DemoPassword}}); r.Status != http.StatusSeeOther {
			t.Fatalf("%s signs in: %d", who, r.Status)
		}
		home := string(rb.Get(t, "/").Body)
		if got := strings.Contains(home, `href="/dialogues/`+demoID(followUp)+`"`); got != want {
			t.Errorf("%s's home page lists the follow-up as waiting for an answer: %v, want %v", who, got, want)
		}
	}

	b := env.NewBrowser(t)
	page := b.Get(t, "/funds/"+demoID(fundID))
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "The first quarter: rooms people make their own") {
		t.Errorf("the public fund page lacks the published synthesis (%d)", page.Status)
	}
	if p := b.Get(t, "/funds/"+demoID(fundID)+"/patterns"); p.Status != http.StatusOK || !strings.Contains(string(p.Body), "<svg") {
		t.Errorf("the public pattern view: %d", p.Status)
	}
}

func demoPerson(t *testing.T, env *apptest.Env, email string) int64 {
	t.Helper()
	u, err := env.Svc.Users.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
