package allocation

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
)

// The Method of Equal Shares (pabutools method_of_equal_shares, resolute,
// lexicographic tie-breaking).
//
// Voters with identical ballots always hold identical budgets, so they are
// merged into groups. Budgets are further shared through "classes": every
// group points to a class holding its exact remaining budget, and paying
// for a project moves all groups of one class (and one utility) to the same
// new class. The expensive big.Rat arithmetic is done once per class, not
// per voter; the per-voter work is integer bookkeeping.
//
// Each project's price per unit of satisfaction ρ can only grow as budgets
// shrink, so the last computed ρ is a lower bound: a round evaluates the
// candidates by increasing lower bound and stops as soon as that bound
// exceeds the best ρ found (the pruning pabutools uses too).

type mesRun struct {
	pr *profile
	// Class budgets share one denominator d: class c's voters each have
	// vnum[c]/d left (class 0: nothing). Sums and comparisons are then
	// integer operations; d grows (by lcm) only when a payment needs it.
	d    big.Int
	vnum []*big.Int
	cls  []int32 // group -> class
	// scratch, indexed by class*maxNu + utility index
	cnt     []int64
	touched []int32
	memo    []int32
	memoCnt []int64
	stamp   []int32
	epoch   int32
}

type mesEntry struct {
	c     int32
	u     int32
	count int64
}

func (m *mesRun) grow() {
	need := len(m.vnum) * m.pr.maxNu
	if len(m.cnt) >= need {
		return
	}
	n := max(need, 2*len(m.cnt))
	m.cnt = append(m.cnt, make([]int64, n-len(m.cnt))...)
	m.memo = append(m.memo, make([]int32, n-len(m.memo))...)
	m.memoCnt = append(m.memoCnt, make([]int64, n-len(m.memoCnt))...)
	m.stamp = append(m.stamp, make([]int32, n-len(m.stamp))...)
}

// entries aggregates p's supporters with money left by (class, utility).
func (m *mesRun) entries(p int, buf []mesEntry) []mesEntry {
	nu := int32(m.pr.maxNu)
	mult := m.pr.mult
	m.touched = m.touched[:0]
	for _, s := range m.pr.supp[p] {
		c := m.cls[s.g]
		if c == 0 {
			continue
		}
		k := c*nu + s.u
		if m.cnt[k] == 0 {
			m.touched = append(m.touched, k)
		}
		m.cnt[k] += mult[s.g]
	}
	buf = buf[:0]
	for _, k := range m.touched {
		buf = append(buf, mesEntry{c: k / nu, u: k % nu, count: m.cnt[k]})
		m.cnt[k] = 0
	}
	return buf
}

// money is the supporters' total remaining budget.
func (m *mesRun) money(es []mesEntry) *big.Rat {
	var t, x big.Int
	for _, e := range es {
		x.SetInt64(e.count)
		t.Add(&t, x.Mul(&x, m.vnum[e.c]))
	}
	return new(big.Rat).SetFrac(&t, &m.d)
}

// rho is the smallest ρ with Σ min(b_i, ρ·u_i) = cost(p), or nil when the
// supporters cannot afford p (Σ b_i < cost). It iterates from below:
// ρ ← (cost − Σ_{capped} b_i) / Σ_{uncapped} u_i, where capped = {b_i < ρ·u_i};
// ρ only grows, and stops at the exact solution.
func (m *mesRun) rho(p int, es []mesEntry) *big.Rat {
	uv := m.pr.uvals[p]
	cost := m.pr.costs[p]
	perU := make([]int64, len(uv))
	for _, e := range es {
		perU[e.u] += e.count
	}
	cappedU := make([]int64, len(uv))
	weight := func() *big.Rat {
		w := new(big.Rat)
		for u, n := range perU {
			if n-cappedU[u] > 0 {
				w.Add(w, mulInt(uv[u], n-cappedU[u]))
			}
		}
		return w
	}
	w := weight()
	if w.Sign() == 0 {
		return nil
	}
	rho := new(big.Rat).Quo(cost, w)
	uncapped := len(es)
	capped := make([]bool, len(es))
	var cappedB, x, cnt big.Int // Σ capped budgets, over d
	// b < ρ·u  ⇔  vnum·Q < P·d  with ρ·u = P/Q
	thrPD := make([]*big.Int, len(uv))
	thrQ := make([]*big.Int, len(uv))
	for {
		for u := range uv {
			thrPD[u] = nil
		}
		changed := false
		for i, e := range es {
			if capped[i] {
				continue
			}
			if thrPD[e.u] == nil {
				t := new(big.Rat).Mul(rho, uv[e.u])
				thrPD[e.u] = new(big.Int).Mul(t.Num(), &m.d)
				thrQ[e.u] = new(big.Int).Set(t.Denom())
			}
			v := m.vnum[e.c]
			if q := thrQ[e.u]; !q.IsInt64() || q.Int64() != 1 {
				v = x.Mul(v, q)
			}
			if v.Cmp(thrPD[e.u]) < 0 {
				capped[i] = true
				changed = true
				uncapped--
				cnt.SetInt64(e.count)
				cappedB.Add(&cappedB, cnt.Mul(&cnt, m.vnum[e.c]))
				cappedU[e.u] += e.count
			}
		}
		if !changed {
			return rho
		}
		if uncapped == 0 {
			// Everybody would give all they have and it is not enough:
			// Σ b_i < cost (if Σ b_i = cost the last entries stay uncapped).
			return nil
		}
		num := new(big.Rat).Sub(cost, new(big.Rat).SetFrac(&cappedB, &m.d))
		rho.Quo(num, weight())
	}
}

// pay makes p's supporters pay min(b_i, ρ·u_i) and returns the summary.
func (m *mesRun) pay(p int, rho *big.Rat) *Shares {
	pr := m.pr
	nu := int32(pr.maxNu)
	uv := pr.uvals[p]
	m.epoch++
	sh := &Shares{Rho: rho.RatString()}
	shares := make([]*big.Rat, len(uv))
	fullByU := make([]int64, len(uv))
	var partialNum big.Int
	var keys []int32
	nOld := int32(len(m.vnum))
	// Bring d to a multiple of every share's denominator.
	for _, s := range pr.supp[p] {
		if shares[s.u] == nil {
			shares[s.u] = new(big.Rat).Mul(rho, uv[s.u])
		}
	}
	var g, f big.Int
	for _, sr := range shares {
		if sr == nil {
			continue
		}
		q := sr.Denom()
		g.GCD(nil, nil, &m.d, q)
		f.Quo(q, &g)
		if !f.IsInt64() || f.Int64() != 1 {
			for c := 1; c < len(m.vnum); c++ {
				m.vnum[c].Mul(m.vnum[c], &f)
			}
			m.d.Mul(&m.d, &f)
		}
	}
	shareNum := make([]*big.Int, len(uv))
	for u, sr := range shares {
		if sr != nil {
			shareNum[u] = new(big.Int).Mul(sr.Num(), new(big.Int).Quo(&m.d, sr.Denom()))
		}
	}
	for _, s := range pr.supp[p] {
		c := m.cls[s.g]
		if c == 0 {
			sh.NothingLeft += pr.mult[s.g]
			continue
		}
		k := c*nu + s.u
		if c < nOld && m.stamp[k] == m.epoch {
			m.cls[s.g] = m.memo[k]
			m.memoCnt[k] += pr.mult[s.g]
			continue
		}
		b := m.vnum[c]
		nc := int32(0)
		if b.Cmp(shareNum[s.u]) > 0 {
			m.vnum = append(m.vnum, new(big.Int).Sub(b, shareNum[s.u]))
			nc = int32(len(m.vnum) - 1)
		}
		m.stamp[k] = m.epoch
		m.memo[k] = nc
		m.memoCnt[k] = pr.mult[s.g]
		keys = append(keys, k)
		m.cls[s.g] = nc
	}
	for _, k := range keys {
		c, u := k/nu, k%nu
		if m.vnum[c].Cmp(shareNum[u]) >= 0 {
			fullByU[u] += m.memoCnt[k]
		} else {
			sh.PartialPayers += m.memoCnt[k]
			f.SetInt64(m.memoCnt[k])
			partialNum.Add(&partialNum, f.Mul(&f, m.vnum[c]))
		}
	}
	m.grow()
	for u, n := range fullByU {
		if n > 0 {
			sh.Full = append(sh.Full, ShareGroup{Utility: uv[u].RatString(), Share: shares[u].RatString(), Payers: n})
		}
	}
	sort.Slice(sh.Full, func(i, j int) bool { return sh.Full[i].Payers > sh.Full[j].Payers })
	sh.PartialTotal = new(big.Rat).SetFrac(&partialNum, &m.d).RatString()
	return sh
}

// mes runs Equal Shares once with the given budget per voter.
func (pr *profile) mes(perVoter *big.Rat) *Outcome {
	np := len(pr.ids)
	o := &Outcome{Projects: make([]Explanation, np), total: new(big.Rat)}
	for p := range np {
		o.Projects[p] = Explanation{ID: pr.ids[p], Cost: pr.costs[p].RatString(), Supporters: pr.nsupp[p]}
	}
	m := &mesRun{pr: pr, vnum: []*big.Int{new(big.Int), new(big.Int).Set(perVoter.Num())}, cls: make([]int32, len(pr.mult))}
	m.d.Set(perVoter.Denom())
	if perVoter.Sign() > 0 {
		for g := range m.cls {
			m.cls[g] = 1
		}
	}
	m.grow()
	selected := make([]bool, np)
	var pre, cand []int
	for p := range np {
		if pr.totalSat[p].Sign() <= 0 {
			continue
		}
		if pr.costs[p].Sign() == 0 {
			pre = append(pre, p)
		} else {
			cand = append(cand, p)
		}
	}
	sort.Slice(pre, func(i, j int) bool { return pr.ids[pre[i]] < pr.ids[pre[j]] })
	for _, p := range pre {
		selected[p] = true
		o.SelectionOrder = append(o.SelectionOrder, pr.ids[p])
		o.Projects[p].Funded = true
		o.Projects[p].Stage = "zero_cost"
		o.Projects[p].Reason = "costs nothing and has supporters, so Equal Shares funds it first"
	}
	lower := make([]*big.Rat, np)
	for _, p := range cand {
		lower[p] = new(big.Rat)
	}
	var buf []mesEntry
	round := 0
	for len(cand) > 0 {
		sort.Slice(cand, func(i, j int) bool {
			if c := lower[cand[i]].Cmp(lower[cand[j]]); c != 0 {
				return c < 0
			}
			return pr.ids[cand[i]] < pr.ids[cand[j]]
		})
		var best *big.Rat
		var ties []int
		next := cand[:0:0]
		for i, p := range cand {
			if best != nil && lower[p].Cmp(best) > 0 {
				next = append(next, cand[i:]...)
				break
			}
			buf = m.entries(p, buf)
			r := m.rho(p, buf)
			if r == nil {
				continue // dropped for good: budgets only shrink
			}
			lower[p] = r
			next = append(next, p)
			switch {
			case best == nil || r.Cmp(best) < 0:
				best, ties = r, append(ties[:0], p)
			case r.Cmp(best) == 0:
				ties = append(ties, p)
			}
		}
		cand = next
		if best == nil {
			break
		}
		win := ties[0]
		for _, p := range ties[1:] {
			if pr.ids[p] < pr.ids[win] {
				win = p
			}
		}
		round++
		sh := m.pay(win, best)
		selected[win] = true
		o.total.Add(o.total, pr.costs[win])
		o.SelectionOrder = append(o.SelectionOrder, pr.ids[win])
		e := &o.Projects[win]
		e.Funded, e.Stage, e.Shares = true, "equal_shares", sh
		e.Reason = fmt.Sprintf("chosen in round %d of Equal Shares at the lowest price per unit of satisfaction (%s): %s",
			round, best.RatString(), describeShares(sh))
		for i, p := range cand {
			if p == win {
				cand = append(cand[:i:i], cand[i+1:]...)
				break
			}
		}
	}
	o.explainUnfunded = func() { m.explainUnfunded(o, selected) }
	return o
}

// explainUnfunded says why the others were not funded: at the end of the
// run none is affordable. Done only for the outcome that is returned.
func (m *mesRun) explainUnfunded(o *Outcome, selected []bool) {
	pr := m.pr
	var buf []mesEntry
	for p := range len(pr.ids) {
		if selected[p] {
			continue
		}
		e := &o.Projects[p]
		if pr.totalSat[p].Sign() <= 0 {
			e.Reason = "no voter supports it, and Equal Shares funds only what its supporters pay for"
			continue
		}
		buf = m.entries(p, buf)
		left := m.money(buf)
		e.Reason = fmt.Sprintf("its supporters' shares ran out: its %d supporters had %s left together, it needed %s",
			pr.nsupp[p], Amount(left), Amount(pr.costs[p]))
	}
}

func describeShares(sh *Shares) string {
	var parts []string
	for _, f := range sh.Full {
		r, _ := new(big.Rat).SetString(f.Share)
		if len(sh.Full) > 1 {
			parts = append(parts, fmt.Sprintf("%d supporters (satisfaction %s) paid %s each", f.Payers, f.Utility, Amount(r)))
		} else {
			parts = append(parts, fmt.Sprintf("%d supporters paid %s each", f.Payers, Amount(r)))
		}
	}
	if sh.PartialPayers > 0 {
		r, _ := new(big.Rat).SetString(sh.PartialTotal)
		parts = append(parts, fmt.Sprintf("%d paid all they had left (%s together)", sh.PartialPayers, Amount(r)))
	}
	if sh.NothingLeft > 0 {
		parts = append(parts, fmt.Sprintf("%d had nothing left", sh.NothingLeft))
	}
	return strings.Join(parts, "; ")
}

// exhaustive: no MES candidate (cost > 0, some support) left out fits in
// the budget that remains.
func (pr *profile) exhaustive(o *Outcome) bool {
	left := new(big.Rat).Sub(pr.budget, o.total)
	for p, e := range o.Projects {
		if !e.Funded && pr.costs[p].Sign() > 0 && pr.totalSat[p].Sign() > 0 && pr.costs[p].Cmp(left) <= 0 {
			return false
		}
	}
	return true
}

// mesAdd is Equal Shares with voter_budget_increment = inc: run from
// scratch with B/n + k·inc per voter for k = 0, 1, …; return the previous
// outcome as soon as one costs more than B, or the first outcome that is
// exhaustive over the MES candidates.
func (pr *profile) mesAdd(inc int64) *Outcome {
	b0 := pr.initialVoterBudget()
	per := new(big.Rat).Set(b0)
	step := big.NewRat(inc, 1)
	prev := pr.mes(new(big.Rat)) // zero-cost supported projects only
	prevBudget := new(big.Rat).Set(b0)
	runs := 0
	for {
		out := pr.mes(per)
		runs++
		if out.total.Cmp(pr.budget) > 0 {
			prev.ReturnedVoterBudget = prevBudget.RatString()
			prev.InnerRuns = runs
			prev.InitialVoterBudget = b0.RatString()
			return prev
		}
		out.ReturnedVoterBudget = per.RatString()
		if pr.exhaustive(out) {
			out.InnerRuns = runs
			out.InitialVoterBudget = b0.RatString()
			return out
		}
		prev, prevBudget = out, new(big.Rat).Set(per)
		per.Add(per, step)
	}
}
