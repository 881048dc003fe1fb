package agreement_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type world struct {
	db                       *gorm.DB
	svc                      *agreement.Service
	grant                    int64
	steward, grantee, other  int64 // other: a member of another organisation
	steward2, partner, plain int64
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// newWorld makes a grant of a fund to an organisation with one member
// (grantee), two stewards, a learning partner and people of no standing.
func newWorld(t *testing.T) *world {
	t.Helper()
	db := pgtest.DB(t)
	w := &world{db: db, svc: agreement.NewService(db)}
	fund := applicationtest.Fund(t, db, "Riverside Fund")
	round := applicationtest.Round(t, db, fund, application.RoundReview, applicationtest.ClosedNow())
	user := func(name string) int64 {
		return id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES (?, ?, 'x') RETURNING id`,
			strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org", name)
	}
	w.steward, w.steward2, w.grantee, w.other = user("Sam Steward"), user("Sol Steward"), user("Gus Grantee"), user("Olu Other")
	w.partner, w.plain = user("Lee Partner"), user("Pat Plain")
	org := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`)
	otherOrg := id(t, db, `INSERT INTO organisations (name, kind) VALUES ('Shared Tables', 'applicant') RETURNING id`)
	for _, m := range [][2]int64{{org, w.grantee}, {otherOrg, w.other}} {
		if err := db.Exec(`INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?)`, m[0], m[1]).Error; err != nil {
			t.Fatal(err)
		}
	}
	role := func(u int64, r string) {
		if err := db.Exec(`INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('g', ?, ?, ?)`, fmt.Sprint("user:", u), r, fmt.Sprint("fund:", fund)).Error; err != nil {
			t.Fatal(err)
		}
	}
	role(w.steward, "steward")
	role(w.steward2, "steward")
	role(w.partner, "learning_partner")
	app := applicationtest.Application(t, db, round, org, "Kitchen table")
	w.grant = id(t, db, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
		VALUES (?, ?, ?, ?, 'Kitchen table', 500000, '2026-04-01', '2027-03-31') RETURNING id`, fund, round, app, org)
	if err := db.Exec(`INSERT INTO grant_instalments (grant_id, number, due_on, amount_minor) VALUES (?, 1, '2026-04-01', 250000), (?, 2, '2026-10-01', 250000)`,
		w.grant, w.grant).Error; err != nil {
		t.Fatal(err)
	}
	return w
}

func complete() agreement.Content {
	return agreement.Content{
		SharedPurpose:     "Neighbours who eat together look out for each other.",
		WhyWeFundedYou:    "The panel loved how the kitchen is run by the people who use it.",
		LearningQuestions: []string{"Who comes, and who does not yet?", "What makes people come back?"},
		Explorations:      []string{"A Friday supper cooked by a different family each week."},
		Reflection:        agreement.Reflection{Mode: agreement.Conversation, EveryMonths: 4, Note: "Over tea, at the kitchen."},
		LearningSignals: []agreement.Signal{{Name: "Who comes to supper", TellsUs: "Whether new people find their way in.",
			DoesNotTellUs: "Whether they feel they belong.", CollectedBy: "The volunteers", HowOften: "Every supper"}},
		FunderCommitments: agreement.Commitments{Money: "£5,000 in two payments.", Flexibility: "Move money between lines as you learn.",
			SupportBeyondMoney: "Introductions to the council's food team.", ResponseDays: 21},
		LearningPartner: agreement.Partner{Name: "Lee Partner"},
		ConsentTerms:    "Stories name people only with their written consent, which they may withdraw at any time.",
		RenegotiateOn:   "2026-10-01",
	}
}

func wantKind(t *testing.T, err error, kind fault.Kind) {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Kind != kind {
		t.Fatalf("error %v (%T), want fault kind %d", err, err, kind)
	}
}

func TestCoWriteSignRenegotiate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.Get(ctx, w.grant); !errors.Is(err, agreement.ErrNoAgreement) {
		t.Fatalf("before creation: %v", err)
	}
	a, err := w.svc.Create(ctx, w.steward, w.grant)
	if err != nil {
		t.Fatal(err)
	}
	if a.Draft == nil || a.Draft.Number != 1 || a.Draft.Revision != 1 || a.Signed != nil ||
		!strings.Contains(a.Draft.Content.SharedPurpose, "belonging for young people in Riverside") ||
		a.Draft.Content.Reflection.EveryMonths != 6 || !strings.Contains(a.Draft.Content.FunderCommitments.Money, "2 instalments") ||
		a.SignalsStatement != agreement.SignalsStatement {
		t.Fatalf("new agreement: %+v", a)
	}
	if _, err := w.svc.Create(ctx, w.steward, w.grant); !errors.Is(err, agreement.ErrExists) {
		t.Fatalf("second creation: %v", err)
	}

	// Signing an incomplete draft is refused, saying what is missing.
	_, err = w.svc.Sign(ctx, w.steward, w.grant, agreement.Funder, agreement.Signing{Revision: 1})
	wantKind(t, err, fault.Conflict)
	if !strings.Contains(err.Error(), "why we funded you") || !strings.Contains(err.Error(), "learning question") {
		t.Fatalf("incomplete: %v", err)
	}

	// The grantee writes the whole agreement.
	ed, err := w.svc.EditDraft(ctx, w.grantee, w.grant, agreement.Edit{Revision: 1, Content: complete()})
	if err != nil {
		t.Fatal(err)
	}
	if ed.Revision != 2 || len(ed.Cleared) != 0 {
		t.Fatalf("after the grantee's edit: revision %d, cleared %v", ed.Revision, ed.Cleared)
	}

	// The steward, who read revision 1, saves over it: refused with both.
	mine := complete()
	mine.SharedPurpose = "Something the steward wrote."
	_, err = w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Revision: 1, Content: mine})
	wantKind(t, err, fault.PreconditionFailed)
	stale, ok := agreement.IsStale(err)
	if !ok || stale.Current == nil || stale.Current.Revision != 2 || stale.Current.Content.SharedPurpose != complete().SharedPurpose ||
		stale.Yours.(agreement.Edit).Content.SharedPurpose != "Something the steward wrote." {
		t.Fatalf("stale edit: %+v", stale)
	}
	v, _ := w.svc.Version(ctx, w.grant, 1)
	if v.Revision != 2 || v.Content.SharedPurpose != complete().SharedPurpose {
		t.Fatalf("the refused edit changed the draft: %+v", v)
	}

	// Saving the same text again changes nothing.
	ed, err = w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Revision: 2, Content: complete()})
	if err != nil || ed.Revision != 2 {
		t.Fatalf("unchanged save: revision %d, %v", ed.Revision, err)
	}

	// Who signs what.
	_, err = w.svc.Sign(ctx, w.other, w.grant, agreement.Grantee, agreement.Signing{Revision: 2})
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.Sign(ctx, w.plain, w.grant, agreement.Funder, agreement.Signing{Revision: 2})
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.Sign(ctx, w.grantee, w.grant, agreement.Funder, agreement.Signing{Revision: 2})
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.Sign(ctx, w.grantee, w.grant, agreement.Grantee, agreement.Signing{Revision: 1})
	wantKind(t, err, fault.PreconditionFailed)

	// The grantee signs; the steward then edits, which sets the grantee's
	// signature aside.
	v, err = w.svc.Sign(ctx, w.grantee, w.grant, agreement.Grantee, agreement.Signing{Revision: 2})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != agreement.Draft || len(v.Signatures) != 1 || v.Signatures[0].ContentHash != complete().Hash() || v.Signatures[0].Name != "Gus Grantee" {
		t.Fatalf("after one signature: %+v", v)
	}
	_, err = w.svc.Sign(ctx, w.grantee, w.grant, agreement.Grantee, agreement.Signing{Revision: 2})
	wantKind(t, err, fault.Conflict)
	changed := complete()
	changed.FunderCommitments.ResponseDays = 14
	ed, err = w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Revision: 2, Content: changed})
	if err != nil {
		t.Fatal(err)
	}
	if ed.Revision != 3 || len(ed.Cleared) != 1 || ed.Cleared[0].Side != agreement.Grantee || len(ed.Signatures) != 0 {
		t.Fatalf("the edit after a signature: %+v", ed)
	}
	var kept int64
	w.db.Raw(`SELECT count(*) FROM agreement_signatures`).Scan(&kept)
	if kept != 1 {
		t.Fatalf("%d signature rows; the set-aside one is kept on its revision", kept)
	}

	// Both sign revision 3: the version is signed.
	if _, err := w.svc.Sign(ctx, w.steward, w.grant, agreement.Funder, agreement.Signing{Revision: 3}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Sign(ctx, w.steward2, w.grant, agreement.Funder, agreement.Signing{Revision: 3})
	wantKind(t, err, fault.Conflict)
	v, err = w.svc.Sign(ctx, w.grantee, w.grant, agreement.Grantee, agreement.Signing{Revision: 3})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != agreement.Signed || v.SignedAt == nil || len(v.Signatures) != 2 || v.ContentHash != changed.Hash() {
		t.Fatalf("signed: %+v", v)
	}
	for _, s := range v.Signatures {
		if s.ContentHash != v.ContentHash || s.Revision != 3 {
			t.Fatalf("signature %+v does not sign the version's text", s)
		}
	}

	// A signed version never changes.
	_, err = w.svc.EditDraft(ctx, w.grantee, w.grant, agreement.Edit{Revision: 3, Content: complete()})
	if !errors.Is(err, agreement.ErrNoDraft) {
		t.Fatalf("edit of a signed version: %v", err)
	}
	_, err = w.svc.Sign(ctx, w.steward2, w.grant, agreement.Funder, agreement.Signing{Revision: 3})
	wantKind(t, err, fault.Conflict)
	for _, sql := range []string{
		`UPDATE agreement_versions SET content = '{}'::jsonb WHERE number = 1`,
		`UPDATE agreement_versions SET status = 'draft', signed_at = NULL WHERE number = 1`,
		`DELETE FROM agreement_versions WHERE number = 1`,
		`UPDATE agreement_signatures SET user_id = user_id`,
		`DELETE FROM agreement_signatures`,
	} {
		if err := w.db.Exec(sql).Error; err == nil || !strings.Contains(err.Error(), "never change") {
			t.Errorf("%s: %v, want refused by the database", sql, err)
		}
	}

	// Renegotiating starts version 2 from version 1.
	v2, err := w.svc.Renegotiate(ctx, w.grantee, w.grant)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Number != 2 || v2.Status != agreement.Draft || v2.BasedOn == nil || *v2.BasedOn != 1 || v2.ContentHash != v.ContentHash {
		t.Fatalf("renegotiation: %+v", v2)
	}
	_, err = w.svc.Renegotiate(ctx, w.steward, w.grant)
	wantKind(t, err, fault.Conflict)
	next := changed
	next.LearningQuestions = []string{"Who comes, and who does not yet?", "What do people cook when it is their turn?", "Does anyone bring a friend?"}
	next.LearningSignals = nil
	next.Reflection.EveryMonths = 6
	if _, err := w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Revision: 1, Content: next}); err != nil {
		t.Fatal(err)
	}
	a, _ = w.svc.Get(ctx, w.grant)
	if a.Versions != 2 || a.Signed == nil || a.Signed.Number != 1 || a.Draft == nil || a.Draft.Number != 2 {
		t.Fatalf("while renegotiating: %+v", a)
	}
	var cadence int
	w.db.Raw(`SELECT (v.content->'reflection'->>'every_months')::int FROM agreement_versions v JOIN agreements a ON a.id = v.agreement_id
		WHERE a.grant_id = ? AND v.status = 'signed' ORDER BY v.number DESC LIMIT 1`, w.grant).Scan(&cadence)
	if cadence != 4 {
		t.Fatalf("the governing cadence is %d months, want 4 (the signed version's)", cadence)
	}

	ch, err := w.svc.Changes(ctx, w.grant, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]agreement.Row{}
	for _, r := range ch.Rows {
		got[r.Field] = r
	}
	for field, want := range map[string]string{
		"learning_questions[0]":        agreement.Same,
		"learning_questions[1]":        agreement.Changed,
		"learning_questions[2]":        agreement.Added,
		"learning_signals[0].name":     agreement.Removed,
		"reflection.every_months":      agreement.Changed,
		"shared_purpose":               agreement.Same,
		"learning_signals[0].tells_us": agreement.Removed,
	} {
		if got[field].Change != want {
			t.Errorf("%s: %+v, want %s", field, got[field], want)
		}
	}
	if r := got["reflection.every_months"]; r.Before != "4" || r.After != "6" || r.Label != "How often (months)" {
		t.Errorf("cadence row: %+v", r)
	}
	if ch.Previous != 1 || ch.Changed != 8 { // 2 questions, 5 signal fields, the cadence
		t.Errorf("changes: previous %d, %d changed", ch.Previous, ch.Changed)
	}
	first, err := w.svc.Changes(ctx, w.grant, 1)
	if err != nil || first.Previous != 0 || first.Changed == 0 {
		t.Errorf("the first version against an empty agreement: %+v, %v", first, err)
	}
	if _, err := w.svc.Version(ctx, w.grant, 3); !errors.Is(err, agreement.ErrNoVersion) {
		t.Fatalf("version 3: %v", err)
	}
}

func TestCreatedOnFirstEdit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	_, err := w.svc.EditDraft(ctx, w.grantee, w.grant, agreement.Edit{Revision: 4, Content: complete()})
	wantKind(t, err, fault.PreconditionFailed)
	ed, err := w.svc.EditDraft(ctx, w.grantee, w.grant, agreement.Edit{Revision: 0, Content: complete()})
	if err != nil {
		t.Fatal(err)
	}
	if ed.Number != 1 || ed.Revision != 1 || ed.Content.WhyWeFundedYou != complete().WhyWeFundedYou {
		t.Fatalf("created by an edit: %+v", ed)
	}
	_, err = w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Revision: 0, Content: complete()})
	wantKind(t, err, fault.PreconditionFailed)
}

func TestContentIsChecked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	bad := func(mut func(*agreement.Content), field string) {
		t.Helper()
		c := complete()
		mut(&c)
		_, err := w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Content: c})
		ve, ok := validate.As(err)
		if !ok || ve[0].Field != field {
			t.Errorf("want 422 on %s, got %v", field, err)
		}
	}
	bad(func(c *agreement.Content) { c.Reflection.Mode = "survey" }, "content.reflection.mode")
	bad(func(c *agreement.Content) { c.Reflection.EveryMonths = 25 }, "content.reflection.every_months")
	bad(func(c *agreement.Content) { c.Reflection.EveryMonths = -1 }, "content.reflection.every_months")
	bad(func(c *agreement.Content) { c.LearningSignals[0].DoesNotTellUs = " " }, "content.learning_signals[0].does_not_tell_us")
	bad(func(c *agreement.Content) { c.LearningQuestions = append(c.LearningQuestions, "") }, "content.learning_questions[2]")
	bad(func(c *agreement.Content) { c.RenegotiateOn = "soon" }, "content.renegotiate_on")
	bad(func(c *agreement.Content) { c.FunderCommitments.ResponseDays = 400 }, "content.funder_commitments.response_days")
	bad(func(c *agreement.Content) { c.LearningPartner.UserID = &w.plain }, "content.learning_partner.user_id")

	c := complete()
	c.LearningPartner.UserID = &w.partner
	if _, err := w.svc.EditDraft(ctx, w.steward, w.grant, agreement.Edit{Content: c}); err != nil {
		t.Fatalf("a learning partner of the fund: %v", err)
	}

	for body, field := range map[string]string{
		`{"revision":1,"content":{"learning_signals":[{"name":"x","target":10}]}}`: "content.learning_signals[0].target",
		`{"revision":1,"content":{"threshold":3}}`:                                 "content.threshold",
		`{"rating":"green"}`: "rating",
	} {
		ve, ok := validate.As(agreement.ForbiddenField([]byte(body)))
		if !ok || ve[0].Field != field {
			t.Errorf("%s: %v, want %s", body, ve, field)
		}
	}
	if err := agreement.ForbiddenField([]byte(`{"content":{"shared_purpose":"our target audience"}}`)); err != nil {
		t.Errorf("a word in a text is not a field: %v", err)
	}
}

func TestCanonicalHash(t *testing.T) {
	a, b := complete(), complete()
	b.SharedPurpose = "  " + b.SharedPurpose + "\n"
	b.LearningSignals[0].Name += " "
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Fatalf("hashes differ on spacing: %s %s", a.Hash(), b.Hash())
	}
	b.LearningQuestions[0], b.LearningQuestions[1] = b.LearningQuestions[1], b.LearningQuestions[0]
	if a.Hash() == b.Hash() {
		t.Fatal("the order of questions is part of the text")
	}
	if !strings.HasPrefix(string(a.Canonical()), `{"shared_purpose":"Neighbours`) {
		t.Fatalf("canonical form: %s", a.Canonical())
	}
	if n, r, ok := agreement.ParseETag(`W/"v2.r15"`); !ok || n != 2 || r != 15 {
		t.Fatalf("ParseETag: %d %d %v", n, r, ok)
	}
}
