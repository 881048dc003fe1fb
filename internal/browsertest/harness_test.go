package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	bt "github.com/humblehq/humble/internal/browsertest"
	"github.com/humblehq/humble/internal/httpapi"
)

// recorder is a test whose failures are collected rather than reported, to
// check that the checks fail when they should.
type recorder struct {
	*testing.T
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Error(args ...any) { r.add(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.add(fmt.Sprintf(format, args...))
}
func (r *recorder) add(s string) { r.mu.Lock(); r.errs = append(r.errs, s); r.mu.Unlock() }
func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

// brokenPage breaks a few WCAG rules, overflows a phone's width and carries
// an inline style that Humble's Content Security Policy blocks.
const brokenPage = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Broken</title><link rel="stylesheet" href="/static/wide.css"><style>p { color: red }</style></head>
<body><main><h1>Broken</h1><img src="/static/none.png"><div class="wide">too wide</div>
<input type="text" id="q"></main></body></html>`

// The checks themselves: axe's violations, sideways scrolling on a phone and
// console errors are all reported, with enough detail to find them.
func TestChecksFindProblems(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", httpapi.ContentSecurityPolicy)
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, brokenPage)
		case "/static/wide.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, ".wide { width: 900px }")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	ctx := bt.Start(t)
	bt.Navigate(t, ctx, srv.URL+"/")

	rec := &recorder{T: t}
	bt.CheckA11y(rec, ctx, "broken page")
	got := rec.text()
	for _, want := range []string{
		"on broken page (desktop)", "on broken page (phone 375×812)",
		"html-has-lang [serious]", "image-alt [critical]", `<img src="/static/none.png">`,
		"label [critical]", "#q",
		"broken page scrolls sideways", `<div class="wide">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckA11y's report lacks %q:\n%s", want, got)
		}
	}

	rec = &recorder{T: t}
	bt.CheckConsole(rec, ctx)
	got = rec.text()
	for _, want := range []string{"Content Security Policy", "none.png"} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckConsole's report lacks %q:\n%s", want, got)
		}
	}
}
