// Package application owns applications to a round: what an applicant
// organisation asks for, its edits and withdrawal, eligibility, and who may
// read how much of it (applicants their own organisation's, stewards all,
// panel members only after declaring any conflict of interest, and a
// recused member no more than the title).
package application

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
)

// States of an application.
const (
	Submitted  = "submitted"
	Withdrawn  = "withdrawn"
	Ineligible = "ineligible"
)

// Round states this package reads (the round domain owns the machine).
const (
	RoundDraft     = "draft"
	RoundAccepting = "accepting"
	RoundReview    = "review"
	RoundVoting    = "voting"
	RoundClosed    = "closed"
	RoundDecided   = "decided"
)

// Errors of this domain. They are fault kinds, so the HTTP edge maps them
// without knowing them; pages compare against them with errors.Is.
var (
	ErrNotFound      = fault.NotFoundf("application not found")
	ErrRoundNotFound = fault.NotFoundf("round not found")
	// ErrDeclareFirst: a panel member has not yet declared on this
	// application, so may not read it.
	ErrDeclareFirst = fault.Conflictf("declare any conflict of interest first")
	// ErrPanelNotYet: the panel reads applications only from review on.
	ErrPanelNotYet = fault.Forbiddenf("the panel reads applications once the round is in review")
)

// Application is one organisation's request in a round, as its applicants
// and the fund's steward read it.
type Application struct {
	ID               int64     `json:"id"`
	RoundID          int64     `json:"round_id"`
	FundID           int64     `json:"fund_id"`
	OrganisationID   int64     `json:"organisation_id"`
	OrganisationName string    `json:"organisation_name"`
	Title            string    `json:"title"`
	Explore          string    `json:"explore"`
	WithWhom         string    `json:"with_whom"`
	HowLearn         string    `json:"how_learn"`
	AmountMinor      int64     `json:"amount_minor"`
	MinimumMinor     *int64    `json:"minimum_minor"`
	Currency         string    `json:"currency"`
	BudgetSummary    string    `json:"budget_summary"`
	State            string    `json:"state"`
	IneligibleReason *string   `json:"ineligible_reason"`
	Version          int       `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`

	// The round it belongs to, for the rules on editing and reading.
	RoundName           string    `json:"-"`
	RoundState          string    `json:"-"`
	ApplicationsCloseAt time.Time `json:"-"`
}

// Round is what this package needs to know of a round, read straight from
// the rounds table (the round domain owns its changes).
type Round struct {
	ID                  int64
	FundID              int64
	Name                string
	BudgetMinor         int64
	State               string
	ApplicationsOpenAt  time.Time
	ApplicationsCloseAt time.Time
	FundName            string
	FundStatus          string
	Currency            string
}

// Accepting reports whether the round takes applications (and edits) at now.
func (r Round) Accepting(now time.Time) bool {
	return r.State == RoundAccepting && !now.Before(r.ApplicationsOpenAt) && now.Before(r.ApplicationsCloseAt)
}

// CheckAccepting returns nil if the round takes applications (and edits)
// at now, else a conflict saying why not.
func (r Round) CheckAccepting(now time.Time) error {
	if r.Accepting(now) {
		return nil
	}
	if r.State != RoundAccepting {
		return fault.Conflictf("%s is not accepting applications (it is %s)", r.Name, roundStateName(r.State))
	}
	return fault.Conflictf("%s accepts applications from %s to %s (UTC); it is outside that window now",
		r.Name, r.ApplicationsOpenAt.UTC().Format("2 Jan 2006 15:04"), r.ApplicationsCloseAt.UTC().Format("2 Jan 2006 15:04"))
}

func roundStateName(state string) string {
	switch state {
	case RoundDraft:
		return "still a draft"
	case RoundReview:
		return "in panel review"
	case RoundVoting:
		return "in voting"
	case RoundClosed:
		return "closed for voting, awaiting its decision"
	case RoundDecided:
		return "decided"
	}
	return state
}

// Decided reports whether voting has closed: the applications are then
// settled, whether or not the decision is final yet.
func (r Round) Decided() bool { return r.State == RoundClosed || r.State == RoundDecided }

// PanelReads reports whether the panel may read the round's applications.
func PanelReads(roundState string) bool {
	return roundState == RoundReview || roundState == RoundVoting || roundState == RoundClosed || roundState == RoundDecided
}

// Service is the application domain's entry point.
type Service struct {
	db  *gorm.DB
	now func() time.Time
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service {
	return &Service{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// Now is the service's clock: what the application window is judged by.
func (s *Service) Now() time.Time { return s.now() }

const selectRound = `
	SELECT r.id, r.fund_id, r.name, r.budget_minor, r.state, r.applications_open_at, r.applications_close_at,
	       f.name AS fund_name, f.status AS fund_status, f.currency
	FROM rounds r JOIN funds f ON f.id = r.fund_id
	WHERE r.id = ?`

// Round returns the round with id.
func (s *Service) Round(ctx context.Context, id int64) (Round, error) {
	var r Round
	if err := store.Conn(ctx, s.db).Raw(selectRound, id).Scan(&r).Error; err != nil {
		return Round{}, err
	}
	if r.ID == 0 {
		return Round{}, ErrRoundNotFound
	}
	return r, nil
}

// roundForShare reads a round and holds a share lock on its row until the
// transaction in ctx ends, so the round cannot change state (say, close for
// review) between the check and the change that relies on it.
func (s *Service) roundForShare(ctx context.Context, id int64) (Round, error) {
	var r Round
	if err := store.Conn(ctx, s.db).Raw(selectRound+` FOR SHARE OF r`, id).Scan(&r).Error; err != nil {
		return Round{}, err
	}
	if r.ID == 0 {
		return Round{}, ErrRoundNotFound
	}
	return r, nil
}

const selectApplication = `
	SELECT a.id, a.round_id, a.fund_id, a.organisation_id, o.name AS organisation_name, a.title, a.explore,
	       a.with_whom, a.how_learn, a.amount_minor, a.minimum_minor, f.currency, a.budget_summary, a.state,
	       a.ineligible_reason, a.version, a.created_at, a.updated_at,
	       r.name AS round_name, r.state AS round_state, r.applications_close_at
	FROM applications a
	JOIN organisations o ON o.id = a.organisation_id
	JOIN rounds r ON r.id = a.round_id
	JOIN funds f ON f.id = a.fund_id`

// Get returns an application, whoever asks: the caller decides with Read
// what the person asking may see of it.
func (s *Service) Get(ctx context.Context, id int64) (Application, error) {
	var a Application
	if err := store.Conn(ctx, s.db).Raw(selectApplication+` WHERE a.id = ?`, id).Scan(&a).Error; err != nil {
		return Application{}, err
	}
	if a.ID == 0 {
		return Application{}, ErrNotFound
	}
	return a, nil
}

// lockApplication locks an application's row until the transaction in ctx
// ends and returns it.
func (s *Service) lockApplication(ctx context.Context, tx *gorm.DB, id int64) (Application, error) {
	var locked int64
	if err := tx.Raw(`SELECT id FROM applications WHERE id = ? FOR UPDATE`, id).Scan(&locked).Error; err != nil {
		return Application{}, err
	}
	if locked == 0 {
		return Application{}, ErrNotFound
	}
	return s.Get(ctx, id)
}
