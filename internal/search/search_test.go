package search_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/search"
	"github.com/humblehq/humble/internal/search/searchtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// every word of the fixture, so each reader's results can be checked for
// what they hold and what they must not.
var words = []string{searchtest.PartnerSection, searchtest.PeersSection, searchtest.PublicSection, searchtest.StoryAll,
	searchtest.StoryWithdrawn, searchtest.StoryExpired, searchtest.StoryLearning, searchtest.DraftSection,
	searchtest.PeersAddendum, searchtest.PartnerAddend, searchtest.ResponseWord, searchtest.OldNotes, searchtest.Notes,
	searchtest.Published, searchtest.DraftSynthesis, searchtest.OtherFund}

// TestResultsDifferPerViewer searches every word as every reader: each
// finds exactly what they may read, and withdrawn or expired stories,
// drafts, old notes and other funds are found by nobody.
func TestResultsDifferPerViewer(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := search.NewService(db)
	ctx := context.Background()
	nobody := []string{searchtest.StoryWithdrawn, searchtest.StoryExpired, searchtest.DraftSection, searchtest.OldNotes, searchtest.OtherFund}
	public := []string{searchtest.PublicSection, searchtest.StoryAll, searchtest.Published}
	peer := append([]string{searchtest.PeersSection, searchtest.StoryLearning, searchtest.PeersAddendum}, public...)
	want := map[string][]string{
		"anonymous": public,
		"outsider":  public,
		// B reads what A shares with peers, and the notes of the dialogue
		// it takes part in.
		"granteeB": append([]string{searchtest.Notes}, peer...),
		// A reads its own account in full and its response, but declined
		// the dialogue.
		"granteeA": append([]string{searchtest.PartnerSection, searchtest.PartnerAddend, searchtest.ResponseWord}, peer...),
		"steward": append([]string{searchtest.PartnerSection, searchtest.PartnerAddend, searchtest.ResponseWord, searchtest.Notes,
			searchtest.DraftSynthesis}, peer...),
	}
	for who, v := range f.Viewers() {
		for _, w := range words {
			rs, total, err := svc.Search(ctx, v, w, search.Page{Number: 1, Size: 20})
			if err != nil {
				t.Fatalf("%s searching %q: %v", who, w, err)
			}
			found := len(rs) > 0
			if found != contains(want[who], w) {
				t.Errorf("%s finds %q: %v, want %v (%+v)", who, w, found, !found, rs)
			}
			if int(total) != len(rs) {
				t.Errorf("%s searching %q: total %d, %d results", who, w, total, len(rs))
			}
			if contains(nobody, w) && found {
				t.Errorf("%s found %q, which nobody may", who, w)
			}
			for _, r := range rs {
				if !strings.Contains(strings.ToLower(r.Snippet), w) || !strings.Contains(r.SnippetHTML, "<mark>") || r.Link == "" {
					t.Errorf("%s searching %q: result %+v", who, w, r)
				}
				// A snippet holds only the text that matched: no other
				// word of the fixture.
				for _, other := range words {
					if other != w && strings.Contains(strings.ToLower(r.Snippet), other) {
						t.Errorf("%s searching %q: snippet %q holds %q", who, w, r.Snippet, other)
					}
				}
			}
		}
	}
}

// TestStoryWordsFoundByNobodyOnceWithdrawn withdraws the consent of a
// story that was found a moment ago: nobody finds it now, its author
// included.
func TestStoryWordsFoundByNobodyOnceWithdrawn(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := search.NewService(db)
	ctx := context.Background()
	rs, _, err := svc.Search(ctx, f.Viewers()["granteeA"], searchtest.StoryAll, search.Page{})
	if err != nil || len(rs) != 1 || rs[0].Kind != search.Story {
		t.Fatalf("before: %+v %v", rs, err)
	}
	if err := db.Exec(`UPDATE account_stories SET withdrawn_at = now(), withdrawn_by = ? WHERE body LIKE ?`, f.GranteeA,
		"%"+searchtest.StoryAll+"%").Error; err != nil {
		t.Fatal(err)
	}
	for who, v := range f.Viewers() {
		rs, total, err := svc.Search(ctx, v, searchtest.StoryAll, search.Page{})
		if err != nil || len(rs) != 0 || total != 0 {
			t.Errorf("%s still finds the withdrawn story: %+v %v", who, rs, err)
		}
	}
}

func TestQueryChecked(t *testing.T) {
	db := pgtest.DB(t)
	svc := search.NewService(db)
	for _, q := range []string{"", "   ", strings.Repeat("a", search.MaxQuery+1)} {
		_, _, err := svc.Search(context.Background(), f0(), q, search.Page{})
		ve, ok := validate.As(err)
		if !ok || ve[0].Field != "q" {
			t.Errorf("query %.10q: %v, want a validation error naming q", q, err)
		}
	}
	// Words PostgreSQL drops (only stop words), quotes and operators are
	// no error: they find nothing, or what they say.
	for _, q := range []string{"the", `"saturday clubs"`, "clubs -saturday", "a OR b", "<b>&'"} {
		if _, _, err := svc.Search(context.Background(), f0(), q, search.Page{}); err != nil {
			t.Errorf("query %q: %v", q, err)
		}
	}
}

// TestSnippetEscaped: words with markup in them come back escaped, the
// match marked.
func TestSnippetEscaped(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	if err := db.Exec(`INSERT INTO syntheses (fund_id, title, body, period_start, period_end, status, published_at)
		VALUES (?, 'Tags', '<script>alert(1)</script> pelican & <b>friends</b>', current_date, current_date, 'published', now())`, f.Fund).Error; err != nil {
		t.Fatal(err)
	}
	rs, _, err := search.NewService(db).Search(context.Background(), f.Viewers()["anonymous"], "pelican", search.Page{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("%+v %v", rs, err)
	}
	if strings.Contains(rs[0].SnippetHTML, "<script>") || strings.Contains(rs[0].SnippetHTML, "<b>") ||
		!strings.Contains(rs[0].SnippetHTML, "<mark>pelican</mark>") || !strings.Contains(rs[0].SnippetHTML, "&amp;") {
		t.Errorf("snippet: %q", rs[0].SnippetHTML)
	}
}

func TestPages(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	svc := search.NewService(db)
	v := f.Viewers()["steward"]
	// "clubs" is in a section, the response and (stemmed) elsewhere.
	all, total, err := svc.Search(context.Background(), v, "clubs", search.Page{Number: 1, Size: 50})
	if err != nil || total < 2 || int(total) != len(all) {
		t.Fatalf("%d results, total %d: %v", len(all), total, err)
	}
	seen := map[string]bool{}
	for n := 1; n <= int(total); n++ {
		rs, tot, err := svc.Search(context.Background(), v, "clubs", search.Page{Number: n, Size: 1})
		if err != nil || len(rs) != 1 || tot != total {
			t.Fatalf("page %d: %+v %d %v", n, rs, tot, err)
		}
		seen[rs[0].Link+rs[0].Kind] = true
	}
	if len(seen) != int(total) {
		t.Errorf("pages repeat results: %v", seen)
	}
	rs, tot, err := svc.Search(context.Background(), v, "clubs", search.Page{Number: int(total) + 1, Size: 1})
	if err != nil || len(rs) != 0 || tot != total {
		t.Errorf("past the end: %+v %d %v", rs, tot, err)
	}
}

func f0() account.Viewer { return account.Viewer{FundID: 1} }

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// TestIndexesUsed: with sequential scans discouraged, the plan of a search
// reads every text through its GIN index, so the query's expressions are
// the indexed ones.
func TestIndexesUsed(t *testing.T) {
	db := pgtest.DB(t)
	f := searchtest.New(t, db)
	// Enough other words that an index pays.
	for _, sql := range []string{
		`INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end, author_id)
			SELECT fund_id, grant_id, organisation_id, kind, period_start, period_end, author_id
			FROM reflective_accounts, generate_series(1, 300) WHERE id = ` + fmt.Sprint(f.DraftA),
		`INSERT INTO account_sections (account_id, key, body) SELECT a.id, k, 'filler text number ' || a.id || k
			FROM reflective_accounts a, unnest(ARRAY['context_changed', 'what_we_tried', 'what_happened', 'not_as_hoped',
			'what_we_learnt', 'what_we_will_change']) k WHERE a.status = 'draft' AND a.id <> ` + fmt.Sprint(f.DraftA),
		`INSERT INTO account_stories (account_id, position, body, purposes, naming)
			SELECT a.id, 1, 'filler story ' || a.id, '{reports}', 'anonymous' FROM reflective_accounts a
			WHERE a.status = 'draft' AND a.id <> ` + fmt.Sprint(f.DraftA),
		`UPDATE reflective_accounts SET status = 'submitted', submitted_at = now() WHERE status = 'draft' AND id <> ` + fmt.Sprint(f.DraftA),
		`INSERT INTO account_responses (account_id, body) SELECT a.id, 'filler response ' || a.id FROM reflective_accounts a
			WHERE a.status = 'submitted' AND a.id <> ` + fmt.Sprint(f.AccountA) + ` AND a.fund_id = ` + fmt.Sprint(f.Fund),
		`INSERT INTO account_addenda (account_id, body) SELECT ` + fmt.Sprint(f.AccountA) + `, 'filler addendum ' || g FROM generate_series(1, 2000) g`,
		`INSERT INTO dialogue_notes (dialogue_id, version, body) SELECT ` + fmt.Sprint(f.Dialogue) + `, g, 'filler notes ' || g
			FROM generate_series(3, 2000) g`,
		`INSERT INTO syntheses (fund_id, title, body, period_start, period_end) SELECT ` + fmt.Sprint(f.Fund) + `, 'Filler', 'filler ' || g,
			current_date, current_date FROM generate_series(1, 2000) g`,
		`ANALYZE`,
	} {
		if err := db.Exec(sql).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	v := f.Viewers()["steward"]
	args := v.Args()
	args["q"], args["limit"], args["offset"] = "clubs", 20, 0
	var plan []string
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL enable_seqscan = off`).Error; err != nil {
			return err
		}
		return tx.Raw(`EXPLAIN `+search.SQL, args).Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	for _, idx := range []string{"account_sections_fts_idx", "account_stories_fts_idx", "account_addenda_fts_idx",
		"account_responses_fts_idx", "dialogue_notes_fts_idx", "syntheses_fts_idx"} {
		if !strings.Contains(text, idx) {
			t.Errorf("the plan does not use %s:\n%s", idx, text)
		}
	}
}
