// Package pgtest gives every database test its own fresh, migrated
// PostgreSQL database, so tests can run in parallel without seeing each
// other's rows.
//
// Each package's test binary migrates one template database once (on first
// use); every test then gets a cheap CREATE DATABASE ... TEMPLATE clone that
// is dropped when the test ends. The server is HUMBLE_TEST_DATABASE_URL when
// set (a postgres:// URL of a role allowed to create databases, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), otherwise a
// private throwaway server started with pglocal in a temporary directory.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		db := pgtest.DB(t)
//		...
//	}
package pgtest

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
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/pglocal"
	"github.com/humblehq/humble/internal/store"
)

// EnvURL names the variable pointing the tests at an existing server.
const EnvURL = "HUMBLE_TEST_DATABASE_URL"

// maxOpenConnsPerTest keeps many parallel tests within the server's
// max_connections (100 by default on a shared server).
const maxOpenConnsPerTest = 5

// harness is the per-process state; it has to be global because TestMain
// and the tests share nothing else.
type harness struct {
	mainCalled bool

	once     sync.Once
	setupErr error
	server   *pglocal.Server // nil when using EnvURL
	tmpDir   string
	admin    *sql.DB // connected to the server's maintenance database
	adminURL *url.URL
	template string
}

var h harness

// Main runs the package's tests, then drops the template database and stops
// the private server, if either was made, and exits with m.Run's code.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	h.mainCalled = true
	// Deferred so it also runs if m.Run panics in this goroutine. A test
	// that panics in its own goroutine ends the process without running
	// it; the private server then stops on its parent-death signal, but
	// its temporary directory (and, on a shared server, the databases)
	// stay behind.
	defer h.teardown()
	return m.Run()
}

// DB returns a GORM handle on a fresh migrated database for this test. The
// pool is closed and the database dropped when the test ends.
func DB(t testing.TB) *gorm.DB {
	t.Helper()
	u := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	sqlDB := store.SQL(db)
	sqlDB.SetMaxOpenConns(maxOpenConnsPerTest)
	sqlDB.SetMaxIdleConns(maxOpenConnsPerTest)
	// Registered after NewDatabase's drop, so it runs before it.
	t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// NewDatabase creates a fresh clone of the migrated template, drops it when
// the test ends, and returns its URL. Callers opening their own pools should
// keep them small and close them in t.Cleanup.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if !h.mainCalled {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain in this package, so the test databases are cleaned up")
	}
	h.once.Do(h.setup)
	if h.setupErr != nil {
		t.Fatalf("pgtest: %v", h.setupErr)
	}

	name := "humble_t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.clone(ctx, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.drop(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return h.urlFor(name)
}

// setup connects to (or starts) the server and builds the template. It runs
// once per test binary, on the first test that asks for a database.
func (h *harness) setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h.setupErr = h.doSetup(ctx)
}

func (h *harness) doSetup(ctx context.Context) error {
	raw := os.Getenv(EnvURL)
	if raw == "" {
		// Straight under the temp dir: the socket path must stay short,
		// and when root runs the tests the unprivileged server user must
		// be able to traverse every parent.
		dir, err := os.MkdirTemp("", "hpg")
		if err != nil {
			return err
		}
		h.tmpDir = dir
		h.server, err = pglocal.Start(ctx, pglocal.Options{
			DataDir:  dir,
			TestMode: true,
			Logger:   slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return err
		}
		raw = h.server.URL("postgres")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	h.adminURL = u
	h.admin, err = sql.Open("pgx", raw)
	if err != nil {
		return err
	}
	h.admin.SetMaxOpenConns(4)
	if err := h.admin.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}

	h.template = "humble_tmpl_" + randomHex(8)
	if _, err := h.admin.ExecContext(ctx, "CREATE DATABASE "+ident(h.template)); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	db, err := store.Open(ctx, h.urlFor(h.template))
	if err != nil {
		return err
	}
	err = store.Migrate(ctx, store.SQL(db))
	_ = store.Close(db)
	if err != nil {
		return fmt.Errorf("migrate template database: %w", err)
	}
	// Nobody may connect to the template from now on: a connection to it
	// would make every clone fail with "being accessed by other users".
	if _, err := h.admin.ExecContext(ctx, "ALTER DATABASE "+ident(h.template)+" ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("lock template database: %w", err)
	}
	return nil
}

// clone creates database name from the template. CREATE DATABASE fails if
// the template still has a session, e.g. a migration connection whose
// backend has not quite exited yet, so that error is retried briefly.
func (h *harness) clone(ctx context.Context, name string) error {
	q := "CREATE DATABASE " + ident(name) + " TEMPLATE " + ident(h.template)
	for attempt := 0; ; attempt++ {
		_, err := h.admin.ExecContext(ctx, q)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || attempt == 20 { // object_in_use
			if err != nil {
				return fmt.Errorf("create test database: %w", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create test database: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (h *harness) drop(ctx context.Context, name string) error {
	if _, err := h.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop test database %s: %w", name, err)
	}
	return nil
}

// teardown undoes setup, whatever part of it happened.
func (h *harness) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if h.admin != nil {
		if h.template != "" {
			if err := h.drop(ctx, h.template); err != nil {
				fmt.Fprintln(os.Stderr, "pgtest:", err)
			}
		}
		_ = h.admin.Close()
	}
	if h.server != nil {
		if err := h.server.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	if h.tmpDir != "" {
		_ = os.RemoveAll(h.tmpDir)
	}
}

// urlFor is the admin URL pointed at another database on the same server.
func (h *harness) urlFor(database string) string {
	u := *h.adminURL
	u.Path = "/" + database
	u.RawPath = ""
	return u.String()
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}
