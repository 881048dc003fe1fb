package audit_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	if err := audit.Record(ctx, db, audit.Entry{Action: "test.create", ObjectType: "thing", ObjectID: 7,
		Changes: map[string]any{"name": "first"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, sql string }{
		{"update-refused", `UPDATE audit_events SET action = 'rewritten'`},
		{"delete-refused", `DELETE FROM audit_events`},
		{"truncate-refused", `TRUNCATE audit_events`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Exec(tc.sql).Error
			if err == nil {
				t.Fatal("the database allowed it")
			}
			if got := store.PgCode(err); got != "42501" {
				t.Fatalf("SQLSTATE %q, want 42501 (insufficient_privilege): %v", got, err)
			}
		})
	}
	events, err := audit.List(ctx, db, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "test.create" || events[0].ObjectID != "7" {
		t.Fatalf("events after the refused changes: %+v", events)
	}
}

func TestAuditEventRollsBackWithItsChange(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := audit.WithRequestID(context.Background(), "req-1")
	boom := errors.New("the change failed")
	err := store.WithTx(ctx, db, func(ctx context.Context, tx *gorm.DB) error {
		if err := audit.Record(ctx, db, audit.Entry{Action: "test.create", ObjectType: "thing"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if err := audit.Record(ctx, db, audit.Entry{ActorID: 0, Action: "test.kept", ObjectType: "thing", FundID: 3}); err != nil {
		t.Fatal(err)
	}
	events, err := audit.List(ctx, db, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "test.kept" {
		t.Fatalf("want only the committed event, got %+v", events)
	}
	if events[0].RequestID != "req-1" || events[0].FundID == nil || *events[0].FundID != 3 {
		t.Fatalf("request id / fund not kept: %+v", events[0])
	}
	byFund, err := audit.List(ctx, db, audit.Filter{FundID: 4})
	if err != nil || len(byFund) != 0 {
		t.Fatalf("fund filter: %v %+v", err, byFund)
	}
}
