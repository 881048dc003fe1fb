package dialogue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// NewDialogue is what a convener says when calling a dialogue.
type NewDialogue struct {
	Purpose  string  `json:"purpose" validate:"notblank,max=500"`
	MeetsOn  string  `json:"meets_on" validate:"required,datetime=2006-01-02"`
	Invitees []int64 `json:"invitees" validate:"max=50,dive,gt=0"`
	// Prompts: none means Humble's DefaultPrompts.
	Prompts       []string    `json:"prompts" validate:"max=20,dive,notblank,max=500"`
	OpenQuestions string      `json:"open_questions" validate:"max=5000"`
	Sources       []SourceRef `json:"sources" validate:"max=30,dive"`
	// FollowsUp: an earlier dialogue of the fund the convener took part in.
	FollowsUp *int64 `json:"follows_up" validate:"omitempty,gt=0"`
}

// SourceRef points at a submitted account, or one of its sections.
type SourceRef struct {
	AccountID  int64  `json:"account_id" validate:"required,gt=0"`
	SectionKey string `json:"section_key" validate:"omitempty,oneof=context_changed what_we_tried what_happened not_as_hoped what_we_learnt what_we_will_change what_we_need signal_readings"`
}

// Invitation names more people to invite.
type Invitation struct {
	Invitees []int64 `json:"invitees" validate:"required,min=1,max=50,dive,gt=0"`
}

// Answer is an invitee's answer.
type Answer struct {
	Status string `json:"status" validate:"required,oneof=accepted declined"`
}

// subject and domain name a user and a fund as casbin_rule does.
func subject(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }
func domain(fundID int64) string  { return "fund:" + strconv.FormatInt(fundID, 10) }

// holdsRole reports whether userID holds one of roles in the fund, read
// within the transaction in ctx.
func (s *Service) holdsRole(ctx context.Context, fundID, userID int64, roles []string) (bool, error) {
	var n int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM casbin_rule WHERE ptype = 'g' AND v0 = ? AND v2 = ? AND v1 IN ?`,
		subject(userID), domain(fundID), roles).Scan(&n).Error; err != nil {
		return false, err
	}
	return n > 0, nil
}

// takesPartInFund reports whether userID holds a role of FundRoles in the
// fund, read within the transaction in ctx (role assignments are rows of
// casbin_rule, as internal/fund lists them).
func (s *Service) takesPartInFund(ctx context.Context, fundID, userID int64) (bool, error) {
	return s.holdsRole(ctx, fundID, userID, FundRoles)
}

// People lists those taking part in a fund, who may be invited to its
// dialogues, by name.
func (s *Service) People(ctx context.Context, fundID int64) ([]Person, error) {
	var rows []struct {
		UserID      int64
		DisplayName string
		Roles       string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT u.id AS user_id, u.display_name, string_agg(DISTINCT r.v1, ',' ORDER BY r.v1) AS roles
		FROM casbin_rule r JOIN users u ON 'user:' || u.id::text = r.v0
		WHERE r.ptype = 'g' AND r.v2 = ? AND r.v1 IN ?
		GROUP BY u.id, u.display_name ORDER BY u.display_name, u.id`, domain(fundID), FundRoles).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Person, 0, len(rows))
	for _, r := range rows {
		out = append(out, Person{UserID: r.UserID, DisplayName: r.DisplayName, Roles: strings.Split(r.Roles, ",")})
	}
	return out, nil
}

// Convene calls a dialogue in a fund. The convener must take part in the
// fund; so must everyone invited. Each source must be a submitted account
// of the fund (or a published reflection) that the convener can read: one
// they cannot is refused as if it did not exist, naming sources[i].
func (s *Service) Convene(ctx context.Context, actorID, fundID int64, in NewDialogue, canRead CanRead) (int64, error) {
	if err := validate.Struct(in); err != nil {
		return 0, err
	}
	prompts := make([]string, 0, len(in.Prompts))
	for _, p := range in.Prompts {
		prompts = append(prompts, strings.TrimSpace(p))
	}
	if len(prompts) == 0 {
		prompts = append(prompts, DefaultPrompts...)
	}
	promptsJSON, err := json.Marshal(prompts)
	if err != nil {
		return 0, err
	}
	var id int64
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		ok, err := s.takesPartInFund(ctx, fundID, actorID)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Forbiddenf("only people taking part in this fund convene its dialogues")
		}
		if in.FollowsUp != nil {
			st, fund, err := s.participation(ctx, *in.FollowsUp, actorID)
			if err != nil && err != ErrNotFound {
				return err
			}
			if fund != fundID || (st != Convener && st != Accepted) {
				return validate.Field("follows_up", "must be an earlier dialogue of this fund that you took part in")
			}
		}
		if err := s.checkSources(ctx, fundID, in.Sources, canRead); err != nil {
			return err
		}
		if err := tx.Raw(`INSERT INTO dialogues (fund_id, convened_by, purpose, meets_on, prompts, open_questions, follows_up)
			VALUES (?, ?, ?, ?, ARRAY(SELECT jsonb_array_elements_text(?::jsonb)), ?, ?) RETURNING id`,
			fundID, actorID, strings.TrimSpace(in.Purpose), in.MeetsOn, string(promptsJSON), strings.TrimSpace(in.OpenQuestions),
			in.FollowsUp).Scan(&id).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO dialogue_participants (dialogue_id, user_id, status, invited_by, responded_at)
			VALUES (?, ?, 'convener', ?, now())`, id, actorID, actorID).Error; err != nil {
			return err
		}
		for _, src := range in.Sources {
			var key any
			if src.SectionKey != "" {
				key = src.SectionKey
			}
			if err := tx.Exec(`INSERT INTO dialogue_sources (dialogue_id, account_id, section_key, added_by) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, id, src.AccountID, key, actorID).Error; err != nil {
				return err
			}
		}
		invited, err := s.invite(ctx, actorID, fundID, id, in.Invitees)
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.convene", ObjectType: "dialogue",
			ObjectID: id, FundID: fundID, Changes: map[string]any{"purpose": in.Purpose, "meets_on": in.MeetsOn,
				"invitees": invited, "prompts": prompts, "sources": in.Sources, "follows_up": in.FollowsUp}})
	})
	return id, err
}

// checkSources refuses a source that is not a submitted account of the
// fund (or a published reflection) the convener can read, with the same
// words whether it exists or not.
func (s *Service) checkSources(ctx context.Context, fundID int64, refs []SourceRef, canRead CanRead) error {
	for i, ref := range refs {
		var n int64
		if err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM reflective_accounts
			WHERE id = ? AND fund_id = ? AND status IN ('submitted', 'published')`, ref.AccountID, fundID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 || canRead == nil || !canRead(ref.AccountID, ref.SectionKey) {
			return validate.Field(fmt.Sprintf("sources[%d]", i),
				"is not a submitted account (or a section of one) in this fund that you can read")
		}
	}
	return nil
}

// invite adds people taking part in the fund to a dialogue, skipping those
// already in it; it returns whom it invited.
func (s *Service) invite(ctx context.Context, actorID, fundID, dialogueID int64, invitees []int64) ([]int64, error) {
	added := []int64{}
	for i, u := range invitees {
		if slices.Contains(added, u) {
			continue
		}
		ok, err := s.takesPartInFund(ctx, fundID, u)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, validate.Field(fmt.Sprintf("invitees[%d]", i), "is not taking part in this fund")
		}
		res := store.Conn(ctx, s.db).Exec(`INSERT INTO dialogue_participants (dialogue_id, user_id, status, invited_by)
			VALUES (?, ?, 'invited', ?) ON CONFLICT (dialogue_id, user_id) DO NOTHING`, dialogueID, u, actorID)
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 1 {
			added = append(added, u)
		}
	}
	return added, nil
}

// Invite asks more people taking part in the fund to a dialogue. The
// convener and those who accepted may invite. Someone already invited is
// left as they are: a person who declined is not asked again.
func (s *Service) Invite(ctx context.Context, actorID, dialogueID int64, in Invitation) ([]int64, error) {
	if err := validate.Struct(in); err != nil {
		return nil, err
	}
	var added []int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		fundID, err := s.writer(ctx, dialogueID, actorID)
		if err != nil {
			return err
		}
		if added, err = s.invite(ctx, actorID, fundID, dialogueID, in.Invitees); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.invite", ObjectType: "dialogue",
			ObjectID: dialogueID, FundID: fundID, Changes: map[string]any{"invitees": added}})
	})
	return added, err
}

// Respond records an invitee's answer. Only the person invited answers;
// someone taking part may later step out by declining. Once declined, the
// dialogue is closed to them, as to anyone not taking part.
func (s *Service) Respond(ctx context.Context, actorID, dialogueID int64, in Answer) error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		st, fundID, err := s.participationLocked(ctx, dialogueID, actorID)
		if err != nil {
			return err
		}
		switch st {
		case Convener:
			return ErrConvenerAnswers
		case Invited, Accepted:
		default:
			return ErrNotFound
		}
		if err := tx.Exec(`UPDATE dialogue_participants SET status = ?, responded_at = now() WHERE dialogue_id = ? AND user_id = ?`,
			in.Status, dialogueID, actorID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "dialogue.respond", ObjectType: "dialogue",
			ObjectID: dialogueID, FundID: fundID, Changes: in})
	})
}

// participation returns how userID takes part in a dialogue ("" when not
// at all) and the dialogue's fund; ErrNotFound when there is no dialogue.
func (s *Service) participation(ctx context.Context, dialogueID, userID int64) (string, int64, error) {
	return s.participationQuery(ctx, dialogueID, userID, "")
}

func (s *Service) participationLocked(ctx context.Context, dialogueID, userID int64) (string, int64, error) {
	return s.participationQuery(ctx, dialogueID, userID, " FOR UPDATE OF d")
}

func (s *Service) participationQuery(ctx context.Context, dialogueID, userID int64, lock string) (string, int64, error) {
	var rows []struct {
		FundID int64
		Status *string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT d.fund_id, p.status FROM dialogues d
		LEFT JOIN dialogue_participants p ON p.dialogue_id = d.id AND p.user_id = ?
		WHERE d.id = ?`+lock, userID, dialogueID).Scan(&rows).Error; err != nil {
		return "", 0, err
	}
	if len(rows) == 0 {
		return "", 0, ErrNotFound
	}
	if rows[0].Status == nil {
		return "", rows[0].FundID, nil
	}
	return *rows[0].Status, rows[0].FundID, nil
}

// reader checks that userID may read the dialogue (convener, invited or
// accepted) and returns its fund and their status; anyone else is told it
// does not exist.
func (s *Service) reader(ctx context.Context, dialogueID, userID int64) (int64, string, error) {
	st, fundID, err := s.participation(ctx, dialogueID, userID)
	if err != nil {
		return 0, "", err
	}
	if st == "" || st == Declined {
		return 0, "", ErrNotFound
	}
	return fundID, st, nil
}

// writer checks that userID takes part (convener or accepted) and locks
// the dialogue; an invitee who has not accepted is told to accept first.
func (s *Service) writer(ctx context.Context, dialogueID, userID int64) (int64, error) {
	st, fundID, err := s.participationLocked(ctx, dialogueID, userID)
	if err != nil {
		return 0, err
	}
	switch st {
	case Convener, Accepted:
		return fundID, nil
	case Invited:
		return 0, ErrNotTakingPart
	}
	return 0, ErrNotFound
}
