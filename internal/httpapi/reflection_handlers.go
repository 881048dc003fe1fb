package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/decision"
)

// registerReflections adds the routes of reflective accounts, their
// stories' consent, addenda and responses, the funder's own reflections,
// the fund's learning overview and the accounts export. What each reader
// sees of an account is decided by AccountReader and internal/account:
// a reader who may see none of an account gets 404.
func (a *API) registerReflections(g *echo.Group) {
	g.GET("/grants/:id/accounts", a.listGrantAccounts)
	g.POST("/grants/:id/accounts", a.createAccount)
	g.GET("/accounts/:id", a.getAccount)
	g.PATCH("/accounts/:id", a.updateAccount)
	g.POST("/accounts/:id/submit", a.submitAccount)
	g.POST("/accounts/:id/confirm", a.confirmAccount)
	g.POST("/accounts/:id/addenda", a.addAddendum)
	g.POST("/accounts/:id/stories/:story_id/withdraw", a.withdrawStory)
	g.GET("/accounts/:id/response", a.getResponse)
	g.POST("/accounts/:id/response", a.respond)
	g.GET("/funds/:id/learning", a.fundLearning)
	g.PUT("/funds/:id/response-days", a.setResponseDays)
	g.GET("/funds/:id/accounts.csv", a.accountsCSV)
	g.GET("/funds/:id/reflections", a.listReflections)
	g.POST("/funds/:id/reflections", a.createReflection)
	g.GET("/reflections/:id", a.getReflection)
	g.PATCH("/reflections/:id", a.updateReflection)
	g.POST("/reflections/:id/publish", a.publishReflection)
	g.POST("/reflections/:id/stories/:story_id/withdraw", a.withdrawReflectionStory)
}

// AccountResource is a grantee's reflective account in its fund, owned by
// the grantee organisation (0: any account of the fund).
func AccountResource(fundID, orgID int64) authz.Resource {
	return authz.Resource{Kind: "reflective_account", Domain: authz.FundDomain(fundID), OwnerOrgID: orgID}
}

// ReflectionResource is one of the funder's own reflections in a fund.
func ReflectionResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "funder_reflection", Domain: authz.FundDomain(fundID)}
}

// ResponseResource is the stewards' response to an account of orgID (0:
// any).
func ResponseResource(fundID, orgID int64) authz.Resource {
	return authz.Resource{Kind: "response", Domain: authz.FundDomain(fundID), OwnerOrgID: orgID}
}

// AccountReader works out how far the principal may read an account (or
// any account like m): its organisation's members and the fund's stewards
// and learning partners see every section; the fund's other grantees and
// its panel see what is shared with peers; anyone sees what is public. For
// the funder's reflections the stewards are the owners, the learning
// partners see everything, grantees and panel what is shared with peers.
func AccountReader(az *authz.Authorizer, p *Principal, m account.Meta) account.Reader {
	actor := p.Actor()
	r := account.Reader{UserID: p.User.ID}
	r.Partner = az.Allowed(actor, "read", AccountResource(m.FundID, 0))
	peer := false
	if m.Kind == account.Funder {
		r.Owner = az.Allowed(actor, "update", ReflectionResource(m.FundID))
		peer = az.Allowed(actor, "read", ReflectionResource(m.FundID))
	} else {
		res := AccountResource(m.FundID, m.OrganisationID)
		r.Owner = slices.Contains(p.OrgIDs, m.OrganisationID) && az.Allowed(actor, "read", res)
		peer = az.Allowed(actor, "read_shared", res)
	}
	switch {
	case r.Owner || r.Partner:
		r.Clearance = account.SeesPartner
	case peer:
		r.Clearance = account.SeesPeers
	}
	r.Purpose = account.PurposeFor(r.Clearance)
	return r
}

// GrantAccountsMeta is what AccountReader needs to judge the accounts of a
// grant.
func GrantAccountsMeta(g decision.Grant) account.Meta {
	return account.Meta{FundID: g.FundID, OrganisationID: g.OrganisationID, Kind: account.Grantee}
}

// accountIn loads the account in the path, of kind, and the reader; 404 if
// the reader may not know of it.
func (a *API) accountIn(c echo.Context, kind string) (account.Meta, account.Reader, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return account.Meta{}, account.Reader{}, err
	}
	m, err := a.Accounts.Meta(c.Request().Context(), id)
	if err != nil {
		return m, account.Reader{}, err
	}
	r := AccountReader(a.Authz, CurrentPrincipal(c), m)
	if m.Kind != kind || !m.Visible(r) {
		return m, r, account.ErrNotFound
	}
	return m, r, nil
}

// accountFor loads the account in the path and checks action on it.
func (a *API) accountFor(c echo.Context, kind, action string) (account.Meta, error) {
	m, _, err := a.accountIn(c, kind)
	if err != nil {
		return m, err
	}
	res := AccountResource(m.FundID, m.OrganisationID)
	if kind == account.Funder {
		res = ReflectionResource(m.FundID)
	}
	return m, Authorize(a.Authz, c, action, res)
}

type accountList struct {
	Items   []account.Meta   `json:"items"`
	Total   int              `json:"total"`
	Cadence *account.Cadence `json:"cadence"`
}

func (a *API) listGrantAccounts(c echo.Context) error {
	g, err := a.grantIn(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r := AccountReader(a.Authz, CurrentPrincipal(c), GrantAccountsMeta(g))
	ms, err := a.Accounts.ListGrant(ctx, g.ID, r)
	if err != nil {
		return err
	}
	out := accountList{Items: ms, Total: len(ms)}
	if r.Owner || r.Partner {
		cad, err := a.Accounts.Cadence(ctx, g.ID)
		if err != nil {
			return err
		}
		out.Cadence = &cad
	}
	c.Response().Header().Set("X-Total-Count", strconv.Itoa(len(ms)))
	return c.JSON(http.StatusOK, out)
}

func (a *API) grantIn(c echo.Context) (decision.Grant, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return decision.Grant{}, err
	}
	return a.Decisions.Grant(c.Request().Context(), id)
}

// AuthorizeNewAccount checks who may start an account of a grant: a
// written account is the grantee's own (a member of the organisation);
// notes of a conversation are written by the fund's stewards and learning
// partners.
func AuthorizeNewAccount(az *authz.Authorizer, c echo.Context, g decision.Grant, mode string) error {
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return ErrUnauthenticated
	}
	if mode == account.Conversation {
		return Authorize(az, c, "create", AccountResource(g.FundID, 0))
	}
	if err := Authorize(az, c, "create", AccountResource(g.FundID, g.OrganisationID)); err != nil {
		return err
	}
	if !slices.Contains(p.OrgIDs, g.OrganisationID) {
		return ErrForbidden // the account is the grantee's to write; stewards write notes of a conversation
	}
	return nil
}

func (a *API) createAccount(c echo.Context) error {
	g, err := a.grantIn(c)
	if err != nil {
		return err
	}
	if CurrentPrincipal(c).Anonymous() {
		return ErrUnauthenticated
	}
	var in account.NewAccount
	if err := Bind(c, &in); err != nil {
		return err
	}
	if err := AuthorizeNewAccount(a.Authz, c, g, in.Mode); err != nil {
		return err
	}
	m, err := a.Accounts.Create(c.Request().Context(), CurrentPrincipal(c).User.ID, g.ID, in)
	if err != nil {
		return err
	}
	return a.respondAccount(c, http.StatusCreated, m.ID)
}

// respondAccount answers with the account as the principal sees it.
func (a *API) respondAccount(c echo.Context, status int, id int64) error {
	ctx := c.Request().Context()
	m, err := a.Accounts.Meta(ctx, id)
	if err != nil {
		return err
	}
	acc, err := a.Accounts.Get(ctx, id, AccountReader(a.Authz, CurrentPrincipal(c), m))
	if err != nil {
		return err
	}
	return c.JSON(status, acc)
}

func (a *API) getAccount(c echo.Context) error    { return a.getOf(c, account.Grantee) }
func (a *API) updateAccount(c echo.Context) error { return a.updateOf(c, account.Grantee) }

// getOf answers the account (or funder's reflection, by kind) in the path
// as the principal may see it.
func (a *API) getOf(c echo.Context, kind string) error {
	m, r, err := a.accountIn(c, kind)
	if err != nil {
		return err
	}
	acc, err := a.Accounts.Get(c.Request().Context(), m.ID, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, acc)
}

// updateOf edits the draft account (or funder's reflection) in the path.
func (a *API) updateOf(c echo.Context, kind string) error {
	m, err := a.accountFor(c, kind, "update")
	if err != nil {
		return err
	}
	var in account.Edit
	if err := Bind(c, &in); err != nil {
		return err
	}
	if _, err := a.Accounts.Update(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, in); err != nil {
		return err
	}
	return a.respondAccount(c, http.StatusOK, m.ID)
}

type versionOnly struct {
	Version int `json:"version" validate:"required,gt=0"`
}

func (a *API) submitAccount(c echo.Context) error {
	m, err := a.accountFor(c, account.Grantee, "submit")
	if err != nil {
		return err
	}
	var in versionOnly
	if err := Bind(c, &in); err != nil {
		return err
	}
	if _, err := a.Accounts.Submit(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, in.Version); err != nil {
		return err
	}
	return a.respondAccount(c, http.StatusOK, m.ID)
}

func (a *API) confirmAccount(c echo.Context) error {
	m, err := a.accountFor(c, account.Grantee, "submit")
	if err != nil {
		return err
	}
	var in account.Confirmation
	if err := Bind(c, &in); err != nil {
		return err
	}
	if _, err := a.Accounts.Confirm(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, in); err != nil {
		return err
	}
	return a.respondAccount(c, http.StatusOK, m.ID)
}

func (a *API) addAddendum(c echo.Context) error {
	m, err := a.accountFor(c, account.Grantee, "update")
	if err != nil {
		return err
	}
	var in account.AddendumInput
	if err := Bind(c, &in); err != nil {
		return err
	}
	d, err := a.Accounts.AddAddendum(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, in)
	if err != nil {
		return err
	}
	d.AuthorName = CurrentPrincipal(c).User.DisplayName
	return c.JSON(http.StatusCreated, d)
}

func (a *API) withdrawStory(c echo.Context) error {
	return a.withdrawStoryOf(c, account.Grantee)
}

// withdrawReflectionStory records that the person in a story of the
// funder's own reflection withdrew their consent: a stewards' act, as for
// grantees' stories, and for good.
func (a *API) withdrawReflectionStory(c echo.Context) error {
	return a.withdrawStoryOf(c, account.Funder)
}

func (a *API) withdrawStoryOf(c echo.Context, kind string) error {
	m, err := a.accountFor(c, kind, "withdraw_story")
	if err != nil {
		return err
	}
	storyID, err := pathID(c, "story_id")
	if err != nil {
		return err
	}
	if err := a.Accounts.WithdrawStory(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, storyID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) getResponse(c echo.Context) error {
	m, _, err := a.accountIn(c, account.Grantee)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", ResponseResource(m.FundID, m.OrganisationID)); err != nil {
		return err
	}
	resp, err := a.Accounts.Response(c.Request().Context(), m.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

func (a *API) respond(c echo.Context) error {
	m, _, err := a.accountIn(c, account.Grantee)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "create", ResponseResource(m.FundID, 0)); err != nil {
		return err
	}
	var in account.ResponseInput
	if err := Bind(c, &in); err != nil {
		return err
	}
	resp, err := a.Accounts.Respond(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, resp)
}

// FundLearning gathers the fund's learning overview for its stewards and
// learning partners.
func FundLearning(c echo.Context, az *authz.Authorizer, as *account.Service, fundID int64) (account.Learning, error) {
	if err := Authorize(az, c, "list", AccountResource(fundID, 0)); err != nil {
		return account.Learning{}, err
	}
	p := CurrentPrincipal(c)
	accounts := AccountReader(az, p, account.Meta{FundID: fundID, Kind: account.Grantee})
	reflections := AccountReader(az, p, account.Meta{FundID: fundID, Kind: account.Funder})
	return as.Learning(c.Request().Context(), fundID, accounts, reflections)
}

func (a *API) visibleFundIn(c echo.Context) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	_, err = VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id)
	return id, err
}

func (a *API) fundLearning(c echo.Context) error {
	id, err := a.visibleFundIn(c)
	if err != nil {
		return err
	}
	l, err := FundLearning(c, a.Authz, a.Accounts, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

func (a *API) setResponseDays(c echo.Context) error {
	id, err := a.stewardOf(c, "update")
	if err != nil {
		return err
	}
	var in account.ResponseDays
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.Accounts.SetResponseDays(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// AccountsCSV writes what the principal may see of a fund's submitted
// accounts as CSV: one row per section, story (only with consent for
// reports, neither withdrawn nor expired) and addendum.
func AccountsCSV(c echo.Context, az *authz.Authorizer, as *account.Service, fundID int64) error {
	p := CurrentPrincipal(c)
	rows, err := as.Export(c.Request().Context(), fundID, func(m account.Meta) account.Reader { return AccountReader(az, p, m) })
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="fund-%d-accounts.csv"`, fundID))
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"account_id", "grant_id", "organisation", "period_start", "period_end", "submitted_at", "part", "visibility", "text"})
	for _, r := range rows {
		_ = w.Write([]string{strconv.FormatInt(r.AccountID, 10), strconv.FormatInt(r.GrantID, 10), r.OrganisationName,
			r.PeriodStart, r.PeriodEnd, r.SubmittedAt.Format(time.RFC3339), r.Part, r.Visibility, r.Text})
	}
	w.Flush()
	return w.Error()
}

func (a *API) accountsCSV(c echo.Context) error {
	id, err := a.visibleFundIn(c)
	if err != nil {
		return err
	}
	return AccountsCSV(c, a.Authz, a.Accounts, id)
}

func (a *API) listReflections(c echo.Context) error {
	id, err := a.visibleFundIn(c)
	if err != nil {
		return err
	}
	r := AccountReader(a.Authz, CurrentPrincipal(c), account.Meta{FundID: id, Kind: account.Funder})
	ms, err := a.Accounts.ListReflections(c.Request().Context(), id, r)
	if err != nil {
		return err
	}
	return listed(c, ms, int64(len(ms)))
}

func (a *API) createReflection(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "create", ReflectionResource(id)); err != nil {
		return err
	}
	if _, err := VisibleFund(c.Request().Context(), a.Authz, a.Funds, CurrentPrincipal(c), id); err != nil {
		return err
	}
	var in account.Contents
	if err := Bind(c, &in); err != nil {
		return err
	}
	m, err := a.Accounts.CreateReflection(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return a.respondAccount(c, http.StatusCreated, m.ID)
}

func (a *API) getReflection(c echo.Context) error    { return a.getOf(c, account.Funder) }
func (a *API) updateReflection(c echo.Context) error { return a.updateOf(c, account.Funder) }

func (a *API) publishReflection(c echo.Context) error {
	m, err := a.accountFor(c, account.Funder, "publish")
	if err != nil {
		return err
	}
	var in versionOnly
	if err := Bind(c, &in); err != nil {
		return err
	}
	if _, err := a.Accounts.Submit(c.Request().Context(), CurrentPrincipal(c).User.ID, m.ID, in.Version); err != nil {
		return err
	}
	return a.respondAccount(c, http.StatusOK, m.ID)
}
