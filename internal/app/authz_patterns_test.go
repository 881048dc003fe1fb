package app_test

import (
	"fmt"
	"testing"
)

// The patterns' cast is the accounts' cast (see authz_accounts_test.go)
// with, in {fund}:
//
//	{theme}, {theme2}    curated themes
//	{suggested}          suggested by grantee (for the API's rows)
//	{suggestedPage}      suggested by grantee (for the page's rows)
//	{suggested2}         suggested by other-grantee
//	{dialogue}           convened by grantee; other-grantee accepted,
//	                     member declined
//	{tagPublic}          {theme} on {submitted}'s public section
//	{tagPrivate}         {theme} on {private}'s partner-only section
//	{tagDel1}, {tagDel2} more tags on {submitted}'s public section
//	{tagDialogue}        {theme} on {dialogue}
//	{draftFund}          a draft fund the steward stewards
var patternRows = map[string][]access{
	"GET /api/v1/funds/:id/themes": {
		{"anonymous", "/api/v1/funds/{fund}/themes", "", 401},
		{"user", "/api/v1/funds/{fund}/themes", "", 403},
		{"steward-other", "/api/v1/funds/{fund}/themes", "", 403},
		{"grantee", "/api/v1/funds/{fund}/themes", "", 200},
		{"member", "/api/v1/funds/{fund}/themes", "", 200},
		{"partner", "/api/v1/funds/{fund}/themes", "", 200},
		{"steward", "/api/v1/funds/{fund}/themes", "", 200},
		{"steward", "/api/v1/funds/999999/themes", "", 404},
		{"anonymous", "/api/v1/funds/{draftFund}/themes", "", 404},
	},
	"POST /api/v1/funds/:id/themes": {
		{"anonymous", "/api/v1/funds/{fund}/themes", `{"name":"Trust"}`, 401},
		{"user", "/api/v1/funds/{fund}/themes", `{"name":"Trust"}`, 403},
		{"steward-other", "/api/v1/funds/{fund}/themes", `{"name":"Trust"}`, 403},
		{"grantee", "/api/v1/funds/{fund}/themes", `{"name":"Trust"}`, 201},
		{"member", "/api/v1/funds/{fund}/themes", `{"name":"Rest"}`, 201},
		{"partner", "/api/v1/funds/{fund}/themes", `{"name":"Quiet"}`, 201},
		{"steward", "/api/v1/funds/{fund}/themes", `{"name":" "}`, 422},
		{"grantee", "/api/v1/funds/{fund}/themes", `{"name":"Scores","kpi":1}`, 422},
		{"other-grantee", "/api/v1/funds/{fund}/themes", `{"name":"belonging"}`, 409},
	},
	"PATCH /api/v1/themes/:id": {
		{"anonymous", "/api/v1/themes/{suggested}", `{"version":1}`, 404}, // a suggestion is its suggester's and the stewards'
		{"anonymous", "/api/v1/themes/{theme}", `{"version":1}`, 401},
		{"user", "/api/v1/themes/{theme}", `{"version":1}`, 403},
		{"other-grantee", "/api/v1/themes/{suggested}", `{"version":1}`, 404},
		{"grantee", "/api/v1/themes/{suggested}", `{"version":1,"status":"curated"}`, 403}, // suggesters do not curate
		{"partner", "/api/v1/themes/{theme}", `{"version":1,"name":"x"}`, 403},
		{"steward-other", "/api/v1/themes/{theme}", `{"version":1,"name":"x"}`, 403},
		{"steward", "/api/v1/themes/{suggested}", `{"version":1,"status":"curated"}`, 200},
		{"steward", "/api/v1/themes/{suggested}", `{"version":1,"name":"Stale"}`, 412},
		{"steward", "/api/v1/themes/{suggested}", `{"version":2,"status":"gone"}`, 422},
		{"steward", "/api/v1/themes/{suggested}", `{"version":2,"name":"Belonging"}`, 409},
		{"steward", "/api/v1/themes/999999", `{"version":1}`, 404},
	},
	"POST /api/v1/funds/:id/tags": {
		{"anonymous", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"what_we_learnt"}`, 401},
		{"user", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"what_we_learnt"}`, 403},
		{"steward-other", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"what_we_learnt"}`, 403},
		{"grantee", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"context_changed"}`, 201},
		{"grantee2", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{private},"section_key":"not_as_hoped"}`, 201},
		{"grantee2", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{private},"section_key":"not_as_hoped"}`, 409},
		{"other-grantee", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"what_we_tried"}`, 403}, // reads it; not theirs
		{"other-grantee", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{private},"section_key":"not_as_hoped"}`, 404},
		{"member", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"what_we_learnt"}`, 403},
		{"grantee", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{draft},"section_key":"what_we_tried"}`, 404},
		{"grantee", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{notes},"section_key":"what_we_learnt"}`, 404},
		{"steward", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{reflection},"section_key":"not_as_hoped"}`, 201},
		{"partner", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted},"section_key":"what_happened"}`, 201},
		{"steward", "/api/v1/funds/{fund}/tags", `{"theme_id":{suggested2},"account_id":{submitted},"section_key":"what_we_tried"}`, 422},
		{"steward", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"account_id":{submitted}}`, 422},
		{"other-grantee", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"dialogue_id":{dialogue}}`, 201},
		{"member", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"dialogue_id":{dialogue}}`, 404},  // declined
		{"steward", "/api/v1/funds/{fund}/tags", `{"theme_id":{theme2},"dialogue_id":{dialogue}}`, 404}, // not taking part
		{"steward", "/api/v1/funds/999999/tags", `{"theme_id":{theme2},"dialogue_id":{dialogue}}`, 404},
	},
	"DELETE /api/v1/tags/:id": {
		{"anonymous", "/api/v1/tags/{tagDel1}", "", 401},
		{"anonymous", "/api/v1/tags/999999", "", 401}, // the same answer whether or not the tag exists
		{"user", "/api/v1/tags/{tagDel1}", "", 403},
		{"user", "/api/v1/tags/{tagPrivate}", "", 404},
		{"other-grantee", "/api/v1/tags/{tagPrivate}", "", 404},
		{"other-grantee", "/api/v1/tags/{tagDel1}", "", 403},
		{"member", "/api/v1/tags/{tagDel1}", "", 403},
		{"grantee", "/api/v1/tags/{tagDel1}", "", 204},
		{"steward", "/api/v1/tags/{tagDel2}", "", 204},
		{"steward", "/api/v1/tags/{tagDel2}", "", 404},
		{"member", "/api/v1/tags/{tagDialogue}", "", 404},
		{"steward", "/api/v1/tags/{tagDialogue}", "", 404},
		{"other-grantee", "/api/v1/tags/{tagDialogue}", "", 204},
	},
	"GET /api/v1/funds/:id/patterns": {
		{"anonymous", "/api/v1/funds/{fund}/patterns", "", 200},
		{"user", "/api/v1/funds/{fund}/patterns", "", 200},
		{"grantee", "/api/v1/funds/{fund}/patterns", "", 200},
		{"member", "/api/v1/funds/{fund}/patterns", "", 200},
		{"steward", "/api/v1/funds/{fund}/patterns", "", 200},
		{"steward-other", "/api/v1/funds/{fund}/patterns", "", 200},
		{"anonymous", "/api/v1/funds/999999/patterns", "", 404},
		{"anonymous", "/api/v1/funds/{draftFund}/patterns", "", 404}, // a draft fund is not public
		{"grantee", "/api/v1/funds/{draftFund}/patterns", "", 404},
		{"steward", "/api/v1/funds/{draftFund}/patterns", "", 200},
	},
	"GET /api/v1/funds/:id/patterns/:theme_id/sources": {
		{"anonymous", "/api/v1/funds/{fund}/patterns/{theme}/sources", "", 200},
		{"other-grantee", "/api/v1/funds/{fund}/patterns/{theme}/sources", "", 200},
		{"steward", "/api/v1/funds/{fund}/patterns/{theme}/sources?period=2026-Q1", "", 200},
		{"steward", "/api/v1/funds/{fund}/patterns/{theme}/sources?period=spring", "", 422},
		{"steward", "/api/v1/funds/{fund}/patterns/{suggested2}/sources", "", 404},
		{"steward", "/api/v1/funds/{fund}/patterns/999999/sources", "", 404},
		{"steward-other", "/api/v1/funds/{fund}/patterns/{theme}/sources", "", 200},
		{"anonymous", "/api/v1/funds/{draftFund}/patterns/{theme}/sources", "", 404},
	},

	// Pages.
	"GET /funds/:id/themes": {
		{"anonymous", "/funds/{fund}/themes", "", 303},
		{"user", "/funds/{fund}/themes", "", 403},
		{"steward-other", "/funds/{fund}/themes", "", 403},
		{"grantee", "/funds/{fund}/themes", "", 200},
		{"member", "/funds/{fund}/themes", "", 200},
		{"steward", "/funds/{fund}/themes", "", 200},
		{"steward", "/funds/999999/themes", "", 404},
	},
	"POST /funds/:id/themes": {
		{"anonymous", "/funds/{fund}/themes", "name=Kinship", 303},
		{"user", "/funds/{fund}/themes", "name=Kinship", 403},
		{"grantee", "/funds/{fund}/themes", "name=", 422},
		{"member", "/funds/{fund}/themes", "name=belonging", 409},
		{"grantee", "/funds/{fund}/themes", "name=Kinship&description=Feeling+kin.", 303},
	},
	"POST /themes/:id": {
		{"anonymous", "/themes/{suggestedPage}", "version=1&action=accept&name=Kitchen+tables", 303},
		{"other-grantee", "/themes/{suggestedPage}", "version=1&action=accept&name=Kitchen+tables", 404},
		{"grantee", "/themes/{suggestedPage}", "version=1&action=accept&name=Kitchen+tables", 403},
		{"partner", "/themes/{theme}", "version=1&action=save&name=Belonging", 403},
		{"steward", "/themes/{suggestedPage}", "version=1&action=accept&name=", 422},
		{"steward", "/themes/{suggestedPage}", "version=1&action=accept&name=Kitchen+tables&description=Eating+together.", 303},
		{"steward", "/themes/{suggestedPage}", "version=1&action=set_aside&name=Kitchen+tables", 412},
		{"steward", "/themes/999999", "version=1", 404},
	},
	"GET /accounts/:id/themes": {
		{"anonymous", "/accounts/{submitted}/themes", "", 303},
		{"user", "/accounts/{submitted}/themes", "", 403},
		{"user", "/accounts/{private}/themes", "", 404},
		{"other-grantee", "/accounts/{private}/themes", "", 404},
		{"other-grantee", "/accounts/{submitted}/themes", "", 403},
		{"member", "/accounts/{submitted}/themes", "", 403},
		{"steward", "/accounts/{draft}/themes", "", 404},
		{"grantee", "/accounts/{draft}/themes", "", 404}, // nobody tags a draft
		{"grantee", "/accounts/{submitted}/themes", "", 200},
		{"steward", "/accounts/{private}/themes", "", 200},
		{"partner", "/accounts/{reflection}/themes", "", 200},
		{"steward-other", "/accounts/{submitted}/themes", "", 403},
		{"steward", "/accounts/999999/themes", "", 404},
	},
	"POST /accounts/:id/themes": {
		{"anonymous", "/accounts/{submitted}/themes", "tag-what_we_learnt={theme}", 303},
		{"other-grantee", "/accounts/{submitted}/themes", "tag-what_we_learnt={theme}", 403},
		{"other-grantee", "/accounts/{private}/themes", "tag-not_as_hoped={theme}", 404},
		{"grantee", "/accounts/{draft}/themes", "tag-what_we_tried={theme}", 404},
		{"grantee", "/accounts/{submitted}/themes", "tag-what_we_learnt={theme}&tag-what_we_tried={theme2}", 303},
		{"steward", "/accounts/{private}/themes", "tag-not_as_hoped={theme}", 303},
		// A theme not in use: the whole form is refused and changes nothing.
		{"steward", "/accounts/{private}/themes", "tag-not_as_hoped={suggested2}&was-not_as_hoped={theme}", 422},
	},
	"GET /dialogues/:id/themes": {
		{"anonymous", "/dialogues/{dialogue}/themes", "", 303},
		{"steward", "/dialogues/{dialogue}/themes", "", 404}, // not taking part
		{"member", "/dialogues/{dialogue}/themes", "", 404},  // declined
		{"other-grantee", "/dialogues/{dialogue}/themes", "", 200},
		{"grantee", "/dialogues/{dialogue}/themes", "", 200},
		{"grantee", "/dialogues/999999/themes", "", 404},
	},
	"POST /dialogues/:id/themes": {
		{"anonymous", "/dialogues/{dialogue}/themes", "tag-notes={theme}", 303},
		{"member", "/dialogues/{dialogue}/themes", "tag-notes={theme}", 404},
		{"steward", "/dialogues/{dialogue}/themes", "tag-notes={theme}", 404},
		{"other-grantee", "/dialogues/{dialogue}/themes", "tag-notes={theme}&tag-notes={theme2}", 303},
	},
	"GET /funds/:id/patterns": {
		{"anonymous", "/funds/{fund}/patterns", "", 200},
		{"user", "/funds/{fund}/patterns", "", 200},
		{"grantee", "/funds/{fund}/patterns", "", 200},
		{"steward", "/funds/{fund}/patterns", "", 200},
		{"anonymous", "/funds/{draftFund}/patterns", "", 404},
		{"steward", "/funds/{draftFund}/patterns", "", 200},
		{"anonymous", "/funds/999999/patterns", "", 404},
	},
	"GET /funds/:id/patterns/:theme_id": {
		{"anonymous", "/funds/{fund}/patterns/{theme}", "", 200},
		{"member", "/funds/{fund}/patterns/{theme}?period=2026-Q2", "", 200},
		{"anonymous", "/funds/{fund}/patterns/{suggested2}", "", 404},
		{"grantee", "/funds/{fund}/patterns/{theme}?period=2026-Q9", "", 422},
		{"steward", "/funds/{fund}/patterns/{theme}", "", 200},
		{"anonymous", "/funds/{draftFund}/patterns/{theme}", "", 404},
	},
}

func init() { registerArea("patterns", patternRows) }

// newPatternCast adds the themes, tags, dialogue and draft fund above to
// the accounts' cast.
func newPatternCast(t *testing.T) *accountCast {
	t.Helper()
	ac := newAccountCast(t)
	env := ac.env
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	set := func(k string, v int64) { ac.vars[k] = fmt.Sprint(v) }
	fund := ac.vars["{fund}"]
	theme := func(name, who, status string) int64 {
		return id(`INSERT INTO themes (fund_id, name, status, suggested_by) VALUES (?, ?, ?, ?) RETURNING id`,
			fund, name, status, ac.people[who].ID)
	}
	set("{theme}", theme("Belonging", "steward", "curated"))
	set("{theme2}", theme("Time and space", "partner", "curated"))
	set("{suggested}", theme("Kitchen talk", "grantee", "suggested"))
	set("{suggestedPage}", theme("Kitchen tables", "grantee", "suggested"))
	set("{suggested2}", theme("Weather", "other-grantee", "suggested"))
	dlg := id(`INSERT INTO dialogues (fund_id, convened_by, purpose, meets_on) VALUES (?, ?, 'Where are we stuck?', current_date - 30) RETURNING id`,
		fund, ac.people["grantee"].ID)
	if err := env.DB.Exec(`INSERT INTO dialogue_participants (dialogue_id, user_id, status) VALUES (?, ?, 'convener'), (?, ?, 'accepted'), (?, ?, 'declined')`,
		dlg, ac.people["grantee"].ID, dlg, ac.people["other-grantee"].ID, dlg, ac.people["member"].ID).Error; err != nil {
		t.Fatal(err)
	}
	set("{dialogue}", dlg)
	tag := func(theme, acc, key string) int64 {
		return id(`INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key) VALUES (?, ?, ?, ?) RETURNING id`,
			fund, ac.vars[theme], ac.vars[acc], key)
	}
	set("{tagPublic}", tag("{theme}", "{submitted}", "what_we_learnt"))
	set("{tagPrivate}", tag("{theme}", "{private}", "not_as_hoped"))
	extra := id(`INSERT INTO themes (fund_id, name, status) VALUES (?, 'Listening', 'curated') RETURNING id`, fund)
	extra2 := id(`INSERT INTO themes (fund_id, name, status) VALUES (?, 'Money worries', 'curated') RETURNING id`, fund)
	set("{tagDel1}", id(`INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key) VALUES (?, ?, ?, 'what_we_learnt') RETURNING id`,
		fund, extra, ac.vars["{submitted}"]))
	set("{tagDel2}", id(`INSERT INTO theme_tags (fund_id, theme_id, account_id, section_key) VALUES (?, ?, ?, 'what_we_learnt') RETURNING id`,
		fund, extra2, ac.vars["{submitted}"]))
	set("{tagDialogue}", id(`INSERT INTO theme_tags (fund_id, theme_id, dialogue_id) VALUES (?, ?, ?) RETURNING id`, fund, ac.vars["{theme}"], dlg))
	funder := id(`SELECT organisation_id FROM funds WHERE id = ?`, fund)
	draftFund := id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
		currency, system_scale, status) VALUES (?, 'Quiet Fund', 'rest', 'carers', 'Riverside', 100000, 'GBP', 'place', 'draft') RETURNING id`, funder)
	set("{draftFund}", draftFund)
	env.Grant(t, ac.people["steward"], "steward", fmt.Sprintf("fund:%d", draftFund))
	return ac
}

func TestPatternAuthorization(t *testing.T) {
	ac := newPatternCast(t)
	runTable(t, ac.env, patternRows, ac.expand, ac.tokens, ac.browsers)
}
