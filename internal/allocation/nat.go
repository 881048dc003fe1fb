package allocation

import (
	"math/big"
	"math/bits"
)

// Fixed-width natural numbers for the hot loops of Equal Shares: exact
// non-negative integers as little-endian words (the layout of big.Int.Bits),
// all of one width within a run, stored side by side in one slice. They
// avoid big.Int's allocations and normalisation; every operation checks
// that its result fits (a run sizes the width from a bound on its values,
// see mesRun.fit), and panics otherwise, so a wrong bound can never give a
// wrong result silently.

type word = big.Word

func natCmp(a, b []word) int {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func natIsZero(a []word) bool {
	for _, x := range a {
		if x != 0 {
			return false
		}
	}
	return true
}

// natSub sets z = a − b (a ≥ b).
func natSub(z, a, b []word) {
	var c uint
	for i := range z {
		var s uint
		s, c = bits.Sub(uint(a[i]), uint(b[i]), c)
		z[i] = word(s)
	}
	if c != 0 {
		panic("allocation: natSub underflow")
	}
}

// natAddMulWord sets z += x·y.
func natAddMulWord(z, x []word, y uint) {
	var c uint
	for i := range z {
		hi, lo := bits.Mul(uint(x[i]), y)
		var cc uint
		lo, cc = bits.Add(lo, c, 0)
		hi += cc
		var s uint
		s, cc = bits.Add(uint(z[i]), lo, 0)
		z[i] = word(s)
		c = hi + cc
	}
	if c != 0 {
		panic("allocation: natAddMulWord overflow")
	}
}

// natMulTo sets z = z·y in place: z's words are taken from the top, each
// replaced by its products with y (which only reach words above it).
func natMulTo(z, y []word) {
	if len(y) == 1 {
		natMulWord(z, z, uint(y[0]))
		return
	}
	n := len(z)
	for i := n - 1; i >= 0; i-- {
		x := uint(z[i])
		if x == 0 {
			continue
		}
		z[i] = 0
		var c uint
		for j, yj := range y {
			hi, lo := bits.Mul(x, uint(yj))
			var cc uint
			lo, cc = bits.Add(lo, c, 0)
			hi += cc
			k := i + j
			if k >= n {
				if lo != 0 || hi != 0 {
					panic("allocation: natMulTo overflow")
				}
				c = 0
				continue
			}
			var s uint
			s, cc = bits.Add(uint(z[k]), lo, 0)
			z[k] = word(s)
			c = hi + cc
		}
		for k := i + len(y); c != 0; k++ {
			if k >= n {
				panic("allocation: natMulTo overflow")
			}
			var s uint
			s, c = bits.Add(uint(z[k]), c, 0)
			z[k] = word(s)
		}
	}
}

// natMulWord sets z = x·y; z may be x.
func natMulWord(z, x []word, y uint) {
	var c uint
	for i := range z {
		hi, lo := bits.Mul(uint(x[i]), y)
		var cc uint
		lo, cc = bits.Add(lo, c, 0)
		z[i] = word(lo)
		c = hi + cc
	}
	if c != 0 {
		panic("allocation: natMulWord overflow")
	}
}

// natDivWord sets z = ⌊x/y⌋ (y > 0) and returns x mod y; z may be x.
func natDivWord(z, x []word, y uint) uint {
	var r uint
	for i := len(x) - 1; i >= 0; i-- {
		var q uint
		q, r = bits.Div(r, uint(x[i]), y)
		z[i] = word(q)
	}
	return r
}

// natInc adds 1 to z.
func natInc(z []word) {
	for i := range z {
		z[i]++
		if z[i] != 0 {
			return
		}
	}
	panic("allocation: natInc overflow")
}

// natSet sets z = x (x ≥ 0), or to the largest value of its width when x
// does not fit and saturate is true (used for thresholds above any value).
func natSet(z []word, x *big.Int, saturate bool) {
	b := x.Bits()
	if len(b) > len(z) {
		if !saturate {
			panic("allocation: natSet overflow")
		}
		for i := range z {
			z[i] = ^word(0)
		}
		return
	}
	copy(z, b)
	clear(z[len(b):])
}

// natBig returns x as a new big.Int.
func natBig(x []word) *big.Int {
	return new(big.Int).SetBits(append([]word(nil), x...))
}

// Bounds of a rational, to compare most pairs without multiplying big
// numbers (a pair the bounds cannot order is compared exactly). A bound is
// m·2^e with m < 2^62; an approximation keeps 62 significant bits.

type bound struct {
	m uint64
	e int32
}

const apxBits = 62

// approxOf returns bounds lo ≤ x ≤ hi of x > 0.
func approxOf(x []word) (lo, hi bound) {
	n := len(x)
	for n > 0 && x[n-1] == 0 {
		n--
	}
	l := (n-1)*bits.UintSize + bits.Len(uint(x[n-1])) // bit length
	if l <= apxBits {
		v := uint64(x[0])
		if n > 1 { // 32-bit words
			v |= uint64(x[1]) << (bits.UintSize & 63)
		}
		return bound{v, 0}, bound{v, 0}
	}
	sh := l - apxBits // the bits dropped
	var v uint64
	rest := false
	for i := range n {
		w, at := uint64(x[i]), i*bits.UintSize // at: the position of w's bit 0
		switch {
		case at+bits.UintSize <= sh:
			rest = rest || w != 0
		case at < sh:
			rest = rest || w<<(64-(sh-at)) != 0
			v |= w >> (sh - at)
		default:
			v |= w << (at - sh)
		}
	}
	lo = bound{v, int32(sh)}
	if !rest {
		return lo, lo
	}
	return lo, boundOf(v+1, sh)
}

// boundOf returns m·2^e with m < 2^62, for m ≤ 2^62.
func boundOf(m uint64, e int) bound {
	if m == 1<<apxBits {
		return bound{1 << (apxBits - 1), int32(e + 1)}
	}
	return bound{m, int32(e)}
}

// cmpBound compares a.m·2^a.e with b.m·2^b.e.
func cmpBound(a, b bound) int {
	if a.m == 0 || b.m == 0 {
		switch {
		case a.m == b.m:
			return 0
		case a.m == 0:
			return -1
		}
		return 1
	}
	la, lb := bits.Len64(a.m)+int(a.e), bits.Len64(b.m)+int(b.e)
	if la != lb {
		if la < lb {
			return -1
		}
		return 1
	}
	x, y := a.m<<(64-bits.Len64(a.m)), b.m<<(64-bits.Len64(b.m))
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// quoBound returns a/b (a, b > 0) rounded down, or up.
func quoBound(a, b bound, up bool) bound {
	// Normalised to 62 significant bits, a·2^62/b lies in (2^61, 2^63).
	ka, kb := apxBits-bits.Len64(a.m), apxBits-bits.Len64(b.m)
	na, nb := a.m<<ka, b.m<<kb
	q, r := bits.Div64(na>>(64-apxBits), na<<apxBits, nb)
	if up && r != 0 {
		q++
	}
	e := int(a.e) - ka - (int(b.e) - kb) - apxBits
	if q >= 1<<apxBits { // keep 62 bits
		lost := q&1 != 0
		q >>= 1
		e++
		if up && lost {
			q++
		}
	}
	return boundOf(q, e)
}
