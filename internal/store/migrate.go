package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/humblehq/humble/migrations"
)

// migrationLockID is the PostgreSQL advisory lock held while migrating, so
// that several replicas starting at once apply each migration exactly once.
const migrationLockID int64 = 0x68756d626c65 // "humble"

func provider(db *sql.DB) (*goose.Provider, error) {
	// Poll for the lock every second (goose's default is 5 s) for up to
	// five minutes: replicas starting together should not idle for long.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithSessionLocker(locker))
}

// Migrate applies every pending migration under the advisory lock.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// MigrationsCurrent reports whether the database has every migration applied.
func MigrationsCurrent(ctx context.Context, db *sql.DB) (bool, error) {
	p, err := provider(db)
	if err != nil {
		return false, err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return false, err
	}
	return current == target, nil
}

// PrintMigrationStatus writes one line per migration: applied or pending.
func PrintMigrationStatus(ctx context.Context, db *sql.DB, w io.Writer) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range statuses {
		when := "pending"
		if s.State == goose.StatePending {
			fmt.Fprintf(w, "%-8s %s\n", when, s.Source.Path)
			continue
		}
		fmt.Fprintf(w, "applied  %s  (%s)\n", s.Source.Path, s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	return nil
}
