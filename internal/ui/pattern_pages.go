package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/validate"
)

// registerPatternPages adds the pages of a fund's themes (suggest, and for
// stewards curate), the tagging pages of an account and of a dialogue,
// and the pattern view with the sources behind each of its counts. They
// ask the authorizer and internal/pattern the same questions as the API.
func (u *UI) registerPatternPages(e *echo.Echo) {
	e.GET("/funds/:id/themes", u.themesPage)
	e.POST("/funds/:id/themes", u.suggestThemeForm)
	e.POST("/themes/:id", u.curateThemeForm)
	e.GET("/accounts/:id/themes", u.accountTagsPage)
	e.POST("/accounts/:id/themes", u.saveAccountTags)
	e.GET("/dialogues/:id/themes", u.dialogueTagsPage)
	e.POST("/dialogues/:id/themes", u.saveDialogueTags)
	e.GET("/funds/:id/patterns", u.patternsPage)
	e.GET("/funds/:id/patterns/:theme_id", u.patternSourcesPage)
}

var patternNotices = map[string]string{
	"suggested": "Thank you: your theme is suggested. The fund's stewards will look at it.",
	"curated":   "The theme is saved.",
	"tagged":    "The themes are saved.",
}

// fundByID loads a fund the person may know of.
func (u *UI) fundByID(c echo.Context, id int64) (fund.Fund, error) {
	return httpapi.VisibleFund(c.Request().Context(), u.Authz, u.Funds, httpapi.CurrentPrincipal(c), id)
}

func (u *UI) fundParam(c echo.Context) (fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fund.Fund{}, httpapi.ErrNotFound
	}
	return u.fundByID(c, id)
}

// themesData is the fund's themes page.
type themesData struct {
	Fund      fund.Fund
	Curated   []themeRow
	Others    []themeRow // suggestions and themes set aside this person may see
	CanCurate bool
}

// themeRow is a theme on the themes page, with what its curation form
// needs.
type themeRow struct {
	pattern.Theme
	CanCurate        bool
	CSRF             string
	NameErr, DescErr *fieldErr
}

func (u *UI) themesPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.fundParam(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "list", httpapi.ThemeResource(f.ID)); err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = patternNotices[c.QueryParam("notice")]
	if c.QueryParam("notice") == "suggested" && httpapi.CuratesThemes(u.Authz, httpapi.CurrentPrincipal(c), f.ID) {
		p.Notice = "Your theme is suggested. Accept it below when the fund should use it."
	}
	return u.renderThemes(c, http.StatusOK, p, f)
}

func (u *UI) renderThemes(c echo.Context, status int, p page, f fund.Fund) error {
	pr := httpapi.CurrentPrincipal(c)
	d := themesData{Fund: f, CanCurate: httpapi.CuratesThemes(u.Authz, pr, f.ID)}
	ts, err := u.Patterns.List(c.Request().Context(), f.ID, pr.User.ID, d.CanCurate)
	if err != nil {
		return err
	}
	for _, t := range ts {
		row := themeRow{Theme: t, CanCurate: d.CanCurate, CSRF: p.CSRF,
			NameErr: p.FieldError(fmt.Sprintf("name-%d", t.ID)), DescErr: p.FieldError(fmt.Sprintf("description-%d", t.ID))}
		if t.Status == pattern.Curated {
			d.Curated = append(d.Curated, row)
		} else {
			d.Others = append(d.Others, row)
		}
	}
	p.Data = d
	return u.render(c, status, "theme_list", p)
}

var themeLabels = map[string]string{"name": "The theme's name", "description": "What it is about"}

func (u *UI) suggestThemeForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.fundParam(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "suggest", httpapi.ThemeResource(f.ID)); err != nil {
		return err
	}
	in := pattern.NewTheme{Name: c.FormValue("name"), Description: c.FormValue("description")}
	_, err = u.Patterns.Suggest(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, f.ID, in)
	if err != nil {
		p := u.newPage(c, "")
		p.Form["name"], p.Form["description"] = in.Name, in.Description
		if errs, ok := errorsOf(err, themeLabels); ok {
			for i := range errs {
				errs[i].Message = sentence(errs[i].Message)
			}
			p.Errors = errs
			return u.renderThemes(c, http.StatusUnprocessableEntity, p, f)
		}
		if errors.Is(err, pattern.ErrNameTaken) {
			p.Errors = []fieldErr{{ID: "name", Message: "The fund already has a theme of that name: choose another, or look for it in the list."}}
			return u.renderThemes(c, http.StatusConflict, p, f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/themes?notice=suggested", f.ID))
}

func (u *UI) curateThemeForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return httpapi.ErrNotFound
	}
	ctx := c.Request().Context()
	th, err := u.Patterns.Theme(ctx, id)
	if err != nil {
		return err
	}
	pr := httpapi.CurrentPrincipal(c)
	f, err := u.fundByID(c, th.FundID)
	if err != nil || !th.Sees(pr.User.ID, httpapi.CuratesThemes(u.Authz, pr, f.ID)) {
		return pattern.ErrThemeNotFound
	}
	if err := httpapi.Authorize(u.Authz, c, "curate", httpapi.ThemeResource(f.ID)); err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	name, desc := c.FormValue("name"), c.FormValue("description")
	in := pattern.Curation{Version: version, Name: &name, Description: &desc}
	switch c.FormValue("action") {
	case "accept", "use":
		in.Status = pattern.Curated
	case "set_aside":
		in.Status = pattern.SetAside
	}
	_, err = u.Patterns.Curate(ctx, pr.User.ID, th.ID, in)
	if err != nil {
		p := u.newPage(c, "")
		at := fmt.Sprintf("name-%d", th.ID)
		if ve, ok := validate.As(err); ok {
			for _, fe := range ve {
				field := fmt.Sprintf("%s-%d", fe.Field, th.ID)
				if fe.Field == "version" {
					field = at
				}
				p.Errors = append(p.Errors, fieldErr{ID: field, Message: sentence(themeLabels[fe.Field] + " " + fe.Message)})
			}
			return u.renderThemes(c, http.StatusUnprocessableEntity, p, f)
		}
		if fe, ok := fault.As(err); ok && (fe.Kind == fault.Conflict || fe.Kind == fault.PreconditionFailed) {
			p.Errors = []fieldErr{{ID: at, Message: sentence(fe.Message)}}
			status := http.StatusConflict
			if fe.Kind == fault.PreconditionFailed {
				status = http.StatusPreconditionFailed
			}
			return u.renderThemes(c, status, p, f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/themes?notice=curated#theme-%d", f.ID, th.ID))
}

// tagSection is one source on a tagging page: a section, or a dialogue's
// notes, with a checkbox per curated theme.
type tagSection struct {
	Key     string
	Title   string
	Excerpt string
	Choices []tagChoice
}

type tagChoice struct {
	ThemeID int64
	Name    string
	Checked bool
	FieldID string
}

// tagsData is a tagging page.
type tagsData struct {
	Fund     fund.Fund
	Heading  string
	Back     string
	BackText string
	Action   string
	Sections []tagSection
}

// accountToTag loads the account in the path and the person's viewer, if
// they may tag it: 404 if they may read none of it (drafts included), 403
// if they read it but may not tag it.
func (u *UI) accountToTag(c echo.Context) (account.Meta, fund.Fund, account.Viewer, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return account.Meta{}, fund.Fund{}, account.Viewer{}, httpapi.ErrNotFound
	}
	ctx := c.Request().Context()
	m, err := u.Accounts.Meta(ctx, id)
	if err != nil {
		return m, fund.Fund{}, account.Viewer{}, err
	}
	f, err := u.fundByID(c, m.FundID)
	if err != nil {
		return m, f, account.Viewer{}, account.ErrNotFound
	}
	pr := httpapi.CurrentPrincipal(c)
	v := httpapi.FundViewer(u.Authz, pr, f.ID)
	if err := u.Patterns.MayTag(ctx, v, m.ID, "", 0); err != nil {
		if errors.Is(err, pattern.ErrSourceHidden) {
			return m, f, v, account.ErrNotFound
		}
		return m, f, v, err
	}
	return m, f, v, httpapi.Authorize(u.Authz, c, "create", httpapi.TagResource(f.ID))
}

func (u *UI) curatedThemes(c echo.Context, fundID int64) ([]pattern.Theme, error) {
	ts, err := u.Patterns.List(c.Request().Context(), fundID, 0, false)
	return ts, err
}

func choicesFor(themes []pattern.Theme, tags []pattern.Tag, key string, match func(pattern.Tag) bool) []tagChoice {
	out := make([]tagChoice, 0, len(themes))
	for _, th := range themes {
		ch := tagChoice{ThemeID: th.ID, Name: th.Name, FieldID: fmt.Sprintf("tag-%s-%d", key, th.ID)}
		for _, t := range tags {
			if t.ThemeID == th.ID && match(t) {
				ch.Checked = true
			}
		}
		out = append(out, ch)
	}
	return out
}

func (u *UI) accountTagsPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, f, v, err := u.accountToTag(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	keys, err := u.Patterns.ReadableSections(ctx, v, m.ID)
	if err != nil {
		return err
	}
	acc, err := u.Accounts.Get(ctx, m.ID, httpapi.AccountReader(u.Authz, httpapi.CurrentPrincipal(c), m))
	if err != nil {
		return err
	}
	themes, err := u.curatedThemes(c, f.ID)
	if err != nil {
		return err
	}
	tags, err := u.Patterns.TagsOn(ctx, m.ID, 0)
	if err != nil {
		return err
	}
	d := tagsData{Fund: f, Action: fmt.Sprintf("/accounts/%d/themes", m.ID)}
	if m.Kind == account.Funder {
		d.Heading = fmt.Sprintf("Themes in the funder's reflection, %s to %s", longDate(m.PeriodStart), longDate(m.PeriodEnd))
		d.Back, d.BackText = fmt.Sprintf("/reflections/%d", m.ID), "Back to the reflection"
	} else {
		d.Heading = fmt.Sprintf("Themes in the account by %s, %s to %s", m.OrganisationName, longDate(m.PeriodStart), longDate(m.PeriodEnd))
		d.Back, d.BackText = fmt.Sprintf("/accounts/%d", m.ID), "Back to the account"
	}
	for _, s := range acc.Sections {
		if !slices.Contains(keys, s.Key) {
			continue
		}
		key := s.Key
		d.Sections = append(d.Sections, tagSection{Key: key, Title: s.Title, Excerpt: pattern.Excerpt(s.Body, pattern.ExcerptRunes),
			Choices: choicesFor(themes, tags, key, func(t pattern.Tag) bool { return t.SectionKey != nil && *t.SectionKey == key })})
	}
	p := u.newPage(c, "")
	p.Notice = patternNotices[c.QueryParam("notice")]
	p.Data = d
	return u.render(c, http.StatusOK, "theme_tags", p)
}

// formThemes reads the theme ids a tagging form sent under name: the
// boxes ticked ("tag-KEY") or those ticked when it was shown ("was-KEY").
func formThemes(c echo.Context, name string) (map[int64]bool, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, s := range form[name] {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			return nil, validate.Field(name, "is not a theme of this fund")
		}
		out[id] = true
	}
	return out, nil
}

// mayUntag asks, as the API's untagging does, for the right to take tags
// off when a form unticks any theme it showed ticked.
func (u *UI) mayUntag(c echo.Context, fundID int64, changes []pattern.Retag) error {
	for _, ch := range changes {
		for id := range ch.Shown {
			if !ch.Want[id] {
				return httpapi.Authorize(u.Authz, c, "delete", httpapi.TagResource(fundID))
			}
		}
	}
	return nil
}

// retag reads what a tagging form asks of the source under key.
func retag(c echo.Context, key string, source pattern.NewTag) (pattern.Retag, error) {
	want, err := formThemes(c, "tag-"+key)
	if err != nil {
		return pattern.Retag{}, err
	}
	shown, err := formThemes(c, "was-"+key)
	if err != nil {
		return pattern.Retag{}, err
	}
	return pattern.Retag{Source: source, Want: want, Shown: shown}, nil
}

func (u *UI) saveAccountTags(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, _, v, err := u.accountToTag(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	keys, err := u.Patterns.ReadableSections(ctx, v, m.ID)
	if err != nil {
		return err
	}
	changes := make([]pattern.Retag, 0, len(keys))
	for _, key := range keys {
		ch, err := retag(c, key, pattern.NewTag{AccountID: m.ID, SectionKey: key})
		if err != nil {
			return err
		}
		changes = append(changes, ch)
	}
	if err := u.mayUntag(c, v.FundID, changes); err != nil {
		return err
	}
	if err := u.Patterns.SetTags(ctx, v, changes); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d/themes?notice=tagged", m.ID))
}

// dialogueToTag loads the dialogue in the path if the person takes part
// in it; anyone else is told it does not exist.
func (u *UI) dialogueToTag(c echo.Context) (pattern.DialogueRef, fund.Fund, account.Viewer, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return pattern.DialogueRef{}, fund.Fund{}, account.Viewer{}, httpapi.ErrNotFound
	}
	ctx := c.Request().Context()
	d, err := u.Patterns.Dialogue(ctx, id)
	if err != nil {
		return d, fund.Fund{}, account.Viewer{}, err
	}
	f, err := u.fundByID(c, d.FundID)
	if err != nil {
		return d, f, account.Viewer{}, pattern.ErrSourceHidden
	}
	v := httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID)
	if err := u.Patterns.MayTag(ctx, v, 0, "", d.ID); err != nil {
		return d, f, v, err
	}
	return d, f, v, httpapi.Authorize(u.Authz, c, "create", httpapi.TagResource(f.ID))
}

func (u *UI) dialogueTagsPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	dl, f, _, err := u.dialogueToTag(c)
	if err != nil {
		return err
	}
	themes, err := u.curatedThemes(c, f.ID)
	if err != nil {
		return err
	}
	tags, err := u.Patterns.TagsOn(c.Request().Context(), 0, dl.ID)
	if err != nil {
		return err
	}
	d := tagsData{Fund: f, Action: fmt.Sprintf("/dialogues/%d/themes", dl.ID),
		Heading: fmt.Sprintf("Themes in the notes of “%s”", dl.Purpose),
		Back:    fmt.Sprintf("/dialogues/%d", dl.ID), BackText: "Back to the dialogue",
		Sections: []tagSection{{Key: "notes", Title: "The dialogue's notes, " + dl.MeetsOn.Format("2 January 2006"),
			Choices: choicesFor(themes, tags, "notes", func(pattern.Tag) bool { return true })}}}
	p := u.newPage(c, "")
	p.Notice = patternNotices[c.QueryParam("notice")]
	p.Data = d
	return u.render(c, http.StatusOK, "theme_tags", p)
}

func (u *UI) saveDialogueTags(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	dl, _, v, err := u.dialogueToTag(c)
	if err != nil {
		return err
	}
	ch, err := retag(c, "notes", pattern.NewTag{DialogueID: dl.ID})
	if err != nil {
		return err
	}
	if err := u.mayUntag(c, v.FundID, []pattern.Retag{ch}); err != nil {
		return err
	}
	if err := u.Patterns.SetTags(c.Request().Context(), v, []pattern.Retag{ch}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/dialogues/%d/themes?notice=tagged", dl.ID))
}

// patternFund loads the fund in the path for its pattern view: anyone
// who may read the fund may look.
func (u *UI) patternFund(c echo.Context) (fund.Fund, account.Viewer, error) {
	f, err := u.fundParam(c)
	if err != nil {
		return f, account.Viewer{}, err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.PatternResource(f.ID)); err != nil {
		return f, account.Viewer{}, err
	}
	return f, httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID), nil
}

// patternsData is the pattern view page.
type patternsData struct {
	Fund  fund.Fund
	View  pattern.View
	Chart patternChart
	// Themes: the person takes part in the fund, and may see and suggest
	// its themes.
	Themes bool
}

func (u *UI) patternsPage(c echo.Context) error {
	f, v, err := u.patternFund(c)
	if err != nil {
		return err
	}
	view, err := u.Patterns.Patterns(c.Request().Context(), v)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Data = patternsData{Fund: f, View: view, Chart: chartOf(view),
		Themes: u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), "list", httpapi.ThemeResource(f.ID))}
	return u.render(c, http.StatusOK, "pattern_view", p)
}

// sourcesData is the list behind one count.
type sourcesData struct {
	Fund    fund.Fund
	Theme   pattern.Theme
	Period  string
	Sources []pattern.Source
	// Total sources; First and Last number those on this page; Newer and
	// Older link to the pages either side.
	Total, First, Last int
	Newer, Older       string
}

// sourcesPerPage is how many sources a page lists.
const sourcesPerPage = 50

func (u *UI) patternSourcesPage(c echo.Context) error {
	f, v, err := u.patternFund(c)
	if err != nil {
		return err
	}
	themeID, err := strconv.ParseInt(c.Param("theme_id"), 10, 64)
	if err != nil || themeID <= 0 {
		return httpapi.ErrNotFound
	}
	ctx := c.Request().Context()
	period := c.QueryParam("period")
	n := 1
	if s := c.QueryParam("page"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			return httpapi.ErrNotFound
		}
	}
	srcs, total, err := u.Patterns.Sources(ctx, v, themeID, period, sourcesPerPage, (n-1)*sourcesPerPage)
	if err != nil {
		return err
	}
	th, err := u.Patterns.Theme(ctx, themeID)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	d := sourcesData{Fund: f, Theme: th, Period: period, Sources: srcs, Total: total, First: (n-1)*sourcesPerPage + 1}
	link := func(page int) string {
		q := url.Values{}
		if period != "" {
			q.Set("period", period)
		}
		if page > 1 {
			q.Set("page", strconv.Itoa(page))
		}
		if len(q) == 0 {
			return fmt.Sprintf("/funds/%d/patterns/%d", f.ID, th.ID)
		}
		return fmt.Sprintf("/funds/%d/patterns/%d?%s", f.ID, th.ID, q.Encode())
	}
	if n > 1 {
		d.Newer = link(n - 1)
	}
	if n*sourcesPerPage < total {
		d.Older = link(n + 1)
	}
	d.Last = d.First + len(srcs) - 1
	p.Data = d
	return u.render(c, http.StatusOK, "pattern_sources", p)
}

// patternChart is the pattern view drawn as small multiples: one row of
// bars per theme, one bar per quarter, all on the same scale so that rows
// compare honestly. One colour throughout: a bar says how often, never
// whether that is good.
type patternChart struct {
	Width, Height int
	Title, Desc   string
	Rows          []chartRow
}

type chartRow struct {
	Name                 string
	NameY, BaseY, LabelY int
	Bars                 []chartBar
}

type chartBar struct {
	X, Y, W, H   int
	MidX, CountY int
	Period       string
	Count        int
}

const (
	chartSlot   = 56
	chartBarW   = 30
	chartBarMax = 60
	chartRowH   = 120
	chartPad    = 8
)

func chartOf(v pattern.View) patternChart {
	ch := patternChart{}
	if len(v.Periods) == 0 || len(v.Themes) == 0 {
		return ch
	}
	most := 0
	for _, th := range v.Themes {
		for _, p := range th.Periods {
			most = max(most, p.Sources)
		}
	}
	ch.Width = max(260, 2*chartPad+len(v.Periods)*chartSlot)
	ch.Height = len(v.Themes)*chartRowH + chartPad
	span := v.Periods[0]
	if len(v.Periods) > 1 {
		span += " to " + v.Periods[len(v.Periods)-1]
	}
	ch.Title = "How often each theme appears, quarter by quarter"
	ch.Desc = fmt.Sprintf("Bars for %d themes, in alphabetical order, over the quarters %s: each bar is the number of sources you can read that carry the theme in that quarter. The same figures, with the number of grantees, are in the table below.", len(v.Themes), span)
	for i, th := range v.Themes {
		top := chartPad + i*chartRowH
		row := chartRow{Name: th.Name, NameY: top + 16, BaseY: top + 28 + chartBarMax, LabelY: top + 28 + chartBarMax + 16}
		for j, p := range th.Periods {
			h := 0
			if most > 0 {
				h = p.Sources * chartBarMax / most
			}
			if p.Sources > 0 && h < 2 {
				h = 2
			}
			x := chartPad + j*chartSlot + (chartSlot-chartBarW)/2
			row.Bars = append(row.Bars, chartBar{X: x, Y: row.BaseY - h, W: chartBarW, H: h, MidX: x + chartBarW/2,
				CountY: row.BaseY - h - 4, Period: p.Period, Count: p.Sources})
		}
		ch.Rows = append(ch.Rows, row)
	}
	return ch
}

// quarterMonths name each quarter's months.
var quarterMonths = [4]string{"January to March", "April to June", "July to September", "October to December"}

// quarterWords says a quarter such as "2026-Q2" in words: "April to June
// 2026" (anything else as it is).
func quarterWords(q string) string {
	year, n, ok := pattern.ParseQuarter(q)
	if !ok {
		return q
	}
	return fmt.Sprintf("%s %d", quarterMonths[n-1], year)
}
