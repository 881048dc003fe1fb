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

// TestDialogueResponsesMatchTheDocument walks a peer dialogue through the
// API — convening with sources (one unreadable), invitations and answers,
// notes (one stale), actions in each state, an issue passed up and
// answered once, a follow-up and one's own actions — checking every
// exchange against openapi/dialogues.json.
func TestDialogueResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	steward, tom, priya, rosa := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Tom Grantee"),
		env.CreateUser(t, "Priya Grantee"), env.CreateUser(t, "Rosa Panel")
	stranger := env.CreateUser(t, "Sid Stranger")
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder, steward)
	tomOrg := env.CreateOrg(t, "Eastfield Tenants", org.Applicant, tom)
	priyaOrg := env.CreateOrg(t, "Shared Tables", org.Applicant, priya)
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := env.DB.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	fund := applicationtest.FundOf(t, env.DB, funder.ID, "Neighbourhood Fund")
	round := applicationtest.PastRound(t, env.DB, fund, "review")
	account := func(orgID, author int64, vis string) int64 {
		_, grant := applicationtest.Grant(t, env.DB, round, orgID, "Clubs", 50000, applicationtest.Day(-60), applicationtest.Day(300))
		acc := id(`INSERT INTO reflective_accounts (fund_id, grant_id, organisation_id, kind, period_start, period_end, author_id)
			VALUES (?, ?, ?, 'grantee', current_date - 60, current_date - 1, ?) RETURNING id`, fund, grant, orgID, author)
		exec(`INSERT INTO account_sections (account_id, key, body, visibility) VALUES (?, 'what_we_learnt', 'Slow down.', ?),
			(?, 'what_we_need', 'More time.', 'funder_and_partner')`, acc, vis, acc)
		exec(`UPDATE reflective_accounts SET status = 'submitted', submitted_at = now(), submitted_by = ? WHERE id = ?`, author, acc)
		return acc
	}
	tomAcc, priyaAcc := account(tomOrg.ID, tom.ID, "peers"), account(priyaOrg.ID, priya.ID, "peers")
	dom := authz.FundDomain(fund)
	env.Grant(t, steward, authz.Steward, dom)
	env.Grant(t, tom, authz.Grantee, dom)
	env.Grant(t, priya, authz.Grantee, dom)
	env.Grant(t, rosa, authz.PanelMember, dom)
	sTok, tTok, pTok, rTok, xTok := env.Token(t, steward), env.Token(t, tom), env.Token(t, priya), env.Token(t, rosa), env.Token(t, stranger)

	fundPath := fmt.Sprintf("/api/v1/funds/%d", fund)
	body := func(sources string) string {
		return fmt.Sprintf(`{"purpose":"How do we hear young people?","meets_on":"2026-12-03","invitees":[%d,%d,%d],"sources":%s}`,
			priya.ID, rosa.ID, steward.ID, sources)
	}
	check(t, v, call(t, env, http.MethodPost, fundPath+"/dialogues", tTok,
		body(fmt.Sprintf(`[{"account_id":%d,"section_key":"what_we_need"}]`, priyaAcc))), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPost, fundPath+"/dialogues", xTok, body(`[]`)), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, fundPath+"/dialogues", "", body(`[]`)), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodPost, fundPath+"/dialogues", tTok, `{"purpose":"x"}`), http.StatusUnprocessableEntity, false)
	x := call(t, env, http.MethodPost, fundPath+"/dialogues", tTok,
		body(fmt.Sprintf(`[{"account_id":%d},{"account_id":%d,"section_key":"what_we_learnt"}]`, tomAcc, priyaAcc)))
	check(t, v, x, http.StatusCreated, true)
	var d struct {
		ID      int64
		Sources []struct{ AccountID int64 }
	}
	if err := json.Unmarshal(x.body, &d); err != nil || d.ID == 0 || len(d.Sources) != 2 {
		t.Fatalf("convened: %s", x.body)
	}
	path := fmt.Sprintf("/api/v1/dialogues/%d", d.ID)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/dialogues", tTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, path, pTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, path, xTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodGet, path, "", ""), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodPost, path+"/response", pTok, `{"status":"accepted"}`), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodPost, path+"/response", sTok, `{"status":"accepted"}`), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodPost, path+"/response", rTok, `{"status":"declined"}`), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodPost, path+"/response", tTok, `{"status":"accepted"}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, path, rTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, path+"/participants", tTok, fmt.Sprintf(`{"invitees":[%d]}`, stranger.ID)),
		http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPost, path+"/participants", tTok, fmt.Sprintf(`{"invitees":[%d]}`, rosa.ID)), http.StatusOK, true)

	check(t, v, call(t, env, http.MethodPut, path+"/notes", tTok, `{"version":0,"body":"We began with what surprised us."}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPut, path+"/notes", pTok, `{"version":0,"body":"Stale."}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPut, path+"/notes", pTok, `{"version":1,"body":"We began with what surprised us. Rain."}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, path+"/notes", sTok, ""), http.StatusOK, true)

	x = call(t, env, http.MethodPost, path+"/actions", tTok, fmt.Sprintf(`{"what":"Share the rota","owner_id":%d,"due_on":"2027-01-15"}`, priya.ID))
	check(t, v, x, http.StatusCreated, true)
	var act struct{ ID int64 }
	_ = json.Unmarshal(x.body, &act)
	x = call(t, env, http.MethodPost, path+"/actions", pTok, fmt.Sprintf(`{"what":"Try a survey","owner_id":%d}`, tom.ID))
	check(t, v, x, http.StatusCreated, true)
	var dropped struct{ ID int64 }
	_ = json.Unmarshal(x.body, &dropped)
	check(t, v, call(t, env, http.MethodPost, path+"/actions", pTok, fmt.Sprintf(`{"what":"x","owner_id":%d}`, stranger.ID)),
		http.StatusUnprocessableEntity, true)
	dropPath := fmt.Sprintf("/api/v1/actions/%d", dropped.ID)
	check(t, v, call(t, env, http.MethodPatch, dropPath, tTok, `{"version":1,"status":"dropped"}`), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPatch, dropPath, tTok, `{"version":1,"status":"dropped","dropped_reason":"Surveyed enough."}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPatch, dropPath, tTok, `{"version":1,"status":"done"}`), http.StatusPreconditionFailed, true)
	check(t, v, call(t, env, http.MethodPatch, dropPath, xTok, `{"version":2,"status":"done"}`), http.StatusNotFound, true)

	x = call(t, env, http.MethodPost, path+"/issues", pTok, `{"body":"Could reports be shorter?"}`)
	check(t, v, x, http.StatusCreated, true)
	var issue struct{ ID int64 }
	_ = json.Unmarshal(x.body, &issue)
	answer := fmt.Sprintf("/api/v1/issues/%d/answer", issue.ID)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/issues", sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fundPath+"/issues", tTok, ""), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, answer, tTok, `{"answer":"Yes"}`), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodPost, answer, sTok, `{"answer":"Yes: one page from April."}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, answer, sTok, `{"answer":"Again"}`), http.StatusConflict, true)

	x = call(t, env, http.MethodPost, fundPath+"/dialogues", pTok,
		fmt.Sprintf(`{"purpose":"Where did the rota get to?","meets_on":"2027-01-20","invitees":[%d],"follows_up":%d,"prompts":["What moved?"]}`, tom.ID, d.ID))
	check(t, v, x, http.StatusCreated, true)
	var fu struct {
		Earlier struct {
			OpenActions []struct{ ID int64 } `json:"open_actions"`
		} `json:"earlier"`
	}
	if err := json.Unmarshal(x.body, &fu); err != nil || len(fu.Earlier.OpenActions) != 1 || fu.Earlier.OpenActions[0].ID != act.ID {
		t.Fatalf("follow-up: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodGet, "/api/v1/me/actions", pTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/me/actions?fund_id=%d", fund), tTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/me/actions?fund_id=x", tTok, ""), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/me/actions", "", ""), http.StatusUnauthorized, false)
}
