package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/validate"
)

// registerApplicationPages adds the applications pages.
func (u *UI) registerApplicationPages(e *echo.Echo) {
	e.GET("/rounds/:id/apply", u.applyForm)
	e.POST("/rounds/:id/apply", u.apply)
	e.GET("/applications/:id", u.showApplication)
	e.GET("/applications/:id/edit", u.editApplicationForm)
	e.POST("/applications/:id/edit", u.editApplication)
	e.GET("/applications/:id/withdraw", u.withdrawApplicationForm)
	e.POST("/applications/:id/withdraw", u.withdrawApplication)
	e.POST("/applications/:id/ineligible", u.markApplicationIneligible)
	e.GET("/my/applications", u.myApplications)
}

// applicationField is one question of the application form, ready to show.
type applicationField struct {
	ID, Label, Hint string
	Kind            string // "line", "text" (a textarea) or "money"
	Words, Chars    int    // limits of line and text fields
	Value           string
	Count           string // the word count, as the counter shows it
	Over            bool
	Error           *fieldErr
}

// DescribedBy lists the ids that describe the field, for aria-describedby.
func (f applicationField) DescribedBy() string {
	ids := []string{f.ID + "-hint"}
	if f.Words > 0 {
		ids = append(ids, f.ID+"-count")
	}
	if f.Error != nil {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

type applicationFormData struct {
	Heading string
	Action  string
	Submit  string
	Round   application.Round
	Orgs    []org.Organisation
	// OrgError is the organisation question's error, if any.
	OrgError *fieldErr
	Editing  bool
	Version  int
	Fields   []applicationField
	Back     string
}

// applicationLabels name the application's fields in error messages, by the
// service's field names.
var applicationLabels = map[string]string{
	"organisation_id": "Organisation",
	"title":           "Title",
	"explore":         "What you want to explore",
	"with_whom":       "Who it is with and for",
	"how_learn":       "How you will learn",
	"amount_minor":    "Amount requested",
	"minimum_minor":   "The least you could work with",
	"budget_summary":  "Budget",
	"reason":          "Reason",
}

// applicationFormID is the form's id for a service field: amounts are typed as money,
// not as minor units.
func applicationFormID(field string) string {
	switch field {
	case "amount_minor":
		return "amount"
	case "minimum_minor":
		return "minimum"
	}
	return field
}

// applicationErrors turns the service's validation errors into the form's.
func applicationErrors(ve validate.Errors) []fieldErr {
	out := make([]fieldErr, 0, len(ve))
	for _, f := range ve {
		label := applicationLabels[f.Field]
		if label == "" {
			label = f.Field
		}
		out = append(out, fieldErr{ID: applicationFormID(f.Field), Message: label + " " + f.Message})
	}
	return out
}

// applicationWordCount is the counter's text, the same words as wordcount.js writes.
func applicationWordCount(value string, limit int) (string, bool) {
	n := application.Words(value)
	if n > limit {
		return fmt.Sprintf("%d of %d words: %d too many", n, limit, n-limit), true
	}
	return fmt.Sprintf("%d of %d words", n, limit), false
}

// applicationFields builds the form's questions from the page's values
// and errors.
func applicationFields(p page, currency string) []applicationField {
	moneyHint := fmt.Sprintf("In %s, like %s.", currency, money.Plain(125000, currency))
	fields := []applicationField{
		{ID: "title", Label: "Title", Kind: "line",
			Hint: "A short name for the work. Up to 20 words."},
		{ID: "explore", Label: "What do you want to explore?", Kind: "text",
			Hint: "What you want to try or find out, and why now. Up to 250 words."},
		{ID: "with_whom", Label: "Who is it with and for?", Kind: "text",
			Hint: "The people and groups you will work with and for. Up to 250 words."},
		{ID: "how_learn", Label: "How will you learn as you go?", Kind: "text",
			Hint: "How you will notice what is working and what is not, and who you will reflect with. Up to 250 words."},
		{ID: "amount", Label: "Amount requested", Kind: "money", Hint: moneyHint},
		{ID: "minimum", Label: "The least you could work with (optional)", Kind: "money",
			Hint: "If the panel can offer less than you ask for: the smallest amount that would still let the work go ahead. Leave it empty if there is none. " + moneyHint},
		{ID: "budget_summary", Label: "Budget", Kind: "text",
			Hint: "A short budget: what the money is for, in a few lines. Up to 150 words."},
	}
	limits := map[string]application.Limit{
		"title": application.TitleLimit, "explore": application.ExploreLimit, "with_whom": application.WithWhomLimit,
		"how_learn": application.HowLearnLimit, "budget_summary": application.BudgetLimit,
	}
	for i := range fields {
		f := &fields[i]
		if l, ok := limits[f.ID]; ok {
			f.Words, f.Chars = l.Words, l.Chars
			f.Count, f.Over = applicationWordCount(p.Form[f.ID], f.Words)
		}
		f.Value = p.Form[f.ID]
		f.Error = p.FieldError(f.ID)
	}
	return fields
}

// readApplicationProposal reads the form's answers into p.Form and a proposal.
// Amounts that cannot be read as money come back as field errors; the
// proposal then holds placeholders for them, so its other answers can
// still be checked and every problem reported at once.
func readApplicationProposal(c echo.Context, p *page, currency string) (application.Proposal, []fieldErr) {
	for _, k := range []string{"title", "explore", "with_whom", "how_learn", "amount", "minimum", "budget_summary"} {
		p.Form[k] = c.FormValue(k)
	}
	prop := application.Proposal{Title: p.Form["title"], Explore: p.Form["explore"], WithWhom: p.Form["with_whom"],
		HowLearn: p.Form["how_learn"], BudgetSummary: p.Form["budget_summary"]}
	var errs []fieldErr
	if s := strings.TrimSpace(p.Form["amount"]); s == "" {
		errs = append(errs, fieldErr{ID: "amount", Message: "Enter the amount requested"})
		prop.AmountMinor = 1
	} else if v, err := money.Parse(s, currency); err != nil {
		errs = append(errs, fieldErr{ID: "amount", Message: "Amount requested " + err.Error()})
		prop.AmountMinor = 1
	} else {
		prop.AmountMinor = v
	}
	if s := strings.TrimSpace(p.Form["minimum"]); s != "" {
		if v, err := money.Parse(s, currency); err != nil {
			errs = append(errs, fieldErr{ID: "minimum", Message: "The least you could work with " + err.Error()})
		} else {
			prop.MinimumMinor = &v
		}
	}
	return prop, errs
}

// withApplicationProposalErrors adds the proposal's own problems to errs (those of
// fields errs does not already name), in the form's order.
func withApplicationProposalErrors(errs []fieldErr, prop application.Proposal, budget int64) []fieldErr {
	ve, _ := validate.As(prop.Check(budget))
	have := map[string]bool{}
	for _, e := range errs {
		have[e.ID] = true
	}
	for _, e := range applicationErrors(ve) {
		if !have[e.ID] {
			errs = append(errs, e)
		}
	}
	order := map[string]int{"organisation_id": 0, "title": 1, "explore": 2, "with_whom": 3, "how_learn": 4, "amount": 5, "minimum": 6, "budget_summary": 7}
	sortApplicationErrors(errs, order)
	return errs
}

func sortApplicationErrors(errs []fieldErr, order map[string]int) {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && order[errs[j].ID] < order[errs[j-1].ID]; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

func applicationPathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, httpapi.ErrNotFound
	}
	return id, nil
}

// applyContext is what the apply pages need: the round (visible, and
// accepting now) and the applicant organisations the person may apply for.
func (u *UI) applyContext(c echo.Context) (application.Round, []org.Organisation, error) {
	id, err := applicationPathID(c)
	if err != nil {
		return application.Round{}, nil, err
	}
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	r, err := httpapi.RoundForApplications(ctx, u.Authz, u.Applications, pr, id)
	if err != nil {
		return application.Round{}, nil, err
	}
	if err := r.CheckAccepting(u.Applications.Now()); err != nil {
		return application.Round{}, nil, err
	}
	var orgs []org.Organisation
	for _, oid := range pr.OrgIDs {
		o, err := u.Orgs.Get(ctx, oid)
		if err != nil {
			return application.Round{}, nil, err
		}
		res := authz.Resource{Kind: "application", Domain: authz.FundDomain(r.FundID), OwnerOrgID: o.ID}
		if o.Kind == org.Applicant && u.Authz.Allowed(pr.Actor(), "create", res) {
			orgs = append(orgs, o)
		}
	}
	if len(orgs) == 0 {
		return application.Round{}, nil, fault.Forbiddenf("Only members of an applicant organisation can apply. If you work with one, ask a Humble administrator to add you to it.")
	}
	return r, orgs, nil
}

func (u *UI) renderApplyForm(c echo.Context, status int, p page, r application.Round, orgs []org.Organisation) error {
	if len(orgs) == 1 {
		p.Form["organisation_id"] = strconv.FormatInt(orgs[0].ID, 10)
	}
	p.Data = applicationFormData{
		Heading: "Apply to " + r.Name, Action: fmt.Sprintf("/rounds/%d/apply", r.ID), Submit: "Submit application",
		Round: r, Orgs: orgs, OrgError: p.FieldError("organisation_id"), Fields: applicationFields(p, r.Currency),
		Back: "/my/applications",
	}
	return u.render(c, status, "application_form", p)
}

func (u *UI) applyForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, orgs, err := u.applyContext(c)
	if err != nil {
		return err
	}
	return u.renderApplyForm(c, http.StatusOK, u.newPage(c, "applications"), r, orgs)
}

func (u *UI) apply(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, orgs, err := u.applyContext(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "applications")
	prop, errs := readApplicationProposal(c, &p, r.Currency)
	p.Form["organisation_id"] = c.FormValue("organisation_id")
	orgID, _ := strconv.ParseInt(p.Form["organisation_id"], 10, 64)
	if len(orgs) == 1 && p.Form["organisation_id"] == "" {
		orgID = orgs[0].ID
	}
	known := false
	for _, o := range orgs {
		known = known || o.ID == orgID
	}
	if !known {
		errs = append(errs, fieldErr{ID: "organisation_id", Message: "Choose the organisation that is applying"})
	}
	if len(errs) > 0 {
		p.Errors = withApplicationProposalErrors(errs, prop, r.BudgetMinor)
		return u.renderApplyForm(c, http.StatusUnprocessableEntity, p, r, orgs)
	}
	pr := httpapi.CurrentPrincipal(c)
	app, err := u.Applications.Apply(c.Request().Context(), pr.User.ID, r.ID,
		application.NewApplication{OrganisationID: orgID, Proposal: prop})
	if ve, ok := validate.As(err); ok {
		p.Errors = applicationErrors(ve)
		return u.renderApplyForm(c, http.StatusUnprocessableEntity, p, r, orgs)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d?notice=submitted", app.ID))
}

// applicationFor loads the application in the path for a signed-in
// person and checks they may do action on it: 404 for anyone who may not
// know of it, 403 for those who may read it but not do this.
func (u *UI) applicationFor(c echo.Context, action string) (application.Application, error) {
	id, err := applicationPathID(c)
	if err != nil {
		return application.Application{}, err
	}
	app, err := u.Applications.Get(c.Request().Context(), id)
	if err != nil {
		return application.Application{}, err
	}
	pr := httpapi.CurrentPrincipal(c)
	if v := httpapi.ApplicationViewer(u.Authz, pr, app); !v.Own && !v.Steward && !v.Panel {
		return application.Application{}, application.ErrNotFound
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.ApplicationResource(app)); err != nil {
		return application.Application{}, err
	}
	return app, nil
}

// applicationNotices are the messages shown after a change, by ?notice=.
var applicationNotices = map[string]string{
	"submitted":  "Your application has been submitted.",
	"saved":      "Your changes have been saved.",
	"withdrawn":  "The application has been withdrawn.",
	"ineligible": "The application has been marked ineligible. The applicant can read your reason.",
}

type applicationViewData struct {
	App         application.Application
	Recused     bool
	Declaration string
	Amount      string
	Minimum     string
	Explore     []string
	WithWhom    []string
	HowLearn    []string
	Budget      []string
	Reason      []string
	Status      string
	Own         bool
	CanEdit     bool
	CanWithdraw bool
	CanMark     bool
	ReasonError *fieldErr
	// Decision is the round's final decision on it (nil until final).
	Decision *appDecisionView
}

// applicationParagraphs splits an answer into its lines, for showing as applicationParagraphs
// without losing the applicant's line breaks.
func applicationParagraphs(s string) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

func (u *UI) showApplication(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	id, err := applicationPathID(c)
	if err != nil {
		return err
	}
	app, err := u.Applications.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	p := u.newPage(c, "applications")
	p.Notice = applicationNotices[c.QueryParam("notice")]
	return u.renderApplication(c, http.StatusOK, p, app)
}

// renderApplication shows the application as the person may see it. A
// panel member who has not declared on it is sent to the declaration form.
func (u *UI) renderApplication(c echo.Context, status int, p page, app application.Application) error {
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	v := httpapi.ApplicationViewer(u.Authz, pr, app)
	acc, err := u.Applications.Read(ctx, app, v)
	if errors.Is(err, application.ErrDeclareFirst) {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/rounds/%d/declarations", app.RoundID))
	} else if err != nil {
		return err
	}
	d := applicationViewData{App: app, Recused: acc.Reading == application.TitleOnly, Declaration: acc.Declaration, Own: v.Own}
	if !d.Recused {
		r, err := u.Applications.Round(ctx, app.RoundID)
		if err != nil {
			return err
		}
		res := httpapi.ApplicationResource(app)
		accepting := r.Accepting(u.Applications.Now())
		submitted := app.State == application.Submitted
		d.Amount = money.Format(app.AmountMinor, app.Currency)
		if app.MinimumMinor != nil {
			d.Minimum = money.Format(*app.MinimumMinor, app.Currency)
		}
		d.Explore, d.WithWhom, d.HowLearn, d.Budget = applicationParagraphs(app.Explore), applicationParagraphs(app.WithWhom), applicationParagraphs(app.HowLearn), applicationParagraphs(app.BudgetSummary)
		if app.IneligibleReason != nil {
			d.Reason = applicationParagraphs(*app.IneligibleReason)
		}
		d.CanEdit = v.Own && submitted && accepting && u.Authz.Allowed(pr.Actor(), "update", res)
		d.CanWithdraw = v.Own && submitted && !r.Decided() && u.Authz.Allowed(pr.Actor(), "withdraw", res)
		d.CanMark = submitted && !r.Decided() && u.Authz.Allowed(pr.Actor(), "mark_ineligible", res)
		d.Status = applicationStatusText(app, r, accepting)
		d.ReasonError = p.FieldError("reason")
		if r.State == application.RoundDecided {
			if d.Decision, err = u.applicationDecision(c, app.ID, app.RoundID, app.Currency); err != nil {
				return err
			}
		}
	}
	p.Data = d
	return u.render(c, status, "application_view", p)
}

// applicationStatusText explains an application's state in a sentence.
func applicationStatusText(app application.Application, r application.Round, accepting bool) string {
	switch app.State {
	case application.Withdrawn:
		return "Withdrawn. It takes no further part in the round."
	case application.Ineligible:
		return "Ineligible. The fund's steward found that it cannot be considered in this round, for the reason below."
	}
	switch {
	case accepting:
		return "Submitted. It can be changed until applications close on " + r.ApplicationsCloseAt.UTC().Format("2 Jan 2006 15:04") + " (UTC)."
	case r.State == application.RoundAccepting:
		return "Submitted. Applications have closed; the community panel will read it when the round moves to review."
	case r.State == application.RoundReview:
		return "Submitted. The community panel is reading and discussing the applications."
	case r.State == application.RoundVoting:
		return "Submitted. The community panel is voting."
	case r.State == application.RoundClosed:
		return "Submitted. Voting has closed; the panel is recording its decision, with a rationale and feedback for every application."
	case r.State == application.RoundDecided:
		return "Submitted. The round has been decided: the panel's decision is below."
	}
	return "Submitted."
}

// editContext loads an application its applicant may change now, with
// its round; otherwise the reason why not.
func (u *UI) editContext(c echo.Context) (application.Application, application.Round, error) {
	app, err := u.applicationFor(c, "update")
	if err != nil {
		return app, application.Round{}, err
	}
	r, err := u.Applications.Round(c.Request().Context(), app.RoundID)
	if err != nil {
		return app, r, err
	}
	if app.State != application.Submitted {
		return app, r, fault.Conflictf("This application is %s, so it can no longer be changed.", app.State)
	}
	if !r.Accepting(u.Applications.Now()) {
		return app, r, fault.Conflictf("The application window of %s has closed, so applications can no longer be changed.", r.Name)
	}
	return app, r, nil
}

func (u *UI) renderEditForm(c echo.Context, status int, p page, app application.Application, r application.Round, version int) error {
	p.Data = applicationFormData{
		Heading: "Change your application", Action: fmt.Sprintf("/applications/%d/edit", app.ID), Submit: "Save changes",
		Round: r, Editing: true, Version: version, Fields: applicationFields(p, r.Currency),
		Back: fmt.Sprintf("/applications/%d", app.ID),
	}
	return u.render(c, status, "application_form", p)
}

func applicationFormOf(app application.Application) map[string]string {
	f := map[string]string{
		"title": app.Title, "explore": app.Explore, "with_whom": app.WithWhom, "how_learn": app.HowLearn,
		"amount": money.Plain(app.AmountMinor, app.Currency), "budget_summary": app.BudgetSummary,
	}
	if app.MinimumMinor != nil {
		f["minimum"] = money.Plain(*app.MinimumMinor, app.Currency)
	}
	return f
}

func (u *UI) editApplicationForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, r, err := u.editContext(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "applications")
	p.Form = applicationFormOf(app)
	return u.renderEditForm(c, http.StatusOK, p, app, r, app.Version)
}

func (u *UI) editApplication(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, r, err := u.editContext(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "applications")
	prop, errs := readApplicationProposal(c, &p, r.Currency)
	version, _ := strconv.Atoi(c.FormValue("version"))
	if len(errs) > 0 {
		p.Errors = withApplicationProposalErrors(errs, prop, r.BudgetMinor)
		return u.renderEditForm(c, http.StatusUnprocessableEntity, p, app, r, version)
	}
	e := application.Edit{Version: version, Title: &prop.Title, Explore: &prop.Explore, WithWhom: &prop.WithWhom,
		HowLearn: &prop.HowLearn, AmountMinor: &prop.AmountMinor, BudgetSummary: &prop.BudgetSummary,
		MinimumMinor: application.NullableAmount{Set: true, Value: prop.MinimumMinor}}
	_, err = u.Applications.Update(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, app.ID, e)
	if ve, ok := validate.As(err); ok {
		p.Errors = applicationErrors(ve)
		return u.renderEditForm(c, http.StatusUnprocessableEntity, p, app, r, version)
	}
	if f, ok := fault.As(err); ok && f.Kind == fault.PreconditionFailed {
		// Keep their words, but show the form at the current version: saving
		// again is then a choice made knowing someone else changed it.
		p.Errors = []fieldErr{{ID: "application-form", Message: "Someone else saved this application while you were changing it. " +
			"Your changes are below and have not been saved: open the application in another tab to compare, then save again."}}
		return u.renderEditForm(c, http.StatusPreconditionFailed, p, app, r, app.Version)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d?notice=saved", app.ID))
}

// withdrawContext loads an application its applicant may withdraw now.
func (u *UI) withdrawContext(c echo.Context) (application.Application, error) {
	app, err := u.applicationFor(c, "withdraw")
	if err != nil {
		return app, err
	}
	r, err := u.Applications.Round(c.Request().Context(), app.RoundID)
	if err != nil {
		return app, err
	}
	if r.Decided() {
		return app, fault.Conflictf("%s has been decided, so its applications can no longer be withdrawn.", r.Name)
	}
	if app.State != application.Submitted {
		return app, fault.Conflictf("This application is %s, so there is nothing to withdraw.", app.State)
	}
	return app, nil
}

func (u *UI) withdrawApplicationForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, err := u.withdrawContext(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "applications")
	p.Data = app
	return u.render(c, http.StatusOK, "application_withdraw", p)
}

func (u *UI) withdrawApplication(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, err := u.withdrawContext(c)
	if err != nil {
		return err
	}
	if _, err := u.Applications.Withdraw(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, app.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d?notice=withdrawn", app.ID))
}

func (u *UI) markApplicationIneligible(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	app, err := u.applicationFor(c, "mark_ineligible")
	if err != nil {
		return err
	}
	in := application.Ineligibility{Reason: c.FormValue("reason")}
	_, err = u.Applications.MarkIneligible(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, app.ID, in)
	if ve, ok := validate.As(err); ok {
		p := u.newPage(c, "applications")
		p.Form["reason"] = in.Reason
		p.Errors = applicationErrors(ve)
		return u.renderApplication(c, http.StatusUnprocessableEntity, p, app)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d?notice=ineligible", app.ID))
}

type myApplicationsData struct {
	Items      []myApplicationRow
	Total      int64
	Page       int
	Prev, Next string
}

type myApplicationRow struct {
	application.Summary
	Amount string
}

const myApplicationsPerPage = 50

func (u *UI) myApplications(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	n := httpapi.PageNumber(c)
	pr := httpapi.CurrentPrincipal(c)
	items, total, err := u.Applications.ListForOrganisations(c.Request().Context(), pr.OrgIDs,
		(n-1)*myApplicationsPerPage, myApplicationsPerPage)
	if err != nil {
		return err
	}
	d := myApplicationsData{Total: total, Page: n}
	for _, it := range items {
		res := authz.Resource{Kind: "application", Domain: authz.FundDomain(it.FundID), OwnerOrgID: it.OrganisationID}
		if !u.Authz.Allowed(pr.Actor(), "read", res) {
			continue
		}
		m := myApplicationRow{Summary: it}
		if it.AmountMinor != nil {
			m.Amount = money.Format(*it.AmountMinor, it.Currency)
		}
		d.Items = append(d.Items, m)
	}
	if n > 1 {
		d.Prev = fmt.Sprintf("/my/applications?page=%d", n-1)
	}
	if int64(n*myApplicationsPerPage) < total {
		d.Next = fmt.Sprintf("/my/applications?page=%d", n+1)
	}
	p := u.newPage(c, "applications")
	p.Data = d
	return u.render(c, http.StatusOK, "application_list", p)
}
