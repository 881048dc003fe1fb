package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/validate"
)

// registerDialogues adds the routes of peer accountability dialogues:
// convening, invitations and answers, shared notes in versions, agreed
// actions, issues passed up to the stewards and their answers, and each
// person's own actions. A dialogue is known only to those taking part in
// it; anyone else is told it does not exist.
func (a *API) registerDialogues(g *echo.Group) {
	g.GET("/funds/:id/dialogues", a.listDialogues)
	g.POST("/funds/:id/dialogues", a.conveneDialogue)
	g.GET("/dialogues/:id", a.getDialogue)
	g.POST("/dialogues/:id/participants", a.inviteToDialogue)
	g.POST("/dialogues/:id/response", a.respondToDialogue)
	g.GET("/dialogues/:id/notes", a.dialogueNotes)
	g.PUT("/dialogues/:id/notes", a.saveDialogueNotes)
	g.POST("/dialogues/:id/actions", a.addDialogueAction)
	g.PATCH("/actions/:id", a.updateDialogueAction)
	g.POST("/dialogues/:id/issues", a.passUpIssue)
	g.GET("/funds/:id/issues", a.listPassedUp)
	g.POST("/issues/:id/answer", a.answerIssue)
	g.GET("/me/actions", a.myActions)
}

// DialogueResource is a fund's dialogues, to the policy.
func DialogueResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "dialogue", Domain: authz.FundDomain(fundID)}
}

// IssueResource is the issues passed up in a fund's dialogues.
func IssueResource(fundID int64) authz.Resource {
	return authz.Resource{Kind: "dialogue_issue", Domain: authz.FundDomain(fundID)}
}

// DialogueSourceReader says which accounts and sections the principal may
// read anyway in the fund, by the accounts' one reading rule
// (account.VisibleSections, read once for the request): only those are
// shown among a dialogue's sources, and only those may be cited when
// convening. Drafts and notes awaiting confirmation are never sources.
func DialogueSourceReader(ctx context.Context, az *authz.Authorizer, as *account.Service, p *Principal, fundID int64) (dialogue.CanRead, error) {
	r, err := as.Readable(ctx, FundViewer(az, p, fundID))
	if err != nil {
		return nil, err
	}
	return r.Reads, nil
}

// DialogueIn loads the dialogue in the path for the principal: anonymous
// visitors are asked to sign in; anyone not taking part (declined, never
// invited, another fund) is told it does not exist; then the role is
// checked for the action. It returns the dialogue's id and fund.
func DialogueIn(c echo.Context, az *authz.Authorizer, ds *dialogue.Service, action string) (int64, int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, 0, err
	}
	p := CurrentPrincipal(c)
	if p.Anonymous() {
		return 0, 0, ErrUnauthenticated
	}
	st, fundID, err := ds.Participation(c.Request().Context(), id, p.User.ID)
	if err != nil {
		return 0, 0, err
	}
	if !dialogue.Active(st) {
		return 0, 0, dialogue.ErrNotFound
	}
	if err := Authorize(az, c, action, DialogueResource(fundID)); err != nil {
		return 0, 0, err
	}
	return id, fundID, nil
}

// fundDialogues checks action on the fund's dialogues for the fund in the
// path, after making sure the fund is one the principal may see.
func (a *API) fundDialogues(c echo.Context, action string, res func(int64) authz.Resource) (int64, error) {
	id, err := a.visibleFundIn(c)
	if err != nil {
		return 0, err
	}
	return id, Authorize(a.Authz, c, action, res(id))
}

func (a *API) listDialogues(c echo.Context) error {
	id, err := a.fundDialogues(c, "list", DialogueResource)
	if err != nil {
		return err
	}
	ds, err := a.Dialogues.List(c.Request().Context(), id, CurrentPrincipal(c).User.ID)
	if err != nil {
		return err
	}
	return listed(c, ds, int64(len(ds)))
}

func (a *API) conveneDialogue(c echo.Context) error {
	id, err := a.fundDialogues(c, "create", DialogueResource)
	if err != nil {
		return err
	}
	var in dialogue.NewDialogue
	if err := Bind(c, &in); err != nil {
		return err
	}
	ctx, p := c.Request().Context(), CurrentPrincipal(c)
	canRead, err := DialogueSourceReader(ctx, a.Authz, a.Accounts, p, id)
	if err != nil {
		return err
	}
	d, err := a.Dialogues.Convene(ctx, p.User.ID, id, in, canRead)
	if err != nil {
		return err
	}
	return a.respondDialogue(c, http.StatusCreated, d, id)
}

// respondDialogue answers with the dialogue as the principal sees it.
func (a *API) respondDialogue(c echo.Context, status int, id, fundID int64) error {
	ctx, p := c.Request().Context(), CurrentPrincipal(c)
	canRead, err := DialogueSourceReader(ctx, a.Authz, a.Accounts, p, fundID)
	if err != nil {
		return err
	}
	d, err := a.Dialogues.Get(ctx, id, p.User.ID, canRead)
	if err != nil {
		return err
	}
	return c.JSON(status, d)
}

func (a *API) getDialogue(c echo.Context) error {
	id, fundID, err := DialogueIn(c, a.Authz, a.Dialogues, "read")
	if err != nil {
		return err
	}
	return a.respondDialogue(c, http.StatusOK, id, fundID)
}

func (a *API) inviteToDialogue(c echo.Context) error {
	id, fundID, err := DialogueIn(c, a.Authz, a.Dialogues, "update")
	if err != nil {
		return err
	}
	var in dialogue.Invitation
	if err := Bind(c, &in); err != nil {
		return err
	}
	if _, err := a.Dialogues.Invite(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in); err != nil {
		return err
	}
	return a.respondDialogue(c, http.StatusOK, id, fundID)
}

func (a *API) respondToDialogue(c echo.Context) error {
	id, _, err := DialogueIn(c, a.Authz, a.Dialogues, "read")
	if err != nil {
		return err
	}
	var in dialogue.Answer
	if err := Bind(c, &in); err != nil {
		return err
	}
	if err := a.Dialogues.Respond(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) dialogueNotes(c echo.Context) error {
	id, _, err := DialogueIn(c, a.Authz, a.Dialogues, "read")
	if err != nil {
		return err
	}
	ns, err := a.Dialogues.NotesHistory(c.Request().Context(), id, CurrentPrincipal(c).User.ID)
	if err != nil {
		return err
	}
	return listed(c, ns, int64(len(ns)))
}

func (a *API) saveDialogueNotes(c echo.Context) error {
	id, _, err := DialogueIn(c, a.Authz, a.Dialogues, "update")
	if err != nil {
		return err
	}
	var in dialogue.NotesEdit
	if err := Bind(c, &in); err != nil {
		return err
	}
	n, err := a.Dialogues.SaveNotes(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

func (a *API) addDialogueAction(c echo.Context) error {
	id, _, err := DialogueIn(c, a.Authz, a.Dialogues, "update")
	if err != nil {
		return err
	}
	var in dialogue.NewAction
	if err := Bind(c, &in); err != nil {
		return err
	}
	act, err := a.Dialogues.AddAction(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, act)
}

// ActionIn checks the principal may change the action in the path: signed
// in and holding a role in its fund (anyone else is told it does not
// exist); whether they take part is the domain's to check.
func ActionIn(c echo.Context, az *authz.Authorizer, ds *dialogue.Service) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	if CurrentPrincipal(c).Anonymous() {
		return 0, ErrUnauthenticated
	}
	ctx := c.Request().Context()
	did, err := ds.ActionDialogue(ctx, id)
	if err != nil {
		return 0, err
	}
	fundID, err := ds.Fund(ctx, did)
	if err != nil {
		return 0, err
	}
	if !az.Allowed(CurrentPrincipal(c).Actor(), "update", DialogueResource(fundID)) {
		return 0, dialogue.ErrActionNotFound
	}
	return id, nil
}

func (a *API) updateDialogueAction(c echo.Context) error {
	id, err := ActionIn(c, a.Authz, a.Dialogues)
	if err != nil {
		return err
	}
	var in dialogue.ActionChange
	if err := Bind(c, &in); err != nil {
		return err
	}
	act, err := a.Dialogues.UpdateAction(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, act)
}

func (a *API) passUpIssue(c echo.Context) error {
	id, _, err := DialogueIn(c, a.Authz, a.Dialogues, "update")
	if err != nil {
		return err
	}
	var in dialogue.NewIssue
	if err := Bind(c, &in); err != nil {
		return err
	}
	is, err := a.Dialogues.PassUp(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, is)
}

func (a *API) listPassedUp(c echo.Context) error {
	id, err := a.fundDialogues(c, "list", IssueResource)
	if err != nil {
		return err
	}
	is, err := a.Dialogues.IssuesFor(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return listed(c, is, int64(len(is)))
}

// IssueIn checks the principal may answer the issue in the path (the
// stewards of its fund).
func IssueIn(c echo.Context, az *authz.Authorizer, ds *dialogue.Service) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	if CurrentPrincipal(c).Anonymous() {
		return 0, ErrUnauthenticated
	}
	fundID, err := ds.IssueFund(c.Request().Context(), id)
	if err != nil {
		return 0, err
	}
	return id, Authorize(az, c, "answer", IssueResource(fundID))
}

func (a *API) answerIssue(c echo.Context) error {
	id, err := IssueIn(c, a.Authz, a.Dialogues)
	if err != nil {
		return err
	}
	var in dialogue.IssueAnswer
	if err := Bind(c, &in); err != nil {
		return err
	}
	is, err := a.Dialogues.Answer(c.Request().Context(), CurrentPrincipal(c).User.ID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, is)
}

// MyActions lists the actions the principal owns: in one fund (fund_id in
// the query) or in all.
func MyActions(c echo.Context, az *authz.Authorizer, ds *dialogue.Service) ([]dialogue.OwnedAction, error) {
	if err := Authorize(az, c, "list", self(c, "dialogue_action")); err != nil {
		return nil, err
	}
	var fundID int64
	if s := c.QueryParam("fund_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return nil, validate.Field("fund_id", "must be a fund's id")
		}
		fundID = n
	}
	as, err := ds.MyActions(c.Request().Context(), CurrentPrincipal(c).User.ID, fundID)
	if err != nil {
		return nil, err
	}
	// As DialogueIn: a dialogue is closed to someone who no longer holds
	// a role in its fund that reads dialogues, and so are its actions.
	actor := CurrentPrincipal(c).Actor()
	out := make([]dialogue.OwnedAction, 0, len(as))
	for _, a := range as {
		if az.Allowed(actor, "read", DialogueResource(a.FundID)) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (a *API) myActions(c echo.Context) error {
	as, err := MyActions(c, a.Authz, a.Dialogues)
	if err != nil {
		return err
	}
	return listed(c, as, int64(len(as)))
}
