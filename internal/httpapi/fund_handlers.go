package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/user"
	"github.com/humblehq/humble/internal/validate"
)

// registerFunds adds the funds routes.
func (a *API) registerFunds(g *echo.Group) {
	g.GET("/funds", a.listFunds)
	g.POST("/funds", a.createFund)
	g.GET("/funds/:id", a.getFund)
	g.PATCH("/funds/:id", a.updateFund)
	g.POST("/funds/:id/status", a.changeFundStatus)
	g.GET("/funds/:id/stages", a.listFundStages)
	g.POST("/funds/:id/stages", a.changeFundStage)
	g.GET("/funds/:id/principles", a.listPrinciples)
	g.POST("/funds/:id/principles", a.revisePrinciples)
	g.GET("/funds/:id/roles", a.listFundRoles)
	g.POST("/funds/:id/roles", a.assignFundRole)
	g.DELETE("/funds/:id/roles", a.revokeFundRole)
	g.POST("/funds/:id/invitations", a.inviteToFund)
}

// FundResource is the fund as a resource in its own domain.
func FundResource(id int64) authz.Resource {
	return authz.Resource{Kind: "fund", Domain: authz.FundDomain(id), ID: strconv.FormatInt(id, 10)}
}

// VisibleFund returns a fund the principal may see: one that is not a
// draft, or a draft they steward. Others get 404, so drafts stay unknown.
func VisibleFund(ctx context.Context, az *authz.Authorizer, funds *fund.Service, p *Principal, id int64) (fund.Fund, error) {
	f, err := funds.Get(ctx, id)
	if err != nil {
		return fund.Fund{}, err
	}
	if f.Status == fund.Draft && !az.Allowed(p.Actor(), "read_draft", FundResource(id)) {
		return fund.Fund{}, fund.ErrNotFound
	}
	return f, nil
}

type fundView struct {
	fund.Fund
	Purpose    string   `json:"purpose"`
	Principles []string `json:"principles"`
}

func (a *API) fundView(c echo.Context, f fund.Fund) (fundView, error) {
	revs, err := a.Funds.Principles(c.Request().Context(), f.ID)
	if err != nil {
		return fundView{}, err
	}
	v := fundView{Fund: f, Purpose: f.Purpose(), Principles: []string{}}
	if len(revs) > 0 {
		v.Principles = revs[len(revs)-1].Principles
	}
	return v, nil
}

// respondFund answers with the fund as the API shows it, or the error.
func (a *API) respondFund(c echo.Context, status int, f fund.Fund, err error) error {
	if err != nil {
		return err
	}
	v, err := a.fundView(c, f)
	if err != nil {
		return err
	}
	return c.JSON(status, v)
}

func (a *API) listFunds(c echo.Context) error {
	if err := Authorize(a.Authz, c, "list", installation("fund")); err != nil {
		return err
	}
	p := CurrentPrincipal(c)
	var drafts []int64
	for _, d := range a.Authz.DomainsOf(p.User.ID) {
		if id, ok := authz.ParseFundDomain(d); ok && a.Authz.Allowed(p.Actor(), "read_draft", FundResource(id)) {
			drafts = append(drafts, id)
		}
	}
	fs, err := a.Funds.List(c.Request().Context(), drafts)
	if err != nil {
		return err
	}
	out := make([]fundView, 0, len(fs))
	for _, f := range fs {
		v, err := a.fundView(c, f)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return listed(c, out, int64(len(out)))
}

func (a *API) createFund(c echo.Context) error {
	var in fund.NewFund
	if err := Bind(c, &in); err != nil {
		return err
	}
	res := authz.Resource{Kind: "fund", Domain: authz.Installation, OwnerOrgID: in.OrganisationID}
	if err := Authorize(a.Authz, c, "create", res); err != nil {
		return err
	}
	f, err := a.Funds.Create(c.Request().Context(), CurrentPrincipal(c).User.ID, in)
	return a.respondFund(c, http.StatusCreated, f, err)
}

func (a *API) getFund(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", FundResource(id)); err != nil {
		return err
	}
	f, err := VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id)
	return a.respondFund(c, http.StatusOK, f, err)
}

type fundUpdate struct {
	Version int `json:"version" validate:"required,gt=0"`
	fund.Details
}

// stewardOf checks the action on the fund and that it exists (and is
// visible), in that order: a stranger learns nothing from the status.
func (a *API) stewardOf(c echo.Context, action string) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	if err := Authorize(a.Authz, c, action, FundResource(id)); err != nil {
		return 0, err
	}
	if _, err := VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id); err != nil {
		return 0, err
	}
	return id, nil
}

func (a *API) updateFund(c echo.Context) error {
	id, err := a.stewardOf(c, "update")
	if err != nil {
		return err
	}
	var in fundUpdate
	if err := Bind(c, &in); err != nil {
		return err
	}
	f, err := a.Funds.Update(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in.Version, in.Details)
	return a.respondFund(c, http.StatusOK, f, err)
}

type statusChange struct {
	Status string `json:"status" validate:"required,oneof=draft open active closed"`
}

func (a *API) changeFundStatus(c echo.Context) error {
	id, err := a.stewardOf(c, "update")
	if err != nil {
		return err
	}
	var in statusChange
	if err := Bind(c, &in); err != nil {
		return err
	}
	action := "publish"
	if in.Status == fund.Closed {
		action = "close"
	}
	if err := Authorize(a.Authz, c, action, FundResource(id)); err != nil {
		return err
	}
	f, err := a.Funds.ChangeStatus(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in.Status)
	return a.respondFund(c, http.StatusOK, f, err)
}

func (a *API) listFundStages(c echo.Context) error {
	id, err := a.stewardOf(c, "read")
	if err != nil {
		return err
	}
	h, err := a.Funds.StageHistory(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return listed(c, h, int64(len(h)))
}

func (a *API) changeFundStage(c echo.Context) error {
	id, err := a.stewardOf(c, "update")
	if err != nil {
		return err
	}
	var in fund.StageMove
	if err := Bind(c, &in); err != nil {
		return err
	}
	f, err := a.Funds.ChangeStage(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	return a.respondFund(c, http.StatusOK, f, err)
}

func (a *API) listPrinciples(c echo.Context) error {
	id, err := a.stewardOf(c, "read")
	if err != nil {
		return err
	}
	revs, err := a.Funds.Principles(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return listed(c, revs, int64(len(revs)))
}

func (a *API) revisePrinciples(c echo.Context) error {
	id, err := a.stewardOf(c, "update")
	if err != nil {
		return err
	}
	var in fund.NewPrinciples
	if err := Bind(c, &in); err != nil {
		return err
	}
	rev, err := a.Funds.RevisePrinciples(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, rev)
}

func roleResource(id int64) authz.Resource {
	return authz.Resource{Kind: "role", Domain: authz.FundDomain(id), ID: strconv.FormatInt(id, 10)}
}

func (a *API) fundRoleAccess(c echo.Context, action string) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	if err := Authorize(a.Authz, c, action, roleResource(id)); err != nil {
		return 0, err
	}
	_, err = a.Funds.Get(c.Request().Context(), id)
	return id, err
}

func (a *API) listFundRoles(c echo.Context) error {
	id, err := a.fundRoleAccess(c, "list")
	if err != nil {
		return err
	}
	hs, err := a.Funds.Roles(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return listed(c, hs, int64(len(hs)))
}

func (a *API) assignFundRole(c echo.Context) error {
	id, err := a.fundRoleAccess(c, "assign")
	if err != nil {
		return err
	}
	var in fund.RoleChange
	if err := Bind(c, &in); err != nil {
		return err
	}
	if err := a.Funds.AssignRole(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) revokeFundRole(c echo.Context) error {
	id, err := a.fundRoleAccess(c, "revoke")
	if err != nil {
		return err
	}
	var in fund.RoleChange
	if err := Bind(c, &in); err != nil {
		return err
	}
	if err := a.Funds.RevokeRole(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type fundInvitation struct {
	Email       string `json:"email" validate:"required,max=254,email"`
	DisplayName string `json:"display_name" validate:"max=120"`
	Role        string `json:"role" validate:"required,oneof=steward panel_chair panel_member learning_partner"`
}

// inviteToFund invites someone without an account to take a role.
func (a *API) inviteToFund(c echo.Context) error {
	id, err := a.fundRoleAccess(c, "assign")
	if err != nil {
		return err
	}
	var in fundInvitation
	if err := Bind(c, &in); err != nil {
		return err
	}
	secret, inv, err := a.Users.Invite(c.Request().Context(), CurrentPrincipal(c).User.ID,
		user.NewInvitation{Email: in.Email, DisplayName: in.DisplayName, FundID: id, FundRole: in.Role})
	if err != nil {
		if errors.Is(err, user.ErrEmailTaken) {
			return validate.Field("email", "already has an account: give the role to that account instead")
		}
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, createdInvitation{Invitation: inv, Link: a.BaseURL + user.InvitePath + secret})
}
