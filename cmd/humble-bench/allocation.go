package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// allocRules are the rules §3 times: the Method of Equal Shares with
// completion (the goal's rule) and plain greedy, for scale.
var allocRules = []string{"mes_cost_add1_greedy", "greedy_cost"}

// namedInstances are always measured; the largest others by file size
// are added to them.
var namedInstances = []string{"Poland_Lodz_2022.pb", "Poland_Warszawa_2026.pb"}

const otherInstances = 2

// expected is the part of a pb/expected JSON §3 reads.
type expected struct {
	NumVoters   int `json:"num_voters"`
	NumProjects int `json:"num_projects"`
	Rules       map[string]struct {
		Status   string   `json:"status"`
		TimeS    float64  `json:"time_s"`
		Selected []string `json:"selected"`
	} `json:"rules"`
}

// runAllocation runs the built `humble allocate` on the largest reference
// instances: wall clock (process start and parsing included, which
// pabutools' recorded time leaves out), peak resident memory from
// getrusage, and the outcome against pabutools'.
func runAllocation(ctx context.Context, o options) error {
	rep, err := newReport(o.out, "allocation.txt")
	if err != nil {
		return err
	}
	defer rep.close()
	rep.printf("\n== §3 allocation rules: `humble allocate` on the largest reference instances (goals: < 1 s, ≥ 100× faster than pabutools, < 200 MB, pabutools' outcome; set for MES with completion, greedy is held to the same)\n")
	dir := filepath.Join(o.pbDir, "instances")
	names, err := largestInstances(dir)
	if err != nil {
		rep.printf("  no reference instances in %s (%v): set HUMBLE_PB_DIR to the directory holding instances/ and expected/; §3 skipped\n", dir, err)
		return nil
	}
	// What any run of the binary costs before it reads a file.
	if m, err := startupOnly(ctx, o); err == nil {
		rep.printf("  the binary's own start-up (`humble help`, one run): %.3f s, peak %.1f MB; both are included in every figure below\n",
			m.wall.Seconds(), mb(m.maxRSS))
	}
	rep.printf("  %-44s %-21s %9s %10s %11s %9s  %-8s %s\n", "instance (voters × projects)", "rule", "time", "peak mem", "pabutools", "speed-up", "outcome", "goals")
	var errs []error
	for _, name := range names {
		base := strings.TrimSuffix(name, ".pb")
		var want expected
		b, err := os.ReadFile(filepath.Join(o.pbDir, "expected", base+".json"))
		if err == nil {
			err = json.Unmarshal(b, &want)
		}
		if err != nil {
			rep.printf("  %s: no expected outcome (%v)\n", base, err)
			continue
		}
		label := fmt.Sprintf("%s (%d × %d)", base, want.NumVoters, want.NumProjects)
		for _, rule := range allocRules {
			ref, ok := want.Rules[rule]
			if !ok || ref.Status != "ok" {
				rep.printf("  %-44s %-21s   pabutools has no outcome for it (%s); not run\n", label, rule, ref.Status)
				continue
			}
			m, err := fastestOf(ctx, o, allocRuns, filepath.Join(dir, name), rule)
			if err != nil {
				rep.printf("  %-44s %-21s   %v\n", label, rule, err)
				errs = append(errs, fmt.Errorf("%s %s: %w", base, rule, err))
				continue
			}
			outcome := "same"
			got, exp := slices.Sorted(slices.Values(m.selected)), slices.Sorted(slices.Values(ref.Selected))
			if !slices.Equal(got, exp) {
				outcome = "DIFFERS"
			}
			speedup := ref.TimeS / m.wall.Seconds()
			timing := fmt.Sprintf("%8.3f s", m.wall.Seconds())
			if m.timedOut {
				timing = fmt.Sprintf("> %.0f s", o.allocTimeout.Seconds())
				outcome = "stopped"
			}
			var missed []string
			if m.wall >= time.Second {
				missed = append(missed, "time")
			}
			if speedup < 100 {
				missed = append(missed, "speed-up")
			}
			if mb(m.maxRSS) >= 200 {
				missed = append(missed, "memory")
			}
			if outcome != "same" {
				missed = append(missed, "outcome")
			}
			goals := verdict(len(missed) == 0)
			if len(missed) > 0 {
				goals += " (" + strings.Join(missed, ", ") + ")"
			}
			rep.printf("  %-44s %-21s %9s %7.1f MB %9.2f s %8.0f×  %-8s %s\n",
				label, rule, timing, mb(m.maxRSS), ref.TimeS, speedup, outcome, goals)
		}
	}
	launcher := "getrusage through " + gnuTime
	if !isExecutable(gnuTime) {
		launcher = "its VmHWM in /proc, polled"
	}
	rep.printf("  (time: the fastest of %d runs, wall clock of the whole process, reading the file included; pabutools' time leaves parsing out. Peak memory: the process's maximum resident set, from %s; the highest of the runs.)\n", allocRuns, launcher)
	return errors.Join(errs...)
}

// largestInstances returns namedInstances (those present) and the
// otherInstances largest other .pb files in dir.
func largestInstances(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type file struct {
		name string
		size int64
	}
	var others []file
	var names []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pb") {
			continue
		}
		if slices.Contains(namedInstances, e.Name()) {
			names = append(names, e.Name())
			continue
		}
		if fi, err := e.Info(); err == nil {
			others = append(others, file{e.Name(), fi.Size()})
		}
	}
	slices.SortFunc(others, func(a, b file) int { return int(b.size - a.size) })
	for _, f := range others[:min(otherInstances, len(others))] {
		names = append(names, f.name)
	}
	if len(names) == 0 {
		return nil, errors.New("no .pb files")
	}
	return names, nil
}

type measurement struct {
	wall     time.Duration
	maxRSS   int64 // kB
	selected []string
	timedOut bool
}

// timed runs the humble binary with args (at most o.allocTimeout) and
// measures its wall clock and peak resident memory.
//
// The peak is never this process's own getrusage of the child: Go starts
// children with vfork, and Linux then counts the parent's high-water mark
// (this program's, seeding included) into the child's ru_maxrss. So it
// comes from /usr/bin/time, whose fork gives the child a clean count, or
// where that is missing from the child's VmHWM in /proc, read every 5 ms
// while it runs (a peak in its last few milliseconds can be missed).
func timed(ctx context.Context, o options, stdout *bytes.Buffer, args ...string) (measurement, error) {
	var m measurement
	ctx, cancel := context.WithTimeout(ctx, o.allocTimeout)
	defer cancel()
	var cmd *exec.Cmd
	var timeOut string
	if isExecutable(gnuTime) {
		f, err := os.CreateTemp("", "humble-bench-time")
		if err != nil {
			return m, err
		}
		f.Close()
		defer os.Remove(f.Name())
		timeOut = f.Name()
		cmd = exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", timeOut, o.humble}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, o.humble, args...)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return m, err
	}
	polled := make(chan int64, 1)
	stopPolling := make(chan struct{})
	go func() {
		var hwm int64
		defer func() { polled <- hwm }()
		if timeOut != "" {
			return
		}
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if n := vmHWM(status); n > 0 {
				hwm = max(hwm, n)
			}
			select {
			case <-stopPolling:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	m.wall = time.Since(began)
	close(stopPolling)
	m.maxRSS = <-polled
	if ctx.Err() == context.DeadlineExceeded {
		m.timedOut = true
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if timeOut != "" {
		b, err := os.ReadFile(timeOut)
		if err != nil {
			return m, err
		}
		// GNU time may put a "Command exited…" line first; the figure is last.
		fields := strings.Fields(string(b))
		if len(fields) == 0 {
			return m, errors.New("no peak memory reported by " + gnuTime)
		}
		if m.maxRSS, err = strconv.ParseInt(fields[len(fields)-1], 10, 64); err != nil {
			return m, fmt.Errorf("peak memory: %w", err)
		}
	}
	return m, nil
}

const gnuTime = "/usr/bin/time"

// vmHWM reads VmHWM (kB) from a /proc/PID/status file; 0 if it cannot.
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(b), "VmHWM:")
	if !ok {
		return 0
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(fields[0], 10, 64)
	return n
}

func startupOnly(ctx context.Context, o options) (measurement, error) {
	var stdout bytes.Buffer
	return timed(ctx, o, &stdout, "help")
}

// allocRuns is how many times each rule runs on each instance: the machine
// is shared, so the fastest run says most about the code.
const allocRuns = 3

// fastestOf runs allocate n times (once if it times out) and returns the
// fastest run, with the highest peak memory of them all. Every run's
// outcome must be the same.
func fastestOf(ctx context.Context, o options, n int, file, rule string) (measurement, error) {
	var best measurement
	for i := range n {
		m, err := allocate(ctx, o, file, rule)
		if err != nil || m.timedOut {
			return m, err
		}
		if i > 0 && !slices.Equal(m.selected, best.selected) {
			return m, errors.New("two runs gave different outcomes")
		}
		m.maxRSS = max(m.maxRSS, best.maxRSS)
		if i == 0 || m.wall < best.wall {
			best = m
		} else {
			best.maxRSS = m.maxRSS
		}
	}
	return best, nil
}

// allocate runs `humble allocate --rule rule file` once.
func allocate(ctx context.Context, o options, file, rule string) (measurement, error) {
	var stdout bytes.Buffer
	m, err := timed(ctx, o, &stdout, "allocate", "--rule", rule, file)
	if err != nil || m.timedOut {
		return m, err
	}
	var out struct {
		Selected []string `json:"selected"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return m, fmt.Errorf("humble allocate printed no outcome: %w", err)
	}
	m.selected = out.Selected
	return m, nil
}
