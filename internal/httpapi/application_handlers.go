package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/authz"
)

// registerApplications adds the applications routes.
func (a *API) registerApplications(g *echo.Group) {
	g.GET("/rounds/:id/applications", a.listRoundApplications)
	g.POST("/rounds/:id/applications", a.createApplication)
	g.GET("/applications/:id", a.getApplication)
	g.PATCH("/applications/:id", a.updateApplication)
	g.POST("/applications/:id/withdraw", a.withdrawApplication)
	g.POST("/applications/:id/ineligible", a.markApplicationIneligible)
	g.GET("/me/applications", a.listMyApplications)
}

// ApplicationResource is an application as a resource in its fund's
// domain, owned by the applying organisation.
func ApplicationResource(app application.Application) authz.Resource {
	return authz.Resource{Kind: "application", Domain: authz.FundDomain(app.FundID),
		ID: strconv.FormatInt(app.ID, 10), OwnerOrgID: app.OrganisationID}
}

// isSteward tells a steward from a panel member among those the policy
// lets read or list every application of a fund: the steward needs no
// declaration. Anyone else with that grant is held to the panel's rules,
// the stricter ones.
func isSteward(az *authz.Authorizer, p *Principal, fundID int64) bool {
	return slices.Contains(az.RolesIn(p.User.ID, authz.FundDomain(fundID)), authz.Steward)
}

// ApplicationViewer works out how the principal stands towards an
// application, from the policy and their roles in its fund; the
// application service then applies the rules roles cannot express
// (declarations, recusal, the round's state).
func ApplicationViewer(az *authz.Authorizer, p *Principal, app application.Application) application.Viewer {
	v := application.Viewer{UserID: p.User.ID}
	if p.Anonymous() {
		return v
	}
	res := ApplicationResource(app)
	v.Own = slices.Contains(p.OrgIDs, app.OrganisationID) && az.Allowed(p.Actor(), "read", res)
	res.OwnerOrgID = 0
	if az.Allowed(p.Actor(), "read", res) {
		v.Steward = isSteward(az, p, app.FundID)
		v.Panel = !v.Steward
	}
	return v
}

// RoundApplicationsViewer works out how the principal stands towards the
// list of a round's applications: every one (steward, panel), or their
// own organisations' only.
func RoundApplicationsViewer(az *authz.Authorizer, p *Principal, r application.Round) application.RoundViewer {
	v := application.RoundViewer{UserID: p.User.ID}
	if p.Anonymous() {
		return v
	}
	res := authz.Resource{Kind: "application", Domain: authz.FundDomain(r.FundID)}
	if az.Allowed(p.Actor(), "list", res) {
		v.Steward = isSteward(az, p, r.FundID)
		v.Panel = !v.Steward
		return v
	}
	for _, org := range p.OrgIDs {
		res.OwnerOrgID = org
		if az.Allowed(p.Actor(), "read", res) {
			v.OrgIDs = append(v.OrgIDs, org)
		}
	}
	return v
}

// RoundForApplications returns a round the principal may know of, as the
// application pages and API read it: a round that is a draft, or in a
// draft fund, exists only for those who may read draft rounds (404 for
// anyone else).
func RoundForApplications(ctx context.Context, az *authz.Authorizer, apps *application.Service, p *Principal, id int64) (application.Round, error) {
	r, err := apps.Round(ctx, id)
	if err != nil {
		return application.Round{}, err
	}
	draft := r.State == application.RoundDraft || r.FundStatus == "draft"
	if draft && !az.Allowed(p.Actor(), "read_draft", authz.Resource{Kind: "round", Domain: authz.FundDomain(r.FundID), ID: strconv.FormatInt(id, 10)}) {
		return application.Round{}, application.ErrRoundNotFound
	}
	return r, nil
}

func (a *API) listRoundApplications(c echo.Context) error {
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return ErrUnauthenticated
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := RoundForApplications(ctx, a.Authz, a.Applications, p, id)
	if err != nil {
		return err
	}
	v := RoundApplicationsViewer(a.Authz, p, r)
	if !v.Steward && !v.Panel && len(v.OrgIDs) == 0 {
		return ErrForbidden
	}
	pg, err := pageOf(c)
	if err != nil {
		return err
	}
	items, total, err := a.Applications.ListForRound(ctx, r, v, pg.Offset(), pg.Size)
	if err != nil {
		return err
	}
	return listed(c, items, total)
}

func (a *API) createApplication(c echo.Context) error {
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return ErrUnauthenticated
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in application.NewApplication
	if err := Bind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := RoundForApplications(ctx, a.Authz, a.Applications, p, id)
	if err != nil {
		return err
	}
	res := authz.Resource{Kind: "application", Domain: authz.FundDomain(r.FundID), OwnerOrgID: in.OrganisationID}
	if err := Authorize(a.Authz, c, "create", res); err != nil {
		return err
	}
	app, err := a.Applications.Apply(ctx, p.User.ID, r.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, app)
}

// applicationView is an application as a reader who may see all of it
// gets it; a panel member's own declaration comes with it.
type applicationView struct {
	application.Application
	Declaration string `json:"declaration,omitempty"`
}

// recusedView is all a recused panel member gets.
type recusedView struct {
	ID               int64  `json:"id"`
	Title            string `json:"title"`
	OrganisationName string `json:"organisation_name"`
	Recused          bool   `json:"recused"`
}

func (a *API) getApplication(c echo.Context) error {
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return ErrUnauthenticated
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	app, err := a.Applications.Get(ctx, id)
	if err != nil {
		return err
	}
	acc, err := a.Applications.Read(ctx, app, ApplicationViewer(a.Authz, p, app))
	if err != nil {
		return err
	}
	if acc.Reading == application.TitleOnly {
		return c.JSON(http.StatusOK, recusedView{ID: app.ID, Title: app.Title, OrganisationName: app.OrganisationName, Recused: true})
	}
	return c.JSON(http.StatusOK, applicationView{Application: app, Declaration: acc.Declaration})
}

// applicationFor loads the application in the path and checks that the
// principal may do action on it: 404 to anyone who may not know of it,
// 403 to those who may read it but not do this.
func (a *API) applicationFor(c echo.Context, action string) (application.Application, error) {
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return application.Application{}, ErrUnauthenticated
	}
	id, err := pathID(c, "id")
	if err != nil {
		return application.Application{}, err
	}
	app, err := a.Applications.Get(c.Request().Context(), id)
	if err != nil {
		return application.Application{}, err
	}
	if v := ApplicationViewer(a.Authz, p, app); !v.Own && !v.Steward && !v.Panel {
		return application.Application{}, application.ErrNotFound
	}
	if err := Authorize(a.Authz, c, action, ApplicationResource(app)); err != nil {
		return application.Application{}, err
	}
	return app, nil
}

func (a *API) updateApplication(c echo.Context) error {
	app, err := a.applicationFor(c, "update")
	if err != nil {
		return err
	}
	var in application.Edit
	if err := Bind(c, &in); err != nil {
		return err
	}
	app, err = a.Applications.Update(c.Request().Context(), CurrentPrincipal(c).User.ID, app.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, app)
}

func (a *API) withdrawApplication(c echo.Context) error {
	app, err := a.applicationFor(c, "withdraw")
	if err != nil {
		return err
	}
	app, err = a.Applications.Withdraw(c.Request().Context(), CurrentPrincipal(c).User.ID, app.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, app)
}

func (a *API) markApplicationIneligible(c echo.Context) error {
	app, err := a.applicationFor(c, "mark_ineligible")
	if err != nil {
		return err
	}
	var in application.Ineligibility
	if err := Bind(c, &in); err != nil {
		return err
	}
	app, err = a.Applications.MarkIneligible(c.Request().Context(), CurrentPrincipal(c).User.ID, app.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, app)
}

// listMyApplications lists the applications of the principal's
// organisations, in every fund, newest first.
func (a *API) listMyApplications(c echo.Context) error {
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return ErrUnauthenticated
	}
	pg, err := pageOf(c)
	if err != nil {
		return err
	}
	items, total, err := a.Applications.ListForOrganisations(c.Request().Context(), p.OrgIDs, pg.Offset(), pg.Size)
	if err != nil {
		return err
	}
	mine := items[:0]
	for _, it := range items {
		res := authz.Resource{Kind: "application", Domain: authz.FundDomain(it.FundID), OwnerOrgID: it.OrganisationID}
		if a.Authz.Allowed(p.Actor(), "read", res) {
			mine = append(mine, it)
		}
	}
	return listed(c, mine, total)
}
