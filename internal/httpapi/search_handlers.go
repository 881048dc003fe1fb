package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/search"
)

// registerSearch adds full-text search across a fund's learning. Anyone
// who may read the fund may search it; what each person finds is limited
// by internal/search to what they may read (FundViewer).
func (a *API) registerSearch(g *echo.Group) {
	g.GET("/funds/:id/search", a.searchFund)
}

// SearchResource is searching a fund.
func SearchResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "search", Domain: authz.FundDomain(fundID)}
}

func (a *API) searchFund(c echo.Context) error {
	id, err := a.visibleFundIn(c)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", SearchResource(id)); err != nil {
		return err
	}
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	v := FundViewer(a.Authz, CurrentPrincipal(c), id)
	rs, total, err := a.Search.Search(c.Request().Context(), v, c.QueryParam("q"), search.Page{Number: p.Number, Size: p.Size})
	if err != nil {
		return err
	}
	return listed(c, rs, total)
}
