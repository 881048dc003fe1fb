package allocation

import (
	"fmt"
	"math/big"
	"sort"
)

// greedy is pabutools' greedy_utilitarian_welfare with additive
// satisfaction: projects by total satisfaction per unit of cost, highest
// first (+inf for supported zero-cost projects, 0 for unsupported ones),
// ties by id as a string; each is bought iff it fits in what is left.
// With init, the projects already chosen by init are kept (completion).
func (pr *profile) greedy(init *Outcome) *Outcome {
	np := len(pr.ids)
	o := &Outcome{}
	chosen := make([]bool, np)
	left := new(big.Rat).Set(pr.budget)
	if init != nil {
		o.SelectionOrder = append(o.SelectionOrder, init.SelectionOrder...)
		o.Projects = init.Projects
		o.InitialVoterBudget, o.ReturnedVoterBudget, o.InnerRuns = init.InitialVoterBudget, init.ReturnedVoterBudget, init.InnerRuns
		for _, id := range init.SelectionOrder {
			p := pr.byID[id]
			chosen[p] = true
			left.Sub(left, pr.costs[p])
		}
	} else {
		o.Projects = make([]Explanation, np)
		for p := range np {
			o.Projects[p] = Explanation{ID: pr.ids[p], Cost: pr.costs[p].RatString(), Supporters: pr.nsupp[p]}
		}
	}
	type keyed struct {
		p   int
		inf bool
		k   *big.Rat
	}
	var order []keyed
	for p := range np {
		if chosen[p] {
			continue
		}
		kp := keyed{p: p, k: new(big.Rat)}
		if pr.totalSat[p].Sign() > 0 {
			if pr.costs[p].Sign() == 0 {
				kp.inf = true
			} else {
				kp.k.Quo(pr.totalSat[p], pr.costs[p])
			}
		}
		order = append(order, kp)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.inf != b.inf {
			return a.inf
		}
		if !a.inf {
			if c := a.k.Cmp(b.k); c != 0 {
				return c > 0
			}
		}
		return pr.ids[a.p] < pr.ids[b.p]
	})
	for rank, kp := range order {
		p := kp.p
		e := &o.Projects[p]
		prior := e.Reason
		e.GreedyRank = rank + 1
		e.LeftWhenReach = left.RatString()
		if pr.costs[p].Cmp(left) <= 0 {
			left.Sub(left, pr.costs[p])
			o.SelectionOrder = append(o.SelectionOrder, pr.ids[p])
			e.Funded = true
			e.Stage = "greedy"
			e.Reason = fmt.Sprintf("%s in the greedy order (%s); it cost %s and %s was left",
				ordinal(rank+1), pr.greedyKey(p), Amount(pr.costs[p]), Amount(new(big.Rat).Add(left, pr.costs[p])))
		} else {
			e.Reason = fmt.Sprintf("%s in the greedy order (%s): needed %s, %s left",
				ordinal(rank+1), pr.greedyKey(p), Amount(pr.costs[p]), Amount(left))
		}
		if init != nil && prior != "" {
			e.Reason = prior + "; then " + e.Reason
		}
	}
	return o
}

func (pr *profile) greedyKey(p int) string {
	switch pr.sat {
	case SatCost:
		return Count(pr.nsupp[p], "supporter", "supporters")
	case SatCard:
		return fmt.Sprintf("%s for %s", Count(pr.nsupp[p], "supporter", "supporters"), Amount(pr.costs[p]))
	default:
		return fmt.Sprintf("%s points from %s for %s", Amount(pr.totalSat[p]), Count(pr.nsupp[p], "supporter", "supporters"), Amount(pr.costs[p]))
	}
}

func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// Count writes n with the noun that fits it: "1 supporter", "3 supporters".
func Count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
