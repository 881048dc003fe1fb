package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
)

// TestErrorPagesSpeakPlainly: a page that fails says what went wrong in
// words, lists the fields at fault one by one, and never shows the API's
// one-line "invalid input: …".
func TestErrorPagesSpeakPlainly(t *testing.T) {
	env := apptest.New(t)
	b := env.NewBrowser(t)
	b.SignIn(t, env.CreateUser(t, "Nell Newcomer"))
	cases := []struct {
		path   string
		status int
		want   []string
	}{
		{"/funds/999999", http.StatusNotFound, []string{"<h1>We could not find that</h1>"}},
		{"/me/actions?fund_id=abc", http.StatusUnprocessableEntity,
			[]string{"<h1>Something in that is not right</h1>", "<li>fund_id: must be a fund&#39;s id</li>"}},
	}
	for _, tc := range cases {
		r := b.Get(t, tc.path)
		body := string(r.Body)
		if r.Status != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, r.Status, tc.status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q:\n%s", tc.path, w, body)
			}
		}
		if strings.Contains(body, "invalid input:") {
			t.Errorf("%s: the page shows the API's one-line error", tc.path)
		}
	}
}
