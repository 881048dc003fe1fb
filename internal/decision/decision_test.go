package decision_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type roles struct{ az *authz.Authorizer }

func (r roles) AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Assign(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

func (r roles) RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Revoke(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

type world struct {
	db        *gorm.DB
	az        *authz.Authorizer
	rounds    *round.Service
	ballots   *ballot.Service
	decisions *decision.Service
	fundID    int64
	round     int64
	chair     int64
	members   []int64
	apps      []int64 // Kitchen, Walks, Garden: 500,000 each
	orgs      []int64 // the organisation of each application
	grantee   int64   // a member of the Kitchen's organisation
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return v
}

// newWorld makes a round in voting (approval, mes_cost_add1_greedy,
// budget 1,000,000, the given quorum) with three applications of 500,000
// from three organisations and four panel members who declared "none" on
// every application, the first of them recused from Garden.
func newWorld(t *testing.T, quorum int) *world {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t)
	az, err := authz.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	funds := fund.NewService(db, roles{az})
	w := &world{db: db, az: az, rounds: round.NewService(db, funds), ballots: ballot.NewService(db),
		decisions: decision.NewService(db, roles{az})}
	w.rounds.OnClose(w.decisions.OnClose)
	w.fundID = applicationtest.Fund(t, db, "Riverside Fund")
	w.round = applicationtest.Round(t, db, w.fundID, application.RoundReview, applicationtest.ClosedNow())
	for i, title := range []string{"Kitchen", "Walks", "Garden"} {
		org := id(t, db, `INSERT INTO organisations (name, kind) VALUES (?, 'applicant') RETURNING id`, title+" group")
		w.orgs = append(w.orgs, org)
		w.apps = append(w.apps, applicationtest.Application(t, db, w.round, org, title))
		if i == 0 {
			w.grantee = id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES ('k@example.org', 'Kit', 'x') RETURNING id`)
			if err := db.Exec(`INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?)`, org, w.grantee).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 4 {
		u := id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES (?, ?, 'x') RETURNING id`,
			fmt.Sprintf("m%d@example.org", i), fmt.Sprintf("Member %d", i))
		w.members = append(w.members, u)
		for j, a := range w.apps {
			kind := "none"
			if i == 0 && j == 2 {
				kind = "recused"
			}
			applicationtest.Declare(t, db, a, u, kind)
		}
	}
	w.chair = w.members[1]
	if err := db.Exec(`UPDATE rounds SET state = 'voting', rule = 'mes_cost_add1_greedy', quorum = ?, budget_minor = 1000000
		WHERE id = ?`, quorum, w.round).Error; err != nil {
		t.Fatal(err)
	}
	return w
}

// vote casts approvals for member i (indexes into w.apps).
func (w *world) vote(t *testing.T, i int, apps ...int) {
	t.Helper()
	var c ballot.Contents
	for _, a := range apps {
		c.Approvals = append(c.Approvals, w.apps[a])
	}
	if _, _, err := w.ballots.Cast(context.Background(), w.members[i], w.round, c); err != nil {
		t.Fatal(err)
	}
}

func (w *world) close(t *testing.T) {
	t.Helper()
	if _, err := w.rounds.Transition(context.Background(), w.chair, w.round, round.Closed); err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err error, kind fault.Kind, contains string) {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Kind != kind || !strings.Contains(err.Error(), contains) {
		t.Fatalf("want a fault of kind %d containing %q, got %v", kind, contains, err)
	}
}

func time_(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok {
		t.Fatalf("want a validation error on %s, got %v", field, err)
	}
	for _, fe := range ve {
		if fe.Field == field {
			return
		}
	}
	t.Fatalf("want an error on %s, got %v", field, ve)
}

func TestClosingComputesAResultThatRecomputes(t *testing.T) {
	w := newWorld(t, 2)
	ctx := context.Background()
	w.vote(t, 0, 0, 1)    // Kitchen, Walks (recused from Garden)
	w.vote(t, 1, 0)       // Kitchen
	w.vote(t, 2, 0, 1, 2) // all three
	w.close(t)

	res, err := w.decisions.Result(ctx, w.round)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ballots != 3 || res.Rule != "mes_cost_add1_greedy" || res.TieBreak != round.LowerCost || res.QuorumWaived != nil {
		t.Fatalf("result = %+v", res)
	}
	// Kitchen has 3 supporters, Walks 2, Garden 1: the budget funds two.
	if fmt.Sprint(res.Outcome.Funded) != fmt.Sprint([]int64{w.apps[0], w.apps[1]}) || res.Outcome.TotalMinor != 1000000 {
		t.Fatalf("funded %v (total %d), want Kitchen and Walks", res.Outcome.Funded, res.Outcome.TotalMinor)
	}
	garden, ok := res.Explanation(w.apps[2])
	if !ok || garden.Funded || garden.Supporters != 1 || garden.Reason == "" {
		t.Fatalf("Garden explained as %+v", garden)
	}
	rc, err := w.decisions.Recompute(ctx, w.round)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.Matches || rc.Digest != res.BallotDigest {
		t.Fatalf("recomputation %+v does not match the stored result", rc)
	}

	// Anything that changes the ballots behind the result's back shows.
	if err := w.db.Exec(`UPDATE ballots SET contents = jsonb_build_object('approvals', jsonb_build_array(?::bigint))
		WHERE round_id = ? AND user_id = ?`, w.apps[2], w.round, w.members[1]).Error; err != nil {
		t.Fatal(err)
	}
	rc, err = w.decisions.Recompute(ctx, w.round)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Matches || rc.DigestMatches {
		t.Fatalf("recomputation after tampering = %+v, want a mismatch", rc)
	}

	// Voting is closed: a ballot is refused and nothing is written.
	before := id(t, w.db, `SELECT count(*) FROM ballots WHERE round_id = ?`, w.round)
	_, _, err = w.ballots.Cast(ctx, w.members[3], w.round, ballot.Contents{Approvals: []int64{w.apps[0]}})
	wantKind(t, err, fault.Conflict, "closed")
	if after := id(t, w.db, `SELECT count(*) FROM ballots WHERE round_id = ?`, w.round); after != before {
		t.Fatalf("ballots %d → %d after a refused vote", before, after)
	}
	// The round cannot be moved to decided by hand.
	_, err = w.rounds.Transition(ctx, w.chair, w.round, round.Decided)
	wantKind(t, err, fault.Conflict, "decision final")
}

func TestRecusedEntriesDoNotCount(t *testing.T) {
	w := newWorld(t, 1)
	ctx := context.Background()
	w.vote(t, 0, 0, 1)
	// Member 0 declares a conflict on Walks after voting for it.
	if err := w.db.Exec(`UPDATE declarations SET kind = 'recused', note = 'My sister runs it.'
		WHERE application_id = ? AND user_id = ?`, w.apps[1], w.members[0]).Error; err != nil {
		t.Fatal(err)
	}
	w.close(t)
	res, err := w.decisions.Result(ctx, w.round)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := res.Explanation(w.apps[1]); e.Supporters != 0 {
		t.Fatalf("Walks has %d supporters, want 0: the recused approval must not count", e.Supporters)
	}
}

func TestQuorumNotMetWaitsForTheChair(t *testing.T) {
	w := newWorld(t, 3)
	ctx := context.Background()
	w.vote(t, 0, 0)
	w.vote(t, 1, 1)
	w.close(t)
	if _, err := w.decisions.Result(ctx, w.round); !errors.Is(err, decision.ErrNoResult) {
		t.Fatalf("result below the quorum: %v, want none", err)
	}
	_, err := w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{})
	wantKind(t, err, fault.Conflict, "quorum was not met")
	_, err = w.decisions.ComputeAnyway(ctx, w.chair, w.round, "  ")
	wantField(t, err, "reason")
	res, err := w.decisions.ComputeAnyway(ctx, w.chair, w.round, "Two members were ill; the panel agreed to go ahead.")
	if err != nil {
		t.Fatal(err)
	}
	if res.QuorumWaived == nil || res.Ballots != 2 {
		t.Fatalf("result = %+v, want the waiver and 2 ballots", res)
	}
	_, err = w.decisions.ComputeAnyway(ctx, w.chair, w.round, "again")
	wantKind(t, err, fault.Conflict, "already")
}

func TestAmendingNeedsAPublishedReason(t *testing.T) {
	w := newWorld(t, 1)
	ctx := context.Background()
	w.vote(t, 1, 0, 1)
	w.close(t)
	garden := []decision.Funding{{ApplicationID: w.apps[2], AmountMinor: 500000}}
	_, err := w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{Funded: &garden})
	wantField(t, err, "amendment_reason")
	tooMuch := []decision.Funding{{ApplicationID: w.apps[0], AmountMinor: 500000}, {ApplicationID: w.apps[1], AmountMinor: 500000},
		{ApplicationID: w.apps[2], AmountMinor: 500000}}
	_, err = w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{Funded: &tooMuch, AmendmentReason: "all"})
	wantField(t, err, "funded")
	more := []decision.Funding{{ApplicationID: w.apps[0], AmountMinor: 600000}}
	_, err = w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{Funded: &more, AmendmentReason: "x"})
	wantField(t, err, "funded[0].amount_minor")
	_, err = w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{AmendmentReason: "not amended"})
	wantField(t, err, "amendment_reason")
	if n := id(t, w.db, `SELECT count(*) FROM decisions`); n != 0 {
		t.Fatalf("%d decisions written by refused requests", n)
	}

	d, err := w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{Funded: &garden,
		AmendmentReason: "The garden reaches people no other application does."})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Amended || d.AmendmentReason == nil || d.TotalMinor != 500000 || len(d.Applications) != 3 {
		t.Fatalf("amended decision = %+v", d)
	}
	// Recording the computed result again clears the amendment.
	d, err = w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Amended || d.TotalMinor != 1000000 || d.Version != 2 {
		t.Fatalf("decision = %+v, want the computed result, version 2", d)
	}
}

func TestFinalNeedsWordsForEveryApplicationThenMakesGrants(t *testing.T) {
	w := newWorld(t, 1)
	ctx := context.Background()
	w.vote(t, 1, 0, 1)
	w.close(t)
	_, err := w.decisions.WriteWords(ctx, w.chair, w.round, w.apps[0], decision.Words{Rationale: "r", Feedback: "f"})
	wantKind(t, err, fault.Conflict, "not recorded")
	if _, err := w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{}); err != nil {
		t.Fatal(err)
	}
	for _, a := range w.apps[:2] {
		if _, err := w.decisions.WriteWords(ctx, w.chair, w.round, a, decision.Words{
			Rationale: "Many on the panel backed it.", Feedback: "Thank you; we would love to hear how the first month goes."}); err != nil {
			t.Fatal(err)
		}
	}
	// Member 0 is recused from Garden and may not write about it.
	_, err = w.decisions.WriteWords(ctx, w.members[0], w.round, w.apps[2], decision.Words{Rationale: "x", Feedback: "y"})
	wantKind(t, err, fault.Forbidden, "recused")

	_, err = w.decisions.Finalise(ctx, w.chair, w.round, decision.Terms{})
	wantKind(t, err, fault.Conflict, `"Garden"`)
	if n := id(t, w.db, `SELECT count(*) FROM grants`); n != 0 {
		t.Fatalf("%d grants made by a refused finalisation", n)
	}
	_, err = w.decisions.Finalise(ctx, w.chair, w.round, decision.Terms{StartsOn: "2027-05-01", EndsOn: "2027-04-01"})
	wantField(t, err, "ends_on")
	_, err = w.decisions.Finalise(ctx, w.chair, w.round, decision.Terms{StartsOn: "2027-05-01", EndsOn: "2027-05-01", Instalments: 3})
	wantField(t, err, "instalments")

	if _, err := w.decisions.WriteWords(ctx, w.members[2], w.round, w.apps[2], decision.Words{
		Rationale: "Fewer of us backed it this time.", Feedback: "We hope you apply again in autumn."}); err != nil {
		t.Fatal(err)
	}
	d, err := w.decisions.Finalise(ctx, w.chair, w.round, decision.Terms{StartsOn: "2027-04-01", EndsOn: "2028-03-31", Instalments: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != decision.Final || d.FinalisedAt == nil {
		t.Fatalf("decision = %+v, want final", d)
	}
	if s := id(t, w.db, `SELECT count(*) FROM rounds WHERE id = ? AND state = 'decided'`, w.round); s != 1 {
		t.Fatal("the round is not decided")
	}
	gs, err := w.decisions.Grants(ctx, w.fundID)
	if err != nil || len(gs) != 2 {
		t.Fatalf("grants = %v, %v; want two", gs, err)
	}
	g, err := w.decisions.Grant(ctx, gs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, in := range g.Instalments {
		sum += in.AmountMinor
	}
	if len(g.Instalments) != 3 || sum != g.AmountMinor || g.Instalments[0].DueOn != "2027-04-01" || g.StartsOn != "2027-04-01" {
		t.Fatalf("grant %+v: want 3 instalments adding up to %d from 2027-04-01", g, g.AmountMinor)
	}
	if !containsRole(w.az.RolesIn(w.grantee, authz.FundDomain(w.fundID)), "grantee") {
		t.Fatal("the Kitchen's member did not become a grantee")
	}

	// A final decision never changes, whoever asks and however.
	_, err = w.decisions.RecordDecision(ctx, w.chair, w.round, decision.Record{})
	wantKind(t, err, fault.Conflict, "final")
	_, err = w.decisions.WriteWords(ctx, w.chair, w.round, w.apps[0], decision.Words{Rationale: "x", Feedback: "y"})
	wantKind(t, err, fault.Conflict, "final")
	if err := w.db.Exec(`UPDATE decision_applications SET feedback = 'changed' WHERE round_id = ?`, w.round).Error; err == nil {
		t.Fatal("the database let a final decision's feedback change")
	}
	if err := w.db.Exec(`UPDATE decisions SET amended = false WHERE round_id = ?`, w.round).Error; err == nil {
		t.Fatal("the database let a final decision change")
	}
	if _, err := w.decisions.Final(ctx, w.round); err != nil {
		t.Fatal(err)
	}
}

func containsRole(rs []authz.Role, want string) bool {
	for _, r := range rs {
		if string(r) == want {
			return true
		}
	}
	return false
}

func TestSchedule(t *testing.T) {
	start, _ := time_("2027-01-01")
	end, _ := time_("2027-12-31")
	s := decision.Schedule(1000001, start, end, 4)
	var sum int64
	for _, in := range s {
		sum += in.AmountMinor
	}
	if len(s) != 4 || sum != 1000001 || s[0].AmountMinor != 250001 || s[1].AmountMinor != 250000 || s[0].DueOn != "2027-01-01" || s[3].DueOn >= "2027-12-31" {
		t.Fatalf("schedule = %+v", s)
	}
	if one := decision.Schedule(2, start, end, 5); len(one) != 2 {
		t.Fatalf("2 pence in 5 instalments = %+v, want 2", one)
	}
	spread := decision.Schedule(1000003, start, end, 4)
	if spread[0].AmountMinor != 250001 || spread[2].AmountMinor != 250001 || spread[3].AmountMinor != 250000 {
		t.Fatalf("remainder not spread a penny at a time: %+v", spread)
	}
}
