// Package allocation computes participatory-budgeting outcomes: greedy
// utilitarian welfare, the Method of Equal Shares (with the "add1"
// budget-increase loop and greedy completion) and sequential Phragmén.
// It is pure: no database, no HTTP, no floats. Every amount is an exact
// rational (math/big), and the rules, tie-breaking included, follow
// pabutools 1.2.3 as described in shared/pb/README.md, so that outcomes are
// identical to the reference data.
//
// Each outcome explains itself per project: who paid what (Equal Shares),
// the place in the order and the money left (greedy), and, for every
// unfunded project, why.
package allocation

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Project is something that can be funded.
type Project struct {
	ID   string
	Cost *big.Rat
}

// Ballot is one voter's ballot. Projects are the approved (or listed)
// projects; Points, when not nil, gives each listed project's points
// (cumulative or scoring ballots), in the same order. An empty ballot still
// counts as a voter.
type Ballot struct {
	Projects []string
	Points   []*big.Rat
}

// Instance is the input of every rule.
type Instance struct {
	Budget   *big.Rat
	Projects []Project
	Ballots  []Ballot
}

// Sat is how a voter's satisfaction with a project is measured.
type Sat int

const (
	// SatCost: a voter approving p gets cost(p) (pabutools Cost_Sat).
	SatCost Sat = iota
	// SatCard: a voter approving p gets 1 (Cardinality_Sat).
	SatCard
	// SatPoints: the voter's points for p (Additive_Cardinal_Sat).
	SatPoints
)

func (s Sat) String() string {
	return [...]string{"cost", "card", "points"}[s]
}

// Method is the family of a rule.
type Method int

const (
	Greedy Method = iota
	MES
	Phragmen
)

// Rule is a parsed rule key.
type Rule struct {
	Key       string
	Method    Method
	Sat       Sat
	Increment int64 // MES: voter budget increment of the add<K> loop; 0 = plain MES
	Complete  bool  // MES: greedy (Cost_Sat) completion afterwards
}

// ErrUnknownRule is returned by ParseRule.
var ErrUnknownRule = errors.New("unknown rule")

// Rules lists the rule keys (add<K> accepts any whole K ≥ 1).
var Rules = []string{"greedy_cost", "greedy_card", "greedy_points", "mes_cost", "mes_card",
	"mes_points", "mes_cost_add1", "mes_card_add1", "mes_points_add1", "mes_cost_add1_greedy", "phragmen"}

// ParseRule reads a rule key: greedy_<sat>, mes_<sat>, mes_<sat>_add<K>,
// mes_<sat>_add<K>_greedy, phragmen; sat is cost, card or points.
func ParseRule(key string) (Rule, error) {
	r := Rule{Key: key}
	if key == "phragmen" {
		r.Method = Phragmen
		r.Sat = SatCard
		return r, nil
	}
	parts := strings.Split(key, "_")
	if len(parts) < 2 {
		return r, fmt.Errorf("%w %q", ErrUnknownRule, key)
	}
	switch parts[0] {
	case "greedy":
		r.Method = Greedy
	case "mes":
		r.Method = MES
	default:
		return r, fmt.Errorf("%w %q", ErrUnknownRule, key)
	}
	switch parts[1] {
	case "cost":
		r.Sat = SatCost
	case "card":
		r.Sat = SatCard
	case "points":
		r.Sat = SatPoints
	default:
		return r, fmt.Errorf("%w %q", ErrUnknownRule, key)
	}
	rest := parts[2:]
	if r.Method == Greedy {
		if len(rest) != 0 {
			return r, fmt.Errorf("%w %q", ErrUnknownRule, key)
		}
		return r, nil
	}
	if len(rest) > 0 {
		k, ok := strings.CutPrefix(rest[0], "add")
		n, err := strconv.ParseInt(k, 10, 64)
		if !ok || err != nil || n < 1 || strconv.FormatInt(n, 10) != k {
			return r, fmt.Errorf("%w %q", ErrUnknownRule, key)
		}
		r.Increment = n
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if rest[0] != "greedy" || len(rest) > 1 || r.Increment == 0 {
			return r, fmt.Errorf("%w %q", ErrUnknownRule, key)
		}
		r.Complete = true
	}
	return r, nil
}

// Outcome is the result of a rule with its explanation.
type Outcome struct {
	Rule           string   `json:"rule"`
	Selected       []string `json:"selected"`        // sorted as strings
	SelectionOrder []string `json:"selection_order"` // order in which the rule chose them
	TotalCost      string   `json:"total_cost"`      // exact, "a" or "a/b"
	Budget         string   `json:"budget"`
	Leftover       string   `json:"leftover"`
	// Equal Shares with a budget increment: the per-voter budget of the run
	// whose outcome is returned, and how many complete runs were done.
	InitialVoterBudget  string `json:"initial_voter_budget,omitempty"`
	ReturnedVoterBudget string `json:"returned_voter_budget,omitempty"`
	InnerRuns           int    `json:"inner_runs,omitempty"`
	// Projects explains every project, in the instance's order.
	Projects []Explanation `json:"projects"`

	total *big.Rat
}

// Total returns the exact total cost.
func (o *Outcome) Total() *big.Rat { return new(big.Rat).Set(o.total) }

// Explanation says why a project was or was not funded.
type Explanation struct {
	ID     string `json:"id"`
	Cost   string `json:"cost"`
	Funded bool   `json:"funded"`
	// Position is the 1-based place in the selection order (Phragmén: the
	// round it was bought in; 0: unfunded).
	Position int `json:"position,omitempty"`
	// Stage: "equal_shares", "zero_cost", "greedy", "phragmen" or "" (unfunded).
	Stage string `json:"stage,omitempty"`
	// Supporters is the number of voters with positive satisfaction.
	Supporters int64 `json:"supporters"`
	// Greedy: place in the scan (1-based) and the money left when reached.
	GreedyRank    int    `json:"greedy_rank,omitempty"`
	LeftWhenReach string `json:"left_when_reached,omitempty"`
	// Equal Shares: who paid what.
	Shares *Shares `json:"shares,omitempty"`
	// Phragmén: the load of each supporter after it was bought.
	Load string `json:"load,omitempty"`
	// Reason is a sentence for people.
	Reason string `json:"reason"`
}

// Shares aggregates Equal Shares payments for one project.
type Shares struct {
	// Rho is the price per unit of satisfaction (per unit of cost under
	// Cost_Sat, per approval under Cardinality_Sat, per point).
	Rho string `json:"rho"`
	// Full lists the supporters who paid their full share rho·u, by utility.
	Full []ShareGroup `json:"full"`
	// PartialPayers gave all they had left, less than their share;
	// PartialTotal is what they paid together.
	PartialPayers int64  `json:"partial_payers"`
	PartialTotal  string `json:"partial_total"`
	// NothingLeft is the number of supporters whose budget was already spent.
	NothingLeft int64 `json:"nothing_left"`
}

// ShareGroup is a set of supporters who each paid Share.
type ShareGroup struct {
	Utility string `json:"utility"`
	Share   string `json:"share"`
	Payers  int64  `json:"payers"`
}

// Run computes the outcome of rule key on inst.
func Run(inst Instance, key string) (*Outcome, error) {
	r, err := ParseRule(key)
	if err != nil {
		return nil, err
	}
	return RunRule(inst, r)
}

// RunRule computes the outcome of a parsed rule.
func RunRule(inst Instance, r Rule) (*Outcome, error) {
	if inst.Budget == nil || inst.Budget.Sign() < 0 {
		return nil, errors.New("budget must be a non-negative number")
	}
	hasPoints := false
	for _, b := range inst.Ballots {
		if b.Points != nil {
			hasPoints = true
			break
		}
	}
	if r.Sat == SatPoints && !hasPoints {
		return nil, fmt.Errorf("rule %s needs points (cumulative or scoring ballots)", r.Key)
	}
	if r.Method == Phragmen && hasPoints {
		return nil, fmt.Errorf("rule %s applies to approval ballots only", r.Key)
	}
	pr, err := newProfile(inst, r.Sat)
	if err != nil {
		return nil, err
	}
	var o *Outcome
	switch r.Method {
	case Greedy:
		o = pr.greedy(nil)
	case MES:
		if r.Increment == 0 {
			o = pr.mes(pr.initialVoterBudget())
		} else {
			o = pr.mesAdd(r.Increment)
		}
		if r.Complete {
			var costPr *profile
			if r.Sat == SatCost {
				costPr = pr
			} else if costPr, err = newProfile(inst, SatCost); err != nil {
				return nil, err
			}
			o = costPr.greedy(o)
		}
	case Phragmen:
		o = pr.phragmen()
	}
	o.Rule = r.Key
	o.finish(pr)
	return o, nil
}

// profile is an instance compiled for one satisfaction measure: voters with
// identical ballots are merged into groups with a multiplicity.
type profile struct {
	sat    Sat
	budget *big.Rat
	n      int64 // number of ballots, empty ones included
	ids    []string
	costs  []*big.Rat
	byID   map[string]int
	// per group
	mult []int64
	// per project: supporters (group, index into uvals[p]) and distinct utilities
	supp     [][]supporter
	uvals    [][]*big.Rat
	nsupp    []int64    // number of supporting voters
	totalSat []*big.Rat // Σ utilities
	maxNu    int
	// the projects and utility indices of group g, at [gstart[g],
	// gstart[g+1]) in gproj and gutil
	gproj, gutil, gstart []int32
	// For Equal Shares (see flatten, done once when first needed): supp
	// of every project one after the other, p's at [start[p], start[p+1])
	// in flatG (group | multiplicity<<32) and flatU (utility index; nil
	// when every project has a single utility); and overlap.
	flatOnce sync.Once
	flatG    []uint64
	flatU    []int32
	start    []int32
	// costDen is the lcm of the costs' denominators, maxCost the largest.
	costDen big.Int
	maxCost *big.Rat
	// per project: the number of supporters of each utility, and (set by
	// flatten) the other projects sharing a supporter with it
	ucount  [][]int64
	overlap [][]int32
}

type supporter struct{ g, u int32 }

func newProfile(inst Instance, sat Sat) (*profile, error) {
	if int64(len(inst.Ballots)) > math.MaxInt32 {
		return nil, fmt.Errorf("%d ballots: at most %d are supported", len(inst.Ballots), math.MaxInt32)
	}
	pr := &profile{sat: sat, budget: new(big.Rat).Set(inst.Budget), n: int64(len(inst.Ballots)), byID: map[string]int{}}
	for i, p := range inst.Projects {
		if _, dup := pr.byID[p.ID]; dup {
			return nil, fmt.Errorf("project %q appears twice", p.ID)
		}
		if p.Cost == nil || p.Cost.Sign() < 0 {
			return nil, fmt.Errorf("project %q: cost must be a non-negative number", p.ID)
		}
		pr.byID[p.ID] = i
		pr.ids = append(pr.ids, p.ID)
		pr.costs = append(pr.costs, p.Cost)
	}
	np := len(pr.ids)
	pr.supp = make([][]supporter, np)
	pr.uvals = make([][]*big.Rat, np)
	uidx := make([]map[string]int32, np)
	for p := range np {
		switch sat {
		case SatCost:
			pr.uvals[p] = []*big.Rat{pr.costs[p]}
		case SatCard:
			pr.uvals[p] = []*big.Rat{big.NewRat(1, 1)}
		case SatPoints:
			uidx[p] = map[string]int32{}
		}
	}
	groups := map[string]int32{}
	type entry struct {
		p int
		u *big.Rat
	}
	var key []byte
	var items []entry
	// the projects of group g: gproj[gstart[g]:gstart[g+1]]
	gproj, gstart := []int32{}, []int32{0}
	var gutil []int32 // with the utility indices
	// seen[p] = ballot number + 1 if p was listed in the ballot being read,
	// at items[pos[p]]
	seen := make([]int32, np)
	pos := make([]int32, np)
	for bi, b := range inst.Ballots {
		if b.Points != nil && len(b.Points) != len(b.Projects) {
			return nil, fmt.Errorf("ballot %d: %d projects but %d points", bi+1, len(b.Projects), len(b.Points))
		}
		// A ballot is a set; with points the last value given counts.
		items = items[:0]
		for j, id := range b.Projects {
			p, ok := pr.byID[id]
			if !ok {
				return nil, fmt.Errorf("ballot %d: unknown project %q", bi+1, id)
			}
			var u *big.Rat
			if sat == SatPoints {
				if b.Points == nil {
					continue
				}
				u = b.Points[j]
				if u.Sign() < 0 {
					return nil, fmt.Errorf("ballot %d: negative points", bi+1)
				}
			}
			if seen[p] == int32(bi+1) {
				items[pos[p]].u = u
				continue
			}
			seen[p], pos[p] = int32(bi+1), int32(len(items))
			items = append(items, entry{p, u})
		}
		if len(items) <= 16 { // usually short, often sorted
			for i := 1; i < len(items); i++ {
				for j := i; j > 0 && items[j].p < items[j-1].p; j-- {
					items[j], items[j-1] = items[j-1], items[j]
				}
			}
		} else {
			slices.SortFunc(items, func(a, b entry) int { return a.p - b.p })
		}
		// The group key: the projects (4 bytes each), with their points.
		key = key[:0]
		for _, it := range items {
			if sat == SatPoints && it.u.Sign() == 0 {
				continue
			}
			key = binary.LittleEndian.AppendUint32(key, uint32(it.p))
			if sat == SatPoints {
				r := it.u.RatString()
				key = binary.LittleEndian.AppendUint32(key, uint32(len(r)))
				key = append(key, r...)
			}
		}
		if g, ok := groups[string(key)]; ok {
			pr.mult[g]++
			continue
		}
		g := int32(len(pr.mult))
		groups[string(key)] = g
		pr.mult = append(pr.mult, 1)
		for _, it := range items {
			var ui int32
			if sat == SatPoints {
				if it.u.Sign() == 0 {
					continue
				}
				s := it.u.RatString()
				var ok bool
				if ui, ok = uidx[it.p][s]; !ok {
					ui = int32(len(pr.uvals[it.p]))
					uidx[it.p][s] = ui
					pr.uvals[it.p] = append(pr.uvals[it.p], it.u)
				}
			}
			pr.supp[it.p] = append(pr.supp[it.p], supporter{g, ui})
			gproj = append(gproj, int32(it.p))
			gutil = append(gutil, ui)
		}
		gstart = append(gstart, int32(len(gproj)))
	}
	pr.nsupp = make([]int64, np)
	pr.totalSat = make([]*big.Rat, np)
	pr.maxNu = 1
	for p := range np {
		pr.maxNu = max(pr.maxNu, len(pr.uvals[p]))
		perU := make([]int64, len(pr.uvals[p]))
		for _, s := range pr.supp[p] {
			pr.nsupp[p] += pr.mult[s.g]
			perU[s.u] += pr.mult[s.g]
		}
		t := new(big.Rat)
		for u, c := range perU {
			t.Add(t, mulInt(pr.uvals[p][u], c))
		}
		pr.totalSat[p] = t
		pr.ucount = append(pr.ucount, perU)
	}
	pr.gproj, pr.gutil, pr.gstart = gproj, gutil, gstart
	pr.costDen.SetInt64(1)
	pr.maxCost = new(big.Rat)
	var g big.Int
	for p := range np {
		if pr.costs[p].Cmp(pr.maxCost) > 0 {
			pr.maxCost.Set(pr.costs[p])
		}
		q := pr.costs[p].Denom()
		g.GCD(nil, nil, &pr.costDen, q)
		pr.costDen.Mul(&pr.costDen, g.Quo(q, &g))
	}
	return pr, nil
}

// flatten fills flatG, flatU and start. Equal Shares reads the budgets of
// a project's supporters one after the other: the groups are numbered for
// it (localityOrder), and each list is in that order.
func (pr *profile) flatten() {
	np := len(pr.ids)
	gproj, gutil, gstart := pr.gproj, pr.gutil, pr.gstart
	pr.findOverlaps(gproj, gstart)
	pr.start = make([]int32, np+1)
	for p := range np {
		pr.start[p+1] = pr.start[p] + int32(len(pr.supp[p]))
	}
	pr.flatG = make([]uint64, pr.start[np])
	if pr.maxNu > 1 {
		pr.flatU = make([]int32, pr.start[np])
	}
	pos := slices.Clone(pr.start[:np])
	for ng, g := range pr.localityOrder(gproj, gstart) {
		w := uint64(ng) | uint64(pr.mult[g])<<32
		for i := gstart[g]; i < gstart[g+1]; i++ {
			p := gproj[i]
			pr.flatG[pos[p]] = w
			if pr.flatU != nil {
				pr.flatU[pos[p]] = gutil[i]
			}
			pos[p]++
		}
	}
}

// localityOrder orders the groups so that the supporters of a project are
// close together: by ballot, the projects ranked by decreasing support. It
// returns the groups in that order.
func (pr *profile) localityOrder(gproj, gstart []int32) []int32 {
	np := len(pr.ids)
	rank := make([]int32, np)
	byRank := make([]int, np)
	for p := range byRank {
		byRank[p] = p
	}
	sort.SliceStable(byRank, func(i, j int) bool { return pr.nsupp[byRank[i]] > pr.nsupp[byRank[j]] })
	for r, p := range byRank {
		rank[p] = int32(r)
	}
	// key: the three best ranks of the ballot, 21 bits each
	ng := len(gstart) - 1
	type keyed struct {
		key uint64
		g   int32
	}
	order := make([]keyed, ng)
	var top [3]uint64
	for g := range ng {
		top = [3]uint64{1<<21 - 1, 1<<21 - 1, 1<<21 - 1}
		for _, p := range gproj[gstart[g]:gstart[g+1]] {
			r := uint64(min(rank[p], 1<<21-2))
			for i := range top {
				if r < top[i] {
					top[i], r = r, top[i]
				}
			}
		}
		order[g] = keyed{top[0]<<42 | top[1]<<21 | top[2], int32(g)}
	}
	slices.SortFunc(order, func(a, b keyed) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.g, b.g)
	})
	groups := make([]int32, ng)
	for i, k := range order {
		groups[i] = k.g
	}
	return groups
}

// findOverlaps fills overlap: for every project, the projects sharing at
// least one supporter (group) with it; group g supports
// gproj[gstart[g]:gstart[g+1]].
func (pr *profile) findOverlaps(gproj, gstart []int32) {
	np := len(pr.ids)
	words := (np + 63) / 64
	bits := make([]uint64, np*words)
	mask := make([]uint64, words)
	for g := range len(gstart) - 1 {
		b := gproj[gstart[g]:gstart[g+1]]
		if len(b) < 2 {
			continue
		}
		clear(mask)
		for _, p := range b {
			mask[p/64] |= 1 << (p % 64)
		}
		for _, p := range b {
			row := bits[int(p)*words : int(p+1)*words]
			for i, w := range mask {
				row[i] |= w
			}
		}
	}
	pr.overlap = make([][]int32, np)
	for p := range np {
		row := bits[p*words : (p+1)*words]
		for q := range np {
			if q != p && row[q/64]&(1<<(q%64)) != 0 {
				pr.overlap[p] = append(pr.overlap[p], int32(q))
			}
		}
	}
}

func (pr *profile) initialVoterBudget() *big.Rat {
	if pr.n == 0 {
		return new(big.Rat)
	}
	return new(big.Rat).Quo(pr.budget, big.NewRat(pr.n, 1))
}

// finish fills the summary fields of an outcome.
func (o *Outcome) finish(pr *profile) {
	o.Selected = append([]string(nil), o.SelectionOrder...)
	sort.Strings(o.Selected)
	if o.Selected == nil {
		o.Selected = []string{}
		o.SelectionOrder = []string{}
	}
	t := new(big.Rat)
	for _, id := range o.SelectionOrder {
		t.Add(t, pr.costs[pr.byID[id]])
	}
	o.total = t
	o.TotalCost = t.RatString()
	o.Budget = pr.budget.RatString()
	o.Leftover = new(big.Rat).Sub(pr.budget, t).RatString()
	for i, id := range o.SelectionOrder {
		if e := &o.Projects[pr.byID[id]]; e.Position == 0 {
			e.Position = i + 1
		}
	}
}

func mulInt(x *big.Rat, n int64) *big.Rat {
	return new(big.Rat).Mul(x, new(big.Rat).SetInt64(n))
}

// Amount formats an exact amount for people: whole numbers with thousands
// separators, others rounded to two decimals (display only).
func Amount(x *big.Rat) string {
	s := x.FloatString(2)
	if x.IsInt() {
		s = x.Num().String()
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
