package ui

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

// registerDecisionPages adds the pages of results and decisions: a round's
// results page (public once the decision is final; the fund's stewards and
// panel read the draft) with its CSV, and the panel chair's decision page,
// where the result is computed below the quorum, the decision recorded,
// the panel's rationale and feedback written and the decision made final.
// They call the same services and ask the same questions of the authorizer
// as the API's decision routes.
func (u *UI) registerDecisionPages(e *echo.Echo) {
	e.GET("/rounds/:id/results", u.resultsPage)
	e.GET("/rounds/:id/results.csv", u.resultsCSV)
	e.GET("/rounds/:id/decision", u.decisionPage)
	e.POST("/rounds/:id/result", u.computeResultAnyway)
	e.POST("/rounds/:id/decision", u.recordDecision)
	e.POST("/rounds/:id/decision/applications/:application_id", u.writeDecisionWords)
	e.POST("/rounds/:id/decision/final", u.finaliseDecision)
}

// appName is how an application is named on these pages.
type appName struct{ Title, Org string }

// barColours fill the funded segments of the budget bar in turn: each
// holds white text at 7:1 or more and stands out from the white page at
// more than 3:1; white gaps separate neighbours.
var barColours = []string{"#1d5b4f", "#2b4c7e", "#7a3b69", "#8a4500", "#3d5a1e"}

// barSegment is one funded application's part of the budget bar (the
// unspent part is one too, with no number).
type barSegment struct {
	N                  int
	Title, Org         string
	Amount, Share      string
	X, W, TextX        string // SVG percentages
	Colour             string
	ShowNumber, Amends bool
}

// outcomeApp is one application in a result or decision, as people read
// it.
type outcomeApp struct {
	ID         int64
	Title, Org string
	Requested  string
	Funded     bool
	Amount     string
	// The rule's view of it, when it was computed.
	Computed       bool // there is an explanation
	ComputedFunded bool
	Position       string // "1st", … for the rule's order; "" if not funded by it
	Supporters     int64
	Reason         string
	// Changed says the decision differs from the rule's result here.
	Changed   bool
	Rationale []string
}

// outcomeView is a round's result, or its decision once recorded, drawn
// and told.
type outcomeView struct {
	Budget, Total, Unspent, UnspentShare string
	UnspentX, UnspentW                   string
	Segments                             []barSegment
	Apps                                 []outcomeApp
	Funded, Eligible                     int
	// Decided: the figures are the recorded decision's, not only the
	// rule's.
	Decided bool
}

// percent writes n/d as an SVG percentage with three decimals ("12.500%").
func percent(n, d int64) string {
	if d <= 0 {
		return "0%"
	}
	v := mulDiv(n, 100000, d, false)
	return fmt.Sprintf("%d.%03d%%", v/1000, v%1000)
}

// mulDiv is n·m/d without overflow (rounded to nearest when round is set).
func mulDiv(n, m, d int64, round bool) int64 {
	x := new(big.Int).Mul(big.NewInt(n), big.NewInt(m))
	if round {
		x.Add(x, big.NewInt(d/2))
	}
	return x.Quo(x, big.NewInt(d)).Int64()
}

// share writes n/d as a percentage for people: "12.5%", "50%".
func share(n, d int64) string {
	if d <= 0 {
		return "0%"
	}
	t := mulDiv(n, 1000, d, true)
	if t%10 == 0 {
		return fmt.Sprintf("%d%%", t/10)
	}
	return fmt.Sprintf("%d.%d%%", t/10, t%10)
}

// ordinal writes 1 as "1st", 2 as "2nd", and so on.
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// buildOutcome puts a round's result and, once recorded, its decision into
// words and the budget bar. With a decision the figures are the
// decision's; without one, the rule's. dec must already be public where
// the reader may not see feedback (it is not used here anyway).
func buildOutcome(dr decision.Round, res *decision.Result, dec *decision.Decision, names map[int64]appName) outcomeView {
	cur := dr.Currency
	v := outcomeView{Budget: money.Format(dr.BudgetMinor, cur), Decided: dec != nil}
	requested := map[int64]int64{}
	var ids []int64
	if res != nil {
		for _, a := range res.Input.Applications {
			requested[a.ID] = a.AmountMinor
			ids = append(ids, a.ID)
		}
	}
	funded := map[int64]int64{}
	rationale := map[int64]string{}
	if dec != nil {
		ids = ids[:0]
		for _, a := range dec.Applications {
			requested[a.ApplicationID] = a.RequestedMinor
			ids = append(ids, a.ApplicationID)
			rationale[a.ApplicationID] = a.Rationale
			if a.Funded && a.AmountMinor != nil {
				funded[a.ApplicationID] = *a.AmountMinor
			}
		}
	} else if res != nil {
		for _, id := range res.Outcome.Funded {
			funded[id] = requested[id]
		}
	}
	position := map[int64]int{}
	if res != nil {
		for i, id := range res.Outcome.Funded {
			position[id] = i + 1
		}
	}
	// Funded first, in the rule's order (amended additions after it, by
	// id); then the rest by id.
	sort.SliceStable(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		_, fa := funded[a]
		_, fb := funded[b]
		if fa != fb {
			return fa
		}
		pa, pb := position[a], position[b]
		if (pa == 0) != (pb == 0) {
			return pa != 0
		}
		if pa != pb {
			return pa < pb
		}
		return a < b
	})
	var total int64
	for _, id := range ids {
		amount, isFunded := funded[id]
		oa := outcomeApp{ID: id, Title: names[id].Title, Org: names[id].Org, Requested: money.Format(requested[id], cur),
			Funded: isFunded, Rationale: applicationParagraphs(rationale[id])}
		if oa.Title == "" {
			oa.Title = "Application " + strconv.FormatInt(id, 10)
		}
		if isFunded {
			oa.Amount = money.Format(amount, cur)
			total += amount
			v.Funded++
		}
		if res != nil {
			if e, ok := res.Explanation(id); ok {
				oa.Computed, oa.ComputedFunded, oa.Supporters, oa.Reason = true, e.Funded, e.Supporters, sentence(e.Reason)
				if e.Position > 0 {
					oa.Position = ordinal(e.Position)
				}
				oa.Changed = dec != nil && (e.Funded != isFunded || (isFunded && amount != e.AmountMinor))
			}
		}
		v.Apps = append(v.Apps, oa)
	}
	v.Eligible = len(ids)
	v.Total = money.Format(total, cur)
	var x int64
	n := 0
	for _, oa := range v.Apps {
		if !oa.Funded {
			continue
		}
		amount := funded[oa.ID]
		s := barSegment{N: n + 1, Title: oa.Title, Org: oa.Org, Amount: oa.Amount, Share: share(amount, dr.BudgetMinor),
			X: percent(x, dr.BudgetMinor), W: percent(amount, dr.BudgetMinor), TextX: percent(2*x+amount, 2*dr.BudgetMinor),
			Colour: barColours[n%len(barColours)], ShowNumber: amount*25 >= dr.BudgetMinor, Amends: oa.Changed}
		v.Segments = append(v.Segments, s)
		x += amount
		n++
	}
	if left := dr.BudgetMinor - total; left > 0 {
		v.Unspent, v.UnspentShare = money.Format(left, cur), share(left, dr.BudgetMinor)
		v.UnspentX, v.UnspentW = percent(x, dr.BudgetMinor), percent(left, dr.BudgetMinor)
	}
	return v
}

// roundNames names a round's eligible applications: those the panel
// considers, and (once recorded) those in the decision.
func (u *UI) roundNames(c echo.Context, roundID int64, dec *decision.Decision) (map[int64]appName, error) {
	names := map[int64]appName{}
	if dec != nil {
		for _, a := range dec.Applications {
			names[a.ApplicationID] = appName{a.Title, a.OrganisationName}
		}
		return names, nil
	}
	apps, err := u.Panels.RoundApplications(c.Request().Context(), roundID)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		names[a.ID] = appName{a.Title, a.OrganisationName}
	}
	return names, nil
}

// resultAndDecision reads a round's result and decision, either of which
// may not exist yet (nil).
func (u *UI) resultAndDecision(c echo.Context, roundID int64) (*decision.Result, *decision.Decision, error) {
	ctx := c.Request().Context()
	var res *decision.Result
	r, err := u.Decisions.Result(ctx, roundID)
	switch {
	case err == nil:
		res = &r
	case !errors.Is(err, decision.ErrNoResult):
		return nil, nil, err
	}
	var dec *decision.Decision
	d, err := u.Decisions.Get(ctx, roundID)
	switch {
	case err == nil:
		dec = &d
	case !errors.Is(err, decision.ErrNoDecision):
		return nil, nil, err
	}
	return res, dec, nil
}

// --- The results page --------------------------------------------------------

type resultsPageData struct {
	Round    round.Round
	Fund     fund.Fund
	Final    bool
	Result   *decision.Result
	Decision *decision.Decision
	Outcome  outcomeView
	// Waiting says why there is nothing to show yet.
	Waiting        string
	FinalisedOn    string
	AmendmentParas []string
	// Ballots are an open round's ballots, published with the decision.
	Ballots []publishedBallot
}

// publishedBallot is one voter's ballot in plain words.
type publishedBallot struct {
	Voter string
	View  ballotView
}

// resultsPage shows what a round funded and why: public once the decision
// is final; before that the fund's stewards and panel read it, marked as
// not final, and everyone else is told there are no results (404).
func (u *UI) resultsPage(c echo.Context) error {
	r, f, err := u.visibleRound(c)
	if err != nil {
		return err
	}
	acc, err := httpapi.DecisionFor(c, u.Authz, u.Decisions)
	if err != nil {
		return err
	}
	res, dec, err := u.resultAndDecision(c, r.ID)
	if err != nil {
		return err
	}
	if dec != nil {
		pub := dec.Public() // the feedback is for the applicant, never here
		dec = &pub
	}
	names, err := u.roundNames(c, r.ID, dec)
	if err != nil {
		return err
	}
	d := resultsPageData{Round: r, Fund: f, Final: acc.Final, Result: res, Decision: dec}
	if res == nil && dec == nil {
		switch r.State {
		case round.Closed:
			d.Waiting = "Voting has closed, but the result has not been computed: the quorum was not met, and the panel chair decides whether to have it computed anyway."
		default:
			d.Waiting = "There are no results yet: the result is computed when voting closes."
		}
	} else {
		d.Outcome = buildOutcome(acc.Round, res, dec, names)
	}
	if dec != nil && dec.FinalisedAt != nil {
		d.FinalisedOn = dec.FinalisedAt.UTC().Format("2 January 2006")
	}
	if dec != nil && dec.AmendmentReason != nil {
		d.AmendmentParas = applicationParagraphs(*dec.AmendmentReason)
	}
	if acc.Final && !r.SecretBallot {
		bs, err := u.Ballots.PublishedBallots(c.Request().Context(), r.ID)
		if err != nil {
			return err
		}
		for _, b := range bs {
			apps, err := u.Ballots.Applications(c.Request().Context(), r.ID, b.UserID)
			if err != nil {
				return err
			}
			v := viewOf(r, apps, b.Contents)
			v.Hidden, v.Others = nil, nil
			d.Ballots = append(d.Ballots, publishedBallot{Voter: b.DisplayName, View: v})
		}
	}
	p := u.newPage(c, "")
	p.Data = d
	return u.render(c, http.StatusOK, "decision_results", p)
}

// resultsCSV downloads a final decision, one row per application, without
// the feedback: the API's CSV, from the page's address.
func (u *UI) resultsCSV(c echo.Context) error {
	if _, _, err := u.visibleRound(c); err != nil {
		return err
	}
	acc, err := httpapi.DecisionFor(c, u.Authz, u.Decisions)
	if err != nil {
		return err
	}
	if !acc.Final {
		return decision.ErrNotFinal
	}
	ctx := c.Request().Context()
	d, err := u.Decisions.Get(ctx, acc.Round.ID)
	if err != nil {
		return err
	}
	res, err := u.Decisions.Result(ctx, acc.Round.ID)
	if err != nil {
		return err
	}
	return httpapi.DecisionCSV(c, acc.Round, d.Public(), res)
}

// --- The decision page -------------------------------------------------------

// amendRow is one application on the amended decision's form.
type amendRow struct {
	ID                 int64
	Title, Org         string
	Requested          string
	ComputedFunded     bool
	Checked            bool
	Amount             string
	FundErr, AmountErr *fieldErr
}

// wordsRow is one application with the panel's rationale and feedback.
type wordsRow struct {
	ID                        int64
	Title, Org                string
	Funded                    bool
	Amount                    string
	Rationale, Feedback       string
	RationaleParas, FeedParas []string
	HasRationale, HasFeedback bool
	Recused                   bool
	CanWrite                  bool
	RationaleErr, FeedbackErr *fieldErr
}

type decisionPageData struct {
	Round round.Round
	Fund  fund.Fund
	// What the person may do here.
	Chair, CanCompute, Writer bool
	// Waiting says why there is nothing to decide yet (voting not closed).
	Waiting string
	// The quorum was not met and there is no result yet.
	NoResult        bool
	Voted           int64
	PanelSize       int64
	Quorum          int
	Result          *decision.Result
	Decision        *decision.Decision
	Outcome         outcomeView
	Amend           []amendRow
	AmendErr        *fieldErr
	Words           []wordsRow
	Missing         []missingRow
	StateName       string
	Currency        string
	Final           bool
	FinalisedOn     string
	DefaultStart    string
	DefaultEnd      string
	MaxInstalments  int
	AmendmentReason []string
	WaivedReason    []string
	// RecordOpen opens the form to record the decision again (it has
	// errors).
	RecordOpen bool
}

// missingRow is an application still without the panel's words.
type missingRow struct {
	ID           int64
	Title, Needs string
}

// decisionNotices are the messages after a change, by ?notice=.
var decisionNotices = map[string]string{
	"computed": "The result has been computed with the reason you gave, which is published with it.",
	"recorded": "The decision is recorded. The panel can now write a rationale and feedback for every application.",
	"words":    "The rationale and feedback are saved.",
	"final":    "The decision is final. The results are public, and the funded applications are now grants.",
}

// decisionLabels name the decision forms' fields in error messages.
var decisionLabels = map[string]string{
	"reason":           "Reason",
	"amendment_reason": "Reason for the amendment",
	"starts_on":        "Grants start",
	"ends_on":          "Grants end",
	"instalments":      "Number of instalments",
}

// decisionRound loads the round in the path for a decision page and checks
// action on its decision: the fund's stewards and panel read it, the
// panel writes its words, the chair computes, records and finalises.
func (u *UI) decisionRound(c echo.Context, action string) (round.Round, fund.Fund, error) {
	r, f, err := u.visibleRound(c)
	if err != nil {
		return r, f, err
	}
	if err := httpapi.Authorize(u.Authz, c, action, httpapi.DecisionResource(r.FundID)); err != nil {
		return r, f, err
	}
	return r, f, nil
}

func (u *UI) decisionPage(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.decisionRound(c, "read_unpublished")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Notice = decisionNotices[c.QueryParam("notice")]
	return u.renderDecision(c, http.StatusOK, p, r, f)
}

// renderDecision shows the decision page as the person may use it.
func (u *UI) renderDecision(c echo.Context, status int, p page, r round.Round, f fund.Fund) error {
	ctx := c.Request().Context()
	pr := httpapi.CurrentPrincipal(c)
	res := httpapi.DecisionResource(r.FundID)
	d := decisionPageData{Round: r, Fund: f, Chair: u.Authz.Allowed(pr.Actor(), "record", res),
		CanCompute: u.Authz.Allowed(pr.Actor(), "compute", res), Writer: u.Authz.Allowed(pr.Actor(), "write_feedback", res),
		MaxInstalments: decision.MaxInstalments, StateName: round.StatePhrases[r.State], Currency: r.Currency}
	if r.State != round.Closed && r.State != round.Decided {
		d.Waiting = "Voting has not closed yet. When the panel chair closes voting, the result is computed by the round's rule if the quorum is met, and the decision is recorded here."
		p.Data = d
		return u.render(c, status, "decision", p)
	}
	dr, err := u.Decisions.Round(ctx, r.ID)
	if err != nil {
		return err
	}
	result, dec, err := u.resultAndDecision(c, r.ID)
	if err != nil {
		return err
	}
	d.Result, d.Decision, d.Final = result, dec, r.State == round.Decided
	names, err := u.roundNames(c, r.ID, dec)
	if err != nil {
		return err
	}
	if result == nil {
		t, err := u.Ballots.Turnout(ctx, r.ID)
		if err != nil {
			return err
		}
		d.NoResult, d.Voted, d.PanelSize, d.Quorum = true, t.Voted, t.PanelSize, dr.Quorum
	} else {
		d.Outcome = buildOutcome(dr, result, nil, names)
		if result.QuorumWaived != nil {
			d.WaivedReason = applicationParagraphs(*result.QuorumWaived)
		}
		d.Amend = amendRows(p, dr, *result, dec, names)
		d.AmendErr = p.FieldError("amend-apps")
		for _, e := range p.Errors {
			switch {
			case e.ID == "amend-apps", e.ID == "amendment_reason",
				strings.HasPrefix(e.ID, "fund-"), strings.HasPrefix(e.ID, "amount-"):
				d.RecordOpen = true
			}
		}
	}
	if dec != nil {
		if dec.AmendmentReason != nil {
			d.AmendmentReason = applicationParagraphs(*dec.AmendmentReason)
		}
		if dec.FinalisedAt != nil {
			d.FinalisedOn = dec.FinalisedAt.UTC().Format("2 January 2006")
		}
		recused := map[int64]bool{}
		decls, err := u.Panels.Declarations(ctx, r.ID, pr.User.ID)
		if err != nil {
			return err
		}
		for _, x := range decls {
			recused[x.ApplicationID] = x.Kind == "recused"
		}
		for _, a := range dec.Applications {
			w := wordsRow{ID: a.ApplicationID, Title: a.Title, Org: a.OrganisationName, Funded: a.Funded,
				Rationale: a.Rationale, Feedback: a.Feedback,
				HasRationale: strings.TrimSpace(a.Rationale) != "", HasFeedback: strings.TrimSpace(a.Feedback) != "",
				Recused: recused[a.ApplicationID]}
			if a.Funded && a.AmountMinor != nil {
				w.Amount = money.Format(*a.AmountMinor, dr.Currency)
			}
			w.CanWrite = d.Writer && !w.Recused && !d.Final
			id := strconv.FormatInt(a.ApplicationID, 10)
			if v, ok := p.Form["rationale-"+id]; ok {
				w.Rationale = v
			}
			if v, ok := p.Form["feedback-"+id]; ok {
				w.Feedback = v
			}
			w.RationaleParas, w.FeedParas = applicationParagraphs(a.Rationale), applicationParagraphs(a.Feedback)
			w.RationaleErr, w.FeedbackErr = p.FieldError("rationale-"+id), p.FieldError("feedback-"+id)
			d.Words = append(d.Words, w)
		}
		for _, a := range dec.Missing() {
			var needs []string
			if strings.TrimSpace(a.Rationale) == "" {
				needs = append(needs, "a rationale")
			}
			if strings.TrimSpace(a.Feedback) == "" {
				needs = append(needs, "feedback")
			}
			d.Missing = append(d.Missing, missingRow{ID: a.ApplicationID, Title: a.Title, Needs: strings.Join(needs, " and ")})
		}
	}
	today := time.Now().UTC()
	d.DefaultStart, d.DefaultEnd = today.Format(time.DateOnly), today.AddDate(1, 0, -1).Format(time.DateOnly)
	for k, v := range map[string]string{"starts_on": d.DefaultStart, "ends_on": d.DefaultEnd, "instalments": "2"} {
		if _, ok := p.Form[k]; !ok {
			p.Form[k] = v
		}
	}
	p.Data = d
	return u.render(c, status, "decision", p)
}

// amendRows are the amended decision's form: as posted, else the recorded
// decision, else the computed result.
func amendRows(p page, dr decision.Round, res decision.Result, dec *decision.Decision, names map[int64]appName) []amendRow {
	computed := map[int64]bool{}
	for _, id := range res.Outcome.Funded {
		computed[id] = true
	}
	decided := map[int64]*int64{}
	if dec != nil {
		for _, a := range dec.Applications {
			if a.Funded {
				decided[a.ApplicationID] = a.AmountMinor
			}
		}
	}
	_, posted := p.Form["amendment_reason"]
	var rows []amendRow
	for _, a := range res.Input.Applications {
		id := strconv.FormatInt(a.ID, 10)
		row := amendRow{ID: a.ID, Title: names[a.ID].Title, Org: names[a.ID].Org,
			Requested: money.Format(a.AmountMinor, dr.Currency), ComputedFunded: computed[a.ID],
			FundErr: p.FieldError("fund-" + id), AmountErr: p.FieldError("amount-" + id)}
		switch {
		case posted:
			row.Checked, row.Amount = p.Form["fund-"+id] != "", p.Form["amount-"+id]
		case dec != nil:
			amount, ok := decided[a.ID]
			row.Checked, row.Amount = ok, money.Plain(a.AmountMinor, dr.Currency)
			if ok && amount != nil {
				row.Amount = money.Plain(*amount, dr.Currency)
			}
		default:
			row.Checked, row.Amount = computed[a.ID], money.Plain(a.AmountMinor, dr.Currency)
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Title < rows[j].Title })
	return rows
}

// decisionRefused shows a refusal the person can act on in the page: a
// field at fault (422), a state that forbids it (409) or a recusal (403),
// both linked to at ("" for the page's heading). Anything else is not
// handled (false).
func (u *UI) decisionRefused(c echo.Context, p page, r round.Round, f fund.Fund, err error, ids map[string]string, at string) (bool, error) {
	if ve, ok := validate.As(err); ok {
		for _, fe := range ve {
			id := fe.Field
			if v, ok := ids[fe.Field]; ok {
				id = v
			}
			label := decisionLabels[fe.Field]
			if label == "" {
				label = decisionLabels[id]
			}
			msg := fe.Message
			if label != "" {
				msg = label + " " + msg
			}
			p.Errors = append(p.Errors, fieldErr{ID: id, Message: sentence(msg)})
		}
		return true, u.renderDecision(c, http.StatusUnprocessableEntity, p, r, f)
	}
	if fe, ok := fault.As(err); ok && (fe.Kind == fault.Conflict || fe.Kind == fault.Forbidden) {
		status := http.StatusConflict
		if fe.Kind == fault.Forbidden {
			status = http.StatusForbidden
		}
		if at == "" {
			at = "decision-title"
		}
		p.Errors = []fieldErr{{ID: at, Message: sentence(fe.Message)}}
		return true, u.renderDecision(c, status, p, r, f)
	}
	return false, nil
}

func decisionPath(r round.Round, notice string) string {
	return fmt.Sprintf("/rounds/%d/decision?notice=%s", r.ID, notice)
}

// computeResultAnyway has the result of a round below its quorum computed,
// with the chair's reason.
func (u *UI) computeResultAnyway(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.decisionRound(c, "compute")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	p.Form["reason"] = c.FormValue("reason")
	_, err = u.Decisions.ComputeAnyway(c.Request().Context(), p.User.ID, r.ID, p.Form["reason"])
	if handled, rerr := u.decisionRefused(c, p, r, f, err, nil, ""); handled {
		return rerr
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, decisionPath(r, "computed"))
}

// recordDecision records the computed result (mode=computed) or an
// amended decision with its reason (mode=amended).
func (u *UI) recordDecision(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.decisionRound(c, "record")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := u.newPage(c, "")
	var in decision.Record
	var ids map[string]string
	switch c.FormValue("mode") {
	case "computed", "amended":
	default:
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "mode must be computed or amended")
	}
	if c.FormValue("mode") == "amended" {
		res, err := u.Decisions.Result(ctx, r.ID)
		if errors.Is(err, decision.ErrNoResult) {
			// The service says why there is nothing to record yet.
			_, err = u.Decisions.RecordDecision(ctx, p.User.ID, r.ID, in)
		}
		if handled, rerr := u.decisionRefused(c, p, r, f, err, nil, ""); handled {
			return rerr
		} else if err != nil {
			return err
		}
		var errs []fieldErr
		in, ids, errs = u.readAmendment(c, &p, r, res)
		if len(errs) > 0 {
			p.Errors = errs
			return u.renderDecision(c, http.StatusUnprocessableEntity, p, r, f)
		}
	}
	_, err = u.Decisions.RecordDecision(ctx, p.User.ID, r.ID, in)
	if handled, rerr := u.decisionRefused(c, p, r, f, err, ids, ""); handled {
		return rerr
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, decisionPath(r, "recorded"))
}

// readAmendment reads the amended decision's form into p.Form and a
// Record, checking what the form can check itself (in the form's words);
// ids maps the service's field names back to the form's.
func (u *UI) readAmendment(c echo.Context, p *page, r round.Round, res decision.Result) (decision.Record, map[string]string, []fieldErr) {
	names, err := u.roundNames(c, r.ID, nil)
	if err != nil {
		names = map[int64]appName{}
	}
	reason := c.FormValue("amendment_reason")
	p.Form["amendment_reason"] = reason
	in := decision.Record{AmendmentReason: reason}
	funded := []decision.Funding{}
	ids := map[string]string{"funded": "amend-apps"}
	var errs []fieldErr
	computed := map[int64]int64{}
	requested := map[int64]int64{}
	for _, a := range res.Input.Applications {
		requested[a.ID] = a.AmountMinor
	}
	for _, id := range res.Outcome.Funded {
		computed[id] = requested[id]
	}
	same := true
	var total int64
	// In the form's order, so that the error summary follows the page.
	apps := append([]decision.InputApplication(nil), res.Input.Applications...)
	sort.SliceStable(apps, func(i, j int) bool { return names[apps[i].ID].Title < names[apps[j].ID].Title })
	for _, a := range apps {
		id := strconv.FormatInt(a.ID, 10)
		title := names[a.ID].Title
		checked := c.FormValue("fund-"+id) != ""
		amountText := strings.TrimSpace(c.FormValue("amount-" + id))
		if checked {
			p.Form["fund-"+id] = "yes"
		}
		p.Form["amount-"+id] = amountText
		if !checked {
			if _, ok := computed[a.ID]; ok {
				same = false
			}
			continue
		}
		amount, perr := money.Parse(amountText, r.Currency)
		switch {
		case amountText == "":
			errs = append(errs, fieldErr{ID: "amount-" + id, Message: fmt.Sprintf("Enter the amount for “%s”, or untick it", title)})
			continue
		case perr != nil:
			errs = append(errs, fieldErr{ID: "amount-" + id, Message: fmt.Sprintf("Amount for “%s” %s", title, perr.Error())})
			continue
		case amount <= 0:
			errs = append(errs, fieldErr{ID: "amount-" + id, Message: fmt.Sprintf("Amount for “%s” must be more than nothing: to fund nothing, untick it", title)})
			continue
		case amount > a.AmountMinor:
			errs = append(errs, fieldErr{ID: "amount-" + id, Message: fmt.Sprintf("Amount for “%s” is more than it asked for (%s)", title, money.Format(a.AmountMinor, r.Currency))})
			continue
		}
		if want, ok := computed[a.ID]; !ok || want != amount {
			same = false
		}
		ids[fmt.Sprintf("funded[%d].application_id", len(funded))] = "fund-" + id
		ids[fmt.Sprintf("funded[%d].amount_minor", len(funded))] = "amount-" + id
		funded = append(funded, decision.Funding{ApplicationID: a.ID, AmountMinor: amount})
		if amount > math.MaxInt64-total {
			total = math.MaxInt64 // over any budget; the service checks again
		} else {
			total += amount
		}
	}
	if len(errs) == 0 && total > r.BudgetMinor {
		errs = append(errs, fieldErr{ID: "amend-apps", Message: fmt.Sprintf("Together the amounts come to %s, more than the round's budget of %s",
			money.Format(total, r.Currency), money.Format(r.BudgetMinor, r.Currency))})
	}
	if len(errs) == 0 && same && len(funded) == len(computed) {
		errs = append(errs, fieldErr{ID: "amend-apps", Message: "This is the computed result: record it with “Record the computed result”, or change which applications are funded or their amounts"})
	}
	if len(errs) == 0 && strings.TrimSpace(reason) == "" {
		errs = append(errs, fieldErr{ID: "amendment_reason", Message: "Say why the decision differs from the computed result: your reason is published beside it"})
	}
	in.Funded = &funded
	return in, ids, errs
}

// writeDecisionWords saves the panel's rationale and feedback on one
// application.
func (u *UI) writeDecisionWords(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.decisionRound(c, "write_feedback")
	if err != nil {
		return err
	}
	appID, err := strconv.ParseInt(c.Param("application_id"), 10, 64)
	if err != nil || appID <= 0 {
		return httpapi.ErrNotFound
	}
	id := strconv.FormatInt(appID, 10)
	p := u.newPage(c, "")
	in := decision.Words{Rationale: c.FormValue("rationale"), Feedback: c.FormValue("feedback")}
	p.Form["rationale-"+id], p.Form["feedback-"+id] = in.Rationale, in.Feedback
	_, err = u.Decisions.WriteWords(c.Request().Context(), p.User.ID, r.ID, appID, in)
	ids := map[string]string{"rationale": "rationale-" + id, "feedback": "feedback-" + id}
	if ve, ok := validate.As(err); ok {
		for i := range ve {
			switch ve[i].Field {
			case "rationale":
				ve[i].Message = "Rationale " + ve[i].Message
			case "feedback":
				ve[i].Message = "Feedback " + ve[i].Message
			}
		}
		err = ve
	}
	if handled, rerr := u.decisionRefused(c, p, r, f, err, ids, ""); handled {
		return rerr
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, decisionPath(r, "words")+"#words-"+id)
}

// finaliseDecision makes the decision final with the grants' terms.
func (u *UI) finaliseDecision(c echo.Context) error {
	if ok, err := requireSignIn(c); !ok {
		return err
	}
	r, f, err := u.decisionRound(c, "record")
	if err != nil {
		return err
	}
	p := u.newPage(c, "")
	for _, k := range []string{"starts_on", "ends_on", "instalments"} {
		p.Form[k] = strings.TrimSpace(c.FormValue(k))
	}
	terms := decision.Terms{StartsOn: p.Form["starts_on"], EndsOn: p.Form["ends_on"]}
	if s := p.Form["instalments"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > decision.MaxInstalments {
			p.Errors = []fieldErr{{ID: "instalments", Message: fmt.Sprintf("Number of instalments must be a whole number from 1 to %d", decision.MaxInstalments)}}
			return u.renderDecision(c, http.StatusUnprocessableEntity, p, r, f)
		}
		terms.Instalments = n
	}
	_, err = u.Decisions.Finalise(c.Request().Context(), p.User.ID, r.ID, terms)
	if ve, ok := validate.As(err); ok {
		for i := range ve {
			ve[i].Message = strings.ReplaceAll(ve[i].Message, "starts_on", "the start date")
		}
		err = ve
	}
	at := ""
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Conflict && strings.Contains(fe.Message, "rationale and feedback") {
		at = "missing-words"
	}
	if handled, rerr := u.decisionRefused(c, p, r, f, err, nil, at); handled {
		return rerr
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, decisionPath(r, "final"))
}

// --- On the application page --------------------------------------------------

// appDecisionView is the final decision on one application, for its
// applicant, the fund's stewards and its panel.
type appDecisionView struct {
	RoundID     int64
	Funded      bool
	Amount      string
	Requested   string
	Rationale   []string
	Feedback    []string
	Explanation string
	// Amended: the panel's decision on this application differs from what
	// the rule computed (RuleFunded says what the rule did).
	Amended         bool
	RuleFunded      bool
	AmendmentReason []string
	Grant           *grantView
}

type grantView struct {
	Amount, Starts, Ends string
	Details              bool
	Instalments          []instalmentView
	// ID and Agreement: a link to the learning agreement, for those who read it.
	ID        int64
	Agreement bool
}

type instalmentView struct {
	Number      int
	Due, Amount string
	Paid        string
}

// longDate writes a 2006-01-02 date as "1 May 2026".
func longDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

// applicationDecision returns the final decision on an application, or
// nil while its round's decision is not final. The caller has checked that
// the person is its applicant, a steward or on the panel (and not recused).
func (u *UI) applicationDecision(c echo.Context, appID, roundID int64, currency string) (*appDecisionView, error) {
	ctx := c.Request().Context()
	d, err := u.Decisions.Final(ctx, roundID)
	if errors.Is(err, decision.ErrNotFinal) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var v *appDecisionView
	for _, a := range d.Applications {
		if a.ApplicationID != appID {
			continue
		}
		v = &appDecisionView{RoundID: roundID, Funded: a.Funded, Requested: money.Format(a.RequestedMinor, currency),
			Rationale: applicationParagraphs(a.Rationale), Feedback: applicationParagraphs(a.Feedback)}
		if a.Funded && a.AmountMinor != nil {
			v.Amount = money.Format(*a.AmountMinor, currency)
		}
		if d.AmendmentReason != nil {
			v.AmendmentReason = applicationParagraphs(*d.AmendmentReason)
		}
	}
	if v == nil {
		return nil, nil // not eligible when the result was computed
	}
	res, err := u.Decisions.Result(ctx, roundID)
	if err == nil {
		if e, ok := res.Explanation(appID); ok {
			v.Explanation = sentence(e.Reason)
			v.RuleFunded = e.Funded
			final := d.Applications[slices.IndexFunc(d.Applications, func(a decision.Application) bool { return a.ApplicationID == appID })]
			v.Amended = d.Amended && (e.Funded != final.Funded || (final.AmountMinor != nil && *final.AmountMinor != e.AmountMinor))
		}
	} else if !errors.Is(err, decision.ErrNoResult) {
		return nil, err
	}
	g, ok, err := u.Decisions.ForApplication(ctx, appID)
	if err != nil {
		return nil, err
	}
	if ok {
		gv := &grantView{Amount: money.Format(g.AmountMinor, g.Currency), Starts: longDate(g.StartsOn), Ends: longDate(g.EndsOn),
			Details: u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), "read_details", httpapi.GrantResource(g.FundID, g.OrganisationID))}
		gv.ID, gv.Agreement = g.ID, u.Authz.Allowed(httpapi.CurrentPrincipal(c).Actor(), "read", httpapi.AgreementResource(g.FundID, g.OrganisationID))
		if gv.Details {
			for _, in := range g.Instalments {
				iv := instalmentView{Number: in.Number, Due: longDate(in.DueOn), Amount: money.Format(in.AmountMinor, g.Currency)}
				if in.PaidAt != nil {
					iv.Paid = in.PaidAt.UTC().Format("2 January 2006")
				}
				gv.Instalments = append(gv.Instalments, iv)
			}
		}
		v.Grant = gv
	}
	return v, nil
}
