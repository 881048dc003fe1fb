// Package app is the only place that wires Humble together: configuration →
// database (private or configured) → migrations → policy → services → HTTP.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/config"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/dialogue"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/pglocal"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/search"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/synthesis"
	"github.com/humblehq/humble/internal/user"
)

// Services are the wired domain services on one database.
type Services struct {
	Config config.Config
	Log    *slog.Logger
	DB     *gorm.DB
	Users  *user.Service
	Orgs   *org.Service
	Authz  *authz.Authorizer

	Funds        *fund.Service
	Rounds       *round.Service
	Applications *application.Service
	Panels       *panel.Service
	Ballots      *ballot.Service
	Decisions    *decision.Service
	Agreements   *agreement.Service
	Accounts     *account.Service
	Search       *search.Service
	Syntheses    *synthesis.Service
	Dialogues    *dialogue.Service
	Patterns     *pattern.Service
}

// NewServices wires the domain services on db (already migrated).
func NewServices(ctx context.Context, cfg config.Config, log *slog.Logger, db *gorm.DB) (*Services, error) {
	az, err := authz.New(ctx, db, log)
	if err != nil {
		return nil, fmt.Errorf("authorization policy: %w", err)
	}
	funds := fund.NewService(db, fundRoles{az})
	s := &Services{
		Config: cfg,
		Log:    log,
		DB:     db,
		Users: user.NewService(db, user.Settings{
			SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax, InvitationTTL: cfg.InvitationTTL,
		}),
		Orgs:  org.NewService(db),
		Authz: az,

		Funds:        funds,
		Rounds:       round.NewService(db, funds),
		Applications: application.NewService(db),
		Panels:       panel.NewService(db, fundRoles{az}),
		Ballots:      ballot.NewService(db),
		Decisions:    decision.NewService(db, fundRoles{az}),
		Agreements:   agreement.NewService(db),
		Accounts:     account.NewService(db),
		Search:       search.NewService(db),
		Syntheses:    synthesis.NewService(db, account.NewService(db)),
		Dialogues:    dialogue.NewService(db),
		Patterns:     pattern.NewService(db, account.NewService(db)),
	}
	// Closing voting computes the result, in the same transaction.
	s.Rounds.OnClose(s.Decisions.OnClose)
	s.Users.GrantRolesWith(s.Funds)
	// Joining or leaving a funded organisation gives or takes the grantee role.
	s.Orgs.GiveRolesWith(fundRoles{az})
	s.Users.JoinOrgsWith(s.Orgs)
	return s, nil
}

// fundRoles lets the fund domain give roles without knowing casbin.
type fundRoles struct{ az *authz.Authorizer }

func (r fundRoles) AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Assign(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

func (r fundRoles) RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error {
	return r.az.Revoke(ctx, userID, authz.Role(role), authz.FundDomain(fundID))
}

// Database is an open, migrated database and how to let it go.
type Database struct {
	DB    *gorm.DB
	URL   string
	close func(context.Context) error
}

// Close closes the pool and stops the private server, if one was started.
func (d *Database) Close(ctx context.Context) error {
	return d.close(ctx)
}

// OpenDatabase connects to cfg.DatabaseURL or, when it is empty, starts the
// private PostgreSQL in cfg.DataDir; then it applies pending migrations.
func OpenDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*Database, error) {
	url := cfg.DatabaseURL
	stop := func(context.Context) error { return nil }
	if url == "" {
		log.Info("HUMBLE_DATABASE_URL is not set: starting a private PostgreSQL", "data_dir", cfg.DataDir)
		srv, err := pglocal.Start(ctx, pglocal.Options{DataDir: cfg.DataDir, Logger: log})
		if err != nil {
			return nil, err
		}
		url, stop = srv.URL("humble"), srv.Stop
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, errors.Join(err, stop(context.Background()))
	}
	closeAll := func(ctx context.Context) error {
		return errors.Join(store.Close(db), stop(ctx))
	}
	if err := store.Migrate(ctx, store.SQL(db)); err != nil {
		return nil, errors.Join(err, closeAll(context.Background()))
	}
	return &Database{DB: db, URL: url, close: closeAll}, nil
}

// Serve runs Humble until ctx is cancelled (SIGINT/SIGTERM), then drains
// in-flight requests and stops everything it started.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	started := time.Now()
	d, err := OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		if err := d.Close(stopCtx); err != nil {
			log.Error("stopping the database", "error", err)
		}
	}()

	svc, err := NewServices(ctx, cfg, log, d.DB)
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := SeedDemo(ctx, svc); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	handler, err := svc.Handler()
	if err != nil {
		return err
	}

	bg, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	go func() {
		if err := svc.Authz.Run(bg, d.URL); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("policy sync stopped", "error", err)
		}
	}()
	go svc.housekeeping(bg)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set HUMBLE_ADDR to change it): %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("Humble is ready", "url", cfg.BaseURL, "addr", ln.Addr().String(),
		"startup", time.Since(started).Round(time.Millisecond).String())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("some requests did not finish in time", "error", err)
	}
	stopBackground()
	return nil
}

// housekeeping prunes expired sessions now and then.
func (s *Services) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := s.Users.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("pruning sessions", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NewLogger builds the process logger from the configuration.
func NewLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
