// Package panel owns community panels: membership, time and payment, conflict-of-interest declarations and the deliberation thread on each application.
//
// Who may call what is decided by the authorizer at the edge (casbin, per
// fund). What a role cannot express lives here: a member declares before
// taking part, a recused member is kept out of that application's
// deliberation and quorum, a comment is corrected only by its author and
// only for a short while, and nothing is ever deleted from the thread.
package panel

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
)

// RoleAssigner gives and takes per-fund roles (the authorizer), inside the
// transaction in ctx.
type RoleAssigner interface {
	AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error
	RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error
}

// Service is the panel domain's entry point.
type Service struct {
	db    *gorm.DB
	roles RoleAssigner
}

// NewService returns a Service on db that gives panel roles through roles.
func NewService(db *gorm.DB, roles RoleAssigner) *Service { return &Service{db: db, roles: roles} }

// Declaration kinds.
const (
	NoConflict = "none"
	Disclosed  = "disclosed"
	Recused    = "recused"
)

// DeclarationKinds lists the kinds in the order a form offers them.
var DeclarationKinds = []string{NoConflict, Disclosed, Recused}

// DeclarationKind returns userID's declaration on an application: "none",
// "disclosed", "recused", or "" if they have not declared yet. Reading an
// application's details, its deliberation and scoring it all depend on it.
func DeclarationKind(ctx context.Context, db *gorm.DB, applicationID, userID int64) (string, error) {
	var kind string
	err := store.Conn(ctx, db).Raw(`SELECT kind FROM declarations WHERE application_id = ? AND user_id = ?`,
		applicationID, userID).Scan(&kind).Error
	return kind, err
}

// Errors of this domain that are worth naming.
var (
	ErrRoundNotFound       = fault.NotFoundf("round not found")
	ErrApplicationNotFound = fault.NotFoundf("application not found")
	ErrMemberNotFound      = fault.NotFoundf("panel member not found")
	ErrCommentNotFound     = fault.NotFoundf("comment not found")
	ErrFundNotFound        = fault.NotFoundf("fund not found")
)

// Round is what the panel needs to know of a round.
type Round struct {
	ID     int64
	FundID int64
	Name   string
	State  string
}

// Round returns one round, or ErrRoundNotFound.
func (s *Service) Round(ctx context.Context, id int64) (Round, error) {
	var r Round
	err := store.Conn(ctx, s.db).Raw(`SELECT id, fund_id, name, state FROM rounds WHERE id = ?`, id).Scan(&r).Error
	if err != nil {
		return Round{}, err
	}
	if r.ID == 0 {
		return Round{}, ErrRoundNotFound
	}
	return r, nil
}

// FundRounds lists a fund's rounds past their draft, oldest first: the
// rounds a panel works in.
func (s *Service) FundRounds(ctx context.Context, fundID int64) ([]Round, error) {
	var out []Round
	err := store.Conn(ctx, s.db).Raw(`SELECT id, fund_id, name, state FROM rounds WHERE fund_id = ? AND state <> 'draft'
		ORDER BY id`, fundID).Scan(&out).Error
	return out, err
}

// Application is an application as the panel sees it before reading it:
// what even a recused member may see (title and organisation), and where
// it belongs.
type Application struct {
	ID               int64  `json:"id"`
	RoundID          int64  `json:"round_id"`
	FundID           int64  `json:"fund_id"`
	OrganisationID   int64  `json:"organisation_id"`
	OrganisationName string `json:"organisation_name"`
	Title            string `json:"title"`
	State            string `json:"state"`
}

const applicationColumns = `SELECT a.id, a.round_id, a.fund_id, a.organisation_id, o.name AS organisation_name,
	a.title, a.state FROM applications a JOIN organisations o ON o.id = a.organisation_id`

// Application returns one application's outline, or ErrApplicationNotFound.
func (s *Service) Application(ctx context.Context, id int64) (Application, error) {
	var a Application
	err := store.Conn(ctx, s.db).Raw(applicationColumns+` WHERE a.id = ?`, id).Scan(&a).Error
	if err != nil {
		return Application{}, err
	}
	if a.ID == 0 {
		return Application{}, ErrApplicationNotFound
	}
	return a, nil
}

// RoundApplications lists the applications the panel considers in a round:
// submitted ones, not those withdrawn or found ineligible.
func (s *Service) RoundApplications(ctx context.Context, roundID int64) ([]Application, error) {
	var out []Application
	err := store.Conn(ctx, s.db).Raw(applicationColumns+` WHERE a.round_id = ? AND a.state = 'submitted' ORDER BY a.id`,
		roundID).Scan(&out).Error
	return out, err
}

// FundCurrency returns a fund's currency, or ErrFundNotFound.
func (s *Service) FundCurrency(ctx context.Context, fundID int64) (string, error) {
	var cur string
	err := store.Conn(ctx, s.db).Raw(`SELECT currency FROM funds WHERE id = ?`, fundID).Scan(&cur).Error
	if err != nil {
		return "", err
	}
	if cur == "" {
		return "", ErrFundNotFound
	}
	return cur, nil
}

// dateLayout is how term dates are written: ISO 8601 calendar dates.
const dateLayout = "2006-01-02"

// parseDate reads a calendar date; ok is false for anything else.
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(dateLayout, strings.TrimSpace(s))
	return t, err == nil
}

// dateMessage is the field message for a date that is not one.
const dateMessage = "must be a date such as 2026-04-01"
