package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// The §1 baseline: each pgbench client upserts its own row, as each panel
// member revises their own ballot.
const upsertSetup = `CREATE TABLE bench_upsert (
	k integer PRIMARY KEY,
	v integer NOT NULL,
	n bigint NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now()
)`

const upsertScript = `\set v random(1, 1000000)
INSERT INTO bench_upsert (k, v) VALUES (:client_id, :v)
	ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = bench_upsert.n + 1, updated_at = now();
`

var tpsRe = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// pgbench runs pgbench with args against dbURL (-c 8 -j 2 -T duration
// added), keeps its output in outFile and returns its transactions per
// second.
func (p *postgres) runPgbench(ctx context.Context, dbURL string, d time.Duration, outFile string, args ...string) (float64, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	all := append([]string{"-n", "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(secs)}, args...)
	all = append(all, dbURL)
	out, err := exec.CommandContext(ctx, p.pgbench, all...).CombinedOutput()
	_ = os.WriteFile(outFile, out, 0o644)
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w; see %s", err, outFile)
	}
	m := tpsRe.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps; see %s", outFile)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// upsertBaseline is §1's baseline on a scratch database.
func (p *postgres) upsertBaseline(ctx context.Context, dbURL, dir string, d time.Duration) (float64, error) {
	if err := p.execOn(ctx, dbURL, upsertSetup); err != nil {
		return 0, err
	}
	script := filepath.Join(dir, "pgbench-upsert.sql")
	if err := os.WriteFile(script, []byte(upsertScript), 0o644); err != nil {
		return 0, err
	}
	return p.runPgbench(ctx, dbURL, d, filepath.Join(dir, "pgbench-upsert.txt"), "-f", script)
}

// selectBaseline is §2's: pgbench's own select-only script (-S, a
// primary-key lookup in pgbench_accounts) after `pgbench -i -s 1`.
func (p *postgres) selectBaseline(ctx context.Context, dbURL, dir string, d time.Duration) (float64, error) {
	out, err := exec.CommandContext(ctx, p.pgbench, "-i", "-q", "-s", "1", dbURL).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench -i: %w\n%s", err, out)
	}
	return p.runPgbench(ctx, dbURL, d, filepath.Join(dir, "pgbench-select.txt"), "-S")
}

func (p *postgres) execOn(ctx context.Context, dbURL, sql string) error {
	db, err := openSQL(dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, sql)
	return err
}
