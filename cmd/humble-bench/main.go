// Command humble-bench runs the benchmarks of brief/BENCHMARKS.md that need
// a running server or the built binary: §1 ballots (the write path), §2
// reads, §5 the server's resident memory under workload 1, and §3 the
// allocation rules on the reference instances; and §5 the pattern view on a
// fund made by internal/patterngen (patterns.go). scripts/bench (`make bench`)
// builds it and runs it beside the Go benchmarks.
//
// Every figure is printed beside a baseline measured in the same run on the
// same machine and the same PostgreSQL (pgbench for §1 and §2, pabutools'
// recorded time for §3), and beside its goal. Nothing here is a test: a
// slow machine prints a slow figure and nothing fails.
//
// PostgreSQL is HUMBLE_TEST_DATABASE_URL when set (a role that may create
// databases; humble-bench makes two scratch databases and drops them at the
// end), otherwise a private server in a temporary directory, started the way
// `humble serve` starts one. Humble itself runs as a separate process, the
// built binary given with -humble, on a fresh database seeded through the
// domain services: a fund, a round in voting with six submitted
// applications, eight panel members who have declared no conflict on every
// one, and an API token each.
//
// Usage:
//
//	humble-bench -humble bin/humble [-out bench-results] [-sections ballots,reads,allocation,patterns]
//
// HUMBLE_BENCH_DURATION (default 15s) sets the length of each workload and
// of each pgbench run, for quick tries; HUMBLE_BENCH_ALLOCATE_TIMEOUT
// (default 30s) bounds one `humble allocate` run; HUMBLE_PB_DIR (default
// ../shared/pb) holds the reference instances of §3.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// clients is the concurrency of every workload and of pgbench (-c 8).
const clients = 8

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "humble-bench:", err)
		stop()
		os.Exit(1)
	}
}

type options struct {
	humble   string
	out      string
	sections []string
	duration time.Duration
	pbDir    string
	// allocTimeout bounds one `humble allocate` run, so a slow rule
	// cannot hold the whole benchmark up.
	allocTimeout time.Duration
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("humble-bench", flag.ContinueOnError)
	var o options
	var sections string
	fs.StringVar(&o.humble, "humble", "", "the built humble binary (required)")
	fs.StringVar(&o.out, "out", "bench-results", "directory for the result files and the server's log")
	fs.StringVar(&sections, "sections", "ballots,reads,allocation,patterns", "which sections to run, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.humble == "" {
		return errors.New("-humble is required: build it with `go build -o bin/humble ./cmd/humble`")
	}
	var err error
	if o.humble, err = filepath.Abs(o.humble); err != nil {
		return err
	}
	o.sections = strings.Split(sections, ",")
	for _, s := range o.sections {
		if !slices.Contains([]string{"ballots", "reads", "allocation", "patterns"}, s) {
			return fmt.Errorf("unknown section %q: want ballots, reads, allocation or patterns", s)
		}
	}
	if o.duration, err = envDuration("HUMBLE_BENCH_DURATION", 15*time.Second); err != nil {
		return err
	}
	if o.allocTimeout, err = envDuration("HUMBLE_BENCH_ALLOCATE_TIMEOUT", 30*time.Second); err != nil {
		return err
	}
	o.pbDir = os.Getenv("HUMBLE_PB_DIR")
	if o.pbDir == "" {
		o.pbDir = "../shared/pb"
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	var errs []error
	if slices.Contains(o.sections, "ballots") || slices.Contains(o.sections, "reads") {
		if err := runLoad(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	if slices.Contains(o.sections, "allocation") {
		if err := runAllocation(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	if slices.Contains(o.sections, "patterns") {
		if err := runPatterns(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: want a positive duration such as 15s", name)
	}
	return d, nil
}

// report prints lines to stdout and to one result file.
type report struct {
	f io.WriteCloser
}

func newReport(dir, name string) (*report, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	return &report{f: f}, nil
}

func (r *report) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	fmt.Print(s)
	fmt.Fprint(r.f, s)
}

func (r *report) close() { _ = r.f.Close() }

// verdict says whether a figure meets its goal, in words.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
