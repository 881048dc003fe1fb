package panel

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Ways a member's time was paid. Some members must protect their benefits,
// so a voucher or declining payment is as ordinary as money.
var PaymentMethods = []string{"amount", "voucher", "declined"}

// PaymentNames are the ways of paying as people read them.
var PaymentNames = map[string]string{"amount": "Paid", "voucher": "Voucher", "declined": "Declined payment"}

// TimeRecord is the time one member gave to one round and how it was paid.
// Only the fund's stewards and the member themself see it.
type TimeRecord struct {
	ID          int64     `json:"id"`
	FundID      int64     `json:"fund_id"`
	RoundID     int64     `json:"round_id"`
	UserID      int64     `json:"user_id"`
	DisplayName string    `json:"display_name"`
	Hours       float64   `json:"hours"`
	Payment     string    `json:"payment"`
	AmountMinor *int64    `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Note        string    `json:"note"`
	RecordedBy  *int64    `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// TimeEntry is what a steward records for one member in one round. It
// replaces what was recorded before.
type TimeEntry struct {
	UserID      int64    `json:"user_id" validate:"required,gt=0"`
	Hours       *float64 `json:"hours" validate:"required,gte=0,lte=9999.99"`
	Payment     string   `json:"payment" validate:"required,oneof=amount voucher declined"`
	AmountMinor *int64   `json:"amount_minor" validate:"omitempty,gte=0"`
	Note        string   `json:"note" validate:"max=2000"`
}

// MaxHours is the most hours one record holds (the column's precision).
const MaxHours = 9999.99

func (in TimeEntry) check() error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	var errs validate.Errors
	if h := *in.Hours * 100; math.Abs(h-math.Round(h)) > 1e-6 {
		errs = append(errs, validate.FieldError{Field: "hours", Message: "must have at most two decimals, such as 3.25"})
	}
	switch {
	case in.Payment == "amount" && in.AmountMinor == nil:
		errs = append(errs, validate.FieldError{Field: "amount_minor", Message: "is required when the member was paid an amount"})
	case in.Payment != "amount" && in.AmountMinor != nil:
		errs = append(errs, validate.FieldError{Field: "amount_minor", Message: "must be left out unless the member was paid an amount"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

const timeColumns = `SELECT t.id, t.fund_id, t.round_id, t.user_id, u.display_name, t.hours::float8 AS hours, t.payment,
	t.amount_minor, f.currency, t.note, t.recorded_by, t.recorded_at
	FROM panel_time t JOIN users u ON u.id = t.user_id JOIN funds f ON f.id = t.fund_id`

// TimeRecords lists a round's records, by name; userID > 0 keeps only that
// member's.
func (s *Service) TimeRecords(ctx context.Context, roundID, userID int64) ([]TimeRecord, error) {
	q := store.Conn(ctx, s.db)
	var out []TimeRecord
	var err error
	if userID > 0 {
		err = q.Raw(timeColumns+` WHERE t.round_id = ? AND t.user_id = ? ORDER BY t.id`, roundID, userID).Scan(&out).Error
	} else {
		err = q.Raw(timeColumns+` WHERE t.round_id = ? ORDER BY lower(u.display_name), t.id`, roundID).Scan(&out).Error
	}
	return out, err
}

// RecordTime records (or re-records) a member's time in a round. created
// reports whether there was no record before.
func (s *Service) RecordTime(ctx context.Context, actorID, roundID int64, in TimeEntry) (rec TimeRecord, created bool, err error) {
	in.Note = strings.TrimSpace(in.Note)
	if err := in.check(); err != nil {
		return TimeRecord{}, false, err
	}
	var id int64
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.Round(ctx, roundID)
		if err != nil {
			return err
		}
		var seated int64
		if err := tx.Raw(`SELECT count(*) FROM panel_members WHERE fund_id = ? AND user_id = ?`, r.FundID, in.UserID).
			Scan(&seated).Error; err != nil {
			return err
		}
		if seated == 0 {
			return validate.Field("user_id", "is not on this fund's panel")
		}
		hours := strconv.FormatFloat(*in.Hours, 'f', 2, 64)
		var row struct {
			ID      int64
			Created bool
		}
		// xmax is 0 on a freshly inserted row and set on an updated one:
		// one statement, no race between two stewards recording at once.
		if err := tx.Raw(`INSERT INTO panel_time (fund_id, round_id, user_id, hours, payment, amount_minor, note, recorded_by)
			VALUES (?, ?, ?, ?::numeric, ?, ?, ?, ?)
			ON CONFLICT (round_id, user_id) DO UPDATE SET hours = EXCLUDED.hours, payment = EXCLUDED.payment,
				amount_minor = EXCLUDED.amount_minor, note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by,
				recorded_at = now()
			RETURNING id, (xmax = 0) AS created`,
			r.FundID, roundID, in.UserID, hours, in.Payment, in.AmountMinor, in.Note, actorID).Scan(&row).Error; err != nil {
			return err
		}
		id, created = row.ID, row.Created
		action := "panel_time.update"
		if created {
			action = "panel_time.record"
		}
		// The note stays out of the log: it may speak of a member's
		// benefits, which the log's readers need not know.
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: action, ObjectType: "panel_time",
			ObjectID: id, FundID: r.FundID, Changes: map[string]any{"round_id": roundID, "user_id": in.UserID,
				"hours": hours, "payment": in.Payment, "amount_minor": in.AmountMinor}})
	})
	if err != nil {
		return TimeRecord{}, false, err
	}
	if err := store.Conn(ctx, s.db).Raw(timeColumns+` WHERE t.id = ?`, id).Scan(&rec).Error; err != nil {
		return TimeRecord{}, false, err
	}
	return rec, created, nil
}
