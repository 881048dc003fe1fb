package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/validate"
)

func (a *API) listOrganisations(c echo.Context) error {
	if err := Authorize(a.Authz, c, "list", installation("organisation")); err != nil {
		return err
	}
	pg, err := pageOf(c)
	if err != nil {
		return err
	}
	os, total, err := a.Orgs.List(c.Request().Context(), pg.Offset(), pg.Size)
	if err != nil {
		return err
	}
	return listed(c, os, total)
}

func (a *API) createOrganisation(c echo.Context) error {
	if err := Authorize(a.Authz, c, "create", installation("organisation")); err != nil {
		return err
	}
	var in org.NewOrganisation
	if err := Bind(c, &in); err != nil {
		return err
	}
	o, err := a.Orgs.Create(c.Request().Context(), CurrentPrincipal(c).User.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, o)
}

func (a *API) getOrganisation(c echo.Context) error {
	if err := Authorize(a.Authz, c, "read", installation("organisation")); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := a.Orgs.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o)
}

func orgResource(id int64) authz.Resource {
	return authz.Resource{Kind: "organisation", Domain: authz.Installation, ID: strconv.FormatInt(id, 10), OwnerOrgID: id}
}

func (a *API) listMembers(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "list_members", orgResource(id)); err != nil {
		return err
	}
	if _, err := a.Orgs.Get(c.Request().Context(), id); err != nil {
		return err
	}
	ms, err := a.Orgs.Members(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return listed(c, ms, int64(len(ms)))
}

type newMember struct {
	UserID int64 `json:"user_id" validate:"required,gt=0"`
}

func (a *API) addMember(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "add_member", orgResource(id)); err != nil {
		return err
	}
	var in newMember
	if err := Bind(c, &in); err != nil {
		return err
	}
	if err := a.Orgs.AddMember(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in.UserID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listAuditEvents: administrators read every event; a steward reads the
// events of a fund they steward (?fund_id=).
func (a *API) listAuditEvents(c echo.Context) error {
	if CurrentPrincipal(c).Anonymous() {
		return ErrUnauthenticated
	}
	var fundID int64
	if s := c.QueryParam("fund_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return validate.Field("fund_id", "must be a positive whole number")
		}
		fundID = n
	}
	res := installation("audit_event")
	if fundID != 0 && !a.Authz.Allowed(CurrentPrincipal(c).Actor(), "list", res) {
		res = authz.Resource{Kind: "audit_event", Domain: authz.FundDomain(fundID)}
	}
	if err := Authorize(a.Authz, c, "list", res); err != nil {
		return err
	}
	f := audit.Filter{FundID: fundID}
	if s := c.QueryParam("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return validate.Field("before", "must be a positive whole number")
		}
		f.Before = n
	}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 200 {
			return validate.Field("limit", "must be a whole number from 1 to 200")
		}
		f.Limit = n
	}
	events, err := audit.List(c.Request().Context(), a.DB, f)
	if err != nil {
		return err
	}
	if events == nil {
		events = []audit.Event{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": events})
}
