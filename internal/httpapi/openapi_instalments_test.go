package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

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
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	fund := id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
		currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people', 'Riverside', 5000000,
		'GBP', 'place', 'active') RETURNING id`, funder.ID)
	rnd := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
		voting_close_at, method, rule, quorum, tie_break, state) VALUES (?, 'Spring', 250000, now() - interval '300 days',
		now() - interval '280 days', now() - interval '280 days', now() - interval '270 days', 'approval', 'mes_cost_add1_greedy',
		1, 'lower_cost', 'decided') RETURNING id`, fund)
	app := id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
		VALUES (?, ?, ?, 'Saturday clubs', 'x', 'y', 'z', 100000) RETURNING id`, rnd, fund, applicant.ID)
	grant := id(`INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
		VALUES (?, ?, ?, ?, 'Saturday clubs', 100000, '2026-04-01', '2027-03-31') RETURNING id`, fund, rnd, app, applicant.ID)
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
