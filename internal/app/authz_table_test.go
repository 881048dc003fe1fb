package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/user"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is the cast of the authorization table: one person per role, and
// records owned by some of them and not others.
type world struct {
	env                        *apptest.Env
	people                     map[string]user.User
	tokens                     map[string]string
	browsers                   map[string]*apptest.Browser
	orgA, orgB                 org.Organisation
	tokenOfMember, tokenOfUser int64
	invitation                 string
}

// who is a role in the table, with the ownership it has.
var who = []string{
	"anonymous",
	"user",          // signed in, no roles, no organisation
	"member-a",      // member of organisation A
	"steward-fund1", // steward of fund 1
	"admin",         // administrator of the installation
}

func newWorld(t *testing.T) *world {
	env := apptest.New(t)
	w := &world{env: env, people: map[string]user.User{}, tokens: map[string]string{}, browsers: map[string]*apptest.Browser{}}
	for _, name := range who[1:] {
		w.people[name] = env.CreateUser(t, name)
	}
	w.orgA = env.CreateOrg(t, "Organisation A", org.Applicant, w.people["member-a"])
	w.orgB = env.CreateOrg(t, "Organisation B", org.Applicant)
	env.Grant(t, w.people["steward-fund1"], authz.Steward, authz.FundDomain(1))
	env.Grant(t, w.people["admin"], authz.Admin, authz.Installation)
	for name, u := range w.people {
		w.tokens[name] = env.Token(t, u)
		b := env.NewBrowser(t)
		b.SignIn(t, u)
		w.browsers[name] = b
	}
	w.browsers["anonymous"] = env.NewBrowser(t)
	var err error
	_, tok, err := env.Svc.Users.CreateToken(t.Context(), w.people["member-a"].ID, user.NewToken{Name: "member's"})
	if err != nil {
		t.Fatal(err)
	}
	w.tokenOfMember = tok.ID
	_, tok, err = env.Svc.Users.CreateToken(t.Context(), w.people["user"].ID, user.NewToken{Name: "user's"})
	if err != nil {
		t.Fatal(err)
	}
	w.tokenOfUser = tok.ID
	w.invitation, _, err = env.Svc.Users.Invite(t.Context(), 0, user.NewInvitation{Email: "invited@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// access is one row: who does what, expecting which status. path may use
// {orgA}, {orgB}, {memberToken}, {userToken}, {invitation}.
type access struct {
	who    string
	path   string
	body   string // JSON for the API; form values (a=b&c=d) for pages
	status int
}

// table lists every route (method and pattern, as echo registers it) with
// its rows. A route missing here fails TestAuthorizationTable.
var table = map[string][]access{
	// Probes and static files: public.
	"GET /healthz":             {{"anonymous", "/healthz", "", 200}},
	"GET /readyz":              {{"anonymous", "/readyz", "", 200}},
	"GET /static/*":            {{"anonymous", "/static/humble.css", "", 200}},
	"GET /api/v1/openapi.json": {{"anonymous", "/api/v1/openapi.json", "", 200}},

	// API: the account.
	"GET /api/v1/me": {
		{"anonymous", "/api/v1/me", "", 401},
		{"user", "/api/v1/me", "", 200},
		{"admin", "/api/v1/me", "", 200},
	},
	"GET /api/v1/tokens": {
		{"anonymous", "/api/v1/tokens", "", 401},
		{"user", "/api/v1/tokens", "", 200},
		{"steward-fund1", "/api/v1/tokens", "", 200},
	},
	"POST /api/v1/tokens": {
		{"anonymous", "/api/v1/tokens", `{"name":"x"}`, 401},
		{"user", "/api/v1/tokens", `{"name":"x"}`, 201},
	},
	"DELETE /api/v1/tokens/:id": {
		{"anonymous", "/api/v1/tokens/{memberToken}", "", 401},
		{"user", "/api/v1/tokens/{memberToken}", "", 404},  // someone else's token
		{"admin", "/api/v1/tokens/{memberToken}", "", 404}, // administrators too
		{"member-a", "/api/v1/tokens/{memberToken}", "", 204},
	},
	"POST /api/v1/invitations": {
		{"anonymous", "/api/v1/invitations", `{"email":"n1@example.org"}`, 401},
		{"user", "/api/v1/invitations", `{"email":"n2@example.org"}`, 403},
		{"member-a", "/api/v1/invitations", `{"email":"n3@example.org"}`, 403},
		{"steward-fund1", "/api/v1/invitations", `{"email":"n4@example.org"}`, 403},
		{"admin", "/api/v1/invitations", `{"email":"n5@example.org"}`, 201},
	},

	// API: organisations.
	"GET /api/v1/organisations": {
		{"anonymous", "/api/v1/organisations", "", 200},
		{"user", "/api/v1/organisations", "", 200},
	},
	"POST /api/v1/organisations": {
		{"anonymous", "/api/v1/organisations", `{"name":"N","kind":"funder"}`, 401},
		{"user", "/api/v1/organisations", `{"name":"N","kind":"funder"}`, 403},
		{"steward-fund1", "/api/v1/organisations", `{"name":"N","kind":"funder"}`, 403},
		{"admin", "/api/v1/organisations", `{"name":"N","kind":"funder"}`, 201},
	},
	"GET /api/v1/organisations/:id": {
		{"anonymous", "/api/v1/organisations/{orgA}", "", 200},
		{"anonymous", "/api/v1/organisations/999999", "", 404},
	},
	"GET /api/v1/organisations/:id/members": {
		{"anonymous", "/api/v1/organisations/{orgA}/members", "", 401},
		{"user", "/api/v1/organisations/{orgA}/members", "", 403},
		{"member-a", "/api/v1/organisations/{orgA}/members", "", 200}, // own organisation
		{"member-a", "/api/v1/organisations/{orgB}/members", "", 403}, // another one
		{"admin", "/api/v1/organisations/{orgB}/members", "", 200},
	},
	"POST /api/v1/organisations/:id/members": {
		{"anonymous", "/api/v1/organisations/{orgB}/members", `{"user_id":1}`, 401},
		{"user", "/api/v1/organisations/{orgB}/members", `{"user_id":1}`, 403},
		{"member-a", "/api/v1/organisations/{orgA}/members", `{"user_id":1}`, 403}, // members do not add members
		{"admin", "/api/v1/organisations/{orgB}/members", `{"user_id":1}`, 204},
	},
	"GET /api/v1/audit-events": {
		{"anonymous", "/api/v1/audit-events", "", 401},
		{"user", "/api/v1/audit-events", "", 403},
		{"steward-fund1", "/api/v1/audit-events", "", 403},           // not the whole log
		{"steward-fund1", "/api/v1/audit-events?fund_id=1", "", 200}, // their fund
		{"steward-fund1", "/api/v1/audit-events?fund_id=2", "", 403}, // not another fund
		{"admin", "/api/v1/audit-events", "", 200},
		{"admin", "/api/v1/audit-events?fund_id=2", "", 200},
	},

	// Pages. Anonymous visitors are sent to sign in (303) where a page
	// needs a person.
	"GET /": {
		{"anonymous", "/", "", 200},
		{"user", "/", "", 200},
	},
	"GET /sign-in": {
		{"anonymous", "/sign-in", "", 200},
		{"user", "/sign-in", "", 303},
	},
	"POST /sign-in": {
		{"anonymous", "/sign-in", "email=nobody@example.org&password=wrong-password", 401},
	},
	"POST /sign-out": {
		{"anonymous", "/sign-out", "", 303},
	},
	"GET /invitations/:token": {
		{"anonymous", "/invitations/{invitation}", "", 200},
		{"anonymous", "/invitations/not-a-real-token", "", 410},
	},
	"POST /invitations/:token": {
		{"anonymous", "/invitations/not-a-real-token", "display_name=X&password=long+enough+pass", 410},
		{"anonymous", "/invitations/{invitation}", "display_name=X&password=short", 422},
	},
	"GET /account": {
		{"anonymous", "/account", "", 303},
		{"user", "/account", "", 200},
	},
	"POST /account/tokens": {
		{"anonymous", "/account/tokens", "name=x", 303},
		{"user", "/account/tokens", "name=x", 303},
	},
	"POST /account/tokens/:id/revoke": {
		{"anonymous", "/account/tokens/{userToken}/revoke", "", 303},
		{"member-a", "/account/tokens/{userToken}/revoke", "", 404}, // not theirs
		{"user", "/account/tokens/{userToken}/revoke", "", 303},
	},
}

func (w *world) expand(path string) string {
	return strings.NewReplacer(
		"{orgA}", fmt.Sprint(w.orgA.ID), "{orgB}", fmt.Sprint(w.orgB.ID),
		"{memberToken}", fmt.Sprint(w.tokenOfMember), "{userToken}", fmt.Sprint(w.tokenOfUser),
		"{invitation}", w.invitation,
	).Replace(path)
}

// areas holds the tables of other areas (funds, rounds, …), each in its own
// file with its own cast, registered from init with registerArea. Every
// route must be in the foundation table or in an area's.
var areas = map[string]map[string][]access{}

func registerArea(name string, rows map[string][]access) {
	if _, dup := areas[name]; dup {
		panic("authorization table area registered twice: " + name)
	}
	areas[name] = rows
}

// TestEveryRouteIsInATable fails on a route no table lists, so a new
// endpoint cannot ship without its authorization rows.
func TestEveryRouteIsInATable(t *testing.T) {
	env := apptest.New(t)
	var missing []string
	for _, r := range env.Echo.Routes() {
		key := r.Method + " " + r.Path
		found := len(table[key]) > 0
		for _, rows := range areas {
			found = found || len(rows[key]) > 0
		}
		if !found {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes missing from the authorization tables:\n  %s", strings.Join(missing, "\n  "))
	}
	// And the reverse: a table key for a route that no longer exists
	// checks nothing.
	routes := map[string]bool{}
	for _, r := range env.Echo.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	var stale []string
	all := []map[string][]access{table}
	for _, rows := range areas {
		all = append(all, rows)
	}
	for _, rows := range all {
		for key := range rows {
			if !routes[key] {
				stale = append(stale, key)
			}
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Fatalf("authorization-table keys for routes that do not exist:\n  %s", strings.Join(stale, "\n  "))
	}
}

func TestAuthorizationTable(t *testing.T) {
	w := newWorld(t)
	runTable(t, w.env, table, w.expand, w.tokens, w.browsers)
}

// runTable sends every row as its person: API paths with their bearer
// token, pages with their signed-in browser (CSRF token included), and
// compares the status.
func runTable(t *testing.T, env *apptest.Env, rows map[string][]access, expand func(string) string,
	tokens map[string]string, browsers map[string]*apptest.Browser) {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, route := range keys {
		method, pattern, _ := strings.Cut(route, " ")
		for _, row := range rows[route] {
			name := fmt.Sprintf("%s/%s/%d", route, row.who, row.status)
			t.Run(name, func(t *testing.T) {
				path, reqBody := expand(row.path), expand(row.body)
				// The row must reach the route it is filed under: a
				// mistyped path would meet echo's own 404 and pass every
				// row that expects one.
				if hit := routeOf(env, method, path); hit != pattern {
					t.Fatalf("%s %s reaches %q, not the route %q it is filed under", method, path, hit, pattern)
				}
				if unexpanded.MatchString(path + reqBody) {
					t.Fatalf("%s %s %s: a placeholder is left unexpanded", method, path, reqBody)
				}
				if _, ok := tokens[row.who]; !ok && row.who != "anonymous" {
					t.Fatalf("no such person in the cast: %q", row.who)
				}
				var status int
				var body []byte
				if strings.HasPrefix(path, "/api/") {
					var payload any
					if reqBody != "" {
						payload = reqBody
					}
					r := env.Do(t, method, path, tokens[row.who], payload)
					status, body = r.Status, r.Body
				} else {
					b := browsers[row.who]
					if b == nil {
						t.Fatalf("no browser for %q", row.who)
					}
					if method == http.MethodGet {
						r := b.Get(t, path)
						status, body = r.Status, r.Body
					} else {
						form, err := url.ParseQuery(reqBody)
						if err != nil {
							t.Fatal(err)
						}
						r := b.Post(t, path, form)
						status, body = r.Status, r.Body
					}
				}
				if status != row.status {
					t.Errorf("%s %s as %s: status %d, want %d\n%.300s", method, path, row.who, status, row.status, body)
				}
			})
		}
	}
}

// unexpanded matches a {placeholder} a cast forgot to fill in.
var unexpanded = regexp.MustCompile(`\{[A-Za-z][\w-]*\}`)

// routeOf is the route pattern echo sends method and path (query left
// out) to.
func routeOf(env *apptest.Env, method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	c := env.Echo.NewContext(nil, nil)
	env.Echo.Router().Find(method, path, c)
	return c.Path()
}
