package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/application/applicationtest"
)

type dialogueJSON struct {
	ID      int64 `json:"id"`
	Sources []struct {
		AccountID    int64  `json:"account_id"`
		SectionKey   string `json:"section_key"`
		SectionTitle string `json:"section_title"`
	} `json:"sources"`
	Earlier *struct {
		OpenActions []struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"open_actions"`
	} `json:"earlier"`
	Actions []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	} `json:"actions"`
	Issues []struct {
		ID     int64   `json:"id"`
		Answer *string `json:"answer"`
	} `json:"issues"`
}

func (dc *dialogueCast) getDialogue(t *testing.T, who string, id int64) (dialogueJSON, int) {
	t.Helper()
	r := dc.env.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/dialogues/%d", id), dc.tokens[who], nil)
	var d dialogueJSON
	if r.Status == http.StatusOK {
		r.JSON(t, &d)
	}
	return d, r.Status
}

func (dc *dialogueCast) post(t *testing.T, who, method, path, body string, want int) []byte {
	t.Helper()
	r := dc.env.Do(t, method, dc.expand(path), dc.tokens[who], dc.expand(body))
	if r.Status != want {
		t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, who, r.Status, want, r.Body)
	}
	return r.Body
}

// TestDialogueNeverWidensSight: a steward convenes a dialogue citing a
// section of grantee B's account shared only with the funder and partner,
// one B shares with peers, and one of A's shared only with the funder.
// Each participant is shown only the sources they could read anyway — in
// the JSON and on the page — and never learns that the others exist.
func TestDialogueNeverWidensSight(t *testing.T) {
	dc := newDialogueCast(t)
	body := dc.post(t, "steward-in", http.MethodPost, "/api/v1/funds/{fund}/dialogues",
		`{"purpose":"What do the accounts tell us?","meets_on":"2027-01-10","invitees":[{convener-id},{accepted-id},{invited-id}],
		"sources":[{"account_id":{accB},"section_key":"what_we_need"},{"account_id":{accB},"section_key":"what_we_learnt"},
		{"account_id":{accA},"section_key":"not_as_hoped"}]}`, http.StatusCreated)
	var created dialogueJSON
	if err := json.Unmarshal(body, &created); err != nil || len(created.Sources) != 3 {
		t.Fatalf("the steward should see all three sources: %s", body)
	}
	titles := map[string]string{}
	for _, s := range created.Sources {
		titles[fmt.Sprintf("%d/%s", s.AccountID, s.SectionKey)] = s.SectionTitle
	}
	privB, peersB, privA := dc.vars["{accB}"]+"/what_we_need", dc.vars["{accB}"]+"/what_we_learnt", dc.vars["{accA}"]+"/not_as_hoped"
	want := map[string][]string{
		"convener":   {peersB, privA}, // grantee A: a peer of B, and A's own account
		"accepted":   {privB, peersB}, // grantee B: their own account, not A's private section
		"invited":    {peersB},        // the panel: what is shared with peers
		"steward-in": {privB, peersB, privA},
	}
	for who, sees := range want {
		got, status := dc.getDialogue(t, who, created.ID)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", who, status)
		}
		var keys []string
		for _, s := range got.Sources {
			keys = append(keys, fmt.Sprintf("%d/%s", s.AccountID, s.SectionKey))
		}
		if strings.Join(keys, " ") != strings.Join(sees, " ") {
			t.Errorf("%s sees sources %v, want %v", who, keys, sees)
		}
		page := dc.browsers[who].Get(t, fmt.Sprintf("/dialogues/%d", created.ID))
		if page.Status != http.StatusOK {
			t.Fatalf("%s page: %d", who, page.Status)
		}
		html := string(page.Body)
		for key, title := range titles {
			shown := contains(sees, key)
			// A section is named on the page by its title after the
			// organisation and period; look for "…: Title</li>".
			if has := strings.Contains(html, ": "+htmlText(title)+"</li>"); has != shown && title != "" {
				t.Errorf("%s's page shows %s (%q): %v, want %v", who, key, title, has, shown)
			}
		}
		for _, mark := range []string{markPrivateA, markPrivateB} {
			if strings.Contains(html, htmlText(mark)) {
				t.Errorf("%s's page holds an account's words: %q", who, mark)
			}
		}
	}
	// The one who may not read B's private section cannot cite it either,
	// and is told the same as for an account that does not exist.
	for _, src := range []string{privB, "999999"} {
		id, key, _ := strings.Cut(src, "/")
		r := dc.env.Do(t, http.MethodPost, "/api/v1/funds/"+dc.vars["{fund}"]+"/dialogues", dc.tokens["convener"],
			fmt.Sprintf(`{"purpose":"p","meets_on":"2027-01-01","sources":[{"account_id":%s,"section_key":%q}]}`, id, key))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"sources[0]"`) ||
			!strings.Contains(string(r.Body), "that you can read") {
			t.Errorf("citing %s: %d %s", src, r.Status, r.Body)
		}
	}
}

// TestOnlyThoseTakingPartKnowADialogue: declined, never invited, a
// steward not taking part and people of another fund get 404 from every
// route of the dialogue, API and pages alike.
func TestOnlyThoseTakingPartKnowADialogue(t *testing.T) {
	dc := newDialogueCast(t)
	for _, who := range []string{"declined", "peer", "steward", "other-fund", "user"} {
		for _, path := range []string{"/api/v1/dialogues/{d}", "/api/v1/dialogues/{d}/notes"} {
			if r := dc.env.Do(t, http.MethodGet, dc.expand(path), dc.tokens[who], nil); r.Status != http.StatusNotFound {
				t.Errorf("GET %s as %s: %d", path, who, r.Status)
			}
		}
		for _, path := range []string{"/dialogues/{d}", "/dialogues/{d}/notes"} {
			if r := dc.browsers[who].Get(t, dc.expand(path)); r.Status != http.StatusNotFound {
				t.Errorf("page %s as %s: %d", path, who, r.Status)
			}
		}
		for _, w := range []struct{ method, path, body string }{
			{http.MethodPut, "/api/v1/dialogues/{d}/notes", `{"version":0,"body":"x"}`},
			{http.MethodPost, "/api/v1/dialogues/{d}/actions", `{"what":"x","owner_id":{convener-id}}`},
			{http.MethodPost, "/api/v1/dialogues/{d}/issues", `{"body":"x"}`},
			{http.MethodPost, "/api/v1/dialogues/{d}/participants", `{"invitees":[{partner2-id}]}`},
			{http.MethodPatch, "/api/v1/actions/{act}", `{"version":1,"status":"done"}`},
		} {
			if r := dc.env.Do(t, w.method, dc.expand(w.path), dc.tokens[who], dc.expand(w.body)); r.Status != http.StatusNotFound {
				t.Errorf("%s %s as %s: %d %s", w.method, w.path, who, r.Status, r.Body)
			}
		}
		for _, w := range []struct{ path, form string }{
			{"/dialogues/{d}/notes", "version=0&body=x"},
			{"/dialogues/{d}/issues", "body=x"},
			{"/actions/{act}", "version=1&status=done"},
		} {
			form, _ := url.ParseQuery(dc.expand(w.form))
			if r := dc.browsers[who].Post(t, dc.expand(w.path), form); r.Status != http.StatusNotFound {
				t.Errorf("page POST %s as %s: %d", w.path, who, r.Status)
			}
		}
		// Nor is it listed for them.
		r := dc.env.Do(t, http.MethodGet, dc.expand("/api/v1/funds/{fund}/dialogues"), dc.tokens[who], nil)
		if strings.Contains(string(r.Body), "How do we hear young people?") {
			t.Errorf("%s's list names the dialogue: %s", who, r.Body)
		}
	}
}

// TestFollowUpCarriesOpenActions: a follow-up opens with the earlier
// dialogue's actions still open — the same rows: someone taking part only
// in the follow-up may close one, and it is closed in the earlier dialogue
// at once, which they still cannot read.
func TestFollowUpCarriesOpenActions(t *testing.T) {
	dc := newDialogueCast(t)
	dc.post(t, "accepted", http.MethodPatch, "/api/v1/actions/{act2}", `{"version":1,"status":"dropped","dropped_reason":"Nobody wanted a survey."}`, http.StatusOK)
	body := dc.post(t, "convener", http.MethodPost, "/api/v1/funds/{fund}/dialogues",
		`{"purpose":"Where did the rota get to?","meets_on":"2027-02-01","invitees":[{peer-id}],"follows_up":{d}}`, http.StatusCreated)
	var fu dialogueJSON
	if err := json.Unmarshal(body, &fu); err != nil || fu.Earlier == nil || len(fu.Earlier.OpenActions) != 1 ||
		fmt.Sprint(fu.Earlier.OpenActions[0].ID) != dc.vars["{act}"] {
		t.Fatalf("follow-up: %s", body)
	}
	page := dc.browsers["peer"].Get(t, fmt.Sprintf("/dialogues/%d", fu.ID))
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "Share the cooking rota") ||
		strings.Contains(string(page.Body), "Try a survey") {
		t.Fatalf("the follow-up page as the peer: %d", page.Status)
	}
	// Invited but not yet taking part: may not change it.
	dc.post(t, "peer", http.MethodPatch, "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, http.StatusForbidden)
	dc.post(t, "peer", http.MethodPost, fmt.Sprintf("/api/v1/dialogues/%d/response", fu.ID), `{"status":"accepted"}`, http.StatusNoContent)
	dc.post(t, "peer", http.MethodPatch, "/api/v1/actions/{act}", `{"version":1,"status":"done"}`, http.StatusOK)
	after, _ := dc.getDialogue(t, "peer", fu.ID)
	if after.Earlier == nil || len(after.Earlier.OpenActions) != 0 {
		t.Fatalf("the closed action is still open in the follow-up: %+v", after.Earlier)
	}
	earlier, status := dc.getDialogue(t, "convener", dialogueID(t, dc.vars["{d}"]))
	found := false
	for _, a := range earlier.Actions {
		if fmt.Sprint(a.ID) == dc.vars["{act}"] {
			found = true
			if a.Status != "done" {
				t.Fatalf("the earlier dialogue still shows %s", a.Status)
			}
		}
	}
	if status != http.StatusOK || !found {
		t.Fatalf("the earlier dialogue as its convener: %d, the action among its actions: %v", status, found)
	}
	if _, status := dc.getDialogue(t, "peer", dialogueID(t, dc.vars["{d}"])); status != http.StatusNotFound {
		t.Fatalf("the peer reads the earlier dialogue: %d", status)
	}
	// Someone who never took part in {d} cannot follow it up.
	dc.post(t, "peer", http.MethodPost, "/api/v1/funds/{fund}/dialogues", `{"purpose":"p","meets_on":"2027-03-01","follows_up":{d}}`,
		http.StatusUnprocessableEntity)
}

// TestIssuesAnsweredByStewardsOnce: an issue passed up is answered by a
// steward of the fund, once; the stewards' list shows the issue with the
// dialogue's purpose and date, never the notes.
func TestIssuesAnsweredByStewardsOnce(t *testing.T) {
	dc := newDialogueCast(t)
	const secret = "NOTES-ONLY: we are worried about the treasurer."
	dc.post(t, "accepted", http.MethodPut, "/api/v1/dialogues/{d}/notes", fmt.Sprintf(`{"version":0,"body":%q}`, secret), http.StatusOK)
	body := dc.post(t, "accepted", http.MethodPost, "/api/v1/dialogues/{d}/issues", `{"body":"Could the forms be shorter?"}`, http.StatusCreated)
	var is struct{ ID int64 }
	if err := json.Unmarshal(body, &is); err != nil {
		t.Fatal(err)
	}
	answer := fmt.Sprintf("/api/v1/issues/%d/answer", is.ID)
	for _, who := range []string{"convener", "accepted", "invited", "declined", "peer", "other-fund", "user"} {
		dc.post(t, who, http.MethodPost, answer, `{"answer":"Yes"}`, http.StatusForbidden)
	}
	dc.post(t, "anonymous", http.MethodPost, answer, `{"answer":"Yes"}`, http.StatusUnauthorized)
	for _, who := range []string{"steward", "steward-in"} {
		list := dc.post(t, who, http.MethodGet, "/api/v1/funds/{fund}/issues", "", http.StatusOK)
		if !strings.Contains(string(list), "Could the forms be shorter?") || !strings.Contains(string(list), "How do we hear young people?") ||
			strings.Contains(string(list), "NOTES-ONLY") {
			t.Fatalf("stewards' list as %s: %s", who, list)
		}
		page := dc.browsers[who].Get(t, dc.expand("/funds/{fund}/issues"))
		if page.Status != http.StatusOK || strings.Contains(string(page.Body), "NOTES-ONLY") ||
			!strings.Contains(string(page.Body), "Could the forms be shorter?") {
			t.Fatalf("stewards' page as %s: %d", who, page.Status)
		}
	}
	dc.post(t, "steward", http.MethodPost, answer, `{"answer":"Yes: one page from April."}`, http.StatusOK)
	dc.post(t, "steward-in", http.MethodPost, answer, `{"answer":"And again"}`, http.StatusConflict)
	form, _ := url.ParseQuery("answer=Once+more")
	if r := dc.browsers["steward"].Post(t, fmt.Sprintf("/issues/%d/answer", is.ID), form); r.Status != http.StatusConflict {
		t.Fatalf("answering again on the page: %d", r.Status)
	}
	d, _ := dc.getDialogue(t, "invited", dialogueID(t, dc.vars["{d}"]))
	found := false
	for _, i := range d.Issues {
		if i.ID == is.ID {
			found = i.Answer != nil && *i.Answer == "Yes: one page from April."
		}
	}
	if !found {
		t.Fatalf("the answer is not in the dialogue: %+v", d.Issues)
	}
	if n := auditEvents(t, dc, "dialogue.issue.answer"); n != 1 {
		t.Fatalf("answers audited: %d", n)
	}
}

func auditEvents(t *testing.T, dc *dialogueCast, action string) int64 {
	t.Helper()
	var n int64
	if err := dc.env.DB.Raw(`SELECT count(*) FROM audit_events WHERE action = ?`, action).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func dialogueID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestActionFormNeverOpensAnotherFundsDialogue: the action form says which
// dialogue to go back to ("from"), and a refused change shows that
// dialogue in full. Someone still listed in a dialogue of another fund,
// where they hold no role, must not be shown it that way.
func TestActionFormNeverOpensAnotherFundsDialogue(t *testing.T) {
	dc := newDialogueCast(t)
	db := dc.env.DB
	other := applicationtest.Fund(t, db, "Hillside Fund")
	var elsewhere int64
	if err := db.Raw(`INSERT INTO dialogues (fund_id, convened_by, purpose, meets_on) VALUES (?, ?, 'SECRET: the other fund''s dialogue', current_date)
		RETURNING id`, other, dc.id("other-fund")).Scan(&elsewhere).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO dialogue_participants (dialogue_id, user_id, status) VALUES (?, ?, 'convener'), (?, ?, 'accepted')`,
		elsewhere, dc.id("other-fund"), elsewhere, dc.id("accepted")).Error; err != nil {
		t.Fatal(err)
	}
	r := dc.browsers["accepted"].Post(t, dc.expand("/actions/{act2}"), url.Values{"version": {"1"}, "status": {"dropped"},
		"dropped_reason": {""}, "from": {fmt.Sprint(elsewhere)}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("dropping without a reason: %d", r.Status)
	}
	if body := string(r.Body); strings.Contains(body, "SECRET") || !strings.Contains(body, "Try a survey") {
		t.Errorf("the refused change shows the wrong dialogue:\n%s", body)
	}
}
