package panel_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/store"
)

func TestCommentsAreCorrectedBrieflyAndNeverDeleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	author, other := f.people[0], f.people[1]

	// Not while the round still accepts applications.
	_, err := f.svc.PostComment(ctx, author, f.apps[0], "Too early.")
	wantKind(t, err, fault.Conflict)
	f.setState(t, "review")

	_, err = f.svc.PostComment(ctx, author, f.apps[0], "   ")
	wantFields(t, err, "body")
	_, err = f.svc.PostComment(ctx, author, f.apps[0], strings.Repeat("x", panel.MaxCommentLength+1))
	wantFields(t, err, "body")

	c, err := f.svc.PostComment(ctx, author, f.apps[0], "The kitchen plan reads well.")
	if err != nil {
		t.Fatal(err)
	}
	if c.Body == nil || *c.Body != "The kitchen plan reads well." || c.AuthorName != "Mo Member" {
		t.Fatalf("comment = %+v", c)
	}
	if !c.Correctable(author, time.Now()) || c.Correctable(other, time.Now()) {
		t.Fatal("only the author may correct, within the window")
	}

	// Correct within the window: the old words are kept.
	c, err = f.svc.CorrectComment(ctx, author, c.ID, "The kitchen plan reads well to me.")
	if err != nil {
		t.Fatal(err)
	}
	if *c.Body != "The kitchen plan reads well to me." || c.EditedAt == nil {
		t.Fatalf("corrected = %+v", c)
	}
	var kept string
	f.db.Raw(`SELECT body FROM comment_revisions WHERE comment_id = ?`, c.ID).Scan(&kept)
	if kept != "The kitchen plan reads well." {
		t.Fatalf("revision kept %q", kept)
	}
	_, err = f.svc.CorrectComment(ctx, other, c.ID, "Not mine to change.")
	wantKind(t, err, fault.Forbidden)

	// After ten minutes: 409, nothing changed.
	f.exec(t, `UPDATE comments SET created_at = now() - interval '11 minutes' WHERE id = ?`, c.ID)
	_, err = f.svc.CorrectComment(ctx, author, c.ID, "Too late.")
	wantKind(t, err, fault.Conflict)
	if n := f.count(t, `SELECT count(*) FROM comment_revisions WHERE comment_id = ?`, c.ID); n != 1 {
		t.Fatalf("%d revisions, want 1", n)
	}

	// Retraction: a reason is required; the words then leave the thread.
	_, err = f.svc.RetractComment(ctx, author, c.ID, " ")
	wantFields(t, err, "reason")
	_, err = f.svc.RetractComment(ctx, other, c.ID, "Not mine.")
	wantKind(t, err, fault.Forbidden)
	c, err = f.svc.RetractComment(ctx, author, c.ID, "I misread the budget.")
	if err != nil {
		t.Fatal(err)
	}
	if c.Body != nil || c.RetractedAt == nil || c.RetractionReason == nil || *c.RetractionReason != "I misread the budget." {
		t.Fatalf("retracted = %+v", c)
	}
	_, err = f.svc.RetractComment(ctx, author, c.ID, "Again.")
	wantKind(t, err, fault.Conflict)
	thread, err := f.svc.Thread(ctx, f.apps[0])
	if err != nil || len(thread) != 1 || thread[0].Body != nil {
		t.Fatalf("thread = %+v, %v", thread, err)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE object_type = 'comment' AND object_id = ?`, strconv.FormatInt(c.ID, 10)); n != 3 {
		t.Fatalf("%d comment audit events (create, correct, retract), want 3", n)
	}

	// The database refuses to delete a comment, whoever asks.
	err = f.db.Exec(`DELETE FROM comments WHERE id = ?`, c.ID).Error
	if err == nil || store.PgCode(err) != "42501" {
		t.Fatalf("DELETE on comments: %v, want SQLSTATE 42501", err)
	}
}

func TestPanelTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	f.seat(t, 0, panel.Member)
	member := f.people[0]
	hours := func(h float64) *float64 { return &h }
	minor := func(n int64) *int64 { return &n }
	refusals := []struct {
		name  string
		in    panel.TimeEntry
		field string
	}{
		{"amount-without-sum-422", panel.TimeEntry{UserID: member, Hours: hours(3), Payment: "amount"}, "amount_minor"},
		{"voucher-with-sum-422", panel.TimeEntry{UserID: member, Hours: hours(3), Payment: "voucher", AmountMinor: minor(100)}, "amount_minor"},
		{"no-hours-422", panel.TimeEntry{UserID: member, Payment: "declined"}, "hours"},
		{"negative-hours-422", panel.TimeEntry{UserID: member, Hours: hours(-1), Payment: "declined"}, "hours"},
		{"three-decimals-422", panel.TimeEntry{UserID: member, Hours: hours(1.333), Payment: "declined"}, "hours"},
		{"bad-payment-422", panel.TimeEntry{UserID: member, Hours: hours(1), Payment: "cash"}, "payment"},
		{"not-on-panel-422", panel.TimeEntry{UserID: f.people[1], Hours: hours(1), Payment: "declined"}, "user_id"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.svc.RecordTime(ctx, f.steward, f.round, tc.in)
			wantFields(t, err, tc.field)
		})
	}
	rec, created, err := f.svc.RecordTime(ctx, f.steward, f.round, panel.TimeEntry{UserID: member, Hours: hours(4.5),
		Payment: "amount", AmountMinor: minor(9000)})
	if err != nil || !created {
		t.Fatalf("record = %+v, %v, %v", rec, created, err)
	}
	if rec.Hours != 4.5 || *rec.AmountMinor != 9000 || rec.Currency != "GBP" || rec.DisplayName != "Mo Member" {
		t.Fatalf("record = %+v", rec)
	}
	rec, created, err = f.svc.RecordTime(ctx, f.steward, f.round, panel.TimeEntry{UserID: member, Hours: hours(6),
		Payment: "declined", Note: "Protecting benefits; thanked in person."})
	if err != nil || created || rec.AmountMinor != nil || rec.Payment != "declined" {
		t.Fatalf("re-record = %+v, %v, %v", rec, created, err)
	}
	rows, err := f.svc.TimeRecords(ctx, f.round, 0)
	if err != nil || len(rows) != 1 {
		t.Fatalf("records = %+v, %v", rows, err)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE object_type = 'panel_time' AND changes->>'note' IS NOT NULL`); n != 0 {
		t.Fatal("the note must stay out of the audit log")
	}
}
