package ui

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/panel"
)

// registerDiscussionPages adds each application's deliberation: the
// thread, the comment form, and correcting or retracting one's own words.
func (u *UI) registerDiscussionPages(e *echo.Echo) {
	e.GET("/applications/:id/discussion", u.discussionPage)
	e.POST("/applications/:id/discussion", u.postComment)
	e.POST("/comments/:id/correct", u.correctComment)
	e.POST("/comments/:id/retract", u.retractComment)
}

type commentView struct {
	panel.Comment
	Mine, Correctable, Retractable bool
	CorrectOpen, RetractOpen       bool
	BodyErr, ReasonErr             *fieldErr
	BodyField, ReasonField         string
	Draft, Reason                  string
}

type discussionData struct {
	App      panel.Application
	Round    panel.Round
	Open     bool
	CanPost  bool
	Comments []commentView
	Minutes  int
}

type declareFirstData struct {
	App   panel.Application
	Round panel.Round
}

// discussionApp loads the application in the path and checks that the
// person may take part in its thread: the authorizer first, then the
// declaration rules. Someone who has not declared is shown how to.
func (u *UI) discussionApp(c echo.Context, action string) (panel.Application, error) {
	id, err := panelPathID(c)
	if err != nil {
		return panel.Application{}, err
	}
	ctx := c.Request().Context()
	app, err := u.Panels.Application(ctx, id)
	if err != nil {
		return panel.Application{}, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.CommentResource(app.FundID, 0)); err != nil {
		return panel.Application{}, err
	}
	pr := httpapi.CurrentPrincipal(c)
	if err := u.Panels.CheckDeliberation(ctx, app.ID, pr.User.ID, httpapi.OverseesPanel(u.Authz, pr, app.FundID)); err != nil {
		return app, err
	}
	return app, nil
}

// declareFirst shows the way to the declaration form (409), for a panel
// member who has not yet declared on the application.
func (u *UI) declareFirst(c echo.Context, app panel.Application) error {
	r, err := u.Panels.Round(c.Request().Context(), app.RoundID)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Data = declareFirstData{App: app, Round: r}
	return u.render(c, http.StatusConflict, "panel_declare_first", p)
}

func (u *UI) discussionPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, err := u.discussionApp(c, "list")
	if errors.Is(err, panel.ErrDeclareFirst) {
		return u.declareFirst(c, app)
	} else if err != nil {
		return err
	}
	return u.renderDiscussion(c, http.StatusOK, u.newPage(c, ""), app, 0)
}

// renderDiscussion shows the thread; open is a comment whose correct or
// retract form was just sent with an error, to show open.
func (u *UI) renderDiscussion(c echo.Context, status int, p page, app panel.Application, open int64) error {
	ctx := c.Request().Context()
	r, err := u.Panels.Round(ctx, app.RoundID)
	if err != nil {
		return err
	}
	cs, err := u.Panels.Thread(ctx, app.ID)
	if err != nil {
		return err
	}
	pr := httpapi.CurrentPrincipal(c)
	d := discussionData{App: app, Round: r, Open: panel.DiscussionOpen(r.State),
		Minutes: int(panel.CorrectionWindow.Minutes())}
	d.CanPost = d.Open && u.Authz.Allowed(pr.Actor(), "create", httpapi.CommentResource(app.FundID, 0))
	now := time.Now()
	for _, cm := range cs {
		v := commentView{Comment: cm, Mine: cm.AuthorID == pr.User.ID,
			BodyField: fmt.Sprintf("body-%d", cm.ID), ReasonField: fmt.Sprintf("reason-%d", cm.ID)}
		v.Correctable = cm.Correctable(pr.User.ID, now) && u.Authz.Allowed(pr.Actor(), "update", httpapi.CommentResource(app.FundID, cm.AuthorID))
		v.Retractable = cm.Retractable(pr.User.ID) && u.Authz.Allowed(pr.Actor(), "retract", httpapi.CommentResource(app.FundID, cm.AuthorID))
		v.BodyErr, v.ReasonErr = p.FieldError(v.BodyField), p.FieldError(v.ReasonField)
		v.Draft, v.Reason = p.Form[v.BodyField], p.Form[v.ReasonField]
		if v.Draft == "" && cm.Body != nil {
			v.Draft = *cm.Body
		}
		v.CorrectOpen = cm.ID == open && v.BodyErr != nil
		v.RetractOpen = cm.ID == open && v.ReasonErr != nil
		d.Comments = append(d.Comments, v)
	}
	p.Data = d
	return u.render(c, status, "panel_discussion", p)
}

func (u *UI) postComment(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, err := u.discussionApp(c, "create")
	if errors.Is(err, panel.ErrDeclareFirst) {
		return u.declareFirst(c, app)
	} else if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form["body"] = c.FormValue("body")
	cm, err := u.Panels.PostComment(c.Request().Context(), p.User.ID, app.ID, p.Form["body"])
	if fes, ok := errorsOf(err, map[string]string{"body": "Your comment"}); ok {
		p.Errors = fes
		return u.renderDiscussion(c, http.StatusUnprocessableEntity, p, app, 0)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d/discussion#comment-%d", app.ID, cm.ID))
}

// ownComment loads the comment in the path and checks action on it.
func (u *UI) ownComment(c echo.Context, action string) (panel.Comment, panel.Application, error) {
	id, err := panelPathID(c)
	if err != nil {
		return panel.Comment{}, panel.Application{}, err
	}
	ctx := c.Request().Context()
	cm, err := u.Panels.GetComment(ctx, id)
	if err != nil {
		return panel.Comment{}, panel.Application{}, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.CommentResource(cm.FundID, cm.AuthorID)); err != nil {
		return panel.Comment{}, panel.Application{}, err
	}
	app, err := u.Panels.Application(ctx, cm.ApplicationID)
	return cm, app, err
}

func (u *UI) correctComment(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	cm, app, err := u.ownComment(c, "update")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	if err := u.Panels.CheckDeliberation(ctx, app.ID, pr.User.ID, httpapi.OverseesPanel(u.Authz, pr, app.FundID)); err != nil {
		return err
	}
	p := u.newPage(c, "")
	field := fmt.Sprintf("body-%d", cm.ID)
	p.Form[field] = c.FormValue("body")
	_, err = u.Panels.CorrectComment(ctx, p.User.ID, cm.ID, p.Form[field])
	if fes, ok := errorsOf(err, map[string]string{"body": "Your correction"}); ok {
		for i := range fes {
			fes[i].ID = field
		}
		p.Errors = fes
		return u.renderDiscussion(c, http.StatusUnprocessableEntity, p, app, cm.ID)
	} else if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
		p.Errors = []fieldErr{{field, fe.Message}}
		return u.renderDiscussion(c, http.StatusConflict, p, app, cm.ID)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d/discussion#comment-%d", app.ID, cm.ID))
}

func (u *UI) retractComment(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	cm, app, err := u.ownComment(c, "retract")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	p := u.newPage(c, "")
	field := fmt.Sprintf("reason-%d", cm.ID)
	p.Form[field] = c.FormValue("reason")
	_, err = u.Panels.RetractComment(ctx, p.User.ID, cm.ID, p.Form[field])
	// An author who has since recused may retract but not read the
	// thread: they go back to their declarations instead.
	access := u.Panels.CheckDeliberation(ctx, app.ID, pr.User.ID, httpapi.OverseesPanel(u.Authz, pr, app.FundID))
	if fes, ok := errorsOf(err, map[string]string{"reason": "The reason"}); ok && access == nil {
		for i := range fes {
			fes[i].ID = field
		}
		p.Errors = fes
		return u.renderDiscussion(c, http.StatusUnprocessableEntity, p, app, cm.ID)
	} else if err != nil {
		return err
	}
	if access != nil {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/rounds/%d/declarations", app.RoundID))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d/discussion#comment-%d", app.ID, cm.ID))
}
