package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/pattern"
)

// registerPatterns adds the routes of a fund's themes, the tags that put
// them on sources and the pattern view. Counts and lists of sources are
// computed for the caller: a source they cannot read is neither counted
// nor listed, and a tag on it is not found.
func (a *API) registerPatterns(g *echo.Group) {
	g.GET("/funds/:id/themes", a.listThemes)
	g.POST("/funds/:id/themes", a.suggestTheme)
	g.PATCH("/themes/:id", a.curateTheme)
	g.POST("/funds/:id/tags", a.tagSource)
	g.DELETE("/tags/:id", a.untagSource)
	g.GET("/funds/:id/patterns", a.patterns)
	g.GET("/funds/:id/patterns/:theme_id/sources", a.patternSources)
}

// ThemeResource is a fund's list of themes, to the policy.
func ThemeResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "theme", Domain: authz.FundDomain(fundID)}
}

// TagResource is the tags on a fund's sources, to the policy; who may tag
// which source is decided by the patterns domain.
func TagResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "theme_tag", Domain: authz.FundDomain(fundID)}
}

// PatternResource is a fund's pattern view.
func PatternResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "pattern", Domain: authz.FundDomain(fundID)}
}

// CuratesThemes reports whether the principal curates the fund's themes
// (its stewards do).
func CuratesThemes(az *authz.Authorizer, p *Principal, fundID int64) bool {
	return az.Allowed(p.Actor(), "curate", ThemeResource(fundID))
}

// patternFund loads the fund in the path, if the principal may know of it.
func (a *API) patternFund(c echo.Context, param string) (fund.Fund, error) {
	id, err := pathID(c, param)
	if err != nil {
		return fund.Fund{}, err
	}
	return VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id)
}

func (a *API) listThemes(c echo.Context) error {
	f, err := a.patternFund(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "list", ThemeResource(f.ID)); err != nil {
		return err
	}
	p := CurrentPrincipal(c)
	ts, err := a.Patterns.List(c.Request().Context(), f.ID, p.User.ID, CuratesThemes(a.Authz, p, f.ID))
	if err != nil {
		return err
	}
	return listed(c, ts, int64(len(ts)))
}

func (a *API) suggestTheme(c echo.Context) error {
	f, err := a.patternFund(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "suggest", ThemeResource(f.ID)); err != nil {
		return err
	}
	var in pattern.NewTheme
	if err := Bind(c, &in); err != nil {
		return err
	}
	th, err := a.Patterns.Suggest(c.Request().Context(), CurrentPrincipal(c).User.ID, f.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, th)
}

// themeIn loads the theme in the path, if the principal may know of it: a
// curated theme of a fund they can see, or a suggestion of their own (or
// any, for a steward).
func (a *API) themeIn(c echo.Context) (pattern.Theme, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return pattern.Theme{}, err
	}
	ctx := c.Request().Context()
	th, err := a.Patterns.Theme(ctx, id)
	if err != nil {
		return th, err
	}
	p := CurrentPrincipal(c)
	if _, err := VisibleFund(ctx, a.Authz, a.Funds, p, th.FundID); err != nil {
		return th, pattern.ErrThemeNotFound
	}
	if !th.Sees(p.User.ID, CuratesThemes(a.Authz, p, th.FundID)) {
		return th, pattern.ErrThemeNotFound
	}
	return th, nil
}

func (a *API) curateTheme(c echo.Context) error {
	th, err := a.themeIn(c)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "curate", ThemeResource(th.FundID)); err != nil {
		return err
	}
	var in pattern.Curation
	if err := Bind(c, &in); err != nil {
		return err
	}
	th, err = a.Patterns.Curate(c.Request().Context(), CurrentPrincipal(c).User.ID, th.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, th)
}

func (a *API) tagSource(c echo.Context) error {
	f, err := a.patternFund(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "create", TagResource(f.ID)); err != nil {
		return err
	}
	var in pattern.NewTag
	if err := Bind(c, &in); err != nil {
		return err
	}
	tag, err := a.Patterns.Tag(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), f.ID), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tag)
}

func (a *API) untagSource(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// Anonymous callers are turned away before anything is looked up, so
	// the answer never says whether a tag exists.
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return ErrUnauthenticated
	}
	ctx := c.Request().Context()
	tag, err := a.Patterns.TagByID(ctx, id)
	if err != nil {
		return err
	}
	v := FundViewer(a.Authz, p, tag.FundID)
	// A tag on a source the caller cannot read does not exist for them.
	var acc, dlg int64
	var key string
	if tag.AccountID != nil {
		acc, key = *tag.AccountID, *tag.SectionKey
	}
	if tag.DialogueID != nil {
		dlg = *tag.DialogueID
	}
	if err := a.Patterns.MayTag(ctx, v, acc, key, dlg); errors.Is(err, pattern.ErrSourceHidden) {
		return pattern.ErrTagNotFound
	}
	if err := Authorize(a.Authz, c, "delete", TagResource(tag.FundID)); err != nil {
		return err
	}
	if err := a.Patterns.Untag(ctx, v, tag.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) patterns(c echo.Context) error {
	f, err := a.patternFund(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", PatternResource(f.ID)); err != nil {
		return err
	}
	view, err := a.Patterns.Patterns(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), f.ID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view)
}

func (a *API) patternSources(c echo.Context) error {
	f, err := a.patternFund(c, "id")
	if err != nil {
		return err
	}
	themeID, err := pathID(c, "theme_id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", PatternResource(f.ID)); err != nil {
		return err
	}
	pg, err := pageOf(c)
	if err != nil {
		return err
	}
	srcs, total, err := a.Patterns.Sources(c.Request().Context(), FundViewer(a.Authz, CurrentPrincipal(c), f.ID), themeID,
		c.QueryParam("period"), pg.Size, pg.Offset())
	if err != nil {
		return err
	}
	return listed(c, srcs, int64(total))
}
