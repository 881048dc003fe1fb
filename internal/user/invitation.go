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

// Invitation is a one-time, expiring offer of an account.
type Invitation struct {
	ID             int64      `json:"id" gorm:"primaryKey;->"`
	Email          string     `json:"email"`
	DisplayName    string     `json:"display_name"`
	TokenHash      []byte     `json:"-"`
	OrganisationID *int64     `json:"organisation_id"`
	InvitedBy      *int64     `json:"invited_by"`
	CreatedAt      time.Time  `json:"created_at" gorm:"->"`
	ExpiresAt      time.Time  `json:"expires_at"`
	AcceptedAt     *time.Time `json:"accepted_at"`
	AcceptedUserID *int64     `json:"-"`
	FundID         *int64     `json:"fund_id"`
	FundRole       *string    `json:"fund_role"`
}

// TableName tells GORM the table.
func (Invitation) TableName() string { return "invitations" }

// NewInvitation is what an inviter gives.
type NewInvitation struct {
	Email          string `json:"email" validate:"required,max=254,email"`
	DisplayName    string `json:"display_name" validate:"max=120"`
	OrganisationID int64  `json:"organisation_id" validate:"gte=0"`
	// FundID and FundRole give the person a role in a fund on acceptance.
	FundID   int64  `json:"-"`
	FundRole string `json:"-"`
}

// RoleGranter gives the role an invitation carries, inside the accepting
// transaction (the fund service, wired by the app).
type RoleGranter interface {
	GrantRole(ctx context.Context, userID, fundID int64, role string) error
}

// GrantRolesWith sets who gives invitations' fund roles.
func (s *Service) GrantRolesWith(g RoleGranter) { s.granter = g }

// OrgJoiner gives what joining an organisation brings (the grantee role in
// the funds where it holds grants), inside the accepting transaction (the
// organisation service, wired by the app).
type OrgJoiner interface {
	GiveGranteeRoles(ctx context.Context, userID, orgID int64) error
}

// JoinOrgsWith sets who gives what joining an organisation brings.
func (s *Service) JoinOrgsWith(j OrgJoiner) { s.joiner = j }

// InvitePath is where an invitation link points; the secret follows it.
const InvitePath = "/invitations/"

// Invite records an invitation and returns its secret, to be sent as a link
// (BaseURL + InvitePath + secret). The secret is never stored.
func (s *Service) Invite(ctx context.Context, actorID int64, in NewInvitation) (secret string, inv Invitation, err error) {
	in.Email = NormaliseEmail(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if err := validate.Struct(in); err != nil {
		return "", Invitation{}, err
	}
	secret, hash, err := newSecret("")
	if err != nil {
		return "", Invitation{}, err
	}
	inv = Invitation{Email: in.Email, DisplayName: in.DisplayName, TokenHash: hash,
		ExpiresAt: s.now().Add(s.set.InvitationTTL)}
	if in.OrganisationID != 0 {
		inv.OrganisationID = &in.OrganisationID
	}
	if actorID != 0 {
		inv.InvitedBy = &actorID
	}
	if in.FundID != 0 {
		inv.FundID, inv.FundRole = &in.FundID, &in.FundRole
	}
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.ByEmail(ctx, in.Email); err == nil {
			return ErrEmailTaken
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if in.OrganisationID != 0 {
			var n int64
			if err := tx.Raw(`SELECT count(*) FROM organisations WHERE id = ?`, in.OrganisationID).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return validate.Field("organisation_id", "no such organisation")
			}
		}
		if err := tx.Create(&inv).Error; err != nil {
			return err
		}
		if err := tx.First(&inv, inv.ID).Error; err != nil { // the database's created_at
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "invitation.create",
			ObjectType: "invitation", ObjectID: inv.ID,
			Changes: map[string]any{"email": inv.Email, "organisation_id": inv.OrganisationID}})
	})
	if err != nil {
		return "", Invitation{}, err
	}
	return secret, inv, nil
}

// PendingInvitation returns the live invitation behind a secret.
func (s *Service) PendingInvitation(ctx context.Context, secret string) (Invitation, error) {
	var inv Invitation
	err := store.Conn(ctx, s.db).
		Where("token_hash = ? AND accepted_at IS NULL AND expires_at > ?", hashSecret(secret), s.now()).
		First(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Invitation{}, ErrInvitationInvalid
	}
	return inv, err
}

// Acceptance is what the invited person gives.
type Acceptance struct {
	DisplayName string `json:"display_name" form:"display_name" validate:"notblank,max=120"`
	Password    string `json:"password" form:"password" validate:"min=12,max=256"`
}

// AcceptInvitation makes the account, joins the organisation named in the
// invitation and uses the invitation up, all in one transaction.
func (s *Service) AcceptInvitation(ctx context.Context, secret string, in Acceptance) (User, error) {
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if err := validate.Struct(in); err != nil {
		return User{}, err
	}
	var u User
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var inv Invitation
		// Lock the row so the same link cannot be used twice at once.
		err := tx.Raw(`SELECT * FROM invitations WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ? FOR UPDATE`,
			hashSecret(secret), s.now()).Scan(&inv).Error
		if err != nil {
			return err
		}
		if inv.ID == 0 {
			return ErrInvitationInvalid
		}
		u, err = s.Create(ctx, 0, NewAccount{Email: inv.Email, DisplayName: in.DisplayName, Password: in.Password})
		if err != nil {
			return err
		}
		if inv.OrganisationID != nil {
			if err := tx.Exec(`INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				*inv.OrganisationID, u.ID).Error; err != nil {
				return err
			}
			if s.joiner != nil {
				if err := s.joiner.GiveGranteeRoles(ctx, u.ID, *inv.OrganisationID); err != nil {
					return err
				}
			}
		}
		if inv.FundID != nil && inv.FundRole != nil {
			if s.granter == nil {
				return errors.New("invitation carries a fund role but no role granter is set")
			}
			if err := s.granter.GrantRole(ctx, u.ID, *inv.FundID, *inv.FundRole); err != nil {
				return err
			}
		}
		if err := tx.Exec(`UPDATE invitations SET accepted_at = ?, accepted_user_id = ? WHERE id = ?`,
			s.now(), u.ID, inv.ID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: u.ID, Action: "invitation.accept",
			ObjectType: "invitation", ObjectID: inv.ID})
	})
	return u, err
}
