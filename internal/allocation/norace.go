//go:build !race

package allocation

const raceEnabled = false
