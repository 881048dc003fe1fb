// Package round owns a fund's rounds: budget (never over-committing the
// fund), application and voting windows, voting method and parameters,
// quorum, secrecy, tie-break and allocation rule, and the state machine
// draft → accepting → review → voting → closed → decided.
//
// Authorization is the caller's (the HTTP edge asks the authorizer); the
// rules that hold whoever asks — a round moves one step at a time, money
// never over-commits, what freezes once voting opens — are kept here.
package round

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/store"
)

// States of a round, in the only order a round moves through them.
const (
	Draft     = "draft"
	Accepting = "accepting"
	Review    = "review"
	Voting    = "voting"
	Closed    = "closed"
	Decided   = "decided"
)

// States lists the states in order.
var States = []string{Draft, Accepting, Review, Voting, Closed, Decided}

// StateNames are the states as people read them.
var StateNames = map[string]string{
	Draft:     "draft",
	Accepting: "accepting applications",
	Review:    "panel review",
	Voting:    "voting",
	Closed:    "voting closed, decision pending",
	Decided:   "decided",
}

// StatePhrases complete "This round …" for each state.
var StatePhrases = map[string]string{
	Draft:     "is a draft",
	Accepting: "is accepting applications",
	Review:    "is in panel review",
	Voting:    "is open for voting",
	Closed:    "has closed for voting; its decision is pending",
	Decided:   "is decided",
}

// Tie-break rules: which of two applications with exactly the same support
// is funded first.
const (
	LowerCost          = "lower_cost"
	EarlierApplication = "earlier_application"
)

// TieBreakNames are the tie-break rules as people read them.
var TieBreakNames = map[string]string{
	LowerCost:          "the application asking for less money is funded first",
	EarlierApplication: "the application submitted first is funded first",
}

// Round is one allocation within a fund.
type Round struct {
	ID          int64  `json:"id" gorm:"primaryKey;->"`
	FundID      int64  `json:"fund_id"`
	Name        string `json:"name"`
	BudgetMinor int64  `json:"budget_minor"`
	// Currency is the fund's: a round's money is always in it.
	Currency            string     `json:"currency" gorm:"->"`
	ApplicationsOpenAt  *time.Time `json:"applications_open_at"`
	ApplicationsCloseAt *time.Time `json:"applications_close_at"`
	VotingOpenAt        *time.Time `json:"voting_open_at"`
	VotingCloseAt       *time.Time `json:"voting_close_at"`
	Method              string     `json:"method"`
	MethodParams        Params     `json:"method_params"`
	Rule                string     `json:"rule"`
	Quorum              int        `json:"quorum"`
	SecretBallot        bool       `json:"secret_ballot"`
	TieBreak            string     `json:"tie_break"`
	State               string     `json:"state"`
	Version             int        `json:"version"`
	CreatedAt           time.Time  `json:"created_at" gorm:"->"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// TableName tells GORM the table.
func (Round) TableName() string { return "rounds" }

// VotingOpened reports whether voting has opened: from then on what decides
// the outcome is frozen.
func (r Round) VotingOpened() bool {
	return r.State == Voting || r.State == Closed || r.State == Decided
}

// WindowsSet reports whether all four windows have dates.
func (r Round) WindowsSet() bool {
	return r.ApplicationsOpenAt != nil && r.ApplicationsCloseAt != nil && r.VotingOpenAt != nil && r.VotingCloseAt != nil
}

// utc puts every time in UTC, whatever the connection's time zone, so the
// API always answers in UTC.
func (r *Round) utc() {
	for _, t := range []*time.Time{r.ApplicationsOpenAt, r.ApplicationsCloseAt, r.VotingOpenAt, r.VotingCloseAt, &r.CreatedAt, &r.UpdatedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
}

// Visible reports whether a round may be shown to someone. A draft round,
// and every round of a draft fund, is seen only by those who may read
// drafts (stewards and the panel chair; the caller asks the authorizer);
// everyone else is told it does not exist.
func Visible(r Round, fundStatus string, mayReadDrafts bool) bool {
	return mayReadDrafts || (r.State != Draft && fundStatus != fund.Draft)
}

// Funds is what the round domain needs of funds: to read one, and to lock
// one while its rounds' budgets are summed.
type Funds interface {
	Get(ctx context.Context, id int64) (fund.Fund, error)
	GetForUpdate(ctx context.Context, id int64) (fund.Fund, error)
}

// Service is the round domain's entry point.
type Service struct {
	db      *gorm.DB
	funds   Funds
	onClose func(ctx context.Context, actorID int64, r Round) error
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, funds Funds) *Service { return &Service{db: db, funds: funds} }

// ErrNotFound is a round that does not exist (or that you may not know of).
var ErrNotFound = fault.NotFoundf("round not found")

const selectRound = `SELECT r.*, f.currency FROM rounds r JOIN funds f ON f.id = r.fund_id`

// Get returns one round.
func (s *Service) Get(ctx context.Context, id int64) (Round, error) {
	return s.get(ctx, id, false)
}

// get reads a round, locking its row until the transaction in ctx ends
// when forUpdate is set.
func (s *Service) get(ctx context.Context, id int64, forUpdate bool) (Round, error) {
	q := selectRound + ` WHERE r.id = ?`
	if forUpdate {
		q += ` FOR UPDATE OF r`
	}
	var rs []Round
	if err := store.Conn(ctx, s.db).Raw(q, id).Scan(&rs).Error; err != nil {
		return Round{}, err
	}
	if len(rs) == 0 {
		return Round{}, ErrNotFound
	}
	rs[0].utc()
	return rs[0], nil
}

// List returns a page of a fund's rounds, newest first; draft rounds only
// when withDrafts is set.
func (s *Service) List(ctx context.Context, fundID int64, withDrafts bool, offset, limit int) ([]Round, int64, error) {
	where, args := ` WHERE r.fund_id = ?`, []any{fundID}
	if !withDrafts {
		where += ` AND r.state <> ?`
		args = append(args, Draft)
	}
	var total int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM rounds r`+where, args...).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var rs []Round
	err := store.Conn(ctx, s.db).Raw(selectRound+where+` ORDER BY r.id DESC OFFSET ? LIMIT ?`,
		append(args, offset, limit)...).Scan(&rs).Error
	for i := range rs {
		rs[i].utc()
	}
	return rs, total, err
}

// Committed returns how much of a fund's budget its rounds hold, in minor
// units. Within a transaction that has locked the fund (GetForUpdate) the
// figure cannot change before the transaction ends.
func (s *Service) Committed(ctx context.Context, fundID int64) (int64, error) {
	var n int64
	err := store.Conn(ctx, s.db).Raw(`SELECT coalesce(sum(budget_minor), 0) FROM rounds WHERE fund_id = ?`, fundID).Scan(&n).Error
	return n, err
}
