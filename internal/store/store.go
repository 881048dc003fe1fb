// Package store owns the connection to PostgreSQL: opening it through GORM,
// applying the embedded migrations, running work in one transaction, and
// turning database errors into the domain's error kinds.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Open connects to PostgreSQL at url and checks the connection.
func Open(ctx context.Context, url string) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         false,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Close closes the pool under db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// SQL returns the *sql.DB under a GORM handle.
func SQL(db *gorm.DB) *sql.DB {
	sqlDB, err := db.DB()
	if err != nil {
		// Only a GORM handle not built on database/sql fails here; Open
		// never makes one.
		panic(err)
	}
	return sqlDB
}

type txKey struct{}

// txState is the transaction WithTx put in ctx, and what to do once it has
// committed.
type txState struct {
	tx    *gorm.DB
	after []func(context.Context)
}

// WithTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise. A transaction already in ctx (from an outer WithTx) is
// reused, so services compose without nesting transactions.
func WithTx(ctx context.Context, db *gorm.DB, fn func(ctx context.Context, tx *gorm.DB) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return fn(ctx, st.tx)
	}
	st := &txState{}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st.tx = tx
		return fn(context.WithValue(ctx, txKey{}, st), tx)
	})
	if err == nil {
		for _, f := range st.after {
			f(ctx)
		}
	}
	return err
}

// AfterCommit runs f once the transaction in ctx has committed (never if it
// rolls back), or at once when ctx holds no transaction. For work outside
// the database that must only follow a change that really happened, such as
// refreshing an in-memory copy.
func AfterCommit(ctx context.Context, f func(context.Context)) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.after = append(st.after, f)
		return
	}
	f(ctx)
}

// Conn returns the transaction in ctx if there is one, else db bound to ctx.
func Conn(ctx context.Context, db *gorm.DB) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx
	}
	return db.WithContext(ctx)
}

// Domain-independent error kinds that database errors translate to.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("not allowed by the database")
)

// PgCode returns the SQLSTATE of a PostgreSQL error, or "".
func PgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// Translate maps common database errors to the kinds above, keeping the
// original in the chain for logs.
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case PgCode(err) == "23505":
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case PgCode(err) == "42501":
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	return err
}
