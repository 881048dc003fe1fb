// Package ui serves Humble's server-rendered pages from web/templates. Pages
// work without JavaScript; every form carries a CSRF token; page actions
// call the same domain services and authorizer as the API.
package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/search"
	"github.com/humblehq/humble/internal/synthesis"
	"github.com/humblehq/humble/internal/user"
	"github.com/humblehq/humble/internal/validate"
	"github.com/humblehq/humble/web"
)

// UI serves the pages.
type UI struct {
	Log        *slog.Logger
	Users      *user.Service
	Orgs       *org.Service
	Authz      *authz.Authorizer
	Secure     bool
	SessionMax time.Duration
	BaseURL    string

	Funds        *fund.Service
	Rounds       *round.Service
	Applications *application.Service
	Panels       *panel.Service
	Ballots      *ballot.Service
	Decisions    *decision.Service
	Agreements   *agreement.Service
	Accounts     *account.Service
	Search       *search.Service
	Syntheses    *synthesis.Service
	Dialogues    *dialogue.Service
	Patterns     *pattern.Service

	pages map[string]*template.Template
}

// Load parses every page template with the layout.
func (u *UI) Load() error {
	funcs := template.FuncMap{
		"money":     money.Format,
		"stageName": func(s string) string { return fund.StageNames[s] },
		"longDate":  longDate,
		"quarter":   quarterWords,
		"roleName":  func(s string) string { return fund.RoleNames[s] },
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
		"date": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				return t.UTC().Format("2 Jan 2006 15:04")
			case *time.Time:
				if t != nil {
					return t.UTC().Format("2 Jan 2006 15:04")
				}
			}
			return ""
		},
	}
	names, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return err
	}
	u.pages = map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(web.Templates, "templates/layout.html", name)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		u.pages[base] = t
	}
	return nil
}

// Register adds every page route to e.
func (u *UI) Register(e *echo.Echo) {
	static, _ := fs.Sub(web.Static, "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticHandler(static))))
	e.GET("/", u.home)
	e.GET("/sign-in", u.signInForm)
	e.POST("/sign-in", u.signIn)
	e.POST("/sign-out", u.signOut)
	e.GET("/invitations/:token", u.invitationForm)
	e.POST("/invitations/:token", u.acceptInvitation)
	e.GET("/account", u.account)
	e.POST("/account/tokens", u.createToken)
	e.POST("/account/tokens/:id/revoke", u.revokeToken)
	u.registerFundPages(e)
	u.registerRoundPages(e)
	u.registerApplicationPages(e)
	u.registerPanelPages(e)
	u.registerBallotPages(e)
	u.registerDecisionPages(e)
	u.registerAgreementPages(e)
	u.registerReflectionPages(e)
	u.registerPatternPages(e)
	u.registerSearchPages(e)
	u.registerSynthesisPages(e)
	u.registerDialoguePages(e)
}

func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServer(http.FS(fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// fieldErr is a form field at fault, as pages show it.
type fieldErr struct{ ID, Message string }

// page is what every template receives.
type page struct {
	Nav    string
	CSRF   string
	Signed bool
	User   user.User
	Notice string
	Errors []fieldErr
	Form   map[string]string
	Data   any
}

// FieldError returns the error for a field, or nil.
func (p page) FieldError(id string) *fieldErr {
	for i := range p.Errors {
		if p.Errors[i].ID == id {
			return &p.Errors[i]
		}
	}
	return nil
}

func (u *UI) newPage(c echo.Context, nav string) page {
	pr := httpapi.CurrentPrincipal(c)
	return page{Nav: nav, CSRF: httpapi.CSRFToken(c), Signed: !pr.Anonymous(), User: pr.User, Form: map[string]string{}}
}

// render writes a page; rendering into a buffer first means a template
// error becomes a clean 500, not half a page.
func (u *UI) render(c echo.Context, status int, name string, p page) error {
	t, ok := u.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// RenderError shows a problem as a page (the error handler calls it).
func (u *UI) RenderError(c echo.Context, p httpapi.Problem) {
	pg := u.newPage(c, "")
	d := errorPage{Problem: p, Heading: errorHeadings[p.Status]}
	if d.Heading == "" {
		d.Heading = p.Title
	}
	if len(p.Errors) > 0 {
		// Named fields read as a list, not as the API's one line.
		d.Detail = ""
		for _, f := range p.Errors {
			d.Fields = append(d.Fields, f.Field+": "+f.Message)
		}
	} else if d.Detail != "" {
		r := []rune(d.Detail)
		d.Detail = strings.ToUpper(string(r[0])) + string(r[1:])
	}
	pg.Data = d
	if err := u.render(c, p.Status, "error", pg); err != nil {
		u.Log.Error("render error page", "error", err)
		_ = c.String(p.Status, p.Title)
	}
}

// errorPage is what the error page shows: the problem, a heading in
// plain words, and the fields at fault one by one.
type errorPage struct {
	httpapi.Problem
	Heading string
	Fields  []string
}

// errorHeadings say what went wrong, by status, as a person would.
var errorHeadings = map[int]string{
	http.StatusBadRequest:          "Something in that request is not right",
	http.StatusUnauthorized:        "Please sign in",
	http.StatusForbidden:           "You cannot do this here",
	http.StatusNotFound:            "We could not find that",
	http.StatusConflict:            "That has already changed",
	http.StatusPreconditionFailed:  "Someone changed this while you were working on it",
	http.StatusUnprocessableEntity: "Something in that is not right",
	http.StatusTooManyRequests:     "Too many tries: wait a moment",
	http.StatusInternalServerError: "Something went wrong on our side",
}

// errorsOf turns a validation failure into per-field messages with the
// field's label in front, for the error summary.
func errorsOf(err error, labels map[string]string) ([]fieldErr, bool) {
	ve, ok := validate.As(err)
	if !ok {
		return nil, false
	}
	out := make([]fieldErr, 0, len(ve))
	for _, f := range ve {
		label := labels[f.Field]
		if label == "" {
			label = f.Field
		}
		out = append(out, fieldErr{ID: f.Field, Message: label + " " + f.Message})
	}
	return out, true
}

// requireSignIn sends an anonymous visitor to the sign-in page, coming back
// here afterwards.
func requireSignIn(c echo.Context) (bool, error) {
	if !httpapi.CurrentPrincipal(c).Anonymous() {
		return true, nil
	}
	return false, c.Redirect(http.StatusSeeOther, "/sign-in?next="+url.QueryEscape(c.Request().URL.RequestURI()))
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
