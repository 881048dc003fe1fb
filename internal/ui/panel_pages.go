package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/validate"
)

// registerPanelPages adds the panels pages: the panel's members (here),
// each round's declarations and time (panel_round_pages.go) and each
// application's deliberation (panel_discussion_pages.go).
func (u *UI) registerPanelPages(e *echo.Echo) {
	e.GET("/funds/:id/panel", u.panelPage)
	e.POST("/funds/:id/panel", u.addPanelMember)
	e.GET("/panel-members/:id/edit", u.editPanelMemberForm)
	e.POST("/panel-members/:id/edit", u.updatePanelMember)
	e.POST("/panel-members/:id/remove", u.removePanelMember)
	e.GET("/rounds/:id/declarations", u.declarationsPage)
	e.POST("/rounds/:id/declarations", u.declare)
	e.GET("/rounds/:id/panel-time", u.panelTimePage)
	e.POST("/rounds/:id/panel-time", u.recordPanelTime)
	u.registerDiscussionPages(e)
}

// panelPathID reads a positive id from the path; anything else is a 404.
func panelPathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, httpapi.ErrNotFound
	}
	return id, nil
}

// choice is one radio button or option.
type choice struct{ Value, Label string }

var seatChoices = []choice{{panel.Member, "Member"}, {panel.Chair, "Chair"}}

func methodChoices() []choice {
	out := make([]choice, 0, len(panel.ChoiceMethods))
	for _, m := range panel.ChoiceMethods {
		out = append(out, choice{m, panel.ChoiceNames[m]})
	}
	return out
}

var panelMemberLabels = map[string]string{"person": "Person", "role": "Role", "chosen_by": "How they were chosen",
	"term_start": "Start of term", "term_end": "End of term"}

// memberErrors names the person field for errors about user_id or email.
func memberErrors(err error) ([]fieldErr, bool) {
	ve, ok := validate.As(err)
	if !ok {
		return nil, false
	}
	for i := range ve {
		if ve[i].Field == "user_id" || ve[i].Field == "email" {
			ve[i].Field = "person"
		}
	}
	return errorsOf(ve, panelMemberLabels)
}

type seatView struct {
	panel.PanelMember
	RoleName, ChosenName, Term string
}

func seatViewOf(m panel.PanelMember) seatView {
	v := seatView{PanelMember: m, RoleName: "Member", ChosenName: panel.ChoiceNames[m.ChosenBy], Term: "from " + m.TermStart}
	if m.Role == panel.Chair {
		v.RoleName = "Chair"
	}
	if m.TermEnd != nil {
		v.Term = m.TermStart + " to " + *m.TermEnd
	}
	return v
}

type panelPageData struct {
	Fund    fund.Fund
	Members []seatView
	Summary panel.Summary
	Rounds  []panel.Round
	Steward bool
	Seats   []choice
	Methods []choice
}

// panelFund loads the fund in the path after checking action on its panel.
func (u *UI) panelFund(c echo.Context, action string) (fund.Fund, error) {
	id, err := panelPathID(c)
	if err != nil {
		return fund.Fund{}, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.PanelResource(id)); err != nil {
		return fund.Fund{}, err
	}
	return httpapi.VisibleFund(c.Request().Context(), u.Authz, u.Funds, httpapi.CurrentPrincipal(c), id)
}

func (u *UI) panelPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.panelFund(c, "read_members")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form["role"], p.Form["chosen_by"] = panel.Member, "invited"
	return u.renderPanel(c, http.StatusOK, p, f)
}

func (u *UI) renderPanel(c echo.Context, status int, p page, f fund.Fund) error {
	ctx := c.Request().Context()
	ms, err := u.Panels.Members(ctx, f.ID)
	if err != nil {
		return err
	}
	d := panelPageData{Fund: f, Steward: u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), "add_member", httpapi.PanelResource(f.ID)),
		Seats: seatChoices, Methods: methodChoices()}
	for _, m := range ms {
		d.Members = append(d.Members, seatViewOf(m))
	}
	if d.Summary, err = u.Panels.PanelSummary(ctx, f.ID); err != nil {
		return err
	}
	if d.Rounds, err = u.Panels.FundRounds(ctx, f.ID); err != nil {
		return err
	}
	p.Data = d
	return u.render(c, status, "panel_members", p)
}

func (u *UI) addPanelMember(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.panelFund(c, "add_member")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	for _, k := range []string{"person", "role", "chosen_by", "term_start", "term_end"} {
		p.Form[k] = strings.TrimSpace(c.FormValue(k))
	}
	in := panel.NewMember{Role: p.Form["role"], ChosenBy: p.Form["chosen_by"], TermStart: p.Form["term_start"], TermEnd: p.Form["term_end"]}
	if id, err := strconv.ParseInt(p.Form["person"], 10, 64); err == nil {
		in.UserID = id
	} else {
		in.Email = p.Form["person"]
	}
	_, err = u.Panels.AddMember(c.Request().Context(), p.User.ID, f.ID, in)
	if fes, ok := memberErrors(err); ok {
		p.Errors = fes
		return u.renderPanel(c, http.StatusUnprocessableEntity, p, f)
	} else if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
		p.Errors = []fieldErr{{"person", fe.Message}}
		return u.renderPanel(c, http.StatusConflict, p, f)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/panel", f.ID))
}

type seatFormData struct {
	Fund    fund.Fund
	Seat    seatView
	Seats   []choice
	Methods []choice
}

// panelSeat loads the seat in the path and checks action on its panel.
func (u *UI) panelSeat(c echo.Context, action string) (panel.PanelMember, fund.Fund, error) {
	id, err := panelPathID(c)
	if err != nil {
		return panel.PanelMember{}, fund.Fund{}, err
	}
	ctx := c.Request().Context()
	m, err := u.Panels.GetMember(ctx, id)
	if err != nil {
		return panel.PanelMember{}, fund.Fund{}, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.PanelResource(m.FundID)); err != nil {
		return panel.PanelMember{}, fund.Fund{}, err
	}
	f, err := u.Funds.Get(ctx, m.FundID)
	return m, f, err
}

func (u *UI) editPanelMemberForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, f, err := u.panelSeat(c, "update")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form = map[string]string{"role": m.Role, "chosen_by": m.ChosenBy, "term_start": m.TermStart}
	if m.TermEnd != nil {
		p.Form["term_end"] = *m.TermEnd
	}
	p.Data = seatFormData{Fund: f, Seat: seatViewOf(m), Seats: seatChoices, Methods: methodChoices()}
	return u.render(c, http.StatusOK, "panel_member_form", p)
}

func (u *UI) updatePanelMember(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, f, err := u.panelSeat(c, "update")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	for _, k := range []string{"role", "chosen_by", "term_start", "term_end"} {
		p.Form[k] = strings.TrimSpace(c.FormValue(k))
	}
	ch := panel.MemberChange{Role: ptr(p.Form["role"]), ChosenBy: ptr(p.Form["chosen_by"]), TermStart: ptr(p.Form["term_start"])}
	if p.Form["term_end"] == "" {
		ch.ClearTermEnd = true
	} else {
		ch.TermEnd = ptr(p.Form["term_end"])
	}
	_, err = u.Panels.UpdateMember(c.Request().Context(), p.User.ID, m.ID, ch)
	if fes, ok := errorsOf(err, panelMemberLabels); ok {
		p.Errors = fes
		p.Data = seatFormData{Fund: f, Seat: seatViewOf(m), Seats: seatChoices, Methods: methodChoices()}
		return u.render(c, http.StatusUnprocessableEntity, "panel_member_form", p)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/panel", m.FundID))
}

func ptr(s string) *string { return &s }

func (u *UI) removePanelMember(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, _, err := u.panelSeat(c, "remove_member")
	if err != nil {
		return err
	}
	if err := u.Panels.RemoveMember(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, m.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/panel", m.FundID))
}
