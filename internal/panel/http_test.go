package panel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// api sends requests to the running app and checks every response (and
// every request meant to be valid) against the OpenAPI document, strictly:
// a field the document does not declare fails the test.
type api struct {
	env *apptest.Env
	v   validator.Validator
}

func newAPI(t *testing.T, env *apptest.Env) *api {
	doc, err := libopenapi.NewDocument(httpapi.OpenAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithStrictMode(),
		config.WithStrictIgnoredHeadersExtra("content-security-policy", "x-content-type-options", "x-frame-options",
			"referrer-policy", "cross-origin-opener-policy", "strict-transport-security", "set-cookie"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return &api{env: env, v: v}
}

// do sends a request; validRequest says whether the document should accept it.
func (a *api) do(t *testing.T, method, path, token, body string, want int, validRequest bool) []byte {
	t.Helper()
	mk := func() *http.Request {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, a.env.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
	resp, err := http.DefaultClient.Do(mk())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	req := mk()
	if ok, _ := a.v.ValidateHttpRequest(req); ok != validRequest {
		t.Errorf("%s %s: the document judges the request valid=%v, want %v", method, path, ok, validRequest)
	}
	if ok, errs := a.v.ValidateHttpResponse(mk(), resp); !ok {
		for _, e := range errs {
			t.Errorf("%s %s → %d does not match the document: %s: %s %v", method, path, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
		}
	}
	return b
}

type world struct {
	env               *apptest.Env
	api               *api
	fund, round, app1 int64
	app2              int64
	people            map[string]user.User
	tokens            map[string]string
}

// newWorld: a fund with a round in panel review, two applications, a
// steward and people not yet on the panel.
func newWorld(t *testing.T) *world {
	env := apptest.New(t)
	w := &world{env: env, api: newAPI(t, env), people: map[string]user.User{}, tokens: map[string]string{}}
	for _, name := range []string{"Sam Steward", "Mo Member", "Rae Recused", "Una Undeclared", "Pat Public", "Ari Applicant"} {
		key := strings.ToLower(strings.Fields(name)[1])
		w.people[key] = env.CreateUser(t, name)
		w.tokens[key] = env.Token(t, w.people[key])
	}
	applicant := env.CreateOrg(t, "Hillside Youth Club", org.Applicant, w.people["applicant"])
	funder := env.CreateOrg(t, "Riverside Trust", org.Funder)
	id := func(sql string, args ...any) int64 {
		var id int64
		if err := env.DB.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	w.fund = id(`INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where, budget_minor,
		currency, system_scale, status) VALUES (?, 'Neighbourhood Fund', 'belonging', 'young people', 'Riverside', 5000000,
		'GBP', 'place', 'open') RETURNING id`, funder.ID)
	w.round = id(`INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at, voting_open_at,
		voting_close_at, method, rule, quorum, tie_break, state) VALUES (?, 'Spring round', 1000000, now() - interval '30 days',
		now() - interval '10 days', now() - interval '10 days', now() + interval '10 days', 'approval', 'greedy', 2,
		'lower_cost', 'review') RETURNING id`, w.fund)
	for _, title := range []string{"Youth kitchen", "Walking group"} {
		a := id(`INSERT INTO applications (round_id, fund_id, organisation_id, title, explore, with_whom, how_learn, amount_minor)
			VALUES (?, ?, ?, ?, 'x', 'y', 'z', 100000) RETURNING id`, w.round, w.fund, applicant.ID, title)
		if w.app1 == 0 {
			w.app1 = a
		} else {
			w.app2 = a
		}
	}
	env.Grant(t, w.people["steward"], authz.Steward, authz.FundDomain(w.fund))
	return w
}

// rolesEventually waits for the authorizer to hold exactly want for u: a
// change made inside a transaction reaches it by notification.
func (w *world) rolesEventually(t *testing.T, u user.User, want ...authz.Role) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := w.env.Svc.Authz.RolesIn(u.ID, authz.FundDomain(w.fund))
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("roles of %s = %v, want %v", u.DisplayName, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *world) seat(t *testing.T, who, role string) int64 {
	t.Helper()
	b := w.api.do(t, "POST", fmt.Sprintf("/api/v1/funds/%d/panel", w.fund), w.tokens["steward"],
		fmt.Sprintf(`{"email":%q,"role":%q,"chosen_by":"lottery","term_start":"2026-01-01","term_end":null}`, w.people[who].Email, role), 201, true)
	var m struct{ ID int64 }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	w.rolesEventually(t, w.people[who], authz.Role("panel_"+role))
	return m.ID
}

func (w *world) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.env.DB.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPanelMembershipThroughTheAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	seat := w.seat(t, "member", "member")
	panelPath := fmt.Sprintf("/api/v1/funds/%d/panel", w.fund)

	// Stewards see emails; fellow members see names only.
	if b := w.api.do(t, "GET", panelPath, w.tokens["steward"], "", 200, true); !bytes.Contains(b, []byte(w.people["member"].Email)) {
		t.Errorf("the steward's list lacks the member's email: %s", b)
	}
	if b := w.api.do(t, "GET", panelPath, w.tokens["member"], "", 200, true); bytes.Contains(b, []byte("@example.org")) {
		t.Errorf("a member's list shows emails: %s", b)
	}
	// The public sees counts, never names.
	b := w.api.do(t, "GET", panelPath+"/summary", "", "", 200, true)
	var sum struct {
		Members  int
		ChosenBy struct{ Lottery int } `json:"chosen_by"`
	}
	if err := json.Unmarshal(b, &sum); err != nil || sum.Members != 1 || sum.ChosenBy.Lottery != 1 {
		t.Fatalf("summary = %s", b)
	}
	if bytes.Contains(b, []byte("Mo Member")) {
		t.Fatalf("the summary names someone: %s", b)
	}

	// Becoming chair swaps the role; removing takes it away.
	w.api.do(t, "PATCH", fmt.Sprintf("/api/v1/panel-members/%d", seat), w.tokens["steward"], `{"role":"chair","term_end":"2026-12-31"}`, 200, true)
	w.rolesEventually(t, w.people["member"], authz.PanelChair)
	w.api.do(t, "PATCH", fmt.Sprintf("/api/v1/panel-members/%d", seat), w.tokens["steward"], `{"term_end":"May"}`, 422, true)
	w.api.do(t, "PATCH", fmt.Sprintf("/api/v1/panel-members/%d", seat), w.tokens["steward"], `{"term_end":5}`, 422, false)
	w.api.do(t, "POST", panelPath, w.tokens["steward"], `{"email":"nobody@example.org","role":"member","chosen_by":"invited"}`, 422, true)
	w.api.do(t, "POST", panelPath, w.tokens["steward"], `{"user_id":1,"role":"judge","chosen_by":"invited"}`, 422, false)
	w.api.do(t, "DELETE", fmt.Sprintf("/api/v1/panel-members/%d", seat), w.tokens["steward"], "", 204, true)
	w.rolesEventually(t, w.people["member"])
	if n := w.count(t, `SELECT count(*) FROM audit_events WHERE fund_id = ? AND action LIKE 'panel_member.%'`, w.fund); n != 3 {
		t.Errorf("%d panel_member audit events, want 3 (add, update, remove)", n)
	}
	w.api.do(t, "DELETE", fmt.Sprintf("/api/v1/panel-members/%d", seat), w.tokens["steward"], "", 404, true)
}

func TestDeclarationsAndDeliberationThroughTheAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.seat(t, "member", "member")
	w.seat(t, "recused", "member")
	w.seat(t, "undeclared", "member")
	decl := fmt.Sprintf("/api/v1/rounds/%d/declarations", w.round)
	thread := func(app int64) string { return fmt.Sprintf("/api/v1/applications/%d/comments", app) }

	// A disclosure without a note: 422 naming the entry, nothing written.
	b := w.api.do(t, "PUT", decl, w.tokens["member"], fmt.Sprintf(`{"declarations":[{"application_id":%d,"kind":"none"},
		{"application_id":%d,"kind":"disclosed","note":""}]}`, w.app1, w.app2), 422, true)
	if !bytes.Contains(b, []byte(`"field":"declarations[1].note"`)) {
		t.Fatalf("422 does not name declarations[1].note: %s", b)
	}
	if n := w.count(t, `SELECT count(*) FROM declarations`); n != 0 {
		t.Fatalf("%d declarations written by a refused request", n)
	}
	w.api.do(t, "PUT", decl, w.tokens["member"], fmt.Sprintf(`{"declarations":[{"application_id":%d,"kind":"none"},
		{"application_id":%d,"kind":"disclosed","note":"Same neighbourhood."}]}`, w.app1, w.app2), 200, true)
	w.api.do(t, "PUT", decl, w.tokens["recused"], fmt.Sprintf(`{"declarations":[{"application_id":%d,"kind":"none"}]}`, w.app1), 200, true)
	// A change of mind is audited with the old and the new kind.
	w.api.do(t, "PUT", decl, w.tokens["recused"], fmt.Sprintf(`{"declarations":[{"application_id":%d,"kind":"recused","note":"I am a trustee."}]}`, w.app1), 200, true)
	if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'declaration.update' AND actor_id = ?
		AND changes->>'old_kind' = 'none' AND changes->>'new_kind' = 'recused'`, w.people["recused"].ID); n != 1 {
		t.Fatalf("%d audit events with old and new kind, want 1", n)
	}
	// Members see their own; the steward sees the table.
	var list struct{ Total int }
	json.Unmarshal(w.api.do(t, "GET", decl, w.tokens["member"], "", 200, true), &list)
	if list.Total != 2 {
		t.Errorf("the member sees %d declarations, want their own 2", list.Total)
	}
	json.Unmarshal(w.api.do(t, "GET", decl, w.tokens["steward"], "", 200, true), &list)
	if list.Total != 3 {
		t.Errorf("the steward sees %d declarations, want all 3", list.Total)
	}

	// The thread: recused refused, undeclared asked to declare first.
	w.api.do(t, "GET", thread(w.app1), w.tokens["recused"], "", 403, true)
	w.api.do(t, "POST", thread(w.app1), w.tokens["recused"], `{"body":"Let me say…"}`, 403, true)
	w.api.do(t, "GET", thread(w.app1), w.tokens["undeclared"], "", 409, true)
	w.api.do(t, "POST", thread(w.app1), w.tokens["undeclared"], `{"body":"Hi"}`, 409, true)
	voters, err := w.env.Svc.Panels.EligibleVoters(t.Context(), w.app1)
	if err != nil || !slices.Equal(voters, []int64{w.people["member"].ID}) {
		t.Fatalf("eligible voters = %v, %v; want only the member (not recused, not undeclared)", voters, err)
	}

	b = w.api.do(t, "POST", thread(w.app1), w.tokens["member"], `{"body":"A careful plan."}`, 201, true)
	var c struct{ ID int64 }
	json.Unmarshal(b, &c)
	comment := fmt.Sprintf("/api/v1/comments/%d", c.ID)
	w.api.do(t, "POST", thread(w.app1), w.tokens["steward"], `{"body":"The budget is confirmed."}`, 201, true)
	w.api.do(t, "PATCH", comment, w.tokens["member"], `{"body":"A careful, modest plan."}`, 200, true)
	w.api.do(t, "PATCH", comment, w.tokens["steward"], `{"body":"Not mine."}`, 403, true)
	w.env.DB.Exec(`UPDATE comments SET created_at = now() - interval '10 minutes 1 second' WHERE id = ?`, c.ID)
	w.api.do(t, "PATCH", comment, w.tokens["member"], `{"body":"Too late."}`, 409, true)
	w.api.do(t, "POST", comment+"/retract", w.tokens["member"], `{}`, 422, false)
	w.api.do(t, "POST", comment+"/retract", w.tokens["member"], `{"reason":"   "}`, 422, true)
	b = w.api.do(t, "POST", comment+"/retract", w.tokens["member"], `{"reason":"I misread the budget."}`, 200, true)
	if !bytes.Contains(b, []byte(`"body":null`)) || !bytes.Contains(b, []byte(`"retraction_reason":"I misread the budget."`)) {
		t.Fatalf("retracted comment = %s", b)
	}
	b = w.api.do(t, "GET", thread(w.app1), w.tokens["member"], "", 200, true)
	if bytes.Contains(b, []byte("careful")) {
		t.Fatalf("the thread still shows retracted words: %s", b)
	}
	if err := w.env.DB.Exec(`DELETE FROM comments`).Error; err == nil {
		t.Fatal("the database deleted comments")
	}
}

func TestPanelTimeIsForTheStewardAndTheMember(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.seat(t, "member", "member")
	w.seat(t, "recused", "member")
	path := fmt.Sprintf("/api/v1/rounds/%d/panel-time", w.round)
	w.api.do(t, "PUT", path, w.tokens["steward"], fmt.Sprintf(`{"user_id":%d,"hours":3.5,"payment":"amount","amount_minor":7000}`,
		w.people["member"].ID), 201, true)
	w.api.do(t, "PUT", path, w.tokens["steward"], fmt.Sprintf(`{"user_id":%d,"hours":4,"payment":"declined","note":"Protecting benefits."}`,
		w.people["recused"].ID), 201, true)
	w.api.do(t, "PUT", path, w.tokens["steward"], fmt.Sprintf(`{"user_id":%d,"hours":4,"payment":"voucher","amount_minor":100}`,
		w.people["recused"].ID), 422, true)
	w.api.do(t, "PUT", path, w.tokens["steward"], fmt.Sprintf(`{"user_id":%d,"hours":1,"payment":"voucher"}`,
		w.people["public"].ID), 422, true)

	var list struct {
		Total int
		Items []struct {
			UserID int64 `json:"user_id"`
		}
	}
	json.Unmarshal(w.api.do(t, "GET", path, w.tokens["steward"], "", 200, true), &list)
	if list.Total != 2 {
		t.Errorf("the steward sees %d records, want 2", list.Total)
	}
	json.Unmarshal(w.api.do(t, "GET", path, w.tokens["member"], "", 200, true), &list)
	if list.Total != 1 || list.Items[0].UserID != w.people["member"].ID {
		t.Errorf("the member sees %+v, want only their own", list)
	}
	w.api.do(t, "GET", fmt.Sprintf("%s?user_id=%d", path, w.people["recused"].ID), w.tokens["member"], "", 404, true)
	w.api.do(t, "GET", path, w.tokens["public"], "", 403, true)
	w.api.do(t, "GET", path, w.tokens["applicant"], "", 403, true)
	w.api.do(t, "GET", path, "", "", 401, false)
}

func TestPanelPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	steward := w.env.NewBrowser(t)
	steward.SignIn(t, w.people["steward"])

	// The steward seats people from the page.
	for _, who := range []string{"member", "recused", "undeclared"} {
		r := steward.Post(t, fmt.Sprintf("/funds/%d/panel", w.fund), url.Values{"person": {w.people[who].Email},
			"role": {"member"}, "chosen_by": {"nominated"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("seat %s: %d %s", who, r.Status, r.Body)
		}
		w.rolesEventually(t, w.people[who], authz.PanelMember)
	}
	r := steward.Get(t, fmt.Sprintf("/funds/%d/panel", w.fund))
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("Una Undeclared")) {
		t.Fatalf("panel page: %d", r.Status)
	}

	browser := func(who string) *apptest.Browser {
		b := w.env.NewBrowser(t)
		b.SignIn(t, w.people[who])
		return b
	}
	member, recused, undeclared := browser("member"), browser("recused"), browser("undeclared")
	declPath := fmt.Sprintf("/rounds/%d/declarations", w.round)
	r = member.Get(t, declPath)
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("Living in the same neighbourhood is a disclosure, not a bar")) {
		t.Fatalf("declaration form: %d %s", r.Status, r.Body)
	}
	// A disclosure without a note is refused, naming the application.
	k1, n1, k2 := fmt.Sprintf("kind-%d", w.app1), fmt.Sprintf("note-%d", w.app1), fmt.Sprintf("kind-%d", w.app2)
	r = member.Post(t, declPath, url.Values{k1: {"disclosed"}, n1: {""}, k2: {"none"}})
	if r.Status != 422 || !bytes.Contains(r.Body, []byte("Say what the connection is with “Youth kitchen”")) {
		t.Fatalf("declaration without a note: %d %s", r.Status, r.Body)
	}
	if n := w.count(t, `SELECT count(*) FROM declarations`); n != 0 {
		t.Fatalf("%d declarations written by a refused form", n)
	}
	if r = member.Post(t, declPath, url.Values{k1: {"disclosed"}, n1: {"We live on the same estate."}, k2: {"none"}}); r.Status != 303 {
		t.Fatalf("declare: %d %s", r.Status, r.Body)
	}
	if r = recused.Post(t, declPath, url.Values{k1: {"recused"}, n1: {"My sister runs it."}}); r.Status != 303 {
		t.Fatalf("recuse: %d %s", r.Status, r.Body)
	}
	// The steward's table shows every member against every application.
	r = steward.Get(t, declPath)
	for _, want := range []string{"<th scope=\"row\">Rae Recused</th>", "Recused: My sister runs it.", "Not declared yet"} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("the steward's table lacks %q", want)
		}
	}

	disc := fmt.Sprintf("/applications/%d/discussion", w.app1)
	if r = recused.Get(t, disc); r.Status != 403 {
		t.Fatalf("recused member reads the discussion: %d", r.Status)
	}
	if r = recused.Post(t, disc, url.Values{"body": {"Let me say"}}); r.Status != 403 {
		t.Fatalf("recused member posts: %d", r.Status)
	}
	if r = undeclared.Get(t, disc); r.Status != 409 || !bytes.Contains(r.Body, []byte(declPath)) {
		t.Fatalf("undeclared member: %d, no way to the declarations", r.Status)
	}
	if r = member.Post(t, disc, url.Values{"body": {"A careful plan."}}); r.Status != 303 {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	r = member.Get(t, disc)
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("A careful plan.")) || !bytes.Contains(r.Body, []byte("Correct this comment")) {
		t.Fatalf("discussion: %d %s", r.Status, r.Body)
	}
	var id int64
	w.env.DB.Raw(`SELECT id FROM comments`).Scan(&id)
	if r = member.Post(t, fmt.Sprintf("/comments/%d/retract", id), url.Values{"reason": {""}}); r.Status != 422 {
		t.Fatalf("retract without reason: %d", r.Status)
	}
	w.env.DB.Exec(`UPDATE comments SET created_at = now() - interval '11 minutes'`)
	if r = member.Post(t, fmt.Sprintf("/comments/%d/correct", id), url.Values{"body": {"Later."}}); r.Status != 409 {
		t.Fatalf("late correction: %d", r.Status)
	}
	if r = member.Post(t, fmt.Sprintf("/comments/%d/retract", id), url.Values{"reason": {"I misread the budget."}}); r.Status != 303 {
		t.Fatalf("retract: %d %s", r.Status, r.Body)
	}
	r = steward.Get(t, disc)
	if !bytes.Contains(r.Body, []byte("Retracted: I misread the budget.")) || bytes.Contains(r.Body, []byte("A careful plan.")) {
		t.Fatalf("retracted comment on the page: %s", r.Body)
	}

	// Time and payment: the steward records in the fund's currency.
	timePath := fmt.Sprintf("/rounds/%d/panel-time", w.round)
	if r = steward.Post(t, timePath, url.Values{"user_id": {fmt.Sprint(w.people["member"].ID)}, "hours": {"2.5"},
		"payment": {"amount"}, "amount": {"45.50"}}); r.Status != 303 {
		t.Fatalf("record time: %d %s", r.Status, r.Body)
	}
	if r = member.Get(t, timePath); r.Status != 200 || !bytes.Contains(r.Body, []byte("£45.50")) {
		t.Fatalf("the member's time: %d %s", r.Status, r.Body)
	}
	if r = recused.Get(t, timePath); bytes.Contains(r.Body, []byte("£45.50")) {
		t.Fatal("another member sees someone else's payment")
	}
}
