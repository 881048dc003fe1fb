package allocation

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// randNat returns a number of w words, with n ≤ w of them used: random,
// small, or with runs of zero words.
func randNat(r *rand.Rand, w, n int) []word {
	x := make([]word, w)
	for i := range n {
		x[i] = word(r.Uint64())
	}
	switch r.IntN(4) {
	case 0:
		clear(x[1:])
		x[0] >>= r.UintN(64)
	case 1:
		for i := range n - 1 {
			x[i] = 0
		}
	}
	if natIsZero(x) {
		x[0] = 1
	}
	return x
}

// TestNat checks the fixed-width arithmetic against math/big.
func TestNat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const w = 6
	for range 5000 {
		x, y := randNat(r, w, 1+r.IntN(w/2)), randNat(r, w, 1+r.IntN(w/2))
		bx, by := natBig(x), natBig(y)
		if got, want := natCmp(x, y), bx.Cmp(by); got != want {
			t.Fatalf("cmp %v %v: %d, want %d", bx, by, got, want)
		}
		z := make([]word, w)
		if bx.Cmp(by) >= 0 {
			natSub(z, x, y)
			if want := new(big.Int).Sub(bx, by); natBig(z).Cmp(want) != 0 {
				t.Fatalf("%v − %v = %v, want %v", bx, by, natBig(z), want)
			}
		}
		copy(z, x)
		natMulTo(z, by.Bits())
		if want := new(big.Int).Mul(bx, by); natBig(z).Cmp(want) != 0 {
			t.Fatalf("%v·%v = %v, want %v", bx, by, natBig(z), want)
		}
		v := uint(r.Uint64()>>r.UintN(64)) | 1
		bv := new(big.Int).SetUint64(uint64(v))
		copy(z, x)
		rem := natDivWord(z, z, v)
		q, m := new(big.Int).QuoRem(bx, bv, new(big.Int))
		if natBig(z).Cmp(q) != 0 || uint64(rem) != m.Uint64() {
			t.Fatalf("%v/%d = %v rem %d, want %v rem %v", bx, v, natBig(z), rem, q, m)
		}
		copy(z, x)
		natAddMulWord(z, x, v)
		if want := new(big.Int).Mul(bx, new(big.Int).Add(bv, big.NewInt(1))); natBig(z).Cmp(want) != 0 {
			t.Fatalf("%v + %v·%d = %v, want %v", bx, bx, v, natBig(z), want)
		}
		natSet(z, bx, false)
		natInc(z)
		if want := new(big.Int).Add(bx, big.NewInt(1)); natBig(z).Cmp(want) != 0 {
			t.Fatalf("%v + 1 = %v", bx, natBig(z))
		}
	}
}

// TestNatOverflow: a result that does not fit panics (or, for natSet with
// saturate, becomes the largest value of the width).
func TestNatOverflow(t *testing.T) {
	top := make([]word, 3)
	top[2] = ^word(0)
	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	panics("natMulTo", func() { natMulTo(append([]word(nil), top...), []word{0, 1}) })
	panics("natMulTo by a word", func() { natMulTo(append([]word(nil), top...), []word{2}) })
	panics("natAddMulWord", func() { natAddMulWord(make([]word, 3), top, 2) })
	panics("natSub", func() { natSub(make([]word, 3), make([]word, 3), top) })
	panics("natInc", func() { natInc([]word{^word(0)}) })
	big4 := new(big.Int).Lsh(big.NewInt(1), 4*64)
	panics("natSet", func() { natSet(make([]word, 3), big4, false) })
	z := make([]word, 3)
	natSet(z, big4, true)
	for _, x := range z {
		if x != ^word(0) {
			t.Fatalf("saturated natSet: %v", z)
		}
	}
}

// ratOf is the value of a bound.
func ratOf(b bound) *big.Rat {
	r := new(big.Rat).SetInt(new(big.Int).SetUint64(b.m))
	p := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(max(b.e, -b.e))))
	if b.e >= 0 {
		return r.Mul(r, p)
	}
	return r.Quo(r, p)
}

// TestBounds checks approxOf, cmpBound and quoBound against math/big.
func TestBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		x, y := randNat(r, 6, 1+r.IntN(6)), randNat(r, 6, 1+r.IntN(6))
		bx, by := new(big.Rat).SetInt(natBig(x)), new(big.Rat).SetInt(natBig(y))
		xl, xh := approxOf(x)
		yl, yh := approxOf(y)
		for _, c := range []struct {
			lo, hi bound
			v      *big.Rat
		}{{xl, xh, bx}, {yl, yh, by}} {
			if ratOf(c.lo).Cmp(c.v) > 0 || ratOf(c.hi).Cmp(c.v) < 0 || c.hi.m >= 1<<apxBits || (c.lo == c.hi) != (ratOf(c.lo).Cmp(c.v) == 0) {
				t.Fatalf("approxOf %v: %v %v", c.v, c.lo, c.hi)
			}
		}
		for _, p := range [][2]bound{{xl, yl}, {xh, yh}, {xl, yh}, {xl, xl}, {xh, xl}} {
			a, b := p[0], p[1]
			if got, want := cmpBound(a, b), ratOf(a).Cmp(ratOf(b)); got != want {
				t.Fatalf("cmpBound %v %v: %d, want %d", a, b, got, want)
			}
			q := new(big.Rat).Quo(ratOf(a), ratOf(b))
			dn, up := quoBound(a, b, false), quoBound(a, b, true)
			if ratOf(dn).Cmp(q) > 0 || ratOf(up).Cmp(q) < 0 || dn.m >= 1<<apxBits || up.m >= 1<<apxBits {
				t.Fatalf("quoBound %v/%v: %v %v", a, b, dn, up)
			}
			if d := new(big.Rat).Sub(ratOf(up), ratOf(dn)); d.Mul(d, big.NewRat(1<<59, 1)).Cmp(q) > 0 {
				t.Fatalf("quoBound %v/%v loose: %v %v", a, b, dn, up)
			}
		}
	}
}
