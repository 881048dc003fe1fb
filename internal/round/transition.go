package round

import (
	"context"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Next returns the state a round in state moves to next, if any.
func Next(state string) (string, bool) {
	i := slices.Index(States, state)
	if i < 0 || i == len(States)-1 {
		return "", false
	}
	return States[i+1], true
}

// TransitionAction is the authorization action (on object "round") that
// moving a round into state to needs. Each move has its own action so the
// policy can say who makes it: a steward opens a round for applications
// ("open"); a steward or the panel chair closes applications and starts
// the panel's review ("close_applications") and opens voting
// ("open_voting"); only the panel chair closes voting ("close_voting").
// A round becomes decided only when the chair makes its decision final
// (package decision), never through Transition; the action named for it is
// the chair's, so that the refusal explains itself to them. "" for a state
// no round moves into (draft).
func TransitionAction(to string) string {
	switch to {
	case Accepting:
		return "open"
	case Review:
		return "close_applications"
	case Voting:
		return "open_voting"
	case Closed, Decided:
		return "close_voting"
	}
	return ""
}

// TransitionActions lists every action of TransitionAction.
var TransitionActions = []string{"open", "close_applications", "open_voting", "close_voting"}

// Transition moves a round into state to, which must be the next state
// after its current one, and records the move (round_transitions and the
// audit log). A move that skips, goes back, stays put or whose condition
// does not hold is refused with a Conflict that says why, and nothing is
// written:
//   - draft → accepting needs all four windows set, and the fund open or
//     active (applicants cannot see a draft fund);
//   - review → voting needs at least one eligible (submitted) application.
//
// The windows are not enforced against the clock: people move rounds,
// and the windows tell applicants and the panel what to expect.
// Authorization (who may make which move) is the caller's; see
// TransitionAction.
func (s *Service) Transition(ctx context.Context, actorID, id int64, to string) (Round, error) {
	if !slices.Contains(States, to) {
		return Round{}, validate.Field("to", "must be one of: "+strings.Join(States, ", "))
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.get(ctx, id, true)
		if err != nil {
			return err
		}
		if err := s.canMove(ctx, tx, r, to); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE rounds SET state = ?, version = version + 1, updated_at = now() WHERE id = ?`, to, id).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO round_transitions (round_id, from_state, to_state, changed_by) VALUES (?, ?, ?, ?)`,
			id, r.State, to, nullID(actorID)).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "round.transition", ObjectType: "round",
			ObjectID: id, FundID: r.FundID, Changes: map[string]any{"from": r.State, "to": to}}); err != nil {
			return err
		}
		if to == Closed && s.onClose != nil {
			r.State = Closed
			return s.onClose(ctx, actorID, r)
		}
		return nil
	})
	if err != nil {
		return Round{}, err
	}
	return s.Get(ctx, id)
}

// canMove says why r cannot move into state to, or nil if it can.
func (s *Service) canMove(ctx context.Context, tx *gorm.DB, r Round, to string) error {
	from := r.State
	next, ok := Next(from)
	switch {
	case !ok:
		return fault.Conflictf("the round is decided; it does not move any further")
	case to == from:
		return fault.Conflictf("the round is already in %s", StateNames[from])
	case slices.Index(States, to) < slices.Index(States, from):
		return fault.Conflictf("a round never goes back: it is in %s and can only move on to %s", StateNames[from], StateNames[next])
	case to != next:
		return fault.Conflictf("a round moves one step at a time: from %s it can only move to %s, not to %s",
			StateNames[from], StateNames[next], StateNames[to])
	}
	switch to {
	case Accepting:
		var missing []string
		for _, w := range []struct {
			name string
			set  bool
		}{
			{"when applications open", r.ApplicationsOpenAt != nil}, {"when applications close", r.ApplicationsCloseAt != nil},
			{"when voting opens", r.VotingOpenAt != nil}, {"when voting closes", r.VotingCloseAt != nil},
		} {
			if !w.set {
				missing = append(missing, w.name)
			}
		}
		if len(missing) > 0 {
			return fault.Conflictf("the round cannot open for applications until its windows are set (missing: %s)", joinWords(missing))
		}
		f, err := s.funds.Get(ctx, r.FundID)
		if err != nil {
			return err
		}
		switch f.Status {
		case fund.Draft:
			return fault.Conflictf("the fund is still a draft: publish it before opening a round for applications")
		case fund.Closed:
			return fault.Conflictf("the fund is closed: its rounds cannot open for applications")
		}
	case Decided:
		return fault.Conflictf("a round is decided when the panel chair makes its decision final, once every application has a rationale and feedback")
	case Voting:
		var eligible int64
		if err := tx.Raw(`SELECT count(*) FROM applications WHERE round_id = ? AND state = 'submitted'`, r.ID).Scan(&eligible).Error; err != nil {
			return err
		}
		if eligible == 0 {
			return fault.Conflictf("voting cannot open: the round has no eligible applications")
		}
	}
	return nil
}

// OnClose sets what happens, in the same transaction, when voting closes:
// the decision domain computes the result there.
func (s *Service) OnClose(f func(ctx context.Context, actorID int64, r Round) error) { s.onClose = f }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
