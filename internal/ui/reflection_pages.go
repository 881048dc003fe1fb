package ui

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/validate"
)

// registerReflectionPages adds the pages of reflective accounts: a grant's
// accounts, the writing page with its prompts, each section's visibility
// and the consent of each story, the account as each reader may see it
// (with confirmation of conversation notes, addenda and withdrawals of
// consent), the stewards' response page, the fund's learning page and the
// funder's own reflections. They ask the authorizer and internal/account
// the same questions as the API's routes.
func (u *UI) registerReflectionPages(e *echo.Echo) {
	e.GET("/grants/:id/accounts", u.grantAccountsPage)
	e.POST("/grants/:id/accounts", u.startAccount)
	e.GET("/grants/:id/accounts/notes", u.notesPage)
	e.POST("/grants/:id/accounts/notes", u.writeNotes)
	e.POST("/grants/:id/instalments/:number/paid", u.markPaid)
	e.GET("/accounts/:id", u.accountPage)
	e.GET("/accounts/:id/edit", u.editAccountPage)
	e.POST("/accounts/:id/edit", u.saveAccount)
	e.POST("/accounts/:id/confirm", u.confirmAccount)
	e.POST("/accounts/:id/addenda", u.addAddendum)
	e.POST("/accounts/:id/stories/:story_id/withdraw", u.withdrawStory)
	e.GET("/accounts/:id/response", u.responsePage)
	e.POST("/accounts/:id/response", u.sendResponse)
	e.GET("/funds/:id/learning", u.learningPage)
	e.POST("/funds/:id/learning/response-days", u.setResponseDays)
	e.GET("/funds/:id/reflections", u.reflectionsPage)
	e.POST("/funds/:id/reflections", u.startReflection)
	e.GET("/reflections/:id", u.accountPage)
	e.GET("/reflections/:id/edit", u.editAccountPage)
	e.POST("/reflections/:id/edit", u.saveAccount)
}

var reflectionNotices = map[string]string{
	"saved":     "Your draft is saved. Only your organisation can see it until you submit it.",
	"submitted": "Your account is submitted. Thank you: the fund will respond, and you can add an addendum at any time.",
	"published": "The reflection is shared with the fund's grantees, panel and learning partner.",
	"confirmed": "The notes are confirmed and now count as your account.",
	"addendum":  "Your addendum is added.",
	"withdrawn": "The story is withdrawn: from now on only its author sees it, everywhere.",
	"responded": "Your response is sent. It cannot be changed.",
	"days":      "The fund's time to respond is saved.",
	"paid":      "The payment is recorded.",
	"notes":     "The notes are saved. They count as the grantee's account once the grantee confirms them, with corrections if they wish.",
}

func choicesOf(values []string, names map[string]string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		out[i] = choice{v, names[v]}
	}
	return out
}

// periodText says an account's period in words.
func periodText(m account.Meta) string {
	return longDate(m.PeriodStart) + " to " + longDate(m.PeriodEnd)
}

// kindOf tells the funder's reflections' pages from the grantees'.
func kindOf(c echo.Context) (string, string) {
	if strings.HasPrefix(c.Path(), "/reflections") {
		return account.Funder, "/reflections/"
	}
	return account.Grantee, "/accounts/"
}

// accountIn loads the account in the path and its reader; 404 when the
// reader may not know of it.
func (u *UI) accountIn(c echo.Context) (account.Meta, account.Reader, error) {
	kind, _ := kindOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return account.Meta{}, account.Reader{}, httpapi.ErrNotFound
	}
	m, err := u.Accounts.Meta(c.Request().Context(), id)
	if err != nil {
		return m, account.Reader{}, err
	}
	r := httpapi.AccountReader(u.Authz, httpapi.CurrentPrincipal(c), m)
	if m.Kind != kind || !m.Visible(r) {
		return m, r, account.ErrNotFound
	}
	return m, r, nil
}

// resourceFor is the account as the authorizer sees it.
func resourceFor(m account.Meta) authz.Resource {
	if m.Kind == account.Funder {
		return httpapi.ReflectionResource(m.FundID)
	}
	return httpapi.AccountResource(m.FundID, m.OrganisationID)
}

// can asks the authorizer about an action on the account.
func (u *UI) can(c echo.Context, m account.Meta, action string) bool {
	return u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), action, resourceFor(m))
}

// accountFor loads the account and checks action on it.
func (u *UI) accountFor(c echo.Context, action string) (account.Meta, account.Reader, error) {
	m, r, err := u.accountIn(c)
	if err != nil {
		return m, r, err
	}
	return m, r, httpapi.Authorize(u.Authz, c, action, resourceFor(m))
}

// grantAccountsData is a grant's accounts page.
type grantAccountsData struct {
	Grant    decision.Grant
	Accounts []accountRow
	// Waiting are notes of a conversation the reader's organisation has
	// yet to confirm.
	Waiting       []accountRow
	Cadence       *account.Cadence
	CanWrite      bool
	CanWriteNotes bool
	// Instalments: how the grant is paid, for the fund's stewards and the
	// grantee; CanMarkPaid for the stewards, who record payments.
	Instalments []instalmentView
	CanMarkPaid bool
	Today       string
	FundID      int64
	StatusName  map[string]string
}

// accountRow is an account in a list.
type accountRow struct {
	Meta   account.Meta
	Period string
	Status string
	Link   string
}

func rowsOf(ms []account.Meta) []accountRow {
	out := make([]accountRow, len(ms))
	for i, m := range ms {
		link := fmt.Sprintf("/accounts/%d", m.ID)
		if m.Kind == account.Funder {
			link = fmt.Sprintf("/reflections/%d", m.ID)
		}
		out[i] = accountRow{Meta: m, Period: periodText(m), Status: account.StatusNames[m.Status], Link: link}
	}
	return out
}

func (u *UI) grantIn(c echo.Context) (decision.Grant, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return decision.Grant{}, httpapi.ErrNotFound
	}
	return u.Decisions.Grant(c.Request().Context(), id)
}

func (u *UI) grantAccountsPage(c echo.Context) error {
	g, err := u.grantIn(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = reflectionNotices[c.QueryParam("notice")]
	return u.renderGrantAccounts(c, http.StatusOK, p, g)
}

func (u *UI) renderGrantAccounts(c echo.Context, status int, p page, g decision.Grant) error {
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	r := httpapi.AccountReader(u.Authz, pr, httpapi.GrantAccountsMeta(g))
	ms, err := u.Accounts.ListGrant(ctx, g.ID, r)
	if err != nil {
		return err
	}
	d := grantAccountsData{Grant: g, Accounts: rowsOf(ms), FundID: g.FundID,
		CanWrite:      !pr.Anonymous() && httpapi.AuthorizeNewAccount(u.Authz, c, g, account.Written) == nil,
		CanWriteNotes: !pr.Anonymous() && httpapi.AuthorizeNewAccount(u.Authz, c, g, account.Conversation) == nil}
	actor := pr.Actor()
	if u.Authz.Allowed(actor, "read_details", httpapi.GrantResource(g.FundID, g.OrganisationID)) {
		for _, in := range g.Instalments {
			iv := instalmentView{Number: in.Number, Due: longDate(in.DueOn), Amount: money.Format(in.AmountMinor, g.Currency)}
			if in.PaidAt != nil {
				iv.Paid = in.PaidAt.UTC().Format("2 January 2006")
			}
			d.Instalments = append(d.Instalments, iv)
		}
		d.CanMarkPaid = u.Authz.Allowed(actor, "update", httpapi.GrantResource(g.FundID, g.OrganisationID))
		d.Today = time.Now().UTC().Format(time.DateOnly)
	}
	if r.Owner {
		for _, row := range d.Accounts {
			if row.Meta.Status == account.Awaiting {
				d.Waiting = append(d.Waiting, row)
			}
		}
	}
	if r.Owner || r.Partner {
		cad, err := u.Accounts.Cadence(ctx, g.ID)
		if err != nil {
			return err
		}
		d.Cadence = &cad
	}
	p.Data = d
	return u.render(c, status, "reflection_grant", p)
}

// markPaid records that an instalment was paid, as the API's route does.
func (u *UI) markPaid(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	g, n, err := httpapi.AuthorizePayment(c, u.Authz, u.Decisions)
	if err != nil {
		return err
	}
	in := decision.Payment{PaidOn: strings.TrimSpace(c.FormValue("paid_on"))}
	_, err = u.Decisions.MarkPaid(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, g.ID, n, in)
	field := fmt.Sprintf("paid_on-%d", n)
	if ve, ok := validate.As(err); ok {
		p := u.newPage(c, "")
		p.Form[field] = in.PaidOn
		p.Errors = []fieldErr{{ID: field, Message: sentence(fmt.Sprintf("The day instalment %d was paid %s", n, ve[0].Message))}}
		return u.renderGrantAccounts(c, http.StatusUnprocessableEntity, p, g)
	}
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
		p := u.newPage(c, "")
		p.Errors = []fieldErr{{ID: "payments-title", Message: sentence(fe.Message)}}
		return u.renderGrantAccounts(c, http.StatusConflict, p, g)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/grants/%d/accounts?notice=paid#payments-title", g.ID))
}

func (u *UI) startAccount(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	g, err := u.grantIn(c)
	if err != nil {
		return err
	}
	if err := httpapi.AuthorizeNewAccount(u.Authz, c, g, account.Written); err != nil {
		return err
	}
	m, err := u.Accounts.Create(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, g.ID, account.NewAccount{})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d/edit", m.ID))
}

// notesData is the page for writing notes of a conversation.
type notesData struct {
	Grant    decision.Grant
	Sections []account.Prompt
}

// notesPage is where a steward or learning partner writes the notes of a
// conversation with the grantee, for the grantee to confirm.
func (u *UI) notesPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	g, err := u.grantIn(c)
	if err != nil {
		return err
	}
	if err := httpapi.AuthorizeNewAccount(u.Authz, c, g, account.Conversation); err != nil {
		return err
	}
	return u.renderNotes(c, http.StatusOK, u.newPage(c, ""), g)
}

func (u *UI) renderNotes(c echo.Context, status int, p page, g decision.Grant) error {
	p.Data = notesData{Grant: g, Sections: account.GranteePrompts}
	return u.render(c, status, "reflection_notes", p)
}

func (u *UI) writeNotes(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	g, err := u.grantIn(c)
	if err != nil {
		return err
	}
	if err := httpapi.AuthorizeNewAccount(u.Authz, c, g, account.Conversation); err != nil {
		return err
	}
	p := u.newPage(c, "")
	in := account.NewAccount{Mode: account.Conversation, Contents: account.Contents{Sections: map[string]account.SectionInput{}}}
	in.PeriodStart, in.PeriodEnd = strings.TrimSpace(c.FormValue("period_start")), strings.TrimSpace(c.FormValue("period_end"))
	p.Form["period_start"], p.Form["period_end"] = in.PeriodStart, in.PeriodEnd
	for _, key := range account.SectionKeys {
		body := c.FormValue("body-" + key)
		p.Form["body-"+key] = body
		if strings.TrimSpace(body) != "" {
			in.Sections[key] = account.SectionInput{Body: body}
		}
	}
	m, err := u.Accounts.Create(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, g.ID, in)
	if ve, ok := validate.As(err); ok {
		for _, fe := range ve {
			id := editFieldID(fe.Field, nil)
			msg := sentence(editLabel(id, account.Funder) + " " + fe.Message)
			if fe.Field == "sections" {
				msg = "Write the notes of the conversation in at least one section."
			}
			p.Errors = append(p.Errors, fieldErr{ID: id, Message: msg})
		}
		return u.renderNotes(c, http.StatusUnprocessableEntity, p, g)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d?notice=notes", m.ID))
}

// reflectionData is an account's page.
type reflectionData struct {
	Acc        account.Account
	Funder     bool
	Base       string
	Title      string
	Period     string
	StatusName string
	Grant      *decision.Grant
	Fund       fund.Fund
	Reader     account.Reader
	Response   *account.Response
	Sections   []viewSection
	Addenda    []viewAddendum

	ResponseParagraphs, CorrectionParagraphs []string

	CanEdit, CanConfirm, CanAddendum, CanWithdraw, CanRespond, CanReadResponse bool
	// CanTag: the account is submitted (or a shared reflection) and the
	// reader may put the fund's themes on its sections.
	CanTag bool

	Visibilities []choice
}

type viewSection struct {
	account.Section
	Paragraphs     []string
	VisibilityName string
	Stories        []viewStory
}

type viewStory struct {
	account.Story
	Paragraphs []string
	Naming     string
	Purposes   []string
	Mine       bool
}

func viewStoryOf(st account.Story, uid int64) viewStory {
	var purposes []string
	for _, pu := range st.Consent.Purposes {
		purposes = append(purposes, account.PurposeNames[pu])
	}
	return viewStory{Story: st, Paragraphs: applicationParagraphs(st.Body), Naming: account.NamingNames[st.Consent.Naming],
		Purposes: purposes, Mine: st.CreatedBy != nil && *st.CreatedBy == uid}
}

type viewAddendum struct {
	account.Addendum
	Paragraphs     []string
	VisibilityName string
}

func (u *UI) accountPage(c echo.Context) error {
	m, r, err := u.accountIn(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = reflectionNotices[c.QueryParam("notice")]
	return u.renderReflection(c, http.StatusOK, p, m, r)
}

func (u *UI) renderReflection(c echo.Context, status int, p page, m account.Meta, r account.Reader) error {
	d, err := u.buildReflection(c, m, r)
	if err != nil {
		return err
	}
	p.Data = d
	return u.render(c, status, "reflection_account", p)
}

// buildReflection gathers an account's page as r may see it.
func (u *UI) buildReflection(c echo.Context, m account.Meta, r account.Reader) (reflectionData, error) {
	ctx := c.Request().Context()
	acc, err := u.Accounts.Get(ctx, m.ID, r)
	if err != nil {
		return reflectionData{}, err
	}
	f, err := u.Funds.Get(ctx, m.FundID)
	if err != nil {
		return reflectionData{}, err
	}
	_, base := kindOf(c)
	d := reflectionData{Acc: acc, Funder: m.Kind == account.Funder, Base: base + strconv.FormatInt(m.ID, 10), Period: periodText(m),
		StatusName: account.StatusNames[m.Status], Fund: f, Reader: r, Visibilities: choicesOf(account.Visibilities, account.VisibilityNames)}
	d.Title = "Reflective account from " + m.OrganisationName
	if d.Funder {
		d.Title = "The funder's reflection"
	}
	if m.GrantID != nil {
		g, err := u.Decisions.Grant(ctx, *m.GrantID)
		if err != nil {
			return d, err
		}
		d.Grant = &g
	}
	uid := httpapi.CurrentPrincipal(c).User.ID
	for _, s := range acc.Sections {
		vs := viewSection{Section: s, Paragraphs: applicationParagraphs(s.Body), VisibilityName: account.VisibilityNames[s.Visibility]}
		for _, st := range s.Stories {
			vs.Stories = append(vs.Stories, viewStoryOf(st, uid))
		}
		d.Sections = append(d.Sections, vs)
	}
	for _, a := range acc.Addenda {
		d.Addenda = append(d.Addenda, viewAddendum{Addendum: a, Paragraphs: applicationParagraphs(a.Body),
			VisibilityName: account.VisibilityNames[a.Visibility]})
	}
	d.CorrectionParagraphs = applicationParagraphs(acc.Corrections)
	d.CanEdit = m.Status == account.Draft && u.can(c, m, "update") && (d.Funder || r.Owner)
	d.CanConfirm = m.Status == account.Awaiting && r.Owner && u.can(c, m, "submit")
	d.CanAddendum = m.Status == account.Submitted && r.Owner && u.can(c, m, "update")
	d.CanWithdraw = !d.Funder && (u.can(c, m, "withdraw_story"))
	// The same two questions the themes page asks (accountToTag), so the
	// link shows only to those it lets in.
	if pr := httpapi.CurrentPrincipal(c); !pr.Anonymous() && u.Authz.Allowed(pr.Actor(), "create", httpapi.TagResource(m.FundID)) {
		d.CanTag = u.Patterns.MayTag(ctx, httpapi.FundViewer(u.Authz, pr, m.FundID), m.ID, "", 0) == nil
	}
	if !d.Funder && m.Status == account.Submitted {
		pr := httpapi.CurrentPrincipal(c).Actor()
		d.CanReadResponse = u.Authz.Allowed(pr, "read", httpapi.ResponseResource(m.FundID, m.OrganisationID))
		d.CanRespond = u.Authz.Allowed(pr, "create", httpapi.ResponseResource(m.FundID, 0))
		if d.CanReadResponse {
			resp, err := u.Accounts.Response(ctx, m.ID)
			if err == nil {
				d.Response = &resp
				d.ResponseParagraphs = applicationParagraphs(resp.Body)
			} else if err != account.ErrNoResponse {
				return d, err
			}
		}
	}
	return d, nil
}

// editData is the writing page.
type editData struct {
	Meta     account.Meta
	Funder   bool
	Base     string
	Title    string
	Sections []editSection
	Stories  []editStory
	// StoryTitle is the "what happened" section's title.
	StoryTitle string
	// Withdrawn are the stories whose consent was withdrawn, as their
	// author sees them: shown, never editable.
	Withdrawn    []viewStory
	Visibilities []choice
	Purposes     []choice
	Namings      []choice
	// Signals are the learning signals of the grant's latest signed
	// agreement, read beside the section of readings.
	Signals          []agreement.Signal
	AgreementSigned  bool
	SignalsStatement string
}

type editSection struct {
	account.Prompt
	Body, Visibility string
}

type editStory struct {
	N int
	// ID is the story's, once saved.
	ID                int64
	Body              string
	Purposes          map[string]bool
	Naming, ExpiresOn string
}

func (u *UI) editAccountPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, r, err := u.accountFor(c, "update")
	if err != nil {
		return err
	}
	if m.Status != account.Draft || (m.Kind == account.Grantee && !r.Owner) {
		return account.ErrFrozen
	}
	acc, err := u.Accounts.Get(c.Request().Context(), m.ID, r)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = reflectionNotices[c.QueryParam("notice")]
	p.Form["version"] = strconv.Itoa(m.Version)
	p.Form["period_start"], p.Form["period_end"] = m.PeriodStart, m.PeriodEnd
	var stories []editStory
	for _, s := range acc.Sections {
		p.Form["body-"+s.Key], p.Form["visibility-"+s.Key] = s.Body, s.Visibility
		if s.Key == account.StoriesSection {
			for _, st := range s.Stories {
				if st.Consent.WithdrawnAt != nil {
					continue // shown apart, and never sent back
				}
				es := editStory{N: len(stories) + 1, ID: st.ID, Body: st.Body, Naming: st.Consent.Naming, Purposes: map[string]bool{}}
				if st.Consent.ExpiresOn != nil {
					es.ExpiresOn = *st.Consent.ExpiresOn
				}
				for _, pu := range st.Consent.Purposes {
					es.Purposes[pu] = true
				}
				stories = append(stories, es)
			}
		}
	}
	return u.renderEdit(c, http.StatusOK, p, m, r, stories)
}

func (u *UI) renderEdit(c echo.Context, status int, p page, m account.Meta, r account.Reader, stories []editStory) error {
	ctx := c.Request().Context()
	_, base := kindOf(c)
	d := editData{Meta: m, Funder: m.Kind == account.Funder, Base: base + strconv.FormatInt(m.ID, 10),
		Visibilities: choicesOf(account.Visibilities, account.VisibilityNames),
		Purposes:     choicesOf(account.Purposes, account.PurposeNames), Namings: choicesOf(account.Namings, account.NamingNames)}
	d.Title = "Your reflective account"
	if d.Funder {
		d.Title = "The funder's reflection"
	}
	for _, pr := range account.PromptsFor(m.Kind) {
		vis := p.Form["visibility-"+pr.Key]
		if vis == "" {
			vis = account.FunderAndPartner
		}
		d.Sections = append(d.Sections, editSection{Prompt: pr, Body: p.Form["body-"+pr.Key], Visibility: vis})
		if pr.Key == account.StoriesSection {
			d.StoryTitle = pr.YourTitle
		}
	}
	// The stories whose consent was withdrawn, read afresh: whatever was
	// posted, they are shown as they stand and are not part of the form.
	acc, err := u.Accounts.Get(ctx, m.ID, r)
	if err != nil {
		return err
	}
	uid := httpapi.CurrentPrincipal(c).User.ID
	for _, s := range acc.Sections {
		for _, st := range s.Stories {
			if st.Consent.WithdrawnAt != nil {
				d.Withdrawn = append(d.Withdrawn, viewStoryOf(st, uid))
			}
		}
	}
	if m.Kind == account.Grantee && m.GrantID != nil {
		d.SignalsStatement = agreement.SignalsStatement
		ag, err := u.Agreements.Get(ctx, *m.GrantID)
		switch {
		case err == nil && ag.Signed != nil:
			d.AgreementSigned, d.Signals = true, ag.Signed.Content.LearningSignals
		case err != nil && !errors.Is(err, agreement.ErrNoAgreement):
			return err
		}
	}
	// One empty story to add a new one.
	stories = append(stories, editStory{N: len(stories) + 1, Purposes: map[string]bool{}})
	d.Stories = stories
	p.Data = d
	return u.render(c, status, "reflection_edit", p)
}

var storyField = regexp.MustCompile(`^stories\[(\d+)\]\.(\w+)`)
var sectionField = regexp.MustCompile(`^sections\[(\w+)\]\.(\w+)`)

// editFieldID maps a validation error's field to the form's field id.
func editFieldID(field string, storyN []int) string {
	if m := storyField.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[1])
		n := i + 1
		if i < len(storyN) {
			n = storyN[i]
		}
		return fmt.Sprintf("story-%d-%s", n, m[2])
	}
	if m := sectionField.FindStringSubmatch(field); m != nil {
		return m[2] + "-" + m[1]
	}
	if field == "sections" {
		return "body-" + account.SectionKeys[0]
	}
	return field
}

func (u *UI) saveAccount(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, r, err := u.accountFor(c, "update")
	if err != nil {
		return err
	}
	if m.Kind == account.Grantee && !r.Owner {
		return httpapi.ErrForbidden
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	in := account.Edit{Contents: account.Contents{Sections: map[string]account.SectionInput{}}}
	in.Version, _ = strconv.Atoi(form.Get("version"))
	p.Form["version"] = form.Get("version")
	in.PeriodStart, in.PeriodEnd = strings.TrimSpace(form.Get("period_start")), strings.TrimSpace(form.Get("period_end"))
	p.Form["period_start"], p.Form["period_end"] = in.PeriodStart, in.PeriodEnd
	for _, key := range account.SectionKeys {
		body, vis := form.Get("body-"+key), form.Get("visibility-"+key)
		p.Form["body-"+key], p.Form["visibility-"+key] = body, vis
		in.Sections[key] = account.SectionInput{Body: body, Visibility: vis}
	}
	var stories []editStory
	var storyIn []account.StoryInput
	var storyN []int
	for n := 1; n <= 51; n++ {
		prefix := fmt.Sprintf("story-%d-", n)
		if _, ok := form[prefix+"body"]; !ok {
			continue
		}
		es := editStory{N: n, Body: form.Get(prefix + "body"), Naming: form.Get(prefix + "naming"),
			ExpiresOn: strings.TrimSpace(form.Get(prefix + "expires_on")), Purposes: map[string]bool{}}
		if sid, err := strconv.ParseInt(form.Get(prefix+"id"), 10, 64); err == nil && sid > 0 {
			es.ID = sid
		}
		for _, pu := range form[prefix+"purposes"] {
			es.Purposes[pu] = true
		}
		if strings.TrimSpace(es.Body) == "" {
			continue
		}
		stories = append(stories, es)
		storyN = append(storyN, n)
		storyIn = append(storyIn, account.StoryInput{ID: es.ID, Body: es.Body, Purposes: form[prefix+"purposes"], Naming: es.Naming, ExpiresOn: es.ExpiresOn})
	}
	if storyIn == nil {
		storyIn = []account.StoryInput{}
	}
	in.Stories = &storyIn
	ctx := c.Request().Context()
	uid := httpapi.CurrentPrincipal(c).User.ID
	saved, err := u.Accounts.Update(ctx, uid, m.ID, in)
	submit := form.Get("action") == "submit"
	if err == nil && submit {
		action := "submit"
		if m.Kind == account.Funder {
			action = "publish"
		}
		if err = httpapi.Authorize(u.Authz, c, action, resourceFor(m)); err == nil {
			_, err = u.Accounts.Submit(ctx, uid, m.ID, saved.Version)
			if err != nil {
				p.Form["version"] = strconv.Itoa(saved.Version)
			}
		}
	}
	if ve, ok := validate.As(err); ok {
		for _, fe := range ve {
			id := editFieldID(fe.Field, storyN)
			p.Errors = append(p.Errors, fieldErr{ID: id, Message: sentence(editLabel(id, m.Kind) + " " + fe.Message)})
		}
		return u.renderEdit(c, http.StatusUnprocessableEntity, p, m, r, stories)
	}
	if fe, ok := fault.As(err); ok && fe.Kind == fault.PreconditionFailed {
		cur, merr := u.Accounts.Meta(ctx, m.ID)
		if merr != nil {
			return merr
		}
		p.Form["version"] = strconv.Itoa(cur.Version)
		p.Errors = []fieldErr{{ID: "edit-title", Message: "Someone else saved this draft while you were writing, so nothing was saved. " +
			"Your words are still below. Open the draft in another tab to see their changes; saving again replaces the draft with what is below."}}
		return u.renderEdit(c, http.StatusPreconditionFailed, p, cur, r, stories)
	}
	if err != nil {
		return err
	}
	_, base := kindOf(c)
	switch {
	case submit && m.Kind == account.Funder:
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s%d?notice=published", base, m.ID))
	case submit:
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s%d?notice=submitted", base, m.ID))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s%d/edit?notice=saved", base, m.ID))
}

// editLabel names a field of the writing page for its error message.
func editLabel(id, kind string) string {
	for _, pr := range account.PromptsFor(kind) {
		switch id {
		case "body-" + pr.Key:
			return pr.YourTitle
		case "visibility-" + pr.Key:
			return "Who can read " + strings.ToLower(pr.YourTitle)
		}
	}
	if m := regexp.MustCompile(`^story-(\d+)-(\w+)$`).FindStringSubmatch(id); m != nil {
		what := map[string]string{"body": "the story", "purposes": "what the person agreed to", "naming": "how the person is named",
			"expires_on": "when consent ends"}[m[2]]
		return "Story " + m[1] + ": " + what
	}
	return map[string]string{"period_start": "The start of the period", "period_end": "The end of the period", "version": "The version"}[id]
}

func (u *UI) confirmAccount(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, r, err := u.accountFor(c, "submit")
	if err != nil {
		return err
	}
	if !r.Owner {
		return httpapi.ErrForbidden
	}
	_, err = u.Accounts.Confirm(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, m.ID,
		account.Confirmation{Corrections: c.FormValue("corrections")})
	if handled, rerr := u.accountRefused(c, m, r, err, "corrections", map[string]string{"corrections": "Your corrections"}); handled {
		return rerr
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d?notice=confirmed", m.ID))
}

// accountRefused re-shows the account page with a refusal the person can
// act on (a field at fault, or a state that forbids it); false if err is
// nil or of another kind.
func (u *UI) accountRefused(c echo.Context, m account.Meta, r account.Reader, err error, at string, labels map[string]string) (bool, error) {
	if err == nil {
		return false, nil
	}
	p := u.newPage(c, "")
	for k := range labels {
		p.Form[k] = c.FormValue(k)
	}
	if ve, ok := validate.As(err); ok {
		for _, fe := range ve {
			p.Errors = append(p.Errors, fieldErr{ID: fe.Field, Message: sentence(labels[fe.Field] + " " + fe.Message)})
		}
		return true, u.renderReflection(c, http.StatusUnprocessableEntity, p, m, r)
	}
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
		p.Errors = []fieldErr{{ID: at, Message: sentence(fe.Message)}}
		return true, u.renderReflection(c, http.StatusConflict, p, m, r)
	}
	return true, err
}

func (u *UI) addAddendum(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, r, err := u.accountFor(c, "update")
	if err != nil {
		return err
	}
	if !r.Owner {
		return httpapi.ErrForbidden
	}
	_, err = u.Accounts.AddAddendum(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, m.ID,
		account.AddendumInput{Body: c.FormValue("addendum"), Visibility: c.FormValue("addendum_visibility")})
	if err != nil {
		if ve, ok := validate.As(err); ok {
			for i := range ve {
				ve[i].Field = map[string]string{"body": "addendum", "visibility": "addendum_visibility"}[ve[i].Field]
			}
			err = ve
		}
		_, rerr := u.accountRefused(c, m, r, err, "addendum",
			map[string]string{"addendum": "Your addendum", "addendum_visibility": "Who can read your addendum"})
		return rerr
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d?notice=addendum#addenda-title", m.ID))
}

func (u *UI) withdrawStory(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, _, err := u.accountFor(c, "withdraw_story")
	if err != nil {
		return err
	}
	storyID, err := strconv.ParseInt(c.Param("story_id"), 10, 64)
	if err != nil || storyID <= 0 {
		return httpapi.ErrNotFound
	}
	if err := u.Accounts.WithdrawStory(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, m.ID, storyID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d?notice=withdrawn", m.ID))
}

func (u *UI) responsePage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, r, err := u.accountIn(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.ResponseResource(m.FundID, m.OrganisationID)); err != nil {
		return err
	}
	return u.renderResponse(c, http.StatusOK, u.newPage(c, ""), m, r)
}

func (u *UI) renderResponse(c echo.Context, status int, p page, m account.Meta, r account.Reader) error {
	// The response page shows the account above the form.
	if m.Status != account.Submitted {
		return fault.Conflictf("only a submitted account gets a response")
	}
	d, err := u.buildReflection(c, m, r)
	if err != nil {
		return err
	}
	p.Data = d
	return u.render(c, status, "reflection_response", p)
}

func (u *UI) sendResponse(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	m, r, err := u.accountIn(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "create", httpapi.ResponseResource(m.FundID, 0)); err != nil {
		return err
	}
	_, err = u.Accounts.Respond(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, m.ID, account.ResponseInput{Body: c.FormValue("response")})
	if err != nil {
		p := u.newPage(c, "")
		p.Form["response"] = c.FormValue("response")
		if ve, ok := validate.As(err); ok {
			for _, fe := range ve {
				p.Errors = append(p.Errors, fieldErr{ID: "response", Message: sentence("Your response " + fe.Message)})
			}
			return u.renderResponse(c, http.StatusUnprocessableEntity, p, m, r)
		}
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
			p.Errors = []fieldErr{{ID: "response-title", Message: sentence(fe.Message)}}
			return u.renderResponse(c, http.StatusConflict, p, m, r)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/accounts/%d?notice=responded#response-title", m.ID))
}

// learningData is the fund's learning page.
type learningData struct {
	Fund      fund.Fund
	L         account.Learning
	Grants    []learningGrant
	Owed      []account.ResponseRow
	Sent      []account.ResponseRow
	CanSet    bool
	Reflected []accountRow
}

type learningGrant struct {
	account.GrantLearning
	Rows []accountRow
}

func (u *UI) learningPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.visibleFundForLearning(c)
	if err != nil {
		return err
	}
	return u.renderLearning(c, http.StatusOK, u.newPage(c, ""), f)
}

func (u *UI) visibleFundForLearning(c echo.Context) (fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fund.Fund{}, httpapi.ErrNotFound
	}
	return httpapi.VisibleFund(c.Request().Context(), u.Authz, u.Funds, httpapi.CurrentPrincipal(c), id)
}

func (u *UI) renderLearning(c echo.Context, status int, p page, f fund.Fund) error {
	l, err := httpapi.FundLearning(c, u.Authz, u.Accounts, f.ID)
	if err != nil {
		return err
	}
	d := learningData{Fund: f, L: l, Reflected: rowsOf(l.Reflections),
		CanSet: u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), "update", httpapi.FundResource(f.ID))}
	for _, g := range l.Grants {
		d.Grants = append(d.Grants, learningGrant{GrantLearning: g, Rows: rowsOf(g.Accounts)})
	}
	for _, r := range l.Responses {
		if r.SentAt == nil {
			d.Owed = append(d.Owed, r)
		} else {
			d.Sent = append(d.Sent, r)
		}
	}
	if p.Form["response_days"] == "" {
		p.Form["response_days"] = strconv.Itoa(l.ResponseDays)
	}
	p.Notice = reflectionNotices[c.QueryParam("notice")]
	p.Data = d
	return u.render(c, status, "reflection_learning", p)
}

func (u *UI) setResponseDays(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.visibleFundForLearning(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "update", httpapi.FundResource(f.ID)); err != nil {
		return err
	}
	days, convErr := strconv.Atoi(strings.TrimSpace(c.FormValue("response_days")))
	var serr error
	if convErr != nil {
		serr = validate.Field("response_days", "must be a whole number of days, from 1 to 365")
	} else {
		_, serr = u.Accounts.SetResponseDays(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, f.ID, account.ResponseDays{ResponseDays: days})
	}
	if ve, ok := validate.As(serr); ok {
		p := u.newPage(c, "")
		p.Form["response_days"] = c.FormValue("response_days")
		for _, fe := range ve {
			p.Errors = append(p.Errors, fieldErr{ID: "response_days", Message: sentence("Days to respond " + fe.Message)})
		}
		return u.renderLearning(c, http.StatusUnprocessableEntity, p, f)
	} else if serr != nil {
		return serr
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/funds/%d/learning?notice=days", f.ID))
}

// reflectionsData is the funder's reflections page.
type reflectionsData struct {
	Fund     fund.Fund
	Rows     []accountRow
	CanWrite bool
}

func (u *UI) reflectionsPage(c echo.Context) error {
	f, err := u.visibleFund(c)
	if err != nil {
		return err
	}
	pr := httpapi.CurrentPrincipal(c)
	r := httpapi.AccountReader(u.Authz, pr, account.Meta{FundID: f.ID, Kind: account.Funder})
	ms, err := u.Accounts.ListReflections(c.Request().Context(), f.ID, r)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Data = reflectionsData{Fund: f, Rows: rowsOf(ms),
		CanWrite: u.Authz.Allowed(pr.Actor(), "create", httpapi.ReflectionResource(f.ID))}
	return u.render(c, http.StatusOK, "reflection_list", p)
}

func (u *UI) startReflection(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.visibleFund(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "create", httpapi.ReflectionResource(f.ID)); err != nil {
		return err
	}
	m, err := u.Accounts.CreateReflection(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, f.ID, account.Contents{})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/reflections/%d/edit", m.ID))
}
