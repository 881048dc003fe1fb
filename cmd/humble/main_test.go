package main_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary the way the README says: no
// configuration but a data directory and a port, a private PostgreSQL, the
// demo, SIGTERM.

func buildHumble(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "humble")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// shortDir is a data directory with a short path (unix sockets have a
// ~107-byte limit) that the unprivileged PostgreSQL user can reach.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hb")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "pg")
}

// syncBuffer collects a child's output, which os/exec copies in from
// another goroutine while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type server struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	addr string
}

func start(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "HUMBLE_DATABASE_URL=", "HUMBLE_ADDR="+addr), env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: logs, addr: addr}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("not ready within 60 s; logs:\n%s", logs)
	return nil
}

// stop sends SIGTERM and returns how long the process took to exit.
func (s *server) stop(t *testing.T) time.Duration {
	t.Helper()
	began := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, s.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM:\n%s", s.logs)
	}
	return time.Since(began)
}

// postgresRunning reports whether a postgres process serves dataDir.
func postgresRunning(t *testing.T, dataDir string) bool {
	t.Helper()
	out, _ := exec.Command("pgrep", "-f", "postgres -D "+dataDir).Output()
	return len(bytes.TrimSpace(out)) > 0
}

func TestServeZeroConfigReuseAndStop(t *testing.T) {
	bin := buildHumble(t)
	dataDir := shortDir(t)
	env := []string{"HUMBLE_DATA_DIR=" + dataDir}

	first := start(t, bin, env, "serve")
	if !strings.Contains(first.logs.String(), "demo seeded") {
		t.Errorf("the first start did not seed the demo:\n%s", first.logs)
	}
	took := first.stop(t)
	t.Logf("first stop took %s", took)
	if took > 5*time.Second {
		t.Errorf("SIGTERM to exit took %s, want ≤ 5 s", took)
	}
	if postgresRunning(t, dataDir) {
		t.Fatal("PostgreSQL still running after Humble stopped")
	}

	second := start(t, bin, env, "serve")
	if strings.Contains(second.logs.String(), "initialising") || strings.Contains(second.logs.String(), "demo seeded") {
		t.Errorf("the second start did not reuse the data:\n%s", second.logs)
	}
	// The demo's administrator signs in: the data survived.
	if status := signIn(t, second.addr, "admin@example.org", "humble-demo-password"); status != http.StatusSeeOther {
		t.Errorf("demo sign-in after restart: status %d", status)
	}
	if took := second.stop(t); took > 5*time.Second {
		t.Errorf("second stop took %s", took)
	}
	if postgresRunning(t, dataDir) {
		t.Fatal("PostgreSQL still running after the second stop")
	}
}

func TestAdminCreateThenSignIn(t *testing.T) {
	bin := buildHumble(t)
	dataDir := shortDir(t)
	env := []string{"HUMBLE_DATA_DIR=" + dataDir, "HUMBLE_DEMO=false"}

	create := exec.Command(bin, "admin", "create", "--email", "Root@Example.org", "--name", "Rita Root")
	create.Env = append(append(os.Environ(), "HUMBLE_DATABASE_URL="), env...)
	create.Stdin = strings.NewReader("a sturdy admin password\n")
	out, err := create.CombinedOutput()
	if err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "administrator Root@Example.org created") {
		t.Errorf("admin create said:\n%s", out)
	}
	if postgresRunning(t, dataDir) {
		t.Fatal("admin create left PostgreSQL running")
	}

	srv := start(t, bin, env, "serve")
	if status := signIn(t, srv.addr, "root@example.org", "a sturdy admin password"); status != http.StatusSeeOther {
		t.Errorf("sign in as the new administrator: status %d", status)
	}
	// While it runs, `humble invite` uses the same private PostgreSQL.
	inv := exec.Command(bin, "invite", "--email", "new@example.org")
	inv.Env = append(append(os.Environ(), "HUMBLE_DATABASE_URL=", "HUMBLE_BASE_URL=http://"+srv.addr), env...)
	out, err = inv.CombinedOutput()
	if err != nil {
		t.Fatalf("invite while serving: %v\n%s", err, out)
	}
	link := regexp.MustCompile(`http://\S+/invitations/\S+`).Find(out)
	if link == nil {
		t.Fatalf("no link in:\n%s", out)
	}
	resp, err := http.Get(string(link))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("invitation link: status %d", resp.StatusCode)
	}
	srv.stop(t)
}

func TestNoPasswordFlag(t *testing.T) {
	bin := buildHumble(t)
	cmd := exec.Command(bin, "admin", "create", "--email", "a@example.org", "--password", "secret")
	cmd.Env = append(os.Environ(), "HUMBLE_DATABASE_URL=postgres://127.0.0.1:1/none")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "password") {
		t.Fatalf("a --password flag must be refused: %v\n%s", err, out)
	}
}

// signIn posts the sign-in form like a browser and returns the status.
func signIn(t *testing.T, addr, email, password string) int {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + addr + "/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field:\n%s", body)
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+addr+"/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
