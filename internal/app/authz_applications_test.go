package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/application/applicationtest"
	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
)

// applicationCast is who the applications table speaks for.
var applicationCast = []string{
	"anonymous",
	"user",             // signed in, no role, no organisation
	"member-a",         // member of applicant organisation A
	"member-b",         // member of applicant organisation B
	"steward",          // steward of the fund
	"chair",            // panel chair of the fund, declared "disclosed" on A's application
	"panel",            // panel member, declared "none" on A's and B's applications
	"panel-recused",    // panel member, recused from A's application
	"panel-undeclared", // panel member who has not declared
}

// applicationWorld is the cast and the records of the applications table.
// Placeholders in paths and bodies: {orgA}, {orgB}; rounds {review} (in
// panel review), {open} (accepting, window open), {draft}, {decided};
// applications {appA} and {appB} in the review round, {appA2}…{appA7} of
// organisation A in the open round (one per route that changes them),
// {appDec} in the decided round.
type applicationWorld struct {
	env      *apptest.Env
	people   map[string]user.User
	tokens   map[string]string
	browsers map[string]*apptest.Browser
	ids      map[string]int64
}

func newApplicationWorld(t *testing.T) *applicationWorld {
	env := apptest.New(t)
	w := &applicationWorld{env: env, people: map[string]user.User{}, tokens: map[string]string{},
		browsers: map[string]*apptest.Browser{}, ids: map[string]int64{}}
	for _, name := range applicationCast[1:] {
		w.people[name] = env.CreateUser(t, name)
	}
	db := env.DB
	fundID := applicationtest.Fund(t, db, "Riverside Fund")
	w.ids["orgA"] = env.CreateOrg(t, "Hillside Youth Club", org.Applicant, w.people["member-a"]).ID
	w.ids["orgB"] = env.CreateOrg(t, "Canal Gardeners", org.Applicant, w.people["member-b"]).ID
	domain := authz.FundDomain(fundID)
	env.Grant(t, w.people["steward"], authz.Steward, domain)
	env.Grant(t, w.people["chair"], authz.PanelChair, domain)
	for _, name := range []string{"panel", "panel-recused", "panel-undeclared"} {
		env.Grant(t, w.people[name], authz.PanelMember, domain)
	}

	w.ids["review"] = applicationtest.Round(t, db, fundID, application.RoundReview, applicationtest.ClosedNow())
	w.ids["open"] = applicationtest.Round(t, db, fundID, application.RoundAccepting, applicationtest.OpenNow())
	w.ids["draft"] = applicationtest.Round(t, db, fundID, application.RoundDraft, applicationtest.OpenNow())
	w.ids["decided"] = applicationtest.Round(t, db, fundID, application.RoundDecided, applicationtest.ClosedNow())
	w.ids["appA"] = applicationtest.Application(t, db, w.ids["review"], w.ids["orgA"], "Hillside kitchen")
	w.ids["appB"] = applicationtest.Application(t, db, w.ids["review"], w.ids["orgB"], "Canal-side growing")
	for i := 2; i <= 7; i++ {
		w.ids[fmt.Sprintf("appA%d", i)] = applicationtest.Application(t, db, w.ids["open"], w.ids["orgA"], fmt.Sprintf("Open idea %d", i))
	}
	w.ids["appDec"] = applicationtest.Application(t, db, w.ids["decided"], w.ids["orgA"], "Decided idea")
	applicationtest.Declare(t, db, w.ids["appA"], w.people["panel"].ID, "none")
	applicationtest.Declare(t, db, w.ids["appB"], w.people["panel"].ID, "none")
	applicationtest.Declare(t, db, w.ids["appA"], w.people["chair"].ID, "disclosed")
	applicationtest.Declare(t, db, w.ids["appA"], w.people["panel-recused"].ID, "recused")

	for name, u := range w.people {
		w.tokens[name] = env.Token(t, u)
		b := env.NewBrowser(t)
		b.SignIn(t, u)
		w.browsers[name] = b
	}
	w.browsers["anonymous"] = env.NewBrowser(t)
	return w
}

func (w *applicationWorld) expand(s string) string {
	for k, v := range w.ids {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

func (w *applicationWorld) get(t *testing.T, who, path string) apptest.Response {
	t.Helper()
	return w.env.Do(t, http.MethodGet, w.expand(path), w.tokens[who], nil)
}

// A valid application, as JSON and as a form.
const (
	applyJSON = `{"organisation_id":{orgA},"title":"A garden","explore":"Growing food together.","with_whom":"Neighbours.",` +
		`"how_learn":"Talking monthly.","amount_minor":100000,"budget_summary":"Seeds and tools."}`
	applyForm = "organisation_id={orgA}&title=A+garden&explore=Growing+food+together.&with_whom=Neighbours." +
		"&how_learn=Talking+monthly.&amount=1%2C000.00&minimum=&budget_summary=Seeds+and+tools."
	editForm = "version=1&title=A+bigger+garden&explore=Growing+food+together.&with_whom=Neighbours." +
		"&how_learn=Talking+monthly.&amount=1%2C200&minimum=800&budget_summary=Seeds+and+tools."
)

var applicationRows = map[string][]access{
	"GET /api/v1/rounds/:id/applications": {
		{"anonymous", "/api/v1/rounds/{review}/applications", "", 401},
		{"user", "/api/v1/rounds/{review}/applications", "", 403},
		{"member-a", "/api/v1/rounds/{review}/applications", "", 200}, // their own only (see TestApplicationVisibility)
		{"member-b", "/api/v1/rounds/{review}/applications", "", 200},
		{"steward", "/api/v1/rounds/{review}/applications", "", 200},
		{"chair", "/api/v1/rounds/{review}/applications", "", 200},
		{"panel", "/api/v1/rounds/{review}/applications", "", 200},
		{"panel-recused", "/api/v1/rounds/{review}/applications", "", 200},
		{"panel-undeclared", "/api/v1/rounds/{review}/applications", "", 200}, // titles, to declare on
		{"panel", "/api/v1/rounds/{open}/applications", "", 403},              // not before review
		{"steward", "/api/v1/rounds/{draft}/applications", "", 200},
		{"member-a", "/api/v1/rounds/{draft}/applications", "", 404},
		{"user", "/api/v1/rounds/999999/applications", "", 404},
	},
	"POST /api/v1/rounds/:id/applications": {
		{"anonymous", "/api/v1/rounds/{open}/applications", applyJSON, 401},
		{"user", "/api/v1/rounds/{open}/applications", applyJSON, 403},
		{"member-b", "/api/v1/rounds/{open}/applications", applyJSON, 403}, // for another organisation
		{"steward", "/api/v1/rounds/{open}/applications", applyJSON, 403},
		{"panel", "/api/v1/rounds/{open}/applications", applyJSON, 403},
		{"member-a", "/api/v1/rounds/{open}/applications", applyJSON, 201},
		{"member-a", "/api/v1/rounds/{review}/applications", applyJSON, 409},
		{"member-a", "/api/v1/rounds/{decided}/applications", applyJSON, 409},
		{"member-a", "/api/v1/rounds/{draft}/applications", applyJSON, 404},
		{"member-a", "/api/v1/rounds/{open}/applications", strings.Replace(applyJSON, `"A garden"`, `""`, 1), 422},
	},
	"GET /api/v1/applications/:id": {
		{"anonymous", "/api/v1/applications/{appA}", "", 401},
		{"user", "/api/v1/applications/{appA}", "", 404},
		{"member-b", "/api/v1/applications/{appA}", "", 404}, // another organisation's
		{"member-a", "/api/v1/applications/{appA}", "", 200},
		{"steward", "/api/v1/applications/{appA}", "", 200},
		{"chair", "/api/v1/applications/{appA}", "", 200},         // disclosed
		{"panel", "/api/v1/applications/{appA}", "", 200},         // no conflict
		{"panel-recused", "/api/v1/applications/{appA}", "", 200}, // title and organisation only
		{"panel-undeclared", "/api/v1/applications/{appA}", "", 409},
		{"panel", "/api/v1/applications/{appA2}", "", 403}, // round still accepting
		{"member-a", "/api/v1/applications/999999", "", 404},
	},
	"PATCH /api/v1/applications/:id": {
		{"anonymous", "/api/v1/applications/{appA2}", `{"version":1,"title":"New"}`, 401},
		{"user", "/api/v1/applications/{appA2}", `{"version":1,"title":"New"}`, 404},
		{"member-b", "/api/v1/applications/{appA2}", `{"version":1,"title":"New"}`, 404},
		{"steward", "/api/v1/applications/{appA2}", `{"version":1,"title":"New"}`, 403},
		{"panel", "/api/v1/applications/{appA2}", `{"version":1,"title":"New"}`, 403},
		{"member-a", "/api/v1/applications/{appA2}", `{"version":1,"title":"New"}`, 200},
		{"member-a", "/api/v1/applications/{appA2}", `{"version":1,"title":"Newer"}`, 412}, // stale
		{"member-a", "/api/v1/applications/{appA2}", `{"version":2,"explore":""}`, 422},
		{"member-a", "/api/v1/applications/{appA}", `{"version":1,"title":"Late"}`, 409}, // window closed
	},
	"POST /api/v1/applications/:id/withdraw": {
		{"anonymous", "/api/v1/applications/{appA3}/withdraw", "", 401},
		{"user", "/api/v1/applications/{appA3}/withdraw", "", 404},
		{"member-b", "/api/v1/applications/{appA3}/withdraw", "", 404},
		{"steward", "/api/v1/applications/{appA3}/withdraw", "", 403},
		{"member-a", "/api/v1/applications/{appA3}/withdraw", "", 200},
		{"member-a", "/api/v1/applications/{appA3}/withdraw", "", 409},  // already withdrawn
		{"member-a", "/api/v1/applications/{appDec}/withdraw", "", 409}, // round decided
	},
	"POST /api/v1/applications/:id/ineligible": {
		{"anonymous", "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`, 401},
		{"user", "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`, 404},
		{"member-b", "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`, 404},
		{"member-a", "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`, 403},
		{"panel", "/api/v1/applications/{appA}/ineligible", `{"reason":"Outside the area."}`, 403},
		{"chair", "/api/v1/applications/{appA}/ineligible", `{"reason":"Outside the area."}`, 403},
		{"steward", "/api/v1/applications/{appA4}/ineligible", `{}`, 422},
		{"steward", "/api/v1/applications/{appA4}/ineligible", `{"reason":"  "}`, 422},
		{"steward", "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`, 200},
		{"steward", "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`, 409},
		{"steward", "/api/v1/applications/{appDec}/ineligible", `{"reason":"Outside the area."}`, 409},
	},
	"GET /api/v1/me/applications": {
		{"anonymous", "/api/v1/me/applications", "", 401},
		{"user", "/api/v1/me/applications", "", 200},
		{"member-a", "/api/v1/me/applications", "", 200},
		{"steward", "/api/v1/me/applications", "", 200},
	},

	// Pages: anonymous visitors are sent to sign in (303).
	"GET /rounds/:id/apply": {
		{"anonymous", "/rounds/{open}/apply", "", 303},
		{"user", "/rounds/{open}/apply", "", 403}, // no applicant organisation
		{"steward", "/rounds/{open}/apply", "", 403},
		{"member-a", "/rounds/{open}/apply", "", 200},
		{"member-a", "/rounds/{review}/apply", "", 409},
		{"member-a", "/rounds/{draft}/apply", "", 404},
	},
	"POST /rounds/:id/apply": {
		{"anonymous", "/rounds/{open}/apply", applyForm, 303},
		{"user", "/rounds/{open}/apply", applyForm, 403},
		{"member-b", "/rounds/{open}/apply", applyForm, 422}, // organisation A is not theirs to choose
		{"member-a", "/rounds/{open}/apply", applyForm, 303},
		{"member-a", "/rounds/{open}/apply", strings.Replace(applyForm, "amount=1%2C000.00", "amount=lots", 1), 422},
		{"member-a", "/rounds/{review}/apply", applyForm, 409},
	},
	"GET /applications/:id": {
		{"anonymous", "/applications/{appA}", "", 303},
		{"user", "/applications/{appA}", "", 404},
		{"member-b", "/applications/{appA}", "", 404},
		{"member-a", "/applications/{appA}", "", 200},
		{"steward", "/applications/{appA}", "", 200},
		{"chair", "/applications/{appA}", "", 200},
		{"panel", "/applications/{appA}", "", 200},
		{"panel-recused", "/applications/{appA}", "", 200},    // a note, title and organisation
		{"panel-undeclared", "/applications/{appA}", "", 303}, // to the declaration form
		{"panel", "/applications/{appA2}", "", 403},
	},
	"GET /applications/:id/edit": {
		{"anonymous", "/applications/{appA5}/edit", "", 303},
		{"user", "/applications/{appA5}/edit", "", 404},
		{"member-b", "/applications/{appA5}/edit", "", 404},
		{"steward", "/applications/{appA5}/edit", "", 403},
		{"member-a", "/applications/{appA5}/edit", "", 200},
		{"member-a", "/applications/{appA}/edit", "", 409}, // window closed
	},
	"POST /applications/:id/edit": {
		{"anonymous", "/applications/{appA5}/edit", editForm, 303},
		{"member-b", "/applications/{appA5}/edit", editForm, 404},
		{"steward", "/applications/{appA5}/edit", editForm, 403},
		{"member-a", "/applications/{appA5}/edit", editForm, 303},
		{"member-a", "/applications/{appA5}/edit", editForm, 412}, // version 1 is stale now
		{"member-a", "/applications/{appA5}/edit", strings.NewReplacer("version=1", "version=2", "title=A+bigger+garden", "title=").Replace(editForm), 422},
	},
	"GET /applications/:id/withdraw": {
		{"anonymous", "/applications/{appA6}/withdraw", "", 303},
		{"user", "/applications/{appA6}/withdraw", "", 404},
		{"steward", "/applications/{appA6}/withdraw", "", 403},
		{"member-a", "/applications/{appA6}/withdraw", "", 200},
		{"member-a", "/applications/{appDec}/withdraw", "", 409},
	},
	"POST /applications/:id/withdraw": {
		{"anonymous", "/applications/{appA6}/withdraw", "", 303},
		{"member-b", "/applications/{appA6}/withdraw", "", 404},
		{"steward", "/applications/{appA6}/withdraw", "", 403},
		{"member-a", "/applications/{appA6}/withdraw", "", 303},
		{"member-a", "/applications/{appA6}/withdraw", "", 409},
	},
	"POST /applications/:id/ineligible": {
		{"anonymous", "/applications/{appA7}/ineligible", "reason=Outside", 303},
		{"user", "/applications/{appA7}/ineligible", "reason=Outside", 404},
		{"member-a", "/applications/{appA7}/ineligible", "reason=Outside", 403},
		{"panel", "/applications/{appA}/ineligible", "reason=Outside", 403},
		{"steward", "/applications/{appA7}/ineligible", "reason=", 422},
		{"steward", "/applications/{appA7}/ineligible", "reason=Outside+the+area.", 303},
		{"steward", "/applications/{appA7}/ineligible", "reason=Outside+the+area.", 409},
	},
	"GET /my/applications": {
		{"anonymous", "/my/applications", "", 303},
		{"user", "/my/applications", "", 200},
		{"member-a", "/my/applications", "", 200},
	},
}

func init() { registerArea("applications", applicationRows) }

func TestApplicationsAuthorization(t *testing.T) {
	w := newApplicationWorld(t)
	// runTable expands paths; bodies carry ids too, so expand them first.
	rows := map[string][]access{}
	for k, rs := range applicationRows {
		for _, r := range rs {
			r.body = w.expand(r.body)
			rows[k] = append(rows[k], r)
		}
	}
	runTable(t, w.env, rows, w.expand, w.tokens, w.browsers)
}

// TestApplicationVisibility checks by content, not status alone, that
// nobody sees more of an application than they may.
func TestApplicationVisibility(t *testing.T) {
	w := newApplicationWorld(t)
	v := newAPIValidator(t)
	titleA, titleB := "Hillside kitchen", "Canal-side growing"

	t.Run("applicant-lists-own-only", func(t *testing.T) {
		r := w.get(t, "member-a", "/api/v1/rounds/{review}/applications")
		v.check(t, w, http.MethodGet, "/api/v1/rounds/{review}/applications", "member-a", "", r)
		var list struct {
			Items []application.Summary
			Total int
		}
		r.JSON(t, &list)
		if list.Total != 1 || len(list.Items) != 1 || list.Items[0].Title != titleA || bytes.Contains(r.Body, []byte(titleB)) {
			t.Fatalf("organisation A's list: %s", r.Body)
		}
		r = w.get(t, "member-a", "/api/v1/me/applications")
		v.check(t, w, http.MethodGet, "/api/v1/me/applications", "member-a", "", r)
		if bytes.Contains(r.Body, []byte(titleB)) || !bytes.Contains(r.Body, []byte(titleA)) || r.Header.Get("X-Total-Count") != "8" {
			t.Fatalf("organisation A's own list: %s", r.Body)
		}
	})
	t.Run("applicant-cannot-read-other-organisation", func(t *testing.T) {
		r := w.get(t, "member-b", "/api/v1/applications/{appA}")
		if r.Status != http.StatusNotFound || bytes.Contains(r.Body, []byte(titleA)) || bytes.Contains(r.Body, []byte("Hillside")) {
			t.Fatalf("member of B reading A's application: %d %s", r.Status, r.Body)
		}
		page := w.browsers["member-b"].Get(t, w.expand("/applications/{appA}"))
		if page.Status != http.StatusNotFound || bytes.Contains(page.Body, []byte(titleA)) {
			t.Fatalf("member of B reading A's application page: %d", page.Status)
		}
		page = w.browsers["member-b"].Get(t, "/my/applications")
		if bytes.Contains(page.Body, []byte(titleA)) || !bytes.Contains(page.Body, []byte(titleB)) {
			t.Fatalf("member of B's list page shows the wrong applications")
		}
	})
	t.Run("applicant-reads-own-in-full", func(t *testing.T) {
		r := w.get(t, "member-a", "/api/v1/applications/{appA}")
		v.check(t, w, http.MethodGet, "/api/v1/applications/{appA}", "member-a", "", r)
		var a map[string]any
		r.JSON(t, &a)
		if a["explore"] == nil || a["title"] != titleA || a["currency"] != "GBP" {
			t.Fatalf("applicant's view: %s", r.Body)
		}
	})
	t.Run("recused-sees-title-and-organisation-only", func(t *testing.T) {
		r := w.get(t, "panel-recused", "/api/v1/applications/{appA}")
		v.check(t, w, http.MethodGet, "/api/v1/applications/{appA}", "panel-recused", "", r)
		var a map[string]any
		r.JSON(t, &a)
		keys := make([]string, 0, len(a))
		for k := range a {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"id", "organisation_name", "recused", "title"}) || a["recused"] != true ||
			a["title"] != titleA || a["organisation_name"] != "Hillside Youth Club" {
			t.Fatalf("recused view: %s", r.Body)
		}
		for _, secret := range []string{"explore", "with_whom", "how_learn", "amount", "budget", "shared kitchen"} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Fatalf("recused view holds %q: %s", secret, r.Body)
			}
		}
		page := w.browsers["panel-recused"].Get(t, w.expand("/applications/{appA}"))
		if page.Status != http.StatusOK || !bytes.Contains(page.Body, []byte("stepped aside")) ||
			!bytes.Contains(page.Body, []byte(titleA)) || bytes.Contains(page.Body, []byte("shared kitchen")) ||
			bytes.Contains(page.Body, []byte("£5,000")) {
			t.Fatalf("recused page: %d %s", page.Status, page.Body)
		}
	})
	t.Run("declared-panel-reads-in-full", func(t *testing.T) {
		for who, kind := range map[string]string{"panel": "none", "chair": "disclosed"} {
			r := w.get(t, who, "/api/v1/applications/{appA}")
			v.check(t, w, http.MethodGet, "/api/v1/applications/{appA}", who, "", r)
			var a map[string]any
			r.JSON(t, &a)
			if a["explore"] == nil || a["declaration"] != kind || a["recused"] != nil {
				t.Fatalf("%s's view: %s", who, r.Body)
			}
		}
		page := w.browsers["panel"].Get(t, w.expand("/applications/{appA}"))
		if !bytes.Contains(page.Body, []byte("shared kitchen")) || !bytes.Contains(page.Body, []byte("£5,000.00")) {
			t.Fatalf("panel page lacks the details: %s", page.Body)
		}
	})
	t.Run("undeclared-panel-must-declare", func(t *testing.T) {
		r := w.get(t, "panel-undeclared", "/api/v1/applications/{appA}")
		v.check(t, w, http.MethodGet, "/api/v1/applications/{appA}", "panel-undeclared", "", r)
		if r.Status != http.StatusConflict || !bytes.Contains(r.Body, []byte("declare any conflict of interest first")) ||
			bytes.Contains(r.Body, []byte("shared kitchen")) {
			t.Fatalf("undeclared: %d %s", r.Status, r.Body)
		}
		page := w.browsers["panel-undeclared"].Get(t, w.expand("/applications/{appA}"))
		if loc := page.Header.Get("Location"); page.Status != http.StatusSeeOther || loc != w.expand("/rounds/{review}/declarations") {
			t.Fatalf("undeclared page: %d to %q", page.Status, loc)
		}
	})
	t.Run("panel-list-carries-own-declarations", func(t *testing.T) {
		r := w.get(t, "panel-recused", "/api/v1/rounds/{review}/applications")
		v.check(t, w, http.MethodGet, "/api/v1/rounds/{review}/applications", "panel-recused", "", r)
		var list struct{ Items []map[string]any }
		r.JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0]["declaration"] != "recused" || list.Items[1]["declaration"] != application.Undeclared ||
			list.Items[0]["amount_minor"] != nil || list.Items[0]["organisation_name"] != "Hillside Youth Club" {
			t.Fatalf("panel list: %s", r.Body)
		}
		r = w.get(t, "steward", "/api/v1/rounds/{review}/applications")
		v.check(t, w, http.MethodGet, "/api/v1/rounds/{review}/applications", "steward", "", r)
		if !bytes.Contains(r.Body, []byte(titleA)) || !bytes.Contains(r.Body, []byte(titleB)) || bytes.Contains(r.Body, []byte("declaration")) {
			t.Fatalf("steward list: %s", r.Body)
		}
	})
	t.Run("word-limit-422-names-field-writes-nothing", func(t *testing.T) {
		before := countApplications(t, w)
		body := strings.Replace(w.expand(applyJSON), `"Growing food together."`, `"`+strings.Repeat("word ", 262)+`word"`, 1)
		r := w.env.Do(t, http.MethodPost, w.expand("/api/v1/rounds/{open}/applications"), w.tokens["member-a"], body)
		v.check(t, w, http.MethodPost, "/api/v1/rounds/{open}/applications", "member-a", body, r)
		var p httpapi.Problem
		r.JSON(t, &p)
		if r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "explore" ||
			p.Errors[0].Message != "must be at most 250 words (this has 263)" {
			t.Fatalf("word limit: %d %s", r.Status, r.Body)
		}
		if after := countApplications(t, w); after != before {
			t.Fatalf("applications %d → %d", before, after)
		}
		// The page says the same, next to the field, and keeps the text.
		form := strings.Replace(w.expand(applyForm), "explore=Growing+food+together.", "explore="+strings.Repeat("word+", 262)+"word", 1)
		vals, _ := url.ParseQuery(form)
		page := w.browsers["member-a"].Post(t, w.expand("/rounds/{open}/apply"), vals)
		if page.Status != http.StatusUnprocessableEntity ||
			!bytes.Contains(page.Body, []byte("What you want to explore must be at most 250 words (this has 263)")) ||
			!bytes.Contains(page.Body, []byte(`id="explore-error"`)) || !bytes.Contains(page.Body, []byte("263 of 250 words: 13 too many")) {
			t.Fatalf("apply page with too many words: %d %s", page.Status, page.Body)
		}
		if after := countApplications(t, w); after != before {
			t.Fatalf("applications %d → %d", before, after)
		}
	})
	t.Run("changes-match-the-document", func(t *testing.T) {
		for _, x := range []struct{ who, method, path, body string }{
			{"member-a", http.MethodPost, "/api/v1/rounds/{open}/applications", applyJSON},
			{"member-a", http.MethodPatch, "/api/v1/applications/{appA2}", `{"version":1,"title":"New","minimum_minor":null}`},
			{"member-a", http.MethodPatch, "/api/v1/applications/{appA2}", `{"version":1,"title":"Newer"}`},
			{"member-a", http.MethodPost, "/api/v1/applications/{appA3}/withdraw", ""},
			{"steward", http.MethodPost, "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`},
			{"steward", http.MethodPost, "/api/v1/applications/{appA4}/ineligible", `{"reason":"Outside the area."}`},
			{"member-a", http.MethodGet, "/api/v1/applications/{appA4}", ""},
		} {
			body := w.expand(x.body)
			var payload any
			if body != "" {
				payload = body
			}
			r := w.env.Do(t, x.method, w.expand(x.path), w.tokens[x.who], payload)
			v.check(t, w, x.method, x.path, x.who, body, r)
		}
		r := w.get(t, "member-a", "/api/v1/applications/{appA4}")
		if !bytes.Contains(r.Body, []byte(`"ineligible_reason":"Outside the area."`)) {
			t.Fatalf("the applicant does not see the reason: %s", r.Body)
		}
		page := w.browsers["member-a"].Get(t, w.expand("/applications/{appA4}"))
		if !bytes.Contains(page.Body, []byte("Outside the area.")) || bytes.Contains(page.Body, []byte(`action="/applications/`)) {
			t.Fatalf("the applicant's page: %s", page.Body)
		}
	})
}

func countApplications(t *testing.T, w *applicationWorld) int64 {
	t.Helper()
	var n int64
	if err := w.env.DB.Raw(`SELECT count(*) FROM applications`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// apiValidator checks responses against the OpenAPI document in strict
// mode, so a field the document does not declare fails.
type apiValidator struct{ v validator.Validator }

func newAPIValidator(t *testing.T) apiValidator {
	t.Helper()
	doc, err := libopenapi.NewDocument(httpapi.OpenAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithStrictMode(),
		config.WithStrictIgnoredHeadersExtra("content-security-policy", "x-content-type-options",
			"x-frame-options", "referrer-policy", "cross-origin-opener-policy",
			"strict-transport-security", "set-cookie"))
	if len(errs) > 0 {
		t.Fatalf("build the validator: %v", errs)
	}
	return apiValidator{v}
}

func (a apiValidator) check(t *testing.T, w *applicationWorld, method, path, who, body string, r apptest.Response) {
	t.Helper()
	full := w.env.URL + w.expand(path)
	req, err := http.NewRequest(method, full, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+w.tokens[who])
	resp := &http.Response{StatusCode: r.Status, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)), Request: req}
	if ok, errs := a.v.ValidateHttpResponse(req, resp); !ok {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message+": "+e.Reason)
			for _, se := range e.SchemaValidationErrors {
				msgs = append(msgs, "  "+se.Reason+" at "+se.FieldPath)
			}
		}
		t.Errorf("%s %s as %s → %d does not match the document:\n%s\n%s", method, path, who, r.Status, strings.Join(msgs, "\n"), r.Body)
	}
}
