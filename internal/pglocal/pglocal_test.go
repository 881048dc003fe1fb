package pglocal

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tempDataDir makes a short data directory directly under the temp dir.
// Not t.TempDir: that nests inside a 0700 directory the unprivileged server
// user cannot traverse when the test runs as root, and its long names eat
// into the unix socket path limit.
func tempDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startServer(t *testing.T, dataDir string) *Server {
	t.Helper()
	srv, err := Start(t.Context(), Options{DataDir: dataDir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

func connect(t *testing.T, srv *Server, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), srv.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func stopTimed(t *testing.T, srv *Server) {
	t.Helper()
	start := time.Now()
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	took := time.Since(start)
	t.Logf("Stop took %s", took)
	if took > 10*time.Second {
		t.Errorf("Stop took %s", took)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

func TestStartReuseStop(t *testing.T) {
	dataDir := tempDataDir(t)

	srv := startServer(t, dataDir)
	if got, want := srv.DataDir(), dataDir; got != want {
		t.Errorf("DataDir() = %q, want %q", got, want)
	}
	conn := connect(t, srv, DefaultDatabase)
	var db string
	if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if db != DefaultDatabase {
		t.Errorf("current_database() = %q", db)
	}

	// The socket lives inside the data directory and there is no TCP.
	var listen, sockDirs string
	if err := conn.QueryRow(t.Context(), "SHOW listen_addresses").Scan(&listen); err != nil {
		t.Fatal(err)
	}
	if listen != "" {
		t.Errorf("listen_addresses = %q, want empty", listen)
	}
	if err := conn.QueryRow(t.Context(), "SHOW unix_socket_directories").Scan(&sockDirs); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dataDir, "run"); sockDirs != want || srv.SocketDir() != want {
		t.Errorf("socket dir = %q (SocketDir %q), want %q", sockDirs, srv.SocketDir(), want)
	}
	if fi, err := os.Stat(filepath.Join(dataDir, "run", ".s.PGSQL.5432")); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("no socket in data dir: %v", err)
	}

	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	stopTimed(t, srv)

	// Leave a stale postmaster.pid naming a dead process, as after a
	// crash: the next start must still work.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dataDir, "pgdata", "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(dead.Process.Pid)+"\n"+filepath.Join(dataDir, "pgdata")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Second start reuses the cluster.
	srv2 := startServer(t, dataDir)
	conn2 := connect(t, srv2, DefaultDatabase)
	var v string
	if err := conn2.QueryRow(t.Context(), "SELECT v FROM kept").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "still here" {
		t.Errorf("row = %q", v)
	}
	conn2.Close(t.Context())

	// A second Start on the same directory while this one runs attaches to
	// it (as `humble invite` does while `humble serve` runs) and its Stop
	// leaves the server running.
	attached, err := Start(t.Context(), Options{DataDir: dataDir})
	if err != nil {
		t.Fatalf("second Start while running: %v", err)
	}
	conn3 := connect(t, attached, DefaultDatabase)
	if err := conn3.QueryRow(t.Context(), "SELECT v FROM kept").Scan(&v); err != nil || v != "still here" {
		t.Fatalf("attached server: %q %v", v, err)
	}
	conn3.Close(t.Context())
	if err := attached.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn4 := connect(t, srv2, DefaultDatabase)
	if err := conn4.Ping(t.Context()); err != nil {
		t.Fatalf("the attached Stop stopped the server: %v", err)
	}
	conn4.Close(t.Context())
	stopTimed(t, srv2)
}

func TestSocketPathTooLong(t *testing.T) {
	long := filepath.Join(os.TempDir(), strings.Repeat("d", 100))
	_, err := Start(t.Context(), Options{DataDir: long})
	if err == nil || !strings.Contains(err.Error(), "HUMBLE_DATA_DIR") {
		t.Fatalf("err = %v, want one suggesting a shorter HUMBLE_DATA_DIR", err)
	}
	if _, statErr := os.Stat(long); statErr == nil {
		t.Error("the too-long directory was created")
	}
}

func TestRootTraversalBlocked(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root drops privileges")
	}
	dir := tempDataDir(t) // 0700, owned by root
	_, err := Start(t.Context(), Options{DataDir: filepath.Join(dir, "pg")})
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "HUMBLE_DATA_DIR") {
		t.Fatalf("err = %v, want one naming %s and HUMBLE_DATA_DIR", err, dir)
	}
}

func TestFindBinDirNone(t *testing.T) {
	_, err := findBinDir("", t.TempDir())
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"HUMBLE_DATABASE_URL", "apt-get install postgresql"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestFindBinDirHighestVersion(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "16", "15", "17"} {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		names := []string{"initdb", "postgres"}
		if v == "17" {
			names = names[:1] // incomplete: no postgres
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := findBinDir("", root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "16", "bin"); got != want {
		t.Errorf("findBinDir = %q, want %q", got, want)
	}

	// PATH wins, following a symlinked initdb to its real directory.
	onPath := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "15", "bin", "initdb"), filepath.Join(onPath, "initdb")); err != nil {
		t.Fatal(err)
	}
	got, err = findBinDir(onPath, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "15", "bin"); got != want {
		t.Errorf("findBinDir with PATH = %q, want %q", got, want)
	}
}
