package round_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is a fresh database with the round service on it.
type fixture struct {
	db  *gorm.DB
	svc *round.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.DB(t)
	return &fixture{db: db, svc: round.NewService(db, fund.NewService(db, nil))}
}

func (f *fixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if err := f.db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.db.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// fund makes a fund in GBP with budget (minor units) and status.
func (f *fixture) fund(t *testing.T, budget int64, status string) int64 {
	t.Helper()
	var org, id int64
	if err := f.db.Raw(`INSERT INTO organisations (name, kind) VALUES ('Riverside Trust', 'funder') RETURNING id`).Scan(&org).Error; err != nil {
		t.Fatal(err)
	}
	err := f.db.Raw(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
			budget_minor, currency, system_scale, status)
		VALUES (?, 'Growing Together', 'belonging', 'young people', 'Riverside', ?, 'GBP', 'place', ?) RETURNING id`,
		org, budget, status).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var (
	appsOpen   = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	appsClose  = time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC)
	voteOpen   = time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	voteClose  = time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC)
	allWindows = round.Windows{ApplicationsOpenAt: &appsOpen, ApplicationsCloseAt: &appsClose, VotingOpenAt: &voteOpen, VotingCloseAt: &voteClose}
)

func newRound(budget int64) round.NewRound {
	return round.NewRound{Name: "Spring round", BudgetMinor: budget, Windows: allWindows, Method: round.Approval, Quorum: 3}
}

// round creates a round and puts it straight into state (fixtures skip
// the transitions the transition tests walk through).
func (f *fixture) round(t *testing.T, fundID int64, in round.NewRound, state string) round.Round {
	t.Helper()
	r, err := f.svc.Create(context.Background(), 0, fundID, in)
	if err != nil {
		t.Fatal(err)
	}
	f.exec(t, `UPDATE rounds SET state = ? WHERE id = ?`, state, r.ID)
	r, err = f.svc.Get(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// application adds an application in state to a round.
func (f *fixture) application(t *testing.T, r round.Round, state string) {
	t.Helper()
	var org int64
	if err := f.db.Raw(`INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`).Scan(&org).Error; err != nil {
		t.Fatal(err)
	}
	var reason any
	if state == "ineligible" {
		reason = "outside the fund's area"
	}
	f.exec(t, `INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn,
			amount_minor, state, ineligible_reason)
		VALUES (?, ?, ?, 'Garden club', 'x', 'y', 'z', 50000, ?, ?)`, r.ID, r.FundID, org, state, reason)
}

func wantFault(t *testing.T, err error, kind fault.Kind, contains string) {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Kind != kind {
		t.Fatalf("error %v, want a fault of kind %d", err, kind)
	}
	if !strings.Contains(f.Message, contains) {
		t.Fatalf("message %q does not say %q", f.Message, contains)
	}
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok {
		t.Fatalf("error %v, want validation errors on %v", err, fields)
	}
	got := map[string]bool{}
	for _, fe := range ve {
		got[fe.Field] = true
	}
	for _, f := range fields {
		if !got[f] {
			t.Errorf("no error on %s in %v", f, ve)
		}
	}
	if len(got) != len(fields) {
		t.Errorf("errors on %v, want exactly %v", ve, fields)
	}
}

// TestConcurrentRoundsNeverOverCommit: two stewards create rounds at the
// same moment whose budgets together exceed the fund's; exactly one is
// created, the other is refused with 409 saying how much is left, and
// nothing else is written. The test holds the fund's row lock until both
// creations are waiting on it, so they truly race.
func TestConcurrentRoundsNeverOverCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 300000, fund.Open) // £3,000.00
	f.round(t, fundID, newRound(100000), round.Draft)
	eventsBefore := f.count(t, `SELECT count(*) FROM audit_events`)

	blocker := f.db.Begin()
	if err := blocker.Exec(`SELECT id FROM funds WHERE id = ? FOR UPDATE`, fundID).Error; err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			in := newRound(150000) // £1,500.00 each: £1,000 + 2 × £1,500 > £3,000
			in.Name = []string{"Round A", "Round B"}[i]
			_, errs[i] = f.svc.Create(context.Background(), 0, fundID, in)
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) < 2 {
		if time.Now().After(deadline) {
			blocker.Rollback()
			t.Fatal("the two creations never both waited on the fund's lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := blocker.Commit().Error; err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	var ok, refused int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		default:
			wantFault(t, err, fault.Conflict, "£500.00 of the fund's budget is left; this round asks for £1,500.00")
			refused++
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("%d created and %d refused, want one of each: %v", ok, refused, errs)
	}
	if n := f.count(t, `SELECT count(*) FROM rounds WHERE fund_id = ?`, fundID); n != 2 {
		t.Errorf("the fund has %d rounds, want 2 (the first and one of the two)", n)
	}
	if n := f.count(t, `SELECT sum(budget_minor) FROM rounds WHERE fund_id = ?`, fundID); n != 250000 {
		t.Errorf("rounds hold %d, want 250000", n)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events`) - eventsBefore; n != 1 {
		t.Errorf("%d audit events written, want 1", n)
	}
}

func TestCreateRefusesWhatTheFundCannotCover(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 325000, fund.Open)
	f.round(t, fundID, newRound(200000), round.Draft)
	_, err := f.svc.Create(context.Background(), 0, fundID, newRound(200000))
	wantFault(t, err, fault.Conflict, "£1,250.00 of the fund's budget is left; this round asks for £2,000.00")
	if _, err := f.svc.Create(context.Background(), 0, fundID, newRound(125000)); err != nil {
		t.Fatalf("a round taking exactly what is left: %v", err)
	}
	_, err = f.svc.Create(context.Background(), 0, fundID, newRound(1))
	wantFault(t, err, fault.Conflict, "£0.00 of the fund's budget is left; this round asks for £0.01")

	closed := f.fund(t, 100000, fund.Closed)
	_, err = f.svc.Create(context.Background(), 0, closed, newRound(100))
	wantFault(t, err, fault.Conflict, "the fund is closed")
	_, err = f.svc.Create(context.Background(), 0, 999999, newRound(100))
	wantFault(t, err, fault.NotFound, "fund not found")
	if n := f.count(t, `SELECT count(*) FROM rounds`); n != 2 {
		t.Errorf("%d rounds, want 2", n)
	}
}

func TestCreateStoresDefaultsAndEverything(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 1000000, fund.Draft)
	ctx := context.Background()

	r, err := f.svc.Create(ctx, 0, fundID, newRound(500000))
	if err != nil {
		t.Fatal(err)
	}
	if r.State != round.Draft || r.Version != 1 || r.Rule != "mes_cost_add1_greedy" || r.TieBreak != round.LowerCost ||
		r.Currency != "GBP" || r.Quorum != 3 || !r.ApplicationsOpenAt.Equal(appsOpen) || r.VotingCloseAt.Location() != time.UTC {
		t.Errorf("created %+v", r)
	}

	in := round.NewRound{Name: "  Points round ", BudgetMinor: 100, Method: round.Cumulative,
		MethodParams: round.Params{Points: 10, MaxPerApplication: 4}, SecretBallot: true, TieBreak: round.EarlierApplication}
	r, err = f.svc.Create(ctx, 0, fundID, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Points round" || got.Rule != "mes_points_greedy" || got.MethodParams != in.MethodParams || !got.SecretBallot ||
		got.TieBreak != round.EarlierApplication || got.ApplicationsOpenAt != nil || got.WindowsSet() {
		t.Errorf("stored %+v", got)
	}
	var raw string
	if err := f.db.Raw(`SELECT method_params::text FROM rounds WHERE id = ?`, r.ID).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	if raw != `{"points": 10, "max_per_application": 4}` {
		t.Errorf("method_params stored as %s", raw)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'round.create' AND fund_id = ?`, fundID); n != 2 {
		t.Errorf("%d round.create events, want 2", n)
	}

	rs, total, err := f.svc.List(ctx, fundID, true, 0, 10)
	if err != nil || total != 2 || len(rs) != 2 || rs[0].ID != r.ID || rs[0].Currency != "GBP" {
		t.Errorf("list with drafts: %v %d %+v", err, total, rs)
	}
	rs, total, err = f.svc.List(ctx, fundID, false, 0, 10)
	if err != nil || total != 0 || len(rs) != 0 {
		t.Errorf("list without drafts: %v %d %+v", err, total, rs)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 1000000, fund.Open)
	early := appsOpen.Add(-time.Hour)
	for _, tc := range []struct {
		name   string
		edit   func(*round.NewRound)
		fields []string
	}{
		{"blank-name", func(in *round.NewRound) { in.Name = "  " }, []string{"name"}},
		{"long-name", func(in *round.NewRound) { in.Name = strings.Repeat("x", 201) }, []string{"name"}},
		{"zero-budget", func(in *round.NewRound) { in.BudgetMinor = 0 }, []string{"budget_minor"}},
		{"applications-close-before-open", func(in *round.NewRound) { in.ApplicationsCloseAt = &early }, []string{"applications_close_at"}},
		{"voting-before-applications-close", func(in *round.NewRound) { in.VotingOpenAt = &appsOpen }, []string{"voting_open_at"}},
		{"voting-closes-before-it-opens", func(in *round.NewRound) { in.VotingCloseAt = &appsClose }, []string{"voting_close_at"}},
		{"unknown-method", func(in *round.NewRound) { in.Method = "dice" }, []string{"method"}},
		{"score-without-max", func(in *round.NewRound) { in.Method = round.Score }, []string{"method_params.max_score"}},
		{"score-over-100", func(in *round.NewRound) {
			in.Method, in.MethodParams = round.Score, round.Params{MaxScore: 101}
		}, []string{"method_params.max_score"}},
		{"approval-with-params", func(in *round.NewRound) { in.MethodParams = round.Params{Points: 5} }, []string{"method_params.points"}},
		{"cumulative-more-per-application-than-points", func(in *round.NewRound) {
			in.Method, in.MethodParams = round.Cumulative, round.Params{Points: 5, MaxPerApplication: 6}
		}, []string{"method_params.max_per_application"}},
		{"cumulative-without-points", func(in *round.NewRound) { in.Method = round.Cumulative },
			[]string{"method_params.points", "method_params.max_per_application"}},
		{"ranking-negative", func(in *round.NewRound) {
			in.Method, in.MethodParams = round.Ranking, round.Params{MaxRanked: -1}
		}, []string{"method_params.max_ranked"}},
		{"negative-quorum", func(in *round.NewRound) { in.Quorum = -1 }, []string{"quorum"}},
		{"unknown-tie-break", func(in *round.NewRound) { in.TieBreak = "coin" }, []string{"tie_break"}},
		{"unknown-rule", func(in *round.NewRound) { in.Rule = "mes_vibes" }, []string{"rule"}},
		{"points-rule-for-approval", func(in *round.NewRound) { in.Rule = "mes_points" }, []string{"rule"}},
		{"phragmen-for-scores", func(in *round.NewRound) {
			in.Method, in.MethodParams, in.Rule = round.Score, round.Params{MaxScore: 5}, "phragmen"
		}, []string{"rule"}},
		{"add0-rule", func(in *round.NewRound) { in.Rule = "mes_cost_add0" }, []string{"rule"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newRound(100)
			tc.edit(&in)
			_, err := f.svc.Create(context.Background(), 0, fundID, in)
			wantFields(t, err, tc.fields...)
		})
	}
	for _, rule := range []string{"mes_cost_add5", "mes_card_add250", "mes_cost_add10_greedy", "phragmen", "greedy_card"} {
		in := newRound(100)
		in.Rule = rule
		if _, err := f.svc.Create(context.Background(), 0, fundID, in); err != nil {
			t.Errorf("rule %s: %v", rule, err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM rounds WHERE rule NOT IN ('mes_cost_add5', 'mes_card_add250', 'mes_cost_add10_greedy', 'phragmen', 'greedy_card')`); n != 0 {
		t.Errorf("%d invalid rounds written", n)
	}
}

// snapshot is what a refused change must leave as it was.
type snapshot struct {
	State                string
	Version, Transitions int64
	Events               int64
}

func (f *fixture) snapshot(t *testing.T, id int64) snapshot {
	t.Helper()
	var s snapshot
	if err := f.db.Raw(`SELECT state, version FROM rounds WHERE id = ?`, id).Row().Scan(&s.State, &s.Version); err != nil {
		t.Fatal(err)
	}
	s.Transitions = f.count(t, `SELECT count(*) FROM round_transitions WHERE round_id = ?`, id)
	s.Events = f.count(t, `SELECT count(*) FROM audit_events`)
	return s
}

func TestInvalidTransitionsAre409AndChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	open := f.fund(t, 100000000, fund.Open)
	draftFund := f.fund(t, 100000000, fund.Draft)
	closedFund := f.fund(t, 100000000, fund.Open) // closed once its round exists
	noWindows := newRound(100)
	noWindows.Windows = round.Windows{ApplicationsOpenAt: &appsOpen, VotingOpenAt: &voteOpen}

	for _, tc := range []struct {
		name   string
		fund   int64
		in     round.NewRound
		from   string
		apps   []string
		to     string
		reason string
	}{
		{"draft-to-draft-409", open, newRound(100), round.Draft, nil, round.Draft, "already in draft"},
		{"draft-to-review-skips-409", open, newRound(100), round.Draft, nil, round.Review,
			"one step at a time: from draft it can only move to accepting applications, not to panel review"},
		{"draft-to-voting-skips-409", open, newRound(100), round.Draft, []string{"submitted"}, round.Voting, "one step at a time"},
		{"draft-to-decided-skips-409", open, newRound(100), round.Draft, nil, round.Decided, "one step at a time"},
		{"accepting-without-windows-409", open, noWindows, round.Draft, nil, round.Accepting,
			"until its windows are set (missing: when applications close and when voting closes)"},
		{"accepting-in-draft-fund-409", draftFund, newRound(100), round.Draft, nil, round.Accepting, "the fund is still a draft"},
		{"accepting-in-closed-fund-409", closedFund, newRound(100), round.Draft, nil, round.Accepting, "the fund is closed"},
		{"accepting-back-to-draft-409", open, newRound(100), round.Accepting, nil, round.Draft,
			"never goes back: it is in accepting applications and can only move on to panel review"},
		{"accepting-to-voting-skips-409", open, newRound(100), round.Accepting, []string{"submitted"}, round.Voting, "one step at a time"},
		{"accepting-to-decided-skips-409", open, newRound(100), round.Accepting, nil, round.Decided, "one step at a time"},
		{"review-back-to-accepting-409", open, newRound(100), round.Review, nil, round.Accepting, "never goes back"},
		{"review-to-decided-skips-409", open, newRound(100), round.Review, []string{"submitted"}, round.Decided, "one step at a time"},
		{"voting-without-eligible-applications-409", open, newRound(100), round.Review, []string{"withdrawn", "ineligible"}, round.Voting,
			"voting cannot open: the round has no eligible applications"},
		{"voting-without-any-applications-409", open, newRound(100), round.Review, nil, round.Voting, "no eligible applications"},
		{"voting-back-to-review-409", open, newRound(100), round.Voting, nil, round.Review, "never goes back"},
		{"voting-to-voting-409", open, newRound(100), round.Voting, nil, round.Voting, "already in voting"},
		{"voting-to-decided-skips-409", open, newRound(100), round.Voting, nil, round.Decided, "one step at a time"},
		{"closed-to-decided-by-hand-409", open, newRound(100), round.Closed, nil, round.Decided, "when the panel chair makes its decision final"},
		{"decided-to-anything-409", open, newRound(100), round.Decided, nil, round.Voting, "the round is decided; it does not move any further"},
		{"decided-to-decided-409", open, newRound(100), round.Decided, nil, round.Decided, "decided"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.round(t, tc.fund, tc.in, tc.from)
			if tc.fund == closedFund {
				f.exec(t, `UPDATE funds SET status = 'closed' WHERE id = ?`, closedFund)
			}
			for _, s := range tc.apps {
				f.application(t, r, s)
			}
			before := f.snapshot(t, r.ID)
			_, err := f.svc.Transition(context.Background(), 0, r.ID, tc.to)
			wantFault(t, err, fault.Conflict, tc.reason)
			if after := f.snapshot(t, r.ID); after != before {
				t.Errorf("a refused transition changed %+v into %+v", before, after)
			}
		})
	}

	t.Run("unknown-state-422", func(t *testing.T) {
		r := f.round(t, open, newRound(100), round.Draft)
		_, err := f.svc.Transition(context.Background(), 0, r.ID, "archived")
		wantFields(t, err, "to")
	})
	t.Run("no-such-round-404", func(t *testing.T) {
		_, err := f.svc.Transition(context.Background(), 0, 999999, round.Accepting)
		wantFault(t, err, fault.NotFound, "round not found")
	})
}

func TestARoundWalksForwardOneStepAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 1000000, fund.Open)
	r := f.round(t, fundID, newRound(100000), round.Draft)
	ctx := context.Background()
	for i, to := range []string{round.Accepting, round.Review, round.Voting, round.Closed} {
		if to == round.Voting {
			f.application(t, r, "submitted")
		}
		got, err := f.svc.Transition(ctx, 0, r.ID, to)
		if err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
		if got.State != to || got.Version != i+2 {
			t.Fatalf("to %s: state %s version %d", to, got.State, got.Version)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM round_transitions WHERE round_id = ?`, r.ID); n != 4 {
		t.Errorf("%d transitions recorded, want 4", n)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'round.transition' AND object_id = ? AND fund_id = ?`,
		fmt.Sprint(r.ID), fundID); n != 4 {
		t.Errorf("%d transition events, want 4", n)
	}
	var from, to string
	if err := f.db.Raw(`SELECT from_state, to_state FROM round_transitions WHERE round_id = ? ORDER BY id DESC LIMIT 1`, r.ID).
		Row().Scan(&from, &to); err != nil || from != round.Voting || to != round.Closed {
		t.Errorf("last transition %s → %s (%v)", from, to, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestEditsAreFrozenOnceVotingOpened(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 100000000, fund.Open)
	later := voteClose.Add(24 * time.Hour)
	for _, state := range []string{round.Voting, round.Closed, round.Decided} {
		for _, tc := range []struct {
			name string
			ch   round.Changes
			says string
		}{
			{"budget", round.Changes{BudgetMinor: ptr[int64](200)}, "this edit changes the budget"},
			{"method", round.Changes{Method: ptr(round.Score), MethodParams: &round.Params{MaxScore: 5}},
				"this edit changes the method, the method's parameters and the rule"},
			{"params", round.Changes{Method: ptr(round.Score), MethodParams: &round.Params{MaxScore: 5}}, "the method's parameters"},
			{"quorum", round.Changes{Quorum: ptr(9)}, "this edit changes the quorum"},
			{"secrecy", round.Changes{SecretBallot: ptr(true)}, "ballot secrecy"},
			{"tie-break", round.Changes{TieBreak: ptr(round.EarlierApplication)}, "the tie-break"},
			{"rule", round.Changes{Rule: ptr("greedy_cost")}, "the rule"},
			{"budget-and-name", round.Changes{BudgetMinor: ptr[int64](200), Name: ptr("New name")}, "this edit changes the budget)"},
		} {
			t.Run(state+"/"+tc.name+"-409", func(t *testing.T) {
				r := f.round(t, fundID, newRound(100), state)
				before := f.snapshot(t, r.ID)
				tc.ch.Version = r.Version
				_, err := f.svc.Update(context.Background(), 0, r.ID, tc.ch)
				wantFault(t, err, fault.Conflict, "voting has opened, so the round's budget, method")
				wantFault(t, err, fault.Conflict, tc.says)
				if after := f.snapshot(t, r.ID); after != before {
					t.Errorf("a refused edit changed %+v into %+v", before, after)
				}
				if got, _ := f.svc.Get(context.Background(), r.ID); got.Name != r.Name {
					t.Errorf("name changed to %q", got.Name)
				}
			})
		}
		t.Run(state+"/name-windows-and-unchanged-values-200", func(t *testing.T) {
			r := f.round(t, fundID, newRound(100), state)
			got, err := f.svc.Update(context.Background(), 0, r.ID, round.Changes{Version: r.Version,
				Name: ptr("Autumn round"), VotingCloseAt: &round.WindowChange{At: &later},
				BudgetMinor: ptr(r.BudgetMinor), Quorum: ptr(r.Quorum), Method: ptr(r.Method)})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Autumn round" || !got.VotingCloseAt.Equal(later) || got.Version != r.Version+1 {
				t.Errorf("updated %+v", got)
			}
		})
	}
}

func TestEditsBeforeVoting(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 300000, fund.Open)
	ctx := context.Background()
	other := f.round(t, fundID, newRound(100000), round.Draft)
	r := f.round(t, fundID, newRound(100000), round.Review)

	// Every field of the outcome may change before voting.
	got, err := f.svc.Update(ctx, 0, r.ID, round.Changes{Version: r.Version, BudgetMinor: ptr[int64](200000),
		Method: ptr(round.Score), MethodParams: &round.Params{MaxScore: 10}, Quorum: ptr(0), SecretBallot: ptr(true),
		TieBreak: ptr(round.EarlierApplication)})
	if err != nil {
		t.Fatal(err)
	}
	// The default rule follows the method.
	if got.BudgetMinor != 200000 || got.Method != round.Score || got.MethodParams.MaxScore != 10 || got.Rule != "mes_points_greedy" ||
		!got.SecretBallot || got.Quorum != 0 || got.Version != r.Version+1 {
		t.Errorf("updated %+v", got)
	}
	var changes string
	if err := f.db.Raw(`SELECT changes::text FROM audit_events WHERE action = 'round.update' AND object_id = ?`, fmt.Sprint(r.ID)).Scan(&changes).Error; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"budget_minor": 200000`, `"rule": "mes_points_greedy"`, `"version": 2`} {
		if !strings.Contains(changes, want) {
			t.Errorf("audit changes %s lack %s", changes, want)
		}
	}
	if strings.Contains(changes, `"name"`) {
		t.Errorf("audit changes %s name an unchanged field", changes)
	}

	// Raising a budget past what the fund has left is refused.
	before := f.snapshot(t, r.ID)
	_, err = f.svc.Update(ctx, 0, r.ID, round.Changes{Version: got.Version, BudgetMinor: ptr[int64](200001)})
	wantFault(t, err, fault.Conflict, "£2,000.00 of the fund's budget is left; this round asks for £2,000.01")
	if after := f.snapshot(t, r.ID); after != before {
		t.Errorf("a refused edit changed %+v into %+v", before, after)
	}
	// Lowering one frees money for another.
	if _, err := f.svc.Update(ctx, 0, r.ID, round.Changes{Version: got.Version, BudgetMinor: ptr[int64](50000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, 0, other.ID, round.Changes{Version: other.Version, BudgetMinor: ptr[int64](250000)}); err != nil {
		t.Fatal(err)
	}

	// Windows: a draft may empty one; an open round may not.
	got, err = f.svc.Update(ctx, 0, other.ID, round.Changes{Version: other.Version + 1, VotingOpenAt: &round.WindowChange{}})
	if err != nil || got.VotingOpenAt != nil {
		t.Fatalf("emptying a draft's window: %v %+v", err, got)
	}
	cur, _ := f.svc.Get(ctx, r.ID)
	_, err = f.svc.Update(ctx, 0, r.ID, round.Changes{Version: cur.Version, VotingOpenAt: &round.WindowChange{}})
	wantFields(t, err, "voting_open_at")
	_, err = f.svc.Update(ctx, 0, r.ID, round.Changes{Version: cur.Version, Name: ptr(""), Method: ptr(round.Cumulative)})
	wantFields(t, err, "name", "method_params.points", "method_params.max_per_application")

	// An edit that changes nothing writes nothing.
	before = f.snapshot(t, r.ID)
	if _, err := f.svc.Update(ctx, 0, r.ID, round.Changes{Version: cur.Version, Name: ptr(cur.Name)}); err != nil {
		t.Fatal(err)
	}
	if after := f.snapshot(t, r.ID); after != before {
		t.Errorf("an empty edit changed %+v into %+v", before, after)
	}
}

func TestStaleVersionIs412AndWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fundID := f.fund(t, 300000, fund.Open)
	ctx := context.Background()
	r := f.round(t, fundID, newRound(100000), round.Accepting)
	if _, err := f.svc.Update(ctx, 0, r.ID, round.Changes{Version: r.Version, Name: ptr("First edit")}); err != nil {
		t.Fatal(err)
	}
	before := f.snapshot(t, r.ID)
	_, err := f.svc.Update(ctx, 0, r.ID, round.Changes{Version: r.Version, Name: ptr("Second edit"), BudgetMinor: ptr[int64](5)})
	wantFault(t, err, fault.PreconditionFailed, "you sent version 1; it is at version 2 now")
	if after := f.snapshot(t, r.ID); after != before {
		t.Errorf("a stale edit changed %+v into %+v", before, after)
	}
	if got, _ := f.svc.Get(ctx, r.ID); got.Name != "First edit" || got.BudgetMinor != 100000 {
		t.Errorf("round is now %+v", got)
	}
	// A transition moves the version on too: an edit form opened before it
	// is stale.
	if _, err := f.svc.Transition(ctx, 0, r.ID, round.Review); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Update(ctx, 0, r.ID, round.Changes{Version: int(before.Version), Quorum: ptr(1)})
	if f, ok := fault.As(err); !ok || f.Kind != fault.PreconditionFailed {
		t.Errorf("edit after a transition: %v", err)
	}
	if _, err := f.svc.Update(ctx, 0, 999999, round.Changes{Version: 1}); !errors.Is(err, round.ErrNotFound) {
		t.Errorf("missing round: %v", err)
	}
}

func TestVisible(t *testing.T) {
	for _, tc := range []struct {
		state, fundStatus string
		drafts, want      bool
	}{
		{round.Accepting, fund.Open, false, true},
		{round.Draft, fund.Open, false, false},
		{round.Draft, fund.Open, true, true},
		{round.Accepting, fund.Draft, false, false},
		{round.Decided, fund.Closed, false, true},
	} {
		if got := round.Visible(round.Round{State: tc.state}, tc.fundStatus, tc.drafts); got != tc.want {
			t.Errorf("Visible(%s round, %s fund, drafts %v) = %v", tc.state, tc.fundStatus, tc.drafts, got)
		}
	}
}
