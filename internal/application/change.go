package application

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// NewApplication is what it takes to apply: which of the applicant's
// organisations applies, and the proposal.
type NewApplication struct {
	OrganisationID int64 `json:"organisation_id" validate:"required,gt=0"`
	Proposal
}

// Apply submits an application to a round for an applicant organisation.
// Authorization (the actor is a member of that organisation) is the
// caller's; the round must be accepting and its window open.
func (s *Service) Apply(ctx context.Context, actorID, roundID int64, in NewApplication) (Application, error) {
	in.clean()
	if err := validate.Struct(in); err != nil {
		return Application{}, err
	}
	var id int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.roundForShare(ctx, roundID)
		if err != nil {
			return err
		}
		if err := r.CheckAccepting(s.now()); err != nil {
			return err
		}
		if err := in.check(r.BudgetMinor); err != nil {
			return err
		}
		var kind string
		if err := tx.Raw(`SELECT kind FROM organisations WHERE id = ?`, in.OrganisationID).Scan(&kind).Error; err != nil {
			return err
		}
		if kind != "applicant" {
			return validate.Field("organisation_id", "must be an applicant organisation")
		}
		err = tx.Raw(`
			INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn,
			                          amount_minor, minimum_minor, budget_summary, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.ID, r.FundID, in.OrganisationID, in.Title, in.Explore, in.WithWhom, in.HowLearn,
			in.AmountMinor, in.MinimumMinor, in.BudgetSummary, nullID(actorID)).Scan(&id).Error
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "application.create",
			ObjectType: "application", ObjectID: id, FundID: r.FundID, Changes: map[string]any{
				"round_id": r.ID, "organisation_id": in.OrganisationID, "title": in.Title,
				"amount_minor": in.AmountMinor, "minimum_minor": in.MinimumMinor,
			}})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(ctx, id)
}

// lockForChange locks an application for a change, with a share lock on
// its round so the round's state holds until the change commits. The round
// is locked first, in the order a round's own transitions lock round and
// applications, so the two never wait on each other in a circle.
func (s *Service) lockForChange(ctx context.Context, tx *gorm.DB, id int64) (Application, Round, error) {
	var roundID int64
	if err := tx.Raw(`SELECT round_id FROM applications WHERE id = ?`, id).Scan(&roundID).Error; err != nil {
		return Application{}, Round{}, err
	}
	if roundID == 0 {
		return Application{}, Round{}, ErrNotFound
	}
	r, err := s.roundForShare(ctx, roundID)
	if err != nil {
		return Application{}, Round{}, err
	}
	a, err := s.lockApplication(ctx, tx, id)
	return a, r, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Edit is a change to an application: the fields given replace the
// current ones, the others stay. Version must be the version the change
// was made from.
type Edit struct {
	Version       int            `json:"version" validate:"required,gt=0"`
	Title         *string        `json:"title"`
	Explore       *string        `json:"explore"`
	WithWhom      *string        `json:"with_whom"`
	HowLearn      *string        `json:"how_learn"`
	AmountMinor   *int64         `json:"amount_minor"`
	MinimumMinor  NullableAmount `json:"minimum_minor"`
	BudgetSummary *string        `json:"budget_summary"`
}

// NullableAmount is an optional amount in a change, where null (remove
// the minimum) differs from leaving the field out (keep it).
type NullableAmount struct {
	Set   bool
	Value *int64
}

// UnmarshalJSON reads a whole number or null.
func (n *NullableAmount) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		// A type error names the field once the decoder adds its context.
		return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[int64]()}
	}
	n.Value = &v
	return nil
}

// MarshalJSON writes the value or null.
func (n NullableAmount) MarshalJSON() ([]byte, error) { return json.Marshal(n.Value) }

// apply returns p with the edit's fields in place.
func (e Edit) apply(p Proposal) Proposal {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.Title, e.Title)
	set(&p.Explore, e.Explore)
	set(&p.WithWhom, e.WithWhom)
	set(&p.HowLearn, e.HowLearn)
	set(&p.BudgetSummary, e.BudgetSummary)
	if e.AmountMinor != nil {
		p.AmountMinor = *e.AmountMinor
	}
	if e.MinimumMinor.Set {
		p.MinimumMinor = e.MinimumMinor.Value
	}
	return p
}

// Proposal returns the applicant's part of a.
func (a Application) Proposal() Proposal {
	return Proposal{Title: a.Title, Explore: a.Explore, WithWhom: a.WithWhom, HowLearn: a.HowLearn,
		AmountMinor: a.AmountMinor, MinimumMinor: a.MinimumMinor, BudgetSummary: a.BudgetSummary}
}

// Update changes a submitted application while its round's window is open.
// An edit made from an older version is refused (412), so nobody
// overwrites a change they have not seen. Authorization is the caller's.
func (s *Service) Update(ctx context.Context, actorID, id int64, e Edit) (Application, error) {
	if err := validate.Struct(e); err != nil {
		return Application{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		a, r, err := s.lockForChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.State != Submitted {
			return fault.Conflictf("this application is %s, so it can no longer be changed", a.State)
		}
		if !r.Accepting(s.now()) {
			return fault.Conflictf("the application window of %s has closed, so applications can no longer be changed", r.Name)
		}
		if a.Version != e.Version {
			return fault.PreconditionFailedf("this application was changed by someone else (it is at version %d, you edited version %d); reload it and make your change again", a.Version, e.Version)
		}
		p := e.apply(a.Proposal())
		p.clean()
		if err := p.check(r.BudgetMinor); err != nil {
			return err
		}
		err = tx.Exec(`
			UPDATE applications SET title = ?, explore = ?, with_whom = ?, how_learn = ?, amount_minor = ?,
			       minimum_minor = ?, budget_summary = ?, version = version + 1, updated_at = now()
			WHERE id = ?`,
			p.Title, p.Explore, p.WithWhom, p.HowLearn, p.AmountMinor, p.MinimumMinor, p.BudgetSummary, id).Error
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "application.update",
			ObjectType: "application", ObjectID: id, FundID: a.FundID,
			Changes: map[string]any{"fields": changedFields(a.Proposal(), p), "version": a.Version + 1}})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(ctx, id)
}

// changedFields names the fields that differ: the audit log says what
// changed without copying the applicant's text again.
func changedFields(before, after Proposal) []string {
	out := []string{}
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("title", before.Title != after.Title)
	add("explore", before.Explore != after.Explore)
	add("with_whom", before.WithWhom != after.WithWhom)
	add("how_learn", before.HowLearn != after.HowLearn)
	add("amount_minor", before.AmountMinor != after.AmountMinor)
	add("minimum_minor", (before.MinimumMinor == nil) != (after.MinimumMinor == nil) ||
		(before.MinimumMinor != nil && *before.MinimumMinor != *after.MinimumMinor))
	add("budget_summary", before.BudgetSummary != after.BudgetSummary)
	return out
}

// Withdraw takes a submitted application out of its round, at any time
// before the round is decided. Authorization is the caller's.
func (s *Service) Withdraw(ctx context.Context, actorID, id int64) (Application, error) {
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		a, r, err := s.lockForChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Decided() {
			return fault.Conflictf("%s has been decided, so its applications can no longer be withdrawn", r.Name)
		}
		switch a.State {
		case Withdrawn:
			return fault.Conflictf("this application has already been withdrawn")
		case Ineligible:
			return fault.Conflictf("this application was marked ineligible, so it takes no further part in the round and cannot be withdrawn")
		}
		if err := tx.Exec(`UPDATE applications SET state = ?, version = version + 1, updated_at = now() WHERE id = ?`,
			Withdrawn, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "application.withdraw",
			ObjectType: "application", ObjectID: id, FundID: a.FundID,
			Changes: map[string]string{"from": a.State, "to": Withdrawn}})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(ctx, id)
}

// Ineligibility is a steward's finding that an application cannot be
// considered, and why: the applicant reads the reason.
type Ineligibility struct {
	Reason string `json:"reason" validate:"notblank,max=2000"`
}

// MarkIneligible records that a submitted application is ineligible, with
// the reason the applicant will read. Authorization (a steward of the
// fund) is the caller's.
func (s *Service) MarkIneligible(ctx context.Context, actorID, id int64, in Ineligibility) (Application, error) {
	in.Reason = strings.TrimSpace(strings.ReplaceAll(in.Reason, "\r\n", "\n"))
	if err := validate.Struct(in); err != nil {
		return Application{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		a, r, err := s.lockForChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Decided() {
			return fault.Conflictf("%s has been decided, so eligibility can no longer be changed", r.Name)
		}
		if a.State != Submitted {
			return fault.Conflictf("this application is already %s", a.State)
		}
		if err := tx.Exec(`UPDATE applications SET state = ?, ineligible_reason = ?, version = version + 1, updated_at = now() WHERE id = ?`,
			Ineligible, in.Reason, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "application.mark_ineligible",
			ObjectType: "application", ObjectID: id, FundID: a.FundID,
			Changes: map[string]string{"from": a.State, "to": Ineligible, "reason": in.Reason}})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(ctx, id)
}
