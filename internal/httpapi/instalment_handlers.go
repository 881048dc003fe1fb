package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/decision"
)

// registerInstalments adds the route on which the fund's stewards record
// that an instalment of a grant was paid. The grantee and the stewards
// read it with the grant's instalments (GET /grants/:id).
func (a *API) registerInstalments(g *echo.Group) {
	g.POST("/grants/:id/instalments/:number/paid", a.markInstalmentPaid)
}

// InstalmentNumber reads the instalment number in the path: anything but
// a positive whole number is not found.
func InstalmentNumber(c echo.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n <= 0 || n > decision.MaxInstalments {
		return 0, decision.ErrInstalmentNotFound
	}
	return n, nil
}

// AuthorizePayment loads the grant in the path and checks that the
// principal may record its payments (the fund's stewards: "update" on the
// grant).
func AuthorizePayment(c echo.Context, az *authz.Authorizer, ds *decision.Service) (decision.Grant, int, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return decision.Grant{}, 0, err
	}
	g, err := ds.Grant(c.Request().Context(), id)
	if err != nil {
		return g, 0, err
	}
	if err := Authorize(az, c, "update", GrantResource(g.FundID, g.OrganisationID)); err != nil {
		return g, 0, err
	}
	n, err := InstalmentNumber(c)
	return g, n, err
}

func (a *API) markInstalmentPaid(c echo.Context) error {
	g, n, err := AuthorizePayment(c, a.Authz, a.Decisions)
	if err != nil {
		return err
	}
	var in decision.Payment
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.Decisions.MarkPaid(c.Request().Context(), CurrentPrincipal(c).User.ID, g.ID, n, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
