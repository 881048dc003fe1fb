package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
)

// roundFund makes a GBP fund with budget (minor units) and status, bypassing
// the fund API, which other tests cover.
func roundFund(t *testing.T, env *apptest.Env, budget int64, status string) int64 {
	t.Helper()
	o := env.CreateOrg(t, "Riverside Trust "+status, org.Funder)
	var id int64
	err := env.DB.Raw(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
			budget_minor, currency, system_scale, status)
		VALUES (?, 'Growing Together', 'belonging', 'young people', 'Riverside', ?, 'GBP', 'place', ?) RETURNING id`,
		o.ID, budget, status).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRoundsAPI(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward := env.CreateUser(t, "Sam Steward")
	chair := env.CreateUser(t, "Chi Chair")
	fundID := roundFund(t, env, 300000, "open")
	draftFund := roundFund(t, env, 300000, "draft")
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fundID))
	env.Grant(t, steward, authz.Steward, authz.FundDomain(draftFund))
	env.Grant(t, chair, authz.PanelChair, authz.FundDomain(fundID))
	token, chairToken := env.Token(t, steward), env.Token(t, chair)
	base := fmt.Sprintf("/api/v1/funds/%d/rounds", fundID)

	// Create.
	x := call(t, env, http.MethodPost, base, token, `{"name":"Spring round","budget_minor":200000,
		"applications_open_at":"2026-05-01T09:00:00Z","applications_close_at":"2026-06-01T17:00:00+01:00",
		"voting_open_at":"2026-06-15T09:00:00Z","voting_close_at":"2026-06-30T17:00:00Z",
		"method":"score","method_params":{"max_score":5},"quorum":3,"secret_ballot":true}`)
	check(t, v, x, http.StatusCreated, true)
	var r struct {
		ID                  int64
		Version             int
		State, Rule         string
		Currency            string
		ApplicationsCloseAt string `json:"applications_close_at"`
	}
	if err := json.Unmarshal(x.body, &r); err != nil || r.ID == 0 {
		t.Fatalf("created: %s", x.body)
	}
	if r.State != "draft" || r.Rule != "mes_points_greedy" || r.Currency != "GBP" || r.ApplicationsCloseAt != "2026-06-01T16:00:00Z" {
		t.Errorf("created %s", x.body)
	}
	one := fmt.Sprintf("/api/v1/rounds/%d", r.ID)

	x = call(t, env, http.MethodPost, base, token, `{"name":"Autumn round","budget_minor":125001,"method":"approval"}`)
	check(t, v, x, http.StatusConflict, true)
	if !strings.Contains(string(x.body), "£1,000.00 of the fund's budget is left; this round asks for £1,250.01") {
		t.Errorf("over-commit: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPost, base, token, `{"name":"Bad","budget_minor":100,"method":"dice"}`),
		http.StatusUnprocessableEntity, false)
	x = call(t, env, http.MethodPost, base, token, `{"name":"Bad","budget_minor":100,"method":"approval","voting_open_at":"next week"}`)
	check(t, v, x, http.StatusUnprocessableEntity, true)
	if !strings.Contains(string(x.body), `"field":"voting_open_at"`) {
		t.Errorf("bad window: %s", x.body)
	}
	x = call(t, env, http.MethodPost, base, token, `{"name":"Bad","budget_minor":100,"method":"score","method_params":{"max_score":500}}`)
	check(t, v, x, http.StatusUnprocessableEntity, false)
	if !strings.Contains(string(x.body), `"field":"method_params.max_score"`) {
		t.Errorf("bad params: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPost, base, token, `{"name":"Bad","budget_minor":100,"method":"approval","colour":"green"}`),
		http.StatusUnprocessableEntity, false)

	// Read and list.
	check(t, v, call(t, env, http.MethodGet, one, token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, one, chairToken, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, one, "", ""), http.StatusNotFound, true)
	x = call(t, env, http.MethodGet, base, token, "")
	check(t, v, x, http.StatusOK, true)
	if x.resp.Header.Get("X-Total-Count") != "1" {
		t.Errorf("steward's list: %s", x.body)
	}
	x = call(t, env, http.MethodGet, base, "", "")
	check(t, v, x, http.StatusOK, true)
	if x.resp.Header.Get("X-Total-Count") != "0" {
		t.Errorf("public list shows a draft: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/funds/%d/rounds", draftFund), "", ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/funds/%d/rounds", draftFund), token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/funds/999999/rounds", "", ""), http.StatusNotFound, true)

	// Edit.
	x = call(t, env, http.MethodPatch, one, token, `{"version":1,"name":"Spring 2026","quorum":2,"voting_close_at":"2026-07-01T17:00:00Z"}`)
	check(t, v, x, http.StatusOK, true)
	if !strings.Contains(string(x.body), `"version":2`) || !strings.Contains(string(x.body), `"name":"Spring 2026"`) {
		t.Errorf("edited: %s", x.body)
	}
	x = call(t, env, http.MethodPatch, one, token, `{"version":1,"name":"Lost edit"}`)
	check(t, v, x, http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPatch, one, token, `{"name":"No version"}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPatch, one, chairToken, `{"version":2,"name":"Chair's"}`), http.StatusForbidden, true)

	// Transitions.
	x = call(t, env, http.MethodPost, one+"/transitions", token, `{"to":"review"}`)
	check(t, v, x, http.StatusConflict, true)
	if !strings.Contains(string(x.body), "one step at a time") {
		t.Errorf("skip: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", token, `{"to":"archived"}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", chairToken, `{"to":"accepting"}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", token, `{"to":"accepting"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, one, "", ""), http.StatusOK, true) // public now
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", chairToken, `{"to":"review"}`), http.StatusOK, true)
	x = call(t, env, http.MethodPost, one+"/transitions", token, `{"to":"voting"}`)
	check(t, v, x, http.StatusConflict, true)
	if !strings.Contains(string(x.body), "no eligible applications") {
		t.Errorf("voting without applications: %s", x.body)
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant)
	if err := env.DB.Exec(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
		VALUES (?, ?, ?, 'Garden club', 'x', 'y', 'z', 50000)`, r.ID, fundID, applicant.ID).Error; err != nil {
		t.Fatal(err)
	}
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", token, `{"to":"voting"}`), http.StatusOK, true)

	// Frozen once voting opened.
	x = call(t, env, http.MethodPatch, one, token, `{"version":5,"budget_minor":100}`)
	check(t, v, x, http.StatusConflict, true)
	if !strings.Contains(string(x.body), "voting has opened") {
		t.Errorf("frozen: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPatch, one, token, `{"version":5,"name":"Spring 2026 (final)"}`), http.StatusOK, true)

	check(t, v, call(t, env, http.MethodPost, one+"/transitions", token, `{"to":"closed"}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", chairToken, `{"to":"closed"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", chairToken, `{"to":"closed"}`), http.StatusConflict, true)
	// Decided only by making the decision final.
	check(t, v, call(t, env, http.MethodPost, one+"/transitions", chairToken, `{"to":"decided"}`), http.StatusConflict, true)
}
