package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// runLoad runs §1 (with §5's memory reading) and §2 against a separately
// running `humble serve`, each beside its pgbench baseline on the same
// PostgreSQL.
func runLoad(ctx context.Context, o options) error {
	pg, err := openPostgres(ctx)
	if err != nil {
		return err
	}
	defer pg.close()
	appURL, err := pg.create(ctx, "humble_bench_")
	if err != nil {
		return err
	}
	benchURL, err := pg.create(ctx, "humble_pgbench_")
	if err != nil {
		return err
	}
	fmt.Printf("PostgreSQL: %s (pgbench: %s); each workload and each pgbench run lasts %s with %d clients\n",
		pg.where(), pg.pgbench, o.duration, clients)

	fx, err := seed(ctx, appURL)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	logPath := filepath.Join(o.out, "serve-load.log")
	srv, err := startServer(ctx, o.humble, appURL, logPath)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("humble serve (pid %d) on %s, log in %s\n", srv.cmd.Process.Pid, srv.url, logPath)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 4 * clients, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	warmup := min(time.Second, o.duration/5)

	if slices.Contains(o.sections, "ballots") {
		if err := ballots(ctx, o, pg, srv, c, fx, appURL, benchURL, warmup); err != nil {
			return err
		}
	}
	if slices.Contains(o.sections, "reads") {
		if err := reads(ctx, o, pg, srv, c, fx, benchURL, warmup); err != nil {
			return err
		}
	}
	return nil
}

func ballots(ctx context.Context, o options, pg *postgres, srv *server, c *http.Client, fx fixture, appURL, benchURL string, warmup time.Duration) error {
	rep, err := newReport(o.out, "ballots.txt")
	if err != nil {
		return err
	}
	defer rep.close()
	secs := o.duration.Round(time.Second) / time.Second
	rep.printf("\n== §1 ballots: %d panel members PUT their whole ballot (5 of %d applications approved, alternating, so each PUT revises) for %s\n",
		clients, numApplications, o.duration)
	tps, err := pg.upsertBaseline(ctx, benchURL, o.out, o.duration)
	if err != nil {
		return err
	}
	rep.printf("  %-58s %9.1f upserts/s\n", fmt.Sprintf("baseline: pgbench -c %d -j 2 -T %d, one-row INSERT … ON CONFLICT DO UPDATE", clients, secs), tps)

	// Two whole ballots per member: the first five applications, then
	// the last five.
	bodies := [2][]byte{}
	for i := range bodies {
		b, _ := json.Marshal(map[string][]int64{"approvals": fx.Applications[i : i+5]})
		bodies[i] = b
	}
	path := fmt.Sprintf("%s/api/v1/rounds/%d/ballot", srv.url, fx.RoundID)
	put := func(ctx context.Context, worker, i int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, path, bytes.NewReader(bodies[i%2]))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+fx.Tokens[worker])
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}
	// One ballot through the API first, checked: the workload measures
	// what it is meant to.
	var cast struct {
		Approvals []int64 `json:"approvals"`
	}
	if err := preflight(ctx, c, put, func(body []byte) error {
		if err := json.Unmarshal(body, &cast); err != nil {
			return err
		}
		if !slices.Equal(cast.Approvals, fx.Applications[1:6]) {
			return fmt.Errorf("the ballot came back with approvals %v", cast.Approvals)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("a ballot PUT: %w", err)
	}

	// §5: the server's resident memory, sampled through the workload
	// (the samples kept in memory-samples.tsv).
	startHWM, _, err := srv.memory()
	if err != nil {
		return err
	}
	var peakRSS int64
	var samples strings.Builder
	samples.WriteString("seconds\tVmRSS_kB\tVmHWM_kB\n")
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	began := time.Now()
	go func() {
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if hwm, rss, err := srv.memory(); err == nil {
				peakRSS = max(peakRSS, rss)
				fmt.Fprintf(&samples, "%.1f\t%d\t%d\n", time.Since(began).Seconds(), rss, hwm)
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()
	res := drive(ctx, srv, c, put, okStatus(http.StatusOK, http.StatusCreated), warmup, o.duration)
	close(stopSampling)
	<-sampled
	res.print(rep, "ballot PUTs (API token, casbin, validation, declarations, tx + audit)")
	ratio := res.rate() / tps
	rep.printf("  %-58s %9.2f     goal ≥ 0.6     %s\n", "ballot PUTs/s ÷ pgbench upserts/s", ratio, verdict(ratio >= 0.6))
	rep.printf("  %-58s %9.1f ms  goal ≤ 25 ms   %s\n", "p99 latency of ballot PUTs", ms(res.p(0.99)), verdict(res.p(0.99) <= 25*time.Millisecond))
	rep.printf("  %-58s %9d     goal 0         %s\n", "errors", res.errs, verdict(res.errs == 0))
	res.printErrors(rep)

	// Every successful PUT wrote one version of a ballot and one audit
	// event; the database should say so.
	db, err := openSQL(appURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var n, versions, events int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(version), 0) FROM ballots WHERE round_id = $1`, fx.RoundID).
		Scan(&n, &versions); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('ballot.cast', 'ballot.revise')`).
		Scan(&events); err != nil {
		return err
	}
	puts := int64(res.okAll) + 1 // and the preflight
	rep.printf("  check: %d ballots stored; their versions add up to %d and there are %d ballot audit events, for %d successful PUTs (%s)\n",
		n, versions, events, puts, verdict(versions == puts && events == puts))

	hwm, rss, err := srv.memory()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "memory-samples.tsv"), []byte(samples.String()), 0o644); err != nil {
		return err
	}
	mem, err := newReport(o.out, "memory.txt")
	if err != nil {
		return err
	}
	defer mem.close()
	mem.printf("\n== §5 the process: resident memory of humble serve (a separate process) under workload 1\n")
	mem.printf("  %-58s %9.1f MB  goal ≤ 150 MB  %s\n", "peak since start (VmHWM), read after workload 1", mb(hwm), verdict(mb(hwm) <= 150))
	mem.printf("  %-58s %9.1f MB\n", "peak (VmHWM) once ready, before any load", mb(startHWM))
	mem.printf("  %-58s %9.1f MB\n", "highest VmRSS sampled every 100 ms during workload 1", mb(peakRSS))
	mem.printf("  %-58s %9.1f MB\n", "VmRSS after workload 1", mb(rss))
	return nil
}

func reads(ctx context.Context, o options, pg *postgres, srv *server, c *http.Client, fx fixture, benchURL string, warmup time.Duration) error {
	rep, err := newReport(o.out, "reads.txt")
	if err != nil {
		return err
	}
	defer rep.close()
	secs := o.duration.Round(time.Second) / time.Second
	rep.printf("\n== §2 reads: %d clients for %s each: one application (panel members, API token), then the fund's public page (anonymous)\n",
		clients, o.duration)
	tps, err := pg.selectBaseline(ctx, benchURL, o.out, o.duration)
	if err != nil {
		return err
	}
	rep.printf("  %-58s %9.1f selects/s\n", fmt.Sprintf("baseline: pgbench -S -c %d -j 2 -T %d, primary-key select", clients, secs), tps)

	appID := fx.Applications[0]
	getApp := func(ctx context.Context, worker, i int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/applications/%d", srv.url, appID), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+fx.Tokens[worker])
		return req, nil
	}
	if err := preflight(ctx, c, getApp, func(body []byte) error {
		var a struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			return err
		}
		if a.ID != appID || a.Title == "" {
			return fmt.Errorf("got %s", body)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("an application GET: %w", err)
	}
	appRes := drive(ctx, srv, c, getApp, okStatus(http.StatusOK), warmup, o.duration)

	fundPage := func(ctx context.Context, worker, i int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/funds/%d", srv.url, fx.FundID), nil)
	}
	if err := preflight(ctx, c, fundPage, func(body []byte) error {
		if !bytes.Contains(body, []byte(fx.FundName)) {
			return fmt.Errorf("the page does not name the fund %q", fx.FundName)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("the public fund page: %w", err)
	}
	pageRes := drive(ctx, srv, c, fundPage, okStatus(http.StatusOK), warmup, o.duration)

	appRes.print(rep, fmt.Sprintf("GET /api/v1/applications/%d (panel member)", appID))
	pageRes.print(rep, fmt.Sprintf("GET /funds/%d (anonymous, HTML)", fx.FundID))
	for _, f := range []struct {
		name string
		r    result
	}{{"application GETs/s ÷ pgbench selects/s", appRes}, {"public fund page GETs/s ÷ pgbench selects/s", pageRes}} {
		ratio := f.r.rate() / tps
		rep.printf("  %-58s %9.2f     goal ≥ 0.4     %s\n", f.name, ratio, verdict(ratio >= 0.4))
	}
	for _, f := range []struct {
		name string
		r    result
	}{{"p99 latency of application GETs", appRes}, {"p99 latency of public fund page GETs", pageRes}} {
		rep.printf("  %-58s %9.1f ms  goal ≤ 15 ms   %s\n", f.name, ms(f.r.p(0.99)), verdict(f.r.p(0.99) <= 15*time.Millisecond))
	}
	rep.printf("  %-58s %9d\n", "errors", appRes.errs+pageRes.errs)
	appRes.printErrors(rep)
	pageRes.printErrors(rep)
	return nil
}

// newRequest makes the i-th request of a worker.
type newRequest func(ctx context.Context, worker, i int) (*http.Request, error)

// okStatus accepts the given statuses.
func okStatus(codes ...int) func(int) bool {
	return func(code int) bool { return slices.Contains(codes, code) }
}

// preflight sends one request (as worker 0) and checks its answer.
func preflight(ctx context.Context, c *http.Client, mk newRequest, check func([]byte) error) error {
	req, err := mk(ctx, 0, 1)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return check(body)
}

// result is one workload's measurements.
type result struct {
	ok, errs int
	okAll    int // successful requests including the warm-up
	elapsed  time.Duration
	// serverCPU is the CPU time humble serve used while measured.
	serverCPU time.Duration
	lat       []time.Duration // successful requests, sorted
	samples   []string        // the first few errors
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// p returns the q-quantile (nearest rank) of the latencies.
func (r result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[int(q*float64(len(r.lat)-1)+0.5)]
}

func (r result) print(rep *report, name string) {
	rep.printf("  %-58s %9.1f req/s     p50 %.1f ms   p99 %.1f ms   errors %d   (%d requests)\n",
		name, r.rate(), ms(r.p(0.5)), ms(r.p(0.99)), r.errs, r.ok+r.errs)
	if n := r.ok + r.errs; n > 0 && r.serverCPU > 0 {
		rep.printf("  %-58s %9.2f ms CPU per request (%.0f%% of one core)\n", "  humble serve's own CPU", ms(r.serverCPU)/float64(n),
			100*r.serverCPU.Seconds()/r.elapsed.Seconds())
	}
}

func (r result) printErrors(rep *report) {
	for _, s := range r.samples {
		rep.printf("    error: %s\n", s)
	}
}

// drive runs the workload: clients workers, each sending requests one
// after another on its own keep-alive connection, first for warmup (not
// counted), then for d.
func drive(ctx context.Context, srv *server, c *http.Client, mk newRequest, ok func(int) bool, warmup, d time.Duration) result {
	type tally struct {
		ok, errs, okAll int
		lat             []time.Duration
		samples         []string
	}
	tallies := make([]tally, clients)
	warmEnd := time.Now().Add(warmup)
	end := warmEnd.Add(d)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[w]
			t.lat = make([]time.Duration, 0, 1<<14)
			for i := 0; ; i++ {
				began := time.Now()
				if began.After(end) || ctx.Err() != nil {
					return
				}
				measured := !began.Before(warmEnd)
				errMsg := ""
				req, err := mk(ctx, w, i)
				if err == nil {
					var resp *http.Response
					resp, err = c.Do(req)
					if err == nil {
						var body []byte
						if ok(resp.StatusCode) {
							_, err = io.Copy(io.Discard, resp.Body)
						} else {
							body, _ = io.ReadAll(io.LimitReader(resp.Body, 300))
							errMsg = resp.Status + ": " + strings.TrimSpace(string(body))
						}
						resp.Body.Close()
					}
				}
				if err != nil {
					errMsg = err.Error()
				}
				took := time.Since(began)
				if errMsg == "" {
					t.okAll++
				}
				if !measured {
					continue
				}
				if errMsg != "" {
					t.errs++
					if len(t.samples) < 3 {
						t.samples = append(t.samples, errMsg)
					}
					continue
				}
				t.ok++
				t.lat = append(t.lat, took)
			}
		}()
	}
	time.Sleep(time.Until(warmEnd))
	cpuAtStart := srv.cpu()
	wg.Wait()
	r := result{elapsed: time.Since(warmEnd)}
	if cpuAtStart > 0 {
		r.serverCPU = srv.cpu() - cpuAtStart
	}
	for _, t := range tallies {
		r.ok += t.ok
		r.errs += t.errs
		r.okAll += t.okAll
		r.lat = append(r.lat, t.lat...)
		if len(r.samples) < 5 {
			r.samples = append(r.samples, t.samples...)
		}
	}
	slices.Sort(r.lat)
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// mb turns kB (as /proc and getrusage count them, 1024 bytes) into MB.
func mb(kb int64) float64 { return float64(kb) * 1024 / 1e6 }
