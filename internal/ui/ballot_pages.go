package ui

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

// registerBallotPages adds the voting pages: a panel member's own ballot
// for the round's method, a review of it in plain words before it is
// saved, and the save. They show the member's own ballot only, never
// anyone else's, in secret rounds and open ones alike.
func (u *UI) registerBallotPages(e *echo.Echo) {
	e.GET("/rounds/:id/ballot", u.ballotPage)
	e.POST("/rounds/:id/ballot/review", u.reviewBallot)
	e.POST("/rounds/:id/ballot", u.saveBallot)
}

// savedNotice is what a member reads after saving.
const savedNotice = "Your ballot is saved. You can change it until voting closes."

// ballotRow is one application on the voting form.
type ballotRow struct {
	ballot.Application
	Field, RowID string
	Amount       string
	Votable      bool
	Recused      bool
	Value        string
	Err          *fieldErr
}

type ballotPageData struct {
	Fund    fund.Fund
	Round   round.Round
	Summary roundSummary
	Open    bool
	// Status says why the form is not there (not open yet, closed).
	Status string
	Rows   []ballotRow
	// For the method's controls.
	ScoreChoices []choice // score: 0..N and don't know, as radios
	ScoreSelect  bool     // score: N is large, so a select instead
	Ranks        []string // ranking: 1..n
	Budget       string
	ChoicesErr   *fieldErr
	HasVotable   bool
	// The member's saved ballot, if any.
	Saved     *ballotView
	SavedWhen string
	// The review page's ballot.
	Review ballotView
}

// ballotRound loads the round in the path and checks action on the
// principal's own ballot in its fund, as the API does.
func (u *UI) ballotRound(c echo.Context, action string) (round.Round, fund.Fund, error) {
	r, f, err := u.visibleRound(c)
	if err != nil {
		return r, f, err
	}
	pr := httpapi.CurrentPrincipal(c)
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.BallotResource(r.FundID, pr.User.ID)); err != nil {
		return r, f, err
	}
	return r, f, nil
}

func (u *UI) ballotPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.ballotRound(c, "read")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	if c.QueryParam("saved") != "" {
		p.Notice = savedNotice
	}
	return u.renderBallotForm(c, http.StatusOK, p, r, f, nil)
}

// renderBallotForm shows the voting form (or, outside voting, why there is
// none and the saved ballot read-only). values are the fields as posted;
// nil means the saved ballot's.
func (u *UI) renderBallotForm(c echo.Context, status int, p page, r round.Round, f fund.Fund, values map[int64]string) error {
	ctx := c.Request().Context()
	apps, err := u.Ballots.Applications(ctx, r.ID, p.User.ID)
	if err != nil {
		return err
	}
	d := ballotPageData{Fund: f, Round: r, Summary: summarise(r), Open: r.State == round.Voting,
		Budget: money.Format(r.BudgetMinor, r.Currency)}
	switch r.State {
	case round.Voting:
	case round.Closed, round.Decided:
		d.Status = "Voting has closed, so ballots can no longer change."
	default:
		d.Status = "Voting has not opened yet. The panel votes after reviewing the applications"
		if r.VotingOpenAt != nil {
			d.Status += ", from " + r.VotingOpenAt.UTC().Format("2 Jan 2006 15:04") + " UTC"
		}
		d.Status += "."
	}
	saved, err := u.Ballots.Get(ctx, r.ID, p.User.ID)
	switch {
	case err == nil:
		v := viewOf(r, apps, saved.Contents)
		d.Saved = &v
		d.SavedWhen = saved.UpdatedAt.UTC().Format("2 Jan 2006 15:04")
		if values == nil {
			values = valuesOf(r.Method, saved.Contents)
		}
	case !ballot.IsNotFound(err):
		return err
	}
	for _, a := range apps {
		row := ballotRow{Application: a, Field: ballotField(r.Method, a.ID), RowID: rowID(r.Method, a),
			Amount: money.Format(a.AmountMinor, r.Currency), Votable: a.Votable(), Recused: a.Declaration == "recused",
			Value: values[a.ID]}
		row.Err = p.FieldError(row.RowID)
		d.HasVotable = d.HasVotable || row.Votable
		d.Rows = append(d.Rows, row)
	}
	d.ChoicesErr = p.FieldError(ballotChoicesID)
	switch r.Method {
	case round.Score:
		d.ScoreSelect = r.MethodParams.MaxScore > 10
		for i := 0; i <= r.MethodParams.MaxScore; i++ {
			s := strconv.Itoa(i)
			d.ScoreChoices = append(d.ScoreChoices, choice{s, s})
		}
		d.ScoreChoices = append(d.ScoreChoices, choice{ballot.DontKnow, "Don't know"})
	case round.Ranking:
		for i := 1; i <= rankLimit(r, apps); i++ {
			d.Ranks = append(d.Ranks, strconv.Itoa(i))
		}
	}
	p.Data = d
	return u.render(c, status, "ballot_form", p)
}

// ballotRefused shows the page for a refused ballot: the form again with
// its fields' errors (422: the form's own, bf.errs, and the ballot
// service's, err), or, when voting is not open, the read-only page saying
// so (409). Other errors are returned as they are.
func (u *UI) ballotRefused(c echo.Context, p *page, r round.Round, f fund.Fund, err error, bf ballotForm, apps []ballot.Application) error {
	if err == nil {
		p.Errors = bf.errs
		return u.renderBallotForm(c, http.StatusUnprocessableEntity, *p, r, f, bf.values)
	}
	if ve, ok := validate.As(err); ok {
		seen := map[string]bool{}
		for _, e := range bf.errs {
			seen[e.ID] = true
		}
		p.Errors = bf.errs
		for _, e := range ballotErrors(ve, r, apps, bf.contents) {
			if !seen[e.ID] {
				seen[e.ID] = true
				p.Errors = append(p.Errors, e)
			}
		}
		return u.renderBallotForm(c, http.StatusUnprocessableEntity, *p, r, f, bf.values)
	}
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict {
		// The round moved on (or never opened): show it as it is now.
		cur, gerr := u.Rounds.Get(c.Request().Context(), r.ID)
		if gerr != nil {
			return gerr
		}
		msg := "Voting is not open, so your ballot was not saved."
		if errors.Is(err, ballot.ErrClosed) || cur.State == round.Closed || cur.State == round.Decided {
			msg = "Voting has closed, so your ballot was not saved."
		}
		p.Errors = []fieldErr{{ID: "ballot-status", Message: msg}}
		return u.renderBallotForm(c, http.StatusConflict, *p, cur, f, nil)
	}
	return err
}

func (u *UI) reviewBallot(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.ballotRound(c, "cast")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	ctx := c.Request().Context()
	apps, err := u.Ballots.Applications(ctx, r.ID, p.User.ID)
	if err != nil {
		return err
	}
	bf := readBallotForm(c.FormValue, r, apps)
	clean, err := u.Ballots.Check(ctx, p.User.ID, r.ID, bf.contents)
	if err != nil || len(bf.errs) > 0 {
		return u.ballotRefused(c, &p, r, f, err, bf, apps)
	}
	p.Data = ballotPageData{Fund: f, Round: r, Summary: summarise(r), Open: true, Review: viewOf(r, apps, clean)}
	return u.render(c, http.StatusOK, "ballot_review", p)
}

func (u *UI) saveBallot(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.ballotRound(c, "cast")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	ctx := c.Request().Context()
	apps, err := u.Ballots.Applications(ctx, r.ID, p.User.ID)
	if err != nil {
		return err
	}
	bf := readBallotForm(c.FormValue, r, apps)
	if c.FormValue("step") == "change" {
		// Back from the review to the form, with the ballot as it was.
		return u.renderBallotForm(c, http.StatusOK, p, r, f, bf.values)
	}
	if len(bf.errs) > 0 {
		// Check the rest too, so that every fault shows at once.
		_, err := u.Ballots.Check(ctx, p.User.ID, r.ID, bf.contents)
		return u.ballotRefused(c, &p, r, f, err, bf, apps)
	}
	if _, _, err := u.Ballots.Cast(ctx, p.User.ID, r.ID, bf.contents); err != nil {
		return u.ballotRefused(c, &p, r, f, err, bf, apps)
	}
	return c.Redirect(http.StatusSeeOther, "/rounds/"+strconv.FormatInt(r.ID, 10)+"/ballot?saved=1")
}

// ballotLink is the round page's link to the member's own ballot: "Vote"
// while voting is open, "Your ballot" after; "" for anyone who does not
// vote in the fund.
func (u *UI) ballotLink(actor authz.Actor, r round.Round) string {
	if actor.UserID == 0 {
		return ""
	}
	switch r.State {
	case round.Voting:
		if u.Authz.Allowed(actor, "cast", httpapi.BallotResource(r.FundID, actor.UserID)) {
			return "Vote"
		}
	case round.Closed, round.Decided:
		if u.Authz.Allowed(actor, "read", httpapi.BallotResource(r.FundID, actor.UserID)) {
			return "Your ballot"
		}
	}
	return ""
}
