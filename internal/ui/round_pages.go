package ui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// registerRoundPages adds the rounds pages.
func (u *UI) registerRoundPages(e *echo.Echo) {
	e.GET("/funds/:id/rounds/new", u.newRoundForm)
	e.POST("/funds/:id/rounds/new", u.createRound)
	e.GET("/rounds/:id", u.roundPage)
	e.GET("/rounds/:id/edit", u.editRoundForm)
	e.POST("/rounds/:id/edit", u.updateRound)
	e.POST("/rounds/:id/transitions", u.transitionRound)
}

// localTime is how a datetime-local field writes a time; the pages treat
// it as UTC and say so.
const localTime = "2006-01-02T15:04"

// roundLabels name the form's fields in error messages, by form field id.
var roundLabels = map[string]string{
	"name": "Name", "budget": "Budget",
	"applications_open_at": "Applications open", "applications_close_at": "Applications close",
	"voting_open_at": "Voting opens", "voting_close_at": "Voting closes",
	"method": "Voting method", "max_score": "Highest score", "max_ranked": "Most applications ranked",
	"points": "Points per panel member", "max_per_application": "Most points on one application",
	"quorum": "Quorum", "secret_ballot": "Ballots", "tie_break": "Tie-break", "rule": "Allocation rule",
}

// formID is the form field that shows a service field's error.
func formID(field string) string {
	if field == "budget_minor" {
		return "budget"
	}
	return strings.TrimPrefix(field, "method_params.")
}

func roundFieldErrors(err error) ([]fieldErr, bool) {
	ve, ok := validate.As(err)
	if !ok {
		return nil, false
	}
	out := make([]fieldErr, 0, len(ve))
	for _, f := range ve {
		id := formID(f.Field)
		out = append(out, fieldErr{ID: id, Message: roundLabels[id] + " " + f.Message})
	}
	return out, true
}

// option is one choice of a radio group or select.
type option struct{ Value, Label, Hint string }

var methodOptions = []option{
	{round.Approval, "Approval", "Each panel member approves as many applications as they support."},
	{round.ApprovalBudget, "Approval within the budget", "Each panel member approves applications whose costs together fit the round's budget."},
	{round.Score, "Scores", "Each panel member scores every application from 0 to a highest score you choose, or says they don't know."},
	{round.Ranking, "Ranking", "Each panel member puts applications in order of preference."},
	{round.Cumulative, "Cumulative points", "Each panel member spreads a number of points over the applications."},
}

var tieBreakOptions = []option{
	{round.LowerCost, "Lower cost first", "Of two applications with exactly the same support, the one asking for less money is funded first."},
	{round.EarlierApplication, "Earlier application first", "Of two applications with exactly the same support, the one submitted first is funded first."},
}

func ruleOptions(current string) []option {
	out := []option{{"", "The usual rule for the voting method", "Method of Equal Shares: for approval methods completed by raising budgets and then greedily; for points methods with points as support."}}
	for _, r := range round.Rules {
		out = append(out, option{r, round.RuleName(r) + " (" + r + ")", ""})
	}
	if current != "" && !slices.Contains(round.Rules, current) {
		out = append(out, option{current, round.RuleName(current) + " (" + current + ")", ""})
	}
	return out
}

type roundFormData struct {
	Fund      fund.Fund
	Round     *round.Round // nil for a new round
	Action    string
	Currency  string
	Frozen    bool // voting has opened: only the name and windows can change
	Methods   []option
	TieBreaks []option
	Rules     []option
	Summary   roundSummary
}

func (u *UI) renderRoundForm(c echo.Context, status int, p page, f fund.Fund, r *round.Round) error {
	d := roundFormData{Fund: f, Round: r, Action: "/funds/" + strconv.FormatInt(f.ID, 10) + "/rounds/new",
		Currency: f.Currency, Methods: methodOptions, TieBreaks: tieBreakOptions, Rules: ruleOptions(p.Form["rule"])}
	if r != nil {
		d.Action = "/rounds/" + strconv.FormatInt(r.ID, 10) + "/edit"
		d.Frozen = r.VotingOpened()
		d.Summary = summarise(*r)
	}
	p.Data = d
	return u.render(c, status, "round_form", p)
}

// formOf fills a form with a round's values, as the fields show them.
func formOf(r round.Round) map[string]string {
	form := map[string]string{
		"name": r.Name, "budget": money.Plain(r.BudgetMinor, r.Currency),
		"method": r.Method, "quorum": strconv.Itoa(r.Quorum), "tie_break": r.TieBreak, "rule": r.Rule,
		"secret_ballot": "open", "version": strconv.Itoa(r.Version),
	}
	if r.Rule == round.DefaultRule(r.Method) {
		form["rule"] = ""
	}
	if r.SecretBallot {
		form["secret_ballot"] = "secret"
	}
	for k, t := range map[string]*time.Time{"applications_open_at": r.ApplicationsOpenAt, "applications_close_at": r.ApplicationsCloseAt,
		"voting_open_at": r.VotingOpenAt, "voting_close_at": r.VotingCloseAt} {
		if t != nil {
			form[k] = t.UTC().Format(localTime)
		}
	}
	for k, v := range map[string]int{"max_score": r.MethodParams.MaxScore, "max_ranked": r.MethodParams.MaxRanked,
		"points": r.MethodParams.Points, "max_per_application": r.MethodParams.MaxPerApplication} {
		if v != 0 {
			form[k] = strconv.Itoa(v)
		}
	}
	return form
}

var roundFormFields = []string{"name", "budget", "applications_open_at", "applications_close_at", "voting_open_at",
	"voting_close_at", "method", "max_score", "max_ranked", "points", "max_per_application", "quorum", "secret_ballot",
	"tie_break", "rule", "version"}

// roundForm is what a round form sent, read and checked for its shape.
type roundForm struct {
	values  map[string]string
	errs    []fieldErr
	name    string
	budget  int64
	windows [4]*time.Time
	method  string
	params  round.Params
	quorum  int
	secret  bool
	tie     string
	rule    string
	version int
}

func readRoundForm(c echo.Context, currency string) roundForm {
	rf := roundForm{values: map[string]string{}}
	for _, k := range roundFormFields {
		rf.values[k] = strings.TrimSpace(c.FormValue(k))
	}
	v := rf.values
	bad := func(id, msg string) {
		rf.errs = append(rf.errs, fieldErr{ID: id, Message: roundLabels[id] + " " + msg})
	}
	rf.name, rf.method, rf.tie, rf.rule = v["name"], v["method"], v["tie_break"], v["rule"]
	if v["budget"] == "" {
		bad("budget", "is required")
	} else if n, err := money.Parse(v["budget"], currency); err != nil {
		bad("budget", err.Error())
	} else {
		rf.budget = n
	}
	for i, k := range []string{"applications_open_at", "applications_close_at", "voting_open_at", "voting_close_at"} {
		if v[k] == "" {
			continue
		}
		t, err := time.Parse(localTime, v[k])
		if err != nil {
			t, err = time.Parse(localTime+":05", v[k])
		}
		if err != nil {
			bad(k, "must be a date and time, like 2026-05-01T09:00")
			continue
		}
		rf.windows[i] = &t
	}
	whole := func(k string) int {
		if v[k] == "" {
			return 0
		}
		n, err := strconv.Atoi(v[k])
		if err != nil {
			bad(k, "must be a whole number")
		}
		return n
	}
	// Only the chosen method's parameters count: the others' fields are
	// on the page too (it works without JavaScript) and may hold leftovers.
	switch rf.method {
	case round.Score:
		rf.params.MaxScore = whole("max_score")
	case round.Ranking:
		rf.params.MaxRanked = whole("max_ranked")
	case round.Cumulative:
		rf.params.Points, rf.params.MaxPerApplication = whole("points"), whole("max_per_application")
	}
	rf.quorum = whole("quorum")
	switch v["secret_ballot"] {
	case "secret":
		rf.secret = true
	case "open", "":
	default:
		bad("secret_ballot", "must be secret or open")
	}
	rf.version, _ = strconv.Atoi(v["version"])
	return rf
}

func (rf roundForm) newRound() round.NewRound {
	return round.NewRound{Name: rf.name, BudgetMinor: rf.budget,
		Windows: round.Windows{ApplicationsOpenAt: rf.windows[0], ApplicationsCloseAt: rf.windows[1],
			VotingOpenAt: rf.windows[2], VotingCloseAt: rf.windows[3]},
		Method: rf.method, MethodParams: rf.params, Quorum: rf.quorum, SecretBallot: rf.secret,
		TieBreak: rf.tie, Rule: rf.rule}
}

// changes is the whole form as an edit; once voting has opened only the
// name and the windows are on the form, so only they are sent.
func (rf roundForm) changes(frozen bool) round.Changes {
	ch := round.Changes{Version: rf.version, Name: &rf.name,
		ApplicationsOpenAt: &round.WindowChange{At: rf.windows[0]}, ApplicationsCloseAt: &round.WindowChange{At: rf.windows[1]},
		VotingOpenAt: &round.WindowChange{At: rf.windows[2]}, VotingCloseAt: &round.WindowChange{At: rf.windows[3]}}
	if !frozen {
		ch.BudgetMinor, ch.Method, ch.MethodParams, ch.Quorum = &rf.budget, &rf.method, &rf.params, &rf.quorum
		ch.SecretBallot, ch.TieBreak, ch.Rule = &rf.secret, &rf.tie, &rf.rule
	}
	return ch
}

func (u *UI) newRoundForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.fundForNewRound(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form = map[string]string{"method": round.Approval, "tie_break": round.LowerCost, "secret_ballot": "open", "quorum": "0"}
	return u.renderRoundForm(c, http.StatusOK, p, f, nil)
}

// fundForNewRound checks that the principal may add rounds to the fund in
// the path, and reads it.
func (u *UI) fundForNewRound(c echo.Context) (fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fund.Fund{}, httpapi.ErrNotFound
	}
	if err := httpapi.Authorize(u.Authz, c, "create", httpapi.RoundResource(id, 0)); err != nil {
		return fund.Fund{}, err
	}
	return u.Funds.Get(c.Request().Context(), id)
}

func (u *UI) createRound(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	f, err := u.fundForNewRound(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	rf := readRoundForm(c, f.Currency)
	p.Form = rf.values
	if len(rf.errs) > 0 {
		p.Errors = rf.errs
		return u.renderRoundForm(c, http.StatusUnprocessableEntity, p, f, nil)
	}
	r, err := u.Rounds.Create(c.Request().Context(), p.User.ID, f.ID, rf.newRound())
	if status, ok := u.roundFormFailure(&p, err); ok {
		return u.renderRoundForm(c, status, p, f, nil)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/rounds/"+strconv.FormatInt(r.ID, 10))
}

// roundFormFailure puts a refusal the person can act on into the page:
// fields at fault (422) or a conflict (409, e.g. not enough money left).
func (u *UI) roundFormFailure(p *page, err error) (int, bool) {
	if fes, ok := roundFieldErrors(err); ok {
		p.Errors = fes
		return http.StatusUnprocessableEntity, true
	}
	if f, ok := fault.As(err); ok && f.Kind == fault.Conflict {
		id := "round-form"
		if strings.Contains(f.Message, "budget") {
			id = "budget"
		}
		p.Errors = []fieldErr{{ID: id, Message: sentence(f.Message)}}
		return http.StatusConflict, true
	}
	return 0, false
}

// sentence starts a message with a capital and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	first, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(first)) + s[size:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// roundSummary is a round in plain words.
type roundSummary struct {
	State, StatePhrase, Budget, Method, Rule, TieBreak, Ballots, Quorum string
}

func summarise(r round.Round) roundSummary {
	s := roundSummary{
		State:       round.StateNames[r.State],
		StatePhrase: round.StatePhrases[r.State],
		Budget:      money.Format(r.BudgetMinor, r.Currency),
		Method:      round.MethodInWords(r.Method, r.MethodParams),
		Rule:        round.RuleName(r.Rule),
		TieBreak:    "When two applications have exactly the same support, " + round.TieBreakNames[r.TieBreak] + ".",
		Ballots:     "Open: once the decision is final, each ballot is published on the results page with who cast it.",
		Quorum:      "No minimum number of ballots.",
	}
	if r.SecretBallot {
		s.Ballots = "Secret: nobody but the member who cast a ballot ever sees it."
	}
	switch {
	case r.Quorum == 1:
		s.Quorum = "At least 1 ballot is needed for a decision."
	case r.Quorum > 1:
		s.Quorum = "At least " + strconv.Itoa(r.Quorum) + " ballots are needed for a decision."
	}
	return s
}

// nextStep is the move a person may make next, with what it means.
type nextStep struct {
	To, Button, Explain string
}

func (u *UI) nextStep(c echo.Context, r round.Round) *nextStep {
	to, ok := round.Next(r.State)
	if !ok || httpapi.AuthorizeTransition(u.Authz, c, r, to) != nil {
		return nil
	}
	n := &nextStep{To: to}
	switch to {
	case round.Accepting:
		n.Button = "Open the round for applications"
		n.Explain = "The round becomes public and applicant organisations can apply until applications close. All four dates must be set, and the fund must be published."
	case round.Review:
		n.Button = "Close applications and start the panel's review"
		n.Explain = "Applicants can no longer apply or change their applications. Panel members declare any conflicts of interest, then read and discuss the applications."
	case round.Voting:
		n.Button = "Open voting"
		n.Explain = "The panel votes. From then on the budget, voting method, quorum, ballot secrecy, tie-break and allocation rule can no longer change. There must be at least one eligible application."
	case round.Closed:
		n.Button = "Close voting"
		n.Explain = "Voting ends and ballots can no longer change. If the quorum is met, the result is computed at once by the round's rule; if not, the panel chair decides whether to have it computed anyway. Only the panel chair can do this."
	case round.Decided:
		// A round is decided when the chair makes the decision final, on
		// the decision page.
		return nil
	}
	return n
}

type roundPageData struct {
	Round   round.Round
	Fund    fund.Fund
	Summary roundSummary
	Next    *nextStep
	CanEdit bool
	Steps   []roundStep
	// Where the people of the round go next: the panel to its
	// declarations (and from there each application and discussion), the
	// steward also to panel time, applicants to the form.
	Panel, Steward, CanApply bool
	// Ballot is the link to the member's own ballot: "Vote" while voting,
	// "Your ballot" once it has closed; "" for those who do not vote.
	Ballot string
	// Decision links to the decision page (voting closed, for those who
	// may read it before it is final); Results to the results (decided).
	Decision, Results bool
	// Turnout is how many have voted, for those who may see it while the
	// round is voting (stewards and the chair): counts, never who.
	Turnout   *ballot.Turnout
	Quorum    int
	QuorumMet bool
}

type roundStep struct {
	Name          string
	Done, Current bool
}

func (u *UI) renderRoundPage(c echo.Context, status int, p page, r round.Round, f fund.Fund) error {
	d := roundPageData{Round: r, Fund: f, Summary: summarise(r), Next: u.nextStep(c, r),
		CanEdit: u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), "update", httpapi.RoundResource(r.FundID, r.ID))}
	actor := httpapi.CurrentPrincipal(c).Actor()
	dom := authz.FundDomain(r.FundID)
	d.Steward = u.Authz.Allowed(actor, "list", authz.Resource{Kind: "declaration", Domain: dom}) && d.CanEdit
	d.Panel = d.Steward || u.Authz.Allowed(actor, "create", authz.Resource{Kind: "declaration", Domain: dom, OwnerUserID: actor.UserID})
	d.CanApply = r.State == round.Accepting && !httpapi.CurrentPrincipal(c).Anonymous() && !d.Panel
	d.Ballot = u.ballotLink(actor, r)
	d.Decision = (r.State == round.Closed || r.State == round.Decided) &&
		u.Authz.Allowed(actor, "read_unpublished", httpapi.DecisionResource(r.FundID))
	d.Results = r.State == round.Decided
	if r.State == round.Voting && u.Authz.Allowed(actor, "read_turnout", httpapi.BallotResource(r.FundID, 0)) {
		t, err := u.Ballots.Turnout(c.Request().Context(), r.ID)
		if err != nil {
			return err
		}
		d.Turnout, d.Quorum, d.QuorumMet = &t, r.Quorum, t.Voted >= int64(r.Quorum)
	}
	reached := true
	for _, s := range round.States {
		d.Steps = append(d.Steps, roundStep{Name: round.StateNames[s], Current: s == r.State, Done: reached && s != r.State})
		if s == r.State {
			reached = false
		}
	}
	p.Data = d
	return u.render(c, status, "round_view", p)
}

// visibleRound reads the round in the path, if the principal may see it.
func (u *UI) visibleRound(c echo.Context) (round.Round, fund.Fund, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return round.Round{}, fund.Fund{}, httpapi.ErrNotFound
	}
	return httpapi.VisibleRound(c, u.Authz, u.Rounds, u.Funds, id)
}

func (u *UI) roundPage(c echo.Context) error {
	r, f, err := u.visibleRound(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.RoundResource(r.FundID, r.ID)); err != nil {
		return err
	}
	p := u.newPage(c, "")
	if c.QueryParam("moved") != "" {
		p.Notice = "The round " + round.StatePhrases[r.State] + "."
	} else if c.QueryParam("saved") != "" {
		p.Notice = "Your changes are saved."
	}
	return u.renderRoundPage(c, http.StatusOK, p, r, f)
}

// editableRound reads the round in the path for someone who may edit it.
func (u *UI) editableRound(c echo.Context) (round.Round, fund.Fund, error) {
	r, f, err := u.visibleRound(c)
	if err != nil {
		return r, f, err
	}
	if err := httpapi.Authorize(u.Authz, c, "update", httpapi.RoundResource(r.FundID, r.ID)); err != nil {
		return r, f, err
	}
	return r, f, nil
}

func (u *UI) editRoundForm(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.editableRound(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form = formOf(r)
	return u.renderRoundForm(c, http.StatusOK, p, f, &r)
}

func (u *UI) updateRound(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.editableRound(c)
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	frozen := r.VotingOpened()
	rf := readRoundForm(c, f.Currency)
	if frozen {
		// The outcome's fields are not on the form: keep the round's own.
		rf.errs = keepErrors(rf.errs, "name", "applications_open_at", "applications_close_at", "voting_open_at", "voting_close_at")
		cur := formOf(r)
		for _, k := range []string{"budget", "method", "max_score", "max_ranked", "points", "max_per_application", "quorum", "secret_ballot", "tie_break", "rule"} {
			rf.values[k] = cur[k]
		}
	}
	p.Form = rf.values
	if len(rf.errs) > 0 {
		p.Errors = rf.errs
		return u.renderRoundForm(c, http.StatusUnprocessableEntity, p, f, &r)
	}
	_, err = u.Rounds.Update(c.Request().Context(), p.User.ID, r.ID, rf.changes(frozen))
	if fe, ok := fault.As(err); ok && fe.Kind == fault.PreconditionFailed {
		// Someone else saved first: show the round as it is now rather
		// than overwrite their change.
		cur, err := u.Rounds.Get(c.Request().Context(), r.ID)
		if err != nil {
			return err
		}
		p.Form = formOf(cur)
		p.Errors = []fieldErr{{ID: "round-form", Message: "Someone else changed this round while you were editing it, so your changes were not saved. The form now shows the round as it is: make your changes again."}}
		return u.renderRoundForm(c, http.StatusPreconditionFailed, p, f, &cur)
	}
	if status, ok := u.roundFormFailure(&p, err); ok {
		return u.renderRoundForm(c, status, p, f, &r)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/rounds/"+strconv.FormatInt(r.ID, 10)+"?saved=1")
}

func keepErrors(errs []fieldErr, ids ...string) []fieldErr {
	var out []fieldErr
	for _, e := range errs {
		for _, id := range ids {
			if e.ID == id {
				out = append(out, e)
			}
		}
	}
	return out
}

func (u *UI) transitionRound(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.visibleRound(c)
	if err != nil {
		return err
	}
	to := c.FormValue("to")
	if err := httpapi.AuthorizeTransition(u.Authz, c, r, to); err != nil {
		return err
	}
	moved, err := u.Rounds.Transition(c.Request().Context(), httpapi.CurrentPrincipal(c).User.ID, r.ID, to)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind == fault.Conflict {
		p := u.newPage(c, "")
		p.Errors = []fieldErr{{ID: "next-step", Message: sentence(fe.Message)}}
		return u.renderRoundPage(c, http.StatusConflict, p, r, f)
	}
	if _, ok := validate.As(err); ok {
		p := u.newPage(c, "")
		p.Errors = []fieldErr{{ID: "next-step", Message: "Choose a state to move the round to."}}
		return u.renderRoundPage(c, http.StatusUnprocessableEntity, p, r, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/rounds/"+strconv.FormatInt(moved.ID, 10)+"?moved=1")
}
