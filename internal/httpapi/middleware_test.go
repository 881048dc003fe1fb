package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/httpapi"
)

func TestCSRF(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	u := env.CreateUser(t, "Cleo")
	b := env.NewBrowser(t)
	b.SignIn(t, u)
	token := b.CSRF(t)

	tokenCount := func() int64 {
		var n int64
		env.DB.Raw(`SELECT count(*) FROM api_tokens WHERE user_id = ?`, u.ID).Scan(&n)
		return n
	}
	send := func(t *testing.T, header map[string]string, form url.Values, api bool) int {
		t.Helper()
		path, body, ct := "/account/tokens", form.Encode(), "application/x-www-form-urlencoded"
		if api {
			path, body, ct = "/api/v1/tokens", `{"name":"from fetch"}`, "application/json"
		}
		req, _ := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		for _, ck := range b.Cookies() {
			req.AddCookie(ck)
		}
		noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name   string
		header map[string]string
		form   url.Values
		api    bool
		want   int
		writes bool
	}{
		{"form-without-token-403", nil, url.Values{"name": {"x"}}, false, 403, false},
		{"form-wrong-token-403", nil, url.Values{"name": {"x"}, "_csrf": {"forged"}}, false, 403, false},
		{"form-cross-site-403", map[string]string{"Sec-Fetch-Site": "cross-site"}, url.Values{"name": {"x"}, "_csrf": {token}}, false, 403, false},
		{"form-with-token-303", nil, url.Values{"name": {"x"}, "_csrf": {token}}, false, 303, true},
		{"fetch-cookie-without-header-403", nil, nil, true, 403, false},
		{"fetch-cookie-with-header-201", map[string]string{"X-CSRF-Token": token}, nil, true, 201, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tokenCount()
			if got := send(t, tc.header, tc.form, tc.api); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
			if wrote := tokenCount() != before; wrote != tc.writes {
				t.Errorf("wrote = %v, want %v", wrote, tc.writes)
			}
		})
	}
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	u := env.CreateUser(t, "Dev")
	b := env.NewBrowser(t)
	r := b.Get(t, "/sign-in")
	for h, want := range map[string]string{
		"Content-Security-Policy": httpapi.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP does not forbid framing")
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	form := url.Values{"email": {u.Email}, "password": {apptest.Password}, "_csrf": {b.CSRF(t)}}
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range b.Cookies() {
		req.AddCookie(ck)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == httpapi.SessionCookie {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("no session cookie after sign-in (status %d)", resp.StatusCode)
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie flags: HttpOnly=%v SameSite=%v", session.HttpOnly, session.SameSite)
	}
	var stored int64
	env.DB.Raw(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID).Scan(&stored)
	if stored != 1 {
		t.Errorf("%d sessions stored, want 1", stored)
	}
}
