package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

// registerRounds adds the rounds routes.
func (a *API) registerRounds(g *echo.Group) {
	g.GET("/funds/:id/rounds", a.listRounds)
	g.POST("/funds/:id/rounds", a.createRound)
	g.GET("/rounds/:id", a.getRound)
	g.PATCH("/rounds/:id", a.updateRound)
	g.POST("/rounds/:id/transitions", a.transitionRound)
}

// RoundResource is a round (or a fund's rounds, id 0) as the authorizer
// sees it.
func RoundResource(fundID, id int64) authz.Resource {
	res := authz.Resource{Kind: "round", Domain: authz.FundDomain(fundID)}
	if id != 0 {
		res.ID = strconv.FormatInt(id, 10)
	}
	return res
}

// MayReadDraftRounds reports whether the principal may see a fund's draft
// rounds, and its rounds while the fund is a draft (stewards and the panel
// chair).
func MayReadDraftRounds(az *authz.Authorizer, c echo.Context, fundID int64) bool {
	return az.Allowed(CurrentPrincipal(c).Actor(), "read_draft", RoundResource(fundID, 0))
}

// VisibleRound loads a round and its fund for the principal: a round they
// may not see (a draft, or any round of a draft fund, to all but stewards
// and the panel chair) is not found, as if it did not exist. API and pages
// both go through it.
func VisibleRound(c echo.Context, az *authz.Authorizer, rounds *round.Service, funds *fund.Service, id int64) (round.Round, fund.Fund, error) {
	ctx := c.Request().Context()
	r, err := rounds.Get(ctx, id)
	if err != nil {
		return round.Round{}, fund.Fund{}, err
	}
	f, err := funds.Get(ctx, r.FundID)
	if err != nil {
		return round.Round{}, fund.Fund{}, err
	}
	if !round.Visible(r, f.Status, MayReadDraftRounds(az, c, f.ID)) {
		return round.Round{}, fund.Fund{}, round.ErrNotFound
	}
	return r, f, nil
}

// AuthorizeTransition asks whether the principal may move a round into
// state to (see round.TransitionAction for which move needs what). Asking
// for a state no round moves into is let through to the state machine,
// which says why not (409), but only for those who may move the fund's
// rounds at all.
func AuthorizeTransition(az *authz.Authorizer, c echo.Context, r round.Round, to string) error {
	res := RoundResource(r.FundID, r.ID)
	if action := round.TransitionAction(to); action != "" {
		return Authorize(az, c, action, res)
	}
	for _, action := range round.TransitionActions {
		if az.Allowed(CurrentPrincipal(c).Actor(), action, res) {
			return nil
		}
	}
	return Authorize(az, c, round.TransitionActions[0], res)
}

func (a *API) listRounds(c echo.Context) error {
	fundID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "list", RoundResource(fundID, 0)); err != nil {
		return err
	}
	pg, err := pageOf(c)
	if err != nil {
		return err
	}
	f, err := a.Funds.Get(c.Request().Context(), fundID)
	if err != nil {
		return err
	}
	drafts := MayReadDraftRounds(a.Authz, c, fundID)
	if f.Status == fund.Draft && !drafts {
		return fund.ErrNotFound
	}
	rs, total, err := a.Rounds.List(c.Request().Context(), fundID, drafts, pg.Offset(), pg.Size)
	if err != nil {
		return err
	}
	return listed(c, rs, total)
}

// roundWindows are the four windows as the API writes them: RFC 3339
// times; in an edit an empty string empties one (drafts only).
type roundWindows struct {
	ApplicationsOpenAt  *string `json:"applications_open_at"`
	ApplicationsCloseAt *string `json:"applications_close_at"`
	VotingOpenAt        *string `json:"voting_open_at"`
	VotingCloseAt       *string `json:"voting_close_at"`
}

func (w roundWindows) each() []struct {
	field string
	value *string
} {
	return []struct {
		field string
		value *string
	}{
		{"applications_open_at", w.ApplicationsOpenAt}, {"applications_close_at", w.ApplicationsCloseAt},
		{"voting_open_at", w.VotingOpenAt}, {"voting_close_at", w.VotingCloseAt},
	}
}

// parse reads the windows that were sent: nil for one not sent, a nil
// time for one sent empty.
func (w roundWindows) parse() ([4]*round.WindowChange, error) {
	var out [4]*round.WindowChange
	var errs validate.Errors
	for i, f := range w.each() {
		if f.value == nil {
			continue
		}
		out[i] = &round.WindowChange{}
		if strings.TrimSpace(*f.value) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*f.value))
		if err != nil {
			errs = append(errs, validate.FieldError{Field: f.field, Message: "must be a date and time in RFC 3339, like 2026-05-01T09:00:00Z"})
			continue
		}
		out[i].At = &t
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

type roundCreate struct {
	Name        string `json:"name"`
	BudgetMinor int64  `json:"budget_minor"`
	roundWindows
	Method       string       `json:"method"`
	MethodParams round.Params `json:"method_params"`
	Quorum       int          `json:"quorum"`
	SecretBallot bool         `json:"secret_ballot"`
	TieBreak     string       `json:"tie_break"`
	Rule         string       `json:"rule"`
}

func (a *API) createRound(c echo.Context) error {
	fundID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "create", RoundResource(fundID, 0)); err != nil {
		return err
	}
	var in roundCreate
	if err := Bind(c, &in); err != nil {
		return err
	}
	ws, err := in.parse()
	if err != nil {
		return err
	}
	nr := round.NewRound{Name: in.Name, BudgetMinor: in.BudgetMinor, Method: in.Method, MethodParams: in.MethodParams,
		Quorum: in.Quorum, SecretBallot: in.SecretBallot, TieBreak: in.TieBreak, Rule: in.Rule}
	for i, dst := range []**time.Time{&nr.ApplicationsOpenAt, &nr.ApplicationsCloseAt, &nr.VotingOpenAt, &nr.VotingCloseAt} {
		if ws[i] != nil {
			*dst = ws[i].At
		}
	}
	r, err := a.Rounds.Create(c.Request().Context(), CurrentPrincipal(c).User.ID, fundID, nr)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (a *API) getRound(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, _, err := VisibleRound(c, a.Authz, a.Rounds, a.Funds, id)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", RoundResource(r.FundID, r.ID)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

type roundPatch struct {
	Version     int     `json:"version" validate:"required,gt=0"`
	Name        *string `json:"name"`
	BudgetMinor *int64  `json:"budget_minor"`
	roundWindows
	Method       *string       `json:"method"`
	MethodParams *round.Params `json:"method_params"`
	Quorum       *int          `json:"quorum"`
	SecretBallot *bool         `json:"secret_ballot"`
	TieBreak     *string       `json:"tie_break"`
	Rule         *string       `json:"rule"`
}

func (a *API) updateRound(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, _, err := VisibleRound(c, a.Authz, a.Rounds, a.Funds, id)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "update", RoundResource(r.FundID, r.ID)); err != nil {
		return err
	}
	var in roundPatch
	if err := Bind(c, &in); err != nil {
		return err
	}
	ws, err := in.parse()
	if err != nil {
		return err
	}
	ch := round.Changes{Version: in.Version, Name: in.Name, BudgetMinor: in.BudgetMinor,
		ApplicationsOpenAt: ws[0], ApplicationsCloseAt: ws[1], VotingOpenAt: ws[2], VotingCloseAt: ws[3],
		Method: in.Method, MethodParams: in.MethodParams, Quorum: in.Quorum, SecretBallot: in.SecretBallot,
		TieBreak: in.TieBreak, Rule: in.Rule}
	r, err = a.Rounds.Update(c.Request().Context(), CurrentPrincipal(c).User.ID, id, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

type roundTransition struct {
	To string `json:"to" validate:"required,oneof=draft accepting review voting closed decided"`
}

func (a *API) transitionRound(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, _, err := VisibleRound(c, a.Authz, a.Rounds, a.Funds, id)
	if err != nil {
		return err
	}
	var in roundTransition
	if err := Bind(c, &in); err != nil {
		// Bad input is told only to those who may move the round.
		if aerr := AuthorizeTransition(a.Authz, c, r, ""); aerr != nil {
			return aerr
		}
		return err
	}
	if err := AuthorizeTransition(a.Authz, c, r, in.To); err != nil {
		return err
	}
	r, err = a.Rounds.Transition(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in.To)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
