package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/user"
)

func self(c echo.Context, kind string) authz.Resource {
	return authz.Resource{Kind: kind, Domain: authz.Installation, OwnerUserID: CurrentPrincipal(c).User.ID}
}

type meResponse struct {
	user.User
	OrganisationIDs []int64 `json:"organisation_ids"`
	Administrator   bool    `json:"administrator"`
}

func (a *API) me(c echo.Context) error {
	if err := Authorize(a.Authz, c, "read", self(c, "account")); err != nil {
		return err
	}
	p := CurrentPrincipal(c)
	ids := p.OrgIDs
	if ids == nil {
		ids = []int64{}
	}
	admin := false
	for _, r := range a.Authz.RolesIn(p.User.ID, authz.Installation) {
		admin = admin || r == authz.Admin
	}
	return c.JSON(http.StatusOK, meResponse{User: p.User, OrganisationIDs: ids, Administrator: admin})
}

func (a *API) listTokens(c echo.Context) error {
	if err := Authorize(a.Authz, c, "list", self(c, "token")); err != nil {
		return err
	}
	ts, err := a.Users.Tokens(c.Request().Context(), CurrentPrincipal(c).User.ID)
	if err != nil {
		return err
	}
	return listed(c, ts, int64(len(ts)))
}

type createdToken struct {
	user.APIToken
	Token string `json:"token"`
}

func (a *API) createToken(c echo.Context) error {
	if err := Authorize(a.Authz, c, "create", self(c, "token")); err != nil {
		return err
	}
	var in user.NewToken
	if err := Bind(c, &in); err != nil {
		return err
	}
	secret, t, err := a.Users.CreateToken(c.Request().Context(), CurrentPrincipal(c).User.ID, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, createdToken{APIToken: t, Token: secret})
}

func (a *API) revokeToken(c echo.Context) error {
	if err := Authorize(a.Authz, c, "revoke", self(c, "token")); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.Users.RevokeToken(c.Request().Context(), CurrentPrincipal(c).User.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type createdInvitation struct {
	user.Invitation
	Link string `json:"link"`
}

func (a *API) createInvitation(c echo.Context) error {
	if err := Authorize(a.Authz, c, "create", installation("invitation")); err != nil {
		return err
	}
	var in user.NewInvitation
	if err := Bind(c, &in); err != nil {
		return err
	}
	secret, inv, err := a.Users.Invite(c.Request().Context(), CurrentPrincipal(c).User.ID, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, createdInvitation{Invitation: inv, Link: a.BaseURL + user.InvitePath + secret})
}
