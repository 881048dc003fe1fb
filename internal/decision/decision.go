// Package decision turns a round's ballots into its decision and its
// decision into grants.
//
// When voting closes the result is computed (if the quorum is met; below it
// the round waits for the panel chair, who may have it computed anyway with
// a written reason) and kept with everything needed to compute it again:
// the rule, its inputs, the tie-break and a digest of the ballots. Anyone
// who may read the result may ask for it to be recomputed and compared.
//
// The panel chair records the decision: the computed result, or an amended
// one with a reason that is published beside it. The panel writes a
// rationale (published) and feedback (for the applicant) for every
// application; only then can the chair make the decision final. Making it
// final, in one transaction, marks the round decided, turns every funded
// application into a grant with its instalments, and gives the members of
// each funded organisation the grantee role in the fund.
//
// Authorization is the caller's (the HTTP edge asks the authorizer); what
// holds whoever asks — one result per round, a final decision never
// changes, nothing is final without feedback — is kept here and, for the
// last two, by the database.
package decision

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
)

// Decision statuses.
const (
	Draft = "draft"
	Final = "final"
)

// Errors of this domain.
var (
	ErrRoundNotFound = fault.NotFoundf("round not found")
	ErrNoResult      = fault.NotFoundf("this round has no computed result yet")
	ErrNoDecision    = fault.NotFoundf("the panel has not recorded a decision for this round yet")
	ErrNotFinal      = fault.NotFoundf("this round's decision is not final yet")
	ErrFinal         = fault.Conflictf("the decision is final and can no longer change")
)

// Roles gives fund roles (the grantee role) without this package knowing
// casbin.
type Roles interface {
	AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error
}

// Service is the decision domain's entry point.
type Service struct {
	db    *gorm.DB
	roles Roles
	now   func() time.Time
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, roles Roles) *Service {
	return &Service{db: db, roles: roles, now: time.Now}
}

// Round is what decisions need to know of a round.
type Round struct {
	ID           int64
	FundID       int64
	Name         string
	State        string
	Method       string
	MethodParams round.Params
	Rule         string
	Quorum       int
	SecretBallot bool
	TieBreak     string
	BudgetMinor  int64
	Currency     string
}

// Round returns one round as decisions see it.
func (s *Service) Round(ctx context.Context, id int64) (Round, error) {
	return s.round(ctx, id, "")
}

func (s *Service) round(ctx context.Context, id int64, lock string) (Round, error) {
	var rs []Round
	if err := store.Conn(ctx, s.db).Raw(`SELECT r.id, r.fund_id, r.name, r.state, r.method, r.method_params, r.rule,
			r.quorum, r.secret_ballot, r.tie_break, r.budget_minor, f.currency
		FROM rounds r JOIN funds f ON f.id = r.fund_id WHERE r.id = ?`+lock, id).Scan(&rs).Error; err != nil {
		return Round{}, err
	}
	if len(rs) == 0 {
		return Round{}, ErrRoundNotFound
	}
	return rs[0], nil
}

// Result is a round's computed result as stored.
type Result struct {
	RoundID      int64  `json:"round_id"`
	Rule         string `json:"rule"`
	RuleName     string `json:"rule_name"`
	TieBreak     string `json:"tie_break"`
	TieBreakName string `json:"tie_break_name"`
	// Utilities says how ballots became what the rule counts.
	Utilities    string    `json:"utilities"`
	Input        Input     `json:"input"`
	Ballots      int       `json:"ballots"`
	BallotDigest string    `json:"ballot_digest"`
	Quorum       int       `json:"quorum"`
	QuorumWaived *string   `json:"quorum_waived_reason"`
	Outcome      Outcome   `json:"outcome"`
	ComputedAt   time.Time `json:"computed_at"`
}

// Explanation returns the explanation of one application, if it was
// eligible.
func (r Result) Explanation(applicationID int64) (Explanation, bool) {
	for _, e := range r.Outcome.Applications {
		if e.ApplicationID == applicationID {
			return e, true
		}
	}
	return Explanation{}, false
}

// Result returns a round's stored result, or ErrNoResult.
func (s *Service) Result(ctx context.Context, roundID int64) (Result, error) {
	var rows []struct {
		RoundID            int64
		Rule               string
		Params             string
		TieBreak           string
		Ballots            int
		BallotDigest       string
		Quorum             int
		QuorumWaivedReason *string
		Outcome            string
		ComputedAt         time.Time
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT round_id, rule, params::text AS params, tie_break, ballots, ballot_digest,
			quorum, quorum_waived_reason, outcome::text AS outcome, computed_at
		FROM round_results WHERE round_id = ?`, roundID).Scan(&rows).Error; err != nil {
		return Result{}, err
	}
	if len(rows) == 0 {
		return Result{}, ErrNoResult
	}
	row := rows[0]
	res := Result{RoundID: row.RoundID, Rule: row.Rule, RuleName: round.RuleName(row.Rule), TieBreak: row.TieBreak,
		TieBreakName: round.TieBreakNames[row.TieBreak], Ballots: row.Ballots, BallotDigest: row.BallotDigest,
		Quorum: row.Quorum, QuorumWaived: row.QuorumWaivedReason, ComputedAt: row.ComputedAt.UTC()}
	if err := json.Unmarshal([]byte(row.Params), &res.Input); err != nil {
		return Result{}, fmt.Errorf("round %d result params: %w", roundID, err)
	}
	if err := json.Unmarshal([]byte(row.Outcome), &res.Outcome); err != nil {
		return Result{}, fmt.Errorf("round %d result outcome: %w", roundID, err)
	}
	res.Utilities = Utilities(res.Input.Method)
	return res, nil
}
