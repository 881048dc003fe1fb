package account

import (
	"context"
	"sort"
	"time"

	"github.com/humblehq/humble/internal/store"
)

// GraceDays is how long after a period ends its account is due.
const GraceDays = 14

// Period is one stretch of a grant the grantee reflects on.
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
	DueOn string `json:"due_on"`
	// State: received (a submitted account covers it), due (it has begun
	// and is not yet overdue), overdue, or upcoming.
	State string `json:"state"`
}

// Cadence is how often a grantee reflects, from the latest signed version
// of the grant's learning agreement. Without one, nothing is due yet, and
// accounts can be written all the same.
type Cadence struct {
	AgreementSigned bool     `json:"agreement_signed"`
	EveryMonths     *int     `json:"every_months"`
	Mode            *string  `json:"mode"`
	Periods         []Period `json:"periods"`
	NextDueOn       *string  `json:"next_due_on"`
}

// Cadence works out a grant's reflection rhythm and which periods are
// covered by a submitted account.
func (s *Service) Cadence(ctx context.Context, grantID int64) (Cadence, error) {
	g, err := s.grant(ctx, grantID)
	if err != nil {
		return Cadence{}, err
	}
	return s.cadence(ctx, g)
}

func (s *Service) cadence(ctx context.Context, g grantRow) (Cadence, error) {
	c := Cadence{Periods: []Period{}}
	var rows []struct {
		Every *int
		Mode  *string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT CASE WHEN v.content->'reflection'->>'every_months' ~ '^[0-9]{1,3}$'
			THEN (v.content->'reflection'->>'every_months')::int END AS every, v.content->'reflection'->>'mode' AS mode
		FROM agreements a JOIN agreement_versions v ON v.agreement_id = a.id
		WHERE a.grant_id = ? AND v.status = 'signed' ORDER BY v.number DESC LIMIT 1`, g.ID).Scan(&rows).Error; err != nil {
		return c, err
	}
	if len(rows) == 0 {
		return c, nil
	}
	c.AgreementSigned, c.EveryMonths, c.Mode = true, rows[0].Every, rows[0].Mode
	if c.EveryMonths == nil || *c.EveryMonths <= 0 {
		return c, nil
	}
	var covered []struct{ Start, End string }
	if err := store.Conn(ctx, s.db).Raw(`SELECT to_char(period_start, 'YYYY-MM-DD') AS start, to_char(period_end, 'YYYY-MM-DD') AS "end"
		FROM reflective_accounts WHERE grant_id = ? AND status = 'submitted'`, g.ID).Scan(&covered).Error; err != nil {
		return c, err
	}
	start, err1 := time.Parse(time.DateOnly, g.StartsOn)
	end, err2 := time.Parse(time.DateOnly, g.EndsOn)
	if err1 != nil || err2 != nil {
		return c, nil
	}
	today := s.today().Format(time.DateOnly)
	for k := 0; k < 240; k++ {
		ps := start.AddDate(0, k**c.EveryMonths, 0)
		if ps.After(end) {
			break
		}
		pe := start.AddDate(0, (k+1)**c.EveryMonths, -1)
		if pe.After(end) {
			pe = end
		}
		p := Period{Start: ps.Format(time.DateOnly), End: pe.Format(time.DateOnly), DueOn: pe.AddDate(0, 0, GraceDays).Format(time.DateOnly)}
		for _, a := range covered {
			if a.Start <= p.End && a.End >= p.Start {
				p.State = "received"
			}
		}
		switch {
		case p.State != "":
		case today > p.DueOn:
			p.State = "overdue"
		case today >= p.Start:
			p.State = "due"
		default:
			p.State = "upcoming"
		}
		if c.NextDueOn == nil && (p.State == "due" || p.State == "upcoming") {
			d := p.DueOn
			c.NextDueOn = &d
		}
		c.Periods = append(c.Periods, p)
	}
	return c, nil
}

// defaultPeriod is the period a new account is about: the first period of
// the agreement's rhythm that has begun and has no account yet; without a
// rhythm, from the day after the last account's period (or the grant's
// start) to today.
func (s *Service) defaultPeriod(ctx context.Context, grantID int64) (string, string, error) {
	g, err := s.grant(ctx, grantID)
	if err != nil {
		return "", "", err
	}
	today := s.today().Format(time.DateOnly)
	c, err := s.cadence(ctx, g)
	if err != nil {
		return "", "", err
	}
	var taken []struct{ Start, End string }
	if err := store.Conn(ctx, s.db).Raw(`SELECT to_char(period_start, 'YYYY-MM-DD') AS start, to_char(period_end, 'YYYY-MM-DD') AS "end"
		FROM reflective_accounts WHERE grant_id = ? ORDER BY period_end`, g.ID).Scan(&taken).Error; err != nil {
		return "", "", err
	}
	if len(c.Periods) > 0 {
		for _, p := range c.Periods {
			free := true
			for _, a := range taken {
				if a.Start <= p.End && a.End >= p.Start {
					free = false
				}
			}
			if free && p.Start <= today {
				return p.Start, p.End, nil
			}
		}
		last := c.Periods[len(c.Periods)-1]
		for _, p := range c.Periods {
			if p.Start <= today && today <= p.End {
				last = p
			}
		}
		return last.Start, last.End, nil
	}
	start := g.StartsOn
	if n := len(taken); n > 0 {
		t, err := time.Parse(time.DateOnly, taken[n-1].End)
		if err == nil {
			start = t.AddDate(0, 0, 1).Format(time.DateOnly)
		}
	}
	return start, max(start, today), nil
}

// ResponseRow is where the response to one submitted account stands.
type ResponseRow struct {
	AccountID        int64      `json:"account_id"`
	GrantID          int64      `json:"grant_id"`
	GrantTitle       string     `json:"grant_title"`
	OrganisationName string     `json:"organisation_name"`
	PeriodStart      string     `json:"period_start"`
	PeriodEnd        string     `json:"period_end"`
	SubmittedAt      time.Time  `json:"submitted_at"`
	DueOn            string     `json:"due_on"`
	SentAt           *time.Time `json:"sent_at"`
	Late             bool       `json:"late"`
}

// GrantLearning is one grant on the fund's learning page.
type GrantLearning struct {
	GrantID          int64   `json:"grant_id"`
	Title            string  `json:"title"`
	OrganisationName string  `json:"organisation_name"`
	Cadence          Cadence `json:"cadence"`
	// Accounts the stewards may read (not the grantee's drafts), newest
	// period first.
	Accounts []Meta `json:"accounts"`
}

// OverdueAccount is a period whose account has not come.
type OverdueAccount struct {
	GrantID          int64  `json:"grant_id"`
	GrantTitle       string `json:"grant_title"`
	OrganisationName string `json:"organisation_name"`
	PeriodStart      string `json:"period_start"`
	PeriodEnd        string `json:"period_end"`
	DueOn            string `json:"due_on"`
}

// Learning is the fund's learning page: accounts, responses, the funder's
// reflections, and what is overdue on both sides. Plain lists sorted by
// date; nothing is ranked.
type Learning struct {
	FundID       int64  `json:"fund_id"`
	ResponseDays int    `json:"response_days"`
	Today        string `json:"today"`
	// Grants, by grant number.
	Grants []GrantLearning `json:"grants"`
	// Responses to every submitted account, by the date they are due.
	Responses []ResponseRow `json:"responses"`
	// OverdueAccounts are periods past their due date with no account;
	// LateResponses are responses not sent in time (sent late, or still
	// owed); both by date.
	OverdueAccounts []OverdueAccount `json:"overdue_accounts"`
	LateResponses   []ResponseRow    `json:"late_responses"`
	Reflections     []Meta           `json:"reflections"`
}

// Learning gathers the fund's learning page, as a steward or learning
// partner sees it: r reads the grantees' accounts, rr the funder's
// reflections.
func (s *Service) Learning(ctx context.Context, fundID int64, r, rr Reader) (Learning, error) {
	days, err := s.ResponseDaysOf(ctx, fundID)
	if err != nil {
		return Learning{}, err
	}
	l := Learning{FundID: fundID, ResponseDays: days, Today: s.today().Format(time.DateOnly), Grants: []GrantLearning{},
		Responses: []ResponseRow{}, OverdueAccounts: []OverdueAccount{}, LateResponses: []ResponseRow{}}
	var grants []struct {
		ID, FundID, OrganisationID                int64
		Title, StartsOn, EndsOn, OrganisationName string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT g.id, g.fund_id, g.organisation_id, g.title, to_char(g.starts_on, 'YYYY-MM-DD') AS starts_on,
			to_char(g.ends_on, 'YYYY-MM-DD') AS ends_on, o.name AS organisation_name
		FROM grants g JOIN organisations o ON o.id = g.organisation_id WHERE g.fund_id = ? ORDER BY g.id`, fundID).
		Scan(&grants).Error; err != nil {
		return Learning{}, err
	}
	for _, g := range grants {
		c, err := s.cadence(ctx, grantRow{ID: g.ID, FundID: g.FundID, OrganisationID: g.OrganisationID, Title: g.Title,
			StartsOn: g.StartsOn, EndsOn: g.EndsOn})
		if err != nil {
			return Learning{}, err
		}
		accounts, err := s.ListGrant(ctx, g.ID, r)
		if err != nil {
			return Learning{}, err
		}
		l.Grants = append(l.Grants, GrantLearning{GrantID: g.ID, Title: g.Title, OrganisationName: g.OrganisationName,
			Cadence: c, Accounts: accounts})
		for _, p := range c.Periods {
			if p.State == "overdue" {
				l.OverdueAccounts = append(l.OverdueAccounts, OverdueAccount{GrantID: g.ID, GrantTitle: g.Title,
					OrganisationName: g.OrganisationName, PeriodStart: p.Start, PeriodEnd: p.End, DueOn: p.DueOn})
			}
		}
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT d.*, COALESCE((d.sent_at AT TIME ZONE 'UTC')::date, current_date) > d.due_on::date AS late
		FROM (SELECT a.id AS account_id, g.id AS grant_id, g.title AS grant_title, o.name AS organisation_name,
				to_char(a.period_start, 'YYYY-MM-DD') AS period_start, to_char(a.period_end, 'YYYY-MM-DD') AS period_end,
				a.submitted_at, to_char((a.submitted_at AT TIME ZONE 'UTC')::date + f.response_days, 'YYYY-MM-DD') AS due_on,
				r.sent_at
			FROM reflective_accounts a JOIN grants g ON g.id = a.grant_id JOIN organisations o ON o.id = a.organisation_id
			JOIN funds f ON f.id = a.fund_id LEFT JOIN account_responses r ON r.account_id = a.id
			WHERE a.fund_id = ? AND a.kind = 'grantee' AND a.status = 'submitted') d
		ORDER BY d.due_on, d.account_id`, fundID).Scan(&l.Responses).Error; err != nil {
		return Learning{}, err
	}
	for i := range l.Responses {
		row := &l.Responses[i]
		row.SubmittedAt = row.SubmittedAt.UTC()
		if row.SentAt != nil {
			t := row.SentAt.UTC()
			row.SentAt = &t
		}
		if row.Late {
			l.LateResponses = append(l.LateResponses, *row)
		}
	}
	sort.SliceStable(l.OverdueAccounts, func(i, j int) bool { return l.OverdueAccounts[i].DueOn < l.OverdueAccounts[j].DueOn })
	if l.Reflections, err = s.ListReflections(ctx, fundID, rr); err != nil {
		return Learning{}, err
	}
	return l, nil
}

// ExportRow is one line of the fund's accounts export: a section, a story
// or an addendum of a submitted account.
type ExportRow struct {
	AccountID        int64
	GrantID          int64
	OrganisationName string
	PeriodStart      string
	PeriodEnd        string
	SubmittedAt      time.Time
	Part             string // a section key, "story" or "addendum"
	Visibility       string
	Text             string
}

// Export lists what of a fund's submitted accounts the reader may see, as
// rows: readerFor gives the reader of each account (they may own some).
// Stories appear only while their consent holds and covers both reports
// and the purpose the reader reads for (public pages for the public,
// learning within the fund for its members).
func (s *Service) Export(ctx context.Context, fundID int64, readerFor func(Meta) Reader) ([]ExportRow, error) {
	var ms []Meta
	if err := store.Conn(ctx, s.db).Raw(selectMeta+` WHERE a.fund_id = ? AND a.kind = 'grantee' AND a.status = 'submitted'
		ORDER BY a.submitted_at, a.id`, fundID).Scan(&ms).Error; err != nil {
		return nil, err
	}
	out := []ExportRow{}
	for _, m := range ms {
		m.utc()
		r := readerFor(m)
		r.Purpose, r.AlsoFor = ForReports, PurposeFor(r.Clearance)
		a, err := s.view(ctx, m, r)
		if err == ErrNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		base := ExportRow{AccountID: m.ID, OrganisationName: m.OrganisationName, PeriodStart: m.PeriodStart, PeriodEnd: m.PeriodEnd}
		if m.GrantID != nil {
			base.GrantID = *m.GrantID
		}
		if m.SubmittedAt != nil {
			base.SubmittedAt = *m.SubmittedAt
		}
		for _, sec := range a.Sections {
			if sec.Body != "" {
				row := base
				row.Part, row.Visibility, row.Text = sec.Key, sec.Visibility, sec.Body
				out = append(out, row)
			}
			for _, st := range sec.Stories {
				row := base
				row.Part, row.Visibility, row.Text = "story", sec.Visibility, st.Body
				out = append(out, row)
			}
		}
		for _, d := range a.Addenda {
			row := base
			row.Part, row.Visibility, row.Text = "addendum", d.Visibility, d.Body
			out = append(out, row)
		}
	}
	return out, nil
}
