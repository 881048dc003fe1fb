// Package search finds words across one fund's learning for one reader:
// sections of submitted accounts and published reflections, the stories
// in them, addenda, the stewards' responses, dialogue notes and learning
// syntheses. It uses PostgreSQL text search with the same expressions as
// the GIN indexes of migrations 00008 and 00009, so they are used.
//
// What a reader may find is exactly what they may read: account sections
// by account.VisibleSections, stories by account.StoryShown on top of
// their section's visibility (a withdrawn or expired story is found by
// nobody, not even its author), addenda by their own visibility, responses
// by the fund's stewards and learning partners and the account's own
// organisation, dialogue notes (their latest version) by the dialogue's
// participants who have not declined, and syntheses by everyone once
// published (drafts by the stewards and learning partners only). Nothing
// is found, counted or quoted from a source the reader may not read: each
// snippet is cut from the one text that matched.
package search

import (
	"context"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// MaxQuery is the longest query, in characters.
const MaxQuery = 200

// Kinds of result.
const (
	Section   = "section"
	Story     = "story"
	Addendum  = "addendum"
	Response  = "response"
	Notes     = "dialogue_notes"
	Synthesis = "synthesis"
)

// KindNames say the kinds in words.
var KindNames = map[string]string{
	Section:   "Account section",
	Story:     "Story",
	Addendum:  "Addendum",
	Response:  "The fund's response",
	Notes:     "Dialogue notes",
	Synthesis: "Learning synthesis",
}

// Result is one place the words were found.
type Result struct {
	Kind string `json:"kind"`
	// Title says where the words come from, in words.
	Title string `json:"title"`
	// Link is the page that shows the source.
	Link        string  `json:"link"`
	AccountID   *int64  `json:"account_id"`
	SectionKey  *string `json:"section_key"`
	DialogueID  *int64  `json:"dialogue_id"`
	SynthesisID *int64  `json:"synthesis_id"`
	// Snippet is a short passage around the words found, as plain text.
	Snippet string `json:"snippet"`
	// SnippetHTML is the same passage HTML-escaped, with the words found
	// in <mark>.
	SnippetHTML string `json:"snippet_html"`
}

// Page of results asked for.
type Page struct{ Number, Size int }

// Service searches.
type Service struct{ db *gorm.DB }

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// Query checks a query: not empty, not too long.
func Query(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return "", validate.Field("q", "is required: say what words to look for")
	case utf8.RuneCountInString(q) > MaxQuery:
		return "", validate.Field("q", fmt.Sprintf("must be at most %d characters", MaxQuery))
	}
	return q, nil
}

// Markers ts_headline puts around the words found; private-use characters,
// removed from the texts first, so that they only ever mean a match.
const (
	startMark = "\uE000"
	stopMark  = "\uE001"
)

// restriction ranks a visibility (the SQL expression %s) against a
// clearance, as account.VisibleSections does for sections.
const restriction = `(CASE %s WHEN 'public' THEN 0 WHEN 'peers' THEN 1 ELSE 2 END)`

// clean is SQL taking the markers out of a text before it is quoted.
func clean(col string) string {
	return fmt.Sprintf(`translate(%s, E'\uE000\uE001', '')`, col)
}

// searchSQL is the one query: each branch finds texts whose tsvector (the
// indexed expression) matches, among those the viewer may read.
var searchSQL = `WITH vs AS (` + account.VisibleSections + `),
hits AS (
	SELECT 'section' AS kind, s.account_id, s.key AS section_key, NULL::bigint AS dialogue_id, NULL::bigint AS synthesis_id,
		a.kind AS account_kind, o.name AS org_name, '' AS label, ` + clean("s.body") + ` AS body,
		ts_rank(to_tsvector('english', s.body), websearch_to_tsquery('english', @q)) AS rank, a.submitted_at AS at
	FROM account_sections s
	JOIN vs ON vs.account_id = s.account_id AND vs.section_key = s.key
	JOIN reflective_accounts a ON a.id = s.account_id JOIN organisations o ON o.id = a.organisation_id
	WHERE to_tsvector('english', s.body) @@ websearch_to_tsquery('english', @q)
UNION ALL
	SELECT 'story', st.account_id, 'what_happened', NULL, NULL, a.kind, o.name, '', ` + clean("st.body") + `,
		ts_rank(to_tsvector('english', st.body), websearch_to_tsquery('english', @q)), a.submitted_at
	FROM account_stories st
	JOIN reflective_accounts a ON a.id = st.account_id JOIN organisations o ON o.id = a.organisation_id
	JOIN vs ON vs.account_id = st.account_id AND vs.section_key = 'what_happened'
	WHERE to_tsvector('english', st.body) @@ websearch_to_tsquery('english', @q) AND ` + account.StoryShown + `
UNION ALL
	SELECT 'addendum', d.account_id, NULL, NULL, NULL, a.kind, o.name, '', ` + clean("d.body") + `,
		ts_rank(to_tsvector('english', d.body), websearch_to_tsquery('english', @q)), d.created_at
	FROM account_addenda d
	JOIN reflective_accounts a ON a.id = d.account_id JOIN organisations o ON o.id = a.organisation_id
	WHERE to_tsvector('english', d.body) @@ websearch_to_tsquery('english', @q)
	  AND a.fund_id = @v_fund AND a.status = 'submitted'
	  AND (` + account.FullSight + ` OR ` + fmt.Sprintf(restriction, "d.visibility") + ` <= @v_clearance)
UNION ALL
	SELECT 'response', r.account_id, NULL, NULL, NULL, a.kind, o.name, '', ` + clean("r.body") + `,
		ts_rank(to_tsvector('english', r.body), websearch_to_tsquery('english', @q)), r.sent_at
	FROM account_responses r
	JOIN reflective_accounts a ON a.id = r.account_id JOIN organisations o ON o.id = a.organisation_id
	WHERE to_tsvector('english', r.body) @@ websearch_to_tsquery('english', @q)
	  AND a.fund_id = @v_fund AND a.status = 'submitted'
	  AND (@v_partner OR (a.kind = 'grantee' AND a.organisation_id IN (@v_orgs)))
UNION ALL
	SELECT 'dialogue_notes', NULL, NULL, n.dialogue_id, NULL, NULL, NULL, dl.purpose, ` + clean("n.body") + `,
		ts_rank(to_tsvector('english', n.body), websearch_to_tsquery('english', @q)), n.written_at
	FROM dialogue_notes n JOIN dialogues dl ON dl.id = n.dialogue_id
	WHERE to_tsvector('english', n.body) @@ websearch_to_tsquery('english', @q)
	  AND dl.fund_id = @v_fund
	  AND n.version = (SELECT max(n2.version) FROM dialogue_notes n2 WHERE n2.dialogue_id = n.dialogue_id)
	  AND EXISTS (SELECT 1 FROM dialogue_participants dp
		WHERE dp.dialogue_id = dl.id AND dp.user_id = @v_participant AND dp.status <> 'declined')
UNION ALL
	SELECT 'synthesis', NULL, NULL, NULL, y.id, NULL, NULL, y.title, ` + clean("y.title || ' ' || y.body") + `,
		ts_rank(to_tsvector('english', y.title || ' ' || y.body), websearch_to_tsquery('english', @q)), COALESCE(y.published_at, y.updated_at)
	FROM syntheses y
	WHERE to_tsvector('english', y.title || ' ' || y.body) @@ websearch_to_tsquery('english', @q)
	  AND y.fund_id = @v_fund AND (y.status = 'published' OR @v_partner)
)
-- The snippets are cut only for the page of results shown.
SELECT kind, account_id, section_key, dialogue_id, synthesis_id, account_kind, org_name, label,
	ts_headline('english', body, websearch_to_tsquery('english', @q),
		'StartSel=` + startMark + `, StopSel=` + stopMark + `, MaxWords=30, MinWords=12, ShortWord=3, MaxFragments=2, FragmentDelimiter=" … "') AS headline,
	total
FROM (SELECT *, count(*) OVER () AS total FROM hits
	ORDER BY rank DESC, at DESC NULLS LAST, kind, account_id, section_key, dialogue_id, synthesis_id
	LIMIT @limit OFFSET @offset) page
ORDER BY rank DESC, at DESC NULLS LAST, kind, account_id, section_key, dialogue_id, synthesis_id`

type row struct {
	Kind        string
	AccountID   *int64
	SectionKey  *string
	DialogueID  *int64
	SynthesisID *int64
	AccountKind *string
	OrgName     *string
	Label       string
	Headline    string
	Total       int64
}

// Search finds q in the viewer's fund: a page of results, best first, and
// how many there are in all (for this viewer).
func (s *Service) Search(ctx context.Context, v account.Viewer, q string, p Page) ([]Result, int64, error) {
	q, err := Query(q)
	if err != nil {
		return nil, 0, err
	}
	if p.Number < 1 {
		p.Number = 1
	}
	if p.Size < 1 {
		p.Size = 20
	}
	args := v.Args()
	args["q"], args["limit"], args["offset"] = q, p.Size, (p.Number-1)*p.Size
	var rows []row
	if err := store.Conn(ctx, s.db).Raw(searchSQL, args).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]Result, 0, len(rows))
	var total int64
	for _, r := range rows {
		total = r.Total
		plain, marked := snippet(r.Headline)
		out = append(out, Result{Kind: r.Kind, Title: title(r), Link: link(r), AccountID: r.AccountID, SectionKey: r.SectionKey,
			DialogueID: r.DialogueID, SynthesisID: r.SynthesisID, Snippet: plain, SnippetHTML: marked})
	}
	if len(rows) == 0 && p.Number > 1 {
		// Past the last page: the total is still worth knowing.
		n, err := s.count(ctx, args)
		return out, n, err
	}
	return out, total, nil
}

func (s *Service) count(ctx context.Context, args map[string]any) (int64, error) {
	args["limit"], args["offset"] = 1, 0
	var rows []row
	if err := store.Conn(ctx, s.db).Raw(searchSQL, args).Scan(&rows).Error; err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0].Total, nil
}

// snippet turns a headline into plain text and into HTML-escaped text with
// the matches in <mark>, always balanced.
func snippet(h string) (string, string) {
	plain := strings.NewReplacer(startMark, "", stopMark, "").Replace(h)
	var b strings.Builder
	open := false
	for h != "" {
		i := strings.IndexAny(h, startMark+stopMark)
		if i < 0 {
			b.WriteString(html.EscapeString(h))
			break
		}
		b.WriteString(html.EscapeString(h[:i]))
		r, n := utf8.DecodeRuneInString(h[i:])
		switch {
		case string(r) == startMark && !open:
			b.WriteString("<mark>")
			open = true
		case string(r) == stopMark && open:
			b.WriteString("</mark>")
			open = false
		}
		h = h[i+n:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return strings.TrimSpace(plain), strings.TrimSpace(b.String())
}

func title(r row) string {
	whose := ""
	if r.AccountKind != nil && r.OrgName != nil {
		whose = "Reflective account from " + *r.OrgName
		if *r.AccountKind == account.Funder {
			whose = "The funder's reflection"
		}
	}
	switch r.Kind {
	case Section, Story:
		t := whose + ": " + account.SectionTitle(deref(r.AccountKind), deref(r.SectionKey))
		if r.Kind == Story {
			t += " (a story)"
		}
		return t
	case Addendum:
		return whose + ": an addendum"
	case Response:
		return "The fund's response to the account from " + deref(r.OrgName)
	case Notes:
		return "Notes of the dialogue: " + r.Label
	}
	return r.Label
}

func link(r row) string {
	switch r.Kind {
	case Section, Story, Addendum:
		base := "/accounts/"
		if deref(r.AccountKind) == account.Funder {
			base = "/reflections/"
		}
		l := fmt.Sprintf("%s%d", base, *r.AccountID)
		switch {
		case r.SectionKey != nil:
			l += "#s-" + *r.SectionKey
		case r.Kind == Addendum:
			l += "#addenda-title"
		}
		return l
	case Response:
		return fmt.Sprintf("/accounts/%d/response", *r.AccountID)
	case Notes:
		return fmt.Sprintf("/dialogues/%d/notes", *r.DialogueID)
	}
	return fmt.Sprintf("/syntheses/%d", *r.SynthesisID)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
