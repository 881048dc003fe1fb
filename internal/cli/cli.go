// Package cli reads humble's command line and hands each subcommand to the
// app: serve, migrate, admin create, invite, demo.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/humblehq/humble/internal/app"
	"github.com/humblehq/humble/internal/config"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

const usage = `Humble: participatory, learning-based funding.

Usage:
  humble [serve]                       run the web server (the default)
  humble demo                          run the web server with the demo fund seeded
  humble migrate up|status             apply or list database migrations
  humble admin create --email E --name N
                                       create an administrator; the password is read
                                       from the terminal, or from standard input
  humble invite --email E [--name N] [--org ID]
                                       print a one-time invitation link
  humble healthcheck                   exit 0 if the server on HUMBLE_ADDR is ready
  humble allocate --rule RULE FILE.pb  run an allocation rule on a Pabulib file (no database)
  humble help                          this text

Configuration comes from HUMBLE_* environment variables:
`

// Run runs one command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	log := app.NewLogger(cfg)
	switch cmd {
	case "serve":
		return app.Serve(ctx, cfg, log)
	case "demo":
		cfg.Demo = true
		return app.Serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, args, stdout)
	case "admin":
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: humble admin create --email E --name N")
		}
		return adminCreate(ctx, cfg, args[1:], stdin, stdout)
	case "invite":
		return invite(ctx, cfg, args, stdout)
	case "allocate":
		return allocate(args, stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		for _, v := range config.Vars {
			fmt.Fprintf(stdout, "  %-22s %s (default %s)\n", v.Name, v.Meaning, v.Default)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q; try 'humble help'", cmd)
}

// withServices opens the database (starting the private server if needed),
// wires the services and runs fn.
func withServices(ctx context.Context, cfg config.Config, fn func(*app.Services) error) error {
	log := app.NewLogger(cfg)
	d, err := app.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close(context.Background())
	svc, err := app.NewServices(ctx, cfg, log, d.DB)
	if err != nil {
		return err
	}
	return fn(svc)
}

func migrate(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return errors.New("usage: humble migrate up|status")
	}
	// OpenDatabase applies pending migrations itself, under the advisory lock.
	return withServices(ctx, cfg, func(s *app.Services) error {
		if args[0] == "up" {
			fmt.Fprintln(stdout, "migrations are up to date")
		}
		return store.PrintMigrationStatus(ctx, store.SQL(s.DB), stdout)
	})
}

func adminCreate(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	email := fs.String("email", "", "the administrator's email address")
	name := fs.String("name", "Administrator", "the name people will see")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	password, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	return withServices(ctx, cfg, func(s *app.Services) error {
		u, err := app.CreateAdmin(ctx, s, user.NewAccount{Email: *email, DisplayName: *name, Password: password})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "administrator %s created (user %d); sign in at %s/sign-in\n", u.Email, u.ID, cfg.BaseURL)
		return nil
	})
}

// readPassword prompts without echo on a terminal, or reads one line from
// standard input (for scripts). Never a flag: flags end up in shell history
// and in the process list.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password (at least 12 characters): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stdout, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		if string(b) != string(again) {
			return "", errors.New("the two passwords differ")
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password given on standard input")
	}
	return line, nil
}

func invite(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	email := fs.String("email", "", "who to invite")
	name := fs.String("name", "", "their name, as a suggestion they can change")
	orgID := fs.Int64("org", 0, "the organisation they will join (its id)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withServices(ctx, cfg, func(s *app.Services) error {
		secret, inv, err := s.Users.Invite(ctx, 0, user.NewInvitation{Email: *email, DisplayName: *name, OrganisationID: *orgID})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Invitation for %s (valid until %s):\n%s%s%s\n", inv.Email,
			inv.ExpiresAt.Format("2 Jan 2006 15:04 MST"), cfg.BaseURL, user.InvitePath, secret)
		return nil
	})
}

// healthcheck asks the running server's /readyz, for container health
// checks in images that have no shell or curl.
func healthcheck(ctx context.Context, cfg config.Config) error {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s", resp.Status)
	}
	return nil
}
