package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/apptest"
)

// TestFundResponsesMatchTheDocument sends real fund requests and checks them
// and their responses against openapi/funds.json, like
// TestResponsesMatchTheDocument does for the foundation's routes.
func TestFundResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward := env.CreateUser(t, "Sam Steward")
	other := env.CreateUser(t, "Olu Other")
	funder := env.CreateOrg(t, "Riverside Foundation", "funder", steward)
	token, otherToken := env.Token(t, steward), env.Token(t, other)

	x := call(t, env, http.MethodPost, "/api/v1/funds", token, fmt.Sprintf(`{"organisation_id":%d,"name":"Neighbourhood Futures",
		"purpose_flourishing":"belonging","purpose_whom":"young people","purpose_where":"Eastfield","budget_minor":5000000,
		"currency":"gbp","system_scale":"place","principles":["Trust people","Learn in the open"]}`, funder.ID))
	check(t, v, x, http.StatusCreated, true)
	var f struct{ ID int64 }
	if err := json.Unmarshal(x.body, &f); err != nil || f.ID == 0 {
		t.Fatalf("created fund: %s", x.body)
	}
	base := fmt.Sprintf("/api/v1/funds/%d", f.ID)

	// A draft is its stewards' alone. The creator's steward role reaches the
	// authorizer by notification after the commit, so wait for it.
	for i := 0; i < 50 && call(t, env, http.MethodGet, base, token, "").resp.StatusCode != http.StatusOK; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	check(t, v, call(t, env, http.MethodGet, base, token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base, "", ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/funds", token, ""), http.StatusOK, true)

	check(t, v, call(t, env, http.MethodPatch, base, token, `{"version":1,"name":"Neighbourhood Futures","purpose_flourishing":"belonging",
		"purpose_whom":"young people","purpose_where":"Eastfield and Westfield","budget_minor":6000000,"system_scale":"place"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPatch, base, token, `{"version":1,"name":"Stale","purpose_flourishing":"belonging",
		"purpose_whom":"young people","purpose_where":"Eastfield","budget_minor":1,"system_scale":"place"}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPost, base+"/status", token, `{"status":"closed"}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, base+"/status", token, `{"status":"paused"}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, base+"/status", token, `{"status":"open"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base, "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/funds", "", ""), http.StatusOK, true)

	check(t, v, call(t, env, http.MethodPost, base+"/stages", token, `{"stage":"understanding","reason":"We learnt something"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, base+"/stages", token, `{"stage":"understanding","reason":"Again"}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, base+"/stages", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, base+"/principles", token, `{"principles":["Trust people","Share power"],"note":"After the first panel"}`), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, base+"/principles", token, `{"principles":[]}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodGet, base+"/principles", "", ""), http.StatusOK, true)

	role := fmt.Sprintf(`{"user_id":%d,"role":"learning_partner"}`, other.ID)
	check(t, v, call(t, env, http.MethodPost, base+"/roles", otherToken, role), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, base+"/roles", token, role), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodGet, base+"/roles", token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodDelete, base+"/roles", token, role), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodDelete, base+"/roles", token,
		fmt.Sprintf(`{"user_id":%d,"role":"steward"}`, steward.ID)), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, base+"/invitations", token,
		`{"email":"pat@example.org","display_name":"Pat","role":"panel_member"}`), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, base+"/invitations", token,
		`{"email":"pat2@example.org","role":"grantee"}`), http.StatusUnprocessableEntity, false)
}
