package pattern

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Count is how often a theme turns up: in how many sources, and across
// how many grantee organisations.
type Count struct {
	Sources  int `json:"sources"`
	Grantees int `json:"grantees"`
}

// PeriodCount is a Count in one quarter ("2026-Q3").
type PeriodCount struct {
	Period   string `json:"period"`
	Sources  int    `json:"sources"`
	Grantees int    `json:"grantees"`
}

// ThemeCounts is one theme's row of the pattern view.
type ThemeCounts struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Total       Count         `json:"total"`
	Periods     []PeriodCount `json:"periods"`
}

// View is the fund's pattern view for one person: every curated theme,
// by name, with its counts per quarter (every quarter from the first to
// the last in which anything the person may read was tagged).
type View struct {
	FundID  int64         `json:"fund_id"`
	Periods []string      `json:"periods"`
	Themes  []ThemeCounts `json:"themes"`
}

// tagged is SQL of every tag of the viewer's fund on a source the viewer
// may read, as rows (tag_id, theme_id, account_id, section_key,
// dialogue_id, organisation_id, on_date): account tags through
// the accounts' one reading rule; dialogue tags only for those taking
// part. organisation_id is the grantee's, NULL for the funder's
// reflections and for dialogues.
const tagged = `WITH vs AS (` + account.VisibleSections + `),
	tagged AS (
		SELECT t.id AS tag_id, t.theme_id, t.account_id, t.section_key, NULL::bigint AS dialogue_id,
			CASE WHEN vs.kind = 'grantee' THEN vs.organisation_id END AS organisation_id, vs.period_end AS on_date
		FROM theme_tags t JOIN vs ON vs.account_id = t.account_id AND vs.section_key = t.section_key
		WHERE t.fund_id = @v_fund AND t.account_id IS NOT NULL
		UNION ALL
		SELECT t.id, t.theme_id, NULL, NULL, t.dialogue_id, NULL, d.meets_on
		FROM theme_tags t JOIN dialogues d ON d.id = t.dialogue_id
			JOIN dialogue_participants p ON p.dialogue_id = d.id AND p.user_id = @v_participant AND p.status <> 'declined'
		WHERE t.fund_id = @v_fund AND t.dialogue_id IS NOT NULL AND d.fund_id = @v_fund
	)`

// quarter is SQL of the calendar quarter of on_date, "2026-Q3".
const quarter = `to_char(tg.on_date, 'YYYY-"Q"Q')`

// PatternsSQL is the pattern view's one query, with the named arguments
// of account.Viewer.Args: per curated theme, a row of totals and a row
// per quarter.
const PatternsSQL = tagged + `,
	counts AS (
		SELECT tg.theme_id, date_trunc('quarter', tg.on_date)::date AS quarter, grouping(date_trunc('quarter', tg.on_date)::date) = 1 AS total,
			count(*) AS sources, count(DISTINCT tg.organisation_id) AS grantees
		FROM tagged tg
		GROUP BY GROUPING SETS ((tg.theme_id), (tg.theme_id, date_trunc('quarter', tg.on_date)::date))
	)
	SELECT th.id, th.name, th.description, c.quarter, COALESCE(c.total, true) AS total,
		COALESCE(c.sources, 0) AS sources, COALESCE(c.grantees, 0) AS grantees
	FROM themes th LEFT JOIN counts c ON c.theme_id = th.id
	WHERE th.fund_id = @v_fund AND th.status = 'curated'
	ORDER BY lower(th.name), th.id, total DESC, c.quarter`

// Patterns is the fund's pattern view as the viewer may see it, in one
// query.
func (s *Service) Patterns(ctx context.Context, v account.Viewer) (View, error) {
	var rows []struct {
		ID          int64
		Name        string
		Description string
		Quarter     *time.Time
		Total       bool
		Sources     int
		Grantees    int
	}
	err := store.Conn(ctx, s.db).Raw(PatternsSQL, v.Args()).Scan(&rows).Error
	if err != nil {
		return View{}, err
	}
	view := View{FundID: v.FundID, Periods: []string{}, Themes: []ThemeCounts{}}
	first, last := "", ""
	for _, r := range rows {
		if r.Total {
			view.Themes = append(view.Themes, ThemeCounts{ID: r.ID, Name: r.Name, Description: r.Description,
				Total: Count{Sources: r.Sources, Grantees: r.Grantees}})
			continue
		}
		if r.Quarter == nil || r.Sources == 0 || len(view.Themes) == 0 {
			continue
		}
		q := QuarterOf(*r.Quarter)
		th := &view.Themes[len(view.Themes)-1]
		th.Periods = append(th.Periods, PeriodCount{Period: q, Sources: r.Sources, Grantees: r.Grantees})
		if first == "" || q < first {
			first = q
		}
		if q > last {
			last = q
		}
	}
	if first != "" {
		view.Periods = Quarters(first, last)
	}
	// Every theme gets every quarter, zeros included, so the chart and
	// the table line up.
	for i, th := range view.Themes {
		have := map[string]PeriodCount{}
		for _, p := range th.Periods {
			have[p.Period] = p
		}
		full := make([]PeriodCount, len(view.Periods))
		for j, q := range view.Periods {
			full[j] = PeriodCount{Period: q}
			if p, ok := have[q]; ok {
				full[j] = p
			}
		}
		view.Themes[i].Periods = full
	}
	return view, nil
}

// QuarterOf names the calendar quarter of a day, "2026-Q3".
func QuarterOf(t time.Time) string {
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3)
}

var quarterRe = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// ParseQuarter checks a quarter such as "2026-Q3".
func ParseQuarter(q string) (year, n int, ok bool) {
	m := quarterRe.FindStringSubmatch(q)
	if m == nil {
		return 0, 0, false
	}
	year, _ = strconv.Atoi(m[1])
	n, _ = strconv.Atoi(m[2])
	return year, n, true
}

// Quarters lists the quarters from first to last, both included.
func Quarters(first, last string) []string {
	y, q, ok1 := ParseQuarter(first)
	ly, lq, ok2 := ParseQuarter(last)
	if !ok1 || !ok2 {
		return nil
	}
	var out []string
	for (y < ly || (y == ly && q <= lq)) && len(out) < 400 {
		out = append(out, fmt.Sprintf("%d-Q%d", y, q))
		if q++; q > 4 {
			y, q = y+1, 1
		}
	}
	return out
}

// Source is one tagged source the viewer may read.
type Source struct {
	TagID int64 `json:"tag_id"`
	// Kind is "section" (of a grantee's account or the funder's
	// reflection) or "dialogue".
	Kind             string `json:"kind"`
	AccountID        *int64 `json:"account_id"`
	AccountKind      string `json:"account_kind,omitempty"`
	SectionKey       string `json:"section_key,omitempty"`
	SectionTitle     string `json:"section_title,omitempty"`
	DialogueID       *int64 `json:"dialogue_id"`
	OrganisationName string `json:"organisation_name,omitempty"`
	// Title says what the source is: the organisation's account, the
	// funder's reflection, or the dialogue's purpose.
	Title  string `json:"title"`
	Date   string `json:"date"`
	Period string `json:"period"`
	// Excerpt is the start of the section's own words (never a story's)
	// or of the dialogue's latest notes.
	Excerpt string `json:"excerpt"`
	// Link is the page of the source.
	Link string `json:"link"`
}

// ExcerptRunes is how long an excerpt may be.
const ExcerptRunes = 200

// Sources lists the sources of a curated theme the viewer may read,
// newest first, in one quarter ("" for all): at most limit of them after
// the first offset, and how many there are in all.
func (s *Service) Sources(ctx context.Context, v account.Viewer, themeID int64, period string, limit, offset int) ([]Source, int, error) {
	if period != "" {
		if _, _, ok := ParseQuarter(period); !ok {
			return nil, 0, validate.Field("period", "must be a quarter such as 2026-Q1")
		}
	}
	th, err := s.Theme(ctx, themeID)
	if err != nil || th.FundID != v.FundID || th.Status != Curated {
		return nil, 0, ErrThemeNotFound
	}
	args := v.Args()
	args["theme"], args["period"], args["limit"], args["offset"] = themeID, period, limit, offset
	var rows []struct {
		Total            int
		TagID            int64
		AccountID        *int64
		AccountKind      string
		SectionKey       string
		DialogueID       *int64
		OrganisationName string
		Purpose          string
		OnDate           time.Time
		Period           string
		Body             string
	}
	err = store.Conn(ctx, s.db).Raw(tagged+`
		SELECT tg.tag_id, tg.account_id, COALESCE(a.kind, '') AS account_kind, COALESCE(tg.section_key, '') AS section_key,
			count(*) OVER () AS total, tg.dialogue_id, COALESCE(o.name, '') AS organisation_name, COALESCE(d.purpose, '') AS purpose, tg.on_date,
			`+quarter+` AS period,
			left(COALESCE(sec.body, (SELECT n.body FROM dialogue_notes n WHERE n.dialogue_id = tg.dialogue_id ORDER BY n.version DESC LIMIT 1), ''), 400) AS body
		FROM tagged tg
			LEFT JOIN reflective_accounts a ON a.id = tg.account_id
			LEFT JOIN organisations o ON o.id = a.organisation_id
			LEFT JOIN account_sections sec ON sec.account_id = tg.account_id AND sec.key = tg.section_key
			LEFT JOIN dialogues d ON d.id = tg.dialogue_id
		WHERE tg.theme_id = @theme AND (@period = '' OR `+quarter+` = @period)
		ORDER BY tg.on_date DESC, tg.tag_id DESC
		LIMIT @limit OFFSET @offset`, args).Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 && offset > 0 {
		// Past the end: the total still says how many there are.
		_, total, err := s.Sources(ctx, v, themeID, period, 1, 0)
		return []Source{}, total, err
	}
	total := 0
	if len(rows) > 0 {
		total = rows[0].Total
	}
	out := make([]Source, 0, len(rows))
	for _, r := range rows {
		src := Source{TagID: r.TagID, AccountID: r.AccountID, DialogueID: r.DialogueID, Date: r.OnDate.Format(time.DateOnly),
			Period: r.Period, Excerpt: Excerpt(r.Body, ExcerptRunes)}
		if r.AccountID != nil {
			src.Kind, src.AccountKind, src.SectionKey, src.OrganisationName = "section", r.AccountKind, r.SectionKey, r.OrganisationName
			src.SectionTitle = account.SectionTitle(r.AccountKind, r.SectionKey)
			if r.AccountKind == account.Funder {
				src.Title = "The funder's reflection"
				src.Link = fmt.Sprintf("/reflections/%d", *r.AccountID)
			} else {
				src.Title = "Account by " + r.OrganisationName
				src.Link = fmt.Sprintf("/accounts/%d", *r.AccountID)
			}
		} else {
			src.Kind, src.Title = "dialogue", r.Purpose
			src.Link = fmt.Sprintf("/dialogues/%d", *r.DialogueID)
		}
		out = append(out, src)
	}
	return out, total, nil
}

// Excerpt is the start of s, at most n runes, cut at a word where it can
// be, with an ellipsis when cut.
func Excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}
