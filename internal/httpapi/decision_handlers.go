package httpapi

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/round"
)

// registerDecisions adds the routes of results, decisions and grants.
// Before a decision is final only the fund's stewards and panel read it;
// once final, anyone does, without the feedback, which only the applicant
// (and the fund) reads.
func (a *API) registerDecisions(g *echo.Group) {
	g.GET("/rounds/:id/result", a.getResult)
	g.POST("/rounds/:id/result", a.computeResult)
	g.GET("/rounds/:id/result/recompute", a.recomputeResult)
	g.GET("/rounds/:id/decision", a.getDecision)
	g.PUT("/rounds/:id/decision", a.recordDecision)
	g.PUT("/rounds/:id/decision/applications/:application_id", a.writeDecisionWords)
	g.POST("/rounds/:id/decision/final", a.finaliseDecision)
	g.GET("/rounds/:id/decision.csv", a.decisionCSV)
	g.GET("/applications/:id/decision", a.applicationDecision)
	g.GET("/funds/:id/grants", a.listGrants)
	g.GET("/grants/:id", a.getGrant)
}

// DecisionResource is a round's decision in its fund.
func DecisionResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "decision", Domain: authz.FundDomain(fundID)}
}

// GrantResource is a grant in its fund, owned by the grantee organisation
// (0: any grant of the fund).
func GrantResource(fundID, orgID int64) authz.Resource {
	return authz.Resource{Kind: "grant", Domain: authz.FundDomain(fundID), OwnerOrgID: orgID}
}

// DecisionAccess says how the principal may read a round's decision: in
// full before it is final (stewards and panel), or only once final.
type DecisionAccess struct {
	Round       decision.Round
	Final       bool // the decision is final
	Unpublished bool // the principal may read it before it is final, feedback included
}

// DecisionFor loads the round in the path and works out how the principal
// may read its decision and result: 404 for anyone who may read neither
// (a round without a final decision does not have a public one).
func DecisionFor(c echo.Context, az *authz.Authorizer, ds *decision.Service) (DecisionAccess, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return DecisionAccess{}, err
	}
	r, err := ds.Round(c.Request().Context(), id)
	if err != nil {
		return DecisionAccess{}, err
	}
	acc := DecisionAccess{Round: r, Final: r.State == round.Decided,
		Unpublished: az.Allowed(CurrentPrincipal(c).Actor(), "read_unpublished", DecisionResource(r.FundID))}
	if !acc.Final && !acc.Unpublished {
		if r.State == round.Draft {
			return acc, decision.ErrRoundNotFound
		}
		return acc, decision.ErrNotFinal
	}
	if acc.Final && !acc.Unpublished {
		if err := Authorize(az, c, "read", DecisionResource(r.FundID)); err != nil {
			return acc, err
		}
	}
	return acc, nil
}

func (a *API) getResult(c echo.Context) error {
	acc, err := DecisionFor(c, a.Authz, a.Decisions)
	if err != nil {
		return err
	}
	res, err := a.Decisions.Result(c.Request().Context(), acc.Round.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (a *API) recomputeResult(c echo.Context) error {
	acc, err := DecisionFor(c, a.Authz, a.Decisions)
	if err != nil {
		return err
	}
	rc, err := a.Decisions.Recompute(c.Request().Context(), acc.Round.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rc)
}

// decisionRound loads the round in the path and checks action on its
// decision.
func (a *API) decisionRound(c echo.Context, action string) (decision.Round, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return decision.Round{}, err
	}
	r, err := a.Decisions.Round(c.Request().Context(), id)
	if err != nil {
		return decision.Round{}, err
	}
	return r, Authorize(a.Authz, c, action, DecisionResource(r.FundID))
}

type computeAnyway struct {
	Reason string `json:"reason"`
}

func (a *API) computeResult(c echo.Context) error {
	r, err := a.decisionRound(c, "compute")
	if err != nil {
		return err
	}
	var in computeAnyway
	if err := Bind(c, &in); err != nil {
		return err
	}
	res, err := a.Decisions.ComputeAnyway(c.Request().Context(), CurrentPrincipal(c).User.ID, r.ID, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

func (a *API) getDecision(c echo.Context) error {
	acc, err := DecisionFor(c, a.Authz, a.Decisions)
	if err != nil {
		return err
	}
	d, err := a.Decisions.Get(c.Request().Context(), acc.Round.ID)
	if err != nil {
		return err
	}
	if !acc.Unpublished {
		d = d.Public()
	} else if p := CurrentPrincipal(c); !isSteward(a.Authz, p, acc.Round.FundID) {
		recused, err := a.Decisions.RecusedFrom(c.Request().Context(), acc.Round.ID, p.User.ID)
		if err != nil {
			return err
		}
		d = d.WithoutFeedbackOn(recused)
	}
	return c.JSON(http.StatusOK, d)
}

func (a *API) recordDecision(c echo.Context) error {
	r, err := a.decisionRound(c, "record")
	if err != nil {
		return err
	}
	var in decision.Record
	if err := Bind(c, &in); err != nil {
		return err
	}
	d, err := a.Decisions.RecordDecision(c.Request().Context(), CurrentPrincipal(c).User.ID, r.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (a *API) writeDecisionWords(c echo.Context) error {
	r, err := a.decisionRound(c, "write_feedback")
	if err != nil {
		return err
	}
	appID, err := pathID(c, "application_id")
	if err != nil {
		return err
	}
	var in decision.Words
	if err := Bind(c, &in); err != nil {
		return err
	}
	d, err := a.Decisions.WriteWords(c.Request().Context(), CurrentPrincipal(c).User.ID, r.ID, appID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (a *API) finaliseDecision(c echo.Context) error {
	r, err := a.decisionRound(c, "record")
	if err != nil {
		return err
	}
	var in decision.Terms
	if err := Bind(c, &in); err != nil {
		return err
	}
	d, err := a.Decisions.Finalise(c.Request().Context(), CurrentPrincipal(c).User.ID, r.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// DecisionCSV writes a final decision as CSV: one row per application, the
// published columns only (no feedback).
func DecisionCSV(c echo.Context, r decision.Round, d decision.Decision, res decision.Result) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="round-%d-decision.csv"`, r.ID))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	// Cells that a spreadsheet would read as a formula are written as
	// text: titles and rationale come from applicants and the panel.
	safe := func(row []string) []string {
		for i, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				row[i] = "'" + v
			}
		}
		return row
	}
	_ = w.Write([]string{"application_id", "title", "organisation", "requested", "funded", "amount", "currency",
		"computed_position", "supporters", "rule", "why", "rationale", "amended", "amendment_reason"})
	amended, reason := "no", ""
	if d.Amended {
		amended = "yes"
		if d.AmendmentReason != nil {
			reason = *d.AmendmentReason
		}
	}
	// Amounts as plain decimals, for spreadsheets: 1250.00.
	amountOf := func(minor int64) string { return strings.ReplaceAll(money.Plain(minor, r.Currency), ",", "") }
	for _, app := range d.Applications {
		funded, amount := "no", ""
		if app.Funded && app.AmountMinor != nil {
			funded, amount = "yes", amountOf(*app.AmountMinor)
		}
		e, _ := res.Explanation(app.ApplicationID)
		pos := ""
		if e.Position > 0 {
			pos = strconv.Itoa(e.Position)
		}
		_ = w.Write(safe([]string{strconv.FormatInt(app.ApplicationID, 10), app.Title, app.OrganisationName,
			amountOf(app.RequestedMinor), funded, amount, r.Currency, pos, strconv.FormatInt(e.Supporters, 10),
			res.Rule, e.Reason, app.Rationale, amended, reason}))
	}
	w.Flush()
	return w.Error()
}

func (a *API) decisionCSV(c echo.Context) error {
	acc, err := DecisionFor(c, a.Authz, a.Decisions)
	if err != nil {
		return err
	}
	if !acc.Final {
		return decision.ErrNotFinal
	}
	ctx := c.Request().Context()
	d, err := a.Decisions.Get(ctx, acc.Round.ID)
	if err != nil {
		return err
	}
	res, err := a.Decisions.Result(ctx, acc.Round.ID)
	if err != nil {
		return err
	}
	return DecisionCSV(c, acc.Round, d.Public(), res)
}

// applicationDecisionView is the decision on one application as its
// applicant reads it.
type applicationDecisionView struct {
	RoundID         int64                 `json:"round_id"`
	Decision        decision.Application  `json:"decision"`
	Amended         bool                  `json:"amended"`
	AmendmentReason *string               `json:"amendment_reason"`
	Explanation     *decision.Explanation `json:"explanation"`
	Grant           *decision.Grant       `json:"grant"`
}

// ApplicationDecision returns the final decision on an application, for
// its applicant, the fund's stewards and its panel.
func ApplicationDecision(c echo.Context, az *authz.Authorizer, ds *decision.Service, app ApplicationRef) (applicationDecisionView, error) {
	ctx := c.Request().Context()
	d, err := ds.Final(ctx, app.RoundID)
	if err != nil {
		return applicationDecisionView{}, err
	}
	v := applicationDecisionView{RoundID: app.RoundID, Amended: d.Amended, AmendmentReason: d.AmendmentReason}
	found := false
	for _, x := range d.Applications {
		if x.ApplicationID == app.ID {
			v.Decision, found = x, true
		}
	}
	if !found {
		return v, decision.ErrNotFinal
	}
	if res, err := ds.Result(ctx, app.RoundID); err == nil {
		if e, ok := res.Explanation(app.ID); ok {
			v.Explanation = &e
		}
	} else if !errors.Is(err, decision.ErrNoResult) {
		return v, err
	}
	g, ok, err := ds.ForApplication(ctx, app.ID)
	if err != nil {
		return v, err
	}
	if ok {
		if !az.Allowed(CurrentPrincipal(c).Actor(), "read_details", GrantResource(g.FundID, g.OrganisationID)) {
			g = g.Public()
		}
		v.Grant = &g
	}
	return v, nil
}

// ApplicationRef names an application and its round.
type ApplicationRef struct{ ID, RoundID int64 }

func (a *API) applicationDecision(c echo.Context) error {
	app, err := a.applicationFor(c, "read")
	if err != nil {
		return err
	}
	v, err := ApplicationDecision(c, a.Authz, a.Decisions, ApplicationRef{ID: app.ID, RoundID: app.RoundID})
	if err != nil {
		return err
	}
	// The feedback is the applicant's; the panel reads it too, except a
	// member recused from the application.
	if p := CurrentPrincipal(c); !ApplicationViewer(a.Authz, p, app).Own && !isSteward(a.Authz, p, app.FundID) {
		recused, err := a.Decisions.RecusedFrom(c.Request().Context(), app.RoundID, p.User.ID)
		if err != nil {
			return err
		}
		if recused[app.ID] {
			v.Decision.Feedback = ""
		}
	}
	return c.JSON(http.StatusOK, v)
}

func (a *API) listGrants(c echo.Context) error {
	fundID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	f, err := a.Funds.Get(c.Request().Context(), fundID)
	if err != nil {
		return err
	}
	// A draft fund exists only for those who may read drafts.
	if f.Status == "draft" && !a.Authz.Allowed(CurrentPrincipal(c).Actor(), "read_draft", authz.Resource{Kind: "fund", Domain: authz.FundDomain(fundID)}) {
		return ErrNotFound
	}
	if err := Authorize(a.Authz, c, "list", GrantResource(fundID, 0)); err != nil {
		return err
	}
	gs, err := a.Decisions.Grants(c.Request().Context(), fundID)
	if err != nil {
		return err
	}
	return listed(c, gs, int64(len(gs)))
}

func (a *API) getGrant(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	g, err := a.Decisions.Grant(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", GrantResource(g.FundID, g.OrganisationID)); err != nil {
		return err
	}
	if !a.Authz.Allowed(CurrentPrincipal(c).Actor(), "read_details", GrantResource(g.FundID, g.OrganisationID)) {
		g = g.Public()
	}
	return c.JSON(http.StatusOK, g)
}
