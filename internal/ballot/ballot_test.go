package ballot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture struct {
	db           *gorm.DB
	svc          *ballot.Service
	round        int64
	member       int64
	a1, a2, a3   int64 // member: none, disclosed, recused
	undeclared   int64 // member has not declared on it
	withdrawn    int64
	otherRoundAp int64
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return v
}

// newFixture makes a round in voting with method and params (JSON), and
// four submitted applications each asking for 500000.
func newFixture(t *testing.T, method, params string, secret bool) *fixture {
	t.Helper()
	db := pgtest.DB(t)
	f := &fixture{db: db, svc: ballot.NewService(db)}
	fundID := applicationtest.Fund(t, db, "Riverside Fund")
	orgID := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`)
	f.member = id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES ('m@example.org', 'Mo', 'x') RETURNING id`)
	f.round = applicationtest.Round(t, db, fundID, application.RoundReview, applicationtest.ClosedNow())
	other := applicationtest.Round(t, db, fundID, application.RoundReview, applicationtest.ClosedNow())
	f.a1 = applicationtest.Application(t, db, f.round, orgID, "Kitchen")
	f.a2 = applicationtest.Application(t, db, f.round, orgID, "Walks")
	f.a3 = applicationtest.Application(t, db, f.round, orgID, "Garden")
	f.undeclared = applicationtest.Application(t, db, f.round, orgID, "Choir")
	f.withdrawn = applicationtest.Application(t, db, f.round, orgID, "Gone")
	f.otherRoundAp = applicationtest.Application(t, db, other, orgID, "Elsewhere")
	applicationtest.Declare(t, db, f.a1, f.member, "none")
	applicationtest.Declare(t, db, f.a2, f.member, "disclosed")
	applicationtest.Declare(t, db, f.a3, f.member, "recused")
	applicationtest.Declare(t, db, f.withdrawn, f.member, "none")
	if err := db.Exec(`UPDATE applications SET state = 'withdrawn' WHERE id = ?`, f.withdrawn).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`UPDATE rounds SET state = 'voting', method = ?, method_params = ?::jsonb, secret_ballot = ?,
		budget_minor = 1000000 WHERE id = ?`, method, params, secret, f.round).Error; err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int64 {
	return id(t, f.db, sql, args...)
}

func contents(t *testing.T, f *fixture, s string) ballot.Contents {
	t.Helper()
	r := strings.NewReplacer("{a1}", fmt.Sprint(f.a1), "{a2}", fmt.Sprint(f.a2), "{a3}", fmt.Sprint(f.a3),
		"{undeclared}", fmt.Sprint(f.undeclared), "{withdrawn}", fmt.Sprint(f.withdrawn), "{other}", fmt.Sprint(f.otherRoundAp))
	var c ballot.Contents
	dec := json.NewDecoder(strings.NewReader(r.Replace(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func wantField(t *testing.T, err error, field, contains string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok {
		t.Fatalf("want a validation error on %s, got %v", field, err)
	}
	for _, fe := range ve {
		if fe.Field == field && strings.Contains(fe.Message, contains) {
			return
		}
	}
	t.Fatalf("want %s: …%s…, got %v", field, contains, ve)
}

func TestValidationPerMethod(t *testing.T) {
	cases := []struct {
		method, params, ballot, field, contains string
	}{
		{"approval", `{}`, `{"approvals":[{a1},{a2},{other}]}`, "approvals[2]", "not an application"},
		{"approval", `{}`, `{"approvals":[{a1},{withdrawn}]}`, "approvals[1]", "not an application"},
		{"approval", `{}`, `{"approvals":[{a1},{a1}]}`, "approvals[1]", "more than once"},
		{"approval", `{}`, `{"scores":{"{a1}":1}}`, "scores", "not part of"},
		{"approval", `{}`, `{"approvals":[{a1},{a3}]}`, "approvals[1]", fmt.Sprintf("you are recused from application %s", "{a3}")},
		{"approval", `{}`, `{"approvals":[{undeclared}]}`, "approvals[0]", "not declared"},
		{"approval_budget", `{}`, `{"approvals":[{a1},{a2},{undeclared}]}`, "approvals[2]", "not declared"},
		{"score", `{"max_score":5}`, `{"scores":{"{a1}":6}}`, "scores.{a1}", "from 0 to 5"},
		{"score", `{"max_score":5}`, `{"scores":{"{a1}":-1}}`, "scores.{a1}", "from 0 to 5"},
		{"score", `{"max_score":5}`, `{"scores":{"{a1}":"maybe"}}`, "scores.{a1}", "dont_know"},
		{"score", `{"max_score":5}`, `{"scores":{"{a1}":2.5}}`, "scores.{a1}", "whole number"},
		{"score", `{"max_score":5}`, `{"scores":{"x":1}}`, "scores.x", "not an application id"},
		{"score", `{"max_score":5}`, `{"scores":{"{a3}":1}}`, "scores.{a3}", "recused"},
		{"ranking", `{"max_ranked":2}`, `{"ranking":[{a1},{a2},{a1}]}`, "ranking[2]", "more than once"},
		{"ranking", `{"max_ranked":1}`, `{"ranking":[{a1},{a2}]}`, "ranking", "at most 1"},
		{"ranking", `{}`, `{"ranking":[{a3}]}`, "ranking[0]", "recused"},
		{"cumulative", `{"points":10,"max_per_application":4}`, `{"points":{"{a1}":5}}`, "points.{a1}", "from 0 to 4"},
		{"cumulative", `{"points":5,"max_per_application":4}`, `{"points":{"{a1}":4,"{a2}":3}}`, "points", "you have 5"},
		{"cumulative", `{"points":5,"max_per_application":4}`, `{"points":{"{a3}":1}}`, "points.{a3}", "recused"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.field+" "+tc.contains, func(t *testing.T) {
			f := newFixture(t, tc.method, tc.params, false)
			r := strings.NewReplacer("{a1}", fmt.Sprint(f.a1), "{a3}", fmt.Sprint(f.a3))
			_, _, err := f.svc.Cast(t.Context(), f.member, f.round, contents(t, f, tc.ballot))
			wantField(t, err, r.Replace(tc.field), r.Replace(tc.contains))
			if n := f.count(t, `SELECT count(*) FROM ballots`); n != 0 {
				t.Fatalf("%d ballots written", n)
			}
		})
	}
}

func TestApprovalBudget(t *testing.T) {
	f := newFixture(t, "approval_budget", `{}`, false)
	ctx := t.Context()
	if _, _, err := f.svc.Cast(ctx, f.member, f.round, contents(t, f, `{"approvals":[{a1},{a2}]}`)); err != nil {
		t.Fatal(err) // 1,000,000: exactly the budget
	}
	if err := f.db.Exec(`UPDATE rounds SET budget_minor = 999999 WHERE id = ?`, f.round).Error; err != nil {
		t.Fatal(err)
	}
	_, _, err := f.svc.Cast(ctx, f.member, f.round, contents(t, f, `{"approvals":[{a1},{a2}]}`))
	wantField(t, err, "approvals", "budget")
}

func TestCastGetAndRevise(t *testing.T) {
	f := newFixture(t, "score", `{"max_score":5}`, false)
	ctx := t.Context()
	if _, err := f.svc.Get(ctx, f.round, f.member); !errors.Is(err, ballot.ErrNotFound) {
		t.Fatalf("before voting: %v", err)
	}
	b, created, err := f.svc.Cast(ctx, f.member, f.round, contents(t, f, `{"scores":{"{a1}":5,"{a2}":"dont_know"}}`))
	if err != nil || !created || b.Version != 1 {
		t.Fatalf("cast: %+v %v %v", b, created, err)
	}
	b, created, err = f.svc.Cast(ctx, f.member, f.round, contents(t, f, `{"scores":{"{a1}":0}}`))
	if err != nil || created || b.Version != 2 {
		t.Fatalf("revise: %+v %v %v", b, created, err)
	}
	got, err := f.svc.Get(ctx, f.round, f.member)
	if err != nil || len(got.Scores) != 1 || string(got.Scores[fmt.Sprint(f.a1)]) != "0" {
		t.Fatalf("get: %+v %v", got, err)
	}
	// Not secret: the audit log says what the ballot was.
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action IN ('ballot.cast', 'ballot.revise') AND changes ? 'ballot'`); n != 2 {
		t.Fatalf("%d audit events with contents, want 2", n)
	}
}

func TestSecretBallotNotAudited(t *testing.T) {
	f := newFixture(t, "approval", `{}`, true)
	ctx := t.Context()
	for range 2 {
		if _, _, err := f.svc.Cast(ctx, f.member, f.round, contents(t, f, `{"approvals":[{a1}]}`)); err != nil {
			t.Fatal(err)
		}
	}
	var events []struct {
		ActorID    *int64
		ObjectType string
		Changes    string
	}
	if err := f.db.Raw(`SELECT actor_id, object_type, changes::text AS changes FROM audit_events
		WHERE action IN ('ballot.cast', 'ballot.revise') ORDER BY id`).Scan(&events).Error; err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("audit events: %v", events)
	}
	for _, e := range events {
		var m map[string]any
		if err := json.Unmarshal([]byte(e.Changes), &m); err != nil {
			t.Fatal(err)
		}
		// Neither whose ballot nor which: only that one was cast in the round.
		if _, ok := m["ballot"]; ok || strings.Contains(e.Changes, "approvals") || len(m) != 1 || e.ActorID != nil || e.ObjectType != "round" {
			t.Fatalf("secret ballot traceable in the audit log: actor %v, %s %s", e.ActorID, e.ObjectType, e.Changes)
		}
	}
}

func TestVotingNotOpenOrClosed(t *testing.T) {
	f := newFixture(t, "approval", `{}`, false)
	ctx := t.Context()
	for state, detail := range map[string]string{"review": "voting is not open", "decided": "voting has closed",
		"accepting": "voting is not open"} {
		if err := f.db.Exec(`UPDATE rounds SET state = ? WHERE id = ?`, state, f.round).Error; err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.Cast(ctx, f.member, f.round, contents(t, f, `{"approvals":[{a1}]}`))
		if fe, ok := fault.As(err); !ok || fe.Kind != fault.Conflict || fe.Message != detail {
			t.Fatalf("%s: %v, want 409 %q", state, err, detail)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM ballots`); n != 0 {
		t.Fatalf("%d ballots written", n)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE object_type = 'ballot'`); n != 0 {
		t.Fatalf("%d audit events written", n)
	}
}

func TestOneBallotUnderConcurrency(t *testing.T) {
	f := newFixture(t, "cumulative", `{"points":10,"max_per_application":10}`, false)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, _, err := f.svc.Cast(ctx, f.member, f.round, contents(t, f, fmt.Sprintf(`{"points":{"{a1}":%d}}`, i%10+1)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM ballots WHERE round_id = ? AND user_id = ?`, f.round, f.member); n != 1 {
		t.Fatalf("%d ballots, want 1", n)
	}
	if v := f.count(t, `SELECT version FROM ballots WHERE round_id = ?`, f.round); v != 20 {
		t.Fatalf("version %d, want 20", v)
	}
	tu, err := f.svc.Turnout(ctx, f.round)
	if err != nil || tu.Voted != 1 {
		t.Fatalf("turnout %+v %v", tu, err)
	}
}
