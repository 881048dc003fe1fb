package ballot

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/validate"
)

// Validate checks a ballot against the round's method and the member's
// applications (apps: the round's submitted applications with the
// member's declarations) and returns it cleaned (scores as numbers or
// "dont_know"). Every fault names its field: approvals[2], scores.17, …
func Validate(r Round, apps []Application, in Contents) (Contents, error) {
	byID := map[int64]Application{}
	for _, a := range apps {
		byID[a.ID] = a
	}
	var errs validate.Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, validate.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	method := strings.ToLower(round.MethodNames[r.Method])
	notHere := func(field string, set bool) {
		if set {
			bad(field, "is not part of a ballot in %s voting", method)
		}
	}
	// app checks that id may be on this member's ballot.
	app := func(field string, id int64) bool {
		a, ok := byID[id]
		switch {
		case !ok:
			bad(field, "is not an application the panel considers in this round")
		case a.Declaration == "recused":
			bad(field, "you are recused from application %d", id)
		case !a.Votable():
			bad(field, "you have not declared on application %d yet: declare any conflict of interest first", id)
		default:
			return true
		}
		return false
	}
	key := func(field, k string) (int64, bool) {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != k {
			bad(field, "is not an application id")
			return 0, false
		}
		return id, app(field, id)
	}
	out := Contents{}
	switch r.Method {
	case round.Approval, round.ApprovalBudget:
		notHere("scores", in.Scores != nil)
		notHere("ranking", in.Ranking != nil)
		notHere("points", in.Points != nil)
		out.Approvals = []int64{}
		seen := map[int64]bool{}
		var total int64
		for i, id := range in.Approvals {
			f := fmt.Sprintf("approvals[%d]", i)
			if seen[id] {
				bad(f, "appears more than once")
				continue
			}
			seen[id] = true
			if app(f, id) {
				out.Approvals = append(out.Approvals, id)
				total += byID[id].AmountMinor
			}
		}
		if r.Method == round.ApprovalBudget && total > r.BudgetMinor {
			bad("approvals", "ask for %d together, more than the round's budget of %d: approve fewer", total, r.BudgetMinor)
		}
	case round.Score:
		notHere("approvals", in.Approvals != nil)
		notHere("ranking", in.Ranking != nil)
		notHere("points", in.Points != nil)
		out.Scores = map[string]json.RawMessage{}
		for k, raw := range in.Scores {
			f := "scores." + k
			if _, ok := key(f, k); !ok {
				continue
			}
			var dk string
			if json.Unmarshal(raw, &dk) == nil {
				if dk != DontKnow {
					bad(f, "must be a whole number from 0 to %d, or %q", r.MethodParams.MaxScore, DontKnow)
					continue
				}
				out.Scores[k] = json.RawMessage(strconv.Quote(DontKnow))
				continue
			}
			var n int
			if err := json.Unmarshal(raw, &n); err != nil || n < 0 || n > r.MethodParams.MaxScore {
				bad(f, "must be a whole number from 0 to %d, or %q", r.MethodParams.MaxScore, DontKnow)
				continue
			}
			out.Scores[k] = json.RawMessage(strconv.Itoa(n))
		}
	case round.Ranking:
		notHere("approvals", in.Approvals != nil)
		notHere("scores", in.Scores != nil)
		notHere("points", in.Points != nil)
		out.Ranking = []int64{}
		seen := map[int64]bool{}
		for i, id := range in.Ranking {
			f := fmt.Sprintf("ranking[%d]", i)
			if seen[id] {
				bad(f, "appears more than once: rank each application once")
				continue
			}
			seen[id] = true
			if app(f, id) {
				out.Ranking = append(out.Ranking, id)
			}
		}
		if max := r.MethodParams.MaxRanked; max > 0 && len(in.Ranking) > max {
			bad("ranking", "ranks %d applications; rank at most %d", len(in.Ranking), max)
		}
	case round.Cumulative:
		notHere("approvals", in.Approvals != nil)
		notHere("scores", in.Scores != nil)
		notHere("ranking", in.Ranking != nil)
		out.Points = map[string]int{}
		total := 0
		for k, n := range in.Points {
			f := "points." + k
			if _, ok := key(f, k); !ok {
				continue
			}
			if n < 0 || n > r.MethodParams.MaxPerApplication {
				bad(f, "must be a whole number from 0 to %d", r.MethodParams.MaxPerApplication)
				continue
			}
			total += n
			if n > 0 {
				out.Points[k] = n
			}
		}
		if total > r.MethodParams.Points {
			bad("points", "give %d points in all; you have %d to spread", total, r.MethodParams.Points)
		}
	default:
		return Contents{}, fmt.Errorf("round %d: unknown voting method %q", r.ID, r.Method)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return Contents{}, errs
	}
	return out, nil
}
