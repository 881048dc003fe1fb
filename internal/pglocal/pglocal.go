// Package pglocal runs a private PostgreSQL server for `humble serve` when no
// HUMBLE_DATABASE_URL is configured, and for tests.
//
// The server lives entirely inside one data directory: the cluster in
// <DataDir>/pgdata, its unix socket in <DataDir>/run and its output in
// <DataDir>/postgres.log. It listens on no TCP port, so trust
// authentication is safe: only the server's own user (and root) can reach a
// socket in a 0700 directory.
//
// This is a small launcher around the machine's own initdb and postgres
// rather than an embedded-postgres library, so that it uses the installed
// binaries (no download) and can drop root privileges through
// syscall.SysProcAttr.Credential.
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// Superuser is the role initdb creates; every URL connects as it.
	Superuser = "humble"
	// DefaultDatabase is created on every start if it is missing.
	DefaultDatabase = "humble"

	// port only names the socket file (.s.PGSQL.5432): there is no TCP
	// listener. It is passed explicitly so a PGPORT in the environment
	// cannot move the socket away from where URL points.
	port = 5432

	readyTimeout = 30 * time.Second
	// A fast shutdown normally takes well under a second; the shutdown
	// checkpoint is what can make it longer.
	fastShutdownWait = 10 * time.Second
	quitWait         = 2 * time.Second

	// maxSocketPath is sizeof(sockaddr_un.sun_path) minus the NUL.
	maxSocketPath = 107
)

// Options configure Start.
type Options struct {
	// DataDir holds the cluster, the socket directory and the log, e.g.
	// ./var/postgres. It is created if missing and made absolute.
	DataDir string
	// BinDir holds initdb and postgres; found with FindBinDir when empty.
	BinDir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger

	// TestMode trades durability for speed (fsync off, no initdb sync,
	// more connections for parallel tests). Never use it for real data.
	TestMode bool
	// ExtraConfig is passed to postgres as -c name=value, after (and so
	// overriding) the settings this package chooses.
	ExtraConfig map[string]string
}

// Server is a running private PostgreSQL.
type Server struct {
	dataDir   string
	socketDir string
	log       *slog.Logger

	cmd     *exec.Cmd
	done    chan struct{} // closed when the postmaster has exited
	waitErr error         // set before done is closed

	stopOnce sync.Once
	stopErr  error

	// attached: the server was already running when Start was called (by
	// another process); Stop leaves it running.
	attached bool
}

// errRunning: a live postgres already serves the data directory.
var errRunning = errors.New("pglocal: PostgreSQL is already running in this data directory")

// Start initialises the cluster on first use, starts postgres, waits until
// it accepts connections and makes sure DefaultDatabase exists.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.DataDir == "" {
		return nil, errors.New("pglocal: DataDir is empty")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pglocal: data directory: %w", err)
	}
	if err := checkSocketPath(dataDir); err != nil {
		return nil, err
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindBinDir(); err != nil {
			return nil, fmt.Errorf("pglocal: %w", err)
		}
	}

	id, err := serverIdentity()
	if err != nil {
		return nil, err
	}
	if err := prepareDataDir(dataDir, id); err != nil {
		return nil, err
	}
	// Resolve symlinks only now that the directory exists; the resolved
	// path is what the socket really lives under.
	if dataDir, err = filepath.EvalSymlinks(dataDir); err != nil {
		return nil, fmt.Errorf("pglocal: data directory: %w", err)
	}
	if err := checkSocketPath(dataDir); err != nil {
		return nil, err
	}
	if err := id.checkTraversal(dataDir); err != nil {
		return nil, err
	}

	s := &Server{
		dataDir:   dataDir,
		socketDir: filepath.Join(dataDir, "run"),
		log:       log.With("data_dir", dataDir),
		done:      make(chan struct{}),
	}
	pgdata := filepath.Join(dataDir, "pgdata")
	logPath := filepath.Join(dataDir, "postgres.log")

	if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := s.initdb(ctx, binDir, pgdata, logPath, id, opts.TestMode); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	if err := mkdirOwned(s.socketDir, id); err != nil {
		return nil, err
	}
	if err := s.checkPidFile(pgdata); errors.Is(err, errRunning) {
		// Another Humble (say `humble serve`) runs this data directory's
		// server: commands such as `humble invite` use it rather than fail.
		// It is not ours to stop.
		if err := s.waitReady(ctx, logPath); err != nil {
			return nil, err
		}
		s.attached = true
		s.log.Info("using the private PostgreSQL that is already running", "socket_dir", s.socketDir)
		return s, nil
	} else if err != nil {
		return nil, err
	}

	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	if err := id.chown(logPath); err != nil {
		return nil, err
	}

	args := []string{"-D", pgdata, "-k", s.socketDir, "-p", strconv.Itoa(port)}
	for _, kv := range serverConfig(opts) {
		args = append(args, "-c", kv)
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = dataDir
	cmd.Env = childEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: id.credential(),
		// Its own process group, so a Ctrl-C in the terminal reaches
		// only Humble, which then stops postgres cleanly.
		Setpgid: true,
	}
	setParentDeathSignal(cmd.SysProcAttr)
	s.cmd = cmd

	start := time.Now()
	s.log.Info("starting private PostgreSQL", "bin_dir", binDir)
	if err := s.startAndWatch(); err != nil {
		return nil, fmt.Errorf("pglocal: start postgres: %w", err)
	}
	if err := s.waitReady(ctx, logPath); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), quitWait)
		defer cancel()
		_ = s.Stop(stopCtx)
		return nil, err
	}
	if err := s.ensureDatabase(ctx, DefaultDatabase); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), quitWait)
		defer cancel()
		_ = s.Stop(stopCtx)
		return nil, err
	}
	s.log.Info("private PostgreSQL ready", "socket_dir", s.socketDir,
		"pid", cmd.Process.Pid, "took", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// startAndWatch starts postgres and waits for it in the background.
//
// The parent-death signal (see setParentDeathSignal) fires when the OS
// *thread* that forked the child exits, not the process. Go normally keeps
// threads alive, but terminates one whenever a goroutine exits while locked
// to it (go.dev/issue/27505), which could be any code in the process. So the
// fork happens on a goroutine locked to its thread, and that goroutine stays
// locked, blocked in Wait, for as long as postgres runs: no other goroutine
// can ever run on, and so end, that thread. It costs one parked thread.
func (s *Server) startAndWatch() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	return <-started
}

// URL returns a postgres:// URL for database over the unix socket, as the
// superuser, usable by pgx and GORM.
func (s *Server) URL(database string) string {
	q := url.Values{}
	q.Set("host", s.socketDir)
	q.Set("port", strconv.Itoa(port))
	q.Set("sslmode", "disable")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Path:     "/" + database,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// SocketDir returns the directory holding the server's unix socket.
func (s *Server) SocketDir() string { return s.socketDir }

// DataDir returns the absolute data directory.
func (s *Server) DataDir() string { return s.dataDir }

// Done is closed when the server process has exited, whether through Stop
// or not; Humble can watch it to notice its database dying.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop shuts postgres down and waits for it to exit. It asks for a fast
// shutdown (SIGINT: roll back open transactions, checkpoint, exit); if that
// has not finished within 10 s, or by ctx's end, it escalates to an
// immediate shutdown (SIGQUIT), and 2 s later kills the process group. To
// bound shutdown (Humble must exit soon after SIGTERM) pass a ctx with a
// deadline: Stop then returns at most about 2 s after it.
// Stop is safe to call more than once and from several goroutines.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	if s.attached {
		return nil
	}
	select {
	case <-s.done:
		return fmt.Errorf("pglocal: postgres had already exited: %v", s.waitErr)
	default:
	}
	start := time.Now()
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGINT)

	timer := time.NewTimer(fastShutdownWait)
	defer timer.Stop()
	select {
	case <-s.done:
		s.log.Info("private PostgreSQL stopped", "took", time.Since(start).Round(time.Millisecond))
		return nil
	case <-timer.C:
	case <-ctx.Done():
	}

	s.log.Warn("fast shutdown too slow; sending SIGQUIT (crash recovery on next start)")
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	select {
	case <-s.done:
		return errors.New("pglocal: postgres needed an immediate shutdown (SIGQUIT)")
	case <-time.After(quitWait):
	}
	// Kill the whole group so no backend is left holding shared memory,
	// which would make the next start refuse.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-s.done
	return errors.New("pglocal: postgres had to be killed (SIGKILL)")
}

func serverConfig(opts Options) []string {
	conf := map[string]string{
		"listen_addresses": "",
		// Owner only: a non-root Humble runs postgres as itself, and
		// root passes permission checks anyway.
		"unix_socket_permissions": "0700",
		// Output goes to postgres.log through stderr; no collector.
		"logging_collector": "off",
	}
	if opts.TestMode {
		conf["fsync"] = "off"
		conf["synchronous_commit"] = "off"
		conf["full_page_writes"] = "off"
		conf["max_connections"] = "200"
	}
	maps.Copy(conf, opts.ExtraConfig)
	keys := slices.Sorted(maps.Keys(conf))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+conf[k])
	}
	return out
}

// initdb creates the cluster in a scratch directory and renames it into
// place, so a crash half-way leaves no half-made pgdata that later starts
// would mistake for a cluster.
func (s *Server) initdb(ctx context.Context, binDir, pgdata, logPath string, id identity, noSync bool) error {
	scratch := pgdata + ".initdb"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("pglocal: remove leftover %s: %w", scratch, err)
	}
	if _, err := os.Stat(pgdata); err == nil {
		return fmt.Errorf("pglocal: %s exists but holds no cluster (no PG_VERSION); remove it to start afresh", pgdata)
	}
	s.log.Info("initialising private PostgreSQL cluster (first start)", "pgdata", pgdata)
	run := func(locale string) ([]byte, error) {
		args := []string{"-D", scratch, "-U", Superuser, "--auth=trust", "-E", "UTF8", locale}
		if noSync {
			args = append(args, "--no-sync")
		}
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
		cmd.Dir = filepath.Dir(pgdata) // initdb wants a readable working directory
		cmd.Env = childEnv()
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: id.credential()}
		out, err := cmd.CombinedOutput()
		appendFile(logPath, out)
		return out, err
	}
	out, err := run("--locale=C.UTF-8")
	if err != nil && bytes.Contains(bytes.ToLower(out), []byte("locale")) {
		s.log.Info("locale C.UTF-8 missing; initialising with --no-locale")
		_ = os.RemoveAll(scratch)
		out, err = run("--no-locale")
	}
	if err != nil {
		_ = os.RemoveAll(scratch)
		return fmt.Errorf("pglocal: initdb failed: %w\n%s", err, tail(out, 20))
	}
	if err := os.Rename(scratch, pgdata); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

// checkPidFile looks at a postmaster.pid left behind. A dead PID is left to
// postgres, which starts anyway (and recovers from the crash). A live
// postgres means someone else is using this data directory: refuse. A live
// process that is not postgres is PID reuse, common in containers, which
// postgres would mistake for a running server when it runs as the same user:
// remove the stale file.
func (s *Server) checkPidFile(pgdata string) error {
	path := filepath.Join(pgdata, "postmaster.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil // none, or unreadable: postgres decides
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return nil
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		s.log.Info("stale postmaster.pid from a crash; postgres will recover", "old_pid", pid)
		return nil
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return nil // no /proc: postgres decides
	}
	if name := strings.TrimSpace(string(comm)); name == "postgres" || name == "postmaster" {
		return fmt.Errorf("%w (PID %d, %s)", errRunning, pid, s.dataDir)
	}
	s.log.Info("removing stale postmaster.pid (its PID now belongs to another program)", "old_pid", pid)
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

// waitReady polls a connection until postgres accepts it, the process
// exits, or readyTimeout passes.
func (s *Server) waitReady(ctx context.Context, logPath string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var lastErr error
	for {
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgconn.Connect(attemptCtx, s.URL("postgres"))
		cancelAttempt()
		if err == nil {
			return conn.Close(ctx)
		}
		lastErr = err
		select {
		case <-s.done:
			return fmt.Errorf("pglocal: postgres exited during start-up (%v); end of %s:\n%s",
				s.waitErr, logPath, logTail(logPath))
		case <-ctx.Done():
			return fmt.Errorf("pglocal: postgres not ready after %s (%v); end of %s:\n%s",
				readyTimeout, lastErr, logPath, logTail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) ensureDatabase(ctx context.Context, name string) error {
	conn, err := pgconn.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	defer conn.Close(context.Background())
	res := conn.ExecParams(ctx, "SELECT 1 FROM pg_database WHERE datname = $1",
		[][]byte{[]byte(name)}, nil, nil, nil).Read()
	if res.Err != nil {
		return fmt.Errorf("pglocal: %w", res.Err)
	}
	if len(res.Rows) > 0 {
		return nil
	}
	s.log.Info("creating database", "database", name)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()).ReadAll()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("pglocal: create database %s: %w", name, err)
	}
	return nil
}

func checkSocketPath(dataDir string) error {
	sock := filepath.Join(dataDir, "run", fmt.Sprintf(".s.PGSQL.%d", port))
	if len(sock) > maxSocketPath {
		return fmt.Errorf("pglocal: data directory %s is too long: its unix socket path %s would be %d bytes, "+
			"over the %d-byte limit; set a shorter HUMBLE_DATA_DIR", dataDir, sock, len(sock), maxSocketPath)
	}
	return nil
}

// identity is the user postgres runs as.
type identity struct {
	name     string
	uid, gid uint32
	drop     bool // we are root and must switch to uid/gid
}

// serverIdentity picks who runs postgres: the current user, or when we are
// root (postgres refuses to run as root) the system user postgres, else
// nobody.
func serverIdentity() (identity, error) {
	if os.Geteuid() != 0 {
		return identity{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return identity{name: name, uid: uint32(uid), gid: uint32(gid), drop: true}, nil
	}
	return identity{}, errors.New("pglocal: running as root, but neither a postgres nor a nobody user exists " +
		"to run PostgreSQL as (it refuses to run as root); create a postgres user or run Humble as a normal user")
}

func (id identity) credential() *syscall.Credential {
	if !id.drop {
		return nil
	}
	// Groups left empty: the child gets no supplementary groups, which is
	// why checkTraversal only considers the primary group.
	return &syscall.Credential{Uid: id.uid, Gid: id.gid}
}

func (id identity) chown(path string) error {
	if !id.drop {
		return nil
	}
	if err := os.Lchown(path, int(id.uid), int(id.gid)); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

// prepareDataDir creates the data directory and, when we are root, hands
// the whole tree to the server's user (it may have been made by a
// different user on an earlier run).
func prepareDataDir(dataDir string, id identity) error {
	// Missing parents get 0755 so the server's user can pass through
	// them; the data directory itself is private.
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return fmt.Errorf("pglocal: create data directory: %w", err)
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pglocal: create data directory: %w", err)
	}
	if !id.drop {
		return nil
	}
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == id.uid && st.Gid == id.gid {
			return nil
		}
		return os.Lchown(path, int(id.uid), int(id.gid))
	})
	if err != nil {
		return fmt.Errorf("pglocal: give %s to user %s: %w", dataDir, id.name, err)
	}
	return nil
}

func mkdirOwned(dir string, id identity) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pglocal: %w", err)
	}
	return id.chown(dir)
}

// checkTraversal makes sure the server's user can reach dataDir: every
// parent must grant it search (x) permission. Only relevant when dropping
// root, since otherwise we just created or used the path ourselves.
func (id identity) checkTraversal(dataDir string) error {
	if !id.drop {
		return nil
	}
	for dir := filepath.Dir(dataDir); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("pglocal: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		perm := fi.Mode().Perm()
		var can bool
		switch {
		case st.Uid == id.uid:
			can = perm&0o100 != 0
		case st.Gid == id.gid:
			can = perm&0o010 != 0
		default:
			can = perm&0o001 != 0
		}
		if !can {
			return fmt.Errorf("pglocal: PostgreSQL runs as user %s (Humble runs as root and postgres refuses root), "+
				"but %s (mode %s) does not let that user reach %s; set HUMBLE_DATA_DIR elsewhere, "+
				"e.g. /var/lib/humble/postgres or /tmp/humble-postgres", id.name, dir, perm, dataDir)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// childEnv is our environment without PG* variables, which initdb and
// postgres would otherwise read (PGDATA, PGPORT, ...) and so disagree with
// the arguments we pass.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func appendFile(path string, b []byte) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write(b)
}

// logTail returns the last lines of the server log, for error messages.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	const max = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		_, _ = f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return tail(b, 20)
}

func tail(b []byte, lines int) string {
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
