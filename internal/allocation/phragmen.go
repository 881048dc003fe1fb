package allocation

import (
	"fmt"
	"math/big"
	"sort"
)

// phragmen is pabutools' sequential_phragmen for approval ballots. Loads
// are kept per class like Equal Shares budgets: all supporters of a bought
// project get the same new load, so there are at most rounds+1 classes.
func (pr *profile) phragmen() *Outcome {
	np := len(pr.ids)
	o := &Outcome{Projects: make([]Explanation, np), total: new(big.Rat)}
	for p := range np {
		o.Projects[p] = Explanation{ID: pr.ids[p], Cost: pr.costs[p].RatString(), Supporters: pr.nsupp[p]}
	}
	loads := []*big.Rat{new(big.Rat)}
	cls := make([]int32, len(pr.mult))
	left := new(big.Rat).Set(pr.budget)
	var remaining []int
	for p := range np {
		if pr.costs[p].Cmp(pr.budget) > 0 {
			o.Projects[p].Reason = fmt.Sprintf("costs %s, more than the whole budget of %s", Amount(pr.costs[p]), Amount(pr.budget))
			continue
		}
		remaining = append(remaining, p)
	}
	var cnt []int64
	var touched []int32
	round := 0
	for len(remaining) > 0 {
		var best *big.Rat // nil = +inf
		var ties []int
		for _, p := range remaining {
			var t *big.Rat
			if pr.nsupp[p] > 0 {
				if len(cnt) < len(loads) {
					cnt = make([]int64, 2*len(loads))
				}
				touched = touched[:0]
				for _, s := range pr.supp[p] {
					c := cls[s.g]
					if cnt[c] == 0 {
						touched = append(touched, c)
					}
					cnt[c] += pr.mult[s.g]
				}
				t = new(big.Rat).Set(pr.costs[p])
				for _, c := range touched {
					t.Add(t, mulInt(loads[c], cnt[c]))
					cnt[c] = 0
				}
				t.Quo(t, big.NewRat(pr.nsupp[p], 1))
			}
			switch {
			case len(ties) == 0:
				best, ties = t, []int{p}
			case t == nil && best == nil:
				ties = append(ties, p)
			case t == nil:
			case best == nil || t.Cmp(best) < 0:
				best, ties = t, []int{p}
			case t.Cmp(best) == 0:
				ties = append(ties, p)
			}
		}
		stop := -1
		for _, p := range ties {
			if pr.costs[p].Cmp(left) > 0 && (stop < 0 || pr.ids[p] < pr.ids[stop]) {
				stop = p
			}
		}
		if stop >= 0 {
			for _, p := range remaining {
				e := &o.Projects[p]
				if p == stop {
					e.Reason = fmt.Sprintf("Phragmén reached it next (lowest load) but it needed %s, %s left, so the rule stopped", Amount(pr.costs[p]), Amount(left))
				} else {
					e.Reason = fmt.Sprintf("Phragmén stopped before reaching it (%s, tied or next, needed %s with %s left)", pr.ids[stop], Amount(pr.costs[stop]), Amount(left))
				}
			}
			break
		}
		win := ties[0]
		for _, p := range ties[1:] {
			if pr.ids[p] < pr.ids[win] {
				win = p
			}
		}
		round++
		left.Sub(left, pr.costs[win])
		o.total.Add(o.total, pr.costs[win])
		o.SelectionOrder = append(o.SelectionOrder, pr.ids[win])
		e := &o.Projects[win]
		e.Funded, e.Stage, e.Position = true, "phragmen", round
		if best != nil {
			loads = append(loads, best)
			nc := int32(len(loads) - 1)
			for _, s := range pr.supp[win] {
				cls[s.g] = nc
			}
			e.Load = best.RatString()
			e.Reason = fmt.Sprintf("chosen in round %d of Phragmén: the load of its %s rose to %s, the lowest possible; it cost %s",
				round, Count(pr.nsupp[win], "supporter", "supporters"), Amount(best), Amount(pr.costs[win]))
		} else {
			e.Reason = fmt.Sprintf("chosen in round %d of Phragmén although nobody supports it: only unsupported projects were left and all fitted", round)
		}
		for i, p := range remaining {
			if p == win {
				remaining = append(remaining[:i:i], remaining[i+1:]...)
				break
			}
		}
	}
	// pabutools returns Phragmén's allocation ordered by id; the order of
	// purchase stays in each explanation's Position.
	sort.Strings(o.SelectionOrder)
	return o
}
