package ui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/user"
	"github.com/humblehq/humble/internal/validate"
)

// registerFundPages adds the funds pages.
func (u *UI) registerFundPages(e *echo.Echo) {
	e.GET("/funds/new", u.newFundForm)
	e.POST("/funds", u.createFund)
	e.GET("/funds/:id", u.fundPage)
	e.GET("/funds/:id/edit", u.editFundForm)
	e.POST("/funds/:id/edit", u.updateFund)
	e.POST("/funds/:id/stage", u.changeFundStage)
	e.POST("/funds/:id/status", u.changeFundStatus)
	e.GET("/funds/:id/principles", u.principlesPage)
	e.GET("/funds/:id/roles", u.fundRolesPage)
	e.POST("/funds/:id/roles", u.assignFundRole)
	e.POST("/funds/:id/roles/revoke", u.revokeFundRole)
}

var fundLabels = map[string]string{
	"organisation_id": "Funder", "name": "Name", "purpose_flourishing": "What flourishing",
	"purpose_whom": "For whom", "purpose_where": "Where", "budget_minor": "Budget", "budget": "Budget",
	"currency": "Currency", "system_scale": "System scale", "principles": "Guiding principles",
	"stage": "Stage", "reason": "Reason", "email": "Email address", "role": "Role", "user_id": "Person",
}

type fundForm struct {
	Funders    []org.Organisation
	Currencies []string
	Scales     []string
	Fund       *fund.Fund
}

// funderOrgs are the funder organisations the person belongs to.
func (u *UI) funderOrgs(c echo.Context) ([]org.Organisation, error) {
	var out []org.Organisation
	for _, id := range httpapi.CurrentPrincipal(c).OrgIDs {
		o, err := u.Orgs.Get(c.Request().Context(), id)
		if err != nil {
			return nil, err
		}
		if o.Kind == org.Funder {
			out = append(out, o)
		}
	}
	return out, nil
}

func (u *UI) newFundForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	funders, err := u.funderOrgs(c)
	if err != nil {
		return err
	}
	if len(funders) == 0 {
		return httpapi.ErrForbidden
	}
	p := u.newPage(c, "home")
	p.Form["currency"], p.Form["system_scale"] = "GBP", "place"
	p.Data = fundForm{Funders: funders, Currencies: fund.Currencies, Scales: fund.Scales}
	return u.render(c, http.StatusOK, "fund_form", p)
}

// principlesFrom reads one principle per line of a textarea.
func principlesFrom(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

func formValues(c echo.Context, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = c.FormValue(n)
	}
	return m
}

var fundFields = []string{"organisation_id", "name", "purpose_flourishing", "purpose_whom", "purpose_where",
	"budget", "currency", "system_scale", "principles", "version"}

func (u *UI) createFund(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	p := u.newPage(c, "home")
	p.Form = formValues(c, fundFields...)
	orgID, _ := strconv.ParseInt(p.Form["organisation_id"], 10, 64)
	res := authz.Resource{Kind: "fund", Domain: authz.Installation, OwnerOrgID: orgID}
	if err := httpapi.Authorize(u.Authz, c, "create", res); err != nil {
		return err
	}
	currency := strings.ToUpper(p.Form["currency"])
	budget, berr := money.Parse(p.Form["budget"], currency)
	in := fund.NewFund{OrganisationID: orgID, Currency: currency, Principles: principlesFrom(p.Form["principles"]),
		Details: fund.Details{Name: p.Form["name"], PurposeFlourishing: p.Form["purpose_flourishing"],
			PurposeWhom: p.Form["purpose_whom"], PurposeWhere: p.Form["purpose_where"], BudgetMinor: budget,
			SystemScale: p.Form["system_scale"]}}
	var f fund.Fund
	var err error
	if berr != nil {
		err = validate.Field("budget", berr.Error())
	} else {
		f, err = u.Funds.Create(c.Request().Context(), p.User.ID, in)
	}
	if fes, ok := errorsOf(err, fundLabels); ok {
		funders, ferr := u.funderOrgs(c)
		if ferr != nil {
			return ferr
		}
		p.Errors = fixBudgetField(fes)
		p.Data = fundForm{Funders: funders, Currencies: fund.Currencies, Scales: fund.Scales}
		return u.render(c, http.StatusUnprocessableEntity, "fund_form", p)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/funds/"+strconv.FormatInt(f.ID, 10))
}

// fixBudgetField points budget_minor errors at the "budget" input.
func fixBudgetField(fes []fieldErr) []fieldErr {
	for i := range fes {
		if fes[i].ID == "budget_minor" {
			fes[i].ID = "budget"
		}
	}
	return fes
}

type fundPageData struct {
	Fund        fund.Fund
	Purpose     string
	Principles  fund.Revision
	Revisions   int
	Stages      []fund.StageChange
	AllStages   []string
	Steward     bool
	CanPublish  bool
	FunderName  string
	NextStatus  []string
	Rounds      []roundLink
	CanAddRound bool
	// Grants are the fund's grants as anyone may list them; Learning and
	// Reflections link to the fund's learning page and the funder's
	// reflections, for those who may read them.
	Grants      []grantLink
	Learning    bool
	Reflections bool
	// Syntheses are the fund's published learning syntheses.
	Syntheses []synthesisRow
}

// grantLink is a grant as the fund page lists it, with a link to its
// learning agreement for those who may read it.
type grantLink struct {
	ID                  int64
	Organisation, Title string
	AmountMinor         int64
	Currency            string
	Agreement           bool
}

// roundLink is a round as the fund page lists it.
type roundLink struct {
	ID     int64
	Name   string
	State  string
	Budget int64
}

// visibleFund loads a fund the person may see, or 404.
func (u *UI) visibleFund(c echo.Context) (fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fund.Fund{}, httpapi.ErrNotFound
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.FundResource(id)); err != nil {
		return fund.Fund{}, err
	}
	return httpapi.VisibleFund(c.Request().Context(), u.Authz, u.Funds, httpapi.CurrentPrincipal(c), id)
}

func (u *UI) fundPage(c echo.Context) error {
	f, err := u.visibleFund(c)
	if err != nil {
		return err
	}
	return u.renderFund(c, http.StatusOK, u.newPage(c, ""), f)
}

func (u *UI) renderFund(c echo.Context, status int, p page, f fund.Fund) error {
	ctx := c.Request().Context()
	revs, err := u.Funds.Principles(ctx, f.ID)
	if err != nil {
		return err
	}
	stages, err := u.Funds.StageHistory(ctx, f.ID)
	if err != nil {
		return err
	}
	funder, err := u.Orgs.Get(ctx, f.OrganisationID)
	if err != nil {
		return err
	}
	actor := httpapi.CurrentPrincipal(c).Actor()
	d := fundPageData{Fund: f, Purpose: f.Purpose(), Revisions: len(revs), Stages: stages, AllStages: fund.Stages,
		Steward: u.Authz.Allowed(actor, "update", httpapi.FundResource(f.ID)), FunderName: funder.Name}
	if len(revs) > 0 {
		d.Principles = revs[len(revs)-1]
	}
	if d.Steward {
		d.NextStatus = map[string][]string{fund.Draft: {fund.Open}, fund.Open: {fund.Active, fund.Closed}, fund.Active: {fund.Closed}}[f.Status]
		d.CanAddRound = u.Authz.Allowed(actor, "create", authz.Resource{Kind: "round", Domain: authz.FundDomain(f.ID)})
	}
	if d.Rounds, err = u.fundRounds(ctx, f.ID, d.Steward); err != nil {
		return err
	}
	d.Learning = u.Authz.Allowed(actor, "list", httpapi.AccountResource(f.ID, 0))
	d.Reflections = u.Authz.Allowed(actor, "read", httpapi.ReflectionResource(f.ID))
	if d.Syntheses, err = u.publishedSyntheses(c, f.ID); err != nil {
		return err
	}
	if u.Authz.Allowed(actor, "list", httpapi.GrantResource(f.ID, 0)) {
		gs, err := u.Decisions.Grants(ctx, f.ID)
		if err != nil {
			return err
		}
		for _, g := range slices.Backward(gs) { // oldest first
			d.Grants = append(d.Grants, grantLink{ID: g.ID, Organisation: g.OrganisationName, Title: g.Title, AmountMinor: g.AmountMinor,
				Currency: g.Currency, Agreement: u.Authz.Allowed(actor, "read", httpapi.AgreementResource(f.ID, g.OrganisationID))})
		}
	}
	p.Data = d
	return u.render(c, status, "fund", p)
}

// fundRounds lists a fund's rounds; drafts only for its stewards.
func (u *UI) fundRounds(ctx context.Context, fundID int64, steward bool) ([]roundLink, error) {
	rs, _, err := u.Rounds.List(ctx, fundID, steward, 0, 200)
	if err != nil {
		return nil, err
	}
	out := make([]roundLink, len(rs))
	for i, r := range rs {
		out[i] = roundLink{ID: r.ID, Name: r.Name, State: r.State, Budget: r.BudgetMinor}
	}
	return out, nil
}

func (u *UI) editFundForm(c echo.Context) error {
	f, err := u.stewardFund(c, "update")
	if err != nil {
		return err
	}
	revs, err := u.Funds.Principles(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form = map[string]string{"name": f.Name, "purpose_flourishing": f.PurposeFlourishing, "purpose_whom": f.PurposeWhom,
		"purpose_where": f.PurposeWhere, "budget": money.Plain(f.BudgetMinor, f.Currency),
		"system_scale": f.SystemScale, "version": strconv.Itoa(f.Version)}
	if len(revs) > 0 {
		p.Form["principles"] = strings.Join(revs[len(revs)-1].Principles, "\n")
	}
	p.Data = fundForm{Fund: &f, Currencies: fund.Currencies, Scales: fund.Scales}
	return u.render(c, http.StatusOK, "fund_form", p)
}

// stewardFund loads a visible fund and checks the action on it.
func (u *UI) stewardFund(c echo.Context, action string) (fund.Fund, error) {
	if ok, err := requireSignIn(c); !ok {
		return fund.Fund{}, errRedirected{err}
	}
	f, err := u.visibleFund(c)
	if err != nil {
		return fund.Fund{}, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.FundResource(f.ID)); err != nil {
		return fund.Fund{}, err
	}
	return f, nil
}

// errRedirected carries a redirect already written (to sign in).
type errRedirected struct{ err error }

func (e errRedirected) Error() string { return "redirected" }

func (u *UI) updateFund(c echo.Context) error {
	f, err := u.stewardFund(c, "update")
	if err != nil {
		return redirectOr(err)
	}
	p := u.newPage(c, "")
	p.Form = formValues(c, fundFields...)
	version, _ := strconv.Atoi(p.Form["version"])
	budget, berr := money.Parse(p.Form["budget"], f.Currency)
	in := fund.Details{Name: p.Form["name"], PurposeFlourishing: p.Form["purpose_flourishing"],
		PurposeWhom: p.Form["purpose_whom"], PurposeWhere: p.Form["purpose_where"], BudgetMinor: budget,
		SystemScale: p.Form["system_scale"]}
	ctx := c.Request().Context()
	if berr != nil {
		err = validate.Field("budget", berr.Error())
	} else {
		_, err = u.Funds.Update(ctx, p.User.ID, f.ID, version, in)
	}
	if err == nil {
		revs, rerr := u.Funds.Principles(ctx, f.ID)
		if rerr != nil {
			return rerr
		}
		next := principlesFrom(p.Form["principles"])
		if len(revs) == 0 || strings.Join(revs[len(revs)-1].Principles, "\n") != strings.Join(next, "\n") {
			_, err = u.Funds.RevisePrinciples(ctx, p.User.ID, f.ID, fund.NewPrinciples{Principles: next, Note: "Edited on the fund page"})
		}
	}
	if fes, ok := errorsOf(err, fundLabels); ok {
		p.Errors = fixBudgetField(fes)
		p.Data = fundForm{Fund: &f, Currencies: fund.Currencies, Scales: fund.Scales}
		return u.render(c, http.StatusUnprocessableEntity, "fund_form", p)
	} else if fe, ok := fault.As(err); ok {
		p.Errors = []fieldErr{{"name", fe.Message}}
		p.Data = fundForm{Fund: &f, Currencies: fund.Currencies, Scales: fund.Scales}
		return u.render(c, problemStatus(err), "fund_form", p)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/funds/"+strconv.FormatInt(f.ID, 10))
}

// problemStatus is the HTTP status the API would give err.
func problemStatus(err error) int { return httpapi.ProblemFor(err).Status }

// redirectOr passes a sign-in redirect through as done, other errors on.
func redirectOr(err error) error {
	var r errRedirected
	if errors.As(err, &r) {
		return r.err
	}
	return err
}

func (u *UI) changeFundStage(c echo.Context) error {
	f, err := u.stewardFund(c, "update")
	if err != nil {
		return redirectOr(err)
	}
	p := u.newPage(c, "")
	in := fund.StageMove{Stage: c.FormValue("stage"), Reason: c.FormValue("reason")}
	p.Form = map[string]string{"stage": in.Stage, "reason": in.Reason}
	_, err = u.Funds.ChangeStage(c.Request().Context(), p.User.ID, f.ID, in)
	if fes, ok := errorsOf(err, fundLabels); ok {
		p.Errors = fes
		return u.renderFund(c, http.StatusUnprocessableEntity, p, f)
	} else if fe, ok := fault.As(err); ok {
		p.Errors = []fieldErr{{"stage", fe.Message}}
		return u.renderFund(c, problemStatus(err), p, f)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/funds/"+strconv.FormatInt(f.ID, 10)+"#stage")
}

func (u *UI) changeFundStatus(c echo.Context) error {
	to := c.FormValue("status")
	action := "publish"
	if to == fund.Closed {
		action = "close"
	}
	f, err := u.stewardFund(c, action)
	if err != nil {
		return redirectOr(err)
	}
	if _, err := u.Funds.ChangeStatus(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, f.ID, to); err != nil {
		if fe, ok := fault.As(err); ok {
			p := u.newPage(c, "")
			p.Errors = []fieldErr{{"status", fe.Message}}
			return u.renderFund(c, problemStatus(err), p, f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/funds/"+strconv.FormatInt(f.ID, 10))
}

func (u *UI) principlesPage(c echo.Context) error {
	f, err := u.visibleFund(c)
	if err != nil {
		return err
	}
	revs, err := u.Funds.Principles(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	// Newest first for reading.
	for i, j := 0, len(revs)-1; i < j; i, j = i+1, j-1 {
		revs[i], revs[j] = revs[j], revs[i]
	}
	p := u.newPage(c, "")
	p.Data = struct {
		Fund      fund.Fund
		Revisions []fund.Revision
	}{f, revs}
	return u.render(c, http.StatusOK, "fund_principles", p)
}

type rolesData struct {
	Fund    fund.Fund
	Holders []fund.RoleHolder
	Roles   []string
	Link    string
}

func (u *UI) fundRoleGate(c echo.Context, action string) (fund.Fund, error) {
	if ok, err := requireSignIn(c); !ok {
		return fund.Fund{}, errRedirected{err}
	}
	f, err := u.visibleFund(c)
	if err != nil {
		return fund.Fund{}, err
	}
	res := authz.Resource{Kind: "role", Domain: authz.FundDomain(f.ID)}
	if err := httpapi.Authorize(u.Authz, c, action, res); err != nil {
		return fund.Fund{}, err
	}
	return f, nil
}

func (u *UI) fundRolesPage(c echo.Context) error {
	f, err := u.fundRoleGate(c, "list")
	if err != nil {
		return redirectOr(err)
	}
	return u.renderRoles(c, http.StatusOK, u.newPage(c, ""), f, "")
}

func (u *UI) renderRoles(c echo.Context, status int, p page, f fund.Fund, link string) error {
	hs, err := u.Funds.Roles(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	p.Data = rolesData{Fund: f, Holders: hs, Roles: fund.AssignableRoles, Link: link}
	return u.render(c, status, "fund_roles", p)
}

// assignFundRole gives a role to the account with that email, or invites
// the person when there is none, showing the link to send them.
func (u *UI) assignFundRole(c echo.Context) error {
	f, err := u.fundRoleGate(c, "assign")
	if err != nil {
		return redirectOr(err)
	}
	p := u.newPage(c, "")
	p.Form = formValues(c, "email", "display_name", "role")
	ctx := c.Request().Context()
	email := strings.TrimSpace(p.Form["email"])
	link := ""
	existing, err := u.Users.ByEmail(ctx, email)
	switch {
	case err == nil:
		err = u.Funds.AssignRole(ctx, p.User.ID, f.ID, fund.RoleChange{UserID: existing.ID, Role: p.Form["role"]})
		if err == nil {
			p.Notice = existing.DisplayName + " is now " + strings.ToLower(fund.RoleNames[p.Form["role"]]) + "."
		}
	case errors.Is(err, user.ErrNotFound):
		if !validRole(p.Form["role"]) {
			err = validate.Field("role", "choose a role")
			break
		}
		var secret string
		secret, _, err = u.Users.Invite(ctx, p.User.ID, user.NewInvitation{Email: email,
			DisplayName: p.Form["display_name"], FundID: f.ID, FundRole: p.Form["role"]})
		if err == nil {
			link = u.BaseURL + user.InvitePath + secret
			p.Notice = "No account uses " + email + " yet, so Humble made an invitation. Send them this link; it works once."
		}
	}
	if fes, ok := errorsOf(err, fundLabels); ok {
		p.Errors = fes
		return u.renderRoles(c, http.StatusUnprocessableEntity, p, f, "")
	} else if err != nil {
		return err
	}
	p.Form = map[string]string{}
	return u.renderRoles(c, http.StatusOK, p, f, link)
}

func validRole(r string) bool {
	for _, x := range fund.AssignableRoles {
		if x == r {
			return true
		}
	}
	return false
}

func (u *UI) revokeFundRole(c echo.Context) error {
	f, err := u.fundRoleGate(c, "revoke")
	if err != nil {
		return redirectOr(err)
	}
	userID, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	err = u.Funds.RevokeRole(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, f.ID,
		fund.RoleChange{UserID: userID, Role: c.FormValue("role")})
	if fe, ok := fault.As(err); ok {
		p := u.newPage(c, "")
		p.Errors = []fieldErr{{"role", fe.Message}}
		return u.renderRoles(c, problemStatus(err), p, f, "")
	} else if _, ok := validate.As(err); ok {
		return err
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/funds/"+strconv.FormatInt(f.ID, 10)+"/roles")
}
