package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// rowCounts are the tables a bad request could write to.
func rowCounts(t *testing.T, env *apptest.Env) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"users", "organisations", "organisation_members", "invitations", "api_tokens", "audit_events"} {
		var n int64
		if err := env.DB.Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	admin := env.CreateUser(t, "Ada Admin")
	env.Grant(t, admin, authz.Admin, authz.Installation)
	token := env.Token(t, admin)
	acme := env.CreateOrg(t, "Acme Community Group", "applicant")
	members := "/api/v1/organisations/" + strconv.FormatInt(acme.ID, 10) + "/members"

	huge := `{"name": "` + strings.Repeat("x", httpapi.MaxBodyBytes+10) + `", "kind": "funder"}`
	cases := []struct {
		name        string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantField   string // the field the problem must name, if any
	}{
		{"malformed-json-400", "/api/v1/organisations", "application/json", `{"name": "Half`, 400, ""},
		{"not-json-at-all-400", "/api/v1/organisations", "application/json", `name=Acme`, 400, ""},
		{"empty-body-400", "/api/v1/organisations", "application/json", ``, 400, ""},
		{"two-values-400", "/api/v1/organisations", "application/json", `{"name":"A","kind":"funder"} {"name":"B"}`, 400, ""},
		{"array-not-object-400", "/api/v1/organisations", "application/json", `[1,2]`, 400, ""},
		{"unknown-field-422", "/api/v1/organisations", "application/json", `{"name":"Acme","kind":"funder","rating":"green"}`, 422, "rating"},
		{"wrong-type-422", "/api/v1/organisations", "application/json", `{"name":12,"kind":"funder"}`, 422, "name"},
		{"missing-required-422", "/api/v1/organisations", "application/json", `{"kind":"funder"}`, 422, "name"},
		{"bad-enum-422", "/api/v1/organisations", "application/json", `{"name":"Acme","kind":"charity"}`, 422, "kind"},
		{"bad-identifier-422", "/api/v1/organisations", "application/json", `{"name":"Acme","kind":"funder","identifier":"charity 123"}`, 422, "identifier"},
		{"too-large-413", "/api/v1/organisations", "application/json", huge, 413, ""},
		{"wrong-media-type-415", "/api/v1/organisations", "text/plain", `{"name":"Acme","kind":"funder"}`, 415, ""},
		{"invalid-email-422", "/api/v1/invitations", "application/json", `{"email":"not an email"}`, 422, "email"},
		{"invitation-unknown-org-422", "/api/v1/invitations", "application/json", `{"email":"x@example.org","organisation_id":999999}`, 422, "organisation_id"},
		{"token-blank-name-422", "/api/v1/tokens", "application/json", `{"name":"   "}`, 422, "name"},
		{"member-wrong-type-422", members, "application/json", `{"user_id":"seven"}`, 422, "user_id"},
		{"member-unknown-user-422", members, "application/json", `{"user_id":999999}`, 422, "user_id"},
		{"field-name-in-other-case-422", "/api/v1/organisations", "application/json", `{"NAME":"Acme","kind":"funder"}`, 422, "NAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := rowCounts(t, env)
			req, err := http.NewRequest(http.MethodPost, env.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != httpapi.ProblemContentType {
				t.Errorf("Content-Type %q, want %s", ct, httpapi.ProblemContentType)
			}
			var p httpapi.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatalf("problem body: %v", err)
			}
			if p.Status != resp.StatusCode || p.Title == "" || p.Type == "" || p.Detail == "" {
				t.Errorf("incomplete problem: %+v", p)
			}
			if tc.wantField != "" {
				found := false
				for _, f := range p.Errors {
					found = found || (f.Field == tc.wantField && f.Message != "")
				}
				if !found {
					t.Errorf("problem does not name %q: %+v", tc.wantField, p.Errors)
				}
			}
			after := rowCounts(t, env)
			for table, n := range before {
				if after[table] != n {
					t.Errorf("%s: %d rows before, %d after", table, n, after[table])
				}
			}
		})
	}
}

func TestUnknownErrorsAre500WithRequestID(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	u := env.CreateUser(t, "Uma")
	token := env.Token(t, u)
	// Break the database under the app: the next query fails in a way no
	// handler expects.
	if err := env.DB.Exec(`ALTER TABLE api_tokens RENAME TO api_tokens_gone`).Error; err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, http.MethodGet, "/api/v1/tokens", token, nil)
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var p httpapi.Problem
	r.JSON(t, &p)
	if p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-Id") {
		t.Errorf("request id %q, header %q", p.RequestID, r.Header.Get("X-Request-Id"))
	}
	if strings.Contains(string(r.Body), "api_tokens") || strings.Contains(string(r.Body), "SQLSTATE") {
		t.Errorf("internals leaked: %s", r.Body)
	}
}

func TestBadQueryParameters(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	admin := env.CreateUser(t, "Ada Admin")
	env.Grant(t, admin, authz.Admin, authz.Installation)
	token := env.Token(t, admin)
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/organisations?page=0", "page"},
		{"/api/v1/organisations?page=9223372036854775807", "page"}, // an offset that would overflow
		{"/api/v1/organisations?per_page=lots", "per_page"},
		{"/api/v1/audit-events?fund_id=-1", "fund_id"},
		{"/api/v1/audit-events?limit=1000", "limit"},
	} {
		r := env.Do(t, http.MethodGet, tc.path, token, nil)
		var p httpapi.Problem
		r.JSON(t, &p)
		if r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: status %d, errors %+v", tc.path, r.Status, p.Errors)
		}
	}
}
