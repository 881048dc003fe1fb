package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

// The voting form as data: each application's field (one per application
// whatever the method, so the form, the review page's hidden fields and the
// error summary all use the same names), reading a posted form into a
// ballot, a ballot back into field values, and a ballot in plain words.

// ballotField is the name and id of an application's control on the form.
func ballotField(method string, appID int64) string {
	switch method {
	case round.Score:
		return fmt.Sprintf("score-%d", appID)
	case round.Ranking:
		return fmt.Sprintf("rank-%d", appID)
	case round.Cumulative:
		return fmt.Sprintf("points-%d", appID)
	}
	return fmt.Sprintf("approve-%d", appID)
}

// ballotChoicesID is the element holding every application's control: the
// target of errors about the ballot as a whole (over the budget, too many
// points).
const ballotChoicesID = "ballot-choices"

// approveValue is what a ticked approval checkbox sends.
const approveValue = "yes"

// rankLimit is how many ranks the form offers: one per application the
// member can vote on, or the round's maximum if lower.
func rankLimit(r round.Round, apps []ballot.Application) int {
	n := 0
	for _, a := range apps {
		if a.Votable() {
			n++
		}
	}
	if m := r.MethodParams.MaxRanked; m > 0 && m < n {
		return m
	}
	return n
}

// ballotForm is a posted voting form: the value of each application's field
// as sent (to show it again), the ballot it makes, and what is wrong with
// its shape (not a number, a rank used twice).
type ballotForm struct {
	values   map[int64]string
	contents ballot.Contents
	errs     []fieldErr
}

// readBallotForm reads the fields of the round's applications from a form.
// Fields of applications the member may not vote on are read too, so that
// a stale form is refused naming them rather than quietly cut down.
func readBallotForm(get func(string) string, r round.Round, apps []ballot.Application) ballotForm {
	bf := ballotForm{values: map[int64]string{}}
	bad := func(a ballot.Application, msg string, args ...any) {
		bf.errs = append(bf.errs, fieldErr{ID: rowID(r.Method, a), Message: fmt.Sprintf(msg, args...)})
	}
	type ranked struct {
		rank int
		app  ballot.Application
	}
	var ranks []ranked
	switch r.Method {
	case round.Approval, round.ApprovalBudget:
		bf.contents.Approvals = []int64{}
	case round.Score:
		bf.contents.Scores = map[string]json.RawMessage{}
	case round.Ranking:
		bf.contents.Ranking = []int64{}
	case round.Cumulative:
		bf.contents.Points = map[string]int{}
	}
	limit := rankLimit(r, apps)
	for _, a := range apps {
		v := strings.TrimSpace(get(ballotField(r.Method, a.ID)))
		if v == "" {
			continue
		}
		bf.values[a.ID] = v
		key := strconv.FormatInt(a.ID, 10)
		switch r.Method {
		case round.Approval, round.ApprovalBudget:
			bf.contents.Approvals = append(bf.contents.Approvals, a.ID)
		case round.Score:
			if v == ballot.DontKnow {
				bf.contents.Scores[key] = json.RawMessage(strconv.Quote(ballot.DontKnow))
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > r.MethodParams.MaxScore {
				bad(a, "Score for “%s” must be a whole number from 0 to %d, or “Don't know”", a.Title, r.MethodParams.MaxScore)
				continue
			}
			bf.contents.Scores[key] = json.RawMessage(strconv.Itoa(n))
		case round.Ranking:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > max(limit, 1) {
				bad(a, "Rank for “%s” must be a whole number from 1 to %d, or “Not ranked”", a.Title, max(limit, 1))
				continue
			}
			ranks = append(ranks, ranked{n, a})
		case round.Cumulative:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > r.MethodParams.MaxPerApplication {
				bad(a, "Points for “%s” must be a whole number from 0 to %d", a.Title, r.MethodParams.MaxPerApplication)
				continue
			}
			if n > 0 {
				bf.contents.Points[key] = n
			}
		}
	}
	if r.Method == round.Ranking {
		// Applications in form order; the first to take a rank keeps it,
		// each later one is told whose rank it is.
		holder := map[int]ballot.Application{}
		for _, rk := range ranks {
			if first, taken := holder[rk.rank]; taken {
				bad(rk.app, "Rank for “%s” is %d, which you also gave “%s”: give each application a different rank",
					rk.app.Title, rk.rank, first.Title)
				continue
			}
			holder[rk.rank] = rk.app
		}
		slices.SortStableFunc(ranks, func(x, y ranked) int { return x.rank - y.rank })
		for _, rk := range ranks {
			if holder[rk.rank].ID == rk.app.ID {
				bf.contents.Ranking = append(bf.contents.Ranking, rk.app.ID)
			}
		}
	}
	return bf
}

// rowID is where an application's error points: its control if the member
// has one, else its row on the page (recused, not declared on).
func rowID(method string, a ballot.Application) string {
	if a.Votable() {
		return ballotField(method, a.ID)
	}
	return fmt.Sprintf("app-%d", a.ID)
}

// valuesOf turns a saved (or checked) ballot back into field values.
func valuesOf(method string, c ballot.Contents) map[int64]string {
	out := map[int64]string{}
	switch method {
	case round.Approval, round.ApprovalBudget:
		for _, id := range c.Approvals {
			out[id] = approveValue
		}
	case round.Score:
		for k, raw := range c.Scores {
			id, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				continue
			}
			var dk string
			if json.Unmarshal(raw, &dk) == nil {
				out[id] = dk
			} else {
				out[id] = string(raw)
			}
		}
	case round.Ranking:
		for i, id := range c.Ranking {
			out[id] = strconv.Itoa(i + 1)
		}
	case round.Cumulative:
		for k, n := range c.Points {
			if id, err := strconv.ParseInt(k, 10, 64); err == nil {
				out[id] = strconv.Itoa(n)
			}
		}
	}
	return out
}

// ballotErrors turns the ballot service's refusal into messages on the
// form's fields. Field names index into the ballot sent (approvals[2],
// ranking[0]) or name an application (scores.17, points.17); the ballot as
// a whole (approvals, points, ranking) points at the list of applications.
func ballotErrors(ve validate.Errors, r round.Round, apps []ballot.Application, in ballot.Contents) []fieldErr {
	byID := map[int64]ballot.Application{}
	for _, a := range apps {
		byID[a.ID] = a
	}
	var out []fieldErr
	for _, fe := range ve {
		var id int64
		var i int
		switch {
		case sscan(fe.Field, "approvals[%d]", &i) && i >= 0 && i < len(in.Approvals):
			id = in.Approvals[i]
		case sscan(fe.Field, "ranking[%d]", &i) && i >= 0 && i < len(in.Ranking):
			id = in.Ranking[i]
		case strings.HasPrefix(fe.Field, "scores."), strings.HasPrefix(fe.Field, "points."):
			_, k, _ := strings.Cut(fe.Field, ".")
			id, _ = strconv.ParseInt(k, 10, 64)
		}
		if id == 0 {
			out = append(out, fieldErr{ID: ballotChoicesID, Message: wholeBallotMessage(fe, r, byID, in)})
			continue
		}
		a, ok := byID[id]
		switch {
		case !ok:
			out = append(out, fieldErr{ID: ballotChoicesID, Message: fmt.Sprintf("Application %d is not one the panel considers in this round: reload the page and vote again", id)})
		case a.Declaration == "recused":
			out = append(out, fieldErr{ID: rowID(r.Method, a), Message: fmt.Sprintf("You are recused from “%s”, so it cannot be on your ballot", a.Title)})
		case !a.Votable():
			out = append(out, fieldErr{ID: rowID(r.Method, a), Message: fmt.Sprintf("Declare any conflict of interest on “%s” before you vote on it", a.Title)})
		default:
			out = append(out, fieldErr{ID: rowID(r.Method, a), Message: fmt.Sprintf("“%s” %s", a.Title, fe.Message)})
		}
	}
	return out
}

func sscan(s, format string, v *int) bool {
	_, err := fmt.Sscanf(s, format, v)
	return err == nil && fmt.Sprintf(format, *v) == s
}

// wholeBallotMessage says what is wrong with the ballot as a whole.
func wholeBallotMessage(fe validate.FieldError, r round.Round, byID map[int64]ballot.Application, in ballot.Contents) string {
	switch fe.Field {
	case "approvals":
		var total int64
		for _, id := range in.Approvals {
			total += byID[id].AmountMinor
		}
		return fmt.Sprintf("The applications you support ask for %s together, more than the round's budget of %s: support fewer",
			money.Format(total, r.Currency), money.Format(r.BudgetMinor, r.Currency))
	case "points":
		total := 0
		for _, n := range in.Points {
			total += n
		}
		return fmt.Sprintf("You give %d points in all, but you have %d to spread: give fewer", total, r.MethodParams.Points)
	case "ranking":
		return fmt.Sprintf("You rank %d applications; you can rank at most %d", len(in.Ranking), r.MethodParams.MaxRanked)
	}
	return sentence(fe.Field + " " + fe.Message)
}

// hiddenField is one field the review page sends back.
type hiddenField struct{ Name, Value string }

// ballotItem is one application in a ballot's plain words.
type ballotItem struct {
	Title, Organisation, Words string
}

// ballotView is a ballot in plain words: what the member supports, scores,
// ranks or gives points to, and what they leave out.
type ballotView struct {
	Summary       string
	Ordered       bool // a ranking: Items are in order of preference
	Items         []ballotItem
	OthersHeading string
	Others        []ballotItem
	Hidden        []hiddenField
}

// viewOf says a ballot in plain words. apps are the round's applications
// (the member's votable ones are the ones a ballot can leave out).
func viewOf(r round.Round, apps []ballot.Application, c ballot.Contents) ballotView {
	byID := map[int64]ballot.Application{}
	for _, a := range apps {
		byID[a.ID] = a
	}
	item := func(id int64, words string) ballotItem {
		a, ok := byID[id]
		if !ok {
			return ballotItem{Title: fmt.Sprintf("Application %d", id), Organisation: "no longer in the round", Words: words}
		}
		return ballotItem{Title: a.Title, Organisation: a.OrganisationName, Words: words}
	}
	var v ballotView
	left := func(on map[int64]bool, heading string) {
		v.OthersHeading = heading
		for _, a := range apps {
			if a.Votable() && !on[a.ID] {
				v.Others = append(v.Others, item(a.ID, ""))
			}
		}
	}
	switch r.Method {
	case round.Approval, round.ApprovalBudget:
		on := map[int64]bool{}
		var total int64
		for _, id := range c.Approvals {
			on[id] = true
			total += byID[id].AmountMinor
			v.Items = append(v.Items, item(id, "asks for "+money.Format(byID[id].AmountMinor, r.Currency)))
			v.Hidden = append(v.Hidden, hiddenField{ballotField(r.Method, id), approveValue})
		}
		switch n := len(c.Approvals); n {
		case 0:
			v.Summary = "You support none of the applications."
		case 1:
			v.Summary = "You support 1 application, which asks for " + money.Format(total, r.Currency) + "."
		default:
			v.Summary = fmt.Sprintf("You support %d applications, which ask for %s together.", n, money.Format(total, r.Currency))
		}
		if r.Method == round.ApprovalBudget {
			v.Summary += " The round's budget is " + money.Format(r.BudgetMinor, r.Currency) + "."
		}
		left(on, "You do not support")
	case round.Score:
		v.Summary = fmt.Sprintf("You score applications from 0 to %d; “Don't know” counts neither for nor against.", r.MethodParams.MaxScore)
		on := map[int64]bool{}
		for _, a := range apps {
			raw, ok := c.Scores[strconv.FormatInt(a.ID, 10)]
			if !ok {
				continue
			}
			on[a.ID] = true
			words := string(raw) + " out of " + strconv.Itoa(r.MethodParams.MaxScore)
			value := string(raw)
			var dk string
			if json.Unmarshal(raw, &dk) == nil {
				words, value = "Don't know", dk
			}
			v.Items = append(v.Items, item(a.ID, words))
			v.Hidden = append(v.Hidden, hiddenField{ballotField(r.Method, a.ID), value})
		}
		left(on, "You have not scored")
	case round.Ranking:
		v.Ordered = true
		on := map[int64]bool{}
		for i, id := range c.Ranking {
			on[id] = true
			v.Items = append(v.Items, item(id, ""))
			v.Hidden = append(v.Hidden, hiddenField{ballotField(r.Method, id), strconv.Itoa(i + 1)})
		}
		switch n := len(c.Ranking); n {
		case 0:
			v.Summary = "You rank none of the applications."
		case 1:
			v.Summary = "You rank 1 application."
		default:
			v.Summary = fmt.Sprintf("You rank %d applications, the one you most want funded first.", n)
		}
		left(on, "Not ranked")
	case round.Cumulative:
		on := map[int64]bool{}
		total := 0
		for _, a := range apps {
			n, ok := c.Points[strconv.FormatInt(a.ID, 10)]
			if !ok || n == 0 {
				continue
			}
			on[a.ID] = true
			total += n
			v.Items = append(v.Items, item(a.ID, pointsWords(n)))
			v.Hidden = append(v.Hidden, hiddenField{ballotField(r.Method, a.ID), strconv.Itoa(n)})
		}
		v.Summary = fmt.Sprintf("You give %s of your %s.", strconv.Itoa(total), pointsWords(r.MethodParams.Points))
		left(on, "No points")
	}
	return v
}

func pointsWords(n int) string {
	if n == 1 {
		return "1 point"
	}
	return strconv.Itoa(n) + " points"
}
