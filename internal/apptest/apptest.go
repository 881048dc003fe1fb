// Package apptest starts the whole Humble handler on a fresh test database
// behind a real HTTP server, with helpers to make people, roles and tokens.
// Tests that use it need `func TestMain(m *testing.M) { pgtest.Main(m) }`.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/app"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/config"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

// Password is the password of every person made by CreateUser.
const Password = "correct horse battery staple"

// Env is a running Humble on its own database.
type Env struct {
	URL    string
	Server *httptest.Server
	Svc    *app.Services
	DB     *gorm.DB
	// Echo is the handler under test, for its route list.
	Echo *echo.Echo
}

// New starts Humble for one test and stops it when the test ends.
func New(t testing.TB) *Env {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	// The server starts first so that its address is the base URL the
	// handler is built with (invitation links point at it).
	var h *echo.Echo
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	cfg.BaseURL = srv.URL
	svc, err := app.NewServices(context.Background(), cfg, log, db)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	if h, err = svc.Handler(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	// As in production, role changes committed anywhere (also inside a
	// caller's transaction) reach the authorizer through LISTEN/NOTIFY.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.Authz.Run(ctx, dbURL)
	}()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
	})
	return &Env{URL: srv.URL, Server: srv, Svc: svc, DB: db, Echo: h}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var (
	hashOnce sync.Once
	hash     string
	seq      atomic.Int64
)

// CreateUser makes an account with Password, skipping the slow hash per user.
func (e *Env) CreateUser(t testing.TB, name string) user.User {
	t.Helper()
	hashOnce.Do(func() {
		var err error
		if hash, err = user.HashPassword(Password); err != nil {
			panic(err)
		}
	})
	u := user.User{
		Email:        strings.ToLower(regexp.MustCompile(`\W+`).ReplaceAllString(name, ".")) + "." + strconv.FormatInt(seq.Add(1), 10) + "@example.org",
		DisplayName:  name,
		PasswordHash: hash,
	}
	if err := e.DB.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

// CreateOrg registers an organisation and puts members in it.
func (e *Env) CreateOrg(t testing.TB, name, kind string, members ...user.User) org.Organisation {
	t.Helper()
	o, err := e.Svc.Orgs.Create(context.Background(), 0, org.NewOrganisation{Name: name, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if err := e.Svc.Orgs.AddMember(context.Background(), 0, o.ID, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

// Grant gives u a role in a domain.
func (e *Env) Grant(t testing.TB, u user.User, role authz.Role, domain string) {
	t.Helper()
	if err := e.Svc.Authz.Assign(context.Background(), u.ID, role, domain); err != nil {
		t.Fatal(err)
	}
}

// Token makes an API token for u and returns its secret.
func (e *Env) Token(t testing.TB, u user.User) string {
	t.Helper()
	secret, _, err := e.Svc.Users.CreateToken(context.Background(), u.ID, user.NewToken{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request with an optional bearer token and body: a string or
// []byte is sent as is, anything else as JSON.
func (e *Env) Do(t testing.TB, method, path, token string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, http.DefaultClient, req)
}

func send(t testing.TB, c *http.Client, req *http.Request) Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Browser is a cookie-keeping client that does not follow redirects, like a
// browser without JavaScript as far as the server can tell.
type Browser struct {
	env    *Env
	client *http.Client
}

// NewBrowser returns a client with an empty cookie jar.
func (e *Env) NewBrowser(t testing.TB) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{env: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// Get fetches a page.
func (b *Browser) Get(t testing.TB, path string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, b.client, req)
}

// CSRF returns the CSRF token from a page the browser has loaded.
func (b *Browser) CSRF(t testing.TB) string {
	t.Helper()
	r := b.Get(t, "/")
	m := csrfMeta.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no CSRF token on the home page: %s", r.Body)
	}
	return string(m[1])
}

// Post submits a form; the CSRF token is added unless form has _csrf.
func (b *Browser) Post(t testing.TB, path string, form url.Values) Response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.CSRF(t))
	}
	req, err := http.NewRequest(http.MethodPost, b.env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, b.client, req)
}

// SignIn signs the browser in as u (made by CreateUser).
func (b *Browser) SignIn(t testing.TB, u user.User) {
	t.Helper()
	r := b.Post(t, "/sign-in", url.Values{"email": {u.Email}, "password": {Password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d: %s", u.Email, r.Status, r.Body)
	}
}

// Cookies returns the browser's cookies for Humble.
func (b *Browser) Cookies() []*http.Cookie {
	u, _ := url.Parse(b.env.URL)
	return b.client.Jar.Cookies(u)
}
