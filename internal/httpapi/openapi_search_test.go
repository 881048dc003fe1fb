package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/search/searchtest"
	"github.com/humblehq/humble/internal/user"
)

// TestSearchAndSynthesisResponsesMatchTheDocument searches a fund as
// different readers and walks a synthesis from draft (one stale edit, one
// citation the author cannot read) to published, checking every exchange
// against openapi/search.json.
func TestSearchAndSynthesisResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	f := searchtest.New(t, env.DB)
	dom := authz.FundDomain(f.Fund)
	partner := env.CreateUser(t, "Pat Partner")
	env.Grant(t, user.User{ID: f.Steward}, authz.Steward, dom)
	env.Grant(t, partner, authz.LearningPartner, dom)
	env.Grant(t, user.User{ID: f.GranteeA}, authz.Grantee, dom)
	env.Grant(t, user.User{ID: f.GranteeB}, authz.Grantee, dom)
	sTok, pTok, aTok, bTok := env.Token(t, user.User{ID: f.Steward}), env.Token(t, partner),
		env.Token(t, user.User{ID: f.GranteeA}), env.Token(t, user.User{ID: f.GranteeB})

	fundPath := fmt.Sprintf("/api/v1/funds/%d", f.Fund)
	search := func(q, tok string) exchange {
		return call(t, env, http.MethodGet, fundPath+"/search?q="+q, tok, "")
	}
	x := search(searchtest.PeersSection, bTok)
	check(t, v, x, http.StatusOK, true)
	var found struct {
		Items []struct {
			SnippetHTML string `json:"snippet_html"`
		}
	}
	if err := json.Unmarshal(x.body, &found); err != nil || len(found.Items) != 1 ||
		!strings.Contains(found.Items[0].SnippetHTML, "<mark>"+searchtest.PeersSection+"</mark>") {
		t.Errorf("a peer's search: %s", x.body)
	}
	check(t, v, search(searchtest.PeersSection, ""), http.StatusOK, true)
	check(t, v, search(searchtest.Notes, sTok), http.StatusOK, true)
	check(t, v, search(searchtest.ResponseWord+"&page=1&per_page=5", aTok), http.StatusOK, true)
	check(t, v, search("", aTok), http.StatusUnprocessableEntity, false)
	check(t, v, search(strings.Repeat("x", 201), aTok), http.StatusUnprocessableEntity, false)
	check(t, v, search("clubs&per_page=0", aTok), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/funds/999999/search?q=clubs", "", ""), http.StatusNotFound, true)

	check(t, v, call(t, env, http.MethodGet, fundPath+"/syntheses", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/syntheses?page=1&per_page=10", pTok, ""), http.StatusOK, true)
	newBody := func(cites string) string {
		return `{"title":"Autumn","body":"What we heard.","period_start":"2026-09-01","period_end":"2026-11-30","citations":` + cites + `}`
	}
	ok := fmt.Sprintf(`[{"theme_id":%d},{"account_id":%d,"section_key":"what_we_tried"}]`, f.Theme, f.AccountA)
	check(t, v, call(t, env, http.MethodPost, fundPath+"/syntheses", pTok,
		newBody(fmt.Sprintf(`[{"dialogue_id":%d}]`, f.Dialogue))), http.StatusUnprocessableEntity, true) // not a participant
	check(t, v, call(t, env, http.MethodPost, fundPath+"/syntheses", aTok, newBody(ok)), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, fundPath+"/syntheses", "", newBody(ok)), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodPost, fundPath+"/syntheses", pTok, `{"title":"x","score":3}`), http.StatusUnprocessableEntity, false)
	x = call(t, env, http.MethodPost, fundPath+"/syntheses", pTok, newBody(ok))
	check(t, v, x, http.StatusCreated, true)
	var y struct {
		ID      int64
		Version int
	}
	if err := json.Unmarshal(x.body, &y); err != nil || y.ID == 0 {
		t.Fatalf("created: %s", x.body)
	}
	path := fmt.Sprintf("/api/v1/syntheses/%d", y.ID)
	check(t, v, call(t, env, http.MethodGet, path, "", ""), http.StatusNotFound, true) // a draft
	check(t, v, call(t, env, http.MethodGet, path, sTok, ""), http.StatusOK, true)
	edit := `{"version":1,"title":"Autumn, again","period_start":"2026-09-01","period_end":"2026-11-30","citations":` + ok + `}`
	check(t, v, call(t, env, http.MethodPut, path, sTok, edit), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPut, path, pTok, edit), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPut, path, bTok, edit), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, path+"/publish", pTok, `{"version":1}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPost, path+"/publish", pTok, `{}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, path+"/publish", pTok, `{"version":2}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, path+"/publish", pTok, `{"version":3}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPut, path, sTok, strings.Replace(edit, `"version":1`, `"version":3`, 1)), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodPost, path+"/publish", bTok, `{"version":3}`), http.StatusForbidden, true)
	x = call(t, env, http.MethodGet, path, "", "")
	check(t, v, x, http.StatusOK, true)
	var pub struct{ Citations []struct{ Kind string } }
	_ = json.Unmarshal(x.body, &pub)
	if len(pub.Citations) != 1 || pub.Citations[0].Kind != "theme" {
		t.Errorf("the public sees citations %s; want the theme only (the section is for peers)", x.body)
	}
	check(t, v, call(t, env, http.MethodGet, "/api/v1/syntheses/999999", "", ""), http.StatusNotFound, true)
}
