package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/patterngen"
	"github.com/humblehq/humble/internal/store"
)

// The pattern view's goal (§5), and how it is measured: one person at a
// time, as the page is used, after a warm-up.
const (
	patternGoal   = 200 * time.Millisecond
	patternWarmup = 5
)

// patternViewer is someone the pattern view is timed for.
type patternViewer struct {
	name  string
	token string // "" for anonymous
	view  account.Viewer
}

// patternTiming is one viewer's requests.
type patternTiming struct {
	status  int
	body    []byte // the first answer
	lat     []time.Duration
	cpu     time.Duration // humble serve's CPU over the measured requests
	errText string
	// pgCPU is the CPU time PostgreSQL's backends spent on the measured
	// runs (0 when /proc does not show them: a server elsewhere).
	pgCPU time.Duration
	// base: the baseline query, run after each measured request.
	base *patternTiming
}

// ratio is a's median over b's.
func ratio(a, b patternTiming) float64 {
	if len(b.lat) == 0 {
		return 0
	}
	return ms(a.p(0.5)) / max(ms(b.p(0.5)), 0.001)
}

func (t patternTiming) p(q float64) time.Duration {
	if len(t.lat) == 0 {
		return 0
	}
	return t.lat[int(q*float64(len(t.lat)-1)+0.5)]
}

// runPatterns is §5's pattern view: a fund with 5,000 reflective accounts
// made by internal/patterngen on a fresh database, `humble serve` started
// on it, and GET /api/v1/funds/:id/patterns timed as a steward, a grantee,
// a panel member and someone not signed in. Beside it, the view's query
// alone (as migration 00009 and account.VisibleSections describe it) and,
// as the baseline, the same counts with no reading rules, both straight on
// PostgreSQL; EXPLAIN ANALYZE of each goes to the results directory. The
// baseline runs after every timed query and request, so that a ratio
// compares figures that met the same noise on a shared machine. The goal
// is judged on each viewer's p95.
//
// HUMBLE_BENCH_PATTERN_ACCOUNTS (default 5000) and
// HUMBLE_BENCH_PATTERN_REQUESTS (default 50 per viewer) shrink it for a
// quick try.
func runPatterns(ctx context.Context, o options) error {
	cfg := patterngen.DefaultConfig()
	var err error
	if cfg.Accounts, err = envInt("HUMBLE_BENCH_PATTERN_ACCOUNTS", cfg.Accounts); err != nil {
		return err
	}
	requests, err := envInt("HUMBLE_BENCH_PATTERN_REQUESTS", 50)
	if err != nil {
		return err
	}
	rep, err := newReport(o.out, "patterns.txt")
	if err != nil {
		return err
	}
	defer rep.close()
	rep.printf("\n== §5 the pattern view: GET /api/v1/funds/:id/patterns on a fund with %d reflective accounts, "+
		"%d requests one after another per viewer after %d to warm up (goal: ≤ %d ms)\n",
		cfg.Accounts, requests, patternWarmup, patternGoal.Milliseconds())

	pg, err := openPostgres(ctx)
	if err != nil {
		return err
	}
	defer pg.close()
	dbURL, err := pg.create(ctx, "humble_patterns_")
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	rep.printf("  PostgreSQL: %s; load average at the start: %s\n", pg.where(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer store.Close(db)
	if err := store.Migrate(ctx, store.SQL(db)); err != nil {
		return err
	}
	began := time.Now()
	fx, err := patterngen.Generate(ctx, db, cfg)
	if err != nil {
		return fmt.Errorf("generating the fund: %w", err)
	}
	took := time.Since(began)
	rep.printf("  %-58s %9.2f s   (%d grantees, %d accounts of which %d notes of conversations, %d funder reflections, "+
		"%d sections, %d stories of which %d withdrawn and %d expired, %d themes, %d tags on accounts, %d on reflections, "+
		"%d dialogues with %d tags; analysed)\n",
		"generator (internal/patterngen, one transaction)", took.Seconds(), cfg.Grantees, fx.Accounts, fx.Conversations,
		fx.FunderReflections, fx.Sections, fx.Stories, fx.StoriesWithdrawn, fx.StoriesExpired, len(fx.Themes),
		fx.AccountTags, fx.ReflectionTags, fx.Dialogues, fx.DialogueTags)

	// From here on one connection, whose PostgreSQL backend's CPU time
	// can be read.
	store.SQL(db).SetMaxOpenConns(1)
	var self int
	if err := db.WithContext(ctx).Raw(`SELECT pg_backend_pid()`).Scan(&self).Error; err != nil {
		return err
	}

	var steps []string
	for _, s := range fx.Steps {
		steps = append(steps, fmt.Sprintf("%s %.2f s", s.Name, s.Took.Seconds()))
	}
	rep.printf("  %-58s %s\n", "  of which", strings.Join(steps, ", "))

	viewers := []patternViewer{
		{"steward", fx.Tokens.Steward, account.Viewer{UserID: fx.Steward, FundID: fx.FundID, Partner: true, Clearance: account.SeesPartner}},
		{"grantee", fx.Tokens.Grantee, account.Viewer{UserID: fx.Grantee, FundID: fx.FundID, OwnOrgs: []int64{fx.GranteeOrg}, Clearance: account.SeesPeers}},
		{"panel member", fx.Tokens.PanelMember, account.Viewer{UserID: fx.PanelMember, FundID: fx.FundID, Clearance: account.SeesPeers}},
		{"anonymous", "", account.Viewer{FundID: fx.FundID, Clearance: account.SeesPublic}},
	}

	// The query alone, straight on PostgreSQL, each run beside a run of
	// the baseline, so that both meet the same noise from the machine.
	baseline := queryRunner(ctx, db, patternBaselineSQL, account.Viewer{FundID: fx.FundID}.Args())
	if err := explain(ctx, db, patternBaselineSQL, account.Viewer{FundID: fx.FundID}.Args(),
		filepath.Join(o.out, "patterns-explain-baseline.txt")); err != nil {
		return fmt.Errorf("baseline query: %w", err)
	}
	baseTags, err := baseline()
	if err != nil {
		return fmt.Errorf("baseline query: %w", err)
	}
	expected := map[string]int{}
	var lines []string
	var allBase patternTiming
	for _, v := range viewers {
		run := queryRunner(ctx, db, pattern.PatternsSQL, v.view.Args())
		if err := explain(ctx, db, pattern.PatternsSQL, v.view.Args(),
			filepath.Join(o.out, "patterns-explain-"+strings.ReplaceAll(v.name, " ", "-")+".txt")); err != nil {
			return fmt.Errorf("pattern query as %s: %w", v.name, err)
		}
		n, err := run()
		if err != nil {
			return fmt.Errorf("pattern query as %s: %w", v.name, err)
		}
		expected[v.name] = n
		var t, base patternTiming
		for range requests {
			for _, r := range []struct {
				run func() (int, error)
				t   *patternTiming
			}{{baseline, &base}, {run, &t}} {
				cpu := procCPU(self)
				began := time.Now()
				if _, err := r.run(); err != nil {
					return err
				}
				r.t.lat = append(r.t.lat, time.Since(began))
				r.t.pgCPU += procCPU(self) - cpu
			}
		}
		slices.Sort(t.lat)
		slices.Sort(base.lat)
		allBase.lat = append(allBase.lat, base.lat...)
		lines = append(lines, fmt.Sprintf("  %-58s %9.1f ms  p95 %.1f ms   (%d sources it may read; %.1f× the baseline run beside it, %.1f ms; PostgreSQL CPU %s, the baseline's %s)\n",
			"the view's query alone as "+v.name, ms(t.p(0.5)), ms(t.p(0.95)), n, ratio(t, base), ms(base.p(0.5)), perRun(t.pgCPU, requests), perRun(base.pgCPU, requests)))
	}
	slices.Sort(allBase.lat)
	rep.printf("  %-58s %9.1f ms  p95 %.1f ms   (%d tags)\n", "baseline: the same counts with no reading rules, SQL alone",
		ms(allBase.p(0.5)), ms(allBase.p(0.95)), baseTags)
	for _, l := range lines {
		rep.printf("%s", l)
	}

	logPath := filepath.Join(o.out, "serve-patterns.log")
	srv, err := startServer(ctx, o.humble, dbURL, logPath)
	if err != nil {
		return err
	}
	defer srv.stop()
	rep.printf("  humble serve (pid %d) on %s, log in %s\n", srv.cmd.Process.Pid, srv.url, logPath)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}}
	url := fmt.Sprintf("%s/api/v1/funds/%d/patterns", srv.url, fx.FundID)

	var missing int
	var cpuLines []string
	var cpuMax time.Duration
	for _, v := range viewers {
		t := timePatterns(ctx, c, srv, url, v.token, requests, baseline, func() time.Duration { return serverBackendsCPU(ctx, db, self) })
		label := "GET …/patterns as " + v.name
		switch {
		case t.errText != "":
			rep.printf("  %-58s failed: %s\n", label, t.errText)
			continue
		case t.status == http.StatusNotFound && isRouteMissing(ctx, c, srv.url+"/api/v1/funds/"+strconv.FormatInt(fx.FundID, 10)+"/no-such-route", t.body):
			missing++
			rep.printf("  %-58s endpoint missing (404: %s)\n", label, snippet(t.body))
			continue
		case t.status != http.StatusOK:
			rep.printf("  %-58s answered %d (%s); timed anyway: p50 %.1f ms, max %.1f ms\n", label, t.status, snippet(t.body),
				ms(t.p(0.5)), ms(t.p(1)))
			continue
		}
		var view struct {
			FundID  int64             `json:"fund_id"`
			Periods []json.RawMessage `json:"periods"`
			Themes  []struct {
				Total struct {
					Sources int `json:"sources"`
				} `json:"total"`
			} `json:"themes"`
		}
		check := ""
		if err := json.Unmarshal(t.body, &view); err != nil || view.FundID != fx.FundID {
			check = fmt.Sprintf("; the answer is not the fund's pattern view (%v): %s", err, snippet(t.body))
		} else {
			sources := 0
			for _, th := range view.Themes {
				sources += th.Total.Sources
			}
			agree := "agrees"
			if sources != expected[v.name] {
				agree = fmt.Sprintf("the query alone counts %d", expected[v.name])
			}
			check = fmt.Sprintf("; %d themes × %d quarters, %d sources (%s), %d bytes", len(view.Themes), len(view.Periods), sources, agree, len(t.body))
		}
		p95 := t.p(0.95)
		rep.printf("  %-58s p50 %6.1f ms   p95 %6.1f ms   max %6.1f ms   goal ≤ %d ms (p95)  %s\n", label,
			ms(t.p(0.5)), ms(p95), ms(t.p(1)), patternGoal.Milliseconds(), verdict(p95 <= patternGoal))
		rep.printf("  %-58s p50 %.1f× the baseline query run beside it (%.1f ms); CPU per request: humble serve %s, its PostgreSQL backends %s%s\n", "",
			ratio(t, *t.base), ms(t.base.p(0.5)), perRun(t.cpu, len(t.lat)), perRun(t.pgCPU, len(t.lat)), check)
		if t.cpu > 0 && t.pgCPU > 0 {
			per := (t.cpu + t.pgCPU) / time.Duration(len(t.lat))
			cpuMax = max(cpuMax, per)
			cpuLines = append(cpuLines, fmt.Sprintf("%s %.1f ms", v.name, ms(per)))
		}
	}
	if len(cpuLines) > 0 {
		rep.printf("  %-58s %s   goal ≤ %d ms  %s\n", "CPU per request, humble serve + PostgreSQL (≈ idle latency)",
			strings.Join(cpuLines, ", "), patternGoal.Milliseconds(), verdict(cpuMax <= patternGoal))
	}
	if missing == len(viewers) {
		rep.printf("  the pattern endpoint is missing from this build: nothing to time yet (the figures above are the query alone)\n")
	}
	return nil
}

// timePatterns sends warm-up requests, then n measured ones, one after
// another on one keep-alive connection.
func timePatterns(ctx context.Context, c *http.Client, srv *server, url, token string, n int, baseline func() (int, error),
	backendsCPU func() time.Duration) patternTiming {
	t := patternTiming{base: &patternTiming{}}
	get := func() (int, []byte, time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, nil, 0, err
		}
		req.Header.Set("Accept", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		began := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, nil, 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, body, time.Since(began), err
	}
	for i := range patternWarmup {
		status, body, _, err := get()
		if err != nil {
			t.errText = err.Error()
			return t
		}
		if i == 0 {
			t.status, t.body = status, body
		}
		if status == http.StatusNotFound {
			return t
		}
	}
	cpu := srv.cpu()
	for range n {
		pgCPU := backendsCPU()
		status, body, d, err := get()
		if err != nil {
			t.errText = err.Error()
			return t
		}
		if status != t.status {
			t.errText = fmt.Sprintf("answered %d, then %d: %s", t.status, status, snippet(body))
			return t
		}
		t.lat = append(t.lat, d)
		t.pgCPU += backendsCPU() - pgCPU
		began := time.Now()
		if _, err := baseline(); err != nil {
			t.errText = "the baseline query: " + err.Error()
			return t
		}
		t.base.lat = append(t.base.lat, time.Since(began))
	}
	if cpu > 0 {
		// The server's CPU over the requests (the baseline queries
		// between them run in PostgreSQL, not in it).
		t.cpu = srv.cpu() - cpu
	}
	slices.Sort(t.lat)
	slices.Sort(t.base.lat)
	return t
}

// isRouteMissing tells a 404 for a route the server does not have from a
// 404 for a fund it does not know: it answers like a route that surely
// does not exist (missing), title and detail alike.
func isRouteMissing(ctx context.Context, c *http.Client, missingURL string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, missingURL, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	other, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusNotFound {
		return false
	}
	type problem struct{ Title, Detail string }
	var a, b problem
	if json.Unmarshal(body, &a) != nil || json.Unmarshal(other, &b) != nil {
		return string(body) == string(other)
	}
	return a == b
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// queryRunner returns a function that runs query with args and returns
// the number of sources it counted: the per-theme totals added up, from
// the rows with no period (the baseline) or marked total (the view's own
// query, pattern.PatternsSQL).
func queryRunner(ctx context.Context, db *gorm.DB, query string, args map[string]any) func() (int, error) {
	return func() (int, error) {
		var rows []map[string]any
		if err := db.WithContext(ctx).Raw(query, args).Scan(&rows).Error; err != nil {
			return 0, err
		}
		total := 0
		for _, r := range rows {
			isTotal := false
			if t, ok := r["total"].(bool); ok {
				isTotal = t
			} else {
				isTotal = r["period"] == nil
			}
			if n, ok := r["sources"].(int64); ok && isTotal {
				total += int(n)
			}
		}
		return total, nil
	}
}

// explain writes EXPLAIN (ANALYZE, BUFFERS) of query to path.
func explain(ctx context.Context, db *gorm.DB, query string, args map[string]any, path string) error {
	var plan []string
	rows, err := db.WithContext(ctx).Raw("EXPLAIN (ANALYZE, BUFFERS) "+query, args).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	text := "-- " + strings.ReplaceAll(strings.TrimSpace(query), "\n", "\n-- ") + "\n-- arguments: " + fmt.Sprint(args) + "\n\n" +
		strings.Join(plan, "\n") + "\n"
	return os.WriteFile(path, []byte(text), 0o644)
}

// patternQuarter is the calendar quarter of on_date, "2026-Q3".
const patternQuarter = `to_char(tg.on_date, 'YYYY-"Q"Q')`

// patternBaselineSQL is the same counting of every tag on a submitted
// account or published reflection, with no reading rules at all: the
// floor under the view's query.
const patternBaselineSQL = `WITH tg AS (
		SELECT t.theme_id, CASE WHEN a.kind = 'grantee' THEN a.organisation_id END AS organisation_id, a.period_end AS on_date
		FROM theme_tags t JOIN reflective_accounts a ON a.id = t.account_id
		WHERE t.fund_id = @v_fund AND a.status IN ('submitted', 'published')
	)
	SELECT tg.theme_id, CASE WHEN grouping(` + patternQuarter + `) = 0 THEN ` + patternQuarter + ` END AS period,
		count(*) AS sources, count(DISTINCT tg.organisation_id) AS grantees
	FROM tg
	GROUP BY GROUPING SETS ((tg.theme_id), (tg.theme_id, ` + patternQuarter + `))`

func envInt(name string, def int) (int, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.New(name + ": want a positive whole number")
	}
	return n, nil
}

// procCPU is the CPU time (user and system) process pid has used so far,
// from /proc/PID/stat; 0 if it cannot be read (PostgreSQL on another
// machine or in a container of its own).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After the command name, in parentheses: state first, then utime
	// and stime the 12th and 13th.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticksPerSecond = 100 // USER_HZ
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// serverBackendsCPU adds up procCPU of every backend connected to this
// database but ours (self): humble serve's pool and its policy listener.
func serverBackendsCPU(ctx context.Context, db *gorm.DB, self int) time.Duration {
	var pids []int
	if err := db.WithContext(ctx).Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> ?`, self).
		Scan(&pids).Error; err != nil {
		return 0
	}
	var sum time.Duration
	for _, pid := range pids {
		sum += procCPU(pid)
	}
	return sum
}

// perRun says CPU time per run, or "not visible" when /proc showed none.
func perRun(d time.Duration, runs int) string {
	if d <= 0 || runs == 0 {
		return "not visible"
	}
	return fmt.Sprintf("%.1f ms", ms(d)/float64(runs))
}
