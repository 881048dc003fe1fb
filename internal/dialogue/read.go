package dialogue

import (
	"context"
	"encoding/json"
	"time"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/store"
)

// active is the SQL list of statuses that let someone read a dialogue.
const active = `('convener', 'invited', 'accepted')`

const selectSummary = `SELECT d.id, d.fund_id, d.purpose, to_char(d.meets_on, 'YYYY-MM-DD') AS meets_on, d.convened_by,
		COALESCE(cu.display_name, '') AS convener_name, d.follows_up, me.status AS my_status,
		(SELECT count(*) FROM dialogue_participants p WHERE p.dialogue_id = d.id AND p.status IN ` + active + `) AS people,
		(SELECT count(*) FROM dialogue_actions a WHERE a.dialogue_id = d.id AND a.status = 'open') AS open_actions
	FROM dialogues d
	JOIN dialogue_participants me ON me.dialogue_id = d.id AND me.user_id = ? AND me.status IN ` + active + `
	LEFT JOIN users cu ON cu.id = d.convened_by`

// List returns the dialogues of a fund that userID takes part in (not
// declined), the next to meet first.
func (s *Service) List(ctx context.Context, fundID, userID int64) ([]Summary, error) {
	out := []Summary{}
	err := store.Conn(ctx, s.db).Raw(selectSummary+` WHERE d.fund_id = ? ORDER BY d.meets_on DESC, d.id DESC`, userID, fundID).
		Scan(&out).Error
	return out, err
}

// Invitations returns the dialogues, in any fund, that userID is invited
// to and has not yet answered, the soonest first. The caller keeps only
// those in funds where the person still takes part.
func (s *Service) Invitations(ctx context.Context, userID int64) ([]Summary, error) {
	out := []Summary{}
	err := store.Conn(ctx, s.db).Raw(selectSummary+` WHERE me.status = 'invited' ORDER BY d.meets_on, d.id`, userID).
		Scan(&out).Error
	return out, err
}

// Get returns a dialogue as userID sees it: only for its convener and the
// people invited who have not declined (anyone else gets ErrNotFound), and
// with only the sources canRead allows.
func (s *Service) Get(ctx context.Context, dialogueID, userID int64, canRead CanRead) (Dialogue, error) {
	_, st, err := s.reader(ctx, dialogueID, userID)
	if err != nil {
		return Dialogue{}, err
	}
	var rows []struct {
		ID, FundID, ConvenedBy int64
		Purpose, MeetsOn       string
		ConvenerName           string
		PromptsJSON            string
		OpenQuestions          string
		FollowsUp              *int64
		Version                int
		CreatedAt, UpdatedAt   time.Time
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT d.id, d.fund_id, d.purpose, to_char(d.meets_on, 'YYYY-MM-DD') AS meets_on,
			d.convened_by, COALESCE(u.display_name, '') AS convener_name, to_jsonb(d.prompts)::text AS prompts_json,
			d.open_questions, d.follows_up, d.version, d.created_at, d.updated_at
		FROM dialogues d LEFT JOIN users u ON u.id = d.convened_by WHERE d.id = ?`, dialogueID).Scan(&rows).Error; err != nil {
		return Dialogue{}, err
	}
	if len(rows) == 0 {
		return Dialogue{}, ErrNotFound
	}
	r := rows[0]
	d := Dialogue{ID: r.ID, FundID: r.FundID, Purpose: r.Purpose, MeetsOn: r.MeetsOn, ConvenedBy: r.ConvenedBy,
		ConvenerName: r.ConvenerName, OpenQuestions: r.OpenQuestions, FollowsUp: r.FollowsUp, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.PromptsJSON), &d.Prompts); err != nil {
		return Dialogue{}, err
	}
	utc(&d.CreatedAt)
	utc(&d.UpdatedAt)
	d.MyStatus = st
	if d.Participants, err = s.participants(ctx, dialogueID); err != nil {
		return Dialogue{}, err
	}
	if d.Sources, err = s.sources(ctx, dialogueID, d.FundID, canRead); err != nil {
		return Dialogue{}, err
	}
	if d.Notes, err = s.latestNotes(ctx, dialogueID); err != nil {
		return Dialogue{}, err
	}
	if d.Actions, err = s.actions(ctx, `a.dialogue_id = ?`, dialogueID); err != nil {
		return Dialogue{}, err
	}
	if d.Issues, err = s.issues(ctx, dialogueID); err != nil {
		return Dialogue{}, err
	}
	if d.FollowsUp != nil {
		var es []struct {
			ID               int64
			Purpose, MeetsOn string
		}
		if err := store.Conn(ctx, s.db).Raw(`SELECT id, purpose, to_char(meets_on, 'YYYY-MM-DD') AS meets_on FROM dialogues WHERE id = ?`,
			*d.FollowsUp).Scan(&es).Error; err != nil {
			return Dialogue{}, err
		}
		if len(es) == 1 {
			e := Earlier{ID: es[0].ID, Purpose: es[0].Purpose, MeetsOn: es[0].MeetsOn}
			// The earlier dialogue's actions still open, read live: a
			// follow-up opens with them.
			if e.OpenActions, err = s.actions(ctx, `a.dialogue_id = ? AND a.status = 'open'`, e.ID); err != nil {
				return Dialogue{}, err
			}
			d.Earlier = &e
		}
	}
	d.FollowUps = []Summary{}
	if err := store.Conn(ctx, s.db).Raw(selectSummary+` WHERE d.follows_up = ? ORDER BY d.meets_on, d.id`, userID, dialogueID).
		Scan(&d.FollowUps).Error; err != nil {
		return Dialogue{}, err
	}
	return d, nil
}

func (s *Service) participants(ctx context.Context, dialogueID int64) ([]Participant, error) {
	out := []Participant{}
	if err := store.Conn(ctx, s.db).Raw(`SELECT p.user_id, COALESCE(u.display_name, '') AS display_name, p.status, p.invited_at, p.responded_at
		FROM dialogue_participants p LEFT JOIN users u ON u.id = p.user_id WHERE p.dialogue_id = ?
		ORDER BY p.status = 'convener' DESC, u.display_name, p.user_id`, dialogueID).Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		utc(&out[i].InvitedAt)
		out[i].RespondedAt = utcp(out[i].RespondedAt)
	}
	return out, nil
}

// sources reads the dialogue's sources that the reader may read: only
// submitted accounts and published reflections of the fund, and only those
// canRead allows. The others are left out without a trace.
func (s *Service) sources(ctx context.Context, dialogueID, fundID int64, canRead CanRead) ([]Source, error) {
	var rows []Source
	if err := store.Conn(ctx, s.db).Raw(`SELECT s.id, s.account_id, COALESCE(s.section_key, '') AS section_key, a.kind,
			o.name AS organisation_name, to_char(a.period_start, 'YYYY-MM-DD') AS period_start,
			to_char(a.period_end, 'YYYY-MM-DD') AS period_end
		FROM dialogue_sources s JOIN reflective_accounts a ON a.id = s.account_id
		JOIN organisations o ON o.id = a.organisation_id
		WHERE s.dialogue_id = ? AND a.fund_id = ? AND a.status IN ('submitted', 'published')
		ORDER BY s.id`, dialogueID, fundID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := []Source{}
	for _, r := range rows {
		if canRead == nil || !canRead(r.AccountID, r.SectionKey) {
			continue
		}
		r.SectionTitle = account.SectionTitle(r.Kind, r.SectionKey)
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) latestNotes(ctx context.Context, dialogueID int64) (*Notes, error) {
	ns, err := s.notes(ctx, dialogueID, 1)
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	return &ns[0], nil
}

// notes reads the versions of the notes, newest first (at most limit; 0:
// all).
func (s *Service) notes(ctx context.Context, dialogueID int64, limit int) ([]Notes, error) {
	q := `SELECT n.version, n.body, n.written_by, COALESCE(u.display_name, '') AS writer_name, n.written_at
		FROM dialogue_notes n LEFT JOIN users u ON u.id = n.written_by WHERE n.dialogue_id = ? ORDER BY n.version DESC`
	args := []any{dialogueID}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	out := []Notes{}
	if err := store.Conn(ctx, s.db).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		utc(&out[i].WrittenAt)
	}
	return out, nil
}

// NotesHistory returns every saved version of a dialogue's notes, newest
// first, to those who may read the dialogue.
func (s *Service) NotesHistory(ctx context.Context, dialogueID, userID int64) ([]Notes, error) {
	if _, _, err := s.reader(ctx, dialogueID, userID); err != nil {
		return nil, err
	}
	return s.notes(ctx, dialogueID, 0)
}

const selectAction = `SELECT a.id, a.dialogue_id, a.what, a.owner_id, COALESCE(u.display_name, '') AS owner_name,
		to_char(a.due_on, 'YYYY-MM-DD') AS due_on, a.status, a.dropped_reason, a.version, a.created_at, a.updated_at`

func (s *Service) actions(ctx context.Context, where string, args ...any) ([]Action, error) {
	out := []Action{}
	if err := store.Conn(ctx, s.db).Raw(selectAction+` FROM dialogue_actions a LEFT JOIN users u ON u.id = a.owner_id
		WHERE `+where+` ORDER BY a.status = 'open' DESC, a.due_on NULLS LAST, a.id`, args...).Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		fixAction(&out[i])
	}
	return out, nil
}

func fixAction(a *Action) {
	utc(&a.CreatedAt)
	utc(&a.UpdatedAt)
}

// MyActions lists the actions userID owns, in dialogues they still take
// part in: in one fund, or in every fund when fundID is 0. Open ones come
// first, soonest due first.
func (s *Service) MyActions(ctx context.Context, userID, fundID int64) ([]OwnedAction, error) {
	out := []OwnedAction{}
	if err := store.Conn(ctx, s.db).Raw(selectAction+`, d.fund_id, f.name AS fund_name, d.purpose AS dialogue_purpose,
			to_char(d.meets_on, 'YYYY-MM-DD') AS dialogue_meets_on
		FROM dialogue_actions a JOIN dialogues d ON d.id = a.dialogue_id JOIN funds f ON f.id = d.fund_id
		JOIN dialogue_participants p ON p.dialogue_id = d.id AND p.user_id = a.owner_id AND p.status IN `+active+`
		LEFT JOIN users u ON u.id = a.owner_id
		WHERE a.owner_id = ? AND (? = 0 OR d.fund_id = ?)
		ORDER BY a.status = 'open' DESC, a.due_on NULLS LAST, a.id`, userID, fundID, fundID).Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		fixAction(&out[i].Action)
	}
	return out, nil
}

const selectIssue = `SELECT i.id, i.dialogue_id, i.body, i.raised_by, COALESCE(ru.display_name, '') AS raiser_name, i.raised_at,
		i.answer, i.answered_by, COALESCE(au.display_name, '') AS answerer_name, i.answered_at`

const fromIssue = ` FROM dialogue_issues i LEFT JOIN users ru ON ru.id = i.raised_by LEFT JOIN users au ON au.id = i.answered_by`

func fixIssue(i *Issue) {
	utc(&i.RaisedAt)
	i.AnsweredAt = utcp(i.AnsweredAt)
}

func (s *Service) issues(ctx context.Context, dialogueID int64) ([]Issue, error) {
	out := []Issue{}
	if err := store.Conn(ctx, s.db).Raw(selectIssue+fromIssue+` WHERE i.dialogue_id = ? ORDER BY i.raised_at, i.id`, dialogueID).
		Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		fixIssue(&out[i])
	}
	return out, nil
}

// IssuesFor lists the issues passed up in a fund's dialogues, for its
// stewards (the HTTP edge checks they are): those waiting for an answer
// first, then the answered, each with its dialogue's purpose and date,
// never the dialogue's notes.
func (s *Service) IssuesFor(ctx context.Context, fundID int64) ([]PassedUp, error) {
	out := []PassedUp{}
	if err := store.Conn(ctx, s.db).Raw(selectIssue+`, d.purpose AS dialogue_purpose, to_char(d.meets_on, 'YYYY-MM-DD') AS dialogue_meets_on`+
		fromIssue+` JOIN dialogues d ON d.id = i.dialogue_id WHERE d.fund_id = ?
		ORDER BY i.answer IS NOT NULL, i.raised_at, i.id`, fundID).Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		fixIssue(&out[i].Issue)
	}
	return out, nil
}

// IssueFund returns the fund an issue was passed up in, for authorization.
func (s *Service) IssueFund(ctx context.Context, issueID int64) (int64, error) {
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT d.fund_id FROM dialogue_issues i JOIN dialogues d ON d.id = i.dialogue_id
		WHERE i.id = ?`, issueID).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, ErrIssueNotFound
	}
	return ids[0], nil
}

// Fund returns the fund a dialogue belongs to, whoever asks: for the HTTP
// edge to build readers. It says nothing of the dialogue itself.
func (s *Service) Fund(ctx context.Context, dialogueID int64) (int64, error) {
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT fund_id FROM dialogues WHERE id = ?`, dialogueID).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, ErrNotFound
	}
	return ids[0], nil
}

// ActionDialogue returns the dialogue an action was agreed in.
func (s *Service) ActionDialogue(ctx context.Context, actionID int64) (int64, error) {
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT dialogue_id FROM dialogue_actions WHERE id = ?`, actionID).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, ErrActionNotFound
	}
	return ids[0], nil
}

// Participation returns how userID takes part in a dialogue (convener,
// invited, accepted, declined, or "" for not at all) and the dialogue's
// fund; ErrNotFound when there is no such dialogue. For the HTTP edge,
// which tells anyone not taking part that it does not exist.
func (s *Service) Participation(ctx context.Context, dialogueID, userID int64) (string, int64, error) {
	return s.participation(ctx, dialogueID, userID)
}

// Active reports whether a participation status lets its holder read the
// dialogue.
func Active(status string) bool {
	return status == Convener || status == Invited || status == Accepted
}

// SourceCandidates lists what a dialogue of the fund could start from:
// every submitted account and published reflection of the fund, whole and
// by each section with words. It is not filtered for anyone: the caller
// keeps only those its reader may read (CanRead) before showing any.
func (s *Service) SourceCandidates(ctx context.Context, fundID int64, canRead CanRead) ([]Source, error) {
	var rows []Source
	if err := store.Conn(ctx, s.db).Raw(`SELECT a.id AS account_id, COALESCE(sec.key, '') AS section_key, a.kind,
			o.name AS organisation_name, to_char(a.period_start, 'YYYY-MM-DD') AS period_start,
			to_char(a.period_end, 'YYYY-MM-DD') AS period_end
		FROM reflective_accounts a JOIN organisations o ON o.id = a.organisation_id
		LEFT JOIN account_sections sec ON sec.account_id = a.id AND sec.body <> ''
		WHERE a.fund_id = ? AND a.status IN ('submitted', 'published')
		ORDER BY a.period_end DESC, o.name, a.id, sec.key`, fundID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := []Source{}
	seen := map[int64]bool{}
	for _, r := range rows {
		if !seen[r.AccountID] {
			seen[r.AccountID] = true
			whole := r
			whole.SectionKey = ""
			if canRead != nil && canRead(whole.AccountID, "") {
				out = append(out, whole)
			}
		}
		if r.SectionKey == "" || canRead == nil || !canRead(r.AccountID, r.SectionKey) {
			continue
		}
		r.SectionTitle = account.SectionTitle(r.Kind, r.SectionKey)
		out = append(out, r)
	}
	return out, nil
}
