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
	"github.com/humblehq/humble/internal/synthesis"
	"github.com/humblehq/humble/internal/validate"
)

// registerSynthesisPages adds the fund's learning syntheses: the list
// (published ones for everyone, drafts for the stewards and learning
// partners), writing and editing with citations chosen from what the
// author may read, reading one, and publishing it.
func (u *UI) registerSynthesisPages(e *echo.Echo) {
	e.GET("/funds/:id/syntheses", u.synthesesPage)
	e.GET("/funds/:id/syntheses/new", u.newSynthesisPage)
	e.POST("/funds/:id/syntheses", u.createSynthesis)
	e.GET("/syntheses/:id", u.synthesisPage)
	e.GET("/syntheses/:id/edit", u.editSynthesisPage)
	e.POST("/syntheses/:id/edit", u.saveSynthesis)
	e.POST("/syntheses/:id/publish", u.publishSynthesis)
}

var synthesisNotices = map[string]string{
	"saved":     "The synthesis is saved as a draft. Only the fund's stewards and learning partners can read it until it is published.",
	"published": "The synthesis is published on the fund's page. It will not change from now on.",
}

var synthesisLabels = map[string]string{
	"title":        "The title",
	"body":         "The synthesis",
	"period_start": "The start of the period",
	"period_end":   "The end of the period",
	"citations":    "A source",
}

type synthesisRow struct {
	synthesis.Synthesis
	Period, StatusName string
}

func synthesisRowOf(y synthesis.Synthesis) synthesisRow {
	return synthesisRow{Synthesis: y, Period: longDate(y.PeriodStart) + " to " + longDate(y.PeriodEnd),
		StatusName: synthesis.StatusNames[y.Status]}
}

type synthesesData struct {
	Fund     fund.Fund
	Rows     []synthesisRow
	CanWrite bool
}

func (u *UI) synthesesPage(c echo.Context) error {
	f, err := u.visibleFund(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.SynthesisResource(f.ID)); err != nil {
		return err
	}
	actor := httpapi.CurrentPrincipal(c).Actor()
	ys, _, err := u.Syntheses.List(c.Request().Context(), f.ID, u.Authz.Allowed(actor, "read_draft", httpapi.SynthesisResource(f.ID)), 0, 200)
	if err != nil {
		return err
	}
	d := synthesesData{Fund: f, CanWrite: u.Authz.Allowed(actor, "create", httpapi.SynthesisResource(f.ID))}
	for _, y := range ys {
		d.Rows = append(d.Rows, synthesisRowOf(y))
	}
	p := u.newPage(c, "")
	p.Data = d
	return u.render(c, http.StatusOK, "synthesis_list", p)
}

// publishedSyntheses are the newest of a fund's published syntheses, for its page.
func (u *UI) publishedSyntheses(c echo.Context, fundID int64) ([]synthesisRow, error) {
	ys, _, err := u.Syntheses.List(c.Request().Context(), fundID, false, 0, 20)
	var out []synthesisRow
	for _, y := range ys {
		out = append(out, synthesisRowOf(y))
	}
	return out, err
}

// synthesisFormData is the writing page.
type synthesisFormData struct {
	Fund    fund.Fund
	Action  string
	Editing bool
	Title   string
	Groups  []citeGroup
}

type citeGroup struct {
	ID, Legend, Hint string
	Choices          []citeChoice
}

type citeChoice struct {
	synthesis.Choice
	N       int
	Checked bool
}

// fundForWriting loads the fund in the path and checks its stewards'
// and learning partners' right to write.
func (u *UI) fundForWriting(c echo.Context) (fund.Fund, error) {
	f, err := u.visibleFund(c)
	if err != nil {
		return f, err
	}
	return f, httpapi.Authorize(u.Authz, c, "create", httpapi.SynthesisResource(f.ID))
}

func (u *UI) newSynthesisPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.fundForWriting(c)
	if err != nil {
		return err
	}
	return u.renderSynthesisForm(c, http.StatusOK, u.newPage(c, ""), f, 0, nil)
}

func (u *UI) renderSynthesisForm(c echo.Context, status int, p page, f fund.Fund, id int64, cited []string) error {
	v := httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID)
	choices, err := u.Syntheses.Sources(c.Request().Context(), v)
	if err != nil {
		return err
	}
	checked := map[string]bool{}
	for _, s := range cited {
		checked[s] = true
	}
	d := synthesisFormData{Fund: f, Action: fmt.Sprintf("/funds/%d/syntheses", f.ID), Title: "Write a learning synthesis"}
	if id != 0 {
		d.Action, d.Editing, d.Title = fmt.Sprintf("/syntheses/%d/edit", id), true, "Edit the learning synthesis"
	}
	groups := map[string]*citeGroup{
		synthesis.CitesTheme: {ID: "cite-themes", Legend: "Themes",
			Hint: "The fund's themes this synthesis draws on."},
		synthesis.CitesSection: {ID: "cite-sections", Legend: "Sections of accounts and reflections",
			Hint: "Only sections you can read are listed. Each reader will see a cited section only if they can read it too."},
		synthesis.CitesDialogue: {ID: "cite-dialogues", Legend: "Dialogues you took part in",
			Hint: "Only those who took part in a dialogue will see it cited."},
	}
	n := 0
	for _, ch := range choices {
		g := groups[ch.Kind]
		if g == nil {
			continue
		}
		n++
		g.Choices = append(g.Choices, citeChoice{Choice: ch, N: n, Checked: checked[ch.Value]})
	}
	for _, k := range []string{synthesis.CitesTheme, synthesis.CitesSection, synthesis.CitesDialogue} {
		d.Groups = append(d.Groups, *groups[k])
	}
	p.Data = d
	return u.render(c, status, "synthesis_form", p)
}

// synthesisForm reads the writing form.
func synthesisForm(c echo.Context, p *page) (synthesis.Input, []string, error) {
	in := synthesis.Input{Title: c.FormValue("title"), Body: c.FormValue("body"),
		PeriodStart: strings.TrimSpace(c.FormValue("period_start")), PeriodEnd: strings.TrimSpace(c.FormValue("period_end"))}
	for _, k := range []string{"title", "body", "period_start", "period_end", "version"} {
		p.Form[k] = c.FormValue(k)
	}
	if err := c.Request().ParseForm(); err != nil {
		return in, nil, err
	}
	cited := c.Request().PostForm["cite"]
	for _, v := range cited {
		ci, ok := synthesis.ParseValue(v)
		if !ok {
			return in, cited, validate.Field("citations", "is not one of the sources listed")
		}
		in.Citations = append(in.Citations, ci)
	}
	return in, cited, nil
}

// synthesisErrors puts a validation failure on the form.
func synthesisErrors(err error, p *page) bool {
	ve, ok := validate.As(err)
	if !ok {
		return false
	}
	for _, fe := range ve {
		id := fe.Field
		if strings.HasPrefix(id, "citations") {
			id = "citations"
		}
		msg := sentence(synthesisLabels[id] + " " + strings.ReplaceAll(fe.Message, "period_start", "its start"))
		if id == "citations" {
			msg = "One of the sources you chose is not one you can cite. Choose again from the list."
		}
		if id == "version" {
			id, msg = "title", "The page was out of date. Reload it and make your change again."
		}
		p.Errors = append(p.Errors, fieldErr{ID: id, Message: msg})
	}
	return true
}

func (u *UI) createSynthesis(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.fundForWriting(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	in, cited, err := synthesisForm(c, &p)
	if err == nil {
		var y synthesis.Synthesis
		y, err = u.Syntheses.Create(c.Request().Context(), httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID), in)
		if err == nil {
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/syntheses/%d?notice=saved", y.ID))
		}
	}
	if synthesisErrors(err, &p) {
		return u.renderSynthesisForm(c, http.StatusUnprocessableEntity, p, f, 0, cited)
	}
	return err
}

// synthesisIn loads the synthesis in the path (404 when the reader may
// not know of it) and its fund.
func (u *UI) synthesisIn(c echo.Context) (synthesis.Synthesis, bool, fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return synthesis.Synthesis{}, false, fund.Fund{}, httpapi.ErrNotFound
	}
	y, drafts, err := httpapi.SynthesisIn(c, u.Authz, u.Funds, u.Syntheses, id)
	if err != nil {
		return y, drafts, fund.Fund{}, err
	}
	f, err := u.Funds.Get(c.Request().Context(), y.FundID)
	return y, drafts, f, err
}

type synthesisData struct {
	Fund       fund.Fund
	Y          synthesisRow
	Paragraphs []string
	CanEdit    bool
}

func (u *UI) synthesisPage(c echo.Context) error {
	y, drafts, f, err := u.synthesisIn(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.SynthesisResource(f.ID)); err != nil {
		return err
	}
	v := httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID)
	full, err := u.Syntheses.Get(c.Request().Context(), v, y.ID, drafts)
	if err != nil {
		return err
	}
	actor := httpapi.CurrentPrincipal(c).Actor()
	d := synthesisData{Fund: f, Y: synthesisRowOf(full), Paragraphs: applicationParagraphs(full.Body),
		CanEdit: full.Status == synthesis.Draft && u.Authz.Allowed(actor, "update", httpapi.SynthesisResource(f.ID))}
	p := u.newPage(c, "")
	p.Notice = synthesisNotices[c.QueryParam("notice")]
	p.Data = d
	return u.render(c, http.StatusOK, "synthesis_view", p)
}

// synthesisFor loads the synthesis in the path for a change by action.
func (u *UI) synthesisFor(c echo.Context, action string) (synthesis.Synthesis, fund.Fund, error) {
	y, _, f, err := u.synthesisIn(c)
	if err != nil {
		return y, f, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.SynthesisResource(f.ID)); err != nil {
		return y, f, err
	}
	if y.Status == synthesis.Published {
		return y, f, synthesis.ErrFrozen
	}
	return y, f, nil
}

func (u *UI) editSynthesisPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	y, f, err := u.synthesisFor(c, "update")
	if err != nil {
		return err
	}
	v := httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID)
	cs, err := u.Syntheses.CitationInputs(c.Request().Context(), v, y.ID)
	if err != nil {
		return err
	}
	var cited []string
	for _, ci := range cs {
		cited = append(cited, synthesis.Value(ci))
	}
	p := u.newPage(c, "")
	p.Form["title"], p.Form["body"], p.Form["period_start"], p.Form["period_end"] = y.Title, y.Body, y.PeriodStart, y.PeriodEnd
	p.Form["version"] = strconv.Itoa(y.Version)
	return u.renderSynthesisForm(c, http.StatusOK, p, f, y.ID, cited)
}

func (u *UI) saveSynthesis(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	y, f, err := u.synthesisFor(c, "update")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	in, cited, err := synthesisForm(c, &p)
	if err == nil {
		version, _ := strconv.Atoi(c.FormValue("version"))
		_, err = u.Syntheses.Update(c.Request().Context(), httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID), y.ID,
			synthesis.Edit{Version: version, Input: in})
		if err == nil {
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/syntheses/%d?notice=saved", y.ID))
		}
	}
	status := http.StatusUnprocessableEntity
	if fe, ok := fault.As(err); ok && fe.Kind == fault.PreconditionFailed {
		p.Errors = append(p.Errors, fieldErr{ID: "title", Message: fe.Message})
		status = http.StatusPreconditionFailed
	} else if !synthesisErrors(err, &p) {
		return err
	}
	return u.renderSynthesisForm(c, status, p, f, y.ID, cited)
}

func (u *UI) publishSynthesis(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	y, f, err := u.synthesisFor(c, "publish")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	if _, err := u.Syntheses.Publish(c.Request().Context(), httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID),
		y.ID, version); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/syntheses/%d?notice=published", y.ID))
}
