package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
)

// TestDecisionResponsesMatchTheDocument walks a round from voting to its
// final decision through the API — ballots, closing, the result and its
// recomputation, recording, words, finalising, grants — checking every
// request and response against openapi/decisions.json.
func TestDecisionResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	ctx := context.Background()
	steward, chair, member := env.CreateUser(t, "Sam Steward"), env.CreateUser(t, "Cass Chair"), env.CreateUser(t, "Mo Member")
	grantee := env.CreateUser(t, "Gus Grantee")
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
		'GBP', 'place', 'open') RETURNING id`, funder.ID)
	round := id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
		voting_close_at, method, method_params, rule, quorum, tie_break, state) VALUES (?, 'Spring round', 150000,
		now() - interval '30 days', now() - interval '10 days', now() - interval '10 days', now() + interval '10 days',
		'score', '{"max_score": 5}', 'mes_points_greedy', 2, 'lower_cost', 'review') RETURNING id`, fund)
	var apps [3]int64
	for i := range apps {
		apps[i] = id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', ?) RETURNING id`, round, fund, applicant.ID, fmt.Sprintf("Idea %d", i+1), 50000*(i+1))
	}
	env.Grant(t, steward, authz.Steward, authz.FundDomain(fund))
	for u, role := range map[int64]string{chair.ID: panel.Chair, member.ID: panel.Member} {
		if _, err := env.Svc.Panels.AddMember(ctx, steward.ID, fund, panel.NewMember{UserID: u, Role: role, ChosenBy: "lottery"}); err != nil {
			t.Fatal(err)
		}
		var entries []panel.DeclarationEntry
		for _, a := range apps {
			entries = append(entries, panel.DeclarationEntry{ApplicationID: a, Kind: panel.NoConflict})
		}
		if _, err := env.Svc.Panels.Declare(ctx, u, round, panel.DeclarationSet{Declarations: entries}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.DB.Exec(`UPDATE rounds SET state = 'voting' WHERE id = ?`, round).Error; err != nil {
		t.Fatal(err)
	}
	sTok, cTok, mTok, gTok := env.Token(t, steward), env.Token(t, chair), env.Token(t, member), env.Token(t, grantee)
	base := fmt.Sprintf("/api/v1/rounds/%d", round)
	waitFor(t, env, base+"/ballot", cTok, http.StatusNotFound)

	check(t, v, call(t, env, http.MethodPut, base+"/ballot", cTok, fmt.Sprintf(`{"scores":{"%d":5,"%d":"dont_know","%d":2}}`, apps[0], apps[1], apps[2])), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPut, base+"/ballot", mTok, fmt.Sprintf(`{"scores":{"%d":4,"%d":1}}`, apps[0], apps[2])), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodGet, base+"/result", sTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPost, base+"/transitions", cTok, `{"to":"closed"}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, base+"/transitions", cTok, `{"to":"decided"}`), http.StatusConflict, true)

	x := call(t, env, http.MethodGet, base+"/result", sTok, "")
	check(t, v, x, http.StatusOK, true)
	var res struct {
		Ballots int
		Outcome struct{ Funded []int64 }
	}
	if err := json.Unmarshal(x.body, &res); err != nil || res.Ballots != 2 || len(res.Outcome.Funded) == 0 {
		t.Fatalf("result: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodGet, base+"/result/recompute", mTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, base+"/result", cTok, `{"reason":"No need."}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, base+"/decision", sTok, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodPut, base+"/decision", cTok, fmt.Sprintf(`{"funded":[{"application_id":%d,"amount_minor":50000}]}`, apps[1])), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPut, base+"/decision", cTok, fmt.Sprintf(`{"funded":[{"application_id":%d,"amount_minor":50000},{"application_id":%d,"amount_minor":100000}],"amendment_reason":"The walks reach people nobody else does."}`, apps[1], apps[0])), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPut, base+"/decision", cTok, `{}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodPost, base+"/decision/final", cTok, `{}`), http.StatusConflict, true)
	for _, a := range apps {
		check(t, v, call(t, env, http.MethodPut, fmt.Sprintf("%s/decision/applications/%d", base, a), mTok,
			`{"rationale":"Most of the panel backed it.","feedback":"Thank you for such a clear idea."}`), http.StatusOK, true)
	}
	check(t, v, call(t, env, http.MethodPut, fmt.Sprintf("%s/decision/applications/%d", base, apps[0]), mTok, `{"rationale":1}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, base+"/decision/final", cTok, `{"starts_on":"2027-04-01","ends_on":"2027-03-01"}`), http.StatusUnprocessableEntity, true)
	check(t, v, call(t, env, http.MethodPost, base+"/decision/final", cTok, `{"starts_on":"2027-04-01","ends_on":"2028-03-31","instalments":4}`), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base+"/decision", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base+"/result", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, base+"/decision.csv", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/applications/%d/decision", apps[0]), gTok, ""), http.StatusOK, true)
	x = call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/funds/%d/grants", fund), "", "")
	check(t, v, x, http.StatusOK, true)
	var grants struct{ Items []struct{ ID int64 } }
	if err := json.Unmarshal(x.body, &grants); err != nil || len(grants.Items) == 0 {
		t.Fatalf("grants: %s", x.body)
	}
	gid := grants.Items[0].ID
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/grants/%d", gid), "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, fmt.Sprintf("/api/v1/grants/%d", gid), sTok, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/grants/999999", "", ""), http.StatusNotFound, true)
}

// waitFor polls path until it answers status: a role given a moment ago
// reaches the authorizer by notification.
func waitFor(t *testing.T, env *apptest.Env, path, token string, status int) {
	t.Helper()
	for i := 0; i < 100 && call(t, env, http.MethodGet, path, token, "").resp.StatusCode != status; i++ {
		time.Sleep(20 * time.Millisecond)
	}
}
