package app

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/ui"
)

// Handler builds the HTTP handler: middleware, health checks, the API and
// the pages.
func (s *Services) Handler() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if s.Config.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	pages := &ui.UI{Log: s.Log, Users: s.Users, Orgs: s.Orgs, Authz: s.Authz,
		Secure: s.Config.SecureCookies(), SessionMax: s.Config.SessionMax, BaseURL: s.Config.BaseURL,
		Funds: s.Funds, Rounds: s.Rounds, Applications: s.Applications, Panels: s.Panels, Ballots: s.Ballots,
		Decisions: s.Decisions, Agreements: s.Agreements, Accounts: s.Accounts, Dialogues: s.Dialogues,
		Patterns: s.Patterns, Search: s.Search, Syntheses: s.Syntheses}
	if err := pages.Load(); err != nil {
		return nil, err
	}
	e.HTTPErrorHandler = httpapi.ErrorHandler(s.Log, pages.RenderError)

	e.Use(httpapi.Common(s.Log)...)
	// Probes answer before body limits, authentication and CSRF.
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.ready)

	e.Use(middleware.BodyLimit("2M"))
	e.Use(httpapi.Authenticate(s.Users, s.Orgs, s.Config.SecureCookies()))
	e.Use(httpapi.CSRF(s.Config.SecureCookies()))

	api := &httpapi.API{Log: s.Log, DB: s.DB, Users: s.Users, Orgs: s.Orgs, Authz: s.Authz, BaseURL: s.Config.BaseURL,
		Funds: s.Funds, Rounds: s.Rounds, Applications: s.Applications, Panels: s.Panels, Ballots: s.Ballots,
		Decisions: s.Decisions, Agreements: s.Agreements, Accounts: s.Accounts, Dialogues: s.Dialogues,
		Patterns: s.Patterns, Search: s.Search, Syntheses: s.Syntheses}
	api.Register(e)
	pages.Register(e)
	return e, nil
}

// ready answers 200 when the database answers and has every migration.
func (s *Services) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	db := store.SQL(s.DB)
	if err := db.PingContext(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	current, err := store.MigrationsCurrent(ctx, db)
	if err != nil || !current {
		return c.String(http.StatusServiceUnavailable, "migrations pending\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
