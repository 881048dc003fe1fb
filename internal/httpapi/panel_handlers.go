package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/validate"
)

// registerPanels adds the panels routes: membership, time and payment,
// conflict-of-interest declarations and deliberation.
func (a *API) registerPanels(g *echo.Group) {
	g.GET("/funds/:id/panel", a.listPanel)
	g.POST("/funds/:id/panel", a.addPanelMember)
	g.GET("/funds/:id/panel/summary", a.panelSummary)
	g.PATCH("/panel-members/:id", a.updatePanelMember)
	g.DELETE("/panel-members/:id", a.removePanelMember)
	g.GET("/rounds/:id/panel-time", a.listPanelTime)
	g.PUT("/rounds/:id/panel-time", a.recordPanelTime)
	g.GET("/rounds/:id/declarations", a.listDeclarations)
	g.PUT("/rounds/:id/declarations", a.declare)
	g.GET("/applications/:id/comments", a.listComments)
	g.POST("/applications/:id/comments", a.postComment)
	g.PATCH("/comments/:id", a.correctComment)
	g.POST("/comments/:id/retract", a.retractComment)
}

// PanelResource is a fund's panel.
func PanelResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "panel", Domain: authz.FundDomain(fundID), ID: strconv.FormatInt(fundID, 10)}
}

// DeclarationResource is a declaration in a fund made by owner (0: anyone's,
// which only those who see every declaration may read).
func DeclarationResource(fundID, owner int64) authz.Resource {
	return authz.Resource{Kind: "declaration", Domain: authz.FundDomain(fundID), OwnerUserID: owner}
}

// PanelTimeResource is a member's time record in a fund (owner 0: anyone's).
func PanelTimeResource(fundID, owner int64) authz.Resource {
	return authz.Resource{Kind: "panel_time", Domain: authz.FundDomain(fundID), OwnerUserID: owner}
}

// CommentResource is a comment in a fund's deliberations by author (0: one
// not yet written).
func CommentResource(fundID, author int64) authz.Resource {
	return authz.Resource{Kind: "comment", Domain: authz.FundDomain(fundID), OwnerUserID: author}
}

// OverseesPanel reports whether the principal sees every declaration in the
// fund (its stewards). They take part in deliberation without declaring.
func OverseesPanel(az *authz.Authorizer, p *Principal, fundID int64) bool {
	return !p.Anonymous() && az.Allowed(p.Actor(), "read", DeclarationResource(fundID, 0))
}

// panelFund checks action on the fund's panel, then that the fund is
// visible to the principal: a stranger learns nothing from the status.
func (a *API) panelFund(c echo.Context, action string) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	if err := Authorize(a.Authz, c, action, PanelResource(id)); err != nil {
		return 0, err
	}
	if _, err := VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id); err != nil {
		return 0, err
	}
	return id, nil
}

func (a *API) listPanel(c echo.Context) error {
	id, err := a.panelFund(c, "read_members")
	if err != nil {
		return err
	}
	ms, err := a.Panels.Members(c.Request().Context(), id)
	if err != nil {
		return err
	}
	// Fellow members see names; only stewards see how to reach people.
	if !a.Authz.Allowed(CurrentPrincipal(c).Actor(), "add_member", PanelResource(id)) {
		for i := range ms {
			ms[i].Email = ""
		}
	}
	return listed(c, ms, int64(len(ms)))
}

func (a *API) addPanelMember(c echo.Context) error {
	id, err := a.panelFund(c, "add_member")
	if err != nil {
		return err
	}
	var in panel.NewMember
	if err := Bind(c, &in); err != nil {
		return err
	}
	m, err := a.Panels.AddMember(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

func (a *API) panelSummary(c echo.Context) error {
	id, err := a.panelFund(c, "read")
	if err != nil {
		return err
	}
	s, err := a.Panels.PanelSummary(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

// panelMember loads the seat in the path and checks action on its panel.
func (a *API) panelMember(c echo.Context, action string) (panel.PanelMember, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return panel.PanelMember{}, err
	}
	m, err := a.Panels.GetMember(c.Request().Context(), id)
	if err != nil {
		return panel.PanelMember{}, err
	}
	if err := Authorize(a.Authz, c, action, PanelResource(m.FundID)); err != nil {
		return panel.PanelMember{}, err
	}
	return m, nil
}

// panelMemberPatch changes a seat; fields left out stay as they are, and
// term_end: null ends nothing (an open term).
type panelMemberPatch struct {
	Role      *string         `json:"role" validate:"omitempty,oneof=chair member"`
	ChosenBy  *string         `json:"chosen_by" validate:"omitempty,oneof=invited nominated lottery"`
	TermStart *string         `json:"term_start"`
	TermEnd   json.RawMessage `json:"term_end"`
}

func (p panelMemberPatch) change() (panel.MemberChange, error) {
	ch := panel.MemberChange{Role: p.Role, ChosenBy: p.ChosenBy, TermStart: p.TermStart}
	if len(p.TermEnd) > 0 {
		if strings.TrimSpace(string(p.TermEnd)) == "null" {
			ch.ClearTermEnd = true
		} else {
			var s string
			if err := json.Unmarshal(p.TermEnd, &s); err != nil {
				return ch, validate.Field("term_end", "must be a date such as 2026-04-01, or null")
			}
			ch.TermEnd = &s
		}
	}
	return ch, nil
}

func (a *API) updatePanelMember(c echo.Context) error {
	m, err := a.panelMember(c, "update")
	if err != nil {
		return err
	}
	var in panelMemberPatch
	if err := Bind(c, &in); err != nil {
		return err
	}
	ch, err := in.change()
	if err != nil {
		return err
	}
	m, err = a.Panels.UpdateMember(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (a *API) removePanelMember(c echo.Context) error {
	m, err := a.panelMember(c, "remove_member")
	if err != nil {
		return err
	}
	if err := a.Panels.RemoveMember(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// panelRound loads the round in the path.
func (a *API) panelRound(c echo.Context) (panel.Round, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return panel.Round{}, err
	}
	return a.Panels.Round(c.Request().Context(), id)
}

// listPanelTime: stewards see every member's record (or one member's with
// ?user_id=); a member sees only their own, and another's is not found.
func (a *API) listPanelTime(c echo.Context) error {
	r, err := a.panelRound(c)
	if err != nil {
		return err
	}
	p := CurrentPrincipal(c)
	all := a.Authz.Allowed(p.Actor(), "list", PanelTimeResource(r.FundID, 0))
	if !all {
		if err := Authorize(a.Authz, c, "read", PanelTimeResource(r.FundID, p.User.ID)); err != nil {
			return err
		}
	}
	var who int64
	if s := c.QueryParam("user_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return validate.Field("user_id", "must be a positive whole number")
		}
		who = n
	}
	if !all {
		if who != 0 && who != p.User.ID {
			return ErrNotFound
		}
		who = p.User.ID
	}
	rows, err := a.Panels.TimeRecords(c.Request().Context(), r.ID, who)
	if err != nil {
		return err
	}
	return listed(c, rows, int64(len(rows)))
}

func (a *API) recordPanelTime(c echo.Context) error {
	r, err := a.panelRound(c)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "record", PanelTimeResource(r.FundID, 0)); err != nil {
		return err
	}
	var in panel.TimeEntry
	if err := Bind(c, &in); err != nil {
		return err
	}
	rec, created, err := a.Panels.RecordTime(c.Request().Context(), CurrentPrincipal(c).User.ID, r.ID, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, rec)
}

// listDeclarations: stewards see the whole table; a panel member sees their
// own declarations.
func (a *API) listDeclarations(c echo.Context) error {
	r, err := a.panelRound(c)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "list", DeclarationResource(r.FundID, 0)); err != nil {
		return err
	}
	p := CurrentPrincipal(c)
	who := p.User.ID
	if OverseesPanel(a.Authz, p, r.FundID) {
		who = 0
	}
	ds, err := a.Panels.Declarations(c.Request().Context(), r.ID, who)
	if err != nil {
		return err
	}
	return listed(c, ds, int64(len(ds)))
}

func (a *API) declare(c echo.Context) error {
	r, err := a.panelRound(c)
	if err != nil {
		return err
	}
	p := CurrentPrincipal(c)
	if err := Authorize(a.Authz, c, "create", DeclarationResource(r.FundID, p.User.ID)); err != nil {
		return err
	}
	var in panel.DeclarationSet
	if err := Bind(c, &in); err != nil {
		return err
	}
	ds, err := a.Panels.Declare(c.Request().Context(), p.User.ID, r.ID, in)
	if err != nil {
		return err
	}
	return listed(c, ds, int64(len(ds)))
}

// deliberation loads the application in the path, checks action on its
// comments and the rules of its thread (declared, not recused).
func (a *API) deliberation(c echo.Context, action string) (panel.Application, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return panel.Application{}, err
	}
	ctx := c.Request().Context()
	app, err := a.Panels.Application(ctx, id)
	if err != nil {
		return panel.Application{}, err
	}
	if err := Authorize(a.Authz, c, action, CommentResource(app.FundID, 0)); err != nil {
		return panel.Application{}, err
	}
	p := CurrentPrincipal(c)
	if err := a.Panels.CheckDeliberation(ctx, app.ID, p.User.ID, OverseesPanel(a.Authz, p, app.FundID)); err != nil {
		return panel.Application{}, err
	}
	return app, nil
}

func (a *API) listComments(c echo.Context) error {
	app, err := a.deliberation(c, "list")
	if err != nil {
		return err
	}
	cs, err := a.Panels.Thread(c.Request().Context(), app.ID)
	if err != nil {
		return err
	}
	return listed(c, cs, int64(len(cs)))
}

type commentBody struct {
	Body string `json:"body" validate:"required,max=5000"`
}

func (a *API) postComment(c echo.Context) error {
	app, err := a.deliberation(c, "create")
	if err != nil {
		return err
	}
	var in commentBody
	if err := Bind(c, &in); err != nil {
		return err
	}
	cm, err := a.Panels.PostComment(c.Request().Context(), CurrentPrincipal(c).User.ID, app.ID, in.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cm)
}

// ownComment loads the comment in the path and checks action on it.
func (a *API) ownComment(c echo.Context, action string) (panel.Comment, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return panel.Comment{}, err
	}
	cm, err := a.Panels.GetComment(c.Request().Context(), id)
	if err != nil {
		return panel.Comment{}, err
	}
	if err := Authorize(a.Authz, c, action, CommentResource(cm.FundID, cm.AuthorID)); err != nil {
		return panel.Comment{}, err
	}
	return cm, nil
}

func (a *API) correctComment(c echo.Context) error {
	cm, err := a.ownComment(c, "update")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := CurrentPrincipal(c)
	// Correcting adds words to a thread, so its rules apply again: an
	// author who has since recused may retract, not rewrite.
	if err := a.Panels.CheckDeliberation(ctx, cm.ApplicationID, p.User.ID, OverseesPanel(a.Authz, p, cm.FundID)); err != nil {
		return err
	}
	var in commentBody
	if err := Bind(c, &in); err != nil {
		return err
	}
	cm, err = a.Panels.CorrectComment(ctx, p.User.ID, cm.ID, in.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cm)
}

type retraction struct {
	Reason string `json:"reason" validate:"required,max=1000"`
}

func (a *API) retractComment(c echo.Context) error {
	cm, err := a.ownComment(c, "retract")
	if err != nil {
		return err
	}
	var in retraction
	if err := Bind(c, &in); err != nil {
		return err
	}
	cm, err = a.Panels.RetractComment(c.Request().Context(), CurrentPrincipal(c).User.ID, cm.ID, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cm)
}
