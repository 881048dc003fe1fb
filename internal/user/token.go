package user

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// tokenPrefix marks Humble API tokens, so a leaked one is recognisable
// (secret scanners, logs) and a wrong kind of credential fails fast.
const tokenPrefix = "hmb_"

// ErrTokenNotFound is returned for a token that is not the user's or is gone.
var ErrTokenNotFound = errors.New("token not found")

// APIToken is a personal API token; the secret itself is never stored.
type APIToken struct {
	ID         int64      `json:"id" gorm:"primaryKey;->"`
	UserID     int64      `json:"-"`
	Name       string     `json:"name"`
	TokenHash  []byte     `json:"-"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at" gorm:"->"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// TableName tells GORM the table.
func (APIToken) TableName() string { return "api_tokens" }

// NewToken names a token to create.
type NewToken struct {
	Name string `json:"name" form:"name" validate:"notblank,max=100"`
}

// CreateToken makes a token for userID and returns its secret, which is
// shown once and cannot be recovered.
func (s *Service) CreateToken(ctx context.Context, userID int64, in NewToken) (secret string, t APIToken, err error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := validate.Struct(in); err != nil {
		return "", APIToken{}, err
	}
	secret, hash, err := newSecret(tokenPrefix)
	if err != nil {
		return "", APIToken{}, err
	}
	t = APIToken{UserID: userID, Name: in.Name, TokenHash: hash, Prefix: secret[:len(tokenPrefix)+6]}
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: userID, Action: "token.create",
			ObjectType: "api_token", ObjectID: t.ID, Changes: map[string]any{"name": t.Name}})
	})
	if err != nil {
		return "", APIToken{}, err
	}
	// Reload for the database's created_at.
	err = store.Conn(ctx, s.db).First(&t, t.ID).Error
	return secret, t, err
}

// Tokens lists userID's tokens, newest first, revoked ones included.
func (s *Service) Tokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	err := store.Conn(ctx, s.db).Where("user_id = ?", userID).Order("id DESC").Find(&ts).Error
	return ts, err
}

// RevokeToken revokes one of userID's tokens. Revoking twice is harmless.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Exec(`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = ? AND user_id = ?`, tokenID, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrTokenNotFound
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: userID, Action: "token.revoke",
			ObjectType: "api_token", ObjectID: tokenID})
	})
}

// tokenUseGranularity limits writes of last_used_at.
const tokenUseGranularity = time.Minute

// TokenUser returns the user behind a bearer secret, if it is live.
func (s *Service) TokenUser(ctx context.Context, secret string) (User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return User{}, ErrUnauthenticated
	}
	var row struct {
		TokenID    int64
		LastUsedAt *time.Time
		User
	}
	err := store.Conn(ctx, s.db).Raw(`
		SELECT t.id AS token_id, t.last_used_at, u.id, u.email, u.display_name, u.created_at, u.updated_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL`, hashSecret(secret)).Scan(&row).Error
	if err != nil {
		return User{}, err
	}
	if row.TokenID == 0 {
		return User{}, ErrUnauthenticated
	}
	now := s.now()
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > tokenUseGranularity {
		if err := store.Conn(ctx, s.db).Exec(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, row.TokenID).Error; err != nil {
			return User{}, err
		}
	}
	return row.User, nil
}
