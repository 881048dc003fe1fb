package fund

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// AssignableRoles are the roles a steward gives in a fund. Grantees get
// theirs from a grant, not from a steward.
var AssignableRoles = []string{"steward", "panel_chair", "panel_member", "learning_partner"}

// RoleNames are the roles as people read them.
var RoleNames = map[string]string{
	"steward": "Steward", "panel_chair": "Panel chair", "panel_member": "Panel member",
	"learning_partner": "Learning partner", "grantee": "Grantee",
}

// RoleHolder is a person holding a role in a fund.
type RoleHolder struct {
	UserID      int64  `json:"user_id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Role        string `json:"role"`
}

// Roles lists who holds which role in a fund, by name.
func (s *Service) Roles(ctx context.Context, fundID int64) ([]RoleHolder, error) {
	var rows []struct {
		Subject string
		Role    string
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT v0 AS subject, v1 AS role FROM casbin_rule
		WHERE ptype = 'g' AND v2 = ? ORDER BY v1, v0`, "fund:"+strconv.FormatInt(fundID, 10)).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]RoleHolder, 0, len(rows))
	for _, r := range rows {
		id, err := strconv.ParseInt(strings.TrimPrefix(r.Subject, "user:"), 10, 64)
		if err != nil {
			continue
		}
		var u struct{ DisplayName, Email string }
		if err := store.Conn(ctx, s.db).Raw(`SELECT display_name, email FROM users WHERE id = ?`, id).Scan(&u).Error; err != nil {
			return nil, err
		}
		out = append(out, RoleHolder{UserID: id, DisplayName: u.DisplayName, Email: u.Email, Role: r.Role})
	}
	return out, nil
}

// RoleChange names a person (by account) and a role.
type RoleChange struct {
	UserID int64  `json:"user_id" validate:"required,gt=0"`
	Role   string `json:"role" validate:"required,oneof=steward panel_chair panel_member learning_partner"`
}

// AssignRole gives an existing account a role in the fund. Panel roles also
// seat the person on the fund's panel (as invited, from today).
func (s *Service) AssignRole(ctx context.Context, actorID, fundID int64, in RoleChange) error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.GetForUpdate(ctx, fundID); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM users WHERE id = ?`, in.UserID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return validate.Field("user_id", "no such account; invite the person by email instead")
		}
		if err := s.GrantRole(ctx, in.UserID, fundID, in.Role); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "role.assign", ObjectType: "user",
			ObjectID: in.UserID, FundID: fundID, Changes: in})
	})
}

// GrantRole gives the role and, for panel roles, the panel seat, within the
// transaction in ctx. Accepting an invitation that carries a role calls it.
func (s *Service) GrantRole(ctx context.Context, userID, fundID int64, role string) error {
	if !slices.Contains(AssignableRoles, role) {
		return validate.Field("role", "must be one of: "+strings.Join(AssignableRoles, ", "))
	}
	if role == "panel_chair" || role == "panel_member" {
		// One seat each: a member who becomes chair stops being a member.
		other := map[string]string{"panel_chair": "panel_member", "panel_member": "panel_chair"}[role]
		if err := s.roles.RevokeFundRole(ctx, userID, other, fundID); err != nil {
			return err
		}
		seat := map[string]string{"panel_chair": "chair", "panel_member": "member"}[role]
		if err := store.Conn(ctx, s.db).Exec(`INSERT INTO panel_members (fund_id, user_id, role, chosen_by, term_start)
			VALUES (?, ?, ?, 'invited', current_date)
			ON CONFLICT (fund_id, user_id) DO UPDATE SET role = EXCLUDED.role`, fundID, userID, seat).Error; err != nil {
			return err
		}
	}
	return s.roles.AssignFundRole(ctx, userID, role, fundID)
}

// RevokeRole takes a role away. The last steward cannot be removed: a fund
// always has someone to answer for it.
func (s *Service) RevokeRole(ctx context.Context, actorID, fundID int64, in RoleChange) error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if _, err := s.GetForUpdate(ctx, fundID); err != nil {
			return err
		}
		holders, err := s.Roles(ctx, fundID)
		if err != nil {
			return err
		}
		held, stewards := false, 0
		for _, h := range holders {
			held = held || (h.UserID == in.UserID && h.Role == in.Role)
			if h.Role == "steward" {
				stewards++
			}
		}
		if !held {
			return fault.NotFoundf("that person does not hold that role in this fund")
		}
		if in.Role == "steward" && stewards == 1 {
			return fault.Conflictf("a fund needs at least one steward: give the role to someone else first")
		}
		if in.Role == "panel_chair" || in.Role == "panel_member" {
			if err := tx.Exec(`DELETE FROM panel_members WHERE fund_id = ? AND user_id = ?`, fundID, in.UserID).Error; err != nil {
				return err
			}
		}
		if err := s.roles.RevokeFundRole(ctx, in.UserID, in.Role, fundID); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "role.revoke", ObjectType: "user",
			ObjectID: in.UserID, FundID: fundID, Changes: in})
	})
}
