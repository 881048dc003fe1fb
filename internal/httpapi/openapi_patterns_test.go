package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
)

// TestPatternResponsesMatchTheDocument walks themes and patterns through
// the API — a grantee's suggestion, a steward's curation (one stale, one
// set aside), tags on a section and refusals, the pattern view for a
// steward, a grantee and the public, the sources behind a count, and a
// tag taken off — checking every exchange against openapi/patterns.json.
func TestPatternResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward, grantee := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Gus Grantee")
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, grantee)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, steward)
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Neighbourhood Fund")
	round := applicationtest.PastRound(t, env.DB, fund, "review")
	_, grant := applicationtest.Grant(t, env.DB, round, applicant.ID, "Saturday clubs", 50000, applicationtest.Day(-60), applicationtest.Day(300))
	dom := authz.FundDomain(fund)
	env.Grant(t, steward, authz.Steward, dom)
	env.Grant(t, grantee, authz.Grantee, dom)
	sTok, gTok := env.Token(t, steward), env.Token(t, grantee)

	// A submitted account with a public section and a private one.
	var acc struct {
		ID      int64
		Version int
	}
	x := call(t, env, http.MethodPost, fmt.Sprintf("/api/v1/grants/%d/accounts", grant), gTok,
		`{"period_start":"2026-01-01","period_end":"2026-03-31","sections":{"what_we_learnt":{"body":"We learnt to ask first.","visibility":"public"},
		"not_as_hoped":{"body":"The first club flopped.","visibility":"funder_and_partner"}}}`)
	if err := json.Unmarshal(x.body, &acc); err != nil || acc.ID == 0 {
		t.Fatalf("account: %d %s", x.resp.StatusCode, x.body)
	}
	if x := call(t, env, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/submit", acc.ID), gTok, fmt.Sprintf(`{"version":%d}`, acc.Version)); x.resp.StatusCode != 200 {
		t.Fatalf("submit: %s", x.body)
	}

	themes := fmt.Sprintf("/api/v1/funds/%d/themes", fund)
	x = call(t, env, http.MethodPost, themes, gTok, `{"name":"Belonging","description":"Feeling part of something."}`)
	check(t, v, x, http.StatusCreated, true)
	var th struct{ ID int64 }
	if err := json.Unmarshal(x.body, &th); err != nil {
		t.Fatal(err)
	}
	check(t, v, call(t, env, http.MethodPost, themes, gTok, `{"name":"belonging"}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, themes, gTok, `{"name":""}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, themes, "", `{"name":"Time"}`), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodGet, themes, gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, themes, "", ""), http.StatusUnauthorized, false)
	themePath := fmt.Sprintf("/api/v1/themes/%d", th.ID)
	check(t, v, call(t, env, http.MethodPatch, themePath, gTok, `{"version":1,"status":"curated"}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPatch, themePath, sTok, `{"version":1,"status":"curated","name":"Belonging"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPatch, themePath, sTok, `{"version":1,"description":"Stale."}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPatch, themePath, sTok, `{"version":2,"status":"hidden"}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPatch, "/api/v1/themes/999999", sTok, `{"version":1}`), http.StatusNotFound, true)
	x = call(t, env, http.MethodPost, themes, sTok, `{"name":"Not for now"}`)
	var aside struct{ ID int64 }
	if err := json.Unmarshal(x.body, &aside); err != nil {
		t.Fatal(err)
	}
	check(t, v, call(t, env, http.MethodPatch, fmt.Sprintf("/api/v1/themes/%d", aside.ID), sTok, `{"version":1,"status":"set_aside"}`), http.StatusOK, true)

	tags := fmt.Sprintf("/api/v1/funds/%d/tags", fund)
	x = call(t, env, http.MethodPost, tags, gTok, fmt.Sprintf(`{"theme_id":%d,"account_id":%d,"section_key":"what_we_learnt"}`, th.ID, acc.ID))
	check(t, v, x, http.StatusCreated, true)
	var tag struct{ ID int64 }
	if err := json.Unmarshal(x.body, &tag); err != nil {
		t.Fatal(err)
	}
	check(t, v, call(t, env, http.MethodPost, tags, sTok, fmt.Sprintf(`{"theme_id":%d,"account_id":%d,"section_key":"not_as_hoped"}`, th.ID, acc.ID)), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, tags, sTok, fmt.Sprintf(`{"theme_id":%d,"account_id":%d,"section_key":"not_as_hoped"}`, th.ID, acc.ID)), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, tags, sTok, fmt.Sprintf(`{"theme_id":%d,"account_id":%d,"section_key":"what_we_need"}`, th.ID, acc.ID)), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, tags, sTok, fmt.Sprintf(`{"theme_id":%d,"account_id":%d}`, th.ID, acc.ID)), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPost, tags, sTok, `{"theme_id":1,"score":5}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, tags, "", fmt.Sprintf(`{"theme_id":%d,"dialogue_id":1}`, th.ID)), http.StatusUnauthorized, false)

	patterns := fmt.Sprintf("/api/v1/funds/%d/patterns", fund)
	check(t, v, call(t, env, http.MethodGet, patterns, sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, patterns, gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, patterns, "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/funds/999999/patterns", "", ""), http.StatusNotFound, true)
	sources := fmt.Sprintf("%s/%d/sources", patterns, th.ID)
	check(t, v, call(t, env, http.MethodGet, sources, sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, sources+"?period=2026-Q1", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, sources+"?period=spring", sTok, ""), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("%s/%d/sources", patterns, aside.ID), sTok, ""), http.StatusNotFound, true)

	check(t, v, call(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/tags/%d", tag.ID), "", ""), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/tags/%d", tag.ID), gTok, ""), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodDelete, fmt.Sprintf("/api/v1/tags/%d", tag.ID), gTok, ""), http.StatusNotFound, true)
}
