package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type world struct {
	db              *gorm.DB
	svc             *account.Service
	grant, fund     int64
	grantee, fellow int64 // two members of the grantee organisation
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := pgtest.DB(t)
	w := &world{db: db, svc: account.NewService(db)}
	w.fund = applicationtest.Fund(t, db, "Riverside Fund")
	round := applicationtest.Round(t, db, w.fund, application.RoundReview, applicationtest.ClosedNow())
	user := func(name string) int64 {
		return id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES (?, ?, 'x') RETURNING id`,
			strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org", name)
	}
	w.grantee, w.fellow = user("Gus Grantee"), user("Fay Fellow")
	org := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`)
	for _, u := range []int64{w.grantee, w.fellow} {
		if err := db.Exec(`INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?)`, org, u).Error; err != nil {
			t.Fatal(err)
		}
	}
	app := applicationtest.Application(t, db, round, org, "Kitchen table")
	w.grant = id(t, db, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
		VALUES (?, ?, ?, ?, 'Kitchen table', 500000, '2026-04-01', '2027-03-31') RETURNING id`, w.fund, round, app, org)
	return w
}

func story(body string) account.StoryInput {
	return account.StoryInput{Body: body, Purposes: []string{account.ForLearning, account.ForPublic}, Naming: "first_name"}
}

// stories reads the account's stories as the database holds them.
type storyRow struct {
	ID        int64
	Body      string
	Withdrawn bool
	Purposes  string
}

func storiesOf(t *testing.T, db *gorm.DB, accountID int64) []storyRow {
	t.Helper()
	var rows []storyRow
	if err := db.Raw(`SELECT id, body, withdrawn_at IS NOT NULL AS withdrawn, array_to_string(purposes, ',') AS purposes
		FROM account_stories WHERE account_id = ? ORDER BY position`, accountID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok || len(ve) != 1 || ve[0].Field != field {
		t.Fatalf("error %v, want a validation error on %s", err, field)
	}
}

// A story whose consent was withdrawn never comes back: not when its words
// are edited and sent back under its id (refused, naming the field), not
// when it is sent back unchanged (kept, still withdrawn), not when the
// same words come back as a new story (dropped). The other stories keep
// their ids when edited.
func TestWithdrawnStoryIsNeverRevived(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	stories := []account.StoryInput{story("Pat found a flat through the club."), story("Jo cooked for forty.")}
	m, err := w.svc.Create(ctx, w.grantee, w.grant, account.NewAccount{Contents: account.Contents{Stories: &stories}})
	if err != nil {
		t.Fatal(err)
	}
	before := storiesOf(t, w.db, m.ID)
	if len(before) != 2 {
		t.Fatalf("stories: %+v", before)
	}
	pat, jo := before[0], before[1]
	if err := w.svc.WithdrawStory(ctx, w.fellow, m.ID, pat.ID); err != nil {
		t.Fatal(err)
	}

	// Edited words under the withdrawn story's id: refused, nothing saved.
	edited := story("Pat found a flat through the club, and a job.")
	edited.ID = pat.ID
	joAgain := story("Jo cooked for forty, twice.")
	joAgain.ID = jo.ID
	in := []account.StoryInput{edited, joAgain}
	_, err = w.svc.Update(ctx, w.grantee, m.ID, account.Edit{Version: m.Version, Contents: account.Contents{Stories: &in}})
	wantField(t, err, "stories[0].body")
	// The same words with wider consent: refused too.
	wider := story(pat.Body)
	wider.ID, wider.Purposes = pat.ID, []string{account.ForLearning, account.ForPublic, account.ForReports}
	in = []account.StoryInput{wider}
	_, err = w.svc.Update(ctx, w.grantee, m.ID, account.Edit{Version: m.Version, Contents: account.Contents{Stories: &in}})
	wantField(t, err, "stories[0].body")
	if after := storiesOf(t, w.db, m.ID); len(after) != 2 || !after[0].Withdrawn || after[1].Body != jo.Body {
		t.Fatalf("a refused edit changed the stories: %+v", after)
	}

	// Sent back unchanged, with an edit of the other story and the
	// withdrawn words again as a new story: kept withdrawn, no copy.
	same := story(pat.Body)
	same.ID = pat.ID
	in = []account.StoryInput{same, joAgain, story(pat.Body)}
	m, err = w.svc.Update(ctx, w.grantee, m.ID, account.Edit{Version: m.Version, Contents: account.Contents{Stories: &in}})
	if err != nil {
		t.Fatal(err)
	}
	after := storiesOf(t, w.db, m.ID)
	if len(after) != 2 || after[0].ID != pat.ID || !after[0].Withdrawn || after[1].ID != jo.ID || after[1].Body != joAgain.Body {
		t.Fatalf("after saving: %+v", after)
	}

	// Left out, it stays; an id from nowhere is refused.
	in = []account.StoryInput{}
	if m, err = w.svc.Update(ctx, w.grantee, m.ID, account.Edit{Version: m.Version, Contents: account.Contents{Stories: &in}}); err != nil {
		t.Fatal(err)
	}
	if after := storiesOf(t, w.db, m.ID); len(after) != 1 || after[0].ID != pat.ID || !after[0].Withdrawn {
		t.Fatalf("after leaving every story out: %+v", after)
	}
	stray := story("Someone else's story.")
	stray.ID = pat.ID + 1000
	in = []account.StoryInput{stray}
	_, err = w.svc.Update(ctx, w.grantee, m.ID, account.Edit{Version: m.Version, Contents: account.Contents{Stories: &in}})
	wantField(t, err, "stories[0].id")

	// Submitted, nobody but its author reads it.
	if _, err := w.svc.Submit(ctx, w.grantee, m.ID, m.Version); err == nil {
		t.Fatal("an account whose only words are a withdrawn story was submitted")
	}
}

// A colleague saving the draft does not delete a story they never saw:
// one written by someone else whose consent has expired.
func TestSavingKeepsStoriesTheEditorCannotSee(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	old := story("Ann's story, from last year.")
	old.ExpiresOn = time.Now().AddDate(0, 0, -2).Format(time.DateOnly)
	stories := []account.StoryInput{old}
	m, err := w.svc.Create(ctx, w.grantee, w.grant, account.NewAccount{Contents: account.Contents{
		Sections: map[string]account.SectionInput{"what_we_tried": {Body: "Suppers."}}, Stories: &stories}})
	if err != nil {
		t.Fatal(err)
	}
	// The colleague's page shows no story; they save it with none.
	fellow := account.Reader{UserID: w.fellow, Owner: true, Clearance: account.SeesPartner}
	acc, err := w.svc.Get(ctx, m.ID, fellow)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range acc.Sections {
		if len(s.Stories) > 0 {
			t.Fatalf("the colleague sees an expired story: %+v", s.Stories)
		}
	}
	none := []account.StoryInput{}
	if _, err := w.svc.Update(ctx, w.fellow, m.ID, account.Edit{Version: m.Version, Contents: account.Contents{Stories: &none}}); err != nil {
		t.Fatal(err)
	}
	if got := storiesOf(t, w.db, m.ID); len(got) != 1 || got[0].Body != old.Body {
		t.Fatalf("the colleague's save deleted a story they never saw: %+v", got)
	}
	// Its author still sees it, and may renew the consent.
	author := account.Reader{UserID: w.grantee, Owner: true, Clearance: account.SeesPartner}
	if acc, err = w.svc.Get(ctx, m.ID, author); err != nil {
		t.Fatal(err)
	}
	var shown []account.Story
	for _, s := range acc.Sections {
		shown = append(shown, s.Stories...)
	}
	if len(shown) != 1 || shown[0].Shown {
		t.Fatalf("author's view: %+v", shown)
	}
}

// Readers other than the grantee read the sections under titles in the
// grantee's own voice, never "you".
func TestSectionTitlesReadWellForEveryone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	sections := map[string]account.SectionInput{}
	for _, k := range account.SectionKeys {
		sections[k] = account.SectionInput{Body: "Words for " + k, Visibility: account.Public}
	}
	m, err := w.svc.Create(ctx, w.grantee, w.grant, account.NewAccount{Contents: account.Contents{Sections: sections}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Submit(ctx, w.grantee, m.ID, m.Version); err != nil {
		t.Fatal(err)
	}
	acc, err := w.svc.Get(ctx, m.ID, account.Reader{Clearance: account.SeesPublic, Purpose: account.ForPublic})
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Sections) != len(account.SectionKeys) {
		t.Fatalf("sections: %+v", acc.Sections)
	}
	for _, s := range acc.Sections {
		lower := " " + strings.ToLower(s.Title) + " "
		if strings.Contains(lower, " you ") || strings.Contains(lower, " your ") {
			t.Errorf("section %s is titled %q for the public", s.Key, s.Title)
		}
	}
	if acc.Sections[0].Title != "What changed around us" {
		t.Errorf("first title: %q", acc.Sections[0].Title)
	}
	// The writing form still asks the grantee.
	if p := account.GranteePrompts[0]; !strings.Contains(p.YourTitle, "you") {
		t.Errorf("writing title: %q", p.YourTitle)
	}
}

// Someone who wrote a draft and then left the organisation no longer reads
// it, nor the sections kept for the funder and partner once submitted.
func TestAuthorWhoLeftReadsAsAnyoneElse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m, err := w.svc.Create(ctx, w.grantee, w.grant, account.NewAccount{Contents: account.Contents{
		Sections: map[string]account.SectionInput{"not_as_hoped": {Body: "PRIVATE: the first club flopped."}}}})
	if err != nil {
		t.Fatal(err)
	}
	left := account.Reader{UserID: w.grantee, Clearance: account.SeesPublic, Purpose: account.ForPublic}
	if _, err := w.svc.Get(ctx, m.ID, left); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a former member reads the draft: %v", err)
	}
	if ms, err := w.svc.ListGrant(ctx, w.grant, left); err != nil || len(ms) != 0 {
		t.Fatalf("a former member lists %d accounts (%v)", len(ms), err)
	}
	if _, err := w.svc.Submit(ctx, w.fellow, m.ID, m.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Get(ctx, m.ID, left); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a former member reads a section kept for the funder: %v", err)
	}
	member := account.Reader{UserID: w.grantee, Owner: true, Clearance: account.SeesPartner}
	if _, err := w.svc.Get(ctx, m.ID, member); err != nil {
		t.Fatalf("a member: %v", err)
	}
}
