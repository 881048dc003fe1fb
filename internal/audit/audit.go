// Package audit owns the append-only audit log: every change records who did
// what to which record, in the same transaction as the change itself.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/store"
)

// Event is one row of audit_events.
type Event struct {
	ID         int64           `json:"id" gorm:"primaryKey;->"`
	OccurredAt time.Time       `json:"occurred_at" gorm:"->"`
	ActorID    *int64          `json:"actor_id"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	FundID     *int64          `json:"fund_id"`
	Changes    json.RawMessage `json:"changes" gorm:"type:jsonb"`
	RequestID  string          `json:"request_id"`
}

// TableName tells GORM the table.
func (Event) TableName() string { return "audit_events" }

type requestIDKey struct{}

// WithRequestID stores the request id in ctx so events can carry it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Entry is what a service says about a change it is making.
type Entry struct {
	ActorID    int64 // 0: the system or the command line
	Action     string
	ObjectType string
	ObjectID   any
	FundID     int64 // 0: not about a fund
	Changes    any   // marshalled to JSON; keep it small, never secrets
}

// Record writes e with the transaction in ctx (see store.WithTx), so the
// event commits or rolls back with the change it describes.
func Record(ctx context.Context, db *gorm.DB, e Entry) error {
	changes := json.RawMessage(`{}`)
	if e.Changes != nil {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		changes = b
	}
	ev := Event{
		Action:     e.Action,
		ObjectType: e.ObjectType,
		ObjectID:   fmt.Sprint(e.ObjectID),
		Changes:    changes,
		RequestID:  RequestID(ctx),
	}
	if e.ObjectID == nil {
		ev.ObjectID = ""
	}
	if e.ActorID != 0 {
		ev.ActorID = &e.ActorID
	}
	if e.FundID != 0 {
		ev.FundID = &e.FundID
	}
	return store.Conn(ctx, db).Create(&ev).Error
}

// Filter selects events to list.
type Filter struct {
	FundID int64 // 0: every fund and none
	Before int64 // list events with id < Before (keyset pagination); 0: newest
	Limit  int
}

// List returns events newest first.
func List(ctx context.Context, db *gorm.DB, f Filter) ([]Event, error) {
	q := store.Conn(ctx, db).Order("id DESC")
	if f.FundID != 0 {
		q = q.Where("fund_id = ?", f.FundID)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var events []Event
	err := q.Limit(f.Limit).Find(&events).Error
	return events, err
}
