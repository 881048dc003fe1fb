package panel_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// roles gives roles through the real authorizer, as the app does.
type roles struct{ az *authz.Authorizer }

func (r roles) AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Assign(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

func (r roles) RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Revoke(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

// fixture is a fund with a round, two applications from one organisation,
// a steward and a few people who are not yet on the panel.
type fixture struct {
	db        *gorm.DB
	az        *authz.Authorizer
	svc       *panel.Service
	fund      int64
	round     int64
	apps      []int64
	otherApp  int64 // in another round
	steward   int64
	people    []int64
	applicant int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.DB(t)
	az, err := authz.New(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, az: az, svc: panel.NewService(db, roles{az})}
	f.steward = f.user(t, "Sam Steward")
	for _, name := range []string{"Mo Member", "Chi Chair", "Rae Recused", "Una Undeclared"} {
		f.people = append(f.people, f.user(t, name))
	}
	f.applicant = f.user(t, "Ari Applicant")
	funder := f.id(t, `INSERT INTO organisations (name, kind) VALUES ('Riverside Trust', 'funder') RETURNING id`)
	applicant := f.id(t, `INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`)
	f.fund = f.id(t, `INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
		budget_minor, currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people',
		'Riverside', 5000000, 'GBP', 'place', 'open') RETURNING id`, funder)
	f.round = f.newRound(t, "accepting")
	for _, title := range []string{"Youth kitchen", "Walking group"} {
		f.apps = append(f.apps, f.newApplication(t, f.round, applicant, title))
	}
	f.otherApp = f.newApplication(t, f.newRound(t, "review"), applicant, "Elsewhere")
	if err := az.Assign(t.Context(), f.steward, authz.Steward, authz.FundDomain(f.fund)); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := f.db.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return id
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
		t.Fatal(err)
	}
	return n
}

func (f *fixture) user(t *testing.T, name string) int64 {
	return f.id(t, `INSERT INTO users (email, display_name, password_hash) VALUES
		(lower(replace(?, ' ', '.')) || '@example.org', ?, 'x') RETURNING id`, name, name)
}

func (f *fixture) newRound(t *testing.T, state string) int64 {
	return f.id(t, `INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at,
		voting_open_at, voting_close_at, method, rule, quorum, tie_break, state)
		VALUES (?, 'Spring round', 1000000, now() - interval '30 days', now() - interval '10 days',
		now() - interval '10 days', now() + interval '10 days', 'approval', 'greedy', 2, 'lower_cost', ?) RETURNING id`,
		f.fund, state)
}

func (f *fixture) newApplication(t *testing.T, round, org int64, title string) int64 {
	return f.id(t, `INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn,
		amount_minor, created_by) VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000, ?) RETURNING id`, round, f.fund, org, title, f.applicant)
}

func (f *fixture) setState(t *testing.T, state string) {
	f.exec(t, `UPDATE rounds SET state = ? WHERE id = ?`, state, f.round)
}

// seat puts people[i] on the panel in role.
func (f *fixture) seat(t *testing.T, i int, role string) panel.PanelMember {
	t.Helper()
	m, err := f.svc.AddMember(t.Context(), f.steward, f.fund, panel.NewMember{UserID: f.people[i], Role: role, ChosenBy: "lottery"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rolesOf reads the authorizer's copy after a reload: changes made inside a
// service's transaction reach it by notification in the app.
func (f *fixture) rolesOf(t *testing.T, userID int64) []authz.Role {
	t.Helper()
	if err := f.az.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f.az.RolesIn(userID, authz.FundDomain(f.fund))
}

func wantKind(t *testing.T, err error, kind fault.Kind) {
	t.Helper()
	fe, ok := fault.As(err)
	if !ok || fe.Kind != kind {
		t.Fatalf("error %v, want fault kind %d", err, kind)
	}
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok {
		t.Fatalf("error %v, want a validation error naming %v", err, fields)
	}
	var got []string
	for _, f := range ve {
		got = append(got, f.Field)
	}
	for _, want := range fields {
		if !slices.Contains(got, want) {
			t.Fatalf("validation error names %v, want %q", got, want)
		}
	}
}

func TestMembershipGivesAndTakesTheRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	m := f.seat(t, 0, panel.Member)
	if m.Role != panel.Member || m.ChosenBy != "lottery" || m.TermStart == "" || m.TermEnd != nil {
		t.Fatalf("seat = %+v", m)
	}
	if got := f.rolesOf(t, f.people[0]); !slices.Equal(got, []authz.Role{authz.PanelMember}) {
		t.Fatalf("roles after adding = %v, want panel_member", got)
	}

	chair := panel.Chair
	end := "2099-12-31"
	m, err := f.svc.UpdateMember(ctx, f.steward, m.ID, panel.MemberChange{Role: &chair, TermEnd: &end})
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != panel.Chair || m.TermEnd == nil || *m.TermEnd != end {
		t.Fatalf("updated seat = %+v", m)
	}
	if got := f.rolesOf(t, f.people[0]); !slices.Equal(got, []authz.Role{authz.PanelChair}) {
		t.Fatalf("roles after becoming chair = %v, want panel_chair only", got)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'panel_member.update'
		AND changes->'role'->>'old' = 'member' AND changes->'role'->>'new' = 'chair'`); n != 1 {
		t.Fatalf("%d audit events for the role change, want 1", n)
	}

	if err := f.svc.RemoveMember(ctx, f.steward, m.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.rolesOf(t, f.people[0]); len(got) != 0 {
		t.Fatalf("roles after removal = %v, want none", got)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action IN ('panel_member.add', 'panel_member.remove') AND fund_id = ?`, f.fund); n != 2 {
		t.Fatalf("%d add/remove audit events, want 2", n)
	}
	wantKind(t, f.svc.RemoveMember(ctx, f.steward, m.ID), fault.NotFound)
}

func TestAddMemberRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	f.seat(t, 0, panel.Member)
	tests := []struct {
		name   string
		in     panel.NewMember
		fields []string
		kind   fault.Kind
	}{
		{"nobody-named-422", panel.NewMember{Role: "member", ChosenBy: "invited"}, []string{"user_id"}, 0},
		{"unknown-email-422", panel.NewMember{Email: "ghost@example.org", Role: "member", ChosenBy: "invited"}, []string{"email"}, 0},
		{"unknown-user-422", panel.NewMember{UserID: 999999, Role: "member", ChosenBy: "invited"}, []string{"user_id"}, 0},
		{"bad-role-422", panel.NewMember{UserID: f.people[1], Role: "boss", ChosenBy: "invited"}, []string{"role"}, 0},
		{"bad-method-422", panel.NewMember{UserID: f.people[1], Role: "member", ChosenBy: "raffle"}, []string{"chosen_by"}, 0},
		{"end-before-start-422", panel.NewMember{UserID: f.people[1], Role: "member", ChosenBy: "invited",
			TermStart: "2026-05-01", TermEnd: "2026-04-01"}, []string{"term_end"}, 0},
		{"not-a-date-422", panel.NewMember{UserID: f.people[1], Role: "member", ChosenBy: "invited", TermStart: "May"}, []string{"term_start"}, 0},
		{"already-seated-409", panel.NewMember{UserID: f.people[0], Role: "chair", ChosenBy: "invited"}, nil, fault.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.AddMember(ctx, f.steward, f.fund, tc.in)
			if tc.fields != nil {
				wantFields(t, err, tc.fields...)
			} else {
				wantKind(t, err, tc.kind)
			}
		})
	}
	if n := f.count(t, `SELECT count(*) FROM panel_members`); n != 1 {
		t.Fatalf("%d panel members after refusals, want 1", n)
	}
	// By email, whatever its case.
	m, err := f.svc.AddMember(ctx, f.steward, f.fund, panel.NewMember{Email: "CHI.CHAIR@example.org", Role: "chair", ChosenBy: "nominated"})
	if err != nil || m.UserID != f.people[1] {
		t.Fatalf("add by email = %+v, %v", m, err)
	}
}

func TestPanelSummaryCountsWithoutNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seat(t, 0, panel.Member)
	f.seat(t, 1, panel.Chair)
	if _, err := f.svc.AddMember(t.Context(), f.steward, f.fund, panel.NewMember{UserID: f.people[2], Role: "member",
		ChosenBy: "invited"}); err != nil {
		t.Fatal(err)
	}
	// A term that has ended is not counted.
	if _, err := f.svc.AddMember(t.Context(), f.steward, f.fund, panel.NewMember{UserID: f.people[3], Role: "member",
		ChosenBy: "nominated", TermStart: "2020-01-01", TermEnd: "2020-12-31"}); err != nil {
		t.Fatal(err)
	}
	s, err := f.svc.PanelSummary(t.Context(), f.fund)
	if err != nil {
		t.Fatal(err)
	}
	want := panel.ChoiceCounts{Invited: 1, Lottery: 2}
	if s.Members != 3 || s.Chairs != 1 || s.ChosenBy != want {
		t.Fatalf("summary = %+v", s)
	}
}

func TestEligibleVotersLeaveOutRecusedAndUndeclared(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	for i, role := range []string{panel.Member, panel.Chair, panel.Member, panel.Member} {
		f.seat(t, i, role)
	}
	f.setState(t, "review")
	declare := func(i int, kind, note string) {
		t.Helper()
		if _, err := f.svc.Declare(ctx, f.people[i], f.round, panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
			{ApplicationID: f.apps[0], Kind: kind, Note: note}}}); err != nil {
			t.Fatal(err)
		}
	}
	declare(0, panel.NoConflict, "")
	declare(1, panel.Disclosed, "Lives on the same street as the club; staying.")
	declare(2, panel.Recused, "My sister runs the kitchen.")
	// people[3] has not declared.
	got, err := f.svc.EligibleVoters(ctx, f.apps[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{f.people[0], f.people[1]}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("eligible voters = %v, want %v (not the recused nor the undeclared)", got, want)
	}
	// Someone no longer on the panel no longer counts.
	ms, _ := f.svc.Members(ctx, f.fund)
	for _, m := range ms {
		if m.UserID == f.people[0] {
			if err := f.svc.RemoveMember(ctx, f.steward, m.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := f.svc.EligibleVoterCount(ctx, f.apps[0]); err != nil || n != 1 {
		t.Fatalf("eligible voters after a removal = %d, %v; want 1", n, err)
	}
}

func TestDeclarations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	f.seat(t, 0, panel.Member)
	member := f.people[0]
	both := func(k0, n0, k1, n1 string) panel.DeclarationSet {
		return panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
			{ApplicationID: f.apps[0], Kind: k0, Note: n0}, {ApplicationID: f.apps[1], Kind: k1, Note: n1}}}
	}

	// Not yet: the round is still accepting applications.
	_, err := f.svc.Declare(ctx, member, f.round, both("none", "", "none", ""))
	wantKind(t, err, fault.Conflict)

	f.setState(t, "review")
	refusals := []struct {
		name  string
		in    panel.DeclarationSet
		field string
	}{
		{"disclosed-without-note-422", both("none", "", "disclosed", "  "), "declarations[1].note"},
		{"recused-without-note-422", both("recused", "", "none", ""), "declarations[0].note"},
		{"unknown-kind-422", both("none", "", "maybe", "x"), "declarations[1].kind"},
		{"another-round-422", panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
			{ApplicationID: f.apps[0], Kind: "none"}, {ApplicationID: f.otherApp, Kind: "none"}}}, "declarations[1].application_id"},
		{"twice-422", panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
			{ApplicationID: f.apps[0], Kind: "none"}, {ApplicationID: f.apps[0], Kind: "none"}}}, "declarations[1].application_id"},
		{"empty-422", panel.DeclarationSet{}, "declarations"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Declare(ctx, member, f.round, tc.in)
			wantFields(t, err, tc.field)
		})
	}
	if n := f.count(t, `SELECT count(*) FROM declarations`); n != 0 {
		t.Fatalf("%d declarations written by refused requests, want 0", n)
	}

	ds, err := f.svc.Declare(ctx, member, f.round, both("none", "", "disclosed", "We live in the same neighbourhood."))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Kind != "none" || ds[1].Kind != "disclosed" || ds[1].ApplicationTitle != "Walking group" {
		t.Fatalf("declarations = %+v", ds)
	}
	// Declaring the same again changes nothing and logs nothing.
	if _, err := f.svc.Declare(ctx, member, f.round, both("none", "", "disclosed", "We live in the same neighbourhood.")); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE object_type = 'declaration'`); n != 2 {
		t.Fatalf("%d declaration audit events, want 2", n)
	}
	// A change of mind during voting is allowed and audited with both kinds.
	f.setState(t, "voting")
	if _, err := f.svc.Declare(ctx, member, f.round, panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
		{ApplicationID: f.apps[0], Kind: "recused", Note: "I have just learnt my cousin volunteers there."}}}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'declaration.update' AND actor_id = ?
		AND changes->>'old_kind' = 'none' AND changes->>'new_kind' = 'recused' AND fund_id = ?`, member, f.fund); n != 1 {
		t.Fatalf("%d audit events with old and new kind, want 1", n)
	}
	kind, err := panel.DeclarationKind(ctx, f.db, f.apps[0], member)
	if err != nil || kind != panel.Recused {
		t.Fatalf("kind = %q, %v", kind, err)
	}
	// Decided rounds are closed to declarations.
	f.setState(t, "decided")
	_, err = f.svc.Declare(ctx, member, f.round, both("none", "", "none", ""))
	wantKind(t, err, fault.Conflict)

	all, err := f.svc.Declarations(ctx, f.round, 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("all declarations = %v, %v", all, err)
	}
}

func TestDeliberationAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	f.seat(t, 0, panel.Member)
	f.seat(t, 2, panel.Member)
	f.setState(t, "review")
	err := f.svc.CheckDeliberation(ctx, f.apps[0], f.people[0], false)
	wantKind(t, err, fault.Conflict)
	if !errors.Is(err, panel.ErrDeclareFirst) {
		t.Fatalf("error %v, want ErrDeclareFirst", err)
	}
	if _, err := f.svc.Declare(ctx, f.people[0], f.round, panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
		{ApplicationID: f.apps[0], Kind: "none"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Declare(ctx, f.people[2], f.round, panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
		{ApplicationID: f.apps[0], Kind: "recused", Note: "I am a trustee of the club."}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckDeliberation(ctx, f.apps[0], f.people[0], false); err != nil {
		t.Fatalf("declared member refused: %v", err)
	}
	wantKind(t, f.svc.CheckDeliberation(ctx, f.apps[0], f.people[2], false), fault.Forbidden)
	// Even a recused person who also oversees the fund stays out.
	wantKind(t, f.svc.CheckDeliberation(ctx, f.apps[0], f.people[2], true), fault.Forbidden)
	if err := f.svc.CheckDeliberation(ctx, f.apps[0], f.steward, true); err != nil {
		t.Fatalf("steward refused: %v", err)
	}
}
