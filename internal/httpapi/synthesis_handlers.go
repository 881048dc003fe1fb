package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/synthesis"
)

// registerSyntheses adds the fund's learning syntheses: the stewards and
// learning partners write them (drafts only they read) and publish them
// to the fund's public page. Which citations each reader sees is decided
// in internal/synthesis.
func (a *API) registerSyntheses(g *echo.Group) {
	g.GET("/funds/:id/syntheses", a.listSyntheses)
	g.POST("/funds/:id/syntheses", a.createSynthesis)
	g.GET("/syntheses/:id", a.getSynthesis)
	g.PUT("/syntheses/:id", a.updateSynthesis)
	g.POST("/syntheses/:id/publish", a.publishSynthesis)
}

// SynthesisResource is a synthesis of a fund.
func SynthesisResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "synthesis", Domain: authz.FundDomain(fundID)}
}

// SynthesisIn loads the synthesis with id, and whether the principal reads
// drafts; 404 when its fund is not visible or it is a draft they may not
// read.
func SynthesisIn(c echo.Context, az *authz.Authorizer, funds *fund.Service, ys *synthesis.Service, id int64) (synthesis.Synthesis, bool, error) {
	y, err := ys.Meta(c.Request().Context(), id)
	if err != nil {
		return y, false, err
	}
	p := CurrentPrincipal(c)
	if _, err := VisibleFund(c.Request().Context(), az, funds, p, y.FundID); err != nil {
		return y, false, synthesis.ErrNotFound
	}
	drafts := az.Allowed(p.Actor(), "read_draft", SynthesisResource(y.FundID))
	if y.Status == synthesis.Draft && !drafts {
		return y, false, synthesis.ErrNotFound
	}
	return y, drafts, nil
}

func (a *API) synthesisFor(c echo.Context, action string) (synthesis.Synthesis, bool, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return synthesis.Synthesis{}, false, err
	}
	y, drafts, err := SynthesisIn(c, a.Authz, a.Funds, a.Syntheses, id)
	if err != nil {
		return y, drafts, err
	}
	return y, drafts, Authorize(a.Authz, c, action, SynthesisResource(y.FundID))
}

func (a *API) listSyntheses(c echo.Context) error {
	id, err := a.visibleFundIn(c)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", SynthesisResource(id)); err != nil {
		return err
	}
	p, err := pageOf(c)
	if err != nil {
		return err
	}
	drafts := a.Authz.Allowed(CurrentPrincipal(c).Actor(), "read_draft", SynthesisResource(id))
	ys, total, err := a.Syntheses.List(c.Request().Context(), id, drafts, p.Offset(), p.Size)
	if err != nil {
		return err
	}
	return listed(c, ys, total)
}

func (a *API) createSynthesis(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "create", SynthesisResource(id)); err != nil {
		return err
	}
	if _, err := VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id); err != nil {
		return err
	}
	var in synthesis.Input
	if err := Bind(c, &in); err != nil {
		return err
	}
	y, err := a.Syntheses.Create(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), id), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, y)
}

func (a *API) getSynthesis(c echo.Context) error {
	y, drafts, err := a.synthesisFor(c, "read")
	if err != nil {
		return err
	}
	out, err := a.Syntheses.Get(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), y.FundID), y.ID, drafts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) updateSynthesis(c echo.Context) error {
	y, _, err := a.synthesisFor(c, "update")
	if err != nil {
		return err
	}
	var in synthesis.Edit
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.Syntheses.Update(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), y.FundID), y.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) publishSynthesis(c echo.Context) error {
	y, _, err := a.synthesisFor(c, "publish")
	if err != nil {
		return err
	}
	var in versionOnly
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.Syntheses.Publish(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), y.FundID), y.ID, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
