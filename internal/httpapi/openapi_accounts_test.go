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

// TestAccountResponsesMatchTheDocument walks reflective accounts through
// the API — a grantee's draft, edits (one stale), a story, submission, an
// addendum, a withdrawal of consent, the stewards' response, notes of a
// conversation and their confirmation, the learning overview, the export
// and a funder's reflection — checking every exchange against
// openapi/accounts.json.
func TestAccountResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward, partner, grantee := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Pat Partner"), env.CreateUser(t, "Gus Grantee")
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, grantee)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, steward)
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Neighbourhood Fund")
	round := applicationtest.PastRound(t, env.DB, fund, "review")
	_, grant := applicationtest.Grant(t, env.DB, round, applicant.ID, "Saturday clubs", 50000, applicationtest.Day(-60), applicationtest.Day(300))
	agr := id(`INSERT INTO agreements (grant_id, fund_id, organisation_id) VALUES (?, ?, ?) RETURNING id`, grant, fund, applicant.ID)
	id(`INSERT INTO agreement_versions (agreement_id, number, status, content, content_hash, signed_at)
		VALUES (?, 1, 'signed', '{"reflection":{"mode":"written","every_months":3}}', repeat('b', 64), now()) RETURNING id`, agr)
	dom := authz.FundDomain(fund)
	env.Grant(t, steward, authz.Steward, dom)
	env.Grant(t, partner, authz.LearningPartner, dom)
	env.Grant(t, grantee, authz.Grantee, dom)
	sTok, pTok, gTok := env.Token(t, steward), env.Token(t, partner), env.Token(t, grantee)

	grantPath := fmt.Sprintf("/api/v1/grants/%d/accounts", grant)
	x := call(t, env, http.MethodPost, grantPath, gTok, `{}`)
	check(t, v, x, http.StatusCreated, true)
	var acc struct {
		ID      int64
		Version int
	}
	if err := json.Unmarshal(x.body, &acc); err != nil || acc.ID == 0 {
		t.Fatalf("created: %s", x.body)
	}
	path := fmt.Sprintf("/api/v1/accounts/%d", acc.ID)
	check(t, v, call(t, env, http.MethodPost, grantPath, sTok, `{}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, grantPath, gTok, `{"target":1}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPatch, path, gTok, `{"version":1,"sections":{"what_we_tried":{"body":"Saturday clubs.","visibility":"peers"},
		"what_happened":{"body":"Twelve came.","visibility":"public"}},
		"stories":[{"body":"Amira led the cooking.","purposes":["learning_within_fund","public_pages"],"naming":"first_name","expires_on":"2030-01-01"}]}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPatch, path, gTok, `{"version":1,"sections":{"what_we_tried":{"body":"Stale."}}}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPatch, path, sTok, `{"version":2}`), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodGet, path, gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, path+"/submit", gTok, `{"version":2}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPatch, path, gTok, `{"version":3}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPatch, path, sTok, `{"version":3}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodGet, path, "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, path, sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, path+"/addenda", gTok, `{"body":"It was twelve, not ten.","visibility":"peers"}`), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodGet, path+"/response", gTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, path+"/response", gTok, `{"body":"x"}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, path+"/response", sTok, `{"body":"Thank you."}`), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, path+"/response", sTok, `{"body":"Again."}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, path+"/response", gTok, ""), http.StatusOK, true)
	var story struct {
		Sections []struct{ Stories []struct{ ID int64 } }
	}
	if err := json.Unmarshal(call(t, env, http.MethodGet, path, gTok, "").body, &story); err != nil {
		t.Fatal(err)
	}
	var storyID int64
	for _, s := range story.Sections {
		for _, st := range s.Stories {
			storyID = st.ID
		}
	}
	check(t, v, call(t, env, http.MethodPost, fmt.Sprintf("%s/stories/%d/withdraw", path, storyID), gTok, ""), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodGet, path, gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, grantPath, gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, grantPath, "", ""), http.StatusOK, true)

	// Notes of a conversation, confirmed with corrections.
	x = call(t, env, http.MethodPost, grantPath, pTok, `{"mode":"conversation","sections":{"what_we_learnt":{"body":"They learnt to slow down."}}}`)
	check(t, v, x, http.StatusCreated, true)
	if err := json.Unmarshal(x.body, &acc); err != nil {
		t.Fatal(err)
	}
	notes := fmt.Sprintf("/api/v1/accounts/%d", acc.ID)
	check(t, v, call(t, env, http.MethodPost, notes+"/confirm", gTok, `{"corrections":"And to listen."}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, notes+"/confirm", gTok, `{}`), http.StatusConflict, true)

	// The fund's side.
	fundPath := fmt.Sprintf("/api/v1/funds/%d", fund)
	check(t, v, call(t, env, http.MethodPut, fundPath+"/response-days", sTok, `{"response_days":14}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPut, fundPath+"/response-days", sTok, `{"response_days":400}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/learning", sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/learning", gTok, ""), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/accounts.csv", "", ""), http.StatusOK, true)
	x = call(t, env, http.MethodPost, fundPath+"/reflections", sTok, `{"sections":{"not_as_hoped":{"body":"Our forms were too long.","visibility":"peers"}}}`)
	check(t, v, x, http.StatusCreated, true)
	if err := json.Unmarshal(x.body, &acc); err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("/api/v1/reflections/%d", acc.ID)
	check(t, v, call(t, env, http.MethodPatch, ref, sTok, `{"version":1,"sections":{"what_we_will_change":{"body":"Shorter forms."}}}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, ref, gTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, ref+"/publish", sTok, `{"version":2}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, ref, gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/reflections", gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/learning", sTok, ""), http.StatusOK, true)
}
