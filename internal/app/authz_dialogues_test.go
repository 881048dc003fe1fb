package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// The dialogues' cast, in fund {fund}:
//
//	{d}        convened by convener (grantee of A) with accepted (grantee
//	           of B, accepted), invited (panel member, not answered yet),
//	           declined (learning partner, declined) and steward-in (a
//	           steward who accepted); it starts from A's account
//	{dr}       convener and invited, for the API's answer rows
//	{dr2}      the same, for the pages' answer rows
//	{act}      an open action of {d} owned by accepted (API rows)
//	{act2}     another (page rows)
//	{issue}    an issue passed up in {d} (API rows); {issue2} (page rows)
//
//	steward (a steward not taking part), peer (grantee of C, same fund, not
//	taking part), partner2 (a learning partner, to be invited), user (no
//	role), other-fund (steward and grantee of another fund), anonymous
var dialogueRows = map[string][]access{
	"GET /api/v1/funds/:id/dialogues": {
		{"anonymous", "/api/v1/funds/{fund}/dialogues", "", 401},
		{"user", "/api/v1/funds/{fund}/dialogues", "", 403},
		{"other-fund", "/api/v1/funds/{fund}/dialogues", "", 403},
		{"peer", "/api/v1/funds/{fund}/dialogues", "", 200},
		{"convener", "/api/v1/funds/{fund}/dialogues", "", 200},
		{"steward", "/api/v1/funds/{fund}/dialogues", "", 200},
		{"convener", "/api/v1/funds/999999/dialogues", "", 404},
	},
	"POST /api/v1/funds/:id/dialogues": {
		{"anonymous", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01"}`, 401},
		{"user", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01"}`, 403},
		{"other-fund", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01"}`, 403},
		{"convener", "/api/v1/funds/{fund}/dialogues", `{"purpose":"","meets_on":"2027-01-01"}`, 422},
		{"convener", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01","target":3}`, 422},
		{"convener", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01","sources":[{"account_id":{accB},"section_key":"what_we_need"}]}`, 422},
		{"convener", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01","invitees":[{user-id}]}`, 422},
		{"convener", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01","follows_up":{dr-other}}`, 422},
		{"peer", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01","invitees":[{accepted-id}],"sources":[{"account_id":{accB},"section_key":"what_we_learnt"}]}`, 201},
		{"steward", "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-01-01","sources":[{"account_id":{accB},"section_key":"what_we_need"}]}`, 201},
	},
	"GET /api/v1/dialogues/:id": {
		{"anonymous", "/api/v1/dialogues/{d}", "", 401},
		{"user", "/api/v1/dialogues/{d}", "", 404},
		{"other-fund", "/api/v1/dialogues/{d}", "", 404},
		{"peer", "/api/v1/dialogues/{d}", "", 404},
		{"steward", "/api/v1/dialogues/{d}", "", 404}, // stewards see issues passed up, not dialogues they are not in
		{"declined", "/api/v1/dialogues/{d}", "", 404},
		{"invited", "/api/v1/dialogues/{d}", "", 200},
		{"accepted", "/api/v1/dialogues/{d}", "", 200},
		{"convener", "/api/v1/dialogues/{d}", "", 200},
		{"steward-in", "/api/v1/dialogues/{d}", "", 200},
		{"convener", "/api/v1/dialogues/999999", "", 404},
	},
	"POST /api/v1/dialogues/:id/participants": {
		{"anonymous", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 401},
		{"user", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 404},
		{"peer", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 404},
		{"steward", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 404},
		{"declined", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 404},
		{"invited", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 403},
		{"convener", "/api/v1/dialogues/{d}/participants", `{"invitees":[{user-id}]}`, 422},
		{"convener", "/api/v1/dialogues/{d}/participants", `{"invitees":[]}`, 422},
		{"accepted", "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`, 200},
	},
	"POST /api/v1/dialogues/:id/response": {
		{"anonymous", "/api/v1/dialogues/{dr}/response", `{"status":"accepted"}`, 401},
		{"peer", "/api/v1/dialogues/{dr}/response", `{"status":"accepted"}`, 404},
		{"steward", "/api/v1/dialogues/{dr}/response", `{"status":"accepted"}`, 404},
		{"convener", "/api/v1/dialogues/{dr}/response", `{"status":"accepted"}`, 409},
		{"invited", "/api/v1/dialogues/{dr}/response", `{"status":"maybe"}`, 422},
		{"invited", "/api/v1/dialogues/{dr}/response", `{"status":"accepted"}`, 204},
		{"declined", "/api/v1/dialogues/{d}/response", `{"status":"accepted"}`, 404},
	},
	"GET /api/v1/dialogues/:id/notes": {
		{"anonymous", "/api/v1/dialogues/{d}/notes", "", 401},
		{"peer", "/api/v1/dialogues/{d}/notes", "", 404},
		{"steward", "/api/v1/dialogues/{d}/notes", "", 404},
		{"declined", "/api/v1/dialogues/{d}/notes", "", 404},
		{"invited", "/api/v1/dialogues/{d}/notes", "", 200},
		{"accepted", "/api/v1/dialogues/{d}/notes", "", 200},
	},
	"PUT /api/v1/dialogues/:id/notes": { // after the page's rows: the notes are at version 1
		{"anonymous", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"x"}`, 401},
		{"peer", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"x"}`, 404},
		{"steward", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"x"}`, 404},
		{"declined", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"x"}`, 404},
		{"invited", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"x"}`, 403},
		{"convener", "/api/v1/dialogues/{d}/notes", `{"version":-1,"body":"x"}`, 422},
		{"accepted", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"Second thoughts."}`, 200},
		{"convener", "/api/v1/dialogues/{d}/notes", `{"version":1,"body":"Overwrite?"}`, 412},
	},
	"POST /api/v1/dialogues/:id/actions": {
		{"anonymous", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{convener-id}}`, 401},
		{"peer", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{convener-id}}`, 404},
		{"steward", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{convener-id}}`, 404},
		{"invited", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{convener-id}}`, 403},
		{"convener", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{peer-id}}`, 422},
		{"convener", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{declined-id}}`, 422},
		{"convener", "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{convener-id},"due_on":"soon"}`, 422},
		{"accepted", "/api/v1/dialogues/{d}/actions", `{"what":"Write to the council","owner_id":{convener-id}}`, 201},
	},
	"PATCH /api/v1/actions/:id": {
		{"anonymous", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 401},
		{"user", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 404},
		{"other-fund", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 404},
		{"peer", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 404},
		{"steward", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 404},
		{"declined", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 404},
		{"invited", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 403},
		{"accepted", "/api/v1/actions/{act}", `{"version":1,"status":"dropped"}`, 422},
		{"accepted", "/api/v1/actions/{act}", `{"version":1,"status":"finished"}`, 422},
		{"accepted", "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, 200},
		{"convener", "/api/v1/actions/{act}", `{"version":1,"status":"open"}`, 412},
		{"convener", "/api/v1/actions/999999", `{"version":1,"status":"open"}`, 404},
	},
	"POST /api/v1/dialogues/:id/issues": {
		{"anonymous", "/api/v1/dialogues/{d}/issues", `{"body":"x"}`, 401},
		{"peer", "/api/v1/dialogues/{d}/issues", `{"body":"x"}`, 404},
		{"steward", "/api/v1/dialogues/{d}/issues", `{"body":"x"}`, 404},
		{"invited", "/api/v1/dialogues/{d}/issues", `{"body":"x"}`, 403},
		{"accepted", "/api/v1/dialogues/{d}/issues", `{"body":" "}`, 422},
		{"accepted", "/api/v1/dialogues/{d}/issues", `{"body":"Could payments come earlier?"}`, 201},
	},
	"GET /api/v1/funds/:id/issues": {
		{"anonymous", "/api/v1/funds/{fund}/issues", "", 401},
		{"user", "/api/v1/funds/{fund}/issues", "", 403},
		{"peer", "/api/v1/funds/{fund}/issues", "", 403},
		{"convener", "/api/v1/funds/{fund}/issues", "", 403},
		{"invited", "/api/v1/funds/{fund}/issues", "", 403},
		{"other-fund", "/api/v1/funds/{fund}/issues", "", 403},
		{"steward", "/api/v1/funds/{fund}/issues", "", 200},
		{"steward-in", "/api/v1/funds/{fund}/issues", "", 200},
	},
	"POST /api/v1/issues/:id/answer": {
		{"anonymous", "/api/v1/issues/{issue}/answer", `{"answer":"x"}`, 401},
		{"convener", "/api/v1/issues/{issue}/answer", `{"answer":"x"}`, 403},
		{"accepted", "/api/v1/issues/{issue}/answer", `{"answer":"x"}`, 403},
		{"other-fund", "/api/v1/issues/{issue}/answer", `{"answer":"x"}`, 403},
		{"steward", "/api/v1/issues/{issue}/answer", `{"answer":""}`, 422},
		{"steward", "/api/v1/issues/{issue}/answer", `{"answer":"Yes, from April."}`, 200},
		{"steward-in", "/api/v1/issues/{issue}/answer", `{"answer":"Again"}`, 409},
		{"steward", "/api/v1/issues/999999/answer", `{"answer":"x"}`, 404},
	},
	"GET /api/v1/me/actions": {
		{"anonymous", "/api/v1/me/actions", "", 401},
		{"user", "/api/v1/me/actions", "", 200},
		{"accepted", "/api/v1/me/actions", "", 200},
		{"accepted", "/api/v1/me/actions?fund_id={fund}", "", 200},
		{"accepted", "/api/v1/me/actions?fund_id=x", "", 422},
	},

	// Pages.
	"GET /funds/:id/dialogues": {
		{"anonymous", "/funds/{fund}/dialogues", "", 303},
		{"user", "/funds/{fund}/dialogues", "", 403},
		{"other-fund", "/funds/{fund}/dialogues", "", 403},
		{"peer", "/funds/{fund}/dialogues", "", 200},
		{"convener", "/funds/{fund}/dialogues", "", 200},
		{"steward", "/funds/{fund}/dialogues", "", 200},
		{"convener", "/funds/999999/dialogues", "", 404},
	},
	"POST /funds/:id/dialogues": {
		{"anonymous", "/funds/{fund}/dialogues", "purpose=p&meets_on=2027-01-01", 303},
		{"user", "/funds/{fund}/dialogues", "purpose=p&meets_on=2027-01-01", 403},
		{"other-fund", "/funds/{fund}/dialogues", "purpose=p&meets_on=2027-01-01", 403},
		{"convener", "/funds/{fund}/dialogues", "purpose=&meets_on=", 422},
		{"convener", "/funds/{fund}/dialogues", "purpose=p&meets_on=2027-01-01&sources={accB}/what_we_need", 422},
		{"convener", "/funds/{fund}/dialogues", "purpose=p&meets_on=2027-01-01&invitees={accepted-id}&sources={accB}/what_we_learnt", 303},
	},
	"GET /dialogues/:id": {
		{"anonymous", "/dialogues/{d}", "", 303},
		{"user", "/dialogues/{d}", "", 404},
		{"other-fund", "/dialogues/{d}", "", 404},
		{"peer", "/dialogues/{d}", "", 404},
		{"steward", "/dialogues/{d}", "", 404},
		{"declined", "/dialogues/{d}", "", 404},
		{"invited", "/dialogues/{d}", "", 200},
		{"accepted", "/dialogues/{d}", "", 200},
		{"convener", "/dialogues/{d}", "", 200},
		{"steward-in", "/dialogues/{d}", "", 200},
	},
	"POST /dialogues/:id/response": {
		{"anonymous", "/dialogues/{dr2}/response", "status=accepted", 303},
		{"peer", "/dialogues/{dr2}/response", "status=accepted", 404},
		{"convener", "/dialogues/{dr2}/response", "status=accepted", 409},
		{"invited", "/dialogues/{dr2}/response", "status=maybe", 422},
		{"invited", "/dialogues/{dr2}/response", "status=accepted", 303},
		{"declined", "/dialogues/{d}/response", "status=accepted", 404},
	},
	"POST /dialogues/:id/participants": {
		{"anonymous", "/dialogues/{d}/participants", "invitees={partner2-id}", 303},
		{"peer", "/dialogues/{d}/participants", "invitees={partner2-id}", 404},
		{"invited", "/dialogues/{d}/participants", "invitees={partner2-id}", 403},
		{"convener", "/dialogues/{d}/participants", "invitees={user-id}", 422},
		{"convener", "/dialogues/{d}/participants", "invitees={partner2-id}", 303},
	},
	"GET /dialogues/:id/notes": {
		{"anonymous", "/dialogues/{d}/notes", "", 303},
		{"peer", "/dialogues/{d}/notes", "", 404},
		{"declined", "/dialogues/{d}/notes", "", 404},
		{"invited", "/dialogues/{d}/notes", "", 200},
	},
	"POST /dialogues/:id/notes": {
		{"anonymous", "/dialogues/{d}/notes", "version=0&body=x", 303},
		{"peer", "/dialogues/{d}/notes", "version=0&body=x", 404},
		{"invited", "/dialogues/{d}/notes", "version=0&body=x", 403},
		{"accepted", "/dialogues/{d}/notes", "version=0&body=We+began+with+what+surprised+us.", 303},
		{"convener", "/dialogues/{d}/notes", "version=0&body=Mine+too.", 412},
	},
	"POST /dialogues/:id/actions": {
		{"anonymous", "/dialogues/{d}/actions", "what=x&owner_id={convener-id}", 303},
		{"peer", "/dialogues/{d}/actions", "what=x&owner_id={convener-id}", 404},
		{"invited", "/dialogues/{d}/actions", "what=x&owner_id={convener-id}", 403},
		{"convener", "/dialogues/{d}/actions", "what=&owner_id={convener-id}", 422},
		{"convener", "/dialogues/{d}/actions", "what=x&owner_id={peer-id}", 422},
		{"accepted", "/dialogues/{d}/actions", "what=Ask+the+youth+club&owner_id={convener-id}&due_on=2027-02-01", 303},
	},
	"POST /actions/:id": {
		{"anonymous", "/actions/{act2}", "version=1&status=done", 303},
		{"user", "/actions/{act2}", "version=1&status=done", 404},
		{"peer", "/actions/{act2}", "version=1&status=done", 404},
		{"steward", "/actions/{act2}", "version=1&status=done", 404},
		{"invited", "/actions/{act2}", "version=1&status=done", 403},
		{"accepted", "/actions/{act2}", "version=1&status=dropped&dropped_reason=", 422},
		{"accepted", "/actions/{act2}", "version=1&status=dropped&dropped_reason=Nobody+wanted+it.", 303},
		{"convener", "/actions/{act2}", "version=1&status=open", 412},
	},
	"POST /dialogues/:id/issues": {
		{"anonymous", "/dialogues/{d}/issues", "body=x", 303},
		{"peer", "/dialogues/{d}/issues", "body=x", 404},
		{"invited", "/dialogues/{d}/issues", "body=x", 403},
		{"accepted", "/dialogues/{d}/issues", "body=", 422},
		{"accepted", "/dialogues/{d}/issues", "body=Could+reports+be+shorter%3F", 303},
	},
	"GET /funds/:id/issues": {
		{"anonymous", "/funds/{fund}/issues", "", 303},
		{"user", "/funds/{fund}/issues", "", 403},
		{"convener", "/funds/{fund}/issues", "", 403},
		{"other-fund", "/funds/{fund}/issues", "", 403},
		{"steward", "/funds/{fund}/issues", "", 200},
		{"steward-in", "/funds/{fund}/issues", "", 200},
	},
	"POST /issues/:id/answer": {
		{"anonymous", "/issues/{issue2}/answer", "answer=x", 303},
		{"convener", "/issues/{issue2}/answer", "answer=x", 403},
		{"other-fund", "/issues/{issue2}/answer", "answer=x", 403},
		{"steward", "/issues/{issue2}/answer", "answer=", 422},
		{"steward-in", "/issues/{issue2}/answer", "answer=Yes.", 303},
		{"steward", "/issues/{issue2}/answer", "answer=Again.", 409},
	},
	"GET /me/actions": {
		{"anonymous", "/me/actions", "", 303},
		{"user", "/me/actions", "", 200},
		{"accepted", "/me/actions", "", 200},
		{"accepted", "/me/actions?fund_id={fund}", "", 200},
	},
}

func init() { registerArea("dialogues", dialogueRows) }

// Marks in the accounts, so what a reader is shown can be checked.
const (
	markPeersA   = "PEERS-A: we tried Saturday clubs."
	markPrivateA = "PRIVATE-A: the first club flopped."
	markPeersB   = "PEERS-B: we learnt to slow down."
	markPrivateB = "PRIVATE-B: we need more time, and a new treasurer."
)

type dialogueCast struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	vars     map[string]string
}

func (dc *dialogueCast) expand(s string) string {
	pairs := make([]string, 0, 2*len(dc.vars))
	for k, v := range dc.vars {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func (dc *dialogueCast) id(name string) int64 { return dc.people[name].ID }

// newDialogueCast builds the fund, the accounts (in SQL, as the accounts
// service leaves them once submitted) and the dialogues above (through the
// dialogues service).
func newDialogueCast(t *testing.T) *dialogueCast {
	env := apptest.New(t)
	ctx := context.Background()
	dc := &dialogueCast{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, vars: map[string]string{}}
	names := []string{"convener", "accepted", "invited", "declined", "steward-in", "steward", "peer", "partner2", "user", "other-fund"}
	for _, n := range names {
		dc.people[n] = env.CreateUser(t, n)
	}
	orgA := env.CreateOrg(t, "Eastfield Tenants", org.Applicant, dc.people["convener"])
	orgB := env.CreateOrg(t, "Shared Tables", org.Applicant, dc.people["accepted"])
	env.CreateOrg(t, "Hillside Youth Club", org.Applicant, dc.people["peer"])
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, dc.people["steward"], dc.people["steward-in"])
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := env.DB.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	newFund := func() int64 {
		return id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
			currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people', 'Riverside', 50000000,
			'GBP', 'place', 'active') RETURNING id`, funder.ID)
	}
	fund, otherFund := newFund(), newFund()
	rnd := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
		voting_close_at, method, rule, quorum, tie_break, state) VALUES (?, 'Spring', 250000, now() - interval '300 days',
		now() - interval '280 days', now() - interval '280 days', now() - interval '270 days', 'approval', 'mes_cost_add1_greedy',
		1, 'lower_cost', 'review') RETURNING id`, fund)
	account := func(o org.Organisation, author user.User, peers, private string, peersKey, privateKey string) int64 {
		app := id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, 'Clubs', 'x', 'y', 'z', 100000) RETURNING id`, rnd, fund, o.ID)
		grant := id(`INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
			VALUES (?, ?, ?, ?, 'Clubs', 100000, current_date - 200, current_date + 165) RETURNING id`, fund, rnd, app, o.ID)
		acc := id(`INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end, author_id)
			VALUES (?, ?, ?, 'grantee', current_date - 200, current_date - 110, ?) RETURNING id`, fund, grant, o.ID, author.ID)
		exec(`INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, ?, ?, 'peers'), (?, ?, ?, 'funder_and_partner')`,
			acc, peersKey, peers, acc, privateKey, private)
		exec(`UPDATE reflective_accounts SET status = 'submitted', submitted_at = now(), submitted_by = ? WHERE id = ?`, author.ID, acc)
		return acc
	}
	accA := account(orgA, dc.people["convener"], markPeersA, markPrivateA, "what_we_tried", "not_as_hoped")
	accB := account(orgB, dc.people["accepted"], markPeersB, markPrivateB, "what_we_learnt", "what_we_need")

	dom := authz.FundDomain(fund)
	env.Grant(t, dc.people["convener"], authz.Grantee, dom)
	env.Grant(t, dc.people["accepted"], authz.Grantee, dom)
	env.Grant(t, dc.people["peer"], authz.Grantee, dom)
	env.Grant(t, dc.people["invited"], authz.PanelMember, dom)
	env.Grant(t, dc.people["declined"], authz.LearningPartner, dom)
	env.Grant(t, dc.people["partner2"], authz.LearningPartner, dom)
	env.Grant(t, dc.people["steward"], authz.Steward, dom)
	env.Grant(t, dc.people["steward-in"], authz.Steward, dom)
	env.Grant(t, dc.people["other-fund"], authz.Steward, authz.FundDomain(otherFund))
	env.Grant(t, dc.people["other-fund"], authz.Grantee, authz.FundDomain(otherFund))

	svc := env.Svc.Dialogues
	all := func(int64, string) bool { return true }
	convene := func(by string, in dialogue.NewDialogue, answers map[string]string) int64 {
		t.Helper()
		d, err := svc.Convene(ctx, dc.id(by), fund, in, all)
		if err != nil {
			t.Fatal(err)
		}
		for who, a := range answers {
			if err := svc.Respond(ctx, dc.id(who), d, dialogue.Answer{Status: a}); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	d := convene("convener", dialogue.NewDialogue{Purpose: "How do we hear young people?", MeetsOn: "2026-12-03",
		Invitees: []int64{dc.id("accepted"), dc.id("invited"), dc.id("declined"), dc.id("steward-in")},
		Sources:  []dialogue.SourceRef{{AccountID: accA}}},
		map[string]string{"accepted": "accepted", "declined": "declined", "steward-in": "accepted"})
	pair := dialogue.NewDialogue{Purpose: "A pair", MeetsOn: "2026-12-10", Invitees: []int64{dc.id("invited")}}
	dr, dr2 := convene("convener", pair, nil), convene("convener", pair, nil)
	drOther := convene("peer", pair, nil)
	action := func(what string) int64 {
		a, err := svc.AddAction(ctx, dc.id("convener"), d, dialogue.NewAction{What: what, OwnerID: dc.id("accepted")})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	issue := func(body string) int64 {
		i, err := svc.PassUp(ctx, dc.id("accepted"), d, dialogue.NewIssue{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return i.ID
	}
	for k, v := range map[string]int64{"{fund}": fund, "{d}": d, "{dr}": dr, "{dr2}": dr2, "{dr-other}": drOther,
		"{act}": action("Share the cooking rota"), "{act2}": action("Try a survey"),
		"{issue}": issue("Reports take a week each."), "{issue2}": issue("Could payments come a month earlier?"),
		"{accA}": accA, "{accB}": accB} {
		dc.vars[k] = fmt.Sprint(v)
	}
	for _, n := range names {
		dc.vars["{"+n+"-id}"] = fmt.Sprint(dc.id(n))
		dc.tokens[n] = env.Token(t, dc.people[n])
		b := env.NewBrowser(t)
		b.SignIn(t, dc.people[n])
		dc.browsers[n] = b
	}
	dc.browsers["anonymous"] = env.NewBrowser(t)
	return dc
}

func TestDialogueAuthorization(t *testing.T) {
	dc := newDialogueCast(t)
	runTable(t, dc.env, dialogueRows, dc.expand, dc.tokens, dc.browsers)
}
