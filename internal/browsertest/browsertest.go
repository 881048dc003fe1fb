// Package browsertest drives Humble's pages in a real headless Chromium with
// chromedp, and checks them with axe-core for WCAG 2.2 AA problems.
//
// Each test gets its own browser (Start), with a fresh profile and no network
// access beyond what the page asks for. At most two browsers run at once in
// a test binary, so parallel tests do not swamp a small machine. Every helper
// runs under StepTimeout, so a hung browser fails the test instead of hanging
// it.
//
// The tests need Chromium (HUMBLE_CHROMIUM, else /usr/bin/chromium; install
// it with `apt-get install chromium`) and axe-core (`npm ci --prefix
// web/testdata/axe`). When either is missing the tests fail;
// HUMBLE_SKIP_BROWSER_TESTS=1 skips them.
//
// With `go test -artifacts -outputdir DIR`, Screenshot and every failing test
// leave PNG screenshots under DIR/_artifacts.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Environment variables the package reads.
const (
	// EnvChromium is the path of the browser; DefaultChromium when unset.
	EnvChromium = "HUMBLE_CHROMIUM"
	// EnvSkip, set to 1, skips every browser test.
	EnvSkip = "HUMBLE_SKIP_BROWSER_TESTS"
	// DefaultChromium is where Debian's chromium package puts the browser.
	DefaultChromium = "/usr/bin/chromium"
	// AxePath is axe-core's browser bundle, relative to the repository root.
	AxePath = "web/testdata/axe/node_modules/axe-core/axe.min.js"
)

// Timeouts. StepTimeout bounds each helper (a navigation, a click and the
// page it loads, an axe run); BrowserTimeout bounds a whole browser's life.
const (
	StepTimeout    = 30 * time.Second
	startTimeout   = 45 * time.Second
	BrowserTimeout = 4 * time.Minute
)

// Desktop and phone viewports in CSS pixels.
const (
	DesktopWidth, DesktopHeight = 1280, 900
	PhoneWidth, PhoneHeight     = 375, 812
)

// maxBrowsers limits how many browsers one test binary runs at once.
const maxBrowsers = 2

var browsers = make(chan struct{}, maxBrowsers)

const installHelp = "the browser tests need Chromium and axe-core: install them with " +
	"`apt-get install chromium` (or point " + EnvChromium + " at a Chromium or Chrome binary) and " +
	"`npm ci --prefix web/testdata/axe` from the repository root; set " + EnvSkip + "=1 to skip these tests"

// Start gives the test its own headless Chromium and returns the chromedp
// context of its one tab. The browser is stopped and its profile removed
// when the test ends. The test fails when Chromium or axe-core is not
// installed; HUMBLE_SKIP_BROWSER_TESTS=1 skips it (saying what is missing,
// if anything).
func Start(t testing.TB) context.Context {
	t.Helper()
	path, err := chromiumPath()
	if err == nil {
		_, err = axeSource()
	}
	if os.Getenv(EnvSkip) == "1" {
		if err != nil {
			t.Skipf("%s=1: skipping browser test: %v", EnvSkip, err)
		}
		t.Skipf("%s=1: skipping browser test", EnvSkip)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, installHelp)
	}

	browsers <- struct{}{}
	t.Cleanup(func() { <-browsers })

	var out syncBuffer
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(DesktopWidth, DesktopHeight),
		chromedp.CombinedOutput(&out),
		// Required here: headless, no sandbox (containers), no GPU.
		chromedp.Headless, // also hides scrollbars and mutes audio
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Nothing may reach the network on its own.
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,InterestFeedContentSuggestions"),
		// Predictable and quiet.
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-popup-blocking", true),
		chromedp.Flag("disable-prompt-on-repost", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("lang", "en-GB"),
	}

	// The deadline stops the browser whatever happens; cancelling the
	// chromedp context closes it and waits for the process to exit.
	deadlineCtx, cancelDeadline := context.WithTimeout(context.Background(), BrowserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadlineCtx, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelDeadline()
		if t.Failed() && out.Len() > 0 {
			t.Logf("browser output:\n%s", lastLines(out.String(), 40))
		}
	})

	// Collect the console's errors: CSP violations, missing stylesheets,
	// script errors. Listen also starts the browser; the first call must not
	// carry a timeout (that would end the browser), so a watchdog does.
	cons := &console{}
	started := make(chan error, 1)
	go func() { started <- chromedp.Listen(ctx, cons.add) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v\n%s\n%s", path, err, lastLines(out.String(), 40), installHelp)
		}
	case <-time.After(startTimeout):
		cancelCtx()
		t.Fatalf("start %s: no answer in %s\n%s", path, startTimeout, lastLines(out.String(), 40))
	}
	ctx = context.WithValue(ctx, consoleKey{}, cons)
	t.Cleanup(func() { CheckConsole(t, ctx) })
	// Registered last, so it runs first: a failing test leaves a picture of
	// where it stopped (kept with -artifacts).
	t.Cleanup(func() {
		if t.Failed() && artifacts() {
			screenshot(t, ctx, "failed")
		}
	})
	return ctx
}

func chromiumPath() (string, error) {
	path := os.Getenv(EnvChromium)
	if path == "" {
		path = DefaultChromium
	}
	resolved, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("no browser at %s: %w", path, err)
	}
	return resolved, nil
}

var axe struct {
	once sync.Once
	src  string
	err  error
}

// axeSource reads axe-core's bundle once from the repository.
func axeSource() (string, error) {
	axe.once.Do(func() {
		root, err := repoRoot()
		if err != nil {
			axe.err = err
			return
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(AxePath)))
		if err != nil {
			axe.err = fmt.Errorf("axe-core is not installed: %w", err)
			return
		}
		axe.src = string(b)
	})
	return axe.src, axe.err
}

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// step runs f with StepTimeout and fails the test on an error.
func step[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Do runs actions in order, failing the test on an error or a timeout.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step(t, ctx, "browser actions", chromedp.Steps(actions...))
}

// Navigate loads url and returns the HTTP status of the document.
func Navigate(t testing.TB, ctx context.Context, url string) int {
	t.Helper()
	resp := step(t, ctx, "navigate to "+url, chromedp.NavigateResponse(url))
	if resp == nil {
		t.Fatalf("navigate to %s: no response", url)
	}
	return int(resp.Status)
}

// Location returns the current page's URL.
func Location(t testing.TB, ctx context.Context) string {
	t.Helper()
	return step(t, ctx, "read location", chromedp.Location())
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	return step(t, ctx, "evaluate "+abbrev(expr), chromedp.Evaluate[T](expr))
}

// js quotes v as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fieldByLabel is a JSPath expression giving the control of the label whose
// text is label (ignoring surrounding spaces).
func fieldByLabel(label string) chromedp.JSPath {
	return chromedp.JSPath(`(() => { const l = [...document.querySelectorAll('label')].find(l => l.textContent.trim() === ` +
		js(label) + `); return l ? l.control : null })()`)
}

// byText is a JSPath expression giving the first element matching css
// whose text (including visually hidden text) is text.
func byText(css, text string) chromedp.JSPath {
	return chromedp.JSPath(`[...document.querySelectorAll(` + js(css) + `)].find(e => ` +
		`(e.textContent || e.value || '').replace(/\s+/g, ' ').trim() === ` + js(text) + `) || null`)
}

// Fill finds a form field by its label's text and types value into it, as a
// person would, after emptying it.
func Fill(t testing.TB, ctx context.Context, label, value string) {
	t.Helper()
	sel := fieldByLabel(label)
	step(t, ctx, "fill the field labelled "+label, chromedp.Steps(
		chromedp.WaitVisible(sel),
		// (chromedp.SetValue cannot set an empty string: the argument
		// arrives as undefined.)
		chromedp.Evaluate[chromedp.Void](`(`+string(sel)+`).value = ''`),
		chromedp.SendKeys(sel, value, chromedp.NodeVisible),
	))
}

// FieldValue returns the current value of the field labelled label.
func FieldValue(t testing.TB, ctx context.Context, label string) string {
	t.Helper()
	return step(t, ctx, "read the field labelled "+label, chromedp.Value(fieldByLabel(label)))
}

// ClickButton clicks the button whose text is text and waits for the page
// it loads; it returns the HTTP status of the new document (after
// redirects).
func ClickButton(t testing.TB, ctx context.Context, text string) int {
	t.Helper()
	return clickAndWait(t, ctx, "button "+text, byText("button, input[type=submit]", text))
}

// FollowLink clicks the link whose text is text and waits for the page it
// loads; it returns the HTTP status of the new document.
func FollowLink(t testing.TB, ctx context.Context, text string) int {
	t.Helper()
	return clickAndWait(t, ctx, "link "+text, byText("a[href]", text))
}

func clickAndWait(t testing.TB, ctx context.Context, what string, sel chromedp.JSPath) int {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("click %s: %v", what, err)
	}
	if resp == nil {
		t.Fatalf("click %s: no page loaded", what)
	}
	return int(resp.Status)
}

// ClickInPage clicks an element matched by a CSS selector when no new
// document is expected (such as a link to a fragment).
func ClickInPage(t testing.TB, ctx context.Context, css string) {
	t.Helper()
	Do(t, ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// Text returns the rendered text of the first element matching css, with
// runs of white space made single spaces.
func Text(t testing.TB, ctx context.Context, css string) string {
	t.Helper()
	return Eval[string](t, ctx, `(() => { const e = document.querySelector(`+js(css)+
		`); if (!e) throw new Error('no element matches '+`+js(css)+`); return e.innerText.replace(/\s+/g, ' ').trim() })()`)
}

// Texts returns the rendered text of every element matching css.
func Texts(t testing.TB, ctx context.Context, css string) []string {
	t.Helper()
	return Eval[[]string](t, ctx, `[...document.querySelectorAll(`+js(css)+`)].map(e => e.innerText.replace(/\s+/g, ' ').trim())`)
}

// Count returns how many elements match css.
func Count(t testing.TB, ctx context.Context, css string) int {
	t.Helper()
	return Eval[int](t, ctx, `document.querySelectorAll(`+js(css)+`).length`)
}

// Attr returns an attribute of the first element matching css, or "" when
// it is absent.
func Attr(t testing.TB, ctx context.Context, css, name string) string {
	t.Helper()
	return Eval[string](t, ctx, `(() => { const e = document.querySelector(`+js(css)+
		`); if (!e) throw new Error('no element matches '+`+js(css)+`); return e.getAttribute(`+js(name)+`) || '' })()`)
}

// Focused describes the element that has focus, like a CSS selector: its
// tag and id, or its tag and classes when it has no id, such as
// "input#email", "a.skip-link" or "body".
func Focused(t testing.TB, ctx context.Context) string {
	t.Helper()
	return Eval[string](t, ctx, `(() => { const e = document.activeElement; if (!e) return '';
		let s = e.tagName.toLowerCase(); if (e.id) return s + '#' + e.id;
		for (const c of e.classList) s += '.' + c; return s })()`)
}

// FocusedText returns the text of the element that has focus.
func FocusedText(t testing.TB, ctx context.Context) string {
	t.Helper()
	return Eval[string](t, ctx, `(document.activeElement ? document.activeElement.textContent : '').replace(/\s+/g, ' ').trim()`)
}

// FocusedIsVisible reports whether the focused element is rendered inside
// the viewport (a skip link that stays off screen when focused is not).
func FocusedIsVisible(t testing.TB, ctx context.Context) bool {
	t.Helper()
	return Eval[bool](t, ctx, `(() => { const e = document.activeElement; if (!e) return false;
		const r = e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight })()`)
}

// Press sends keys (such as kb.Tab or kb.Enter) to the focused element.
func Press(t testing.TB, ctx context.Context, keys string) {
	t.Helper()
	Do(t, ctx, chromedp.KeyEvent(keys))
}

// Tab presses the Tab key.
func Tab(t testing.TB, ctx context.Context) { t.Helper(); Press(t, ctx, kb.Tab) }

// Screenshot saves full-page PNGs of the current page at the desktop and
// the phone size, as name-desktop.png and name-phone.png under the test's
// artifact directory, when the tests run with -artifacts; otherwise it does
// nothing.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if !artifacts() {
		return
	}
	screenshot(t, ctx, name+"-desktop")
	Do(t, ctx, phone())
	defer Do(t, ctx, desktop())
	screenshot(t, ctx, name+"-phone")
}

// ScreenshotTo saves a full-page PNG at path.
func ScreenshotTo(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	b := step(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	b, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(artifactDir(t), sanitize(name)+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

func artifacts() bool {
	f := flag.Lookup("test.artifacts")
	return f != nil && f.Value.String() == "true"
}

func artifactDir(t testing.TB) string {
	if a, ok := t.(interface{ ArtifactDir() string }); ok {
		return a.ArtifactDir()
	}
	return t.TempDir()
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, name)
}

// phone emulates a phone's screen: PhoneWidth×PhoneHeight CSS pixels, a
// mobile browser honouring the viewport meta tag, touch.
func phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateTouch)
}

// desktop ends phone: back to the window's own size. (chromedp's
// ResetViewport does not: it keeps the last override.)
func desktop() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{})
		return err
	})
}

// AxeTags are the rule sets CheckA11y runs: WCAG 2.0, 2.1 and 2.2, levels A
// and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

type axeNode struct {
	Target  []any  `json:"target"`
	HTML    string `json:"html"`
	Summary string `json:"failureSummary"`
}

type axeRule struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []axeNode `json:"nodes"`
}

type axeResult struct {
	Violations []axeRule `json:"violations"`
	Incomplete []axeRule `json:"incomplete"`
}

// CheckA11y runs axe-core on the current page, first at the desktop size and
// then at a phone's (375×812, mobile), and fails the test listing every
// WCAG 2.2 A/AA violation with its impact, help, selectors and HTML. At the
// phone size it also fails when the page scrolls sideways (WCAG 1.4.10
// reflow). pageName names the page in the messages.
func CheckA11y(t testing.TB, ctx context.Context, pageName string) {
	t.Helper()
	checkAxe(t, ctx, pageName+" (desktop)", DesktopWidth)
	Do(t, ctx, phone())
	defer Do(t, ctx, desktop())
	checkAxe(t, ctx, fmt.Sprintf("%s (phone %d×%d)", pageName, PhoneWidth, PhoneHeight), PhoneWidth)
	checkReflow(t, ctx, pageName)
}

func checkAxe(t testing.TB, ctx context.Context, pageName string, width int) {
	t.Helper()
	if got := Eval[int](t, ctx, `document.documentElement.clientWidth`); got != width {
		t.Fatalf("checking %s: the page is %d CSS px wide, want %d", pageName, got, width)
	}
	src, err := axeSource()
	if err != nil {
		t.Fatalf("%v\n%s", err, installHelp)
	}
	if !Eval[bool](t, ctx, `typeof window.axe === 'object'`) {
		step(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](src))
	}
	opts := map[string]any{
		"runOnly":     map[string]any{"type": "tag", "values": AxeTags},
		"resultTypes": []string{"violations", "incomplete"},
	}
	expr := `axe.run(document, ` + js(opts) + `).then(r => ({
		violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary}))})),
		incomplete: r.incomplete.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map(n => ({target: n.target, html: n.html}))}))}))`
	res := step(t, ctx, "run axe on "+pageName, chromedp.Evaluate[axeResult](expr, chromedp.EvalAwaitPromise))
	if len(res.Incomplete) > 0 {
		var ids []string
		for _, r := range res.Incomplete {
			ids = append(ids, fmt.Sprintf("%s (%d)", r.ID, len(r.Nodes)))
		}
		t.Logf("axe on %s: needs review by a person: %s", pageName, strings.Join(ids, ", "))
	}
	if len(res.Violations) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "axe found %d accessibility violation(s) on %s (%s):", len(res.Violations), pageName, Location(t, ctx))
	for _, v := range res.Violations {
		fmt.Fprintf(&b, "\n- %s [%s]: %s\n  %s", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n  * %s\n    %s", targetString(n.Target), n.HTML)
			if n.Summary != "" {
				fmt.Fprintf(&b, "\n    %s", strings.ReplaceAll(n.Summary, "\n", "\n    "))
			}
		}
	}
	t.Error(b.String())
}

// targetString joins axe's target selectors; a target inside a shadow root
// or frame is itself a list.
func targetString(target []any) string {
	parts := make([]string, 0, len(target))
	for _, p := range target {
		switch v := p.(type) {
		case string:
			parts = append(parts, v)
		default:
			b, _ := json.Marshal(v)
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, " ")
}

func checkReflow(t testing.TB, ctx context.Context, pageName string) {
	t.Helper()
	type overflow struct {
		Scroll int      `json:"scroll"`
		Client int      `json:"client"`
		Wide   []string `json:"wide"`
	}
	o := Eval[overflow](t, ctx, `(() => {
		const d = document.documentElement, w = d.clientWidth;
		const wide = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > w + 1)
			.slice(0, 5).map(e => e.outerHTML.slice(0, 120));
		return {scroll: d.scrollWidth, client: w, wide};
	})()`)
	if o.Scroll > o.Client+1 {
		t.Errorf("%s scrolls sideways at %d CSS px wide (content is %d px): WCAG 1.4.10 reflow; too wide:\n%s",
			pageName, o.Client, o.Scroll, strings.Join(o.Wide, "\n"))
	}
}

type consoleKey struct{}

// CheckConsole fails the test if the browser's console has reported errors
// that mean a page is broken since the last check: a Content Security
// Policy violation (an inline style or script), a stylesheet or script that
// did not load, a script error. An error status of the page itself (such
// as a 410 page) is not one. Start's cleanup calls it too.
func CheckConsole(t testing.TB, ctx context.Context) {
	t.Helper()
	cons, _ := ctx.Value(consoleKey{}).(*console)
	if cons == nil {
		t.Fatal("CheckConsole needs a context from Start")
	}
	if p := cons.problems(); len(p) > 0 {
		t.Errorf("the browser console reported %d problem(s):\n%s", len(p), strings.Join(p, "\n"))
	}
}

// console collects the console's error entries.
type console struct {
	mu      sync.Mutex
	entries []*log.Entry
}

func (c *console) add(ev any) {
	e, ok := ev.(*log.EventEntryAdded)
	if !ok || e.Entry == nil || e.Entry.Level != log.EntryLevelError {
		return
	}
	c.mu.Lock()
	c.entries = append(c.entries, e.Entry)
	c.mu.Unlock()
}

// problems lists, and forgets, the errors that mean a page is broken. A
// document answered with 4xx (an expected error page) is not one; a missing
// stylesheet, a blocked inline style or script (CSP) or a script error is.
func (c *console) problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	entries := c.entries
	c.entries = nil
	for _, e := range entries {
		if e.Source == log.EntrySourceNetwork && !strings.Contains(e.URL, "/static/") {
			continue
		}
		out = append(out, fmt.Sprintf("- [%s] %s %s", e.Source, e.Text, e.URL))
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the browser's output goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// lastLines returns the last n lines of the browser's output, leaving out
// its complaints about the missing D-Bus, which every container has.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if !strings.Contains(l, ":ERROR:dbus/") {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
