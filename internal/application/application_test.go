package application_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture struct {
	db      *gorm.DB
	svc     *application.Service
	fundID  int64
	orgA    int64
	orgB    int64
	funder  int64
	userA   int64
	panelU  int64
	roundID int64 // accepting, window open
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.DB(t)
	f := &fixture{db: db, svc: application.NewService(db)}
	f.fundID = applicationtest.Fund(t, db, "Riverside Fund")
	f.orgA = insertID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Hillside Youth Club', 'applicant') RETURNING id`)
	f.orgB = insertID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Canal Gardeners', 'applicant') RETURNING id`)
	f.funder = insertID(t, db, `INSERT INTO organisations (name, kind) VALUES ('A Funder', 'funder') RETURNING id`)
	f.userA = insertID(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES ('a@example.org', 'Amara', 'x') RETURNING id`)
	f.panelU = insertID(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES ('p@example.org', 'Priya', 'x') RETURNING id`)
	f.roundID = applicationtest.Round(t, db, f.fundID, application.RoundAccepting, applicationtest.OpenNow())
	return f
}

func insertID(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(sql, args...).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	return insertID(t, f.db, sql, args...)
}

func proposal() application.Proposal {
	min := int64(300000)
	return application.Proposal{
		Title:         "A shared kitchen on the estate",
		Explore:       "Whether cooking together helps neighbours who never meet to start talking.",
		WithWhom:      "Families on the Riverside estate, with the tenants' association.",
		HowLearn:      "Monthly conversations, written up together and shared with the panel.",
		AmountMinor:   500000,
		MinimumMinor:  &min,
		BudgetSummary: "Rent £3,000; food £2,000.",
	}
}

func words(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }

func wantFault(t *testing.T, err error, kind fault.Kind) {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Kind != kind {
		t.Fatalf("error %v (%T), want fault kind %d", err, err, kind)
	}
}

func wantField(t *testing.T, err error, field, message string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok {
		t.Fatalf("error %v, want a validation error on %s", err, field)
	}
	for _, fe := range ve {
		if fe.Field == field {
			if message != "" && fe.Message != message {
				t.Fatalf("%s: message %q, want %q", field, fe.Message, message)
			}
			return
		}
	}
	t.Fatalf("validation error %v does not name %s", ve, field)
}

func TestApply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()

	a, err := f.svc.Apply(ctx, f.userA, f.roundID, application.NewApplication{OrganisationID: f.orgA, Proposal: proposal()})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != application.Submitted || a.Version != 1 || a.FundID != f.fundID || a.OrganisationName != "Hillside Youth Club" ||
		a.Currency != "GBP" || a.MinimumMinor == nil || *a.MinimumMinor != 300000 {
		t.Fatalf("applied: %+v", a)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'application.create' AND object_id = ? AND fund_id = ?`,
		fmt.Sprint(a.ID), f.fundID); n != 1 {
		t.Fatalf("%d audit events for the application, want 1", n)
	}

	notYet := applicationtest.Window{Open: time.Now().Add(24 * time.Hour), Close: time.Now().Add(48 * time.Hour)}
	for _, tc := range []struct {
		name   string
		state  string
		window applicationtest.Window
	}{
		{"draft-round-409", application.RoundDraft, applicationtest.OpenNow()},
		{"review-round-409", application.RoundReview, applicationtest.OpenNow()},
		{"voting-round-409", application.RoundVoting, applicationtest.OpenNow()},
		{"decided-round-409", application.RoundDecided, applicationtest.OpenNow()},
		{"window-closed-409", application.RoundAccepting, applicationtest.ClosedNow()},
		{"window-not-open-409", application.RoundAccepting, notYet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rid := applicationtest.Round(t, f.db, f.fundID, tc.state, tc.window)
			_, err := f.svc.Apply(ctx, f.userA, rid, application.NewApplication{OrganisationID: f.orgA, Proposal: proposal()})
			wantFault(t, err, fault.Conflict)
			if n := f.count(t, `SELECT count(*) FROM applications WHERE round_id = ?`, rid); n != 0 {
				t.Fatalf("%d applications written", n)
			}
		})
	}

	t.Run("funder-organisation-422", func(t *testing.T) {
		_, err := f.svc.Apply(ctx, f.userA, f.roundID, application.NewApplication{OrganisationID: f.funder, Proposal: proposal()})
		wantField(t, err, "organisation_id", "must be an applicant organisation")
	})
	t.Run("unknown-round-404", func(t *testing.T) {
		_, err := f.svc.Apply(ctx, f.userA, 999999, application.NewApplication{OrganisationID: f.orgA, Proposal: proposal()})
		if !errors.Is(err, application.ErrRoundNotFound) {
			t.Fatalf("error %v, want round not found", err)
		}
	})
}

func TestWordLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	before := f.count(t, `SELECT count(*) FROM audit_events`)
	for _, tc := range []struct {
		name, field, message string
		change               func(p *application.Proposal)
	}{
		{"title-21-words-422", "title", "must be at most 20 words (this has 21)", func(p *application.Proposal) { p.Title = words(21) }},
		{"title-201-chars-422", "title", "must be at most 200 characters (this has 201)", func(p *application.Proposal) { p.Title = strings.Repeat("é", 201) }},
		{"title-blank-422", "title", "is required", func(p *application.Proposal) { p.Title = "   " }},
		{"explore-263-words-422", "explore", "must be at most 250 words (this has 263)", func(p *application.Proposal) { p.Explore = words(263) }},
		{"with-whom-251-words-422", "with_whom", "must be at most 250 words (this has 251)", func(p *application.Proposal) { p.WithWhom = words(251) }},
		{"how-learn-251-words-422", "how_learn", "must be at most 250 words (this has 251)", func(p *application.Proposal) { p.HowLearn = words(251) }},
		{"budget-151-words-422", "budget_summary", "must be at most 150 words (this has 151)", func(p *application.Proposal) { p.BudgetSummary = words(151) }},
		{"amount-zero-422", "amount_minor", "", func(p *application.Proposal) { p.AmountMinor = 0 }},
		{"amount-over-round-budget-422", "amount_minor", "", func(p *application.Proposal) { p.AmountMinor = 5000001 }},
		{"minimum-over-amount-422", "minimum_minor", "must not be more than the amount requested", func(p *application.Proposal) {
			m := p.AmountMinor + 1
			p.MinimumMinor = &m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := proposal()
			tc.change(&p)
			_, err := f.svc.Apply(ctx, f.userA, f.roundID, application.NewApplication{OrganisationID: f.orgA, Proposal: p})
			wantField(t, err, tc.field, tc.message)
		})
	}
	t.Run("at-the-limits-ok", func(t *testing.T) {
		p := proposal()
		p.Title, p.Explore, p.WithWhom, p.HowLearn, p.BudgetSummary = words(20), words(250), words(250), words(250), words(150)
		p.Explore = strings.ReplaceAll(p.Explore, " ", "\r\n") // as a form sends it
		if _, err := f.svc.Apply(ctx, f.userA, f.roundID, application.NewApplication{OrganisationID: f.orgA, Proposal: p}); err != nil {
			t.Fatal(err)
		}
	})
	if n := f.count(t, `SELECT count(*) FROM applications`); n != 1 {
		t.Fatalf("%d applications written, want only the one at the limits", n)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events`) - before; n != 1 {
		t.Fatalf("%d audit events written, want 1", n)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.svc.Apply(ctx, f.userA, f.roundID, application.NewApplication{OrganisationID: f.orgA, Proposal: proposal()})
	if err != nil {
		t.Fatal(err)
	}
	title := "A shared kitchen, and a garden"
	var e application.Edit
	if err := json.Unmarshal([]byte(`{"version":1,"title":"`+title+`","minimum_minor":null}`), &e); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Update(ctx, f.userA, a.ID, e)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != title || got.Version != 2 || got.MinimumMinor != nil || got.Explore != a.Explore || got.AmountMinor != a.AmountMinor {
		t.Fatalf("updated: %+v", got)
	}

	t.Run("stale-version-412", func(t *testing.T) {
		other := "Something else"
		_, err := f.svc.Update(ctx, f.userA, a.ID, application.Edit{Version: 1, Title: &other})
		wantFault(t, err, fault.PreconditionFailed)
		now, _ := f.svc.Get(ctx, a.ID)
		if now.Title != title || now.Version != 2 {
			t.Fatalf("changed by a stale edit: %+v", now)
		}
	})
	t.Run("too-many-words-422", func(t *testing.T) {
		long := words(251)
		_, err := f.svc.Update(ctx, f.userA, a.ID, application.Edit{Version: 2, HowLearn: &long})
		wantField(t, err, "how_learn", "must be at most 250 words (this has 251)")
	})
	t.Run("minimum-null-vs-absent", func(t *testing.T) {
		var absent, null application.Edit
		_ = json.Unmarshal([]byte(`{"version":2}`), &absent)
		_ = json.Unmarshal([]byte(`{"version":2,"minimum_minor":null}`), &null)
		if absent.MinimumMinor.Set || !null.MinimumMinor.Set || null.MinimumMinor.Value != nil {
			t.Fatalf("absent %+v, null %+v", absent.MinimumMinor, null.MinimumMinor)
		}
		var bad application.Edit
		err := json.Unmarshal([]byte(`{"version":2,"minimum_minor":"lots"}`), &bad)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field != "minimum_minor" {
			t.Fatalf("error %v, want a type error naming minimum_minor", err)
		}
	})
	t.Run("window-closed-409", func(t *testing.T) {
		rid := applicationtest.Round(t, f.db, f.fundID, application.RoundAccepting, applicationtest.ClosedNow())
		id := applicationtest.Application(t, f.db, rid, f.orgA, "Late")
		other := "Later"
		_, err := f.svc.Update(ctx, f.userA, id, application.Edit{Version: 1, Title: &other})
		wantFault(t, err, fault.Conflict)
	})
	t.Run("round-in-review-409", func(t *testing.T) {
		rid := applicationtest.Round(t, f.db, f.fundID, application.RoundReview, applicationtest.OpenNow())
		id := applicationtest.Application(t, f.db, rid, f.orgA, "In review")
		other := "Changed"
		_, err := f.svc.Update(ctx, f.userA, id, application.Edit{Version: 1, Title: &other})
		wantFault(t, err, fault.Conflict)
	})
	t.Run("withdrawn-409", func(t *testing.T) {
		id := applicationtest.Application(t, f.db, f.roundID, f.orgA, "To withdraw")
		if _, err := f.svc.Withdraw(ctx, f.userA, id); err != nil {
			t.Fatal(err)
		}
		other := "Changed"
		_, err := f.svc.Update(ctx, f.userA, id, application.Edit{Version: 2, Title: &other})
		wantFault(t, err, fault.Conflict)
	})
	t.Run("unknown-404", func(t *testing.T) {
		_, err := f.svc.Update(ctx, f.userA, 999999, application.Edit{Version: 1})
		if !errors.Is(err, application.ErrNotFound) {
			t.Fatalf("error %v", err)
		}
	})
}

func TestWithdraw(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, state := range []string{application.RoundAccepting, application.RoundReview, application.RoundVoting} {
		t.Run("in-"+state+"-ok", func(t *testing.T) {
			rid := applicationtest.Round(t, f.db, f.fundID, state, applicationtest.ClosedNow())
			id := applicationtest.Application(t, f.db, rid, f.orgA, "Ours")
			a, err := f.svc.Withdraw(ctx, f.userA, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.State != application.Withdrawn || a.Version != 2 {
				t.Fatalf("withdrawn: %+v", a)
			}
			_, err = f.svc.Withdraw(ctx, f.userA, id)
			wantFault(t, err, fault.Conflict)
		})
	}
	t.Run("after-decided-409", func(t *testing.T) {
		rid := applicationtest.Round(t, f.db, f.fundID, application.RoundDecided, applicationtest.ClosedNow())
		id := applicationtest.Application(t, f.db, rid, f.orgA, "Ours")
		_, err := f.svc.Withdraw(ctx, f.userA, id)
		wantFault(t, err, fault.Conflict)
		a, _ := f.svc.Get(ctx, id)
		if a.State != application.Submitted || a.Version != 1 {
			t.Fatalf("changed: %+v", a)
		}
		if n := f.count(t, `SELECT count(*) FROM audit_events WHERE object_id = ?`, fmt.Sprint(id)); n != 0 {
			t.Fatalf("%d audit events for a refused withdrawal", n)
		}
	})
}

func TestMarkIneligible(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := applicationtest.Application(t, f.db, f.roundID, f.orgA, "Ours")

	_, err := f.svc.MarkIneligible(ctx, f.userA, id, application.Ineligibility{Reason: "  \r\n "})
	wantField(t, err, "reason", "is required")
	if a, _ := f.svc.Get(ctx, id); a.State != application.Submitted {
		t.Fatalf("changed without a reason: %+v", a)
	}

	reason := "The fund supports groups in Riverside; this one works in Hillside."
	a, err := f.svc.MarkIneligible(ctx, f.userA, id, application.Ineligibility{Reason: reason})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != application.Ineligible || a.IneligibleReason == nil || *a.IneligibleReason != reason {
		t.Fatalf("marked: %+v", a)
	}
	_, err = f.svc.MarkIneligible(ctx, f.userA, id, application.Ineligibility{Reason: reason})
	wantFault(t, err, fault.Conflict)
	_, err = f.svc.Withdraw(ctx, f.userA, id)
	wantFault(t, err, fault.Conflict)
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'application.mark_ineligible' AND object_id = ?`, fmt.Sprint(id)); n != 1 {
		t.Fatalf("%d audit events", n)
	}

	t.Run("decided-409", func(t *testing.T) {
		rid := applicationtest.Round(t, f.db, f.fundID, application.RoundDecided, applicationtest.ClosedNow())
		id := applicationtest.Application(t, f.db, rid, f.orgA, "Ours")
		_, err := f.svc.MarkIneligible(ctx, f.userA, id, application.Ineligibility{Reason: reason})
		wantFault(t, err, fault.Conflict)
	})
}

func TestRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	rid := applicationtest.Round(t, f.db, f.fundID, application.RoundAccepting, applicationtest.OpenNow())
	id := applicationtest.Application(t, f.db, rid, f.orgA, "Ours")
	a, err := f.svc.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	panelist := application.Viewer{UserID: f.panelU, Panel: true}

	if _, err := f.svc.Read(ctx, a, application.Viewer{UserID: f.userA}); !errors.Is(err, application.ErrNotFound) {
		t.Fatalf("stranger: %v, want not found", err)
	}
	if acc, err := f.svc.Read(ctx, a, application.Viewer{UserID: f.userA, Own: true}); err != nil || acc.Reading != application.Full {
		t.Fatalf("applicant: %+v %v", acc, err)
	}
	if acc, err := f.svc.Read(ctx, a, application.Viewer{UserID: f.userA, Steward: true}); err != nil || acc.Reading != application.Full {
		t.Fatalf("steward: %+v %v", acc, err)
	}
	if _, err := f.svc.Read(ctx, a, panelist); !errors.Is(err, application.ErrPanelNotYet) {
		t.Fatalf("panel while accepting: %v", err)
	}

	applicationtest.SetRoundState(t, f.db, rid, application.RoundReview)
	a, _ = f.svc.Get(ctx, id)
	if _, err := f.svc.Read(ctx, a, panelist); !errors.Is(err, application.ErrDeclareFirst) {
		t.Fatalf("panel without a declaration: %v", err)
	}
	for _, kind := range []string{"none", "disclosed", "recused"} {
		t.Run(kind, func(t *testing.T) {
			u := insertID(t, f.db, `INSERT INTO users (email, display_name, password_hash) VALUES (?, 'P', 'x') RETURNING id`, kind+"@example.org")
			applicationtest.Declare(t, f.db, id, u, kind)
			acc, err := f.svc.Read(ctx, a, application.Viewer{UserID: u, Panel: true})
			want := application.Full
			if kind == "recused" {
				want = application.TitleOnly
			}
			if err != nil || acc.Reading != want || acc.Declaration != kind {
				t.Fatalf("%+v %v, want reading %d", acc, err, want)
			}
		})
	}
}

func TestLists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	idA := applicationtest.Application(t, f.db, f.roundID, f.orgA, "Ours")
	idB := applicationtest.Application(t, f.db, f.roundID, f.orgB, "Theirs")
	r, err := f.svc.Round(ctx, f.roundID)
	if err != nil {
		t.Fatal(err)
	}

	items, total, err := f.svc.ListForRound(ctx, r, application.RoundViewer{UserID: f.userA, OrgIDs: []int64{f.orgA}}, 0, 50)
	if err != nil || total != 1 || len(items) != 1 || items[0].ID != idA || items[0].AmountMinor == nil {
		t.Fatalf("applicant's list: %+v %d %v", items, total, err)
	}
	for _, it := range items {
		if it.ID == idB || it.Title == "Theirs" {
			t.Fatal("the applicant sees another organisation's application")
		}
	}
	items, total, _ = f.svc.ListForRound(ctx, r, application.RoundViewer{UserID: f.userA, Steward: true}, 0, 50)
	if total != 2 || len(items) != 2 {
		t.Fatalf("steward's list: %+v", items)
	}
	if _, _, err := f.svc.ListForRound(ctx, r, application.RoundViewer{UserID: f.panelU, Panel: true}, 0, 50); !errors.Is(err, application.ErrPanelNotYet) {
		t.Fatalf("panel while accepting: %v", err)
	}
	applicationtest.SetRoundState(t, f.db, f.roundID, application.RoundReview)
	r, _ = f.svc.Round(ctx, f.roundID)
	applicationtest.Declare(t, f.db, idB, f.panelU, "recused")
	items, total, err = f.svc.ListForRound(ctx, r, application.RoundViewer{UserID: f.panelU, Panel: true}, 0, 50)
	if err != nil || total != 2 || len(items) != 2 {
		t.Fatalf("panel's list: %+v %v", items, err)
	}
	if items[0].Declaration != application.Undeclared || items[1].Declaration != "recused" || items[0].AmountMinor != nil {
		t.Fatalf("panel's list: %+v", items)
	}

	mine, total, err := f.svc.ListForOrganisations(ctx, []int64{f.orgB}, 0, 50)
	if err != nil || total != 1 || mine[0].ID != idB || mine[0].RoundName != "Spring round" || mine[0].FundName != "Riverside Fund" {
		t.Fatalf("organisation B's list: %+v %v", mine, err)
	}
}

func TestConcurrentEditsOneWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := applicationtest.Application(t, f.db, f.roundID, f.orgA, "Ours")
	errs := make(chan error, 2)
	for _, title := range []string{"First", "Second"} {
		go func() {
			_, err := f.svc.Update(ctx, f.userA, id, application.Edit{Version: 1, Title: &title})
			errs <- err
		}()
	}
	var ok, stale int
	for range 2 {
		err := <-errs
		switch f, isFault := fault.As(err); {
		case err == nil:
			ok++
		case isFault && f.Kind == fault.PreconditionFailed:
			stale++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 || stale != 1 {
		t.Fatalf("%d succeeded and %d were stale, want one of each", ok, stale)
	}
	if a, _ := f.svc.Get(ctx, id); a.Version != 2 {
		t.Fatalf("version %d, want 2", a.Version)
	}
}
