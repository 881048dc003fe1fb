// Package httpapi is Humble's HTTP edge: the JSON API under /api/v1, the
// middleware every request passes (request ids, access logs, recovery,
// security headers, authentication, CSRF), strict JSON binding, and the one
// mapping from errors to RFC 9457 problem details. echo is confined here,
// in internal/ui and in internal/app.
package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/search"
	"github.com/humblehq/humble/internal/synthesis"
	"github.com/humblehq/humble/internal/user"
	"github.com/humblehq/humble/internal/validate"
)

// API serves /api/v1.
type API struct {
	Log     *slog.Logger
	DB      *gorm.DB
	Users   *user.Service
	Orgs    *org.Service
	Authz   *authz.Authorizer
	BaseURL string

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
}

// Register adds every API route to e. Each route must also be described in
// openapi.json and listed in the authorization table test.
func (a *API) Register(e *echo.Echo) {
	g := e.Group("/api/v1")
	g.GET("/openapi.json", a.openAPI)
	g.GET("/me", a.me)
	g.GET("/tokens", a.listTokens)
	g.POST("/tokens", a.createToken)
	g.DELETE("/tokens/:id", a.revokeToken)
	g.POST("/invitations", a.createInvitation)
	g.GET("/organisations", a.listOrganisations)
	g.POST("/organisations", a.createOrganisation)
	g.GET("/organisations/:id", a.getOrganisation)
	g.GET("/organisations/:id/members", a.listMembers)
	g.POST("/organisations/:id/members", a.addMember)
	g.GET("/audit-events", a.listAuditEvents)
	a.registerFunds(g)
	a.registerRounds(g)
	a.registerApplications(g)
	a.registerPanels(g)
	a.registerBallots(g)
	a.registerDecisions(g)
	a.registerAgreements(g)
	a.registerReflections(g)
	a.registerInstalments(g)
	a.registerDialogues(g)
	a.registerSearch(g)
	a.registerSyntheses(g)
	a.registerPatterns(g)
}

// pathID reads a positive integer path parameter; anything else is a 404,
// since no record has such an id.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

// Page is the pagination asked for with ?page= and ?per_page=.
type Page struct {
	Number, Size int
}

// Offset is the number of rows before this page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// MaxPage is the highest page number a list accepts: far beyond any
// real list, and low enough that an offset never overflows.
const MaxPage = 1_000_000

// PageNumber reads ?page= for a page: a whole number from 1 to MaxPage,
// anything else the first page.
func PageNumber(c echo.Context) int {
	n, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || n < 1 || n > MaxPage {
		return 1
	}
	return n
}

func pageOf(c echo.Context) (Page, error) {
	p := Page{Number: 1, Size: 50}
	if s := c.QueryParam("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > MaxPage {
			return p, validate.Field("page", fmt.Sprintf("must be a whole number from 1 to %d", MaxPage))
		}
		p.Number = n
	}
	if s := c.QueryParam("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 200 {
			return p, validate.Field("per_page", "must be a whole number from 1 to 200")
		}
		p.Size = n
	}
	return p, nil
}

// listed answers a page of a list with the total in X-Total-Count.
func listed[T any](c echo.Context, items []T, total int64) error {
	c.Response().Header().Set("X-Total-Count", strconv.FormatInt(total, 10))
	if items == nil {
		items = []T{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "total": total})
}

func installation(kind string) authz.Resource {
	return authz.Resource{Kind: kind, Domain: authz.Installation}
}
