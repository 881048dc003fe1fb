package round

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Limits of a round's fields.
const (
	NameLimit   = 200
	QuorumLimit = 100000
)

// Windows are a round's four dates (UTC). Any of them may be left empty
// while the round is a draft; all must be set before it opens.
type Windows struct {
	ApplicationsOpenAt  *time.Time
	ApplicationsCloseAt *time.Time
	VotingOpenAt        *time.Time
	VotingCloseAt       *time.Time
}

// NewRound is what it takes to create a round. An empty TieBreak is
// lower_cost; an empty Rule is the method's default.
type NewRound struct {
	Name        string
	BudgetMinor int64
	Windows
	Method       string
	MethodParams Params
	Quorum       int
	SecretBallot bool
	TieBreak     string
	Rule         string
}

// Create adds a draft round to a fund. In one transaction it locks the
// fund's row, sums the budgets of the fund's rounds and refuses (409) a
// round that would take them past the fund's budget, so two stewards
// creating rounds at the same moment cannot over-commit it between them.
// Authorization is the caller's.
func (s *Service) Create(ctx context.Context, actorID, fundID int64, in NewRound) (Round, error) {
	r := Round{
		FundID: fundID, Name: strings.TrimSpace(in.Name), BudgetMinor: in.BudgetMinor,
		ApplicationsOpenAt: utcPtr(in.ApplicationsOpenAt), ApplicationsCloseAt: utcPtr(in.ApplicationsCloseAt),
		VotingOpenAt: utcPtr(in.VotingOpenAt), VotingCloseAt: utcPtr(in.VotingCloseAt),
		Method: in.Method, MethodParams: in.MethodParams, Quorum: in.Quorum, SecretBallot: in.SecretBallot,
		TieBreak: in.TieBreak, Rule: strings.TrimSpace(in.Rule), State: Draft, Version: 1,
	}
	if r.TieBreak == "" {
		r.TieBreak = LowerCost
	}
	if r.Rule == "" {
		r.Rule = DefaultRule(r.Method)
	}
	if err := check(r); err != nil {
		return Round{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		f, err := s.funds.GetForUpdate(ctx, fundID)
		if err != nil {
			return err
		}
		if f.Status == fund.Closed {
			return fault.Conflictf("the fund is closed, so it takes no new rounds")
		}
		if err := s.fits(ctx, f, 0, r.BudgetMinor); err != nil {
			return err
		}
		err = tx.Raw(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at,
				voting_open_at, voting_close_at, method, method_params, rule, quorum, secret_ballot, tie_break, state)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.FundID, r.Name, r.BudgetMinor, r.ApplicationsOpenAt, r.ApplicationsCloseAt, r.VotingOpenAt, r.VotingCloseAt,
			r.Method, r.MethodParams, r.Rule, r.Quorum, r.SecretBallot, r.TieBreak, r.State).Scan(&r.ID).Error
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "round.create", ObjectType: "round",
			ObjectID: r.ID, FundID: fundID, Changes: auditFields(r)})
	})
	if err != nil {
		return Round{}, err
	}
	return s.Get(ctx, r.ID)
}

// fits refuses a budget that would take the fund's rounds past the fund's
// budget. The fund must be locked in ctx's transaction; previous is what
// the round being changed holds now (0 for a new round).
func (s *Service) fits(ctx context.Context, f fund.Fund, previous, budget int64) error {
	committed, err := s.Committed(ctx, f.ID)
	if err != nil {
		return err
	}
	left := max(f.BudgetMinor-(committed-previous), 0)
	if budget > left {
		return fault.Conflictf("%s of the fund's budget is left; this round asks for %s",
			money.Format(left, f.Currency), money.Format(budget, f.Currency))
	}
	return nil
}

// WindowChange is an edit of one window; At nil empties it (drafts only).
type WindowChange struct{ At *time.Time }

// Changes is an edit of a round: nil fields stay as they are. Version is
// the version the editor read; an edit of an older version is refused.
type Changes struct {
	Version             int
	Name                *string
	BudgetMinor         *int64
	ApplicationsOpenAt  *WindowChange
	ApplicationsCloseAt *WindowChange
	VotingOpenAt        *WindowChange
	VotingCloseAt       *WindowChange
	Method              *string
	MethodParams        *Params
	Quorum              *int
	SecretBallot        *bool
	TieBreak            *string
	Rule                *string
}

// FrozenOnceVoting lists what can no longer change once voting has opened:
// what decides the outcome. The tie-break is among them although the issue
// names only the others, because it decides the outcome just as the rule
// does.
var FrozenOnceVoting = []string{"budget_minor", "method", "method_params", "quorum", "secret_ballot", "tie_break", "rule"}

// Update edits a round. A stale Version is refused (412), as is a change
// of what decides the outcome once voting has opened (409) and a budget
// the fund cannot cover (409); nothing is written then.
func (s *Service) Update(ctx context.Context, actorID, id int64, ch Changes) (Round, error) {
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		peek, err := s.get(ctx, id, false)
		if err != nil {
			return err
		}
		// Lock the fund before the round, as Create does, when the budget
		// may change: the sum of the fund's budgets must hold still.
		var f fund.Fund
		if ch.BudgetMinor != nil {
			if f, err = s.funds.GetForUpdate(ctx, peek.FundID); err != nil {
				return err
			}
		}
		cur, err := s.get(ctx, id, true)
		if err != nil {
			return err
		}
		if ch.Version != cur.Version {
			return fault.PreconditionFailedf("the round has changed since you read it (you sent version %d; it is at version %d now): read it again and redo your change",
				ch.Version, cur.Version)
		}
		next := apply(cur, ch)
		changed := diff(cur, next)
		if len(changed) == 0 {
			return nil
		}
		if cur.VotingOpened() {
			var frozen []string
			for _, k := range changed {
				if slices.Contains(FrozenOnceVoting, k) {
					frozen = append(frozen, fieldWords[k])
				}
			}
			if len(frozen) > 0 {
				return fault.Conflictf("voting has opened, so the round's budget, method and its parameters, quorum, ballot secrecy, tie-break and rule can no longer change (this edit changes %s)",
					joinWords(frozen))
			}
		}
		if err := check(next); err != nil {
			return err
		}
		if ch.BudgetMinor != nil && next.BudgetMinor != cur.BudgetMinor {
			if err := s.fits(ctx, f, cur.BudgetMinor, next.BudgetMinor); err != nil {
				return err
			}
		}
		err = tx.Exec(`UPDATE rounds SET name = ?, budget_minor = ?, applications_open_at = ?, applications_close_at = ?,
				voting_open_at = ?, voting_close_at = ?, method = ?, method_params = ?, rule = ?, quorum = ?,
				secret_ballot = ?, tie_break = ?, version = version + 1, updated_at = now()
			WHERE id = ?`,
			next.Name, next.BudgetMinor, next.ApplicationsOpenAt, next.ApplicationsCloseAt, next.VotingOpenAt,
			next.VotingCloseAt, next.Method, next.MethodParams, next.Rule, next.Quorum, next.SecretBallot,
			next.TieBreak, id).Error
		if err != nil {
			return err
		}
		all := auditFields(next)
		after := map[string]any{}
		for _, k := range changed {
			after[k] = all[k]
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "round.update", ObjectType: "round",
			ObjectID: id, FundID: cur.FundID, Changes: map[string]any{"version": cur.Version + 1, "changed": after}})
	})
	if err != nil {
		return Round{}, err
	}
	return s.Get(ctx, id)
}

// apply returns cur with the changes made. A method changed without new
// parameters keeps only the parameters the new method has; a method
// changed without a rule moves a default rule to the new method's default.
func apply(cur Round, ch Changes) Round {
	next := cur
	if ch.Name != nil {
		next.Name = strings.TrimSpace(*ch.Name)
	}
	if ch.BudgetMinor != nil {
		next.BudgetMinor = *ch.BudgetMinor
	}
	for _, w := range []struct {
		ch  *WindowChange
		dst **time.Time
	}{
		{ch.ApplicationsOpenAt, &next.ApplicationsOpenAt}, {ch.ApplicationsCloseAt, &next.ApplicationsCloseAt},
		{ch.VotingOpenAt, &next.VotingOpenAt}, {ch.VotingCloseAt, &next.VotingCloseAt},
	} {
		if w.ch != nil {
			*w.dst = utcPtr(w.ch.At)
		}
	}
	if ch.Method != nil {
		next.Method = *ch.Method
	}
	if ch.MethodParams != nil {
		next.MethodParams = *ch.MethodParams
	} else if next.Method != cur.Method {
		next.MethodParams = cur.MethodParams.only(next.Method)
	}
	if ch.Quorum != nil {
		next.Quorum = *ch.Quorum
	}
	if ch.SecretBallot != nil {
		next.SecretBallot = *ch.SecretBallot
	}
	if ch.TieBreak != nil {
		next.TieBreak = *ch.TieBreak
	}
	if ch.Rule != nil {
		next.Rule = strings.TrimSpace(*ch.Rule)
		if next.Rule == "" {
			next.Rule = DefaultRule(next.Method)
		}
	} else if next.Method != cur.Method && cur.Rule == DefaultRule(cur.Method) {
		next.Rule = DefaultRule(next.Method)
	}
	return next
}

// only keeps the parameters that method has.
func (p Params) only(method string) Params {
	switch method {
	case Score:
		return Params{MaxScore: p.MaxScore}
	case Ranking:
		return Params{MaxRanked: p.MaxRanked}
	case Cumulative:
		return Params{Points: p.Points, MaxPerApplication: p.MaxPerApplication}
	}
	return Params{}
}

// diff names the fields (by their JSON names) that differ.
func diff(a, b Round) []string {
	var out []string
	x, y := auditFields(a), auditFields(b)
	for _, k := range fieldOrder {
		if fmt.Sprint(x[k]) != fmt.Sprint(y[k]) {
			out = append(out, k)
		}
	}
	return out
}

var fieldOrder = []string{"name", "budget_minor", "applications_open_at", "applications_close_at", "voting_open_at",
	"voting_close_at", "method", "method_params", "quorum", "secret_ballot", "tie_break", "rule"}

// fieldWords name the fields in messages.
var fieldWords = map[string]string{
	"name": "the name", "budget_minor": "the budget", "applications_open_at": "when applications open",
	"applications_close_at": "when applications close", "voting_open_at": "when voting opens",
	"voting_close_at": "when voting closes", "method": "the method", "method_params": "the method's parameters",
	"quorum": "the quorum", "secret_ballot": "ballot secrecy", "tie_break": "the tie-break", "rule": "the rule",
}

func joinWords(ws []string) string {
	if len(ws) == 1 {
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

// auditFields are a round's editable fields by their JSON names, as the
// audit log records them.
func auditFields(r Round) map[string]any {
	return map[string]any{
		"name": r.Name, "budget_minor": r.BudgetMinor,
		"applications_open_at": timeOrNil(r.ApplicationsOpenAt), "applications_close_at": timeOrNil(r.ApplicationsCloseAt),
		"voting_open_at": timeOrNil(r.VotingOpenAt), "voting_close_at": timeOrNil(r.VotingCloseAt),
		"method": r.Method, "method_params": r.MethodParams, "quorum": r.Quorum, "secret_ballot": r.SecretBallot,
		"tie_break": r.TieBreak, "rule": r.Rule,
	}
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond) // what PostgreSQL keeps
	return &u
}

// check validates a whole round as it would be stored, naming each field
// at fault by its JSON name.
func check(r Round) error {
	var errs validate.Errors
	bad := func(field, msg string) { errs = append(errs, validate.FieldError{Field: field, Message: msg}) }
	switch {
	case r.Name == "":
		bad("name", "is required")
	case len([]rune(r.Name)) > NameLimit:
		bad("name", fmt.Sprintf("must be at most %d characters", NameLimit))
	}
	if r.BudgetMinor <= 0 {
		bad("budget_minor", "must be more than 0")
	}
	if r.State != Draft {
		for _, w := range []struct {
			field string
			t     *time.Time
		}{
			{"applications_open_at", r.ApplicationsOpenAt}, {"applications_close_at", r.ApplicationsCloseAt},
			{"voting_open_at", r.VotingOpenAt}, {"voting_close_at", r.VotingCloseAt},
		} {
			if w.t == nil {
				bad(w.field, "must be set once the round has opened for applications")
			}
		}
	}
	if a, b := r.ApplicationsOpenAt, r.ApplicationsCloseAt; a != nil && b != nil && !b.After(*a) {
		bad("applications_close_at", "must be after applications open")
	}
	if a, b := r.ApplicationsCloseAt, r.VotingOpenAt; a != nil && b != nil && b.Before(*a) {
		bad("voting_open_at", "must not be before applications close")
	}
	if a, b := r.VotingOpenAt, r.VotingCloseAt; a != nil && b != nil && !b.After(*a) {
		bad("voting_close_at", "must be after voting opens")
	}
	if !slices.Contains(Methods, r.Method) {
		bad("method", "must be one of: "+strings.Join(Methods, ", "))
	} else {
		errs = append(errs, checkParams(r.Method, r.MethodParams)...)
	}
	if r.Quorum < 0 || r.Quorum > QuorumLimit {
		bad("quorum", fmt.Sprintf("must be a whole number from 0 to %d", QuorumLimit))
	}
	if r.TieBreak != LowerCost && r.TieBreak != EarlierApplication {
		bad("tie_break", "must be one of: lower_cost, earlier_application")
	}
	if msg := checkRule(r.Method, r.Rule); msg != "" {
		bad("rule", msg)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
