package app

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

// DemoPassword is every demo account's password. The demo runs only on an
// empty database (by default only on the private PostgreSQL), and says so
// in the log.
const DemoPassword = "humble-demo-password"

// demoPerson is one seeded account.
type demoPerson struct {
	email, name string
	orgIndex    int // -1: no organisation
}

// SeedDemo fills an empty database with a believable example: an
// administrator, a funder, two community organisations and their people.
// It does nothing if any account exists.
func SeedDemo(ctx context.Context, s *Services) error {
	var n int64
	if err := s.DB.WithContext(ctx).Raw(`SELECT count(*) FROM users`).Scan(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		s.Log.Info("demo: the database already has accounts; not seeding", "password_for_demo_accounts", DemoPassword)
		return nil
	}
	orgs := []org.NewOrganisation{
		{Name: "Riverside Community Foundation", Kind: org.Funder, Identifier: "GB-CHC-1160001"},
		{Name: "Eastfield Tenants' Network", Kind: org.Applicant, Identifier: "GB-COH-12840001"},
		{Name: "Shared Tables", Kind: org.Applicant},
	}
	people := []demoPerson{
		{"amara@example.org", "Amara Okafor", 0},
		{"tom@example.org", "Tom Reilly", 1},
		{"priya@example.org", "Priya Shah", 2},
		{"june@example.org", "June Walters", -1},
	}
	err := store.WithTx(ctx, s.DB, func(ctx context.Context, tx *gorm.DB) error {
		admin, err := CreateAdmin(ctx, s, user.NewAccount{Email: "admin@example.org", DisplayName: "Ada (administrator)", Password: DemoPassword})
		if err != nil {
			return err
		}
		ids := make([]int64, len(orgs))
		for i, in := range orgs {
			o, err := s.Orgs.Create(ctx, admin.ID, in)
			if err != nil {
				return err
			}
			ids[i] = o.ID
		}
		for _, p := range people {
			u, err := s.Users.Create(ctx, admin.ID, user.NewAccount{Email: p.email, DisplayName: p.name, Password: DemoPassword})
			if err != nil {
				return err
			}
			if p.orgIndex >= 0 {
				if err := s.Orgs.AddMember(ctx, admin.ID, ids[p.orgIndex], u.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return errors.Join(errors.New("seeding the demo"), err)
	}
	s.Log.Info("demo seeded: sign in as admin@example.org (administrator), amara@example.org (funder), "+
		"tom@example.org or priya@example.org (community organisations)", "password", DemoPassword)
	return nil
}
