package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
)

// TestInstalmentResponsesMatchTheDocument records payments of a grant's
// instalments through the API, checking every request and response
// against openapi/instalments.json.
func TestInstalmentResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward, grantee := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Gus Grantee")
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, grantee)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder)
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Neighbourhood Fund")
	rnd := applicationtest.PastRound(t, env.DB, fund, "decided")
	_, grant := applicationtest.Grant(t, env.DB, rnd, applicant.ID, "Saturday clubs", 100000, "2026-04-01", "2027-03-31")
	if err := env.DB.Exec(`INSERT INTO grant_instalments (grant_id, number, due_on, amount_minor) VALUES (?, 1, '2026-04-01', 50000), (?, 2, '2026-10-01', 50000)`,
		grant, grant).Error; err != nil {
		t.Fatal(err)
	}
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fund))
	env.Grant(t, grantee, authz.Grantee, authz.FundDomain(fund))
	sTok, gTok := env.Token(t, steward), env.Token(t, grantee)
	path := func(n string) string { return fmt.Sprintf("/api/v1/grants/%d/instalments/%s/paid", grant, n) }

	check(t, v, call(t, env, http.MethodPost, path("1"), "", `{}`), http.StatusUnauthorized, false) // no credentials: not a valid request
	check(t, v, call(t, env, http.MethodPost, path("1"), gTok, `{}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, path("3"), sTok, `{}`), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, path("1"), sTok, `{"paid_on":"2999-01-01"}`), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPost, path("1"), sTok, `{"paid_on":"2026-04-02"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, path("1"), sTok, `{}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, path("2"), sTok, `{}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/grants/%d", grant), gTok, ""), http.StatusOK, true)
}
