package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/humblehq/humble/internal/pglocal"
)

// postgres is the one PostgreSQL server that Humble and pgbench share in
// a run, and the scratch databases made on it.
type postgres struct {
	admin    *sql.DB
	adminURL *url.URL
	private  *pglocal.Server // nil when HUMBLE_TEST_DATABASE_URL is used
	tmpDir   string
	made     []string
	// pgbench is the path of the pgbench beside the server binaries.
	pgbench string
}

// openPostgres connects to HUMBLE_TEST_DATABASE_URL or starts a private
// server in a temporary directory.
func openPostgres(ctx context.Context) (*postgres, error) {
	p := &postgres{}
	var err error
	if p.pgbench, err = findPgbench(); err != nil {
		return nil, err
	}
	raw := os.Getenv("HUMBLE_TEST_DATABASE_URL")
	if raw == "" {
		// Straight under the temporary directory: the socket path must
		// stay short, and when root runs this, the unprivileged server
		// user must be able to reach it.
		if p.tmpDir, err = os.MkdirTemp("", "hbb"); err != nil {
			return nil, err
		}
		if err := os.Chmod(p.tmpDir, 0o755); err != nil {
			return nil, err
		}
		p.private, err = pglocal.Start(ctx, pglocal.Options{DataDir: filepath.Join(p.tmpDir, "pg"),
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			_ = os.RemoveAll(p.tmpDir)
			return nil, err
		}
		raw = p.private.URL("postgres")
	}
	if p.adminURL, err = url.Parse(raw); err != nil || (p.adminURL.Scheme != "postgres" && p.adminURL.Scheme != "postgresql") {
		p.close()
		return nil, errors.New("HUMBLE_TEST_DATABASE_URL must be a postgres:// URL")
	}
	if p.admin, err = sql.Open("pgx", raw); err != nil {
		p.close()
		return nil, err
	}
	p.admin.SetMaxOpenConns(2)
	if err := p.admin.PingContext(ctx); err != nil {
		p.close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return p, nil
}

// where says which server this is, for the report.
func (p *postgres) where() string {
	if p.private != nil {
		return "a private PostgreSQL in " + p.private.DataDir()
	}
	u := *p.adminURL
	u.User = url.User(u.User.Username())
	return u.Redacted()
}

// findPgbench looks where internal/pglocal finds the server binaries
// (PATH, then the newest /usr/lib/postgresql/*/bin), then on PATH.
func findPgbench() (string, error) {
	if dir, err := pglocal.FindBinDir(); err == nil {
		if p := filepath.Join(dir, "pgbench"); isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	return "", errors.New("pgbench not found beside the PostgreSQL binaries or on PATH " +
		"(Debian: apt-get install postgresql-contrib or postgresql-15); it is the baseline of §1 and §2")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// create makes a scratch database and returns its URL; close drops it.
func (p *postgres) create(ctx context.Context, prefix string) (string, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if _, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	p.made = append(p.made, name)
	u := *p.adminURL
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// close drops the scratch databases and stops the private server.
func (p *postgres) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if p.admin != nil {
		for _, name := range p.made {
			if _, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
				fmt.Fprintln(os.Stderr, "humble-bench:", err)
			}
		}
		_ = p.admin.Close()
	}
	if p.private != nil {
		if err := p.private.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "humble-bench:", err)
		}
	}
	if p.tmpDir != "" {
		_ = os.RemoveAll(p.tmpDir)
	}
}

func openSQL(dbURL string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
