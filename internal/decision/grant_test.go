package decision_test

import (
	"context"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/validate"
)

// A steward records that an instalment was paid: once, on a day that is
// not in the future, and the record is audited; it shows on the grant.
func TestMarkInstalmentPaid(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1)
	ctx := context.Background()
	grant := id(t, w.db, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
		VALUES (?, ?, ?, ?, 'Kitchen', 500000, '2026-04-01', '2027-03-31') RETURNING id`, w.fundID, w.round, w.apps[0], w.orgs[0])
	if err := w.db.Exec(`INSERT INTO grant_instalments (grant_id, number, due_on, amount_minor) VALUES (?, 1, '2026-04-01', 250000), (?, 2, '2026-10-01', 250000)`,
		grant, grant).Error; err != nil {
		t.Fatal(err)
	}
	steward := w.chair

	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	_, err := w.decisions.MarkPaid(ctx, steward, grant, 1, decision.Payment{PaidOn: tomorrow})
	if ve, ok := validate.As(err); !ok || ve[0].Field != "paid_on" {
		t.Fatalf("a payment in the future: %v", err)
	}
	_, err = w.decisions.MarkPaid(ctx, steward, grant, 3, decision.Payment{})
	wantKind(t, err, fault.NotFound, "no such instalment")

	in, err := w.decisions.MarkPaid(ctx, steward, grant, 1, decision.Payment{PaidOn: "2026-04-02"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Number != 1 || in.PaidAt == nil || in.PaidAt.Format(time.DateOnly) != "2026-04-02" || in.AmountMinor != 250000 {
		t.Fatalf("paid: %+v", in)
	}
	_, err = w.decisions.MarkPaid(ctx, steward, grant, 1, decision.Payment{})
	wantKind(t, err, fault.Conflict, "already recorded as paid on 2 April 2026")

	in2, err := w.decisions.MarkPaid(ctx, steward, grant, 2, decision.Payment{})
	if err != nil || in2.PaidAt == nil || time.Since(*in2.PaidAt) > time.Minute {
		t.Fatalf("paid today: %+v %v", in2, err)
	}
	g, err := w.decisions.Grant(ctx, grant)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Instalments) != 2 || g.Instalments[0].PaidAt == nil || g.Instalments[1].PaidAt == nil {
		t.Fatalf("grant: %+v", g.Instalments)
	}
	events, err := audit.List(ctx, w.db, audit.Filter{FundID: w.fundID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == "grant.instalment_paid" && e.ActorID != nil && *e.ActorID == steward {
			n++
		}
	}
	if n != 2 {
		t.Errorf("audited payments: %d, want 2", n)
	}
}
