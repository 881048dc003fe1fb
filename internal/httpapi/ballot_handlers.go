package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
)

// registerBallots adds the ballot routes: a panel member's own ballot, a
// round's turnout, and the ballots of a decided round that was not secret
// (public once the results are). No route lists a secret round's ballots
// or anyone else's before the decision is final.
func (a *API) registerBallots(g *echo.Group) {
	g.GET("/rounds/:id/ballot", a.getBallot)
	g.PUT("/rounds/:id/ballot", a.castBallot)
	g.GET("/rounds/:id/turnout", a.turnout)
	g.GET("/rounds/:id/ballots", a.publishedBallots)
}

// publishedBallots answers a decided open round's ballots, with who cast
// them; 404 for a secret round or one not decided yet.
func (a *API) publishedBallots(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	fundID, err := a.Ballots.FundOf(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := Authorize(a.Authz, c, "read", DecisionResource(fundID)); err != nil {
		return err
	}
	bs, err := a.Ballots.PublishedBallots(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return listed(c, bs, int64(len(bs)))
}

// BallotResource is a ballot in a fund cast by owner (0: anyone's).
func BallotResource(fundID, owner int64) authz.Resource {
	return authz.Resource{Kind: "ballot", Domain: authz.FundDomain(fundID), OwnerUserID: owner}
}

// ballotRound checks action on the principal's own ballot (owner 0: on
// anyone's) in the fund of the round in the path, and returns the round's
// id and fund. The round itself is read by the service, which must lock
// it anyway.
func (a *API) ballotRound(c echo.Context, action string, own bool) (ballot.Round, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return ballot.Round{}, err
	}
	fundID, err := a.Ballots.FundOf(c.Request().Context(), id)
	if err != nil {
		return ballot.Round{}, err
	}
	var owner int64
	if own {
		owner = CurrentPrincipal(c).User.ID
	}
	if err := Authorize(a.Authz, c, action, BallotResource(fundID, owner)); err != nil {
		return ballot.Round{}, err
	}
	return ballot.Round{ID: id, FundID: fundID}, nil
}

func (a *API) getBallot(c echo.Context) error {
	r, err := a.ballotRound(c, "read", true)
	if err != nil {
		return err
	}
	b, err := a.Ballots.Get(c.Request().Context(), r.ID, CurrentPrincipal(c).User.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (a *API) castBallot(c echo.Context) error {
	r, err := a.ballotRound(c, "cast", true)
	if err != nil {
		return err
	}
	var in ballot.Contents
	if err := Bind(c, &in); err != nil {
		return err
	}
	b, created, err := a.Ballots.Cast(c.Request().Context(), CurrentPrincipal(c).User.ID, r.ID, in)
	if err != nil {
		return err
	}
	if created {
		return c.JSON(http.StatusCreated, b)
	}
	return c.JSON(http.StatusOK, b)
}

func (a *API) turnout(c echo.Context) error {
	r, err := a.ballotRound(c, "read_turnout", false)
	if err != nil {
		return err
	}
	t, err := a.Ballots.Turnout(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}
