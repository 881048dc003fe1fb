package decision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Decision is the panel's decision on a round.
type Decision struct {
	RoundID         int64      `json:"round_id"`
	Status          string     `json:"status"`
	Amended         bool       `json:"amended"`
	AmendmentReason *string    `json:"amendment_reason"`
	Version         int        `json:"version"`
	RecordedAt      time.Time  `json:"recorded_at"`
	FinalisedAt     *time.Time `json:"finalised_at"`
	// TotalMinor is what the funded applications receive together.
	TotalMinor   int64         `json:"total_minor" gorm:"-"`
	Applications []Application `json:"applications" gorm:"-"`
}

// Application is the decision on one application, with the panel's words.
type Application struct {
	ApplicationID    int64  `json:"application_id"`
	Title            string `json:"title"`
	OrganisationID   int64  `json:"organisation_id"`
	OrganisationName string `json:"organisation_name"`
	RequestedMinor   int64  `json:"requested_minor"`
	Funded           bool   `json:"funded"`
	AmountMinor      *int64 `json:"amount_minor"`
	Rationale        string `json:"rationale"`
	// Feedback is for the applicant and the fund; Public leaves it out.
	Feedback string `json:"feedback,omitempty"`
}

// Complete reports whether the panel has written both its rationale and
// its feedback.
func (a Application) Complete() bool {
	return strings.TrimSpace(a.Rationale) != "" && strings.TrimSpace(a.Feedback) != ""
}

// Public is the decision as anyone may read it once final: no feedback.
func (d Decision) Public() Decision {
	d.Applications = slices.Clone(d.Applications)
	for i := range d.Applications {
		d.Applications[i].Feedback = ""
	}
	return d
}

// WithoutFeedbackOn is the decision with the feedback on the given
// applications left out: a panel member does not read the feedback on an
// application they are recused from.
func (d Decision) WithoutFeedbackOn(ids map[int64]bool) Decision {
	d.Applications = slices.Clone(d.Applications)
	for i := range d.Applications {
		if ids[d.Applications[i].ApplicationID] {
			d.Applications[i].Feedback = ""
		}
	}
	return d
}

// RecusedFrom returns the applications of a round userID is recused from.
func (s *Service) RecusedFrom(ctx context.Context, roundID, userID int64) (map[int64]bool, error) {
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT application_id FROM declarations WHERE round_id = ? AND user_id = ? AND kind = 'recused'`,
		roundID, userID).Scan(&ids).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Missing lists the applications still without a rationale or feedback.
func (d Decision) Missing() []Application {
	var out []Application
	for _, a := range d.Applications {
		if !a.Complete() {
			out = append(out, a)
		}
	}
	return out
}

// Get returns a round's decision, or ErrNoDecision.
func (s *Service) Get(ctx context.Context, roundID int64) (Decision, error) {
	var ds []Decision
	if err := store.Conn(ctx, s.db).Raw(`SELECT round_id, status, amended, amendment_reason, version, recorded_at, finalised_at
		FROM decisions WHERE round_id = ?`, roundID).Scan(&ds).Error; err != nil {
		return Decision{}, err
	}
	if len(ds) == 0 {
		return Decision{}, ErrNoDecision
	}
	d := ds[0]
	d.RecordedAt = d.RecordedAt.UTC()
	if d.FinalisedAt != nil {
		t := d.FinalisedAt.UTC()
		d.FinalisedAt = &t
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT da.application_id, a.title, a.organisation_id, o.name AS organisation_name,
			a.amount_minor AS requested_minor, da.funded, da.amount_minor, da.rationale, da.feedback
		FROM decision_applications da JOIN applications a ON a.id = da.application_id
		JOIN organisations o ON o.id = a.organisation_id
		WHERE da.round_id = ? ORDER BY da.funded DESC, da.application_id`, roundID).Scan(&d.Applications).Error; err != nil {
		return Decision{}, err
	}
	for _, a := range d.Applications {
		if a.AmountMinor != nil {
			d.TotalMinor += *a.AmountMinor
		}
	}
	return d, nil
}

// Final returns a round's decision only once it is final.
func (s *Service) Final(ctx context.Context, roundID int64) (Decision, error) {
	d, err := s.Get(ctx, roundID)
	if err == ErrNoDecision || (err == nil && d.Status != Final) {
		return Decision{}, ErrNotFinal
	}
	return d, err
}

// Funding is one funded application in an amended decision.
type Funding struct {
	ApplicationID int64 `json:"application_id" validate:"required,gt=0"`
	AmountMinor   int64 `json:"amount_minor" validate:"required,gt=0"`
}

// Record is what the chair records: the computed result (Funded nil), or
// an amended one with the reason, which is published beside it.
type Record struct {
	Funded          *[]Funding `json:"funded" validate:"omitempty,dive"`
	AmendmentReason string     `json:"amendment_reason" validate:"max=5000"`
}

// RecordDecision records (or records again, while it is a draft) the
// decision on a closed round whose result has been computed. Rationale and
// feedback already written are kept.
func (s *Service) RecordDecision(ctx context.Context, actorID, roundID int64, in Record) (Decision, error) {
	if err := validate.Struct(in); err != nil {
		return Decision{}, err
	}
	reason := strings.TrimSpace(in.AmendmentReason)
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.round(ctx, roundID, " FOR UPDATE OF r")
		if err != nil {
			return err
		}
		if err := s.checkDraft(ctx, r); err != nil {
			return err
		}
		res, err := s.Result(ctx, roundID)
		if err != nil {
			if err == ErrNoResult {
				return fault.Conflictf("there is no computed result to decide on yet: the quorum was not met, so the chair must first have it computed with a reason")
			}
			return err
		}
		funded, amended, err := s.funding(ctx, r, res, in.Funded)
		if err != nil {
			return err
		}
		if amended {
			if err := s.checkNotRecusedFromChanges(ctx, actorID, r.ID, res, funded); err != nil {
				return err
			}
		}
		switch {
		case amended && reason == "":
			return validate.Field("amendment_reason", "is required: the decision differs from the computed result, so say why (it is published beside the result)")
		case !amended && reason != "":
			return validate.Field("amendment_reason", "must be left out: the decision is the computed result")
		}
		var reasonArg any
		if amended {
			reasonArg = reason
		}
		if err := tx.Exec(`INSERT INTO decisions (round_id, amended, amendment_reason, recorded_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (round_id) DO UPDATE SET amended = EXCLUDED.amended, amendment_reason = EXCLUDED.amendment_reason,
				recorded_by = EXCLUDED.recorded_by, recorded_at = now(), version = decisions.version + 1`,
			roundID, amended, reasonArg, nullID(actorID)).Error; err != nil {
			return err
		}
		for _, app := range res.Input.Applications {
			amount, ok := funded[app.ID]
			var amountArg any
			if ok {
				amountArg = amount
			}
			if err := tx.Exec(`INSERT INTO decision_applications (round_id, application_id, funded, amount_minor, updated_by)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (round_id, application_id) DO UPDATE SET funded = EXCLUDED.funded, amount_minor = EXCLUDED.amount_minor`,
				roundID, app.ID, ok, amountArg, nullID(actorID)).Error; err != nil {
				return err
			}
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "decision.record", ObjectType: "round",
			ObjectID: roundID, FundID: r.FundID, Changes: map[string]any{"funded": funded, "amended": amended, "amendment_reason": reasonArg}})
	})
	if err != nil {
		return Decision{}, err
	}
	return s.Get(ctx, roundID)
}

// checkDraft says why a round's decision cannot change now, or nil.
func (s *Service) checkDraft(ctx context.Context, r Round) error {
	switch r.State {
	case round.Closed:
	case round.Decided:
		return ErrFinal
	default:
		return fault.Conflictf("the decision is recorded once voting has closed; the round is %s", round.StateNames[r.State])
	}
	var status []string
	if err := store.Conn(ctx, s.db).Raw(`SELECT status FROM decisions WHERE round_id = ?`, r.ID).Scan(&status).Error; err != nil {
		return err
	}
	if len(status) > 0 && status[0] == Final {
		return ErrFinal
	}
	return nil
}

// funding returns the funded applications (id → amount) of a decision and
// whether it differs from the computed result.
func (s *Service) funding(ctx context.Context, r Round, res Result, in *[]Funding) (map[int64]int64, bool, error) {
	requested := map[int64]int64{}
	for _, a := range res.Input.Applications {
		requested[a.ID] = a.AmountMinor
	}
	computed := map[int64]int64{}
	for _, id := range res.Outcome.Funded {
		computed[id] = requested[id]
	}
	if in == nil {
		return computed, false, nil
	}
	var errs validate.Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, validate.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	funded := map[int64]int64{}
	var total int64
	overBudget := false
	for i, f := range *in {
		field := fmt.Sprintf("funded[%d]", i)
		req, ok := requested[f.ApplicationID]
		switch {
		case !ok:
			bad(field+".application_id", "is not an eligible application of this round")
		case funded[f.ApplicationID] != 0:
			bad(field+".application_id", "appears more than once")
		case f.AmountMinor > req:
			bad(field+".amount_minor", "is more than the application asked for (%s)", money.Format(req, r.Currency))
		case f.AmountMinor > r.BudgetMinor-total:
			// Compared without adding, so that no sum can overflow.
			overBudget = true
		default:
			funded[f.ApplicationID] = f.AmountMinor
			total += f.AmountMinor
		}
	}
	if overBudget {
		bad("funded", "gives more than the round's budget of %s together", money.Format(r.BudgetMinor, r.Currency))
	}
	if len(errs) > 0 {
		return nil, false, errs
	}
	amended := len(funded) != len(computed)
	for id, amount := range funded {
		if computed[id] != amount {
			amended = true
		}
	}
	return funded, amended, nil
}

// checkNotRecusedFromChanges refuses an amended decision that changes the
// outcome of an application the actor is recused from: a chair with a
// conflict may record the computed result, but not overrule it where their
// conflict lies.
func (s *Service) checkNotRecusedFromChanges(ctx context.Context, actorID, roundID int64, res Result, funded map[int64]int64) error {
	recused, err := s.RecusedFrom(ctx, roundID, actorID)
	if err != nil {
		return err
	}
	computed := map[int64]bool{}
	for _, id := range res.Outcome.Funded {
		computed[id] = true
	}
	for _, a := range res.Input.Applications {
		amount, ok := funded[a.ID]
		changed := ok != computed[a.ID] || (ok && amount != a.AmountMinor)
		if changed && recused[a.ID] {
			return fault.Forbiddenf("you are recused from application %d, so you cannot change the decision on it; record the computed result for it, or ask another member of the panel to chair the decision", a.ID)
		}
	}
	return nil
}

// Words are the panel's rationale and feedback on one application.
type Words struct {
	Rationale string `json:"rationale" validate:"max=10000"`
	Feedback  string `json:"feedback" validate:"max=10000"`
}

// WriteWords sets the panel's rationale and feedback on an application of
// a recorded, not yet final decision. A panel member recused from the
// application may not write about it.
func (s *Service) WriteWords(ctx context.Context, actorID, roundID, applicationID int64, in Words) (Decision, error) {
	if err := validate.Struct(in); err != nil {
		return Decision{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.round(ctx, roundID, " FOR SHARE OF r")
		if err != nil {
			return err
		}
		if err := s.checkDraft(ctx, r); err != nil {
			return err
		}
		var onDecision []bool
		if err := tx.Raw(`SELECT true FROM decision_applications WHERE round_id = ? AND application_id = ?`,
			roundID, applicationID).Scan(&onDecision).Error; err != nil {
			return err
		}
		if len(onDecision) == 0 {
			var n int64
			if err := tx.Raw(`SELECT count(*) FROM decisions WHERE round_id = ?`, roundID).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return fault.Conflictf("the chair has not recorded the decision yet: rationale and feedback are written on a recorded decision")
			}
			return fault.NotFoundf("application %d is not part of this round's decision", applicationID)
		}
		var kinds []string
		if err := tx.Raw(`SELECT kind FROM declarations WHERE application_id = ? AND user_id = ?`,
			applicationID, actorID).Scan(&kinds).Error; err != nil {
			return err
		}
		switch {
		case len(kinds) == 0:
			return fault.Forbiddenf("you did not declare on this application, so you have not read it and do not write about it")
		case kinds[0] == "recused":
			return fault.Forbiddenf("you are recused from this application, so you do not write about it")
		}
		if err := tx.Exec(`UPDATE decision_applications SET rationale = ?, feedback = ?, updated_by = ?, updated_at = now()
			WHERE round_id = ? AND application_id = ?`,
			strings.TrimSpace(in.Rationale), strings.TrimSpace(in.Feedback), nullID(actorID), roundID, applicationID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "decision.words", ObjectType: "application",
			ObjectID: applicationID, FundID: r.FundID, Changes: in})
	})
	if err != nil {
		return Decision{}, err
	}
	return s.Get(ctx, roundID)
}
