package panel

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Seats on a panel, and the per-fund role each one carries.
const (
	Chair  = "chair"
	Member = "member"
)

// SeatRoles maps a seat to the role the authorizer knows it by.
var SeatRoles = map[string]string{Chair: "panel_chair", Member: "panel_member"}

// Ways a member came to sit on the panel. "lottery" is a draw by lot from a
// pool (sortition), often with quotas so the panel looks like the place.
var ChoiceMethods = []string{"invited", "nominated", "lottery"}

// ChoiceNames are the ways of choosing as people read them.
var ChoiceNames = map[string]string{"invited": "Invited", "nominated": "Nominated", "lottery": "Drawn by lot"}

// PanelMember is one seat on a fund's panel.
type PanelMember struct {
	ID          int64     `json:"id"`
	FundID      int64     `json:"fund_id"`
	UserID      int64     `json:"user_id"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email,omitempty"`
	Role        string    `json:"role"`
	ChosenBy    string    `json:"chosen_by"`
	TermStart   string    `json:"term_start"`
	TermEnd     *string   `json:"term_end"`
	CreatedAt   time.Time `json:"created_at"`
}

const memberColumns = `SELECT m.id, m.fund_id, m.user_id, u.display_name, u.email, m.role, m.chosen_by,
	to_char(m.term_start, 'YYYY-MM-DD') AS term_start, to_char(m.term_end, 'YYYY-MM-DD') AS term_end, m.created_at
	FROM panel_members m JOIN users u ON u.id = m.user_id`

// Members lists a fund's panel, chairs first, then by name.
func (s *Service) Members(ctx context.Context, fundID int64) ([]PanelMember, error) {
	var out []PanelMember
	err := store.Conn(ctx, s.db).Raw(memberColumns+` WHERE m.fund_id = ?
		ORDER BY m.role = 'chair' DESC, lower(u.display_name), m.id`, fundID).Scan(&out).Error
	return out, err
}

// GetMember returns one seat, or ErrMemberNotFound.
func (s *Service) GetMember(ctx context.Context, id int64) (PanelMember, error) {
	var m PanelMember
	if err := store.Conn(ctx, s.db).Raw(memberColumns+` WHERE m.id = ?`, id).Scan(&m).Error; err != nil {
		return PanelMember{}, err
	}
	if m.ID == 0 {
		return PanelMember{}, ErrMemberNotFound
	}
	return m, nil
}

// NewMember seats an existing account on a fund's panel, found by user id
// or by email. People without an account are invited from the fund's roles
// page instead.
type NewMember struct {
	UserID    int64  `json:"user_id" validate:"omitempty,gt=0"`
	Email     string `json:"email" validate:"omitempty,max=254"`
	Role      string `json:"role" validate:"required,oneof=chair member"`
	ChosenBy  string `json:"chosen_by" validate:"required,oneof=invited nominated lottery"`
	TermStart string `json:"term_start"` // empty: today
	TermEnd   string `json:"term_end"`   // empty: no end set
}

// checkTerm validates term dates, naming the fields.
func checkTerm(start string, end *string) validate.Errors {
	var errs validate.Errors
	s, ok := parseDate(start)
	if !ok {
		errs = append(errs, validate.FieldError{Field: "term_start", Message: dateMessage})
	}
	if end != nil {
		e, eok := parseDate(*end)
		switch {
		case !eok:
			errs = append(errs, validate.FieldError{Field: "term_end", Message: dateMessage + ", or left empty"})
		case ok && e.Before(s):
			errs = append(errs, validate.FieldError{Field: "term_end", Message: "must not be before the start of the term"})
		}
	}
	return errs
}

// AddMember seats a person on the panel and gives them the matching role
// in the fund, in one transaction with its audit event.
func (s *Service) AddMember(ctx context.Context, actorID, fundID int64, in NewMember) (PanelMember, error) {
	in.Email = strings.TrimSpace(in.Email)
	in.TermStart = strings.TrimSpace(in.TermStart)
	in.TermEnd = strings.TrimSpace(in.TermEnd)
	if err := validate.Struct(in); err != nil {
		return PanelMember{}, err
	}
	if in.TermStart == "" {
		in.TermStart = time.Now().UTC().Format(dateLayout)
	}
	var end *string
	if in.TermEnd != "" {
		end = &in.TermEnd
	}
	errs := checkTerm(in.TermStart, end)
	switch {
	case in.UserID == 0 && in.Email == "":
		errs = append(errs, validate.FieldError{Field: "user_id", Message: "is required: give the person's user id or email"})
	case in.UserID != 0 && in.Email != "":
		errs = append(errs, validate.FieldError{Field: "email", Message: "must be left out when a user id is given"})
	}
	if len(errs) > 0 {
		return PanelMember{}, errs
	}
	var id int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var status string
		if err := tx.Raw(`SELECT status FROM funds WHERE id = ? FOR UPDATE`, fundID).Scan(&status).Error; err != nil {
			return err
		}
		if status == "" {
			return ErrFundNotFound
		}
		if status == "closed" {
			return fault.Conflictf("this fund is closed: its panel can no longer change")
		}
		var person struct {
			ID          int64
			DisplayName string
		}
		field := "user_id"
		if in.Email != "" {
			field = "email"
			if err := tx.Raw(`SELECT id, display_name FROM users WHERE lower(email) = lower(?)`, in.Email).Scan(&person).Error; err != nil {
				return err
			}
		} else if err := tx.Raw(`SELECT id, display_name FROM users WHERE id = ?`, in.UserID).Scan(&person).Error; err != nil {
			return err
		}
		if person.ID == 0 {
			return validate.Field(field, "belongs to no account; invite the person from the fund's roles page instead")
		}
		var seated int64
		if err := tx.Raw(`SELECT count(*) FROM panel_members WHERE fund_id = ? AND user_id = ?`, fundID, person.ID).
			Scan(&seated).Error; err != nil {
			return err
		}
		if seated > 0 {
			return fault.Conflictf("%s is already on this fund's panel: change their role or term instead", person.DisplayName)
		}
		if err := tx.Raw(`INSERT INTO panel_members (fund_id, user_id, role, chosen_by, term_start, term_end)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, fundID, person.ID, in.Role, in.ChosenBy, in.TermStart, end).
			Scan(&id).Error; err != nil {
			if store.IsUniqueViolation(err, "") {
				return fault.Conflictf("%s is already on this fund's panel", person.DisplayName)
			}
			return err
		}
		if err := s.roles.AssignFundRole(ctx, person.ID, SeatRoles[in.Role], fundID); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "panel_member.add", ObjectType: "panel_member",
			ObjectID: id, FundID: fundID, Changes: map[string]any{"user_id": person.ID, "role": in.Role,
				"chosen_by": in.ChosenBy, "term_start": in.TermStart, "term_end": end}})
	})
	if err != nil {
		return PanelMember{}, err
	}
	return s.GetMember(ctx, id)
}

// MemberChange changes a seat; nil fields stay as they are. ClearTermEnd
// removes the end of the term (TermEnd must then be nil).
type MemberChange struct {
	Role         *string
	ChosenBy     *string
	TermStart    *string
	TermEnd      *string
	ClearTermEnd bool
}

// UpdateMember changes a seat's role, how they were chosen or their term.
// A new role replaces the old one in the fund, in the same transaction.
func (s *Service) UpdateMember(ctx context.Context, actorID, id int64, in MemberChange) (PanelMember, error) {
	var errs validate.Errors
	if in.Role != nil && *in.Role != Chair && *in.Role != Member {
		errs = append(errs, validate.FieldError{Field: "role", Message: "must be one of: chair, member"})
	}
	if in.ChosenBy != nil && ChoiceNames[*in.ChosenBy] == "" {
		errs = append(errs, validate.FieldError{Field: "chosen_by", Message: "must be one of: " + strings.Join(ChoiceMethods, ", ")})
	}
	if len(errs) > 0 {
		return PanelMember{}, errs
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var cur PanelMember
		if err := tx.Raw(memberColumns+` WHERE m.id = ? FOR UPDATE OF m`, id).Scan(&cur).Error; err != nil {
			return err
		}
		if cur.ID == 0 {
			return ErrMemberNotFound
		}
		next := cur
		if in.Role != nil {
			next.Role = *in.Role
		}
		if in.ChosenBy != nil {
			next.ChosenBy = *in.ChosenBy
		}
		if in.TermStart != nil {
			next.TermStart = strings.TrimSpace(*in.TermStart)
		}
		switch {
		case in.ClearTermEnd:
			next.TermEnd = nil
		case in.TermEnd != nil:
			e := strings.TrimSpace(*in.TermEnd)
			next.TermEnd = &e
		}
		if errs := checkTerm(next.TermStart, next.TermEnd); len(errs) > 0 {
			return errs
		}
		changes := map[string]any{}
		note := func(field string, old, new any) {
			changes[field] = map[string]any{"old": old, "new": new}
		}
		if next.Role != cur.Role {
			note("role", cur.Role, next.Role)
		}
		if next.ChosenBy != cur.ChosenBy {
			note("chosen_by", cur.ChosenBy, next.ChosenBy)
		}
		if next.TermStart != cur.TermStart {
			note("term_start", cur.TermStart, next.TermStart)
		}
		if deref(next.TermEnd) != deref(cur.TermEnd) {
			note("term_end", cur.TermEnd, next.TermEnd)
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE panel_members SET role = ?, chosen_by = ?, term_start = ?, term_end = ? WHERE id = ?`,
			next.Role, next.ChosenBy, next.TermStart, next.TermEnd, id).Error; err != nil {
			return err
		}
		if next.Role != cur.Role {
			if err := s.roles.RevokeFundRole(ctx, cur.UserID, SeatRoles[cur.Role], cur.FundID); err != nil {
				return err
			}
			if err := s.roles.AssignFundRole(ctx, cur.UserID, SeatRoles[next.Role], cur.FundID); err != nil {
				return err
			}
		}
		changes["user_id"] = cur.UserID
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "panel_member.update", ObjectType: "panel_member",
			ObjectID: id, FundID: cur.FundID, Changes: changes})
	})
	if err != nil {
		return PanelMember{}, err
	}
	return s.GetMember(ctx, id)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RemoveMember takes a seat away, and the role that came with it. Their
// declarations, time records and comments stay: they are the record of
// what happened.
func (s *Service) RemoveMember(ctx context.Context, actorID, id int64) error {
	return store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var cur PanelMember
		if err := tx.Raw(memberColumns+` WHERE m.id = ? FOR UPDATE OF m`, id).Scan(&cur).Error; err != nil {
			return err
		}
		if cur.ID == 0 {
			return ErrMemberNotFound
		}
		if err := tx.Exec(`DELETE FROM panel_members WHERE id = ?`, id).Error; err != nil {
			return err
		}
		if err := s.roles.RevokeFundRole(ctx, cur.UserID, SeatRoles[cur.Role], cur.FundID); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "panel_member.remove", ObjectType: "panel_member",
			ObjectID: id, FundID: cur.FundID, Changes: map[string]any{"user_id": cur.UserID, "role": cur.Role,
				"chosen_by": cur.ChosenBy, "term_start": cur.TermStart, "term_end": cur.TermEnd}})
	})
}

// Summary is a panel's make-up in aggregate, as the public sees it: how
// many sit and how they were chosen, never who.
type Summary struct {
	FundID   int64         `json:"fund_id"`
	Members  int           `json:"members"`
	Chairs   int           `json:"chairs"`
	ChosenBy ChoiceCounts  `json:"chosen_by"`
	Methods  []ChoiceCount `json:"-"`
}

// ChoiceCounts is how many members were chosen each way.
type ChoiceCounts struct {
	Invited   int `json:"invited"`
	Nominated int `json:"nominated"`
	Lottery   int `json:"lottery"`
}

// ChoiceCount is one way of choosing and how many it chose, for pages.
type ChoiceCount struct {
	Method, Name string
	Count        int
}

// PanelSummary counts the members whose term covers today (chairs
// included).
func (s *Service) PanelSummary(ctx context.Context, fundID int64) (Summary, error) {
	var rows []struct {
		Role, ChosenBy string
		N              int
	}
	err := store.Conn(ctx, s.db).Raw(`SELECT role, chosen_by, count(*) AS n FROM panel_members
		WHERE fund_id = ? AND term_start <= current_date AND (term_end IS NULL OR term_end >= current_date)
		GROUP BY role, chosen_by`, fundID).Scan(&rows).Error
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{FundID: fundID}
	byMethod := map[string]int{}
	for _, r := range rows {
		sum.Members += r.N
		if r.Role == Chair {
			sum.Chairs += r.N
		}
		byMethod[r.ChosenBy] += r.N
	}
	sum.ChosenBy = ChoiceCounts{Invited: byMethod["invited"], Nominated: byMethod["nominated"], Lottery: byMethod["lottery"]}
	for _, m := range ChoiceMethods {
		sum.Methods = append(sum.Methods, ChoiceCount{Method: m, Name: ChoiceNames[m], Count: byMethod[m]})
	}
	return sum, nil
}
