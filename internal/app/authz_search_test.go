package app_test

import (
	"fmt"
	"testing"
)

// The search and syntheses' cast is the accounts' cast (see
// authz_accounts_test.go) and, in {fund}:
//
//	{theme}       a curated theme
//	{dialogue}    a dialogue convened by grantee, with other-grantee
//	              (accepted), steward (invited) and member (declined);
//	              notes "KITE" then "LANTERN"
//	{synPub}      a published synthesis ("ORCHARD")
//	{synDraft}    a draft synthesis ("MEADOW"), and {synDraft2..4} for edits
//	              and publishing
//	{draftFund}   a fund still in draft, with a published synthesis {synHidden}
var searchRows = map[string][]access{
	"GET /api/v1/funds/:id/search": {
		{"anonymous", "/api/v1/funds/{fund}/search?q=planning", "", 200},
		{"user", "/api/v1/funds/{fund}/search?q=planning", "", 200},
		{"grantee", "/api/v1/funds/{fund}/search?q=planning", "", 200},
		{"member", "/api/v1/funds/{fund}/search?q=planning", "", 200},
		{"steward", "/api/v1/funds/{fund}/search?q=planning&page=2&per_page=1", "", 200},
		{"steward-other", "/api/v1/funds/{fund}/search?q=planning", "", 200},
		{"grantee", "/api/v1/funds/{fund}/search", "", 422},
		{"grantee", "/api/v1/funds/{fund}/search?q=%20", "", 422},
		{"grantee", "/api/v1/funds/{fund}/search?q=planning&per_page=500", "", 422},
		{"anonymous", "/api/v1/funds/{draftFund}/search?q=planning", "", 404}, // a draft fund is not public
		{"steward", "/api/v1/funds/{draftFund}/search?q=planning", "", 404},
		{"anonymous", "/api/v1/funds/999999/search?q=planning", "", 404},
	},
	"GET /api/v1/funds/:id/syntheses": {
		{"anonymous", "/api/v1/funds/{fund}/syntheses", "", 200},
		{"grantee", "/api/v1/funds/{fund}/syntheses", "", 200},
		{"steward", "/api/v1/funds/{fund}/syntheses", "", 200},
		{"partner", "/api/v1/funds/{fund}/syntheses?per_page=2", "", 200},
		{"partner", "/api/v1/funds/{fund}/syntheses?page=0", "", 422},
		{"anonymous", "/api/v1/funds/{draftFund}/syntheses", "", 404},
		{"anonymous", "/api/v1/funds/999999/syntheses", "", 404},
	},
	"POST /api/v1/funds/:id/syntheses": {
		{"anonymous", "/api/v1/funds/{fund}/syntheses", `{}`, 401},
		{"user", "/api/v1/funds/{fund}/syntheses", `{}`, 403},
		{"grantee", "/api/v1/funds/{fund}/syntheses", `{}`, 403},
		{"member", "/api/v1/funds/{fund}/syntheses", `{}`, 403},
		{"steward-other", "/api/v1/funds/{fund}/syntheses", `{}`, 403},
		{"steward", "/api/v1/funds/{fund}/syntheses", `{}`, 422},
		{"steward", "/api/v1/funds/{fund}/syntheses", `{"title":"T","period_start":"2026-01-01","period_end":"2026-02-01","rating":5}`, 422},
		{"steward", "/api/v1/funds/{fund}/syntheses", `{"title":"T","period_start":"2026-03-01","period_end":"2026-02-01"}`, 422},
		// A source the author cannot read: a grantee's draft, a dialogue the
		// partner takes no part in.
		{"steward", "/api/v1/funds/{fund}/syntheses", `{"title":"T","period_start":"2026-01-01","period_end":"2026-02-01","citations":[{"account_id":{draft}}]}`, 422},
		{"partner", "/api/v1/funds/{fund}/syntheses", `{"title":"T","period_start":"2026-01-01","period_end":"2026-02-01","citations":[{"dialogue_id":{dialogue}}]}`, 422},
		{"steward", "/api/v1/funds/{fund}/syntheses", `{"title":"T","period_start":"2026-01-01","period_end":"2026-02-01","citations":[{"theme_id":{theme}},{"account_id":{private},"section_key":"not_as_hoped"},{"dialogue_id":{dialogue}}]}`, 201},
		{"partner", "/api/v1/funds/{fund}/syntheses", `{"title":"T","period_start":"2026-01-01","period_end":"2026-02-01"}`, 201},
		{"steward", "/api/v1/funds/999999/syntheses", `{"title":"T","period_start":"2026-01-01","period_end":"2026-02-01"}`, 403},
	},
	"GET /api/v1/syntheses/:id": {
		{"anonymous", "/api/v1/syntheses/{synPub}", "", 200},
		{"member", "/api/v1/syntheses/{synPub}", "", 200},
		{"anonymous", "/api/v1/syntheses/{synDraft}", "", 404},
		{"grantee", "/api/v1/syntheses/{synDraft}", "", 404},
		{"steward-other", "/api/v1/syntheses/{synDraft}", "", 404},
		{"steward", "/api/v1/syntheses/{synDraft}", "", 200},
		{"partner", "/api/v1/syntheses/{synDraft}", "", 200},
		{"anonymous", "/api/v1/syntheses/{synHidden}", "", 404},
		{"anonymous", "/api/v1/syntheses/999999", "", 404},
	},
	"PUT /api/v1/syntheses/:id": {
		{"anonymous", "/api/v1/syntheses/{synDraft}", `{"version":1}`, 404},
		{"anonymous", "/api/v1/syntheses/{synPub}", `{"version":1}`, 401},
		{"grantee", "/api/v1/syntheses/{synPub}", `{"version":1}`, 403},
		{"member", "/api/v1/syntheses/{synPub}", `{"version":1}`, 403},
		{"steward-other", "/api/v1/syntheses/{synDraft}", `{"version":1}`, 404},
		{"steward", "/api/v1/syntheses/{synPub}", `{"version":1,"title":"T","period_start":"2026-01-01","period_end":"2026-02-01"}`, 409},
		{"steward", "/api/v1/syntheses/{synDraft}", `{"version":1}`, 422},
		{"steward", "/api/v1/syntheses/{synDraft}", `{"version":1,"title":"T","period_start":"2026-01-01","period_end":"2026-02-01","citations":[{"account_id":{notes}}]}`, 422},
		{"partner", "/api/v1/syntheses/{synDraft}", `{"version":1,"title":"T","period_start":"2026-01-01","period_end":"2026-02-01","citations":[{"theme_id":{theme}}]}`, 200},
		{"steward", "/api/v1/syntheses/{synDraft}", `{"version":1,"title":"Stale","period_start":"2026-01-01","period_end":"2026-02-01"}`, 412},
	},
	"POST /api/v1/syntheses/:id/publish": {
		{"anonymous", "/api/v1/syntheses/{synDraft3}/publish", `{"version":1}`, 404},
		{"grantee", "/api/v1/syntheses/{synDraft3}/publish", `{"version":1}`, 404},
		{"grantee", "/api/v1/syntheses/{synPub}/publish", `{"version":1}`, 403},
		{"steward", "/api/v1/syntheses/{synDraft3}/publish", `{}`, 422},
		{"steward", "/api/v1/syntheses/{synDraft3}/publish", `{"version":7}`, 412},
		{"partner", "/api/v1/syntheses/{synDraft3}/publish", `{"version":1}`, 200},
		{"steward", "/api/v1/syntheses/{synDraft3}/publish", `{"version":2}`, 409},
	},

	// Pages.
	"GET /funds/:id/search": {
		{"anonymous", "/funds/{fund}/search", "", 200},
		{"anonymous", "/funds/{fund}/search?q=planning", "", 200},
		{"grantee", "/funds/{fund}/search?q=lantern", "", 200},
		{"steward", "/funds/{fund}/search?q=planning&page=2", "", 200},
		{"grantee", "/funds/{fund}/search?q=", "", 422},
		{"anonymous", "/funds/{draftFund}/search?q=planning", "", 404},
		{"anonymous", "/funds/999999/search", "", 404},
	},
	"GET /funds/:id/syntheses": {
		{"anonymous", "/funds/{fund}/syntheses", "", 200},
		{"grantee", "/funds/{fund}/syntheses", "", 200},
		{"partner", "/funds/{fund}/syntheses", "", 200},
		{"anonymous", "/funds/{draftFund}/syntheses", "", 404},
	},
	"GET /funds/:id/syntheses/new": {
		{"anonymous", "/funds/{fund}/syntheses/new", "", 303},
		{"grantee", "/funds/{fund}/syntheses/new", "", 403},
		{"member", "/funds/{fund}/syntheses/new", "", 403},
		{"steward-other", "/funds/{fund}/syntheses/new", "", 403},
		{"steward", "/funds/{fund}/syntheses/new", "", 200},
		{"partner", "/funds/{fund}/syntheses/new", "", 200},
	},
	"POST /funds/:id/syntheses": {
		{"anonymous", "/funds/{fund}/syntheses", "title=T", 303},
		{"grantee", "/funds/{fund}/syntheses", "title=T&period_start=2026-01-01&period_end=2026-02-01", 403},
		{"steward-other", "/funds/{fund}/syntheses", "title=T&period_start=2026-01-01&period_end=2026-02-01", 403},
		{"steward", "/funds/{fund}/syntheses", "title=&period_start=2026-01-01&period_end=2026-02-01", 422},
		{"steward", "/funds/{fund}/syntheses", "title=T&period_start=2026-01-01&period_end=2026-02-01&cite=section:{draft}:what_we_tried", 422},
		{"steward", "/funds/{fund}/syntheses", "title=T&period_start=2026-01-01&period_end=2026-02-01&cite=nonsense", 422},
		{"steward", "/funds/{fund}/syntheses", "title=T&period_start=2026-01-01&period_end=2026-02-01&cite=theme:{theme}&cite=dialogue:{dialogue}", 303},
		{"partner", "/funds/{fund}/syntheses", "title=T&period_start=2026-01-01&period_end=2026-02-01&cite=section:{submitted}:context_changed", 303},
	},
	"GET /syntheses/:id": {
		{"anonymous", "/syntheses/{synPub}", "", 200},
		{"grantee", "/syntheses/{synPub}", "", 200},
		{"anonymous", "/syntheses/{synDraft}", "", 404},
		{"member", "/syntheses/{synDraft}", "", 404},
		{"partner", "/syntheses/{synDraft}", "", 200},
		{"anonymous", "/syntheses/{synHidden}", "", 404},
		{"anonymous", "/syntheses/999999", "", 404},
	},
	"GET /syntheses/:id/edit": {
		{"anonymous", "/syntheses/{synDraft2}/edit", "", 303},
		{"grantee", "/syntheses/{synDraft2}/edit", "", 404},
		{"grantee", "/syntheses/{synPub}/edit", "", 403},
		{"steward", "/syntheses/{synPub}/edit", "", 409},
		{"steward", "/syntheses/{synDraft2}/edit", "", 200},
	},
	"POST /syntheses/:id/edit": {
		{"anonymous", "/syntheses/{synDraft2}/edit", "version=1", 303},
		{"grantee", "/syntheses/{synPub}/edit", "version=1&title=T", 403},
		{"steward", "/syntheses/{synPub}/edit", "version=1&title=T", 409},
		{"steward", "/syntheses/{synDraft2}/edit", "version=1&title=T&period_start=2026-02-01&period_end=2026-01-01", 422},
		{"partner", "/syntheses/{synDraft2}/edit", "version=1&title=T&period_start=2026-01-01&period_end=2026-02-01&cite=theme:{theme}", 303},
		{"steward", "/syntheses/{synDraft2}/edit", "version=1&title=Stale&period_start=2026-01-01&period_end=2026-02-01", 412},
	},
	"POST /syntheses/:id/publish": {
		{"anonymous", "/syntheses/{synDraft4}/publish", "version=1", 303},
		{"grantee", "/syntheses/{synDraft4}/publish", "version=1", 404},
		{"member", "/syntheses/{synPub}/publish", "version=1", 403},
		{"steward", "/syntheses/{synDraft4}/publish", "version=9", 412},
		{"steward", "/syntheses/{synDraft4}/publish", "version=1", 303},
		{"steward", "/syntheses/{synDraft4}/publish", "version=2", 409},
	},
}

func init() { registerArea("search", searchRows) }

// newSearchCast adds a theme, a dialogue with notes, syntheses and a
// draft fund to the accounts' cast.
func newSearchCast(t *testing.T) *accountCast {
	ac := newAccountCast(t)
	db := ac.env.DB
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var v int64
		if err := db.Raw(sql, args...).Scan(&v).Error; err != nil || v == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return v
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	fund := ac.vars["{fund}"]
	p := func(name string) int64 { return ac.people[name].ID }
	theme := id(`INSERT INTO themes (fund_id, name, status) VALUES (?, 'Belonging', 'curated') RETURNING id`, fund)
	dlg := id(`INSERT INTO dialogues (fund_id, convened_by, purpose, meets_on) VALUES (?, ?, 'What do we ask of each other?', current_date)
		RETURNING id`, fund, p("grantee"))
	exec(`INSERT INTO dialogue_participants (dialogue_id, user_id, status) VALUES (?, ?, 'convener'), (?, ?, 'accepted'),
		(?, ?, 'invited'), (?, ?, 'declined')`, dlg, p("grantee"), dlg, p("other-grantee"), dlg, p("steward"), dlg, p("member"))
	exec(`INSERT INTO dialogue_notes (dialogue_id, version, body, written_by) VALUES (?, 1, 'We flew a KITE.', ?), (?, 2, 'We lit a LANTERN.', ?)`,
		dlg, p("grantee"), dlg, p("other-grantee"))
	syn := func(fund any, body string, published bool) int64 {
		if published {
			return id(`INSERT INTO syntheses (fund_id, title, body, period_start, period_end, status, author_id, published_by, published_at)
				VALUES (?, 'Spring learning', ?, current_date - 90, current_date, 'published', ?, ?, now()) RETURNING id`,
				fund, body, p("steward"), p("steward"))
		}
		return id(`INSERT INTO syntheses (fund_id, title, body, period_start, period_end, author_id)
			VALUES (?, 'Summer learning', ?, current_date - 90, current_date, ?) RETURNING id`, fund, body, p("partner"))
	}
	draftFund := id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
		currency, system_scale, status) SELECT organisation_id, 'Draft Fund', 'x', 'y', 'z', 1000, 'GBP', 'place', 'draft'
		FROM funds WHERE id = ? RETURNING id`, fund)
	for k, v := range map[string]int64{"{theme}": theme, "{dialogue}": dlg, "{draftFund}": draftFund,
		"{synPub}": syn(fund, "The ORCHARD bloomed.", true), "{synDraft}": syn(fund, "The MEADOW waits.", false),
		"{synDraft2}": syn(fund, "Two.", false), "{synDraft3}": syn(fund, "Three.", false), "{synDraft4}": syn(fund, "Four.", false),
		"{synHidden}": syn(draftFund, "Hidden.", true)} {
		ac.vars[k] = fmt.Sprint(v)
	}
	return ac
}

func TestSearchAuthorization(t *testing.T) {
	ac := newSearchCast(t)
	runTable(t, ac.env, searchRows, ac.expand, ac.tokens, ac.browsers)
}
