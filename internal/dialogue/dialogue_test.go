package dialogue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is a fund with two grantees (tom, priya), a panel member (rosa), a
// steward (amara), a learning partner (lee), someone with no role (nobody)
// and a grantee of another fund (otto); tom's and priya's submitted
// accounts, a draft of tom's, and a second fund.
type world struct {
	db                                          *gorm.DB
	svc                                         *dialogue.Service
	fund, otherFund                             int64
	tom, priya, rosa, amara, lee, nobody, otto  int64
	tomAccount, priyaAccount, draft, otherFunds int64
}

func id(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func exec(t *testing.T, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := pgtest.DB(t)
	w := &world{db: db, svc: dialogue.NewService(db)}
	w.fund = applicationtest.Fund(t, db, "Riverside Fund")
	w.otherFund = applicationtest.Fund(t, db, "Hilltop Fund")
	user := func(name string) int64 {
		return id(t, db, `INSERT INTO users (email, display_name, password_hash) VALUES (?, ?, 'x') RETURNING id`,
			strings.ToLower(name)+"@example.org", name)
	}
	w.tom, w.priya, w.rosa, w.amara = user("Tom"), user("Priya"), user("Rosa"), user("Amara")
	w.lee, w.nobody, w.otto = user("Lee"), user("Nobody"), user("Otto")
	role := func(u int64, r string, fund int64) {
		exec(t, db, `INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('g', ?, ?, ?)`, fmt.Sprint("user:", u), r, fmt.Sprint("fund:", fund))
	}
	role(w.tom, "grantee", w.fund)
	role(w.priya, "grantee", w.fund)
	role(w.rosa, "panel_member", w.fund)
	role(w.amara, "steward", w.fund)
	role(w.lee, "learning_partner", w.fund)
	role(w.otto, "grantee", w.otherFund)
	account := func(fund int64, name, status string) int64 {
		org := id(t, db, `INSERT INTO organisations (name, kind) VALUES (?, 'applicant') RETURNING id`, name+" "+status)
		round := applicationtest.Round(t, db, fund, application.RoundReview, applicationtest.ClosedNow())
		app := applicationtest.Application(t, db, round, org, name)
		grant := id(t, db, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
			VALUES (?, ?, ?, ?, ?, 500000, '2026-04-01', '2027-03-31') RETURNING id`, fund, round, app, org, name)
		var submitted any
		if status == "submitted" {
			submitted = "2026-10-01T10:00:00Z"
		}
		return id(t, db, `INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end, status, submitted_at)
			VALUES (?, ?, ?, 'grantee', '2026-04-01', '2026-09-30', ?, ?) RETURNING id`, fund, grant, org, status, submitted)
	}
	w.tomAccount = account(w.fund, "Eastfield", "submitted")
	w.priyaAccount = account(w.fund, "Shared Tables", "submitted")
	w.draft = account(w.fund, "Eastfield draft", "draft")
	w.otherFunds = account(w.otherFund, "Hilltop", "submitted")
	return w
}

func wantKind(t *testing.T, err error, kind fault.Kind) {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Kind != kind {
		t.Fatalf("error %v (%T), want fault kind %d", err, err, kind)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	ve, ok := validate.As(err)
	if !ok || len(ve) != 1 || ve[0].Field != field {
		t.Fatalf("error %v, want a validation error naming %s", err, field)
	}
}

// reads says what a reader may read: accounts and sections by "id" or
// "id/section".
func reads(allowed ...string) dialogue.CanRead {
	return func(accountID int64, key string) bool {
		for _, a := range allowed {
			if a == fmt.Sprint(accountID) || a == fmt.Sprintf("%d/%s", accountID, key) {
				return true
			}
		}
		return false
	}
}

func auditCount(t *testing.T, db *gorm.DB, action string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(`SELECT count(*) FROM audit_events WHERE action = ?`, action).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConveneReadAndAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	tomReads := reads(fmt.Sprint(w.tomAccount), fmt.Sprintf("%d/what_we_learnt", w.priyaAccount), fmt.Sprint(w.draft), fmt.Sprint(w.otherFunds))
	base := dialogue.NewDialogue{Purpose: "How are we listening to young people?", MeetsOn: "2026-12-03",
		Invitees: []int64{w.priya, w.rosa, w.amara}}

	cases := []struct {
		name  string
		edit  func(*dialogue.NewDialogue)
		field string
	}{
		{"invitee-with-no-role-422", func(in *dialogue.NewDialogue) { in.Invitees = []int64{w.priya, w.nobody} }, "invitees[1]"},
		{"invitee-of-other-fund-422", func(in *dialogue.NewDialogue) { in.Invitees = []int64{w.otto} }, "invitees[0]"},
		{"source-not-readable-422", func(in *dialogue.NewDialogue) {
			in.Sources = []dialogue.SourceRef{{AccountID: w.tomAccount}, {AccountID: w.priyaAccount, SectionKey: "what_we_need"}}
		}, "sources[1]"},
		{"source-draft-422", func(in *dialogue.NewDialogue) { in.Sources = []dialogue.SourceRef{{AccountID: w.draft}} }, "sources[0]"},
		{"source-other-fund-422", func(in *dialogue.NewDialogue) { in.Sources = []dialogue.SourceRef{{AccountID: w.otherFunds}} }, "sources[0]"},
		{"source-missing-422", func(in *dialogue.NewDialogue) { in.Sources = []dialogue.SourceRef{{AccountID: 999999}} }, "sources[0]"},
		{"no-purpose-422", func(in *dialogue.NewDialogue) { in.Purpose = "  " }, "purpose"},
		{"bad-date-422", func(in *dialogue.NewDialogue) { in.MeetsOn = "3 December" }, "meets_on"},
		{"follows-unknown-422", func(in *dialogue.NewDialogue) { x := int64(999999); in.FollowsUp = &x }, "follows_up"},
	}
	for _, tc := range cases {
		in := base
		tc.edit(&in)
		_, err := w.svc.Convene(ctx, w.tom, w.fund, in, tomReads)
		if ve, ok := validate.As(err); !ok || ve[0].Field != tc.field {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := w.svc.Convene(ctx, w.nobody, w.fund, base, tomReads); err == nil {
		t.Fatal("someone with no role convened")
	} else {
		wantKind(t, err, fault.Forbidden)
	}

	in := base
	in.Sources = []dialogue.SourceRef{{AccountID: w.tomAccount}, {AccountID: w.priyaAccount, SectionKey: "what_we_learnt"}}
	d, err := w.svc.Convene(ctx, w.tom, w.fund, in, tomReads)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.Get(ctx, d, w.tom, tomReads)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Prompts) != len(dialogue.DefaultPrompts) || got.Prompts[0] != dialogue.DefaultPrompts[0] ||
		got.MyStatus != dialogue.Convener || len(got.Participants) != 4 || len(got.Sources) != 2 ||
		got.Sources[1].SectionTitle == "" || got.Sources[0].OrganisationName != "Eastfield submitted" {
		t.Fatalf("convened: %+v", got)
	}
	// Priya reads only her own account: Tom's is left out without a trace.
	priyaReads := reads(fmt.Sprint(w.priyaAccount), fmt.Sprintf("%d/what_we_learnt", w.priyaAccount))
	pg, err := w.svc.Get(ctx, d, w.priya, priyaReads)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Sources) != 1 || pg.Sources[0].AccountID != w.priyaAccount || pg.MyStatus != dialogue.Invited {
		t.Fatalf("priya sees sources %+v", pg.Sources)
	}
	for _, who := range []int64{w.nobody, w.lee, w.otto} {
		if _, err := w.svc.Get(ctx, d, who, tomReads); !errors.Is(err, dialogue.ErrNotFound) {
			t.Fatalf("user %d not taking part: %v", who, err)
		}
		if _, err := w.svc.NotesHistory(ctx, d, who); !errors.Is(err, dialogue.ErrNotFound) {
			t.Fatalf("user %d notes: %v", who, err)
		}
	}
	if err := w.svc.Respond(ctx, w.tom, d, dialogue.Answer{Status: "accepted"}); !errors.Is(err, dialogue.ErrConvenerAnswers) {
		t.Fatalf("convener answering: %v", err)
	}
	if err := w.svc.Respond(ctx, w.lee, d, dialogue.Answer{Status: "accepted"}); !errors.Is(err, dialogue.ErrNotFound) {
		t.Fatalf("stranger answering: %v", err)
	}
	if err := w.svc.Respond(ctx, w.priya, d, dialogue.Answer{Status: "accepted"}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Respond(ctx, w.rosa, d, dialogue.Answer{Status: "declined"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Get(ctx, d, w.rosa, nil); !errors.Is(err, dialogue.ErrNotFound) {
		t.Fatalf("declined reads: %v", err)
	}
	if err := w.svc.Respond(ctx, w.rosa, d, dialogue.Answer{Status: "accepted"}); !errors.Is(err, dialogue.ErrNotFound) {
		t.Fatalf("declined answers again: %v", err)
	}
	if err := w.svc.Respond(ctx, w.amara, d, dialogue.Answer{Status: "maybe"}); err == nil {
		t.Fatal("answer maybe")
	} else {
		wantField(t, err, "status")
	}
	for who, want := range map[int64]int{w.tom: 1, w.priya: 1, w.amara: 1, w.rosa: 0, w.lee: 0} {
		if l, err := w.svc.List(ctx, w.fund, who); err != nil || len(l) != want {
			t.Fatalf("list for %d: %v %+v", who, err, l)
		}
	}
	// Invite: only people of the fund, by those taking part; the declined
	// are not asked again.
	if _, err := w.svc.Invite(ctx, w.amara, d, dialogue.Invitation{Invitees: []int64{w.lee}}); err == nil {
		t.Fatal("an invitee who has not accepted invited")
	} else {
		wantKind(t, err, fault.Forbidden)
	}
	if _, err := w.svc.Invite(ctx, w.priya, d, dialogue.Invitation{Invitees: []int64{w.nobody}}); err == nil {
		t.Fatal("invited someone with no role")
	} else {
		wantField(t, err, "invitees[0]")
	}
	added, err := w.svc.Invite(ctx, w.priya, d, dialogue.Invitation{Invitees: []int64{w.lee, w.rosa, w.lee}})
	if err != nil || len(added) != 1 || added[0] != w.lee {
		t.Fatalf("invite: %v %v", added, err)
	}
	if n := auditCount(t, w.db, "dialogue.convene"); n != 1 {
		t.Fatalf("convene audited %d times", n)
	}
	if n := auditCount(t, w.db, "dialogue.respond"); n != 2 {
		t.Fatalf("responses audited %d times", n)
	}
}

func convene(t *testing.T, w *world, by int64, follows *int64, invitees ...int64) int64 {
	t.Helper()
	d, err := w.svc.Convene(context.Background(), by, w.fund, dialogue.NewDialogue{Purpose: "What are we learning?",
		MeetsOn: "2026-12-03", Invitees: invitees, Prompts: []string{"Where are we stuck, really?"}, FollowsUp: follows}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range invitees {
		if err := w.svc.Respond(context.Background(), u, d, dialogue.Answer{Status: "accepted"}); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestNotesKeepVersions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	d := convene(t, w, w.tom, nil, w.priya)
	if _, err := w.svc.Invite(ctx, w.tom, d, dialogue.Invitation{Invitees: []int64{w.rosa}}); err != nil {
		t.Fatal(err)
	}
	n1, err := w.svc.SaveNotes(ctx, w.tom, d, dialogue.NotesEdit{Version: 0, Body: "We started with what surprised us."})
	if err != nil || n1.Version != 1 || n1.WriterName != "Tom" {
		t.Fatalf("first notes: %+v %v", n1, err)
	}
	if _, err := w.svc.SaveNotes(ctx, w.priya, d, dialogue.NotesEdit{Version: 1, Body: "We started with what surprised us. Then rain."}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.SaveNotes(ctx, w.tom, d, dialogue.NotesEdit{Version: 1, Body: "My edit from the old version"})
	wantKind(t, err, fault.PreconditionFailed)
	if !strings.Contains(err.Error(), "version 1") || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("412 does not name both versions: %v", err)
	}
	_, err = w.svc.SaveNotes(ctx, w.rosa, d, dialogue.NotesEdit{Version: 2, Body: "Not yet in"})
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.SaveNotes(ctx, w.lee, d, dialogue.NotesEdit{Version: 2, Body: "Stranger"})
	wantKind(t, err, fault.NotFound)
	hist, err := w.svc.NotesHistory(ctx, d, w.rosa)
	if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].Body != "We started with what surprised us." {
		t.Fatalf("history: %+v %v", hist, err)
	}
	got, err := w.svc.Get(ctx, d, w.priya, nil)
	if err != nil || got.Notes == nil || got.Notes.Version != 2 || got.Prompts[0] != "Where are we stuck, really?" {
		t.Fatalf("dialogue notes: %+v %v", got.Notes, err)
	}
	if err := w.db.Exec(`UPDATE dialogue_notes SET body = 'rewritten' WHERE dialogue_id = ?`, d).Error; err == nil {
		t.Fatal("the database let notes be rewritten")
	}
	if n := auditCount(t, w.db, "dialogue.notes"); n != 2 {
		t.Fatalf("notes audited %d times", n)
	}
}

func TestActionsFollowUpsAndMine(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	d := convene(t, w, w.tom, nil, w.priya, w.amara)
	if _, err := w.svc.AddAction(ctx, w.tom, d, dialogue.NewAction{What: "Ask the youth club", OwnerID: w.rosa}); err == nil {
		t.Fatal("an action owned by someone not taking part")
	} else {
		wantField(t, err, "owner_id")
	}
	open, err := w.svc.AddAction(ctx, w.tom, d, dialogue.NewAction{What: "Share the cooking rota", OwnerID: w.priya, DueOn: "2027-01-15"})
	if err != nil || open.Status != dialogue.Open || open.Version != 1 || open.OwnerName != "Priya" || open.DueOn == nil {
		t.Fatalf("add: %+v %v", open, err)
	}
	done, _ := w.svc.AddAction(ctx, w.priya, d, dialogue.NewAction{What: "Write to the council", OwnerID: w.tom})
	dropped, _ := w.svc.AddAction(ctx, w.priya, d, dialogue.NewAction{What: "Try a survey", OwnerID: w.tom})

	if _, err := w.svc.UpdateAction(ctx, w.tom, dropped.ID, dialogue.ActionChange{Version: 1, Status: "dropped", DroppedReason: " "}); err == nil {
		t.Fatal("dropped without a reason")
	} else {
		wantField(t, err, "dropped_reason")
	}
	if _, err := w.svc.UpdateAction(ctx, w.tom, dropped.ID, dialogue.ActionChange{Version: 1, Status: "dropped",
		DroppedReason: "People told us they were surveyed enough."}); err != nil {
		t.Fatal(err)
	}
	if a, err := w.svc.UpdateAction(ctx, w.tom, done.ID, dialogue.ActionChange{Version: 1, Status: "done"}); err != nil || a.Version != 2 {
		t.Fatalf("done: %+v %v", a, err)
	}
	_, err = w.svc.UpdateAction(ctx, w.priya, done.ID, dialogue.ActionChange{Version: 1, Status: "open"})
	wantKind(t, err, fault.PreconditionFailed)
	_, err = w.svc.UpdateAction(ctx, w.lee, done.ID, dialogue.ActionChange{Version: 2, Status: "open"})
	wantKind(t, err, fault.NotFound)

	// Only someone who took part follows a dialogue up.
	if _, err := w.svc.Convene(ctx, w.lee, w.fund, dialogue.NewDialogue{Purpose: "x", MeetsOn: "2027-02-01", FollowsUp: &d}, nil); err == nil {
		t.Fatal("a stranger followed up")
	} else {
		wantField(t, err, "follows_up")
	}
	f := convene(t, w, w.priya, &d, w.tom, w.rosa)
	fu, err := w.svc.Get(ctx, f, w.rosa, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fu.Earlier == nil || fu.Earlier.ID != d || len(fu.Earlier.OpenActions) != 1 || fu.Earlier.OpenActions[0].ID != open.ID {
		t.Fatalf("follow-up opens with %+v", fu.Earlier)
	}
	// Rosa takes part in the follow-up: she may close the carried action,
	// and the earlier dialogue sees it closed at once (live rows).
	if _, err := w.svc.UpdateAction(ctx, w.rosa, open.ID, dialogue.ActionChange{Version: 1, Status: "done"}); err != nil {
		t.Fatal(err)
	}
	fu, _ = w.svc.Get(ctx, f, w.rosa, nil)
	if len(fu.Earlier.OpenActions) != 0 {
		t.Fatalf("closed action still open in the follow-up: %+v", fu.Earlier.OpenActions)
	}
	orig, err := w.svc.Get(ctx, d, w.tom, nil)
	if err != nil || len(orig.FollowUps) != 1 || orig.FollowUps[0].ID != f {
		t.Fatalf("earlier dialogue: %+v %v", orig, err)
	}
	closed := false
	for _, a := range orig.Actions {
		closed = closed || (a.ID == open.ID && a.Status == dialogue.Done)
	}
	if !closed {
		t.Fatalf("the earlier dialogue does not show the carried action done: %+v", orig.Actions)
	}
	if _, err := w.svc.Get(ctx, d, w.rosa, nil); !errors.Is(err, dialogue.ErrNotFound) {
		t.Fatalf("rosa reads the earlier dialogue: %v", err)
	}
	mine, err := w.svc.MyActions(ctx, w.tom, w.fund)
	if err != nil || len(mine) != 2 || mine[0].DialoguePurpose != "What are we learning?" || mine[0].FundName != "Riverside Fund" {
		t.Fatalf("tom's actions: %+v %v", mine, err)
	}
	if all, err := w.svc.MyActions(ctx, w.tom, 0); err != nil || len(all) != 2 {
		t.Fatalf("tom's actions everywhere: %+v %v", all, err)
	}
	if other, err := w.svc.MyActions(ctx, w.tom, w.otherFund); err != nil || len(other) != 0 {
		t.Fatalf("tom's actions in another fund: %+v %v", other, err)
	}
	if n := auditCount(t, w.db, "dialogue.action.update"); n != 3 {
		t.Fatalf("action updates audited %d times", n)
	}
}

func TestIssuesPassedUpAnsweredOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	d := convene(t, w, w.tom, nil, w.priya)
	if _, err := w.svc.PassUp(ctx, w.lee, d, dialogue.NewIssue{Body: "x"}); !errors.Is(err, dialogue.ErrNotFound) {
		t.Fatalf("stranger passes up: %v", err)
	}
	first, err := w.svc.PassUp(ctx, w.priya, d, dialogue.NewIssue{Body: "Reports take us a week each; can they be shorter?"})
	if err != nil || first.RaiserName != "Priya" || first.Answer != nil {
		t.Fatalf("pass up: %+v %v", first, err)
	}
	second, _ := w.svc.PassUp(ctx, w.tom, d, dialogue.NewIssue{Body: "Could payments come a month earlier?"})
	if _, err := w.svc.Answer(ctx, w.tom, first.ID, dialogue.IssueAnswer{Answer: "Yes"}); err == nil {
		t.Fatal("a grantee answered")
	} else {
		wantKind(t, err, fault.Forbidden)
	}
	a, err := w.svc.Answer(ctx, w.amara, first.ID, dialogue.IssueAnswer{Answer: "Yes: from April, one page is enough."})
	if err != nil || a.Answer == nil || a.AnswererName != "Amara" {
		t.Fatalf("answer: %+v %v", a, err)
	}
	if _, err := w.svc.Answer(ctx, w.amara, first.ID, dialogue.IssueAnswer{Answer: "Again"}); !errors.Is(err, dialogue.ErrAlreadyAnswered) {
		t.Fatalf("answered twice: %v", err)
	}
	list, err := w.svc.IssuesFor(ctx, w.fund)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID || list[0].DialoguePurpose != "What are we learning?" {
		t.Fatalf("issues for stewards: %+v %v", list, err)
	}
	if other, err := w.svc.IssuesFor(ctx, w.otherFund); err != nil || len(other) != 0 {
		t.Fatalf("other fund: %+v %v", other, err)
	}
	got, _ := w.svc.Get(ctx, d, w.priya, nil)
	if len(got.Issues) != 2 || got.Issues[0].Answer == nil {
		t.Fatalf("issues in the dialogue: %+v", got.Issues)
	}
}

// TestNotesSavedAtOnce: five people save from the same version at the same
// moment; exactly one is saved, the others are told someone else saved.
func TestNotesSavedAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	d := convene(t, w, w.tom, nil, w.priya, w.rosa, w.amara, w.lee)
	writers := []int64{w.tom, w.priya, w.rosa, w.amara, w.lee}
	errs := make(chan error, len(writers))
	for _, u := range writers {
		go func() {
			_, err := w.svc.SaveNotes(ctx, u, d, dialogue.NotesEdit{Version: 0, Body: fmt.Sprint("notes by ", u)})
			errs <- err
		}()
	}
	saved := 0
	for range writers {
		err := <-errs
		if err == nil {
			saved++
			continue
		}
		wantKind(t, err, fault.PreconditionFailed)
	}
	if saved != 1 {
		t.Fatalf("%d saves of version 1", saved)
	}
}

// TestSourceCandidatesAreOnlySubmittedAndReadable: the convene form offers
// submitted accounts of the fund, whole and by section with words, and
// only what the reader may read.
func TestSourceCandidatesAreOnlySubmittedAndReadable(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	// Sections can only be written while a draft: write them on a new
	// draft, then submit it.
	acc := id(t, w.db, `INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end)
		SELECT fund_id, grant_id, organisation_id, kind, '2026-10-01', '2026-12-31' FROM reflective_accounts WHERE id = ? RETURNING id`, w.priyaAccount)
	exec(t, w.db, `INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, 'what_we_learnt', 'Slow down.', 'peers'),
		(?, 'what_we_need', 'Time.', 'funder_and_partner'), (?, 'what_we_tried', '', 'peers')`, acc, acc, acc)
	exec(t, w.db, `UPDATE reflective_accounts SET status = 'submitted', submitted_at = now() WHERE id = ?`, acc)
	peer := func(accountID int64, key string) bool {
		return accountID == acc && (key == "" || key == "what_we_learnt")
	}
	got, err := w.svc.SourceCandidates(ctx, w.fund, peer)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range got {
		keys = append(keys, fmt.Sprintf("%d/%s", s.AccountID, s.SectionKey))
	}
	if want := []string{fmt.Sprintf("%d/", acc), fmt.Sprintf("%d/what_we_learnt", acc)}; strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("candidates %v, want %v", keys, want)
	}
	if none, err := w.svc.SourceCandidates(ctx, w.fund, nil); err != nil || len(none) != 0 {
		t.Fatalf("with no reader: %v %v", none, err)
	}
}
