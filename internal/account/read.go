package account

import (
	"context"
	"strings"
	"time"

	"github.com/humblehq/humble/internal/store"
)

const selectMeta = `SELECT a.id, a.fund_id, a.grant_id, a.organisation_id, o.name AS organisation_name, a.kind, a.mode,
		a.status, to_char(a.period_start, 'YYYY-MM-DD') AS period_start, to_char(a.period_end, 'YYYY-MM-DD') AS period_end,
		a.version, a.author_id, COALESCE(u.display_name, '') AS author_name, a.submitted_at, a.created_at, a.updated_at,
		LEAST(
			COALESCE((SELECT min(CASE s.visibility WHEN 'public' THEN 0 WHEN 'peers' THEN 1 ELSE 2 END) FROM account_sections s
				WHERE s.account_id = a.id AND (s.body <> '' OR (s.key = 'what_happened' AND EXISTS (
					SELECT 1 FROM account_stories st WHERE st.account_id = a.id)))), 3),
			COALESCE((SELECT min(CASE d.visibility WHEN 'public' THEN 0 WHEN 'peers' THEN 1 ELSE 2 END) FROM account_addenda d
				WHERE d.account_id = a.id), 3)) AS open
	FROM reflective_accounts a JOIN organisations o ON o.id = a.organisation_id LEFT JOIN users u ON u.id = a.author_id`

func (m *Meta) utc() {
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if m.SubmittedAt != nil {
		t := m.SubmittedAt.UTC()
		m.SubmittedAt = &t
	}
}

// Meta returns an account without its words, whoever asks: for
// authorization only. Readers get accounts through Get.
func (s *Service) Meta(ctx context.Context, id int64) (Meta, error) {
	return s.meta(ctx, id, "")
}

func (s *Service) meta(ctx context.Context, id int64, lock string) (Meta, error) {
	var ms []Meta
	if err := store.Conn(ctx, s.db).Raw(selectMeta+` WHERE a.id = ?`+lock, id).Scan(&ms).Error; err != nil {
		return Meta{}, err
	}
	if len(ms) == 0 {
		return Meta{}, ErrNotFound
	}
	ms[0].utc()
	return ms[0], nil
}

// ListGrant lists the accounts of a grant the reader may know of, newest
// period first.
func (s *Service) ListGrant(ctx context.Context, grantID int64, r Reader) ([]Meta, error) {
	return s.list(ctx, `a.grant_id = ?`, grantID, r)
}

// ListReflections lists the funder's reflections in a fund the reader may
// know of, newest period first.
func (s *Service) ListReflections(ctx context.Context, fundID int64, r Reader) ([]Meta, error) {
	return s.list(ctx, `a.fund_id = ? AND a.kind = 'funder'`, fundID, r)
}

func (s *Service) list(ctx context.Context, where string, arg any, r Reader) ([]Meta, error) {
	var ms []Meta
	if err := store.Conn(ctx, s.db).Raw(selectMeta+` WHERE `+where+` ORDER BY a.period_end DESC, a.id DESC`, arg).
		Scan(&ms).Error; err != nil {
		return nil, err
	}
	out := []Meta{}
	for _, m := range ms {
		m.utc()
		if !m.Visible(r) {
			continue
		}
		// Visible counts a section with stories as open; whether any story
		// may be shown to this reader is only known by reading it, so
		// those who are neither its owners nor its partners get the list
		// that Get agrees with, and never learn of an account Get denies.
		if !r.Owner && !r.Partner && !isAuthor(m, r) {
			if _, err := s.view(ctx, m, r); err == ErrNotFound {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Get returns an account as r may see it: only the sections, stories and
// addenda they may read. ErrNotFound if they may know of none of it.
func (s *Service) Get(ctx context.Context, id int64, r Reader) (Account, error) {
	m, err := s.Meta(ctx, id)
	if err != nil {
		return Account{}, err
	}
	return s.view(ctx, m, r)
}

// sees reports whether r reads a part of m with this visibility.
func sees(m Meta, r Reader, visibility string) bool {
	return r.Owner || isAuthor(m, r) || restriction(visibility) <= r.Clearance
}

// isAuthor reports whether r wrote m and still stands where they stood
// when they did (a member of the organisation, or a steward or learning
// partner of the fund): someone who has left the organisation, or is no
// longer a steward, reads the account as anyone else would.
func isAuthor(m Meta, r Reader) bool {
	return r.UserID != 0 && m.AuthorID != nil && *m.AuthorID == r.UserID && (r.Owner || r.Partner)
}

func (s *Service) view(ctx context.Context, m Meta, r Reader) (Account, error) {
	if !m.Visible(r) {
		return Account{}, ErrNotFound
	}
	a := Account{Meta: m, Sections: []Section{}, Addenda: []Addendum{}}
	var extra []struct {
		Corrections string
		ConfirmedBy *int64
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT corrections, confirmed_by FROM reflective_accounts WHERE id = ?`, m.ID).
		Scan(&extra).Error; err != nil {
		return Account{}, err
	}
	if len(extra) == 1 && (r.Owner || r.Partner || isAuthor(m, r)) {
		a.Corrections, a.ConfirmedBy = extra[0].Corrections, extra[0].ConfirmedBy
	}
	var rows []struct{ Key, Body, Visibility string }
	if err := store.Conn(ctx, s.db).Raw(`SELECT key, body, visibility FROM account_sections WHERE account_id = ?`, m.ID).
		Scan(&rows).Error; err != nil {
		return Account{}, err
	}
	byKey := map[string]Section{}
	for _, row := range rows {
		byKey[row.Key] = Section{Key: row.Key, Body: row.Body, Visibility: row.Visibility}
	}
	for _, p := range PromptsFor(m.Kind) {
		sec, ok := byKey[p.Key]
		if !ok {
			sec = Section{Key: p.Key, Visibility: FunderAndPartner}
		}
		sec.Title = p.Title
		if !sees(m, r, sec.Visibility) {
			continue
		}
		if p.Key == StoriesSection {
			stories, err := s.stories(ctx, m, r, r.Purpose)
			if err != nil {
				return Account{}, err
			}
			sec.Stories = stories
		}
		if sec.Body == "" && len(sec.Stories) == 0 && (m.Frozen() || !(r.Owner || isAuthor(m, r))) {
			continue
		}
		a.Sections = append(a.Sections, sec)
	}
	var adds []Addendum
	if err := store.Conn(ctx, s.db).Raw(`SELECT d.id, d.body, d.visibility, d.created_by, COALESCE(u.display_name, '') AS author_name,
			d.created_at FROM account_addenda d LEFT JOIN users u ON u.id = d.created_by
		WHERE d.account_id = ? ORDER BY d.created_at, d.id`, m.ID).Scan(&adds).Error; err != nil {
		return Account{}, err
	}
	for _, d := range adds {
		if sees(m, r, d.Visibility) {
			d.CreatedAt = d.CreatedAt.UTC()
			a.Addenda = append(a.Addenda, d)
		}
	}
	if !r.Owner && !isAuthor(m, r) && !r.Partner && len(a.Sections) == 0 && len(a.Addenda) == 0 {
		return Account{}, ErrNotFound
	}
	if m.Kind == Grantee && m.Status == Submitted {
		st, err := s.responseState(ctx, m.ID)
		if err != nil {
			return Account{}, err
		}
		a.Response = &st
	}
	return a, nil
}

// stories reads the stories of an account that r may see, for purpose.
// Consent is checked here, in the query, on every read: a withdrawn or
// expired consent hides a story from everyone but its author at once.
func (s *Service) stories(ctx context.Context, m Meta, r Reader, purpose string) ([]Story, error) {
	var rows []struct {
		ID          int64
		Body        string
		Purposes    string
		Naming      string
		ExpiresOn   *string
		WithdrawnAt *time.Time
		CreatedBy   *int64
		Shown       bool
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT id, body, array_to_string(purposes, ',') AS purposes, naming,
			to_char(expires_on, 'YYYY-MM-DD') AS expires_on, withdrawn_at, created_by,
			(withdrawn_at IS NULL AND (expires_on IS NULL OR expires_on >= current_date)) AS shown
		FROM account_stories
		WHERE account_id = ?
		  AND (created_by = ? OR (withdrawn_at IS NULL AND (expires_on IS NULL OR expires_on >= current_date)
		       AND (? OR (? = ANY (purposes) AND (? = '' OR ? = ANY (purposes))))))
		ORDER BY position`, m.ID, r.UserID, r.Owner, purpose, r.AlsoFor, r.AlsoFor).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Story, 0, len(rows))
	for _, row := range rows {
		st := Story{ID: row.ID, Body: row.Body, CreatedBy: row.CreatedBy, Shown: row.Shown,
			Consent: Consent{Purposes: splitList(row.Purposes), Naming: row.Naming, ExpiresOn: row.ExpiresOn, WithdrawnAt: row.WithdrawnAt}}
		if st.Consent.WithdrawnAt != nil {
			t := st.Consent.WithdrawnAt.UTC()
			st.Consent.WithdrawnAt = &t
		}
		out = append(out, st)
	}
	return out, nil
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// responseState says when the response to a submitted account is due and
// whether it is (or came) late. Due: the fund's response_days after the
// day the account was submitted.
func (s *Service) responseState(ctx context.Context, id int64) (ResponseState, error) {
	var rows []struct {
		DueOn  string
		SentAt *time.Time
		Late   bool
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT to_char(d.due_on, 'YYYY-MM-DD') AS due_on, d.sent_at,
			COALESCE((d.sent_at AT TIME ZONE 'UTC')::date, current_date) > d.due_on AS late
		FROM (SELECT (a.submitted_at AT TIME ZONE 'UTC')::date + f.response_days AS due_on, r.sent_at
			FROM reflective_accounts a JOIN funds f ON f.id = a.fund_id
			LEFT JOIN account_responses r ON r.account_id = a.id WHERE a.id = ?) d`, id).Scan(&rows).Error; err != nil {
		return ResponseState{}, err
	}
	if len(rows) == 0 {
		return ResponseState{}, ErrNotFound
	}
	st := ResponseState{DueOn: rows[0].DueOn, SentAt: rows[0].SentAt, Late: rows[0].Late}
	if st.SentAt != nil {
		t := st.SentAt.UTC()
		st.SentAt = &t
	}
	return st, nil
}

// Response returns the stewards' response to an account, or ErrNoResponse.
func (s *Service) Response(ctx context.Context, accountID int64) (Response, error) {
	var rs []Response
	if err := store.Conn(ctx, s.db).Raw(`SELECT r.account_id, r.body, r.sent_by, COALESCE(u.display_name, '') AS sender_name, r.sent_at
		FROM account_responses r LEFT JOIN users u ON u.id = r.sent_by WHERE r.account_id = ?`, accountID).Scan(&rs).Error; err != nil {
		return Response{}, err
	}
	if len(rs) == 0 {
		return Response{}, ErrNoResponse
	}
	r := rs[0]
	r.SentAt = r.SentAt.UTC()
	st, err := s.responseState(ctx, accountID)
	if err != nil {
		return Response{}, err
	}
	r.DueOn, r.Late = st.DueOn, st.Late
	return r, nil
}
