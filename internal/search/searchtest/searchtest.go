// Package searchtest builds, in SQL, a fund whose learning holds one
// distinct word per kind of source and per way of reading it, so tests of
// search and syntheses can check who finds what.
package searchtest

import (
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
)

// Words, each in exactly one source of the fund.
const (
	PartnerSection = "marigold"  // A's account, funder and partner only
	PeersSection   = "saffron"   // A's account, shared with peers
	PublicSection  = "juniper"   // A's account, public
	StoryAll       = "bramble"   // a story with consent for every purpose
	StoryWithdrawn = "thistle"   // a story whose consent was withdrawn
	StoryExpired   = "nettle"    // a story whose consent has ended
	StoryLearning  = "clover"    // a story with consent for learning within the fund only
	DraftSection   = "dandelion" // A's draft, public once submitted
	PeersAddendum  = "quince"    // an addendum shared with peers
	PartnerAddend  = "damson"    // an addendum for the funder and partner
	ResponseWord   = "hazelnut"  // the stewards' response to A's account
	OldNotes       = "sparrow"   // the dialogue's first notes, since rewritten
	Notes          = "kestrel"   // the dialogue's latest notes
	Published      = "heron"     // a published synthesis
	DraftSynthesis = "egret"     // a draft synthesis
	OtherFund      = "walnut"    // a public section in another fund
)

// Fixture is the fund and its people.
type Fixture struct {
	DB                  *gorm.DB
	Fund, OtherFund     int64
	OrgA, OrgB          int64
	Steward, GranteeA   int64 // the fund's steward; a member of A
	GranteeB, Outsider  int64 // a member of B (a peer); a user with no part
	AccountA, DraftA    int64
	Dialogue            int64
	Synthesis, DraftSyn int64
	Theme               int64
}

// New builds the fixture.
func New(t testing.TB, db *gorm.DB) *Fixture {
	t.Helper()
	f := &Fixture{DB: db}
	f.Fund = applicationtest.Fund(t, db, "Riverside Fund")
	f.OtherFund = applicationtest.Fund(t, db, "Other Fund")
	round := applicationtest.Round(t, db, f.Fund, application.RoundReview, applicationtest.ClosedNow())
	otherRound := applicationtest.Round(t, db, f.OtherFund, application.RoundReview, applicationtest.ClosedNow())
	user := func(name string) int64 {
		return f.id(t, `INSERT INTO users (email, display_name, password_hash) VALUES (?, ?, 'x') RETURNING id`,
			strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org", name)
	}
	f.Steward, f.GranteeA, f.GranteeB, f.Outsider = user("Sam Steward"), user("Ana Grantee"), user("Ben Grantee"), user("Oli Outsider")
	org := func(name string, member int64) int64 {
		o := f.id(t, `INSERT INTO organisations (name, kind) VALUES (?, 'applicant') RETURNING id`, name)
		f.exec(t, `INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?)`, o, member)
		return o
	}
	f.OrgA, f.OrgB = org("Hillside Youth Club", f.GranteeA), org("Shared Tables", f.GranteeB)
	grant := func(fund, round, o int64) int64 {
		app := applicationtest.Application(t, db, round, o, "Clubs")
		return f.id(t, `INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
			VALUES (?, ?, ?, ?, 'Clubs', 500000, current_date - 200, current_date + 165) RETURNING id`, fund, round, app, o)
	}
	grantA := grant(f.Fund, round, f.OrgA)
	acc := func(fund, grant, o, author int64) int64 {
		return f.id(t, `INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end, author_id)
			VALUES (?, ?, ?, 'grantee', current_date - 200, current_date - 100, ?) RETURNING id`, fund, grant, o, author)
	}
	section := func(a int64, key, body, vis string) {
		f.exec(t, `INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, ?, ?, ?)`, a, key, body, vis)
	}
	submit := func(a, by int64) {
		f.exec(t, `UPDATE reflective_accounts SET status = 'submitted', submitted_at = now(), submitted_by = ? WHERE id = ?`, by, a)
	}
	f.AccountA = acc(f.Fund, grantA, f.OrgA, f.GranteeA)
	section(f.AccountA, "context_changed", "The "+PartnerSection+" worker left in March.", account.FunderAndPartner)
	section(f.AccountA, "what_we_tried", "We tried "+PeersSection+" clubs on Saturdays.", account.Peers)
	section(f.AccountA, "what_we_learnt", "We learnt to ask first, like "+PublicSection+" does.", account.Public)
	section(f.AccountA, "what_happened", "", account.Public)
	story := func(body, purposes, extra string) {
		f.exec(t, `INSERT INTO account_stories (account_id, position, body, purposes, naming, created_by, expires_on, withdrawn_at, withdrawn_by)
			VALUES (?, (SELECT count(*) + 1 FROM account_stories WHERE account_id = ?), ?, ?::text[], 'anonymous', ?, `+extra+`)`,
			f.AccountA, f.AccountA, body, purposes, f.GranteeA)
	}
	all := "{learning_within_fund,public_pages,reports}"
	story("Amira cooked "+StoryAll+" jam.", all, "NULL, NULL, NULL")
	story("Jo found "+StoryWithdrawn+" work.", all, "NULL, now(), "+itoa(f.GranteeA))
	story("Sam came every "+StoryExpired+" week.", all, "current_date - 1, NULL, NULL")
	story("Dev talked about "+StoryLearning+" fields.", "{learning_within_fund}", "NULL, NULL, NULL")
	submit(f.AccountA, f.GranteeA)
	f.exec(t, `INSERT INTO account_addenda (account_id, body, visibility, created_by) VALUES (?, ?, 'peers', ?), (?, ?, 'funder_and_partner', ?)`,
		f.AccountA, "Also "+PeersAddendum+" pies.", f.GranteeA, f.AccountA, "And "+PartnerAddend+" costs.", f.GranteeA)
	f.exec(t, `INSERT INTO account_responses (account_id, body, sent_by) VALUES (?, ?, ?)`, f.AccountA,
		"Thank you for the "+ResponseWord+" clubs.", f.Steward)
	f.DraftA = acc(f.Fund, grantA, f.OrgA, f.GranteeA)
	section(f.DraftA, "what_we_learnt", "A "+DraftSection+" draft.", account.Public)

	other := acc(f.OtherFund, grant(f.OtherFund, otherRound, f.OrgB), f.OrgB, f.GranteeB)
	section(other, "what_we_learnt", "The "+OtherFund+" tree.", account.Public)
	submit(other, f.GranteeB)

	f.Dialogue = f.id(t, `INSERT INTO dialogues (fund_id, convened_by, purpose, meets_on) VALUES (?, ?, 'Where are we stuck?', current_date)
		RETURNING id`, f.Fund, f.Steward)
	f.exec(t, `INSERT INTO dialogue_participants (dialogue_id, user_id, status) VALUES (?, ?, 'convener'), (?, ?, 'accepted'), (?, ?, 'declined')`,
		f.Dialogue, f.Steward, f.Dialogue, f.GranteeB, f.Dialogue, f.GranteeA)
	f.exec(t, `INSERT INTO dialogue_notes (dialogue_id, version, body, written_by) VALUES (?, 1, ?, ?), (?, 2, ?, ?)`,
		f.Dialogue, "A "+OldNotes+" flew by.", f.Steward, f.Dialogue, "A "+Notes+" hovered.", f.GranteeB)

	f.Theme = f.id(t, `INSERT INTO themes (fund_id, name, status) VALUES (?, 'Belonging', 'curated') RETURNING id`, f.Fund)
	f.Synthesis = f.id(t, `INSERT INTO syntheses (fund_id, title, body, period_start, period_end, status, author_id, published_by, published_at)
		VALUES (?, 'Spring learning', ?, current_date - 90, current_date, 'published', ?, ?, now()) RETURNING id`,
		f.Fund, "The "+Published+" waited.", f.Steward, f.Steward)
	f.DraftSyn = f.id(t, `INSERT INTO syntheses (fund_id, title, body, period_start, period_end, author_id)
		VALUES (?, 'Summer learning', ?, current_date - 90, current_date, ?) RETURNING id`, f.Fund, "An "+DraftSynthesis+" stood.", f.Steward)
	return f
}

// Viewers of the fund, as httpapi.FundViewer would build them.
func (f *Fixture) Viewers() map[string]account.Viewer {
	return map[string]account.Viewer{
		"steward":   {UserID: f.Steward, FundID: f.Fund, Partner: true, Clearance: account.SeesPartner},
		"granteeA":  {UserID: f.GranteeA, FundID: f.Fund, OwnOrgs: []int64{f.OrgA}, Clearance: account.SeesPeers},
		"granteeB":  {UserID: f.GranteeB, FundID: f.Fund, OwnOrgs: []int64{f.OrgB}, Clearance: account.SeesPeers},
		"outsider":  {UserID: f.Outsider, FundID: f.Fund, Clearance: account.SeesPublic},
		"anonymous": {FundID: f.Fund, Clearance: account.SeesPublic},
	}
}

func (f *Fixture) id(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	var v int64
	if err := f.DB.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func (f *Fixture) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if err := f.DB.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
