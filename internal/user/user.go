// Package user owns people and their access: accounts, argon2id passwords,
// browser sessions, personal API tokens, invitations and sign-in throttling.
package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Errors of this domain; the HTTP edge maps them once.
var (
	ErrNotFound          = errors.New("user not found")
	ErrEmailTaken        = errors.New("an account with this email already exists")
	ErrBadCredentials    = errors.New("email or password is not right")
	ErrThrottled         = errors.New("too many sign-in attempts; wait a few minutes and try again")
	ErrInvitationInvalid = errors.New("this invitation link is not valid: it may have expired or been used already")
	ErrUnauthenticated   = errors.New("not signed in")
)

// User is a person with an account.
type User struct {
	ID           int64     `json:"id" gorm:"primaryKey;->"`
	Email        string    `json:"email"`
	DisplayName  string    `json:"display_name"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at" gorm:"->"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Settings are the lifetimes the service enforces.
type Settings struct {
	SessionIdle   time.Duration
	SessionMax    time.Duration
	InvitationTTL time.Duration
}

// Service is the user domain's entry point.
type Service struct {
	db      *gorm.DB
	set     Settings
	now     func() time.Time
	granter RoleGranter
	joiner  OrgJoiner
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, set Settings) *Service {
	return &Service{db: db, set: set, now: func() time.Time { return time.Now().UTC() }}
}

// NewAccount is what it takes to make an account.
type NewAccount struct {
	Email       string `json:"email" validate:"required,max=254,email"`
	DisplayName string `json:"display_name" validate:"notblank,max=120"`
	Password    string `json:"password" validate:"min=12,max=256"`
	// PasswordHash, when set, is HashPassword(Password) made earlier: the
	// demo seeds many accounts with one password and hashes it once. It is
	// never read from a request.
	PasswordHash string `json:"-"`
}

// NormaliseEmail trims an email; comparison ignores case in the database.
func NormaliseEmail(email string) string { return strings.TrimSpace(email) }

// Create makes an account (the first administrator, or an accepted
// invitation). actorID is who did it, 0 for the command line.
func (s *Service) Create(ctx context.Context, actorID int64, in NewAccount) (User, error) {
	in.Email = NormaliseEmail(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if err := validate.Struct(in); err != nil {
		return User{}, err
	}
	hash := in.PasswordHash
	if hash == "" {
		var err error
		if hash, err = HashPassword(in.Password); err != nil {
			return User{}, err
		}
	}
	u := User{Email: in.Email, DisplayName: in.DisplayName, PasswordHash: hash}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			if store.IsUniqueViolation(err, "users_email_lower_key") {
				return ErrEmailTaken
			}
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{
			ActorID: actorID, Action: "user.create", ObjectType: "user", ObjectID: u.ID,
			Changes: map[string]any{"display_name": u.DisplayName},
		})
	})
	return u, err
}

// ByID returns one user.
func (s *Service) ByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := store.Conn(ctx, s.db).First(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// ByEmail returns the user with this email, whatever its case.
func (s *Service) ByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := store.Conn(ctx, s.db).Where("lower(email) = lower(?)", NormaliseEmail(email)).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Sign-in throttling: failures counted over a window, per account (the
// email as typed, so unknown emails are throttled alike and reveal nothing)
// and per address.
const (
	throttleWindow     = 15 * time.Minute
	maxFailuresAccount = 10
	maxFailuresAddress = 50
)

// Authenticate checks an email and password, throttled. It answers
// ErrBadCredentials whether the email is unknown or the password wrong, and
// takes as long either way.
func (s *Service) Authenticate(ctx context.Context, email, password, address string) (User, error) {
	key := strings.ToLower(NormaliseEmail(email))
	since := s.now().Add(-throttleWindow)
	var counts struct{ Account, Address int64 }
	err := store.Conn(ctx, s.db).Raw(`
		SELECT count(*) FILTER (WHERE email_key = ?) AS account,
		       count(*) FILTER (WHERE address = ?)   AS address
		FROM sign_in_attempts
		WHERE NOT succeeded AND attempted_at > ? AND (email_key = ? OR address = ?)`,
		key, address, since, key, address).Scan(&counts).Error
	if err != nil {
		return User{}, err
	}
	if counts.Account >= maxFailuresAccount || counts.Address >= maxFailuresAddress {
		return User{}, ErrThrottled
	}
	u, err := s.ByEmail(ctx, email)
	hash := u.PasswordHash
	if errors.Is(err, ErrNotFound) {
		hash = dummyHash()
	} else if err != nil {
		return User{}, err
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return User{}, err
	}
	ok = ok && u.ID != 0
	if err := store.Conn(ctx, s.db).Exec(
		`INSERT INTO sign_in_attempts (email_key, address, succeeded) VALUES (?, ?, ?)`,
		key, address, ok).Error; err != nil {
		return User{}, err
	}
	if !ok {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// newSecret returns a random URL-safe secret and the SHA-256 hash stored in
// its place. Secrets are 256-bit random, so a fast hash is enough.
func newSecret(prefix string) (plain string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, hashSecret(plain), nil
}

func hashSecret(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}
