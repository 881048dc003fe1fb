// Package org owns organisations (funders and applicants) and who belongs
// to them. Membership is what "own organisation" ownership rules check.
package org

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

// Errors of this domain.
var (
	ErrNotFound        = errors.New("organisation not found")
	ErrIdentifierTaken = errors.New("another organisation already has this identifier")
	ErrUserNotFound    = errors.New("no such user")
	ErrAlreadyMember   = errors.New("already a member of this organisation")
	ErrNotMember       = errors.New("not a member of this organisation")
)

// Kinds of organisation.
const (
	Funder    = "funder"
	Applicant = "applicant"
)

// Organisation is a funder or an applicant (charity, group, public body).
type Organisation struct {
	ID         int64     `json:"id" gorm:"primaryKey;->"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Identifier *string   `json:"identifier"`
	CreatedAt  time.Time `json:"created_at" gorm:"->"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// TableName tells GORM the table.
func (Organisation) TableName() string { return "organisations" }

// Member is a person in an organisation, as listed.
type Member struct {
	UserID      int64     `json:"user_id"`
	DisplayName string    `json:"display_name"`
	JoinedAt    time.Time `json:"joined_at"`
}

// Roles gives and takes fund roles without this package knowing casbin.
type Roles interface {
	AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error
	RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error
}

// Service is the organisation domain's entry point.
type Service struct {
	db    *gorm.DB
	roles Roles
}

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// GiveRolesWith sets who gives and takes the grantee role as people join
// and leave an organisation that holds grants.
func (s *Service) GiveRolesWith(r Roles) { s.roles = r }

// granteeRole is the role the members of a funded organisation hold in the
// fund (as decision.Finalise gives it).
const granteeRole = "grantee"

// GiveGranteeRoles gives userID the grantee role in every fund where orgID
// holds a grant: what joining a funded organisation brings. It writes in
// the transaction in ctx, so it is called where the membership is made.
func (s *Service) GiveGranteeRoles(ctx context.Context, userID, orgID int64) error {
	var funds []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT DISTINCT fund_id FROM grants WHERE organisation_id = ? ORDER BY 1`, orgID).
		Scan(&funds).Error; err != nil {
		return err
	}
	if len(funds) == 0 {
		return nil
	}
	if s.roles == nil {
		return errors.New("org: the organisation holds grants but no role giver is set")
	}
	for _, f := range funds {
		if err := s.roles.AssignFundRole(ctx, userID, granteeRole, f); err != nil {
			return err
		}
	}
	return nil
}

// NewOrganisation is what it takes to register one.
type NewOrganisation struct {
	Name       string `json:"name" validate:"notblank,max=200"`
	Kind       string `json:"kind" validate:"required,oneof=funder applicant"`
	Identifier string `json:"identifier" validate:"omitempty,orgid"`
}

// Create registers an organisation.
func (s *Service) Create(ctx context.Context, actorID int64, in NewOrganisation) (Organisation, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Identifier = strings.ToUpper(strings.TrimSpace(in.Identifier))
	if err := validate.Struct(in); err != nil {
		return Organisation{}, err
	}
	o := Organisation{Name: in.Name, Kind: in.Kind}
	if in.Identifier != "" {
		o.Identifier = &in.Identifier
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Create(&o).Error; err != nil {
			if store.IsUniqueViolation(err, "organisations_identifier_key") {
				return ErrIdentifierTaken
			}
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "organisation.create",
			ObjectType: "organisation", ObjectID: o.ID, Changes: in})
	})
	if err != nil {
		return Organisation{}, err
	}
	return s.Get(ctx, o.ID)
}

// Get returns one organisation.
func (s *Service) Get(ctx context.Context, id int64) (Organisation, error) {
	var o Organisation
	err := store.Conn(ctx, s.db).First(&o, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Organisation{}, ErrNotFound
	}
	return o, err
}

// List returns organisations by name, a page at a time.
func (s *Service) List(ctx context.Context, offset, limit int) ([]Organisation, int64, error) {
	var total int64
	q := store.Conn(ctx, s.db).Model(&Organisation{})
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var os []Organisation
	err := store.Conn(ctx, s.db).Order("name, id").Offset(offset).Limit(limit).Find(&os).Error
	return os, total, err
}

// AddMember puts a user in an organisation.
func (s *Service) AddMember(ctx context.Context, actorID, orgID, userID int64) error {
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.Get(ctx, orgID); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM users WHERE id = ?`, userID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return validate.Field("user_id", "no such user")
		}
		res := tx.Exec(`INSERT INTO organisation_members (organisation_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, orgID, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyMember
		}
		// Joining an organisation that already holds grants makes one a
		// grantee of those funds, as its members became when the grants
		// were made.
		if err := s.GiveGranteeRoles(ctx, userID, orgID); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "organisation.add_member",
			ObjectType: "organisation", ObjectID: orgID, Changes: map[string]any{"user_id": userID}})
	})
}

// RemoveMember takes a user out of an organisation, and with it the
// grantee role in each fund where the organisation holds a grant, unless
// another organisation of theirs holds a grant in that fund too. All in
// one transaction.
func (s *Service) RemoveMember(ctx context.Context, actorID, orgID, userID int64) error {
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.Get(ctx, orgID); err != nil {
			return err
		}
		res := tx.Exec(`DELETE FROM organisation_members WHERE organisation_id = ? AND user_id = ?`, orgID, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotMember
		}
		var funds []int64
		if err := tx.Raw(`SELECT DISTINCT g.fund_id FROM grants g WHERE g.organisation_id = ?
			AND NOT EXISTS (SELECT 1 FROM grants o JOIN organisation_members m ON m.organisation_id = o.organisation_id
				WHERE o.fund_id = g.fund_id AND m.user_id = ?)
			ORDER BY 1`, orgID, userID).Scan(&funds).Error; err != nil {
			return err
		}
		if len(funds) > 0 && s.roles == nil {
			return errors.New("org: the organisation holds grants but no role giver is set")
		}
		for _, f := range funds {
			if err := s.roles.RevokeFundRole(ctx, userID, granteeRole, f); err != nil {
				return err
			}
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "organisation.remove_member",
			ObjectType: "organisation", ObjectID: orgID, Changes: map[string]any{"user_id": userID, "grantee_role_revoked_in": funds}})
	})
}

// Members lists an organisation's members.
func (s *Service) Members(ctx context.Context, orgID int64) ([]Member, error) {
	var ms []Member
	err := store.Conn(ctx, s.db).Raw(`
		SELECT m.user_id, u.display_name, m.created_at AS joined_at
		FROM organisation_members m JOIN users u ON u.id = m.user_id
		WHERE m.organisation_id = ? ORDER BY u.display_name, m.user_id`, orgID).Scan(&ms).Error
	return ms, err
}

// OrgIDsOf returns the organisations userID belongs to: what ownership
// rules compare against.
func (s *Service) OrgIDsOf(ctx context.Context, userID int64) ([]int64, error) {
	var ids []int64
	err := store.Conn(ctx, s.db).Raw(`SELECT organisation_id FROM organisation_members WHERE user_id = ? ORDER BY 1`, userID).Scan(&ids).Error
	return ids, err
}
