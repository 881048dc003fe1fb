package fund_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// roles records what the fund service asked of the authorizer.
type roles struct{ assigned, revoked []string }

func (r *roles) AssignFundRole(_ context.Context, userID int64, role string, fundID int64) error {
	r.assigned = append(r.assigned, role)
	return nil
}

func (r *roles) RevokeFundRole(_ context.Context, userID int64, role string, fundID int64) error {
	r.revoked = append(r.revoked, role)
	return nil
}

type fixture struct {
	db       *gorm.DB
	svc      *fund.Service
	roles    *roles
	funderID int64
	userID   int64
	count    func(table string) int64
}

func setup(t *testing.T) fixture {
	db := pgtest.DB(t)
	var ids struct{ Org, User int64 }
	db.Raw(`INSERT INTO organisations (name, kind) VALUES ('Riverside Foundation', 'funder') RETURNING id`).Scan(&ids.Org)
	db.Raw(`INSERT INTO users (email, display_name, password_hash) VALUES ('s@example.org', 'Sam', 'x') RETURNING id`).Scan(&ids.User)
	r := &roles{}
	return fixture{db: db, svc: fund.NewService(db, r), roles: r, funderID: ids.Org, userID: ids.User,
		count: func(table string) int64 {
			var n int64
			db.Raw(`SELECT count(*) FROM ` + table).Scan(&n)
			return n
		}}
}

func newFund(fx fixture) fund.NewFund {
	return fund.NewFund{OrganisationID: fx.funderID, Currency: "gbp", Principles: []string{"Trust people", "Learn in the open"},
		Details: fund.Details{Name: "Neighbourhood Futures", PurposeFlourishing: "belonging", PurposeWhom: "young people",
			PurposeWhere: "Eastfield", BudgetMinor: 5_000_000, SystemScale: "place"}}
}

func TestCreateMakesStewardRevisionAndStage(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	f, err := fx.svc.Create(context.Background(), fx.userID, newFund(fx))
	if err != nil {
		t.Fatal(err)
	}
	if f.Purpose() != "Enable belonging for young people in Eastfield." || f.Currency != "GBP" || f.Status != fund.Draft || f.Stage != "purpose" {
		t.Fatalf("%+v / %q", f, f.Purpose())
	}
	if len(fx.roles.assigned) != 1 || fx.roles.assigned[0] != "steward" {
		t.Errorf("creator's roles: %v", fx.roles.assigned)
	}
	revs, _ := fx.svc.Principles(context.Background(), f.ID)
	if len(revs) != 1 || revs[0].Revision != 1 || len(revs[0].Principles) != 2 {
		t.Errorf("revisions: %+v", revs)
	}
	hist, _ := fx.svc.StageHistory(context.Background(), f.ID)
	if len(hist) != 1 || hist[0].ToStage != "purpose" || hist[0].Reason == "" {
		t.Errorf("stage history: %+v", hist)
	}
	if fx.count("audit_events") != 1 {
		t.Errorf("audit events: %d", fx.count("audit_events"))
	}
}

func TestCreateRefusesBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	var applicantID int64
	fx.db.Raw(`INSERT INTO organisations (name, kind) VALUES ('Tenants', 'applicant') RETURNING id`).Scan(&applicantID)
	for _, tc := range []struct {
		name  string
		edit  func(*fund.NewFund)
		field string
	}{
		{"unknown-currency-422", func(n *fund.NewFund) { n.Currency = "XYZ" }, "currency"},
		{"negative-budget-422", func(n *fund.NewFund) { n.BudgetMinor = -1 }, "budget_minor"},
		{"bad-scale-422", func(n *fund.NewFund) { n.SystemScale = "galaxy" }, "system_scale"},
		{"blank-purpose-422", func(n *fund.NewFund) { n.PurposeWhom = "  " }, "purpose_whom"},
		{"applicant-org-422", func(n *fund.NewFund) { n.OrganisationID = applicantID }, "organisation_id"},
		{"blank-principle-422", func(n *fund.NewFund) { n.Principles = []string{"ok", " "} }, "principles[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newFund(fx)
			tc.edit(&in)
			_, err := fx.svc.Create(context.Background(), fx.userID, in)
			ve, ok := validate.As(err)
			if !ok || ve[0].Field != tc.field {
				t.Fatalf("err = %v, want a validation error on %s", err, tc.field)
			}
			if fx.count("funds") != 0 || fx.count("audit_events") != 0 || fx.count("fund_principle_revisions") != 0 {
				t.Fatal("something was written")
			}
		})
	}
}

func TestStatusMachine(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	ctx := context.Background()
	f, err := fx.svc.Create(ctx, fx.userID, newFund(fx))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		to   string
		want int // 0 = allowed
	}{
		{"draft-to-active-409", fund.Active, http.StatusConflict},
		{"draft-to-closed-409", fund.Closed, http.StatusConflict},
		{"draft-to-open", fund.Open, 0},
		{"open-to-draft-409", fund.Draft, http.StatusConflict},
		{"open-to-active", fund.Active, 0},
		{"active-to-open-409", fund.Open, http.StatusConflict},
		{"active-to-closed", fund.Closed, 0},
		{"closed-to-open-409", fund.Open, http.StatusConflict},
	}
	for _, st := range steps {
		before, _ := fx.svc.Get(ctx, f.ID)
		events := fx.count("audit_events")
		_, err := fx.svc.ChangeStatus(ctx, fx.userID, f.ID, st.to)
		after, _ := fx.svc.Get(ctx, f.ID)
		if st.want == 0 {
			if err != nil || after.Status != st.to {
				t.Errorf("%s: %v, status %s", st.name, err, after.Status)
			}
			continue
		}
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Conflict || fe.Message == "" {
			t.Errorf("%s: err = %v, want a conflict with a reason", st.name, err)
		}
		if after.Status != before.Status || after.Version != before.Version || fx.count("audit_events") != events {
			t.Errorf("%s: something changed", st.name)
		}
	}
	if _, err := fx.svc.RevisePrinciples(ctx, fx.userID, f.ID, fund.NewPrinciples{Principles: []string{"x"}}); err == nil {
		t.Error("a closed fund's principles changed")
	}
}

func TestStagesAndPrinciplesKeepHistory(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	ctx := context.Background()
	f, err := fx.svc.Create(ctx, fx.userID, newFund(fx))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.ChangeStage(ctx, fx.userID, f.ID, fund.StageMove{Stage: "understanding", Reason: " "}); err == nil {
		t.Error("a stage move without a reason was accepted")
	}
	if _, err := fx.svc.ChangeStage(ctx, fx.userID, f.ID, fund.StageMove{Stage: "purpose", Reason: "again"}); err == nil {
		t.Error("a move to the current stage was accepted")
	}
	for _, st := range []string{"understanding", "co_design", "understanding"} {
		if _, err := fx.svc.ChangeStage(ctx, fx.userID, f.ID, fund.StageMove{Stage: st, Reason: "we learnt something"}); err != nil {
			t.Fatal(err)
		}
	}
	hist, _ := fx.svc.StageHistory(ctx, f.ID)
	if len(hist) != 4 || hist[3].ToStage != "understanding" || *hist[3].FromStage != "co_design" {
		t.Fatalf("history: %+v", hist)
	}
	if _, err := fx.svc.RevisePrinciples(ctx, fx.userID, f.ID, fund.NewPrinciples{Principles: []string{"Trust people", "Share power"}, Note: "after the first panel"}); err != nil {
		t.Fatal(err)
	}
	revs, _ := fx.svc.Principles(ctx, f.ID)
	if len(revs) != 2 || revs[0].Principles[1] != "Learn in the open" || revs[1].Principles[1] != "Share power" {
		t.Fatalf("revisions: %+v", revs)
	}
}

func TestUpdateIsOptimistic(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	ctx := context.Background()
	f, err := fx.svc.Create(ctx, fx.userID, newFund(fx))
	if err != nil {
		t.Fatal(err)
	}
	d := newFund(fx).Details
	d.Name = "Neighbourhood Futures (renamed)"
	f2, err := fx.svc.Update(ctx, fx.userID, f.ID, f.Version, d)
	if err != nil || f2.Version != f.Version+1 || f2.Name != d.Name {
		t.Fatalf("%v %+v", err, f2)
	}
	d.Name = "Lost edit"
	_, err = fx.svc.Update(ctx, fx.userID, f.ID, f.Version, d)
	if fe, ok := fault.As(err); !ok || fe.Kind != fault.PreconditionFailed {
		t.Fatalf("stale version: %v", err)
	}
	if got, _ := fx.svc.Get(ctx, f.ID); got.Name != "Neighbourhood Futures (renamed)" {
		t.Errorf("stale edit overwrote: %q", got.Name)
	}
	if _, err := fx.svc.Get(ctx, 999999); !errors.Is(err, fund.ErrNotFound) {
		t.Errorf("missing fund: %v", err)
	}
}
