package pattern_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is a fund with two grantee organisations (A and B), their
// accounts, the funder's reflection, a dialogue and two curated themes.
//
//	a1     A's submitted account, period ending 2026-05-15 (Q2): a section
//	       for the funder and partner, one for peers, one public, and a
//	       public "what happened" whose only words are a withdrawn story
//	a2     B's submitted account, 2026-08-10 (Q3): public, peers, partner
//	a3     A's draft
//	refl   the funder's published reflection, 2026-08-31 (Q3), peers
//	d1     a dialogue on 2026-09-01 (Q3): the steward convenes, the owner
//	       accepted, the peer declined
type world struct {
	db                          *gorm.DB
	svc                         *pattern.Service
	fund, orgA, orgB            int64
	steward, owner, peer, panel int64
	a1, a2, a3, refl, d1        int64
	belonging, time, idea       int64
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func exec(t *testing.T, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := pgtest.DB(t)
	w := &world{db: db, svc: pattern.NewService(db, account.NewService(db))}
	w.fund = applicationtest.Fund(t, db, "Riverside Fund")
	funder := id(t, db, `SELECT organisation_id FROM funds WHERE id = ?`, w.fund)
	round := applicationtest.Round(t, db, w.fund, application.RoundReview, applicationtest.ClosedNow())
	user := func(name string) int64 {
		return id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES (?, ?, 'x') RETURNING id`,
			strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org", name)
	}
	w.steward, w.owner, w.peer, w.panel = user("Sam Steward"), user("Olu Owner"), user("Pia Peer"), user("Pat Panel")
	org := func(name string, member int64) int64 {
		o := id(t, db, `INSERT INTO organisations (name, kind) VALUES (?, 'applicant') RETURNING id`, name)
		exec(t, db, `INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?)`, o, member)
		return o
	}
	w.orgA, w.orgB = org("Hillside Youth Club", w.owner), org("Shared Tables", w.peer)
	grant := func(o int64) int64 {
		app := applicationtest.Application(t, db, round, o, "Kitchen table")
		return id(t, db, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
			VALUES (?, ?, ?, ?, 'Kitchen table', 500000, '2026-01-01', '2027-03-31') RETURNING id`, w.fund, round, app, o)
	}
	gA, gB := grant(w.orgA), grant(w.orgB)
	acc := func(grantID any, o int64, kind, end string, sections [][3]string) int64 {
		a := id(t, db, `INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end)
			VALUES (?, ?, ?, ?, '2026-01-01', ?) RETURNING id`, w.fund, grantID, o, kind, end)
		for _, s := range sections {
			exec(t, db, `INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, ?, ?, ?)`, a, s[0], s[1], s[2])
		}
		return a
	}
	submit := func(a int64, status string) {
		exec(t, db, `UPDATE reflective_accounts SET status = ?, submitted_at = now() WHERE id = ?`, status, a)
	}
	w.a1 = acc(gA, w.orgA, "grantee", "2026-05-15", [][3]string{
		{"context_changed", "PARTNER-A1: the youth worker left.", "funder_and_partner"},
		{"what_we_tried", "PEERS-A1: Saturday clubs.", "peers"},
		{"what_we_learnt", "PUBLIC-A1: ask before planning.", "public"},
		{"what_happened", "", "public"},
	})
	exec(t, db, `INSERT INTO account_stories (account_id, position, body, purposes, naming, withdrawn_at, withdrawn_by)
		VALUES (?, 1, 'STORY-WITHDRAWN: Jo found work.', '{learning_within_fund,public_pages}', 'anonymous', now(), ?)`, w.a1, w.owner)
	submit(w.a1, "submitted")
	w.a2 = acc(gB, w.orgB, "grantee", "2026-08-10", [][3]string{
		{"what_we_learnt", "PUBLIC-A2: " + strings.Repeat("suppers bring people in ", 20), "public"},
		{"not_as_hoped", "PEERS-A2: the hall closed.", "peers"},
		{"what_we_need", "PARTNER-A2: more time.", "funder_and_partner"},
	})
	submit(w.a2, "submitted")
	w.a3 = acc(gA, w.orgA, "grantee", "2026-08-20", [][3]string{{"what_we_learnt", "DRAFT-A3", "public"}})
	w.refl = acc(nil, funder, "funder", "2026-08-31", [][3]string{{"what_we_need", "PEERS-REFL: our forms were long.", "peers"}})
	submit(w.refl, "published")
	w.d1 = id(t, db, `INSERT INTO dialogues (fund_id, convened_by, purpose, meets_on) VALUES (?, ?, 'Where are we stuck?', '2026-09-01') RETURNING id`,
		w.fund, w.steward)
	exec(t, db, `INSERT INTO dialogue_participants (dialogue_id, user_id, status) VALUES (?, ?, 'convener'), (?, ?, 'accepted'), (?, ?, 'declined')`,
		w.d1, w.steward, w.d1, w.owner, w.d1, w.peer)
	exec(t, db, `INSERT INTO dialogue_notes (dialogue_id, version, body, written_by) VALUES (?, 1, 'NOTES: halls are hard to find.', ?)`, w.d1, w.steward)

	ctx := context.Background()
	theme := func(name string) int64 {
		th, err := w.svc.Suggest(ctx, w.owner, w.fund, pattern.NewTheme{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return th.ID
	}
	w.belonging, w.time, w.idea = theme("Belonging"), theme("Time and space"), theme("An idea")
	for _, th := range []int64{w.belonging, w.time} {
		if _, err := w.svc.Curate(ctx, w.steward, th, pattern.Curation{Version: 1, Status: pattern.Curated}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) viewers() map[string]account.Viewer {
	return map[string]account.Viewer{
		"steward": {UserID: w.steward, FundID: w.fund, Partner: true, Clearance: account.SeesPartner},
		"owner":   {UserID: w.owner, FundID: w.fund, OwnOrgs: []int64{w.orgA}, Clearance: account.SeesPeers},
		"peer":    {UserID: w.peer, FundID: w.fund, OwnOrgs: []int64{w.orgB}, Clearance: account.SeesPeers},
		"panel":   {UserID: w.panel, FundID: w.fund, Clearance: account.SeesPeers},
		"public":  {FundID: w.fund, Clearance: account.SeesPublic},
	}
}

// tagAll puts Belonging on every section and the dialogue, the draft
// included (written straight to the database: no one may tag a draft).
func (w *world) tagAll(t *testing.T) {
	t.Helper()
	for _, s := range []struct {
		acc int64
		key string
	}{{w.a1, "context_changed"}, {w.a1, "what_we_tried"}, {w.a1, "what_we_learnt"}, {w.a1, "what_happened"},
		{w.a2, "what_we_learnt"}, {w.a2, "not_as_hoped"}, {w.a2, "what_we_need"}, {w.refl, "what_we_need"}, {w.a3, "what_we_learnt"}} {
		exec(t, w.db, `INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key) VALUES (?, ?, ?, ?)`, w.fund, w.belonging, s.acc, s.key)
	}
	exec(t, w.db, `INSERT INTO theme_tags (fund_id, theme_id, dialogue_id) VALUES (?, ?, ?)`, w.fund, w.belonging, w.d1)
	// The idea is not curated: its tag counts for nobody.
	exec(t, w.db, `INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key) VALUES (?, ?, ?, ?)`, w.fund, w.idea, w.a2, "what_we_learnt")
}

func TestCountsDifferPerViewer(t *testing.T) {
	w := newWorld(t)
	w.tagAll(t)
	ctx := context.Background()
	type want struct {
		total, q2, q3 pattern.Count
	}
	cases := map[string]want{
		// a1 ×3 (not the withdrawn-story-only section), a2 ×3, refl, d1;
		// never the draft.
		"steward": {pattern.Count{Sources: 8, Grantees: 2}, pattern.Count{Sources: 3, Grantees: 1}, pattern.Count{Sources: 5, Grantees: 1}},
		// all of a1 (own), a2's public and peers sections, refl, d1.
		"owner": {pattern.Count{Sources: 7, Grantees: 2}, pattern.Count{Sources: 3, Grantees: 1}, pattern.Count{Sources: 4, Grantees: 1}},
		// a1's peers and public sections, all of a2 (own), refl; declined d1.
		"peer": {pattern.Count{Sources: 6, Grantees: 2}, pattern.Count{Sources: 2, Grantees: 1}, pattern.Count{Sources: 4, Grantees: 1}},
		// peers and public sections, refl; no dialogue.
		"panel": {pattern.Count{Sources: 5, Grantees: 2}, pattern.Count{Sources: 2, Grantees: 1}, pattern.Count{Sources: 3, Grantees: 1}},
		// the two public sections with words.
		"public": {pattern.Count{Sources: 2, Grantees: 2}, pattern.Count{Sources: 1, Grantees: 1}, pattern.Count{Sources: 1, Grantees: 1}},
	}
	for who, v := range w.viewers() {
		t.Run(who, func(t *testing.T) {
			view, err := w.svc.Patterns(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			if len(view.Themes) != 2 || view.Themes[0].Name != "Belonging" || view.Themes[1].Name != "Time and space" {
				t.Fatalf("themes: %+v", view.Themes)
			}
			if fmt.Sprint(view.Periods) != "[2026-Q2 2026-Q3]" {
				t.Fatalf("periods: %v", view.Periods)
			}
			b, c := view.Themes[0], cases[who]
			got := want{b.Total, pattern.Count{Sources: b.Periods[0].Sources, Grantees: b.Periods[0].Grantees},
				pattern.Count{Sources: b.Periods[1].Sources, Grantees: b.Periods[1].Grantees}}
			if got != c {
				t.Errorf("Belonging: got %+v, want %+v", got, c)
			}
			if tm := view.Themes[1]; tm.Total != (pattern.Count{}) || len(tm.Periods) != 2 || tm.Periods[0].Sources != 0 {
				t.Errorf("an untagged theme: %+v", tm)
			}
			// The list behind the count holds exactly the sources counted,
			// newest first, and never a word the viewer may not read.
			srcs, total, err := w.svc.Sources(ctx, v, w.belonging, "", 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) != c.total.Sources || total != c.total.Sources {
				t.Errorf("%d sources listed, %d counted", len(srcs), c.total.Sources)
			}
			for i, s := range srcs {
				if i > 0 && s.Date > srcs[i-1].Date {
					t.Errorf("not newest first: %v", srcs)
				}
				for mark, who2 := range map[string][]string{"PARTNER-A1": {"steward", "owner"}, "PARTNER-A2": {"steward", "peer"},
					"PEERS-": {"steward", "owner", "peer", "panel"}, "NOTES:": {"steward", "owner"}} {
					if strings.Contains(s.Excerpt, mark) && !contains(who2, who) {
						t.Errorf("%s reads %q in an excerpt", who, s.Excerpt)
					}
				}
				if strings.Contains(s.Excerpt, "STORY") || strings.Contains(s.Excerpt, "DRAFT") {
					t.Errorf("excerpt %q", s.Excerpt)
				}
				if len([]rune(s.Excerpt)) > pattern.ExcerptRunes+1 {
					t.Errorf("excerpt too long: %d", len([]rune(s.Excerpt)))
				}
			}
			q2, _, err := w.svc.Sources(ctx, v, w.belonging, "2026-Q2", 100, 0)
			if err != nil || len(q2) != c.q2.Sources {
				t.Errorf("Q2 sources: %d (%v), want %d", len(q2), err, c.q2.Sources)
			}
			// A page of them, and a page past the end.
			page, total, err := w.svc.Sources(ctx, v, w.belonging, "", 1, 1)
			if err != nil || len(page) != 1 || total != c.total.Sources || page[0].TagID != srcs[1].TagID {
				t.Errorf("second page of one: %v %d %v", page, total, err)
			}
			page, total, err = w.svc.Sources(ctx, v, w.belonging, "", 10, 100)
			if err != nil || len(page) != 0 || total != c.total.Sources {
				t.Errorf("a page past the end: %v %d %v", page, total, err)
			}
		})
	}
	// The suggestion is nobody's pattern, and has no list of sources.
	if _, _, err := w.svc.Sources(ctx, w.viewers()["steward"], w.idea, "", 10, 0); !errors.Is(err, pattern.ErrThemeNotFound) {
		t.Errorf("sources of a suggestion: %v", err)
	}
	if _, _, err := w.svc.Sources(ctx, w.viewers()["steward"], w.belonging, "2026-Q5", 10, 0); err == nil {
		t.Error("a period that is no quarter was taken")
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func kindOf(err error) fault.Kind {
	if fe, ok := fault.As(err); ok {
		return fe.Kind
	}
	if _, ok := validate.As(err); ok {
		return -1
	}
	return 0
}

func TestWhoMayTag(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	vs := w.viewers()
	sec := func(acc int64, key string) pattern.NewTag {
		return pattern.NewTag{ThemeID: w.belonging, AccountID: acc, SectionKey: key}
	}
	cases := []struct {
		name string
		who  string
		in   pattern.NewTag
		want fault.Kind // 0: tagged; -1: a validation error
	}{
		{"owner-tags-own-partner-section", "owner", sec(w.a1, "context_changed"), 0},
		{"steward-tags-any-section", "steward", sec(w.a2, "what_we_need"), 0},
		{"steward-tags-reflection", "steward", sec(w.refl, "what_we_need"), 0},
		{"same-tag-twice-409", "steward", sec(w.a2, "what_we_need"), fault.Conflict},
		{"peer-reads-but-may-not-tag-403", "peer", sec(w.a1, "what_we_tried"), fault.Forbidden},
		{"panel-may-not-tag-403", "panel", sec(w.a2, "what_we_learnt"), fault.Forbidden},
		{"peer-cannot-read-404", "peer", sec(w.a1, "context_changed"), fault.NotFound},
		{"withdrawn-story-only-404", "steward", sec(w.a1, "what_happened"), fault.NotFound},
		{"draft-404-even-for-owner", "owner", sec(w.a3, "what_we_learnt"), fault.NotFound},
		{"draft-404-for-steward", "steward", sec(w.a3, "what_we_learnt"), fault.NotFound},
		{"public-reads-but-may-not-tag-403", "public", sec(w.a1, "what_we_learnt"), fault.Forbidden},
		{"suggested-theme-422", "steward", pattern.NewTag{ThemeID: w.idea, AccountID: w.a1, SectionKey: "what_we_tried"}, -1},
		{"no-section-422", "steward", pattern.NewTag{ThemeID: w.belonging, AccountID: w.a1}, -1},
		{"both-sources-422", "steward", pattern.NewTag{ThemeID: w.belonging, AccountID: w.a1, SectionKey: "what_we_tried", DialogueID: w.d1}, -1},
		{"participant-tags-dialogue", "owner", pattern.NewTag{ThemeID: w.time, DialogueID: w.d1}, 0},
		{"declined-404", "peer", pattern.NewTag{ThemeID: w.belonging, DialogueID: w.d1}, fault.NotFound},
		{"not-invited-404", "panel", pattern.NewTag{ThemeID: w.belonging, DialogueID: w.d1}, fault.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.svc.Tag(ctx, vs[c.who], c.in)
			if got := kindOf(err); got != c.want || (c.want == 0 && err != nil) {
				t.Errorf("got %v (kind %d), want kind %d", err, got, c.want)
			}
		})
	}
	var n int64
	w.db.Raw(`SELECT count(*) FROM audit_events WHERE action = 'theme.tag'`).Scan(&n)
	if n != 4 {
		t.Errorf("%d tag events audited, want 4", n)
	}
	// Untagging: the owner's tag on their partner-only section is unknown
	// to a peer, and a steward may take it off.
	var tagID int64
	w.db.Raw(`SELECT id FROM theme_tags WHERE account_id = ? AND section_key = 'context_changed'`, w.a1).Scan(&tagID)
	if err := w.svc.Untag(ctx, vs["peer"], tagID); !errors.Is(err, pattern.ErrTagNotFound) {
		t.Errorf("peer untags a hidden tag: %v", err)
	}
	if err := w.svc.Untag(ctx, vs["steward"], tagID); err != nil {
		t.Errorf("steward untags: %v", err)
	}
	w.db.Raw(`SELECT count(*) FROM audit_events WHERE action = 'theme.untag' AND object_id = ?`, fmt.Sprint(tagID)).Scan(&n)
	if n != 1 {
		t.Error("untag not audited")
	}
	var reflTag int64
	w.db.Raw(`SELECT id FROM theme_tags WHERE account_id = ?`, w.refl).Scan(&reflTag)
	if err := w.svc.Untag(ctx, vs["peer"], reflTag); kindOf(err) != fault.Forbidden {
		t.Errorf("peer untags the reflection's tag: %v", err)
	}
}

func TestThemesAreCurated(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Suggesters see their own suggestion; others only curated themes.
	for who, want := range map[string]int{"steward": 3, "owner": 3, "peer": 2} {
		uid := map[string]int64{"steward": w.steward, "owner": w.owner, "peer": w.peer}[who]
		ts, err := w.svc.List(ctx, w.fund, uid, who == "steward")
		if err != nil || len(ts) != want {
			t.Errorf("%s lists %d themes (%v), want %d", who, len(ts), err, want)
		}
		if len(ts) > 0 && ts[0].Name != "An idea" && want == 3 {
			t.Errorf("not by name: %v", ts)
		}
	}
	if _, err := w.svc.Suggest(ctx, w.peer, w.fund, pattern.NewTheme{Name: " belonging "}); !errors.Is(err, pattern.ErrNameTaken) {
		t.Errorf("same name again: %v", err)
	}
	if _, err := w.svc.Suggest(ctx, w.peer, w.fund, pattern.NewTheme{Name: "  "}); kindOf(err) != -1 {
		t.Errorf("blank name: %v", err)
	}
	name := "Ideas from the estate"
	th, err := w.svc.Curate(ctx, w.steward, w.idea, pattern.Curation{Version: 1, Name: &name, Status: pattern.Curated})
	if err != nil || th.Status != pattern.Curated || th.Name != name || th.Version != 2 || th.CuratedBy == nil {
		t.Fatalf("accept and rename: %+v %v", th, err)
	}
	desc := "Ideas grantees bring to each other."
	if _, err := w.svc.Curate(ctx, w.steward, w.idea, pattern.Curation{Version: 1, Description: &desc}); kindOf(err) != fault.PreconditionFailed {
		t.Errorf("stale version: %v", err)
	}
	taken := "Belonging"
	if _, err := w.svc.Curate(ctx, w.steward, w.idea, pattern.Curation{Version: 2, Name: &taken}); !errors.Is(err, pattern.ErrNameTaken) {
		t.Errorf("rename to a taken name: %v", err)
	}
	th, err = w.svc.Curate(ctx, w.steward, w.idea, pattern.Curation{Version: 2, Status: pattern.SetAside, Description: &desc})
	if err != nil || th.Status != pattern.SetAside || th.Description != desc {
		t.Fatalf("set aside: %+v %v", th, err)
	}
	var n int64
	w.db.Raw(`SELECT count(*) FROM audit_events WHERE object_type = 'theme'`).Scan(&n)
	if n != 3+2+2 {
		t.Errorf("%d theme events audited, want 7", n)
	}
}

func TestQuartersAndExcerpts(t *testing.T) {
	if got := fmt.Sprint(pattern.Quarters("2025-Q3", "2026-Q2")); got != "[2025-Q3 2025-Q4 2026-Q1 2026-Q2]" {
		t.Error(got)
	}
	if got := pattern.Excerpt("one two three four", 9); got != "one two…" {
		t.Errorf("%q", got)
	}
	if got := pattern.Excerpt("short\n\nwords", 200); got != "short words" {
		t.Errorf("%q", got)
	}
}

// TestSetTagsIsOneChange saves a tagging form as a steward would: a
// refusal part-way through changes nothing, and a tag someone else put on
// after the form was shown is kept when the form did not show it.
func TestSetTagsIsOneChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	steward := w.viewers()["steward"]
	tagsOn := func(acc int64) map[string][]int64 {
		t.Helper()
		ts, err := w.svc.TagsOn(ctx, acc, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]int64{}
		for _, tg := range ts {
			out[*tg.SectionKey] = append(out[*tg.SectionKey], tg.ThemeID)
		}
		return out
	}
	src := func(key string) pattern.NewTag { return pattern.NewTag{AccountID: w.a2, SectionKey: key} }
	set := func(m ...int64) map[int64]bool {
		out := map[int64]bool{}
		for _, id := range m {
			out[id] = true
		}
		return out
	}
	if err := w.svc.SetTags(ctx, steward, []pattern.Retag{
		{Source: src("what_we_learnt"), Want: set(w.belonging)},
		{Source: src("what_we_need"), Want: set(w.time)},
	}); err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(tagsOn(w.a2))

	// The second source asks for a theme that is not in use: the first
	// source's change (dropping Belonging, adding Time) must not stay.
	err := w.svc.SetTags(ctx, steward, []pattern.Retag{
		{Source: src("what_we_learnt"), Want: set(w.time), Shown: set(w.belonging)},
		{Source: src("what_we_need"), Want: set(w.idea), Shown: set(w.time)},
	})
	if _, ok := validate.As(err); !ok {
		t.Fatalf("a theme not in use: %v, want a validation error", err)
	}
	if after := fmt.Sprint(tagsOn(w.a2)); after != before {
		t.Fatalf("a refused form changed the tags: %s, then %s", before, after)
	}

	// Someone tags what_we_learnt with Time after the form was shown with
	// only Belonging ticked; the form unticks Belonging.
	if _, err := w.svc.Tag(ctx, steward, pattern.NewTag{ThemeID: w.time, AccountID: w.a2, SectionKey: "what_we_learnt"}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.SetTags(ctx, steward, []pattern.Retag{
		{Source: src("what_we_learnt"), Want: set(), Shown: set(w.belonging)},
	}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(tagsOn(w.a2)["what_we_learnt"]); got != fmt.Sprint([]int64{w.time}) {
		t.Fatalf("what_we_learnt has themes %s, want only the one added meanwhile (%d)", got, w.time)
	}
}
