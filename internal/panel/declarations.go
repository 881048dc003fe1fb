package panel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// DeclarationKindNames are the kinds as a form offers them.
var DeclarationKindNames = map[string]string{
	NoConflict: "No conflict of interest",
	Disclosed:  "Disclosed, and staying",
	Recused:    "Recused",
}

// declaringStates are the round states in which panel members declare.
//
// Declarations open when the round moves to panel review, not while it is
// still accepting applications: until the window closes, applications can
// still arrive, change or be withdrawn, so a declaration made then would be
// on a list that is not yet the one the panel reads. Panel members read
// applications only from review on, and declaring comes just before
// reading. They stay open during voting so that a conflict noticed late
// can still be declared (and its vote kept out); they close when the round
// is decided, because the decision rests on them.
var declaringStates = []string{"review", "voting"}

// DeclarationsOpen reports whether members declare in a round in state.
func DeclarationsOpen(state string) bool { return slices.Contains(declaringStates, state) }

// Declaration is one panel member's conflict-of-interest declaration on
// one application.
type Declaration struct {
	ID               int64     `json:"id"`
	RoundID          int64     `json:"round_id"`
	ApplicationID    int64     `json:"application_id"`
	ApplicationTitle string    `json:"application_title"`
	UserID           int64     `json:"user_id"`
	DisplayName      string    `json:"display_name"`
	Kind             string    `json:"kind"`
	Note             string    `json:"note"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

const declarationColumns = `SELECT d.id, d.round_id, d.application_id, a.title AS application_title, d.user_id,
	u.display_name, d.kind, d.note, d.created_at, d.updated_at
	FROM declarations d JOIN applications a ON a.id = d.application_id JOIN users u ON u.id = d.user_id`

// Declarations lists a round's declarations by application and member;
// userID > 0 keeps only that member's.
func (s *Service) Declarations(ctx context.Context, roundID, userID int64) ([]Declaration, error) {
	q := store.Conn(ctx, s.db)
	var out []Declaration
	var err error
	if userID > 0 {
		err = q.Raw(declarationColumns+` WHERE d.round_id = ? AND d.user_id = ? ORDER BY d.application_id`, roundID, userID).
			Scan(&out).Error
	} else {
		err = q.Raw(declarationColumns+` WHERE d.round_id = ? ORDER BY d.application_id, lower(u.display_name), d.user_id`,
			roundID).Scan(&out).Error
	}
	return out, err
}

// DeclarationEntry is a member's declaration on one application.
type DeclarationEntry struct {
	ApplicationID int64  `json:"application_id" validate:"required,gt=0"`
	Kind          string `json:"kind" validate:"required,oneof=none disclosed recused"`
	Note          string `json:"note" validate:"max=2000"`
}

// DeclarationSet is a member's declarations on some or all of a round's
// applications, made together.
type DeclarationSet struct {
	Declarations []DeclarationEntry `json:"declarations" validate:"required,min=1,max=500,dive"`
}

// NoteRequired is the message for a disclosure or recusal without a note.
const NoteRequired = "is required when you disclose a connection or recuse yourself: say what the connection is"

// Declare records a member's declarations in a round, all or none, each
// creation and each change with its audit event (old and new kind).
// Declaring again what is already declared changes nothing.
func (s *Service) Declare(ctx context.Context, actorID, roundID int64, in DeclarationSet) ([]Declaration, error) {
	for i := range in.Declarations {
		in.Declarations[i].Note = strings.TrimSpace(in.Declarations[i].Note)
	}
	err := validate.Struct(in)
	errs, _ := validate.As(err)
	if err != nil && errs == nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for i, d := range in.Declarations {
		if (d.Kind == Disclosed || d.Kind == Recused) && d.Note == "" {
			errs = append(errs, validate.FieldError{Field: fmt.Sprintf("declarations[%d].note", i), Message: NoteRequired})
		}
		if d.ApplicationID > 0 && seen[d.ApplicationID] {
			errs = append(errs, validate.FieldError{Field: fmt.Sprintf("declarations[%d].application_id", i),
				Message: "appears more than once: declare once per application"})
		}
		seen[d.ApplicationID] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		// Locking the round keeps a declaration from slipping in while the
		// round moves on to its decision.
		var r Round
		if err := tx.Raw(`SELECT id, fund_id, name, state FROM rounds WHERE id = ? FOR SHARE`, roundID).Scan(&r).Error; err != nil {
			return err
		}
		if r.ID == 0 {
			return ErrRoundNotFound
		}
		if !slices.Contains(declaringStates, r.State) {
			return fault.Conflictf("declarations are made while the round is in panel review or voting; this round is %s", stateName(r.State))
		}
		apps, err := s.RoundApplications(ctx, roundID)
		if err != nil {
			return err
		}
		inRound := map[int64]bool{}
		for _, a := range apps {
			inRound[a.ID] = true
		}
		var errs validate.Errors
		for i, d := range in.Declarations {
			if !inRound[d.ApplicationID] {
				errs = append(errs, validate.FieldError{Field: fmt.Sprintf("declarations[%d].application_id", i),
					Message: "is not an application the panel considers in this round"})
			}
		}
		if len(errs) > 0 {
			return errs
		}
		for _, d := range in.Declarations {
			if err := s.declareOne(ctx, tx, actorID, r, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Declarations(ctx, roundID, actorID)
}

func (s *Service) declareOne(ctx context.Context, tx *gorm.DB, actorID int64, r Round, d DeclarationEntry) error {
	var cur struct {
		ID   int64
		Kind string
		Note string
	}
	if err := tx.Raw(`SELECT id, kind, note FROM declarations WHERE application_id = ? AND user_id = ? FOR UPDATE`,
		d.ApplicationID, actorID).Scan(&cur).Error; err != nil {
		return err
	}
	if cur.ID != 0 && cur.Kind == d.Kind && cur.Note == d.Note {
		return nil
	}
	changes := map[string]any{"application_id": d.ApplicationID, "round_id": r.ID, "new_kind": d.Kind, "note": d.Note}
	action := "declaration.update"
	if cur.ID == 0 {
		action = "declaration.create"
		changes["old_kind"] = nil
		if err := tx.Raw(`INSERT INTO declarations (round_id, application_id, user_id, kind, note) VALUES (?, ?, ?, ?, ?)
			RETURNING id`, r.ID, d.ApplicationID, actorID, d.Kind, d.Note).Scan(&cur.ID).Error; err != nil {
			if store.IsUniqueViolation(err, "") {
				return fault.Conflictf("a declaration on this application was made at the same moment; reload and try again")
			}
			return err
		}
	} else {
		changes["old_kind"] = cur.Kind
		if cur.Note != d.Note {
			changes["old_note"] = cur.Note
		}
		if err := tx.Exec(`UPDATE declarations SET kind = ?, note = ?, updated_at = now() WHERE id = ?`,
			d.Kind, d.Note, cur.ID).Error; err != nil {
			return err
		}
	}
	return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: action, ObjectType: "declaration",
		ObjectID: cur.ID, FundID: r.FundID, Changes: changes})
}

// stateNames are round states as people read them.
var stateNames = map[string]string{"draft": "a draft", "accepting": "accepting applications",
	"review": "in panel review", "voting": "voting", "closed": "closed for voting", "decided": "decided"}

// StateName is a round state as people read it ("in panel review").
func StateName(s string) string { return stateName(s) }

func stateName(s string) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return s
}

// EligibleVoters returns the people who count towards an application's
// quorum and may score it: those holding a panel role (member or chair) in
// its fund who have declared on it and not recused. A recused member is
// left out; so is one who has not declared yet, since they may not read
// the application until they do.
func (s *Service) EligibleVoters(ctx context.Context, applicationID int64) ([]int64, error) {
	var ids []int64
	err := store.Conn(ctx, s.db).Raw(`SELECT DISTINCT d.user_id FROM declarations d
		JOIN applications a ON a.id = d.application_id
		JOIN casbin_rule c ON c.ptype = 'g' AND c.v0 = 'user:' || d.user_id
			AND c.v1 IN ('panel_member', 'panel_chair') AND c.v2 = 'fund:' || a.fund_id
		WHERE d.application_id = ? AND d.kind IN ('none', 'disclosed')
		ORDER BY d.user_id`, applicationID).Scan(&ids).Error
	return ids, err
}

// EligibleVoterCount is len(EligibleVoters), for quorum checks.
func (s *Service) EligibleVoterCount(ctx context.Context, applicationID int64) (int, error) {
	ids, err := s.EligibleVoters(ctx, applicationID)
	return len(ids), err
}
