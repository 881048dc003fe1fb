package allocation

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// The Method of Equal Shares (pabutools method_of_equal_shares, resolute,
// lexicographic tie-breaking), computed exactly with integers.
//
// Voters with identical ballots always hold identical budgets, so they are
// merged into groups. Budgets are further shared through "classes": every
// group points to a class holding its exact remaining budget, and paying
// for a project moves all groups of one class (and one utility) to the same
// new class. The arithmetic is done once per class, not per voter; the
// per-voter work is integer bookkeeping.
//
// All budgets are integers over one common denominator d (a budget is
// value/d), so comparing a budget with a share is an integer comparison.
// The integers are fixed-width (nat.go), wide enough for every value of the
// run. Paying for a project may make d grow (by the factor the new share
// needs); rather than multiplying every class by that factor, a class
// remembers the epoch (value of d) its integer is expressed in, and
// fac[e] = d/d_e brings it up to date when it is next used.
//
// Each project's price per unit of satisfaction ρ can only grow as budgets
// shrink, so the last computed ρ is a lower bound: after the first round
// (which evaluates every candidate), a round evaluates the candidates by
// increasing lower bound (a heap) and stops as soon as that bound exceeds
// the best ρ found (the pruning pabutools uses too). A project none of
// whose supporters paid since its ρ was computed keeps that ρ exactly and
// is not evaluated again. ρ is kept as an unreduced fraction of big
// integers with bounds (nat.go) that order most pairs without
// multiplying them.
//
// A run can explain itself (who paid what, why the others were not funded)
// or, inside the add<K> loop, only record what it selected; the loop runs
// again with explanations the one outcome it returns.

type mesRun struct {
	pr      *profile
	explain bool

	// p's supporters are at [start[p], end[p]) in pr.flatG, pr.flatU, or,
	// once own[p], in this run's copies sg, su, from which the groups with
	// nothing left are dropped now and then.
	sg  []uint64
	su  []int32
	end []int32
	own []bool
	cls []int32 // group -> class; class 0: nothing left

	// Class c's voters each have vals[c·w:(c+1)·w]/d_e left, e = vep[c],
	// d_e = d/fac[e]. cost(p)·d_e, e = costEp[p], is kept the same way.
	d      big.Int
	epoch  int32
	fac    []*big.Int
	w      int // width of the numbers, in words
	extra  int // bits a value may have beyond those of d
	vals   []word
	vep    []int32
	ncls   int32
	costs  []word
	costEp []int32
	nums   []word // scratch numbers (see num)

	// scratch, indexed by class*maxNu + utility index
	cnt     []int32
	touched []int32
	memo    []int32 // pay: the new class of (class, utility)

	perU   []int64
	cutU   []int64
	xb     big.Int
	t1, t2 big.Int

	// The candidate being evaluated and the best one of the round.
	cur, best *mesEval

	lower []mesFrac // per project: a lower bound of ρ
	heap  []int32
	// exact[p]: lower[p] is p's ρ, none of its supporters having paid
	// since it was computed; fresh[p]: none of its supporters has paid yet.
	exact, fresh []bool

	// abandon, when set, is asked between rounds whether the run is still
	// wanted; abandoned reports that it was not (and the run stopped).
	abandon   func() bool
	abandoned bool
}

// mesEntry is count supporters of a project in class c with utility
// index u.
type mesEntry struct {
	c     int32
	u     int32
	count int64
}

// mesFrac is a fraction n/d (n ≥ 0, d > 0), not necessarily reduced,
// with bounds lo ≤ n/d ≤ hi that order most pairs without multiplying.
type mesFrac struct {
	n, d   big.Int
	lo, hi bound
}

// bound sets lo and hi.
func (f *mesFrac) bound() {
	if f.n.Sign() == 0 {
		f.lo, f.hi = bound{}, bound{}
		return
	}
	nl, nh := approxOf(f.n.Bits())
	dl, dh := approxOf(f.d.Bits())
	f.lo, f.hi = quoBound(nl, dh, false), quoBound(nh, dl, true)
}

func (f *mesFrac) set(g *mesFrac) {
	f.n.Set(&g.n)
	f.d.Set(&g.d)
	f.lo, f.hi = g.lo, g.hi
}

func (f *mesFrac) cmp(g *mesFrac, t1, t2 *big.Int) int {
	if cmpBound(f.hi, g.lo) < 0 {
		return -1
	}
	if cmpBound(f.lo, g.hi) > 0 {
		return 1
	}
	t1.Mul(&f.n, &g.d)
	t2.Mul(&g.n, &f.d)
	return t1.Cmp(t2)
}

// mesEval is what evaluating a candidate found: ρ = x/(W·d), where
// x = cost·d − Σ capped budgets·d and W is the uncapped weight: nunc
// voters of the project's single utility, or w.
//
// ents are p's supporters with money left, by (class, utility), and
// capped[i] tells whether ents[i] pays less than its share (all it has).
type mesEval struct {
	p      int
	rho    mesFrac
	x      []word
	nunc   int64
	w      big.Rat
	single bool
	ents   []mesEntry
	capped []bool
}

// scratch numbers: 0 = x (eval), 1 = Σ capped budgets, 2 = money; then
// one threshold or share per utility.
const (
	numX = iota
	numCap
	numMoney
	numThr
)

func newMESRun(pr *profile, explain bool) *mesRun {
	pr.flatOnce.Do(pr.flatten)
	np := len(pr.ids)
	m := &mesRun{pr: pr, explain: explain,
		sg:     make([]uint64, len(pr.flatG)),
		su:     make([]int32, len(pr.flatU)),
		end:    make([]int32, np),
		cls:    make([]int32, len(pr.mult)),
		costEp: make([]int32, np),
		lower:  make([]mesFrac, np),
		exact:  make([]bool, np),
		fresh:  make([]bool, np),
		perU:   make([]int64, pr.maxNu),
		cutU:   make([]int64, pr.maxNu),
		cur:    new(mesEval),
		best:   new(mesEval),
		own:    make([]bool, np),
	}
	return m
}

func (m *mesRun) slot(c int32) []word {
	i := int(c) * m.w
	return m.vals[i : i+m.w : i+m.w]
}

func (m *mesRun) num(i int) []word {
	i *= m.w
	return m.nums[i : i+m.w : i+m.w]
}

// fit widens the numbers if d has grown too much for them: a value of the
// run is at most max(cost, n·budget per voter)·d < 2^(bits(d)+extra).
func (m *mesRun) fit() {
	need := (m.d.BitLen() + m.extra + bits.UintSize - 1) / bits.UintSize
	if need <= m.w {
		return
	}
	relayout := func(old []word, n int) []word {
		nv := make([]word, n*need, max(n, 2)*need*2)
		for i := range n {
			copy(nv[i*need:], old[i*m.w:(i+1)*m.w])
		}
		return nv
	}
	m.vals = relayout(m.vals, int(m.ncls))
	m.costs = relayout(m.costs, len(m.pr.ids))
	m.w = need
	m.nums = make([]word, (numThr+m.pr.maxNu)*need)
}

// reset prepares a run from scratch with the given budget per voter.
func (m *mesRun) reset(perVoter *big.Rat) {
	pr := m.pr
	copy(m.end, pr.start[1:])
	clear(m.own)
	var g big.Int
	g.GCD(nil, nil, &pr.costDen, perVoter.Denom())
	m.d.Mul(perVoter.Denom(), g.Quo(&pr.costDen, &g))
	bound := new(big.Rat).Mul(perVoter, new(big.Rat).SetInt64(pr.n))
	if bound.Cmp(pr.maxCost) < 0 {
		bound.Set(pr.maxCost)
	}
	m.extra = new(big.Int).Quo(bound.Num(), bound.Denom()).BitLen() + 2
	m.epoch = 0
	if len(m.fac) == 0 {
		m.fac = append(m.fac, new(big.Int))
	}
	m.fac[0].SetInt64(1)
	m.ncls = 0
	m.fit() // keeps the width of an earlier run if that was wider
	m.newClass()
	m.newClass()
	clear(m.slot(0))
	var v big.Int
	natSet(m.slot(1), v.Mul(perVoter.Num(), v.Quo(&m.d, perVoter.Denom())), false)
	first := int32(0)
	if perVoter.Sign() > 0 {
		first = 1
	}
	for g := range m.cls {
		m.cls[g] = first
	}
	for p, c := range pr.costs {
		natSet(m.costs[p*m.w:(p+1)*m.w], v.Mul(c.Num(), v.Quo(&m.d, c.Denom())), false)
		m.costEp[p] = 0
		m.fresh[p] = first == 1
		m.exact[p] = false
	}
	m.grow()
}

// newClass returns a new class (its value is to be set).
func (m *mesRun) newClass() int32 {
	c := m.ncls
	m.ncls++
	if need := int(m.ncls) * m.w; need > len(m.vals) {
		m.vals = append(m.vals, make([]word, max(need, 2*len(m.vals))-len(m.vals))...)
	}
	if int(c) == len(m.vep) {
		m.vep = append(m.vep, 0)
	}
	m.vep[c] = m.epoch
	return c
}

func (m *mesRun) grow() {
	need := int(m.ncls) * m.pr.maxNu
	if len(m.cnt) >= need {
		return
	}
	n := max(need, 2*len(m.cnt))
	m.cnt = append(m.cnt, make([]int32, n-len(m.cnt))...)
	m.memo = append(m.memo, make([]int32, n-len(m.memo))...)
}

// budget returns class c's budget·d.
func (m *mesRun) budget(c int32) []word {
	if m.vep[c] != m.epoch {
		m.rescale(c)
	}
	return m.slot(c)
}

// rescale brings class c's number over the current d.
func (m *mesRun) rescale(c int32) {
	if c != 0 {
		v := m.slot(c)
		natMulTo(v, m.fac[m.vep[c]].Bits())
	}
	m.vep[c] = m.epoch
}

// cost returns cost(p)·d.
func (m *mesRun) cost(p int) []word {
	v := m.costs[p*m.w : (p+1)*m.w]
	if e := m.costEp[p]; e != m.epoch {
		natMulTo(v, m.fac[e].Bits())
		m.costEp[p] = m.epoch
	}
	return v
}

// scale multiplies d by f (> 1): a new epoch.
func (m *mesRun) scale(f *big.Int) {
	m.d.Mul(&m.d, f)
	for e := int32(0); e <= m.epoch; e++ {
		m.fac[e].Mul(m.fac[e], f)
	}
	m.epoch++
	if int(m.epoch) == len(m.fac) {
		m.fac = append(m.fac, new(big.Int))
	}
	m.fac[m.epoch].SetInt64(1)
	m.fit()
}

// bigOf sets z = x, in z's own storage.
func bigOf(z *big.Int, x []word) *big.Int {
	return z.SetBits(append(z.Bits()[:0], x...))
}

// list returns p's supporters: groups (g | multiplicity<<32) and
// utility indices (nil: all 0).
func (m *mesRun) list(p int) ([]uint64, []int32) {
	a, b := m.pr.start[p], m.end[p]
	g, u := m.pr.flatG, m.pr.flatU
	if m.own[p] {
		g, u = m.sg, m.su
	}
	if m.pr.flatU == nil {
		return g[a:b], nil
	}
	return g[a:b], u[a:b]
}

// compact drops from p's list the groups that have nothing left.
func (m *mesRun) compact(p int) {
	g, u := m.list(p)
	a := m.pr.start[p]
	dg := m.sg[a : int(a)+len(g)]
	j := 0
	for i, w := range g {
		if m.cls[uint32(w)] != 0 {
			dg[j] = w
			if u != nil {
				m.su[int(a)+j] = u[i]
			}
			j++
		}
	}
	m.end[p] = a + int32(j)
	m.own[p] = true
}

// entries aggregates p's supporters with money left by (class, utility).
func (m *mesRun) entries(p int) {
	ev := m.cur
	ev.ents = ev.ents[:0]
	if m.fresh[p] {
		// Everybody still has the initial budget (class 1).
		for u, n := range m.pr.ucount[p] {
			if n > 0 {
				ev.ents = append(ev.ents, mesEntry{c: 1, u: int32(u), count: n})
			}
		}
		return
	}
	nu := int32(m.pr.maxNu)
	touched, cls, cnt := m.touched[:0], m.cls, m.cnt
	g, us := m.list(p)
	dead := 0
	if us == nil {
		for _, w := range g {
			c := cls[uint32(w)]
			if c == 0 {
				dead++
				continue
			}
			if cnt[c] == 0 {
				touched = append(touched, c)
			}
			cnt[c] += int32(w >> 32)
		}
	} else {
		for i, w := range g {
			c := cls[uint32(w)]
			if c == 0 {
				dead++
				continue
			}
			k := c*nu + us[i]
			if cnt[k] == 0 {
				touched = append(touched, k)
			}
			cnt[k] += int32(w >> 32)
		}
	}
	m.touched = touched
	if dead > len(g)/8 {
		m.compact(p)
	}
	for _, k := range touched {
		ev.ents = append(ev.ents, mesEntry{c: k / nu, u: k % nu, count: int64(cnt[k])})
		cnt[k] = 0
	}
}

// money is the total remaining budget of the entries, times d.
func (m *mesRun) money() *big.Int {
	t := m.num(numMoney)
	clear(t)
	for _, e := range m.cur.ents {
		natAddMulWord(t, m.budget(e.c), uint(e.count))
	}
	return natBig(t)
}

// eval computes ρ for p from the entries, the smallest ρ with
// Σ min(b_i, ρ·u_i) = cost(p), into m.cur; false when the supporters cannot
// afford p (Σ b_i < cost). It iterates from below: with capped = {b_i <
// ρ·u_i}, ρ ← (cost − Σ_{capped} b_i) / Σ_{uncapped} u_i; ρ only grows and
// stops at the exact solution. Times d: x = cost·d − Σ capped budgets·d,
// and b_i < ρ·u_i ⇔ b_i·d < x·u_i/W ⇔ b_i·d < ⌈x·u_i/W⌉ (integers).
func (m *mesRun) eval(p int) bool {
	pr := m.pr
	uv := pr.uvals[p]
	single := len(uv) == 1
	ev := m.cur
	ev.p, ev.single = p, single
	perU, cutU := m.perU[:len(uv)], m.cutU[:len(uv)]
	clear(perU)
	clear(cutU)
	for _, e := range ev.ents {
		perU[e.u] += e.count
	}
	if cap(ev.capped) < len(ev.ents) {
		ev.capped = make([]bool, len(ev.ents), 2*len(ev.ents))
	}
	capped := ev.capped[:len(ev.ents)]
	ev.capped = capped
	clear(capped)
	cost := m.cost(p)
	if single && m.fresh[p] {
		// All n supporters have the initial budget b: they can afford p
		// iff n·b ≥ cost, and then ρ = cost/(n·u) (nobody is capped), a
		// small fraction, cheap to compare.
		n := perU[0]
		t := m.num(numMoney)
		clear(t)
		natAddMulWord(t, m.budget(1), uint(n))
		if natCmp(t, cost) < 0 {
			return false
		}
		c, u := pr.costs[p], uv[0]
		ev.nunc = n
		ev.x = append(ev.x[:0], cost...)
		ev.rho.n.Mul(c.Num(), u.Denom())
		ev.rho.d.Mul(c.Denom(), m.t1.SetInt64(n))
		ev.rho.d.Mul(&ev.rho.d, u.Num())
		ev.rho.bound()
		return true
	}
	x := m.num(numX)
	copy(x, cost)
	sCap := m.num(numCap)
	clear(sCap)
	var nunc int64
	for {
		// The uncapped weight and the thresholds ⌈x·u/W⌉.
		if single {
			nunc = perU[0] - cutU[0]
			if nunc == 0 {
				// Everybody would give all they have and it is not enough:
				// Σ b_i < cost (if Σ b_i = cost the last entries stay uncapped).
				return false
			}
			thr := m.num(numThr)
			if natDivWord(thr, x, uint(nunc)) != 0 {
				natInc(thr)
			}
		} else {
			w := &ev.w
			w.SetInt64(0)
			for u, n := range perU {
				if n-cutU[u] > 0 {
					w.Add(w, mulInt(uv[u], n-cutU[u]))
				}
			}
			if w.Sign() == 0 {
				return false
			}
			var r big.Rat
			var c big.Int
			bigOf(&m.xb, x)
			for u := range uv {
				r.SetInt(&m.xb)
				r.Mul(&r, uv[u])
				r.Quo(&r, w)
				natSet(m.num(numThr+u), ceilRat(&c, &r), true)
			}
		}
		changed := false
		vep, epoch, w := m.vep, m.epoch, m.w
		for i, e := range ev.ents {
			if capped[i] {
				continue
			}
			if vep[e.c] != epoch {
				m.rescale(e.c)
			}
			v := m.vals[int(e.c)*w : int(e.c+1)*w]
			if natCmp(v, m.num(numThr+int(e.u))) < 0 {
				capped[i] = true
				changed = true
				cutU[e.u] += e.count
				natAddMulWord(sCap, v, uint(e.count))
			}
		}
		if !changed {
			break
		}
		natSub(x, cost, sCap)
	}
	ev.x = append(ev.x[:0], x...)
	bigOf(&m.xb, x)
	// ρ = x/(W·d).
	if single {
		ev.nunc = nunc
		u := uv[0]
		ev.rho.n.Mul(&m.xb, u.Denom())
		ev.rho.d.Mul(m.t1.SetInt64(nunc), u.Num())
		ev.rho.d.Mul(&ev.rho.d, &m.d)
	} else {
		ev.rho.n.Mul(&m.xb, ev.w.Denom())
		ev.rho.d.Mul(ev.w.Num(), &m.d)
	}
	ev.rho.bound()
	return true
}

// ceilRat sets z = ⌈r⌉ (r ≥ 0).
func ceilRat(z *big.Int, r *big.Rat) *big.Int {
	var m big.Int
	z.QuoRem(r.Num(), r.Denom(), &m)
	if m.Sign() != 0 {
		z.Add(z, big.NewInt(1))
	}
	return z
}

// before reports whether candidate a (with ρ ra) comes before b (ρ rb):
// smaller ρ, ties by id.
func (m *mesRun) before(ra *mesFrac, a int, rb *mesFrac, b int) bool {
	if c := ra.cmp(rb, &m.t1, &m.t2); c != 0 {
		return c < 0
	}
	return m.pr.ids[a] < m.pr.ids[b]
}

func (m *mesRun) heapLess(i, j int) bool {
	a, b := int(m.heap[i]), int(m.heap[j])
	return m.before(&m.lower[a], a, &m.lower[b], b)
}

func (m *mesRun) siftUp(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !m.heapLess(i, parent) {
			break
		}
		m.heap[i], m.heap[parent] = m.heap[parent], m.heap[i]
		i = parent
	}
}

func (m *mesRun) siftDown(i int) {
	n := len(m.heap)
	for {
		l, r, s := 2*i+1, 2*i+2, i
		if l < n && m.heapLess(l, s) {
			s = l
		}
		if r < n && m.heapLess(r, s) {
			s = r
		}
		if s == i {
			return
		}
		m.heap[i], m.heap[s] = m.heap[s], m.heap[i]
		i = s
	}
}

func (m *mesRun) heapPop() int {
	top := int(m.heap[0])
	last := len(m.heap) - 1
	m.heap[0] = m.heap[last]
	m.heap = m.heap[:last]
	m.siftDown(0)
	return top
}

// pay makes the supporters of the best candidate pay min(b_i, ρ·u_i); with
// explanations, it returns who paid what.
func (m *mesRun) pay() *Shares {
	pr := m.pr
	ev := m.best
	p := ev.p
	uv := pr.uvals[p]
	nu := int32(pr.maxNu)
	// share_u·d = x·u/W. Bring d to a multiple of every share's
	// denominator (d·f) and the shares times the new d into the thresholds.
	x := bigOf(&m.xb, ev.x)
	var f big.Int
	shares := make([]big.Int, len(uv)) // share_u·d·f
	if ev.single {
		var g, r big.Int
		n := big.NewInt(ev.nunc)
		g.GCD(nil, nil, r.Rem(x, n), n)
		f.Quo(n, &g)
		shares[0].Quo(x, &g)
	} else {
		rs := make([]big.Rat, len(uv))
		f.SetInt64(1)
		var g big.Int
		for u := range uv {
			s := &rs[u]
			s.SetInt(x)
			s.Mul(s, uv[u])
			s.Quo(s, &ev.w)
			g.GCD(nil, nil, &f, s.Denom())
			f.Mul(&f, g.Quo(s.Denom(), &g))
		}
		for u := range uv {
			s := &rs[u]
			shares[u].Mul(s.Num(), g.Quo(&f, s.Denom()))
		}
	}
	if f.Cmp(big.NewInt(1)) != 0 {
		m.scale(&f)
	}
	for u := range uv {
		natSet(m.num(numThr+u), &shares[u], true)
	}
	// The eval found who pays less than the share (capped): they give all
	// they have. The others pay the share, and move to a new class unless
	// nothing is left.
	var sh *Shares
	var partialNum, t big.Int
	var fullByU []int64
	if m.explain {
		sh = &Shares{Rho: m.rhoRat(&ev.rho).RatString(), NothingLeft: pr.nsupp[p]}
		fullByU = make([]int64, len(uv))
	}
	for i, e := range ev.ents {
		k := e.c*nu + e.u
		nc := int32(0)
		if !ev.capped[i] {
			share := m.num(numThr + int(e.u))
			if natCmp(m.budget(e.c), share) > 0 {
				nc = m.newClass()
				natSub(m.slot(nc), m.slot(e.c), share)
			}
		}
		m.memo[k] = nc
		if m.explain {
			sh.NothingLeft -= e.count
			if ev.capped[i] {
				sh.PartialPayers += e.count
				partialNum.Add(&partialNum, t.Mul(t.SetInt64(e.count), natBig(m.budget(e.c))))
			} else {
				fullByU[e.u] += e.count
			}
		}
	}
	cls, memo := m.cls, m.memo
	g, us := m.list(p)
	if us == nil {
		for _, w := range g {
			if c := cls[uint32(w)]; c != 0 {
				cls[uint32(w)] = memo[c]
			}
		}
	} else {
		for i, w := range g {
			if c := cls[uint32(w)]; c != 0 {
				cls[uint32(w)] = memo[c*nu+us[i]]
			}
		}
	}
	m.fresh[p], m.exact[p] = false, false
	for _, q := range pr.overlap[p] {
		m.fresh[q], m.exact[q] = false, false
	}
	m.grow()
	if !m.explain {
		return nil
	}
	for u, n := range fullByU {
		if n > 0 {
			share := new(big.Rat).SetFrac(&shares[u], &m.d)
			sh.Full = append(sh.Full, ShareGroup{Utility: uv[u].RatString(), Share: share.RatString(), Payers: n})
		}
	}
	sort.Slice(sh.Full, func(i, j int) bool { return sh.Full[i].Payers > sh.Full[j].Payers })
	sh.PartialTotal = new(big.Rat).SetFrac(&partialNum, &m.d).RatString()
	return sh
}

func (m *mesRun) rhoRat(f *mesFrac) *big.Rat {
	return new(big.Rat).SetFrac(&f.n, &f.d)
}

// mesTrace is what a run selected.
type mesTrace struct {
	order    []int // in the order of selection
	selected []bool
	total    big.Rat
}

// run runs Equal Shares once with the given budget per voter. With
// explanations it returns the outcome; tr receives what was selected.
func (m *mesRun) run(perVoter *big.Rat, tr *mesTrace) *Outcome {
	pr := m.pr
	np := len(pr.ids)
	m.reset(perVoter)
	var o *Outcome
	if m.explain {
		o = &Outcome{Projects: make([]Explanation, np), total: new(big.Rat)}
		for p := range np {
			o.Projects[p] = Explanation{ID: pr.ids[p], Cost: pr.costs[p].RatString(), Supporters: pr.nsupp[p]}
		}
	}
	tr.order = tr.order[:0]
	if len(tr.selected) != np {
		tr.selected = make([]bool, np)
	}
	clear(tr.selected)
	tr.total.SetInt64(0)
	add := func(p int) {
		tr.selected[p] = true
		tr.order = append(tr.order, p)
		tr.total.Add(&tr.total, pr.costs[p])
	}
	var pre, cands []int
	m.heap = m.heap[:0]
	for p := range np {
		if pr.totalSat[p].Sign() <= 0 {
			continue
		}
		if pr.costs[p].Sign() == 0 {
			pre = append(pre, p)
		} else {
			cands = append(cands, p)
		}
	}
	sort.Slice(pre, func(i, j int) bool { return pr.ids[pre[i]] < pr.ids[pre[j]] })
	for _, p := range pre {
		add(p)
		if o != nil {
			e := &o.Projects[p]
			e.Funded = true
			e.Stage = "zero_cost"
			e.Reason = "costs nothing and has supporters, so Equal Shares funds it first"
		}
	}
	var evaluated []int
	found, stale := false, false
	// consider evaluates p, or takes its ρ if it is known, and keeps the
	// best candidate (smallest ρ, ties by id) in m.best.
	consider := func(p int) {
		if m.exact[p] {
			// Nothing changed for p since its ρ was computed.
			evaluated = append(evaluated, p)
			if !found || m.before(&m.lower[p], p, &m.best.rho, m.best.p) {
				m.best.p = p
				m.best.rho.set(&m.lower[p])
				stale, found = true, true
			}
			return
		}
		m.entries(p)
		if !m.eval(p) {
			return // dropped for good: budgets only shrink
		}
		m.lower[p].set(&m.cur.rho)
		m.exact[p] = true
		evaluated = append(evaluated, p)
		if !found || m.before(&m.cur.rho, p, &m.best.rho, m.best.p) {
			m.cur, m.best = m.best, m.cur
			stale, found = false, true
		}
	}
	round := 0
	m.abandoned = false
	for round == 0 || len(m.heap) > 0 {
		if m.abandon != nil && m.abandon() {
			m.abandoned = true
			return nil
		}
		found, stale = false, false
		evaluated = evaluated[:0]
		if round == 0 {
			// Every candidate is evaluated first; then they wait in a heap,
			// by lower bound.
			for _, p := range cands {
				consider(p)
			}
		}
		for len(m.heap) > 0 {
			if top := int(m.heap[0]); found && !m.before(&m.lower[top], top, &m.best.rho, m.best.p) {
				break // its ρ is at least its lower bound: it cannot win
			}
			consider(m.heapPop())
		}
		if !found {
			break
		}
		win := m.best.p
		if stale {
			m.entries(win)
			m.eval(win)
			m.cur, m.best = m.best, m.cur
		}
		for _, p := range evaluated {
			if p != win {
				m.heap = append(m.heap, int32(p))
				if round > 0 {
					m.siftUp(len(m.heap) - 1)
				}
			}
		}
		if round == 0 {
			for i := len(m.heap)/2 - 1; i >= 0; i-- {
				m.siftDown(i)
			}
		}
		round++
		sh := m.pay()
		add(win)
		if o != nil {
			e := &o.Projects[win]
			e.Funded, e.Stage, e.Shares = true, "equal_shares", sh
			e.Reason = fmt.Sprintf("chosen in round %d of Equal Shares, where it cost its supporters least for the support it has: %s",
				round, describeShares(sh))
		}
	}
	if o == nil {
		return nil
	}
	for _, p := range tr.order {
		o.SelectionOrder = append(o.SelectionOrder, pr.ids[p])
	}
	o.total.Set(&tr.total)
	m.explainUnfunded(o, tr.selected)
	return o
}

// explainUnfunded says why the others were not funded: at the end of the
// run none is affordable.
func (m *mesRun) explainUnfunded(o *Outcome, selected []bool) {
	pr := m.pr
	for p := range len(pr.ids) {
		if selected[p] {
			continue
		}
		e := &o.Projects[p]
		if pr.totalSat[p].Sign() <= 0 {
			e.Reason = "no voter supports it, and Equal Shares funds only what its supporters pay for"
			continue
		}
		m.entries(p)
		left := new(big.Rat).SetFrac(m.money(), &m.d)
		together := " together"
		if pr.nsupp[p] == 1 {
			together = ""
		}
		e.Reason = fmt.Sprintf("its supporters' shares ran out: its %s had %s left%s, it needed %s",
			Count(pr.nsupp[p], "supporter", "supporters"), Amount(left), together, Amount(pr.costs[p]))
	}
}

// mes runs Equal Shares once with the given budget per voter, with
// explanations.
func (pr *profile) mes(perVoter *big.Rat) *Outcome {
	var tr mesTrace
	return newMESRun(pr, true).run(perVoter, &tr)
}

// each is "10 each" for several payers, "10" for one.
func each(n int64, amount string) string {
	if n == 1 {
		return amount
	}
	return amount + " each"
}

func describeShares(sh *Shares) string {
	var parts []string
	for _, f := range sh.Full {
		r, _ := new(big.Rat).SetString(f.Share)
		if len(sh.Full) > 1 {
			parts = append(parts, fmt.Sprintf("%s giving it %s paid %s", Count(f.Payers, "supporter", "supporters"), f.Utility, each(f.Payers, Amount(r))))
		} else {
			parts = append(parts, fmt.Sprintf("%s paid %s", Count(f.Payers, "supporter", "supporters"), each(f.Payers, Amount(r))))
		}
	}
	if sh.PartialPayers > 0 {
		r, _ := new(big.Rat).SetString(sh.PartialTotal)
		if sh.PartialPayers == 1 {
			parts = append(parts, fmt.Sprintf("1 paid all they had left (%s)", Amount(r)))
		} else {
			parts = append(parts, fmt.Sprintf("%d paid all they had left (%s together)", sh.PartialPayers, Amount(r)))
		}
	}
	if sh.NothingLeft > 0 {
		parts = append(parts, fmt.Sprintf("%d had nothing left", sh.NothingLeft))
	}
	return strings.Join(parts, "; ")
}

// exhaustive: no MES candidate (cost > 0, some support) left out fits in
// the budget that remains.
func (pr *profile) exhaustive(tr *mesTrace) bool {
	left := new(big.Rat).Sub(pr.budget, &tr.total)
	for p, sel := range tr.selected {
		if !sel && pr.costs[p].Sign() > 0 && pr.totalSat[p].Sign() > 0 && pr.costs[p].Cmp(left) <= 0 {
			return false
		}
	}
	return true
}

// mesAdd is Equal Shares with voter_budget_increment = inc: run from
// scratch with B/n + k·inc per voter for k = 0, 1, …; return the previous
// outcome as soon as one costs more than B, or the first outcome that is
// exhaustive over the MES candidates.
//
// The runs are independent, so several are done at once (one per CPU, at
// most maxMESWorkers): each worker takes the next k, and the results are
// examined in the order of k, exactly as the sequential loop would; the
// runs started beyond the k that ends the loop are abandoned.
func (pr *profile) mesAdd(inc int64) *Outcome {
	b0 := pr.initialVoterBudget()
	budgetAt := func(k int64) *big.Rat {
		return new(big.Rat).Add(b0, new(big.Rat).SetInt(new(big.Int).Mul(big.NewInt(k), big.NewInt(inc))))
	}
	// ends reports whether the run for k ends the loop: 1 = return it,
	// −1 = return the previous one, 0 = go on.
	ends := func(tr *mesTrace) int {
		if tr.total.Cmp(pr.budget) > 0 {
			return -1
		}
		if pr.exhaustive(tr) {
			return 1
		}
		return 0
	}
	var last, verdict int64
	if workers := min(runtime.GOMAXPROCS(0), maxMESWorkers); workers > 1 {
		last, verdict = pr.mesAddParallel(workers, budgetAt, ends)
	} else {
		m := newMESRun(pr, false)
		var tr mesTrace
		for k := int64(0); ; k++ {
			m.run(budgetAt(k), &tr)
			if v := ends(&tr); v != 0 {
				last, verdict = k, int64(v)
				break
			}
		}
	}
	// Before the first run, the previous outcome is the empty allocation
	// plus the zero-cost projects: a run with nothing per voter (reported
	// with the initial budget, as pabutools does).
	ret, label := budgetAt(last), budgetAt(last)
	if verdict < 0 {
		if last == 0 {
			ret, label = new(big.Rat), b0
		} else {
			ret, label = budgetAt(last-1), budgetAt(last-1)
		}
	}
	var tr mesTrace
	out := newMESRun(pr, true).run(ret, &tr)
	out.InnerRuns = int(last + 1)
	out.InitialVoterBudget = b0.RatString()
	out.ReturnedVoterBudget = label.RatString()
	return out
}

// maxMESWorkers bounds the runs of the add<K> loop done at once.
const maxMESWorkers = 4

// mesAddParallel runs the add<K> loop on several goroutines and returns
// the first k whose run ends the loop, with its verdict. A panic in a
// worker is raised again here.
func (pr *profile) mesAddParallel(workers int, budgetAt func(int64) *big.Rat, ends func(*mesTrace) int) (last, verdict int64) {
	type result struct {
		k     int64
		v     int
		fault any // a worker's panic
	}
	var next atomic.Int64
	var stop atomic.Int64 // the runs for k > stop are not needed
	stop.Store(math.MaxInt64)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					stop.Store(-1)
					results <- result{fault: r}
				}
			}()
			m := newMESRun(pr, false)
			var tr mesTrace
			for {
				k := next.Add(1) - 1
				if k > stop.Load() {
					return
				}
				m.abandon = func() bool { return k > stop.Load() }
				if m.run(budgetAt(k), &tr); m.abandoned {
					return
				}
				results <- result{k: k, v: ends(&tr)}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	pending := map[int64]int{} // verdicts of runs beyond want
	want := int64(0)
	var fault any
	for r := range results {
		switch {
		case r.fault != nil:
			fault = r.fault
		case verdict != 0 || fault != nil:
			// draining
		default:
			pending[r.k] = r.v
			for {
				v, ok := pending[want]
				if !ok {
					break
				}
				delete(pending, want)
				if v != 0 {
					last, verdict = want, int64(v)
					stop.Store(want)
					break
				}
				want++
			}
		}
	}
	if fault != nil {
		panic(fault)
	}
	return last, verdict
}
