package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
)

// callIfMatch is call with an If-Match header.
func callIfMatch(t *testing.T, env *apptest.Env, method, path, token, body, ifMatch string) exchange {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("If-Match", ifMatch)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	vreq, _ := http.NewRequest(method, env.URL+path, bytes.NewReader([]byte(body)))
	vreq.Header = req.Header.Clone()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return exchange{req: vreq, resp: resp, body: b}
}

const agreementBody = `{"revision":%d,"content":{"shared_purpose":"Neighbours who eat together look out for each other.",
	"why_we_funded_you":"The kitchen is run by the people who use it.","learning_questions":["Who comes, and who does not yet?"],
	"explorations":["A Friday supper cooked by a different family each week."],
	"reflection":{"mode":"conversation","every_months":%d,"note":"Over tea."},
	"learning_signals":[{"name":"Who comes to supper","tells_us":"Whether new people find their way in.",
		"does_not_tell_us":"Whether they feel they belong.","collected_by":"The volunteers","how_often":"Every supper"}],
	"funder_commitments":{"money":"£5,000 in two payments.","flexibility":"Move money as you learn.",
		"support_beyond_money":"Introductions.","response_days":21},
	"learning_partner":{"name":"Lee Partner","user_id":null},
	"consent_terms":"Only with written consent, which can be withdrawn.","renegotiate_on":"2026-10-01"}}`

// TestAgreementResponsesMatchTheDocument writes, signs and renegotiates a
// grant's agreement through the API, checking every request and response
// against openapi/agreements.json.
func TestAgreementResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward, grantee, other := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Gus Grantee"), env.CreateUser(t, "Olu Other")
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, grantee)
	env.CreateOrg(t, "Shared Tables", org.Applicant, other)
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder)
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Neighbourhood Fund")
	round := applicationtest.PastRound(t, env.DB, fund, "decided")
	_, grant := applicationtest.Grant(t, env.DB, round, applicant.ID, "Kitchen table", 50000, "2026-04-01", "2027-03-31")
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fund))
	env.Grant(t, grantee, authz.Grantee, authz.FundDomain(fund))
	sTok, gTok, oTok := env.Token(t, steward), env.Token(t, grantee), env.Token(t, other)
	base := fmt.Sprintf("/api/v1/grants/%d/agreement", grant)
	waitFor(t, env, base, gTok, http.StatusNotFound)

	check(t, v, call(t, env, http.MethodGet, base, sTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodGet, base, "", ""), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodGet, base, oTok, ""), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, base, gTok, ""), http.StatusForbidden, true)
	x := call(t, env, http.MethodPost, base, sTok, "")
	check(t, v, x, http.StatusCreated, true)
	if x.resp.Header.Get("ETag") != `"v1.r1"` {
		t.Errorf("ETag of the new draft: %q", x.resp.Header.Get("ETag"))
	}
	check(t, v, call(t, env, http.MethodPost, base, sTok, ""), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, base, gTok, ""), http.StatusOK, true)

	// Edits: by revision, by If-Match, stale, with a target.
	check(t, v, call(t, env, http.MethodPut, base+"/draft", gTok, fmt.Sprintf(agreementBody, 1, 4)), http.StatusOK, true)
	x = call(t, env, http.MethodPut, base+"/draft", sTok, fmt.Sprintf(agreementBody, 1, 6))
	check(t, v, x, http.StatusPreconditionFailed, true)
	var stale struct {
		Yours struct {
			Content struct {
				Reflection struct {
					EveryMonths int `json:"every_months"`
				}
			}
		}
		Current struct {
			Revision int
			Content  struct {
				Reflection struct {
					EveryMonths int `json:"every_months"`
				}
			}
		}
	}
	if err := json.Unmarshal(x.body, &stale); err != nil || stale.Yours.Content.Reflection.EveryMonths != 6 ||
		stale.Current.Revision != 2 || stale.Current.Content.Reflection.EveryMonths != 4 {
		t.Errorf("the 412 does not carry both versions: %s", x.body)
	}
	check(t, v, callIfMatch(t, env, http.MethodPut, base+"/draft", sTok, strings.Replace(fmt.Sprintf(agreementBody, 0, 5), `"revision":0,`, "", 1), `"v1.r1"`),
		http.StatusPreconditionFailed, true)
	// Without a revision or If-Match (the document cannot say "one of the
	// two", so the request itself passes it).
	check(t, v, call(t, env, http.MethodPut, base+"/draft", sTok, strings.Replace(fmt.Sprintf(agreementBody, 0, 5), `"revision":0,`, "", 1)),
		http.StatusUnprocessableEntity, true)
	x = call(t, env, http.MethodPut, base+"/draft", sTok, strings.Replace(fmt.Sprintf(agreementBody, 2, 5), `"how_often":"Every supper"`, `"how_often":"Every supper","target":40`, 1))
	check(t, v, x, http.StatusUnprocessableEntity, false)
	if !strings.Contains(string(x.body), `"field":"content.learning_signals[0].target"`) {
		t.Errorf("the target is not named: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPut, base+"/draft", sTok, `{"revision":2,"content":{"reflection":{"every_months":30}}}`),
		http.StatusUnprocessableEntity, false)
	check(t, v, callIfMatch(t, env, http.MethodPut, base+"/draft", sTok, fmt.Sprintf(agreementBody, 0, 5), `"v1.r2"`), http.StatusOK, true)

	// Signing: the grantee, then an edit that sets it aside, then both.
	check(t, v, call(t, env, http.MethodPost, base+"/draft/sign", gTok, `{"revision":2}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPost, base+"/draft/sign", gTok, `{"revision":3}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, base+"/draft/sign", gTok, `{"revision":3}`), http.StatusConflict, true)
	x = call(t, env, http.MethodPut, base+"/draft", sTok, fmt.Sprintf(agreementBody, 3, 3))
	check(t, v, x, http.StatusOK, true)
	if !strings.Contains(string(x.body), `"cleared_signatures":[{"side":"grantee"`) {
		t.Errorf("the edit does not say it set the grantee's signature aside: %s", x.body)
	}
	check(t, v, callIfMatch(t, env, http.MethodPost, base+"/draft/sign", sTok, `{}`, `"v1.r4"`), http.StatusOK, true)
	x = call(t, env, http.MethodPost, base+"/draft/sign", gTok, `{"revision":4}`)
	check(t, v, x, http.StatusOK, true)
	if !strings.Contains(string(x.body), `"status":"signed"`) {
		t.Errorf("not signed by both: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPut, base+"/draft", sTok, fmt.Sprintf(agreementBody, 4, 2)), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, base+"/draft/sign", sTok, `{"revision":4}`), http.StatusConflict, true)

	// Renegotiation, history and changes.
	check(t, v, call(t, env, http.MethodPost, base+"/renegotiate", gTok, ""), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, base+"/renegotiate", gTok, ""), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPut, base+"/draft", gTok, fmt.Sprintf(agreementBody, 1, 12)), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base, sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base+"/versions", gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base+"/versions/1", gTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base+"/versions/9", gTok, ""), http.StatusNotFound, true)
	x = call(t, env, http.MethodGet, base+"/versions/2/changes", sTok, "")
	check(t, v, x, http.StatusOK, true)
	if !strings.Contains(string(x.body), `{"field":"reflection.every_months","label":"How often (months)","before":"3","after":"12","change":"changed"}`) {
		t.Errorf("changes: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodGet, "/api/v1/grants/999999/agreement", sTok, ""), http.StatusNotFound, true)
}
