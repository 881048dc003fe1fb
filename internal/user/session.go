package user

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/store"
)

// Session is a signed-in browser. Only the hash of its cookie is stored.
type Session struct {
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// lastSeenGranularity limits writes: a session's last_seen_at is refreshed
// at most this often, not on every request.
const lastSeenGranularity = time.Minute

// StartSession creates a session for userID and returns the cookie value.
func (s *Service) StartSession(ctx context.Context, userID int64) (token string, sess Session, err error) {
	token, hash, err := newSecret("")
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	sess = Session{UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.set.SessionMax)}
	// user_id comes first: GORM expands a slice (the []byte hash too) that
	// directly follows "(", as it would for IN (?).
	err = store.Conn(ctx, s.db).Exec(
		`INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		userID, hash, now, now, sess.ExpiresAt).Error
	return token, sess, err
}

// SessionUser returns the session and user behind a cookie value, enforcing
// idle and absolute expiry.
func (s *Service) SessionUser(ctx context.Context, token string) (Session, User, error) {
	if token == "" {
		return Session{}, User{}, ErrUnauthenticated
	}
	now := s.now()
	var row struct {
		UserID      int64
		CreatedAt   time.Time
		LastSeenAt  time.Time
		ExpiresAt   time.Time
		Email       string
		DisplayName string
		UserCreated time.Time
		UserUpdated time.Time
	}
	err := store.Conn(ctx, s.db).Raw(`
		SELECT s.user_id, s.created_at, s.last_seen_at, s.expires_at,
		       u.email, u.display_name, u.created_at AS user_created, u.updated_at AS user_updated
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ?`,
		hashSecret(token), now, now.Add(-s.set.SessionIdle)).Scan(&row).Error
	if err != nil {
		return Session{}, User{}, err
	}
	if row.UserID == 0 {
		return Session{}, User{}, ErrUnauthenticated
	}
	sess := Session{UserID: row.UserID, CreatedAt: row.CreatedAt, LastSeenAt: row.LastSeenAt, ExpiresAt: row.ExpiresAt}
	u := User{ID: row.UserID, Email: row.Email, DisplayName: row.DisplayName, CreatedAt: row.UserCreated, UpdatedAt: row.UserUpdated}
	if now.Sub(sess.LastSeenAt) > lastSeenGranularity {
		if err := store.Conn(ctx, s.db).Exec(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`,
			now, hashSecret(token)).Error; err != nil {
			return Session{}, User{}, err
		}
	}
	return sess, u, nil
}

// EndSession signs a browser out. Ending an unknown session is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	return store.Conn(ctx, s.db).Exec(`DELETE FROM sessions WHERE token_hash = ?`, hashSecret(token)).Error
}

// PruneSessions deletes expired sessions and old sign-in attempts.
func (s *Service) PruneSessions(ctx context.Context) error {
	now := s.now()
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?`,
			now, now.Add(-s.set.SessionIdle)).Error; err != nil {
			return err
		}
		return tx.Exec(`DELETE FROM sign_in_attempts WHERE attempted_at < ?`, now.Add(-24*time.Hour)).Error
	})
}
