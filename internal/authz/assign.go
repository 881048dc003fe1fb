package authz

import (
	"context"
	"fmt"
	"slices"

	gormadapter "github.com/casbin/gorm-adapter/v3"
	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/store"
)

// Channel is the PostgreSQL notification channel on which every role change
// is announced; the payload is the subject whose roles changed ("user:7").
const Channel = "humble_policy"

// fundRoles are the roles held in a fund's domain.
var fundRoles = []Role{Steward, PanelChair, PanelMember, Grantee, LearningPartner}

func checkAssignment(userID int64, role Role, domain string) error {
	if userID <= 0 {
		return fmt.Errorf("%w: user id %d", ErrInvalidAssignment, userID)
	}
	switch {
	case role == Admin:
		if domain != Installation {
			return fmt.Errorf("%w: admin is held in %s only, not in %q", ErrInvalidAssignment, Installation, domain)
		}
	case slices.Contains(fundRoles, role):
		if _, ok := ParseFundDomain(domain); !ok {
			return fmt.Errorf("%w: %s is held in a fund's domain, not in %q", ErrInvalidAssignment, role, domain)
		}
	default:
		return fmt.Errorf("%w: unknown role %q", ErrInvalidAssignment, role)
	}
	return nil
}

// Assign gives userID role in domain. It writes in the transaction in ctx if
// there is one (store.WithTx), else in its own. Assigning a role already held
// changes nothing and is not an error.
//
// Every replica, this one included, learns of the change when the
// transaction commits (see Run). When Assign ran its own transaction it also
// applies the change here before returning, so the caller's next request
// already sees it; inside a caller's transaction it cannot know whether or
// when that commits, so it leaves it to the notification.
func (a *Authorizer) Assign(ctx context.Context, userID int64, role Role, domain string) error {
	return a.change(ctx, true, userID, role, domain)
}

// Revoke takes role in domain away from userID, like Assign in reverse.
// Revoking a role not held is not an error.
func (a *Authorizer) Revoke(ctx context.Context, userID int64, role Role, domain string) error {
	return a.change(ctx, false, userID, role, domain)
}

func (a *Authorizer) change(ctx context.Context, add bool, userID int64, role Role, domain string) error {
	if err := checkAssignment(userID, role, domain); err != nil {
		return err
	}
	sub := Subject(userID)
	rule := []string{sub, string(role), domain}
	verb := "assign"
	if !add {
		verb = "revoke"
	}
	err := store.WithTx(ctx, a.db, func(ctx context.Context, tx *gorm.DB) error {
		ad, err := adapterOn(ctx, tx)
		if err != nil {
			return err
		}
		if add {
			err = ad.AddPolicyCtx(ctx, "g", "g", rule)
		} else {
			err = ad.RemovePolicyCtx(ctx, "g", "g", rule)
		}
		if err != nil {
			return err
		}
		// In the same transaction, so it is delivered on commit and never
		// if the change rolls back.
		return tx.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", Channel, sub).Error
	})
	if err != nil {
		return fmt.Errorf("authz: %s %s as %s in %s: %w", verb, sub, role, domain, err)
	}
	// Once committed (at once if this was its own transaction, or when the
	// caller's commits), apply it here rather than waiting for the
	// notification: whoever made the change sees it on their next request.
	// Re-reading, rather than applying the change blindly, keeps this in
	// order with any concurrent change to the same user.
	store.AfterCommit(ctx, func(ctx context.Context) {
		if err := a.refreshUsers(context.WithoutCancel(ctx), []int64{userID}); err != nil {
			a.log.Warn("authz: role change committed; applying it locally failed, the notification will",
				"user_id", userID, "role", role, "domain", domain, "err", err)
		}
	})
	return nil
}

// adapterOn returns a gorm-adapter writing through conn (the caller's
// transaction). The adapter is cheap to make: without auto-migration it is a
// wrapper of conn. Auto-migration stays off because the migrations own the
// casbin_rule table. TurnOffAutoMigrate rewrites the handle it is given, so
// it gets a copy, never the caller's transaction.
func adapterOn(ctx context.Context, conn *gorm.DB) (*gormadapter.Adapter, error) {
	h := conn.WithContext(ctx)
	gormadapter.TurnOffAutoMigrate(h)
	ad, err := gormadapter.NewAdapterByDBUseTableName(h, "", gormadapter.CasbinRule{}.TableName())
	if err != nil {
		return nil, fmt.Errorf("casbin adapter: %w", err)
	}
	return ad, nil
}
