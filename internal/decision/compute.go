package decision

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/humblehq/humble/internal/allocation"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/money"
	"github.com/humblehq/humble/internal/round"
)

// Input is everything a round's result is computed from: the round's
// settings, its eligible applications and its ballots. Compute is pure, so
// anyone holding an Input gets the same Outcome.
type Input struct {
	Rule         string       `json:"rule"`
	Method       string       `json:"method"`
	MethodParams round.Params `json:"method_params"`
	BudgetMinor  int64        `json:"budget_minor"`
	Currency     string       `json:"currency"`
	TieBreak     string       `json:"tie_break"`
	// Applications are the eligible applications in the tie-break's order:
	// of two with exactly the same support, the earlier here is funded
	// first.
	Applications []InputApplication `json:"applications"`
	Ballots      []ballot.Contents  `json:"-"`
}

// InputApplication is an application as the rule sees it.
type InputApplication struct {
	ID          int64 `json:"id"`
	AmountMinor int64 `json:"amount_minor"`
}

// Utilities says in words how ballots become what the rules count.
func Utilities(method string) string {
	switch method {
	case round.Approval, round.ApprovalBudget:
		return "Each approval counts as support."
	case round.Score:
		return "Each score counts as that many points; \"don't know\" counts as nothing."
	case round.Ranking:
		return "Rankings become Borda points: with n applications, the first on a ballot gets n points, the second n−1, and so on; unranked applications get none."
	case round.Cumulative:
		return "Each point given counts as a point."
	}
	return ""
}

// ruleFor parses a round's rule key. Besides allocation's keys it accepts
// mes_<sat>_greedy (Equal Shares completed greedily, without raising
// budgets), the default for points methods.
func ruleFor(key string) (allocation.Rule, error) {
	if base, ok := strings.CutSuffix(key, "_greedy"); ok && strings.HasPrefix(key, "mes_") && !strings.Contains(base, "_add") {
		r, err := allocation.ParseRule(base)
		if err != nil {
			return r, err
		}
		r.Key, r.Complete = key, true
		return r, nil
	}
	return allocation.ParseRule(key)
}

// projectKey names the i-th application (in tie-break order) for the
// rules, which break exact ties by the smaller id as a string: fixed-width
// numbers sort as strings in the order given.
func projectKey(i int) string { return fmt.Sprintf("%09d", i+1) }

// Order sorts applications for a tie-break rule: lower_cost puts cheaper
// applications first (then earlier ones), earlier_application the earlier
// submitted (lower id) first.
func Order(tieBreak string, apps []InputApplication) {
	sort.SliceStable(apps, func(i, j int) bool {
		if tieBreak == round.LowerCost && apps[i].AmountMinor != apps[j].AmountMinor {
			return apps[i].AmountMinor < apps[j].AmountMinor
		}
		return apps[i].ID < apps[j].ID
	})
}

// instance turns an Input into the allocation package's instance: amounts
// in the currency's major unit (so that "add1" raises each voter's budget
// by one pound, not one penny), ballots as utilities.
func instance(in Input, points bool) (allocation.Instance, map[string]int64, error) {
	unit := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(money.Decimals(in.Currency))), nil))
	major := func(minor int64) *big.Rat { return new(big.Rat).Quo(new(big.Rat).SetInt64(minor), unit) }
	inst := allocation.Instance{Budget: major(in.BudgetMinor)}
	keys := map[int64]string{}
	ids := map[string]int64{}
	for i, a := range in.Applications {
		k := projectKey(i)
		keys[a.ID] = k
		ids[k] = a.ID
		inst.Projects = append(inst.Projects, allocation.Project{ID: k, Cost: major(a.AmountMinor)})
	}
	n := int64(len(in.Applications))
	for _, c := range in.Ballots {
		var b allocation.Ballot
		// add counts support for id; false if it is not eligible.
		add := func(id int64, pts int64) bool {
			k, ok := keys[id]
			if !ok {
				return false
			}
			if pts > 0 {
				b.Projects = append(b.Projects, k)
				if points {
					b.Points = append(b.Points, big.NewRat(pts, 1))
				}
			}
			return true
		}
		switch in.Method {
		case round.Approval, round.ApprovalBudget:
			for _, id := range c.Approvals {
				add(id, 1)
			}
		case round.Score:
			for _, k := range sortedKeys(c.Scores) {
				var s int64
				if json.Unmarshal(c.Scores[k], &s) != nil {
					continue // "don't know"
				}
				add(parseID(k), s)
			}
		case round.Ranking:
			place := int64(0)
			for _, id := range c.Ranking {
				if add(id, n-place) {
					place++
				}
			}
		case round.Cumulative:
			for _, k := range sortedKeys(c.Points) {
				add(parseID(k), int64(c.Points[k]))
			}
		default:
			return inst, nil, fmt.Errorf("unknown voting method %q", in.Method)
		}
		if points && b.Points == nil {
			b.Points = []*big.Rat{}
		}
		inst.Ballots = append(inst.Ballots, b)
	}
	return inst, ids, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func parseID(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// Outcome is a round's computed result, in applications' terms.
type Outcome struct {
	Rule     string `json:"rule"`
	RuleName string `json:"rule_name"`
	// Funded lists the funded applications in the order the rule chose
	// them.
	Funded      []int64 `json:"funded"`
	TotalMinor  int64   `json:"total_minor"`
	BudgetMinor int64   `json:"budget_minor"`
	// Applications explains every eligible application, funded or not.
	Applications []Explanation `json:"applications"`
}

// Explanation is one application's place in the result.
type Explanation struct {
	ApplicationID int64 `json:"application_id"`
	AmountMinor   int64 `json:"amount_minor"`
	Funded        bool  `json:"funded"`
	// Position is the place in the order of funding (0: not funded).
	Position   int    `json:"position,omitempty"`
	Supporters int64  `json:"supporters"`
	Stage      string `json:"stage,omitempty"`
	// Reason says in a sentence why it was or was not funded (amounts in
	// the currency's major unit).
	Reason string             `json:"reason"`
	Shares *allocation.Shares `json:"shares,omitempty"`
}

// Compute runs the round's rule on an Input.
func Compute(in Input) (Outcome, error) {
	rule, err := ruleFor(in.Rule)
	if err != nil {
		return Outcome{}, err
	}
	inst, ids, err := instance(in, rule.Sat == allocation.SatPoints)
	if err != nil {
		return Outcome{}, err
	}
	o, err := allocation.RunRule(inst, rule)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Rule: in.Rule, RuleName: round.RuleName(in.Rule), BudgetMinor: in.BudgetMinor, Funded: []int64{}}
	amount := map[int64]int64{}
	for _, a := range in.Applications {
		amount[a.ID] = a.AmountMinor
	}
	for _, k := range o.SelectionOrder {
		id := ids[k]
		out.Funded = append(out.Funded, id)
		out.TotalMinor += amount[id]
	}
	for _, e := range o.Projects {
		id := ids[e.ID]
		reason := e.Reason
		for k, other := range ids {
			reason = strings.ReplaceAll(reason, k, "application "+strconv.FormatInt(other, 10))
		}
		out.Applications = append(out.Applications, Explanation{
			ApplicationID: id, AmountMinor: amount[id], Funded: e.Funded, Position: e.Position,
			Supporters: e.Supporters, Stage: e.Stage, Reason: reason, Shares: e.Shares,
		})
	}
	sort.Slice(out.Applications, func(i, j int) bool { return out.Applications[i].ApplicationID < out.Applications[j].ApplicationID })
	return out, nil
}

// Digest is the sha256 of a round's ballots in a canonical form: each
// ballot as compact JSON with sorted keys (encoding/json sorts map keys),
// the lines sorted and joined by newlines. It names nobody, so a secret
// round's digest is as public as its result.
func Digest(ballots []ballot.Contents) (string, error) {
	lines := make([]string, 0, len(ballots))
	for _, b := range ballots {
		// Approvals are a set: their order is not part of the ballot.
		b.Approvals = append([]int64(nil), b.Approvals...)
		sort.Slice(b.Approvals, func(i, j int) bool { return b.Approvals[i] < b.Approvals[j] })
		j, err := json.Marshal(b)
		if err != nil {
			return "", err
		}
		lines = append(lines, string(j))
	}
	sort.Strings(lines)
	h := sha256.New()
	h.Write([]byte("humble-ballots-v1\n"))
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte("\n"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
