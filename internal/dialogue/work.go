package dialogue

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// NotesEdit is a new version of the notes and the version it started from
// (0 when there were no notes yet).
type NotesEdit struct {
	Version int    `json:"version" validate:"gte=0"`
	Body    string `json:"body" validate:"max=100000"`
}

// NewAction is an action the participants agreed.
type NewAction struct {
	What    string `json:"what" validate:"notblank,max=1000"`
	OwnerID int64  `json:"owner_id" validate:"required,gt=0"`
	DueOn   string `json:"due_on" validate:"omitempty,datetime=2006-01-02"`
}

// ActionChange moves an action to a status; dropping needs a reason. It
// names the version it started from.
type ActionChange struct {
	Version       int    `json:"version" validate:"required,gt=0"`
	Status        string `json:"status" validate:"required,oneof=open done dropped"`
	DroppedReason string `json:"dropped_reason" validate:"max=2000"`
}

// NewIssue is an issue passed up to the stewards.
type NewIssue struct {
	Body string `json:"body" validate:"notblank,max=5000"`
}

// IssueAnswer is the stewards' answer.
type IssueAnswer struct {
	Answer string `json:"answer" validate:"notblank,max=5000"`
}

// SaveNotes saves a new version of the notes. The edit names the version
// it started from: if someone saved another since, nothing is saved and
// the error says both versions, so nobody overwrites words they have not
// read.
func (s *Service) SaveNotes(ctx context.Context, actorID, dialogueID int64, in NotesEdit) (Notes, error) {
	if err := validate.Struct(in); err != nil {
		return Notes{}, err
	}
	var out Notes
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		fundID, err := s.writer(ctx, dialogueID, actorID)
		if err != nil {
			return err
		}
		var current int
		if err := tx.Raw(`SELECT COALESCE(max(version), 0) FROM dialogue_notes WHERE dialogue_id = ?`, dialogueID).
			Scan(&current).Error; err != nil {
			return err
		}
		if current != in.Version {
			return fault.PreconditionFailedf("the notes were saved by someone else while you wrote: you started from version %d "+
				"and they are now at version %d; nothing was saved — read the latest version and add your words again",
				in.Version, current)
		}
		if err := tx.Exec(`INSERT INTO dialogue_notes (dialogue_id, version, body, written_by) VALUES (?, ?, ?, ?)`,
			dialogueID, current+1, in.Body, actorID).Error; err != nil {
			if store.IsUniqueViolation(err, "") {
				return fault.PreconditionFailedf("the notes were saved by someone else while you wrote: you started from version %d; "+
					"nothing was saved — read the latest version and add your words again", in.Version)
			}
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.notes", ObjectType: "dialogue",
			ObjectID: dialogueID, FundID: fundID, Changes: map[string]any{"version": current + 1}}); err != nil {
			return err
		}
		n, err := s.latestNotes(ctx, dialogueID)
		if err != nil {
			return err
		}
		out = *n
		return nil
	})
	return out, err
}

// AddAction records an action the participants agreed; its owner must be
// taking part in the dialogue.
func (s *Service) AddAction(ctx context.Context, actorID, dialogueID int64, in NewAction) (Action, error) {
	if err := validate.Struct(in); err != nil {
		return Action{}, err
	}
	var out Action
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		fundID, err := s.writer(ctx, dialogueID, actorID)
		if err != nil {
			return err
		}
		st, _, err := s.participation(ctx, dialogueID, in.OwnerID)
		if err != nil {
			return err
		}
		if st == "" || st == Declined {
			return validate.Field("owner_id", "must be someone taking part in this dialogue")
		}
		var due any
		if in.DueOn != "" {
			due = in.DueOn
		}
		var id int64
		if err := tx.Raw(`INSERT INTO dialogue_actions (dialogue_id, what, owner_id, due_on, created_by, updated_by)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, dialogueID, strings.TrimSpace(in.What), in.OwnerID, due, actorID, actorID).
			Scan(&id).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.action.add", ObjectType: "dialogue_action",
			ObjectID: id, FundID: fundID, Changes: in}); err != nil {
			return err
		}
		out, err = s.action(ctx, id)
		return err
	})
	return out, err
}

func (s *Service) action(ctx context.Context, id int64) (Action, error) {
	as, err := s.actions(ctx, `a.id = ?`, id)
	if err != nil {
		return Action{}, err
	}
	if len(as) == 0 {
		return Action{}, ErrActionNotFound
	}
	return as[0], nil
}

// UpdateAction changes an action's status. Those taking part in its
// dialogue, or in a follow-up of it (which opens with its open actions),
// may change it. Dropping needs a reason. The change names the version it
// started from.
func (s *Service) UpdateAction(ctx context.Context, actorID, actionID int64, in ActionChange) (Action, error) {
	if err := validate.Struct(in); err != nil {
		return Action{}, err
	}
	reason := strings.TrimSpace(in.DroppedReason)
	if in.Status == Dropped && reason == "" {
		return Action{}, validate.Field("dropped_reason", "is required when an action is dropped: say why, in a few words")
	}
	if in.Status != Dropped {
		reason = ""
	}
	var out Action
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var rows []struct {
			DialogueID int64
			FundID     int64
			Version    int
			Status     string
		}
		if err := tx.Raw(`SELECT a.dialogue_id, d.fund_id, a.version, a.status FROM dialogue_actions a
			JOIN dialogues d ON d.id = a.dialogue_id WHERE a.id = ? FOR UPDATE OF a`, actionID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrActionNotFound
		}
		row := rows[0]
		var sts []string
		if err := tx.Raw(`SELECT p.status FROM dialogue_participants p JOIN dialogues d ON d.id = p.dialogue_id
			WHERE p.user_id = ? AND (d.id = ? OR d.follows_up = ?) AND p.status IN `+active, actorID, row.DialogueID, row.DialogueID).
			Scan(&sts).Error; err != nil {
			return err
		}
		writes, reads := false, len(sts) > 0
		for _, st := range sts {
			writes = writes || st == Convener || st == Accepted
		}
		if !reads {
			return ErrActionNotFound
		}
		if !writes {
			return ErrNotTakingPart
		}
		if row.Version != in.Version {
			return fault.PreconditionFailedf("this action was changed by someone else: you started from version %d and it is now "+
				"at version %d; nothing was saved — read it again and make your change", in.Version, row.Version)
		}
		if err := tx.Exec(`UPDATE dialogue_actions SET status = ?, dropped_reason = ?, version = version + 1,
			updated_by = ?, updated_at = now() WHERE id = ?`, in.Status, reason, actorID, actionID).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.action.update", ObjectType: "dialogue_action",
			ObjectID: actionID, FundID: row.FundID, Changes: map[string]any{"from": row.Status, "status": in.Status,
				"dropped_reason": reason, "version": in.Version + 1}}); err != nil {
			return err
		}
		var err error
		out, err = s.action(ctx, actionID)
		return err
	})
	return out, err
}

// PassUp passes an issue up to the fund's stewards.
func (s *Service) PassUp(ctx context.Context, actorID, dialogueID int64, in NewIssue) (Issue, error) {
	if err := validate.Struct(in); err != nil {
		return Issue{}, err
	}
	var out Issue
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		fundID, err := s.writer(ctx, dialogueID, actorID)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.Raw(`INSERT INTO dialogue_issues (dialogue_id, body, raised_by) VALUES (?, ?, ?) RETURNING id`,
			dialogueID, strings.TrimSpace(in.Body), actorID).Scan(&id).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.issue.pass_up", ObjectType: "dialogue_issue",
			ObjectID: id, FundID: fundID, Changes: in}); err != nil {
			return err
		}
		out, err = s.issue(ctx, id)
		return err
	})
	return out, err
}

func (s *Service) issue(ctx context.Context, id int64) (Issue, error) {
	var out []Issue
	if err := store.Conn(ctx, s.db).Raw(selectIssue+fromIssue+` WHERE i.id = ?`, id).Scan(&out).Error; err != nil {
		return Issue{}, err
	}
	if len(out) == 0 {
		return Issue{}, ErrIssueNotFound
	}
	fixIssue(&out[0])
	return out[0], nil
}

// Answer records the stewards' answer to an issue, once. The HTTP edge
// checks the actor is a steward of the issue's fund.
func (s *Service) Answer(ctx context.Context, actorID, issueID int64, in IssueAnswer) (Issue, error) {
	if err := validate.Struct(in); err != nil {
		return Issue{}, err
	}
	var out Issue
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var rows []struct {
			FundID   int64
			Answered bool
		}
		if err := tx.Raw(`SELECT d.fund_id, i.answer IS NOT NULL AS answered FROM dialogue_issues i
			JOIN dialogues d ON d.id = i.dialogue_id WHERE i.id = ? FOR UPDATE OF i`, issueID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrIssueNotFound
		}
		steward, err := s.holdsRole(ctx, rows[0].FundID, actorID, []string{"steward"})
		if err != nil {
			return err
		}
		if !steward {
			return fault.Forbiddenf("only the fund's stewards answer the issues passed up to them")
		}
		if rows[0].Answered {
			return ErrAlreadyAnswered
		}
		if err := tx.Exec(`UPDATE dialogue_issues SET answer = ?, answered_by = ?, answered_at = now() WHERE id = ?`,
			strings.TrimSpace(in.Answer), actorID, issueID).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.issue.answer", ObjectType: "dialogue_issue",
			ObjectID: issueID, FundID: rows[0].FundID, Changes: in}); err != nil {
			return err
		}
		out, err = s.issue(ctx, issueID)
		return err
	})
	return out, err
}
