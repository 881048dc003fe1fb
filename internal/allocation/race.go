//go:build race

package allocation

// raceEnabled is true when built with -race; the reference test then skips
// the few instances whose add1 loop is too slow under the race detector.
const raceEnabled = true
