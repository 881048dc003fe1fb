package app_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// The accounts' cast, in fund {fund} with grants {grantA} (organisation A)
// and {grantB} (organisation B), {grantA} under a signed learning agreement
// asking for an account every three months:
//
//	{draft}       grantee's draft of an account of {grantA}
//	{submitted}   grantee's submitted account: a section at each
//	              visibility and four stories (see accountMarkers)
//	{private}     submitted, every section for the funder and partner only
//	{notes}       notes of a conversation by the learning partner, waiting
//	{notes2}      another, for the confirm rows
//	{reflection}  the stewards' published reflection (a peers section)
//	{refdraft}    a draft reflection
//
//	steward, partner (learning partner), grantee (member of A, author of
//	the accounts), grantee2 (another member of A), other-grantee (member of
//	B: a peer), member (panel member), user (no role), steward-other
//	(steward of another fund), anonymous
var accountRows = map[string][]access{
	"GET /api/v1/grants/:id/accounts": {
		{"anonymous", "/api/v1/grants/{grantA}/accounts", "", 200},
		{"grantee", "/api/v1/grants/{grantA}/accounts", "", 200},
		{"steward", "/api/v1/grants/{grantA}/accounts", "", 200},
		{"anonymous", "/api/v1/grants/999999/accounts", "", 404},
	},
	"POST /api/v1/grants/:id/accounts": {
		{"anonymous", "/api/v1/grants/{grantA}/accounts", `{}`, 401},
		{"user", "/api/v1/grants/{grantA}/accounts", `{}`, 403},
		{"other-grantee", "/api/v1/grants/{grantA}/accounts", `{}`, 403},
		{"member", "/api/v1/grants/{grantA}/accounts", `{}`, 403},
		{"steward", "/api/v1/grants/{grantA}/accounts", `{}`, 403}, // the account is the grantee's to write
		{"grantee", "/api/v1/grants/{grantA}/accounts", `{"mode":"conversation","sections":{"what_we_tried":{"body":"x"}}}`, 403},
		{"grantee", "/api/v1/grants/{grantA}/accounts", `{"score":3}`, 422},
		{"grantee", "/api/v1/grants/{grantA}/accounts", `{"sections":{"targets":{"body":"x"}}}`, 422},
		{"grantee", "/api/v1/grants/{grantA}/accounts", `{"period_start":"2026-05-01","period_end":"2026-04-01"}`, 422},
		{"grantee", "/api/v1/grants/{grantA}/accounts", `{}`, 201},
		{"partner", "/api/v1/grants/{grantA}/accounts", `{"mode":"conversation"}`, 422},
		{"partner", "/api/v1/grants/{grantA}/accounts", `{"mode":"conversation","sections":{"what_we_tried":{"body":"We talked."}}}`, 201},
		{"steward", "/api/v1/grants/{grantA}/accounts", `{"mode":"conversation","sections":{"what_we_tried":{"body":"We talked."}}}`, 201},
		{"steward-other", "/api/v1/grants/{grantA}/accounts", `{"mode":"conversation","sections":{"what_we_tried":{"body":"x"}}}`, 403},
		{"grantee", "/api/v1/grants/999999/accounts", `{}`, 404},
	},
	"POST /grants/:id/instalments/:number/paid": {
		{"anonymous", "/grants/{grantA}/instalments/1/paid", "", 303},
		{"grantee", "/grants/{grantA}/instalments/1/paid", "", 403},
		{"partner", "/grants/{grantA}/instalments/1/paid", "", 403},
		{"steward-other", "/grants/{grantA}/instalments/1/paid", "", 403},
		{"steward", "/grants/{grantA}/instalments/3/paid", "", 404},
		{"steward", "/grants/{grantA}/instalments/1/paid", "paid_on=2999-01-01", 422},
		{"steward", "/grants/{grantA}/instalments/1/paid", "", 303},
		{"steward", "/grants/{grantA}/instalments/1/paid", "", 409},
	},
	"GET /grants/:id/accounts/notes": {
		{"anonymous", "/grants/{grantA}/accounts/notes", "", 303},
		{"grantee", "/grants/{grantA}/accounts/notes", "", 403}, // the grantee writes its own account
		{"other-grantee", "/grants/{grantA}/accounts/notes", "", 403},
		{"steward-other", "/grants/{grantA}/accounts/notes", "", 403},
		{"steward", "/grants/{grantA}/accounts/notes", "", 200},
		{"partner", "/grants/{grantA}/accounts/notes", "", 200},
		{"partner", "/grants/999999/accounts/notes", "", 404},
	},
	"POST /grants/:id/accounts/notes": {
		{"anonymous", "/grants/{grantA}/accounts/notes", "body-what_we_tried=We+talked.", 303},
		{"grantee", "/grants/{grantA}/accounts/notes", "body-what_we_tried=We+talked.", 403},
		{"member", "/grants/{grantA}/accounts/notes", "body-what_we_tried=We+talked.", 403},
		{"partner", "/grants/{grantA}/accounts/notes", "body-what_we_tried=", 422},
		{"partner", "/grants/{grantA}/accounts/notes", "period_start=2026-05-01&period_end=2026-04-01&body-what_we_tried=x", 422},
		{"partner", "/grants/{grantA}/accounts/notes", "body-what_we_tried=We+talked.", 303},
		{"steward", "/grants/{grantA}/accounts/notes", "body-what_we_learnt=They+slowed+down.", 303},
	},
	"GET /api/v1/accounts/:id": {
		{"anonymous", "/api/v1/accounts/{submitted}", "", 200},
		{"anonymous", "/api/v1/accounts/{private}", "", 404},
		{"user", "/api/v1/accounts/{private}", "", 404},
		{"other-grantee", "/api/v1/accounts/{private}", "", 404},
		{"member", "/api/v1/accounts/{private}", "", 404},
		{"steward-other", "/api/v1/accounts/{private}", "", 404},
		{"steward", "/api/v1/accounts/{private}", "", 200},
		{"partner", "/api/v1/accounts/{private}", "", 200},
		{"grantee2", "/api/v1/accounts/{private}", "", 200},
		{"steward", "/api/v1/accounts/{draft}", "", 404}, // a draft is the grantee's alone
		{"partner", "/api/v1/accounts/{draft}", "", 404},
		{"grantee2", "/api/v1/accounts/{draft}", "", 200},
		{"steward", "/api/v1/accounts/{notes}", "", 200},
		{"grantee", "/api/v1/accounts/{notes}", "", 200},
		{"other-grantee", "/api/v1/accounts/{notes}", "", 404},
		{"anonymous", "/api/v1/accounts/{reflection}", "", 404}, // a reflection is read at /reflections
		{"anonymous", "/api/v1/accounts/999999", "", 404},
	},
	"PATCH /api/v1/accounts/:id": {
		{"anonymous", "/api/v1/accounts/{draft}", `{"version":1}`, 404},
		{"steward", "/api/v1/accounts/{draft}", `{"version":1}`, 404},
		{"steward", "/api/v1/accounts/{submitted}", `{"version":1}`, 403}, // stewards never edit an account
		{"partner", "/api/v1/accounts/{submitted}", `{"version":1}`, 403},
		{"other-grantee", "/api/v1/accounts/{submitted}", `{"version":1}`, 403},
		{"grantee", "/api/v1/accounts/{submitted}", `{"version":1}`, 409},
		{"grantee", "/api/v1/accounts/{notes}", `{"version":1}`, 409},
		{"grantee", "/api/v1/accounts/{draft}", `{}`, 422},
		{"grantee", "/api/v1/accounts/{draft}", `{"version":1,"sections":{"what_we_tried":{"visibility":"everyone"}}}`, 422},
		{"grantee", "/api/v1/accounts/{draft}", `{"version":1,"stories":[{"body":"A story.","purposes":[],"naming":"anonymous"}]}`, 422},
		{"grantee", "/api/v1/accounts/{draft}", `{"version":1,"sections":{"what_we_tried":{"body":"Saturday clubs."}}}`, 200},
		{"grantee2", "/api/v1/accounts/{draft}", `{"version":1,"sections":{"what_we_tried":{"body":"Overwrite!"}}}`, 412},
		{"grantee", "/api/v1/accounts/999999", `{"version":1}`, 404},
	},
	"POST /api/v1/accounts/:id/submit": {
		{"anonymous", "/api/v1/accounts/{draft}/submit", `{"version":3}`, 404},
		{"steward", "/api/v1/accounts/{submitted}/submit", `{"version":1}`, 403},
		{"other-grantee", "/api/v1/accounts/{submitted}/submit", `{"version":1}`, 403},
		{"grantee", "/api/v1/accounts/{submitted}/submit", `{"version":1}`, 409},
		{"grantee", "/api/v1/accounts/{draft}/submit", `{"version":1}`, 412},
		{"grantee", "/api/v1/accounts/{draft}/submit", `{}`, 422},
		{"grantee", "/api/v1/accounts/{draft}/submit", `{"version":3}`, 200}, // PATCHed, then saved on its page
	},
	"POST /api/v1/accounts/:id/confirm": {
		{"anonymous", "/api/v1/accounts/{notes2}/confirm", `{}`, 404},
		{"steward", "/api/v1/accounts/{notes2}/confirm", `{}`, 403},
		{"partner", "/api/v1/accounts/{notes2}/confirm", `{}`, 403},
		{"other-grantee", "/api/v1/accounts/{notes2}/confirm", `{}`, 404},
		{"grantee", "/api/v1/accounts/{notes2}/confirm", `{"corrections":1}`, 422},
		{"grantee", "/api/v1/accounts/{notes2}/confirm", `{"corrections":"We also ran a second club."}`, 200},
		{"grantee", "/api/v1/accounts/{notes2}/confirm", `{}`, 409},
	},
	"POST /api/v1/accounts/:id/addenda": {
		{"anonymous", "/api/v1/accounts/{private}/addenda", `{"body":"x"}`, 404},
		{"steward", "/api/v1/accounts/{private}/addenda", `{"body":"x"}`, 403},
		{"grantee", "/api/v1/accounts/{private}/addenda", `{"body":" "}`, 422},
		{"grantee", "/api/v1/accounts/{notes}/addenda", `{"body":"x"}`, 409},
		{"grantee", "/api/v1/accounts/{private}/addenda", `{"body":"One correction: it was twelve families, not ten."}`, 201},
	},
	"POST /api/v1/accounts/:id/stories/:story_id/withdraw": {
		{"anonymous", "/api/v1/accounts/{submitted}/stories/{storyAll}/withdraw", "", 401},
		{"user", "/api/v1/accounts/{submitted}/stories/{storyAll}/withdraw", "", 403},
		{"other-grantee", "/api/v1/accounts/{submitted}/stories/{storyAll}/withdraw", "", 403},
		{"member", "/api/v1/accounts/{submitted}/stories/{storyAll}/withdraw", "", 403},
		{"grantee", "/api/v1/accounts/{submitted}/stories/999999/withdraw", "", 404},
		{"grantee2", "/api/v1/accounts/{submitted}/stories/{storyWithdrawn}/withdraw", "", 204},
		{"steward", "/api/v1/accounts/{submitted}/stories/{storyWithdrawn}/withdraw", "", 204}, // twice changes nothing
	},
	"GET /api/v1/accounts/:id/response": {
		{"anonymous", "/api/v1/accounts/{submitted}/response", "", 401},
		{"other-grantee", "/api/v1/accounts/{submitted}/response", "", 403},
		{"member", "/api/v1/accounts/{submitted}/response", "", 403},
		{"user", "/api/v1/accounts/{private}/response", "", 404},
		{"grantee", "/api/v1/accounts/{private}/response", "", 404}, // none yet
		{"grantee", "/api/v1/accounts/{submitted}/response", "", 200},
		{"partner", "/api/v1/accounts/{submitted}/response", "", 200},
	},
	"POST /api/v1/accounts/:id/response": {
		{"anonymous", "/api/v1/accounts/{private}/response", `{"body":"x"}`, 404},
		{"grantee", "/api/v1/accounts/{private}/response", `{"body":"x"}`, 403},
		{"partner", "/api/v1/accounts/{private}/response", `{"body":"x"}`, 403},
		{"steward-other", "/api/v1/accounts/{private}/response", `{"body":"x"}`, 404},
		{"steward", "/api/v1/accounts/{private}/response", `{"body":""}`, 422},
		{"steward", "/api/v1/accounts/{notes}/response", `{"body":"x"}`, 409},
		{"steward", "/api/v1/accounts/{private2}/response", `{"body":"Thank you for being so open about the clubs."}`, 201},
		{"steward", "/api/v1/accounts/{private2}/response", `{"body":"Again."}`, 409},
	},
	"GET /api/v1/funds/:id/learning": {
		{"anonymous", "/api/v1/funds/{fund}/learning", "", 401},
		{"user", "/api/v1/funds/{fund}/learning", "", 403},
		{"grantee", "/api/v1/funds/{fund}/learning", "", 403},
		{"member", "/api/v1/funds/{fund}/learning", "", 403},
		{"steward-other", "/api/v1/funds/{fund}/learning", "", 403},
		{"steward", "/api/v1/funds/{fund}/learning", "", 200},
		{"partner", "/api/v1/funds/{fund}/learning", "", 200},
		{"steward", "/api/v1/funds/999999/learning", "", 404},
	},
	"PUT /api/v1/funds/:id/response-days": {
		{"anonymous", "/api/v1/funds/{fund}/response-days", `{"response_days":14}`, 401},
		{"grantee", "/api/v1/funds/{fund}/response-days", `{"response_days":14}`, 403},
		{"partner", "/api/v1/funds/{fund}/response-days", `{"response_days":14}`, 403},
		{"steward", "/api/v1/funds/{fund}/response-days", `{"response_days":0}`, 422},
		{"steward", "/api/v1/funds/{fund}/response-days", `{"response_days":14}`, 200},
	},
	"GET /api/v1/funds/:id/accounts.csv": {
		{"anonymous", "/api/v1/funds/{fund}/accounts.csv", "", 200},
		{"steward", "/api/v1/funds/{fund}/accounts.csv", "", 200},
		{"anonymous", "/api/v1/funds/999999/accounts.csv", "", 404},
	},
	"GET /api/v1/funds/:id/reflections": {
		{"anonymous", "/api/v1/funds/{fund}/reflections", "", 200},
		{"grantee", "/api/v1/funds/{fund}/reflections", "", 200},
		{"steward", "/api/v1/funds/{fund}/reflections", "", 200},
	},
	"POST /api/v1/funds/:id/reflections": {
		{"anonymous", "/api/v1/funds/{fund}/reflections", `{}`, 401},
		{"grantee", "/api/v1/funds/{fund}/reflections", `{}`, 403},
		{"partner", "/api/v1/funds/{fund}/reflections", `{}`, 403},
		{"steward-other", "/api/v1/funds/{fund}/reflections", `{}`, 403},
		{"steward", "/api/v1/funds/{fund}/reflections", `{"kpi":1}`, 422},
		{"steward", "/api/v1/funds/{fund}/reflections", `{}`, 201},
	},
	"GET /api/v1/reflections/:id": {
		{"anonymous", "/api/v1/reflections/{reflection}", "", 404},
		{"user", "/api/v1/reflections/{reflection}", "", 404},
		{"grantee", "/api/v1/reflections/{reflection}", "", 200},
		{"member", "/api/v1/reflections/{reflection}", "", 200},
		{"partner", "/api/v1/reflections/{reflection}", "", 200},
		{"grantee", "/api/v1/reflections/{refdraft}", "", 404},
		{"steward", "/api/v1/reflections/{refdraft}", "", 200},
		{"steward", "/api/v1/reflections/{submitted}", "", 404},
	},
	"PATCH /api/v1/reflections/:id": {
		{"anonymous", "/api/v1/reflections/{refdraft}", `{"version":1}`, 404},
		{"grantee", "/api/v1/reflections/{reflection}", `{"version":1}`, 403},
		{"partner", "/api/v1/reflections/{reflection}", `{"version":1}`, 403},
		{"steward", "/api/v1/reflections/{reflection}", `{"version":1}`, 409},
		{"steward", "/api/v1/reflections/{refdraft}", `{"version":9}`, 412},
		{"steward", "/api/v1/reflections/{refdraft}", `{"version":1,"sections":{"what_we_tried":{"body":"We answered faster.","visibility":"peers"}}}`, 200},
	},
	"POST /api/v1/reflections/:id/publish": {
		{"grantee", "/api/v1/reflections/{reflection}/publish", `{"version":1}`, 403},
		{"steward", "/api/v1/reflections/{reflection}/publish", `{"version":1}`, 409},
		{"steward", "/api/v1/reflections/{refdraft}/publish", `{"version":2}`, 200},
	},
	// A withdrawal in the funder's reflection is the stewards' to record
	// (TestAttackLearningReflectionStoryConsentCannotBeWithdrawn records one).
	"POST /api/v1/reflections/:id/stories/:story_id/withdraw": {
		{"anonymous", "/api/v1/reflections/{reflection}/stories/999999/withdraw", "", 404}, // not a reflection the public may know of
		{"grantee", "/api/v1/reflections/{reflection}/stories/999999/withdraw", "", 403},
		{"member", "/api/v1/reflections/{reflection}/stories/999999/withdraw", "", 403},
		{"steward", "/api/v1/reflections/{reflection}/stories/999999/withdraw", "", 404},
		{"steward", "/api/v1/reflections/{submitted}/stories/{storyAll}/withdraw", "", 404}, // a grantee's account is not a reflection
	},

	// Pages.
	"GET /grants/:id/accounts": {
		{"anonymous", "/grants/{grantA}/accounts", "", 200},
		{"grantee", "/grants/{grantA}/accounts", "", 200},
		{"steward", "/grants/{grantA}/accounts", "", 200},
		{"anonymous", "/grants/999999/accounts", "", 404},
	},
	"POST /grants/:id/accounts": {
		{"anonymous", "/grants/{grantA}/accounts", "", 303},
		{"steward", "/grants/{grantA}/accounts", "", 403},
		{"other-grantee", "/grants/{grantA}/accounts", "", 403},
		{"grantee", "/grants/{grantA}/accounts", "", 303},
	},
	"GET /accounts/:id": {
		{"anonymous", "/accounts/{submitted}", "", 200},
		{"anonymous", "/accounts/{private}", "", 404},
		{"member", "/accounts/{private}", "", 404},
		{"steward", "/accounts/{private}", "", 200},
		{"steward", "/accounts/{draft}", "", 404},
		{"grantee", "/accounts/{notes}", "", 200},
		{"anonymous", "/accounts/999999", "", 404},
	},
	"GET /accounts/:id/edit": {
		{"anonymous", "/accounts/{draft}/edit", "", 303},
		{"steward", "/accounts/{draft}/edit", "", 404},
		{"steward", "/accounts/{submitted}/edit", "", 403},
		{"grantee", "/accounts/{submitted}/edit", "", 409},
		{"grantee2", "/accounts/{draft}/edit", "", 200},
	},
	"POST /accounts/:id/edit": {
		{"anonymous", "/accounts/{draft}/edit", "version=1", 303},
		{"steward", "/accounts/{submitted}/edit", "version=1", 403},
		{"grantee", "/accounts/{submitted}/edit", "version=1", 409},
		{"grantee", "/accounts/{draft}/edit", "version=1&story-1-body=A+story&story-1-naming=anonymous", 422},
		{"grantee", "/accounts/{draft}/edit", "version=2&body-what_we_tried=Clubs", 303},
		{"grantee", "/accounts/{draft}/edit", "version=2&body-what_we_tried=Stale", 412},
	},
	"POST /accounts/:id/confirm": {
		{"anonymous", "/accounts/{notes3}/confirm", "", 303},
		{"steward", "/accounts/{notes3}/confirm", "", 403},
		{"grantee", "/accounts/{notes3}/confirm", "corrections=Two+clubs.", 303},
		{"grantee", "/accounts/{notes3}/confirm", "", 409},
	},
	"POST /accounts/:id/addenda": {
		{"anonymous", "/accounts/{private}/addenda", "addendum=x", 303},
		{"steward", "/accounts/{private}/addenda", "addendum=x", 403},
		{"grantee", "/accounts/{private}/addenda", "addendum=", 422},
		{"grantee", "/accounts/{private}/addenda", "addendum=Also+this.", 303},
	},
	"POST /accounts/:id/stories/:story_id/withdraw": {
		{"anonymous", "/accounts/{submitted}/stories/{storyWithdrawn}/withdraw", "", 303},
		{"other-grantee", "/accounts/{submitted}/stories/{storyWithdrawn}/withdraw", "", 403},
		{"grantee", "/accounts/{submitted}/stories/{storyWithdrawn}/withdraw", "", 303},
	},
	"GET /accounts/:id/response": {
		{"anonymous", "/accounts/{private}/response", "", 303},
		{"other-grantee", "/accounts/{submitted}/response", "", 403},
		{"steward", "/accounts/{private}/response", "", 200},
		{"grantee", "/accounts/{private}/response", "", 200},
		{"steward", "/accounts/{notes}/response", "", 409},
	},
	"POST /accounts/:id/response": {
		{"anonymous", "/accounts/{private}/response", "response=x", 303},
		{"grantee", "/accounts/{private}/response", "response=x", 403},
		{"steward", "/accounts/{private}/response", "response=", 422},
		{"steward", "/accounts/{private}/response", "response=Thank+you.", 303},
		{"steward", "/accounts/{private}/response", "response=Again.", 409},
	},
	"GET /funds/:id/learning": {
		{"anonymous", "/funds/{fund}/learning", "", 303},
		{"grantee", "/funds/{fund}/learning", "", 403},
		{"member", "/funds/{fund}/learning", "", 403},
		{"steward", "/funds/{fund}/learning", "", 200},
		{"partner", "/funds/{fund}/learning", "", 200},
	},
	"POST /funds/:id/learning/response-days": {
		{"anonymous", "/funds/{fund}/learning/response-days", "response_days=10", 303},
		{"partner", "/funds/{fund}/learning/response-days", "response_days=10", 403},
		{"steward", "/funds/{fund}/learning/response-days", "response_days=soon", 422},
		{"steward", "/funds/{fund}/learning/response-days", "response_days=10", 303},
	},
	"GET /funds/:id/reflections": {
		{"anonymous", "/funds/{fund}/reflections", "", 200},
		{"grantee", "/funds/{fund}/reflections", "", 200},
		{"steward", "/funds/{fund}/reflections", "", 200},
	},
	"POST /funds/:id/reflections": {
		{"anonymous", "/funds/{fund}/reflections", "", 303},
		{"grantee", "/funds/{fund}/reflections", "", 403},
		{"steward", "/funds/{fund}/reflections", "", 303},
	},
	"GET /reflections/:id": {
		{"anonymous", "/reflections/{reflection}", "", 404},
		{"member", "/reflections/{reflection}", "", 200},
		{"grantee", "/reflections/{refdraft}", "", 404},
		{"steward", "/reflections/{refdraft}", "", 200},
	},
	"GET /reflections/:id/edit": {
		{"anonymous", "/reflections/{refdraft}/edit", "", 303},
		{"grantee", "/reflections/{reflection}/edit", "", 403},
		{"steward", "/reflections/{reflection}/edit", "", 409},
		{"steward", "/reflections/{refdraft}/edit", "", 200},
	},
	"POST /reflections/:id/edit": {
		{"anonymous", "/reflections/{refdraft}/edit", "version=1", 303},
		{"grantee", "/reflections/{reflection}/edit", "version=1", 403},
		{"steward", "/reflections/{refdraft2}/edit", "version=1&body-what_we_tried=We+listened.", 303},
	},
}

func init() { registerArea("accounts", accountRows) }

// accountMarkers are the words of {submitted}, one per visibility and per
// story, so a reader's view can be checked for what it holds.
const (
	markPartner        = "PARTNER-ONLY: the youth worker left in March."
	markPeers          = "PEERS: we tried Saturday clubs."
	markPublic         = "PUBLIC: we learnt to ask before planning."
	markStoryAll       = "STORY-ALL: Amira led the cooking."
	markStoryWithdrawn = "STORY-WITHDRAWN: Jo found work through the club."
	markStoryExpired   = "STORY-EXPIRED: Sam came every week."
	markStoryLearning  = "STORY-LEARNING-ONLY: Dev talked about his brother."
)

type accountCast struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	vars     map[string]string
}

func (ac *accountCast) expand(s string) string {
	pairs := make([]string, 0, 2*len(ac.vars))
	for k, v := range ac.vars {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// newAccountCast builds the fund, grants, agreement and accounts above:
// the grants and agreement in SQL, as the decision and agreement services
// would have left them; the accounts through the accounts service.
func newAccountCast(t *testing.T) *accountCast {
	env := apptest.New(t)
	ctx := context.Background()
	ac := &accountCast{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, vars: map[string]string{}}
	names := []string{"steward", "partner", "grantee", "grantee2", "other-grantee", "member", "user", "steward-other"}
	for _, n := range names {
		ac.people[n] = env.CreateUser(t, n)
	}
	orgA := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, ac.people["grantee"], ac.people["grantee2"])
	orgB := env.CreateOrg(t, "Shared Tables", org.Applicant, ac.people["other-grantee"])
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, ac.people["steward"])
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
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
	grant := func(o org.Organisation, title string) int64 {
		app := id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, rnd, fund, o.ID, title)
		return id(`INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
			VALUES (?, ?, ?, ?, ?, 100000, current_date - 200, current_date + 165) RETURNING id`, fund, rnd, app, o.ID, title)
	}
	grantA, grantB := grant(orgA, "Saturday clubs"), grant(orgB, "Shared suppers")
	if err := env.DB.Exec(`INSERT INTO grant_instalments (grant_id, number, due_on, amount_minor)
		VALUES (?, 1, current_date - 200, 50000), (?, 2, current_date - 17, 50000)`, grantA, grantA).Error; err != nil {
		t.Fatal(err)
	}
	agr := id(`INSERT INTO agreements (grant_id, fund_id, organisation_id) VALUES (?, ?, ?) RETURNING id`, grantA, fund, orgA.ID)
	id(`INSERT INTO agreement_versions (agreement_id, number, status, content, content_hash, signed_at)
		VALUES (?, 1, 'signed', '{"reflection":{"mode":"written","every_months":3}}', repeat('a', 64), now()) RETURNING id`, agr)

	dom := authz.FundDomain(fund)
	env.Grant(t, ac.people["steward"], authz.Steward, dom)
	env.Grant(t, ac.people["partner"], authz.LearningPartner, dom)
	env.Grant(t, ac.people["grantee"], authz.Grantee, dom)
	env.Grant(t, ac.people["grantee2"], authz.Grantee, dom)
	env.Grant(t, ac.people["other-grantee"], authz.Grantee, dom)
	env.Grant(t, ac.people["member"], authz.PanelMember, dom)
	env.Grant(t, ac.people["steward-other"], authz.Steward, authz.FundDomain(otherFund))

	svc := env.Svc.Accounts
	g, s, p := ac.people["grantee"].ID, ac.people["steward"].ID, ac.people["partner"].ID
	must := func(m account.Meta, err error) account.Meta {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	sec := func(body, vis string) account.SectionInput { return account.SectionInput{Body: body, Visibility: vis} }
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	all := []string{account.ForLearning, account.ForPublic, account.ForReports}
	stories := []account.StoryInput{
		{Body: markStoryAll, Purposes: all, Naming: "first_name"},
		{Body: markStoryWithdrawn, Purposes: all, Naming: "first_name"},
		{Body: markStoryExpired, Purposes: all, Naming: "anonymous", ExpiresOn: yesterday},
		{Body: markStoryLearning, Purposes: []string{account.ForLearning}, Naming: "anonymous"},
	}
	sub := must(svc.Create(ctx, g, grantA, account.NewAccount{Contents: account.Contents{
		PeriodStart: time.Now().UTC().AddDate(0, 0, -200).Format(time.DateOnly), PeriodEnd: time.Now().UTC().AddDate(0, 0, -110).Format(time.DateOnly),
		Sections: map[string]account.SectionInput{
			"context_changed": sec(markPartner, account.FunderAndPartner),
			"what_we_tried":   sec(markPeers, account.Peers),
			"what_we_learnt":  sec(markPublic, account.Public),
			"what_happened":   sec("What happened, in short.", account.Public),
		}, Stories: &stories}}))
	must(svc.Submit(ctx, g, sub.ID, sub.Version))
	// The other submitted accounts are about the first period too, so the
	// second is overdue.
	firstStart, firstEnd := time.Now().UTC().AddDate(0, 0, -200).Format(time.DateOnly), time.Now().UTC().AddDate(0, 0, -110).Format(time.DateOnly)
	priv := must(svc.Create(ctx, g, grantA, account.NewAccount{Contents: account.Contents{PeriodStart: firstStart, PeriodEnd: firstEnd,
		Sections: map[string]account.SectionInput{"not_as_hoped": sec("PRIVATE: the first club flopped.", "")}}}))
	must(svc.Submit(ctx, g, priv.ID, priv.Version))
	draft := must(svc.Create(ctx, g, grantA, account.NewAccount{}))
	notes := func() account.Meta {
		return must(svc.Create(ctx, p, grantA, account.NewAccount{Mode: account.Conversation, Contents: account.Contents{
			Sections: map[string]account.SectionInput{"what_we_learnt": sec("NOTES: they learnt to slow down.", account.Peers)}}}))
	}
	n1, n2, n3 := notes(), notes(), notes()
	ref := must(svc.CreateReflection(ctx, s, fund, account.Contents{Sections: map[string]account.SectionInput{
		"not_as_hoped": sec("REFLECTION: our forms were too long.", account.Peers)}}))
	must(svc.Submit(ctx, s, ref.ID, ref.Version))
	refDraft := must(svc.CreateReflection(ctx, s, fund, account.Contents{}))
	refDraft2 := must(svc.CreateReflection(ctx, s, fund, account.Contents{}))
	priv2 := must(svc.Create(ctx, g, grantA, account.NewAccount{Contents: account.Contents{PeriodStart: firstStart, PeriodEnd: firstEnd,
		Sections: map[string]account.SectionInput{"what_we_need": sec("PRIVATE: more time.", "")}}}))
	must(svc.Submit(ctx, g, priv2.ID, priv2.Version))
	if _, err := svc.Respond(ctx, s, sub.ID, account.ResponseInput{Body: "Thank you: the clubs sound wonderful."}); err != nil {
		t.Fatal(err)
	}

	var storyIDs []int64
	if err := env.DB.Raw(`SELECT id FROM account_stories WHERE account_id = ? ORDER BY position`, sub.ID).Scan(&storyIDs).Error; err != nil || len(storyIDs) != 4 {
		t.Fatalf("stories: %v %v", storyIDs, err)
	}
	for k, v := range map[string]int64{"{fund}": fund, "{grantA}": grantA, "{grantB}": grantB, "{submitted}": sub.ID,
		"{private}": priv.ID, "{draft}": draft.ID, "{notes}": n1.ID, "{notes2}": n2.ID, "{notes3}": n3.ID, "{reflection}": ref.ID,
		"{private2}": priv2.ID, "{refdraft2}": refDraft2.ID,
		"{refdraft}": refDraft.ID, "{storyAll}": storyIDs[0], "{storyWithdrawn}": storyIDs[1], "{storyExpired}": storyIDs[2],
		"{storyLearning}": storyIDs[3]} {
		ac.vars[k] = fmt.Sprint(v)
	}
	for _, n := range names {
		ac.tokens[n] = env.Token(t, ac.people[n])
		b := env.NewBrowser(t)
		b.SignIn(t, ac.people[n])
		ac.browsers[n] = b
	}
	ac.browsers["anonymous"] = env.NewBrowser(t)
	return ac
}

func TestAccountAuthorization(t *testing.T) {
	ac := newAccountCast(t)
	runTable(t, ac.env, accountRows, ac.expand, ac.tokens, ac.browsers)
}

// view reads what who sees of an account through the API, its page and
// the fund's export ("" when refused).
func (ac *accountCast) views(t *testing.T, who, accountVar string) (api, page, csv string) {
	t.Helper()
	r := ac.env.Do(t, "GET", ac.expand("/api/v1/accounts/"+accountVar), ac.tokens[who], nil)
	if r.Status == 200 {
		api = string(r.Body)
	}
	pg := ac.browsers[who].Get(t, ac.expand("/accounts/"+accountVar))
	if pg.Status == 200 {
		page = string(pg.Body)
	}
	c := ac.env.Do(t, "GET", ac.expand("/api/v1/funds/{fund}/accounts.csv"), ac.tokens[who], nil)
	if c.Status != 200 {
		t.Fatalf("%s: export %d", who, c.Status)
	}
	return api, page, string(c.Body)
}

// TestAccountVisibilityMatrix reads {submitted} as every kind of reader
// on the API, the account page and the export, and checks which sections
// and stories each sees: section visibility × role × ownership, with
// consent (withdrawn, expired, purpose) on top.
func TestAccountVisibilityMatrix(t *testing.T) {
	ac := newAccountCast(t)
	// Consent for one story is withdrawn (by another member of the
	// organisation) before anyone reads.
	if r := ac.env.Do(t, "POST", ac.expand("/api/v1/accounts/{submitted}/stories/{storyWithdrawn}/withdraw"), ac.tokens["grantee2"], nil); r.Status != 204 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	everything := []string{markPartner, markPeers, markPublic, markStoryAll, markStoryWithdrawn, markStoryExpired, markStoryLearning}
	type want struct {
		api, csv []string // markers seen; every other marker must be absent
	}
	owner := []string{markPartner, markPeers, markPublic, markStoryAll, markStoryLearning}
	partner := owner
	peer := []string{markPeers, markPublic, markStoryAll, markStoryLearning}
	public := []string{markPublic, markStoryAll}
	cases := map[string]want{
		// The author sees even the stories whose consent no longer holds.
		"grantee":       {api: everything, csv: everything},
		"grantee2":      {api: owner, csv: owner},
		"steward":       {api: partner, csv: []string{markPartner, markPeers, markPublic, markStoryAll}},
		"partner":       {api: partner, csv: []string{markPartner, markPeers, markPublic, markStoryAll}},
		"other-grantee": {api: peer, csv: []string{markPeers, markPublic, markStoryAll}},
		"member":        {api: peer, csv: []string{markPeers, markPublic, markStoryAll}},
		"user":          {api: public, csv: public},
		"steward-other": {api: public, csv: public},
		"anonymous":     {api: public, csv: public},
	}
	for who, w := range cases {
		t.Run(who, func(t *testing.T) {
			api, page, csv := ac.views(t, who, "{submitted}")
			for _, m := range everything {
				if got, want := strings.Contains(api, m), contains(w.api, m); got != want {
					t.Errorf("API: %s sees %q = %v, want %v", who, m, got, want)
				}
				if got, want := strings.Contains(page, htmlText(m)), contains(w.api, m); got != want {
					t.Errorf("page: %s sees %q = %v, want %v", who, m, got, want)
				}
				if got, want := strings.Contains(csv, m), contains(w.csv, m); got != want {
					t.Errorf("export: %s sees %q = %v, want %v", who, m, got, want)
				}
			}
			// {private} shares nothing beyond the funder and partner:
			// others do not learn it exists, and it is not in their export.
			papi, ppage, _ := ac.views(t, who, "{private}")
			seesPrivate := who == "grantee" || who == "grantee2" || who == "steward" || who == "partner"
			if (papi != "") != seesPrivate || (ppage != "") != seesPrivate || strings.Contains(csv, "PRIVATE") != seesPrivate {
				t.Errorf("%s and {private}: API %v, page %v, export %v; want %v", who, papi != "", ppage != "", strings.Contains(csv, "PRIVATE"), seesPrivate)
			}
		})
	}
	// The grant's list tells each reader only of what they may see.
	for who, n := range map[string]int{"anonymous": 1, "member": 1, "steward": 6, "grantee": 7} {
		var list struct{ Total int }
		ac.env.Do(t, "GET", ac.expand("/api/v1/grants/{grantA}/accounts"), ac.tokens[who], nil).JSON(t, &list)
		if list.Total != n {
			t.Errorf("%s lists %d accounts of the grant, want %d", who, list.Total, n)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// htmlText is how html/template writes s.
func htmlText(s string) string {
	return strings.NewReplacer("'", "&#39;", `"`, "&#34;", "&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// TestWithdrawnConsentHidesAStoryAtOnce withdraws a story's consent
// through the page and checks, straight after, every place the story
// appeared: the API, the account page, the export and the public page —
// for everyone but its author.
func TestWithdrawnConsentHidesAStoryAtOnce(t *testing.T) {
	ac := newAccountCast(t)
	readers := []string{"grantee2", "steward", "partner", "member", "anonymous"}
	for _, who := range readers {
		api, page, csv := ac.views(t, who, "{submitted}")
		if !strings.Contains(api, markStoryWithdrawn) || !strings.Contains(page, htmlText(markStoryWithdrawn)) ||
			(!strings.Contains(csv, markStoryWithdrawn) && who != "member") {
			t.Fatalf("%s does not see the story before it is withdrawn", who)
		}
	}
	if r := ac.browsers["steward"].Post(t, ac.expand("/accounts/{submitted}/stories/{storyWithdrawn}/withdraw"), url.Values{}); r.Status != 303 {
		t.Fatalf("withdraw on the page: %d", r.Status)
	}
	for _, who := range readers {
		api, page, csv := ac.views(t, who, "{submitted}")
		if strings.Contains(api, markStoryWithdrawn) || strings.Contains(page, htmlText(markStoryWithdrawn)) || strings.Contains(csv, markStoryWithdrawn) {
			t.Errorf("%s still sees the withdrawn story", who)
		}
		// Expired consent hides its story the same way.
		if strings.Contains(api, markStoryExpired) || strings.Contains(page, htmlText(markStoryExpired)) || strings.Contains(csv, markStoryExpired) {
			t.Errorf("%s sees the story whose consent expired", who)
		}
	}
	api, page, csv := ac.views(t, "grantee", "{submitted}")
	for _, m := range []string{markStoryWithdrawn, markStoryExpired} {
		if !strings.Contains(api, m) || !strings.Contains(page, htmlText(m)) || !strings.Contains(csv, m) {
			t.Errorf("the author no longer sees %q", m)
		}
	}
	if !strings.Contains(page, "Only you can see this story") {
		t.Error("the author's page does not say the story is hidden from others")
	}
	// The record of consent is kept: the story is withdrawn, not deleted.
	var withdrawn int64
	ac.env.DB.Raw(`SELECT count(*) FROM account_stories WHERE id = ? AND withdrawn_at IS NOT NULL`, ac.vars["{storyWithdrawn}"]).Scan(&withdrawn)
	if withdrawn != 1 {
		t.Error("the withdrawal was not recorded")
	}
}

// TestSubmittedAccountsNeverChange: the database refuses any change to a
// submitted account, its sections and its stories (beyond withdrawing
// consent); stewards cannot edit any account; a conflicting draft edit is
// refused with 412 and overwrites nothing.
func TestSubmittedAccountsNeverChange(t *testing.T) {
	ac := newAccountCast(t)
	sub := ac.vars["{submitted}"]
	for _, sql := range []string{
		`UPDATE reflective_accounts SET status = 'draft', submitted_at = NULL WHERE id = ` + sub,
		`UPDATE reflective_accounts SET period_end = period_end + 1 WHERE id = ` + sub,
		`DELETE FROM reflective_accounts WHERE id = ` + sub,
		`UPDATE account_sections SET body = 'rewritten' WHERE account_id = ` + sub,
		`UPDATE account_sections SET visibility = 'public' WHERE account_id = ` + sub,
		`INSERT INTO account_sections (account_id, key, body) VALUES (` + sub + `, 'what_we_need', 'x') ON CONFLICT DO NOTHING`,
		`DELETE FROM account_sections WHERE account_id = ` + sub,
		`UPDATE account_stories SET body = 'rewritten' WHERE account_id = ` + sub,
		`UPDATE account_stories SET purposes = '{reports}' WHERE account_id = ` + sub,
		`DELETE FROM account_stories WHERE account_id = ` + sub,
		`INSERT INTO account_stories (account_id, position, body, purposes, naming) VALUES (` + sub + `, 9, 'x', '{}', 'anonymous')`,
	} {
		if err := ac.env.DB.Exec(sql).Error; err == nil || !strings.Contains(err.Error(), "never changes") {
			t.Errorf("%s: %v, want it refused", sql, err)
		}
	}
	// Withdrawing consent is the one change a submitted story takes, once.
	if err := ac.env.DB.Exec(`UPDATE account_stories SET withdrawn_at = now(), withdrawn_by = ? WHERE id = ?`,
		ac.people["grantee"].ID, ac.vars["{storyAll}"]).Error; err != nil {
		t.Errorf("withdrawing consent: %v", err)
	}
	if err := ac.env.DB.Exec(`UPDATE account_stories SET withdrawn_at = NULL, withdrawn_by = NULL WHERE id = ?`, ac.vars["{storyAll}"]).Error; err == nil {
		t.Error("a withdrawal was undone")
	}
	// Stewards cannot edit: not a submitted account, not a draft.
	for _, path := range []string{"/api/v1/accounts/{submitted}", "/api/v1/accounts/{draft}", "/api/v1/accounts/{notes}"} {
		r := ac.env.Do(t, "PATCH", ac.expand(path), ac.tokens["steward"], `{"version":1,"sections":{"what_we_tried":{"body":"Steward's words"}}}`)
		if r.Status != 403 && r.Status != 404 {
			t.Errorf("steward PATCH %s: %d", path, r.Status)
		}
	}
	var n int64
	ac.env.DB.Raw(`SELECT count(*) FROM account_sections WHERE body LIKE '%Steward''s words%'`).Scan(&n)
	if n != 0 {
		t.Error("a steward's words got into an account")
	}
	// Two members edit the same draft version: the second is refused with
	// 412, naming both versions, and the first one's words stay.
	first := ac.env.Do(t, "PATCH", ac.expand("/api/v1/accounts/{draft}"), ac.tokens["grantee"], `{"version":1,"sections":{"what_we_tried":{"body":"First words."}}}`)
	second := ac.env.Do(t, "PATCH", ac.expand("/api/v1/accounts/{draft}"), ac.tokens["grantee2"], `{"version":1,"sections":{"what_we_tried":{"body":"Second words."}}}`)
	if first.Status != 200 || second.Status != 412 || !strings.Contains(string(second.Body), "version 1") || !strings.Contains(string(second.Body), "version 2") {
		t.Fatalf("conflicting edits: %d, then %d %s", first.Status, second.Status, second.Body)
	}
	got := ac.env.Do(t, "GET", ac.expand("/api/v1/accounts/{draft}"), ac.tokens["grantee"], nil)
	if !strings.Contains(string(got.Body), "First words.") || strings.Contains(string(got.Body), "Second words.") {
		t.Errorf("after the conflict: %s", got.Body)
	}
	// A submitted account shows its response's due date to the grantee,
	// and whether it is late.
	if err := ac.env.DB.Exec(`UPDATE funds SET response_days = 1 WHERE id = ?`, ac.vars["{fund}"]).Error; err != nil {
		t.Fatal(err)
	}
	ac.env.DB.Exec(`ALTER TABLE reflective_accounts DISABLE TRIGGER reflective_accounts_frozen`)
	ac.env.DB.Exec(`UPDATE reflective_accounts SET submitted_at = now() - interval '5 days' WHERE id = ?`, ac.vars["{private}"])
	ac.env.DB.Exec(`ALTER TABLE reflective_accounts ENABLE TRIGGER reflective_accounts_frozen`)
	page := ac.browsers["grantee"].Get(t, ac.expand("/accounts/{private}"))
	if !strings.Contains(string(page.Body), "The fund's response is late.") {
		t.Errorf("the grantee's page does not say the response is late:\n%s", page.Body)
	}
	var l account.Learning
	ac.env.Do(t, "GET", ac.expand("/api/v1/funds/{fund}/learning"), ac.tokens["steward"], nil).JSON(t, &l)
	if len(l.LateResponses) != 1 || fmt.Sprint(l.LateResponses[0].AccountID) != ac.vars["{private}"] {
		t.Errorf("late responses on the learning page: %+v", l.LateResponses)
	}
	if len(l.OverdueAccounts) == 0 {
		t.Errorf("no overdue account periods on the learning page: %+v", l.Grants)
	}
}

// TestWithdrawnStoryIsReadOnlyOnTheWritingPage: on the author's writing
// page a story whose consent was withdrawn shows as withdrawn and has no
// field to edit it; a form that sends new words for it anyway (its id and
// other text) is refused, and saving the page keeps it withdrawn and never
// brings it back as a new story.
func TestWithdrawnStoryIsReadOnlyOnTheWritingPage(t *testing.T) {
	ac := newAccountCast(t)
	const gone, kept = "GONE-STORY: Pat found a flat through the club.", "KEPT-STORY: Jo cooked for forty."
	all := []string{account.ForLearning, account.ForPublic, account.ForReports}
	r := ac.env.Do(t, "POST", ac.expand("/api/v1/grants/{grantA}/accounts"), ac.tokens["grantee"], map[string]any{
		"sections": map[string]any{"what_happened": map[string]string{"body": "We ran the clubs.", "visibility": "public"}},
		"stories":  []map[string]any{{"body": gone, "purposes": all, "naming": "first_name"}, {"body": kept, "purposes": all, "naming": "anonymous"}},
	})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var acc account.Account
	r.JSON(t, &acc)
	var goneID, keptID int64
	for _, s := range acc.Sections {
		for _, st := range s.Stories {
			if st.Body == gone {
				goneID = st.ID
			} else {
				keptID = st.ID
			}
		}
	}
	if w := ac.env.Do(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/stories/%d/withdraw", acc.ID, goneID), ac.tokens["grantee"], nil); w.Status != 204 {
		t.Fatalf("withdraw: %d %s", w.Status, w.Body)
	}

	b := ac.browsers["grantee"]
	edit := fmt.Sprintf("/accounts/%d/edit", acc.ID)
	pg := string(b.Get(t, edit).Body)
	form := attackForm(pg)
	for k, vs := range form {
		for _, v := range vs {
			if strings.Contains(v, "GONE-STORY") {
				t.Errorf("the withdrawn story can be edited on the writing page (field %s)", k)
			}
		}
	}
	if !strings.Contains(pg, htmlText(gone)) || !strings.Contains(pg, "Stories whose consent was withdrawn") {
		t.Error("the writing page does not show the withdrawn story as withdrawn")
	}
	if form.Get("story-1-body") != kept || form.Get("story-1-id") != fmt.Sprint(keptID) {
		t.Errorf("the other story on the form: %v", form)
	}

	// A forged form sends new words under the withdrawn story's id.
	forged := attackForm(pg)
	forged.Set("story-7-id", fmt.Sprint(goneID))
	forged.Set("story-7-body", "GONE-STORY: Pat found a flat, and a job.")
	forged.Set("story-7-naming", "full_name")
	forged["story-7-purposes"] = all
	if s := b.Post(t, edit, forged); s.Status != 422 || !strings.Contains(string(s.Body), "consent was withdrawn") {
		t.Fatalf("new words for a withdrawn story: %d", s.Status)
	}
	// The form as it stands, submitted.
	form.Set("action", "submit")
	form.Set("story-1-body", kept+" Twice.")
	if s := b.Post(t, edit, form); s.Status != 303 {
		t.Fatalf("submit on the page: %d %s", s.Status, s.Body)
	}
	var rows []struct {
		ID        int64
		Body      string
		Withdrawn bool
	}
	ac.env.DB.Raw(`SELECT id, body, withdrawn_at IS NOT NULL AS withdrawn FROM account_stories WHERE account_id = ? ORDER BY position`, acc.ID).Scan(&rows)
	if len(rows) != 2 || rows[0].ID != goneID || !rows[0].Withdrawn || rows[0].Body != gone || rows[1].ID != keptID || rows[1].Body != kept+" Twice." {
		t.Fatalf("stories after saving: %+v", rows)
	}
	for _, who := range []string{"anonymous", "steward", "other-grantee"} {
		if g := ac.env.Do(t, "GET", fmt.Sprintf("/api/v1/accounts/%d", acc.ID), ac.tokens[who], nil); strings.Contains(string(g.Body), "GONE-STORY") {
			t.Errorf("%s reads the withdrawn story", who)
		}
	}
	// The API takes no story id from another account, naming the field.
	r = ac.env.Do(t, "POST", ac.expand("/api/v1/grants/{grantA}/accounts"), ac.tokens["grantee"], `{}`)
	var draft account.Account
	r.JSON(t, &draft)
	body := fmt.Sprintf(`{"version":%d,"stories":[{"id":%d,"body":"GONE-STORY again","purposes":["public_pages"],"naming":"anonymous"}]}`, draft.Version, goneID)
	if p := ac.env.Do(t, "PATCH", fmt.Sprintf("/api/v1/accounts/%d", draft.ID), ac.tokens["grantee"], body); p.Status != 422 ||
		!strings.Contains(string(p.Body), "stories[0].id") {
		t.Errorf("another account's story id: %d %s", p.Status, p.Body)
	}
}

// TestWritingPageShowsTheAgreedSignals: the section of readings shows the
// learning signals of the grant's latest signed agreement, and the fixed
// statement that they are not tied to payment or renewal.
func TestWritingPageShowsTheAgreedSignals(t *testing.T) {
	ac := newAccountCast(t)
	// A second signed version, with a signal: the latest governs.
	if err := ac.env.DB.Exec(`INSERT INTO agreement_versions (agreement_id, number, status, content, content_hash, signed_at)
		SELECT id, 2, 'signed', ?::jsonb, repeat('b', 64), now() FROM agreements WHERE grant_id = ?`,
		`{"reflection":{"mode":"written","every_months":3},"learning_signals":[{"name":"Who comes on Saturdays","tells_us":"Whether new young people find their way in.","does_not_tell_us":"Whether they feel they belong."}]}`,
		ac.vars["{grantA}"]).Error; err != nil {
		t.Fatal(err)
	}
	pg := string(ac.browsers["grantee"].Get(t, ac.expand("/accounts/{draft}/edit")).Body)
	for _, want := range []string{"Who comes on Saturdays", "Whether new young people find their way in.", "Whether they feel they belong.",
		htmlText("tied to payment or to renewal")} {
		if !strings.Contains(pg, want) {
			t.Errorf("the writing page does not show %q", want)
		}
	}
}

// TestNotesOfAConversationOnThePages: a learning partner writes notes of a
// conversation on the grant's pages; the grantee sees them waiting and
// confirms them with corrections; others read the sections under titles in
// the grantee's voice.
func TestNotesOfAConversationOnThePages(t *testing.T) {
	ac := newAccountCast(t)
	list := ac.expand("/grants/{grantA}/accounts")
	if pg := string(ac.browsers["partner"].Get(t, list).Body); !strings.Contains(pg, "Write notes of a conversation") {
		t.Error("the learning partner is not offered to write notes")
	}
	if pg := string(ac.browsers["grantee"].Get(t, list).Body); strings.Contains(pg, "Write notes of a conversation") {
		t.Error("the grantee is offered to write notes of a conversation")
	}
	r := ac.browsers["partner"].Post(t, list+"/notes", url.Values{"body-what_we_learnt": {"TALKED: they learnt to ask first."},
		"body-what_we_need": {"More time with the council."}})
	if r.Status != 303 {
		t.Fatalf("write notes: %d %s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	var id int64
	if _, err := fmt.Sscanf(loc, "/accounts/%d", &id); err != nil {
		t.Fatalf("redirect: %q", loc)
	}
	pg := string(ac.browsers["grantee"].Get(t, list).Body)
	if !strings.Contains(pg, "Notes waiting for you to confirm") || !strings.Contains(pg, fmt.Sprintf(`href="/accounts/%d"`, id)) {
		t.Errorf("the grantee does not see the notes waiting:\n%s", pg)
	}
	pg = string(ac.browsers["grantee"].Get(t, fmt.Sprintf("/accounts/%d", id)).Body)
	if !strings.Contains(pg, "TALKED: they learnt to ask first.") || !strings.Contains(pg, "Confirm these notes") {
		t.Fatalf("the grantee's view of the notes:\n%s", pg)
	}
	if c := ac.browsers["grantee"].Post(t, fmt.Sprintf("/accounts/%d/confirm", id), url.Values{"corrections": {"It was two councils."}}); c.Status != 303 {
		t.Fatalf("confirm: %d", c.Status)
	}
	pg = string(ac.browsers["steward"].Get(t, fmt.Sprintf("/accounts/%d", id)).Body)
	for _, want := range []string{"It was two councils.", "What we learnt", "Submitted"} {
		if !strings.Contains(pg, want) {
			t.Errorf("the steward's page of the confirmed notes lacks %q", want)
		}
	}
	if strings.Contains(pg, "What you learnt") || strings.Contains(pg, "What you need") {
		t.Error("the steward reads the grantee's sections under \"you\" titles")
	}
	if pg := string(ac.browsers["grantee"].Get(t, list).Body); strings.Contains(pg, fmt.Sprintf(`<li><a href="/accounts/%d">Notes by`, id)) {
		t.Error("confirmed notes still wait")
	}
}

// TestPaymentsOnTheGrantPage: the fund's stewards and the grantee see how
// the grant is paid; only stewards record a payment, and the grantee sees
// it at once. Others never see the schedule.
func TestPaymentsOnTheGrantPage(t *testing.T) {
	ac := newAccountCast(t)
	list := ac.expand("/grants/{grantA}/accounts")
	if pg := string(ac.browsers["grantee"].Get(t, list).Body); !strings.Contains(pg, "How the grant is paid") || strings.Contains(pg, "Record that instalment") {
		t.Error("the grantee does not see the instalments, or is offered to record a payment")
	}
	for _, who := range []string{"other-grantee", "member", "anonymous", "partner"} {
		if pg := string(ac.browsers[who].Get(t, list).Body); strings.Contains(pg, "How the grant is paid") {
			t.Errorf("%s sees how the grant is paid", who)
		}
	}
	pg := string(ac.browsers["steward"].Get(t, list).Body)
	if !strings.Contains(pg, "Record that instalment 2 was paid") {
		t.Fatal("the steward is not offered to record a payment")
	}
	if r := ac.browsers["steward"].Post(t, ac.expand("/grants/{grantA}/instalments/2/paid"), url.Values{"paid_on": {"2026-01-05"}}); r.Status != 303 {
		t.Fatalf("record a payment: %d", r.Status)
	}
	if pg := string(ac.browsers["grantee"].Get(t, list).Body); !strings.Contains(pg, "Paid 5 January 2026") {
		t.Error("the grantee does not see the payment")
	}
	var n int64
	ac.env.DB.Raw(`SELECT count(*) FROM audit_events WHERE action = 'grant.instalment_paid' AND actor_id = ?`, ac.people["steward"].ID).Scan(&n)
	if n != 1 {
		t.Errorf("audit events: %d", n)
	}
}

// TestLaterMembersBecomeGrantees: someone who joins the grantee
// organisation after the grant was made — added by an administrator, or by
// accepting an invitation — gets the grantee role and writes the
// organisation's accounts; someone who leaves loses it, and with it the
// drafts.
func TestLaterMembersBecomeGrantees(t *testing.T) {
	ac := newAccountCast(t)
	ctx := context.Background()
	var orgA, fund int64
	fmt.Sscan(ac.vars["{fund}"], &fund)
	if err := ac.env.DB.Raw(`SELECT organisation_id FROM grants WHERE id = ?`, ac.vars["{grantA}"]).Scan(&orgA).Error; err != nil {
		t.Fatal(err)
	}
	newcomer := ac.env.CreateUser(t, "newcomer")
	if err := ac.env.Svc.Orgs.AddMember(ctx, 0, orgA, newcomer.ID); err != nil {
		t.Fatal(err)
	}
	waitForRole(t, ac.env, newcomer.ID, authz.Grantee, fund)
	b := ac.env.NewBrowser(t)
	b.SignIn(t, newcomer)
	if r := b.Get(t, ac.expand("/accounts/{draft}/edit")); r.Status != 200 {
		t.Errorf("the newcomer opens the organisation's draft: %d", r.Status)
	}

	// By invitation.
	secret, _, err := ac.env.Svc.Users.Invite(ctx, 0, user.NewInvitation{Email: "invited@example.org", OrganisationID: orgA})
	if err != nil {
		t.Fatal(err)
	}
	invited, err := ac.env.Svc.Users.AcceptInvitation(ctx, secret, user.Acceptance{DisplayName: "Ivy Invited", Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	waitForRole(t, ac.env, invited.ID, authz.Grantee, fund)

	// Leaving.
	if err := ac.env.Svc.Orgs.RemoveMember(ctx, 0, orgA, newcomer.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(ac.env.Svc.Authz.RolesIn(newcomer.ID, authz.FundDomain(fund)), authz.Grantee) {
		if time.Now().After(deadline) {
			t.Fatal("the grantee role stayed after leaving the organisation")
		}
		time.Sleep(20 * time.Millisecond)
	}
	b = ac.env.NewBrowser(t) // a fresh session reads the organisations afresh
	b.SignIn(t, newcomer)
	if r := b.Get(t, ac.expand("/accounts/{draft}/edit")); r.Status == 200 {
		t.Error("someone who left still opens the organisation's draft")
	}
}
