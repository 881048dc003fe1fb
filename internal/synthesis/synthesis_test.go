package synthesis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/search/searchtest"
	"github.com/humblehq/humble/internal/synthesis"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func kindOf(err error) fault.Kind {
	if f, ok := fault.As(err); ok {
		return f.Kind
	}
	return 0
}

func field(err error) string {
	if ve, ok := validate.As(err); ok {
		return ve[0].Field
	}
	return ""
}

// TestWriteEditPublish: a draft, a stale edit refused, publishing, and a
// published synthesis that never changes.
func TestWriteEditPublish(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := synthesis.NewService(db, account.NewService(db))
	ctx := context.Background()
	v := f.Viewers()["steward"]
	in := synthesis.Input{Title: " Autumn ", Body: "What we saw.", PeriodStart: "2026-09-01", PeriodEnd: "2026-11-30",
		Citations: []synthesis.CitationInput{{ThemeID: f.Theme}, {AccountID: f.AccountA, SectionKey: "context_changed"}, {DialogueID: f.Dialogue}}}
	y, err := svc.Create(ctx, v, in)
	if err != nil {
		t.Fatal(err)
	}
	if y.Title != "Autumn" || y.Status != synthesis.Draft || y.Version != 1 || len(y.Citations) != 3 {
		t.Fatalf("created: %+v", y)
	}
	in.Title = "Autumn, again"
	if _, err := svc.Update(ctx, v, y.ID, synthesis.Edit{Version: 1, Input: in}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, v, y.ID, synthesis.Edit{Version: 1, Input: in}); kindOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale edit: %v", err)
	}
	if _, err := svc.Publish(ctx, v, y.ID, 1); kindOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale publish: %v", err)
	}
	p, err := svc.Publish(ctx, v, y.ID, 2)
	if err != nil || p.Status != synthesis.Published || p.PublishedAt == nil {
		t.Fatalf("publish: %+v %v", p, err)
	}
	if _, err := svc.Update(ctx, v, y.ID, synthesis.Edit{Version: 3, Input: in}); !errors.Is(err, synthesis.ErrFrozen) {
		t.Fatalf("edit after publishing: %v", err)
	}
	if _, err := svc.Publish(ctx, v, y.ID, 3); !errors.Is(err, synthesis.ErrFrozen) {
		t.Fatalf("publish twice: %v", err)
	}
	// The database refuses it too.
	if err := db.Exec(`UPDATE syntheses SET title = 'x' WHERE id = ?`, y.ID).Error; err == nil {
		t.Fatal("the database let a published synthesis change")
	}
	if err := db.Exec(`DELETE FROM synthesis_citations WHERE synthesis_id = ?`, y.ID).Error; err == nil {
		t.Fatal("the database let a published synthesis's citations change")
	}
	var events int64
	db.Raw(`SELECT count(*) FROM audit_events WHERE object_type = 'synthesis' AND object_id = ?`, fmt.Sprint(y.ID)).Scan(&events)
	if events != 3 {
		t.Errorf("%d audit events, want 3", events)
	}
}

// TestCitationsNeedSight: an author cannot cite what they cannot read; the
// refusal names the citation.
func TestCitationsNeedSight(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := synthesis.NewService(db, account.NewService(db))
	ctx := context.Background()
	// A learning partner who takes no part in the dialogue; a partner
	// reads every section.
	partner := account.Viewer{UserID: f.Outsider, FundID: f.Fund, Partner: true, Clearance: account.SeesPartner}
	base := synthesis.Input{Title: "T", PeriodStart: "2026-01-01", PeriodEnd: "2026-02-01"}
	cases := []struct {
		cites []synthesis.CitationInput
		field string
	}{
		{[]synthesis.CitationInput{{ThemeID: f.Theme}, {DialogueID: f.Dialogue}}, "citations[1]"},
		{[]synthesis.CitationInput{{AccountID: f.DraftA}}, "citations[0]"},
		{[]synthesis.CitationInput{{AccountID: f.AccountA, SectionKey: "not_as_hoped"}}, "citations[0]"}, // empty section
		{[]synthesis.CitationInput{{ThemeID: 999999}}, "citations[0]"},
		{[]synthesis.CitationInput{{ThemeID: f.Theme, DialogueID: f.Dialogue}}, "citations[0]"},
		{[]synthesis.CitationInput{{SectionKey: "what_we_tried"}}, "citations[0]"},
		{[]synthesis.CitationInput{{ThemeID: f.Theme}, {ThemeID: f.Theme}}, "citations[1]"},
		{[]synthesis.CitationInput{{AccountID: f.AccountA, SectionKey: "targets"}}, "citations[0].section_key"},
	}
	for i, c := range cases {
		in := base
		in.Citations = c.cites
		if _, err := svc.Create(ctx, partner, in); field(err) != c.field {
			t.Errorf("case %d: %v, want 422 naming %s", i, err, c.field)
		}
	}
	in := base
	in.PeriodEnd = "2025-01-01"
	if _, err := svc.Create(ctx, partner, in); field(err) != "period_end" {
		t.Errorf("period: %v", err)
	}
	in = base
	in.Citations = []synthesis.CitationInput{{AccountID: f.AccountA, SectionKey: "context_changed"}, {AccountID: f.AccountA}, {ThemeID: f.Theme}}
	if _, err := svc.Create(ctx, partner, in); err != nil {
		t.Fatal(err)
	}
}

// TestCitationsShownPerReader: each reader sees only the cited sources
// they may read; drafts are the stewards' and partners'.
func TestCitationsShownPerReader(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := synthesis.NewService(db, account.NewService(db))
	ctx := context.Background()
	vs := f.Viewers()
	y, err := svc.Create(ctx, vs["steward"], synthesis.Input{Title: "T", PeriodStart: "2026-01-01", PeriodEnd: "2026-02-01",
		Citations: []synthesis.CitationInput{{ThemeID: f.Theme}, {AccountID: f.AccountA, SectionKey: "context_changed"},
			{AccountID: f.AccountA, SectionKey: "what_we_tried"}, {AccountID: f.AccountA, SectionKey: "what_we_learnt"}, {DialogueID: f.Dialogue}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, vs["anonymous"], y.ID, false); !errors.Is(err, synthesis.ErrNotFound) {
		t.Fatalf("a draft read by the public: %v", err)
	}
	if _, total, _ := svc.List(ctx, f.Fund, false, 0, 50); total != 1 {
		t.Errorf("the public lists %d syntheses, want 1 (the published one)", total)
	}
	if _, total, _ := svc.List(ctx, f.Fund, true, 0, 50); total != 3 {
		t.Errorf("the stewards list %d syntheses, want 3", total)
	}
	if _, err := svc.Publish(ctx, vs["steward"], y.ID, 1); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"steward":   {"theme", "section", "section", "section", "dialogue"},
		"granteeA":  {"theme", "section", "section", "section"},
		"granteeB":  {"theme", "section", "section", "dialogue"},
		"outsider":  {"theme", "section"},
		"anonymous": {"theme", "section"},
	}
	for who, v := range vs {
		got, err := svc.Get(ctx, v, y.ID, false)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		var kinds []string
		for _, c := range got.Citations {
			kinds = append(kinds, c.Kind)
		}
		if len(kinds) != len(want[who]) {
			t.Errorf("%s sees citations %v, want %v", who, kinds, want[who])
			continue
		}
		for i := range kinds {
			if kinds[i] != want[who][i] {
				t.Errorf("%s sees citations %v, want %v", who, kinds, want[who])
				break
			}
		}
	}
	// Another fund's reader never finds it.
	if _, err := svc.Get(ctx, account.Viewer{FundID: f.OtherFund}, y.ID, true); !errors.Is(err, synthesis.ErrNotFound) {
		t.Errorf("read through another fund: %v", err)
	}
}

func TestSourcesAndValues(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := synthesis.NewService(db, account.NewService(db))
	ctx := context.Background()
	count := func(who string) map[string]int {
		cs, err := svc.Sources(ctx, f.Viewers()[who])
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, c := range cs {
			n[c.Kind]++
			in, ok := synthesis.ParseValue(c.Value)
			if !ok || synthesis.Value(in) != c.Value {
				t.Errorf("value %q does not read back", c.Value)
			}
		}
		return n
	}
	if n := count("steward"); n["theme"] != 1 || n["section"] != 4 || n["dialogue"] != 1 {
		t.Errorf("steward may cite %v", n)
	}
	if n := count("granteeA"); n["section"] != 4 || n["dialogue"] != 0 {
		t.Errorf("grantee A may cite %v", n)
	}
	if n := count("granteeB"); n["section"] != 3 || n["dialogue"] != 1 {
		t.Errorf("grantee B may cite %v", n)
	}
	for _, bad := range []string{"", "theme:", "theme:x", "section:1", "nothing:1"} {
		if _, ok := synthesis.ParseValue(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestEditKeepsWhatTheEditorCannotSee: a partner who takes no part in a
// dialogue edits a draft citing it; the citation stays, unseen by them.
func TestEditKeepsWhatTheEditorCannotSee(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := synthesis.NewService(db, account.NewService(db))
	ctx := context.Background()
	steward := f.Viewers()["steward"]
	partner := account.Viewer{UserID: f.Outsider, FundID: f.Fund, Partner: true, Clearance: account.SeesPartner}
	in := synthesis.Input{Title: "T", PeriodStart: "2026-01-01", PeriodEnd: "2026-02-01",
		Citations: []synthesis.CitationInput{{ThemeID: f.Theme}, {DialogueID: f.Dialogue}}}
	y, err := svc.Create(ctx, steward, in)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := svc.Get(ctx, partner, y.ID, true)
	if err != nil || len(seen.Citations) != 1 {
		t.Fatalf("the partner sees %+v (%v), want the theme only", seen.Citations, err)
	}
	in.Citations = []synthesis.CitationInput{{AccountID: f.AccountA, SectionKey: "what_we_tried"}}
	if _, err := svc.Update(ctx, partner, y.ID, synthesis.Edit{Version: 1, Input: in}); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Get(ctx, steward, y.ID, true)
	if err != nil || len(after.Citations) != 2 || after.Citations[0].Kind != synthesis.CitesSection ||
		after.Citations[1].Kind != synthesis.CitesDialogue {
		t.Fatalf("after the partner's edit the steward sees %+v (%v)", after.Citations, err)
	}
}
