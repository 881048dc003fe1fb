package app

import (
	"context"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

// CreateAdmin makes an account and gives it the administrator role, in one
// transaction.
func CreateAdmin(ctx context.Context, s *Services, in user.NewAccount) (user.User, error) {
	var u user.User
	err := store.WithTx(ctx, s.DB, func(ctx context.Context, tx *gorm.DB) error {
		var err error
		if u, err = s.Users.Create(ctx, 0, in); err != nil {
			return err
		}
		if err := s.Authz.Assign(ctx, u.ID, authz.Admin, authz.Installation); err != nil {
			return err
		}
		return audit.Record(ctx, s.DB, audit.Entry{Action: "role.assign", ObjectType: "user", ObjectID: u.ID,
			Changes: map[string]any{"role": authz.Admin, "domain": authz.Installation}})
	})
	return u, err
}
