// Package ballot owns panel members' ballots: one per member per round
// (the database guarantees it), for the round's voting method, revised
// freely while voting is open and frozen after.
//
// Authorization (who may cast, who may see turnout) is the caller's: the
// HTTP edge asks the authorizer. What holds whoever asks lives here: a
// ballot names only the round's submitted applications, fits the method's
// rules, leaves out applications the member is recused from or has not
// declared on, and is written only while the round is voting. A secret
// round's audit events name neither the voter nor the ballot's contents.
package ballot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
)

// DontKnow is the score of an application a member does not feel able to
// judge: it counts neither for nor against it.
const DontKnow = "dont_know"

// Errors of this domain.
var (
	ErrRoundNotFound = fault.NotFoundf("round not found")
	ErrNotFound      = fault.NotFoundf("you have not cast a ballot in this round")
	ErrNotOpen       = fault.Conflictf("voting is not open")
	ErrClosed        = fault.Conflictf("voting has closed")
)

// Contents is a whole ballot. Only the field of the round's method is set:
// approvals (approval, approval_budget), scores (score; application id →
// 0..N or "dont_know"), ranking (ranking; most preferred first) or points
// (cumulative; application id → points).
type Contents struct {
	Approvals []int64                    `json:"approvals,omitempty"`
	Scores    map[string]json.RawMessage `json:"scores,omitempty"`
	Ranking   []int64                    `json:"ranking,omitempty"`
	Points    map[string]int             `json:"points,omitempty"`
}

// Ballot is one member's ballot in a round.
type Ballot struct {
	ID      int64  `json:"id"`
	RoundID int64  `json:"round_id"`
	UserID  int64  `json:"user_id"`
	Method  string `json:"method"`
	Contents
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Round is what ballots need to know of a round.
type Round struct {
	ID           int64
	FundID       int64
	Name         string
	State        string
	Method       string
	MethodParams round.Params
	BudgetMinor  int64
	SecretBallot bool
}

// CheckOpen says whether ballots may be cast or revised in the round.
func (r Round) CheckOpen() error {
	switch r.State {
	case round.Voting:
		return nil
	case round.Closed, round.Decided:
		return ErrClosed
	}
	return ErrNotOpen
}

// Application is an application a member may find on their ballot, with
// their declaration on it ("" if none yet).
type Application struct {
	ID               int64  `json:"id"`
	Title            string `json:"title"`
	OrganisationName string `json:"organisation_name"`
	AmountMinor      int64  `json:"amount_minor"`
	Declaration      string `json:"-"`
}

// Votable reports whether the member may vote on the application.
func (a Application) Votable() bool { return a.Declaration == "none" || a.Declaration == "disclosed" }

// Service is the ballot domain's entry point.
type Service struct {
	db *gorm.DB
	// funds caches each round's fund: a round never moves to another
	// fund, and the edge asks for it on every ballot request.
	funds sync.Map // round id → fund id
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// FundOf returns the fund a round belongs to, or ErrRoundNotFound. It is
// what authorizing a ballot request needs, without reading the round
// (which Cast reads, locked, anyway).
func (s *Service) FundOf(ctx context.Context, roundID int64) (int64, error) {
	if f, ok := s.funds.Load(roundID); ok {
		return f.(int64), nil
	}
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT fund_id FROM rounds WHERE id = ?`, roundID).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, ErrRoundNotFound
	}
	s.funds.Store(roundID, ids[0])
	return ids[0], nil
}

const selectRound = `SELECT id, fund_id, name, state, method, method_params, budget_minor, secret_ballot FROM rounds WHERE id = ?`

// Round returns one round as ballots see it.
func (s *Service) Round(ctx context.Context, id int64) (Round, error) {
	return s.round(ctx, id, "")
}

func (s *Service) round(ctx context.Context, id int64, lock string) (Round, error) {
	var rs []Round
	if err := store.Conn(ctx, s.db).Raw(selectRound+lock, id).Scan(&rs).Error; err != nil {
		return Round{}, err
	}
	if len(rs) == 0 {
		return Round{}, ErrRoundNotFound
	}
	return rs[0], nil
}

// Applications lists the round's submitted applications with userID's
// declaration on each, in id order.
func (s *Service) Applications(ctx context.Context, roundID, userID int64) ([]Application, error) {
	var out []Application
	err := store.Conn(ctx, s.db).Raw(`SELECT a.id, a.title, o.name AS organisation_name, a.amount_minor,
			coalesce(d.kind, '') AS declaration
		FROM applications a JOIN organisations o ON o.id = a.organisation_id
		LEFT JOIN declarations d ON d.application_id = a.id AND d.user_id = ?
		WHERE a.round_id = ? AND a.state = 'submitted' ORDER BY a.id`, userID, roundID).Scan(&out).Error
	return out, err
}

// Check validates a ballot for userID in the round without writing it (the
// review step of the voting page).
func (s *Service) Check(ctx context.Context, userID, roundID int64, in Contents) (Contents, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return Contents{}, err
	}
	if err := r.CheckOpen(); err != nil {
		return Contents{}, err
	}
	apps, err := s.Applications(ctx, roundID, userID)
	if err != nil {
		return Contents{}, err
	}
	return Validate(r, apps, in)
}

// Cast writes userID's whole ballot in a round, replacing any earlier one,
// with its audit event, in one transaction; created says whether it is the
// first. Outside voting it is refused with a Conflict and nothing written.
func (s *Service) Cast(ctx context.Context, userID, roundID int64, in Contents) (b Ballot, created bool, err error) {
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		// The share lock keeps the round from closing between the check
		// and the write; ballots cast at once do not wait on each other.
		r, err := s.round(ctx, roundID, ` FOR SHARE`)
		if err != nil {
			return err
		}
		if err := r.CheckOpen(); err != nil {
			return err
		}
		apps, err := s.Applications(ctx, roundID, userID)
		if err != nil {
			return err
		}
		clean, err := Validate(r, apps, in)
		if err != nil {
			return err
		}
		body, err := json.Marshal(clean)
		if err != nil {
			return err
		}
		var row struct {
			ID        int64
			Version   int
			CreatedAt time.Time
			UpdatedAt time.Time
			Inserted  bool
		}
		if err := tx.Raw(`INSERT INTO ballots (round_id, user_id, contents) VALUES (?, ?, ?::jsonb)
			ON CONFLICT (round_id, user_id) DO UPDATE
				SET contents = EXCLUDED.contents, version = ballots.version + 1, updated_at = now()
			RETURNING id, version, created_at, updated_at, (xmax = 0) AS inserted`,
			roundID, userID, string(body)).Scan(&row).Error; err != nil {
			return err
		}
		created = row.Inserted
		action := "ballot.revise"
		if created {
			action = "ballot.cast"
		}
		entry := audit.Entry{ActorID: userID, Action: action, ObjectType: "ballot", ObjectID: row.ID, FundID: r.FundID,
			Changes: map[string]any{"round_id": roundID, "version": row.Version, "ballot": clean}}
		if r.SecretBallot {
			// A secret round's event says only that a ballot was cast in
			// the round: not whose (with one voter, who plus the result
			// would say how), not which ballot, not what it held.
			entry = audit.Entry{Action: action, ObjectType: "round", ObjectID: roundID, FundID: r.FundID,
				Changes: map[string]any{"round_id": roundID}}
		}
		if err := audit.Record(ctx, s.db, entry); err != nil {
			return err
		}
		b = Ballot{ID: row.ID, RoundID: roundID, UserID: userID, Method: r.Method, Contents: clean,
			Version: row.Version, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}
		return nil
	})
	return b, created, err
}

// Get returns userID's own ballot in a round, or ErrNotFound.
func (s *Service) Get(ctx context.Context, roundID, userID int64) (Ballot, error) {
	var rows []struct {
		ID        int64
		Method    string
		Contents  string
		Version   int
		CreatedAt time.Time
		UpdatedAt time.Time
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT b.id, r.method, b.contents::text AS contents, b.version, b.created_at, b.updated_at
		FROM ballots b JOIN rounds r ON r.id = b.round_id WHERE b.round_id = ? AND b.user_id = ?`,
		roundID, userID).Scan(&rows).Error; err != nil {
		return Ballot{}, err
	}
	if len(rows) == 0 {
		return Ballot{}, ErrNotFound
	}
	r := rows[0]
	b := Ballot{ID: r.ID, RoundID: roundID, UserID: userID, Method: r.Method, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Contents), &b.Contents); err != nil {
		return Ballot{}, fmt.Errorf("ballot %d: %w", r.ID, err)
	}
	return b, nil
}

// Published is one ballot of a decided round that was not secret: once the
// results are published its ballots are public, with who cast them.
type Published struct {
	UserID      int64  `json:"user_id"`
	DisplayName string `json:"display_name"`
	Method      string `json:"method"`
	Contents
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrNotPublished: the round's ballots are not public (the round is not
// decided yet, or its ballots are secret, which they stay for ever).
var ErrNotPublished = fault.NotFoundf("this round's ballots are not published: they are published once the decision is final, and never in a secret round")

// PublishedBallots returns every ballot of a decided, open (not secret)
// round, by voter name; ErrNotPublished for any other round.
func (s *Service) PublishedBallots(ctx context.Context, roundID int64) ([]Published, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return nil, err
	}
	if r.State != round.Decided || r.SecretBallot {
		return nil, ErrNotPublished
	}
	var rows []struct {
		UserID      int64
		DisplayName string
		Contents    string
		UpdatedAt   time.Time
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT b.user_id, u.display_name, b.contents::text AS contents, b.updated_at
		FROM ballots b JOIN users u ON u.id = b.user_id WHERE b.round_id = ? ORDER BY u.display_name, b.user_id`, roundID).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Published, 0, len(rows))
	for _, row := range rows {
		p := Published{UserID: row.UserID, DisplayName: row.DisplayName, Method: r.Method, UpdatedAt: row.UpdatedAt.UTC()}
		if err := json.Unmarshal([]byte(row.Contents), &p.Contents); err != nil {
			return nil, fmt.Errorf("round %d: a ballot is unreadable: %w", roundID, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Turnout is how many of a round's panel have voted: counts only, never
// who or how.
type Turnout struct {
	RoundID   int64 `json:"round_id"`
	Voted     int64 `json:"voted"`
	PanelSize int64 `json:"panel_size"`
}

// Turnout counts a round's ballots and its fund's panel.
func (s *Service) Turnout(ctx context.Context, roundID int64) (Turnout, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return Turnout{}, err
	}
	t := Turnout{RoundID: roundID}
	if err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM ballots WHERE round_id = ?`, roundID).Scan(&t.Voted).Error; err != nil {
		return Turnout{}, err
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT count(*) FROM panel_members WHERE fund_id = ?`, r.FundID).Scan(&t.PanelSize).Error; err != nil {
		return Turnout{}, err
	}
	return t, nil
}

// IsNotFound reports whether err is a missing ballot.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
