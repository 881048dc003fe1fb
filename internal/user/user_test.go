package user_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/user"
	"github.com/humblehq/humble/internal/validate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var settings = user.Settings{SessionIdle: time.Hour, SessionMax: 24 * time.Hour, InvitationTTL: time.Hour}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := user.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("not an argon2id PHC string: %s", h)
	}
	if ok, err := user.CheckPassword(h, "a long enough password"); !ok || err != nil {
		t.Fatalf("right password refused: %v %v", ok, err)
	}
	if ok, _ := user.CheckPassword(h, "a long enough passwore"); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := user.HashPassword("a long enough password")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if _, err := user.CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Fatal("a hash in another format was accepted")
	}
}

func TestEmailUniqueWhateverItsCase(t *testing.T) {
	t.Parallel()
	s := user.NewService(pgtest.DB(t), settings)
	ctx := context.Background()
	if _, err := s.Create(ctx, 0, user.NewAccount{Email: "Rosa@Example.org", DisplayName: "Rosa", Password: "twelve chars ok"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Create(ctx, 0, user.NewAccount{Email: "rosa@example.ORG", DisplayName: "Rosa 2", Password: "twelve chars ok"})
	if !errors.Is(err, user.ErrEmailTaken) {
		t.Fatalf("err = %v, want ErrEmailTaken", err)
	}
	if u, err := s.ByEmail(ctx, "ROSA@example.org"); err != nil || u.DisplayName != "Rosa" {
		t.Fatalf("lookup ignoring case: %v %+v", err, u)
	}
}

func TestCreateValidates(t *testing.T) {
	t.Parallel()
	s := user.NewService(pgtest.DB(t), settings)
	_, err := s.Create(context.Background(), 0, user.NewAccount{Email: "not-an-email", DisplayName: " ", Password: "short"})
	ve, ok := validate.As(err)
	if !ok {
		t.Fatalf("err = %v, want validation errors", err)
	}
	fields := map[string]bool{}
	for _, f := range ve {
		fields[f.Field] = true
	}
	for _, f := range []string{"email", "display_name", "password"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, ve)
		}
	}
}

func TestAuthenticateAndThrottle(t *testing.T) {
	t.Parallel()
	s := user.NewService(pgtest.DB(t), settings)
	ctx := context.Background()
	if _, err := s.Create(ctx, 0, user.NewAccount{Email: "kai@example.org", DisplayName: "Kai", Password: "kai's long password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "KAI@example.org", "kai's long password", "10.0.0.1"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	_, errWrong := s.Authenticate(ctx, "kai@example.org", "wrong", "10.0.0.1")
	_, errUnknown := s.Authenticate(ctx, "nobody@example.org", "wrong", "10.0.0.1")
	if !errors.Is(errWrong, user.ErrBadCredentials) || !errors.Is(errUnknown, user.ErrBadCredentials) || errWrong.Error() != errUnknown.Error() {
		t.Fatalf("wrong password and unknown email must look alike: %v / %v", errWrong, errUnknown)
	}
	// Nine more failures for kai from other addresses reach the per-account limit.
	for i := range 9 {
		if _, err := s.Authenticate(ctx, "kai@example.org", "wrong", "10.0.1."+string(rune('0'+i))); !errors.Is(err, user.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.Authenticate(ctx, "kai@example.org", "kai's long password", "10.0.2.1"); !errors.Is(err, user.ErrThrottled) {
		t.Fatalf("after 10 failures even the right password waits: %v", err)
	}
	// An unknown email is throttled the same way, so throttling reveals nothing.
	for range 9 {
		_, _ = s.Authenticate(ctx, "nobody@example.org", "wrong", "10.0.3.1")
	}
	if _, err := s.Authenticate(ctx, "nobody@example.org", "wrong", "10.0.3.2"); !errors.Is(err, user.ErrThrottled) {
		t.Fatalf("unknown email not throttled alike: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	s := user.NewService(db, settings)
	ctx := context.Background()
	u, err := s.Create(ctx, 0, user.NewAccount{Email: "lee@example.org", DisplayName: "Lee", Password: "lee's long password"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		age    string // how to age the session row
		wantOK bool
	}{
		{"fresh-ok", ``, true},
		{"idle-expired", `UPDATE sessions SET last_seen_at = now() - interval '61 minutes'`, false},
		{"absolute-expired", `UPDATE sessions SET expires_at = now() - interval '1 second'`, false},
	} {
		token, _, err := s.StartSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tc.age != "" {
			if err := db.Exec(tc.age).Error; err != nil {
				t.Fatal(err)
			}
		}
		_, got, err := s.SessionUser(ctx, token)
		if tc.wantOK != (err == nil) {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
		if tc.wantOK && got.ID != u.ID {
			t.Fatalf("%s: user %d", tc.name, got.ID)
		}
		if err := s.EndSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, token); !errors.Is(err, user.ErrUnauthenticated) {
			t.Fatalf("%s: ended session still works: %v", tc.name, err)
		}
	}
	var n int64
	db.Raw(`SELECT count(*) FROM sessions WHERE token_hash IS NOT NULL`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

func TestTokensStoredHashedAndRevocable(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	s := user.NewService(db, settings)
	ctx := context.Background()
	u, err := s.Create(ctx, 0, user.NewAccount{Email: "mo@example.org", DisplayName: "Mo", Password: "mo's long password"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Create(ctx, 0, user.NewAccount{Email: "jo@example.org", DisplayName: "Jo", Password: "jo's long password"})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := s.CreateToken(ctx, u.ID, user.NewToken{Name: "script"})
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	db.Raw(`SELECT count(*) FROM api_tokens WHERE position(convert_to(?, 'UTF8') in token_hash) > 0 OR prefix = ?`, secret, secret).Scan(&stored)
	if stored != 0 {
		t.Fatal("the secret is stored in clear")
	}
	if got, err := s.TokenUser(ctx, secret); err != nil || got.ID != u.ID {
		t.Fatalf("token user: %v %+v", err, got)
	}
	if err := s.RevokeToken(ctx, other.ID, tok.ID); !errors.Is(err, user.ErrTokenNotFound) {
		t.Fatalf("someone else revoked it: %v", err)
	}
	if err := s.RevokeToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenUser(ctx, secret); !errors.Is(err, user.ErrUnauthenticated) {
		t.Fatalf("revoked token works: %v", err)
	}
}

func TestInvitationIsOneTimeAndExpires(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	s := user.NewService(db, settings)
	ctx := context.Background()
	secret, _, err := s.Invite(ctx, 0, user.NewInvitation{Email: "ana@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// Two people racing with one link: exactly one account.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.AcceptInvitation(ctx, secret, user.Acceptance{DisplayName: "Ana", Password: "ana's long password"})
		}()
	}
	wg.Wait()
	okCount := 0
	for _, err := range errs {
		if err == nil {
			okCount++
		} else if !errors.Is(err, user.ErrInvitationInvalid) {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if okCount != 1 {
		t.Fatalf("%d acceptances succeeded, want 1", okCount)
	}
	if _, err := s.PendingInvitation(ctx, secret); !errors.Is(err, user.ErrInvitationInvalid) {
		t.Fatalf("used link still pending: %v", err)
	}
	expired, _, err := s.Invite(ctx, 0, user.NewInvitation{Email: "ben@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE email = 'ben@example.org'`)
	if _, err := s.AcceptInvitation(ctx, expired, user.Acceptance{DisplayName: "Ben", Password: "ben's long password"}); !errors.Is(err, user.ErrInvitationInvalid) {
		t.Fatalf("expired link accepted: %v", err)
	}
	if _, _, err := s.Invite(ctx, 0, user.NewInvitation{Email: "ANA@example.org"}); !errors.Is(err, user.ErrEmailTaken) {
		t.Fatalf("invited an existing account: %v", err)
	}
}
