// Package fund owns funds: their purpose, guiding principles (every change a
// new revision), budget, system scale, learning-cycle stage (with the reason
// for every move) and status, and who holds which role in them.
package fund

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
)

// Statuses of a fund.
const (
	Draft  = "draft"
	Open   = "open"
	Active = "active"
	Closed = "closed"
)

// Stages of the learning cycle, in their usual order. The cycle turns: a
// fund may move to any stage, given a reason.
var Stages = []string{"purpose", "understanding", "co_design", "exploring", "embedding"}

// StageNames are the stages as people read them.
var StageNames = map[string]string{
	"purpose":       "Purpose",
	"understanding": "Understanding the system",
	"co_design":     "Co-design",
	"exploring":     "Exploring and experimenting",
	"embedding":     "Embedding and influencing",
}

// Scales a fund works at.
var Scales = []string{"person", "organisation", "place", "country"}

// Fund is one fund of a funder organisation.
type Fund struct {
	ID                 int64     `json:"id" gorm:"primaryKey;->"`
	OrganisationID     int64     `json:"organisation_id"`
	Name               string    `json:"name"`
	PurposeFlourishing string    `json:"purpose_flourishing"`
	PurposeWhom        string    `json:"purpose_whom"`
	PurposeWhere       string    `json:"purpose_where"`
	BudgetMinor        int64     `json:"budget_minor"`
	Currency           string    `json:"currency"`
	SystemScale        string    `json:"system_scale"`
	Stage              string    `json:"stage"`
	Status             string    `json:"status"`
	Version            int       `json:"version"`
	CreatedBy          *int64    `json:"-"`
	CreatedAt          time.Time `json:"created_at" gorm:"->"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// TableName tells GORM the table.
func (Fund) TableName() string { return "funds" }

// Purpose is the fund's purpose as one sentence.
func (f Fund) Purpose() string {
	return fmt.Sprintf("Enable %s for %s in %s.", f.PurposeFlourishing, f.PurposeWhom, f.PurposeWhere)
}

// Service is the fund domain's entry point.
type Service struct {
	db    *gorm.DB
	roles RoleAssigner
}

// RoleAssigner gives and takes roles (the authorizer).
type RoleAssigner interface {
	AssignFundRole(ctx context.Context, userID int64, role string, fundID int64) error
	RevokeFundRole(ctx context.Context, userID int64, role string, fundID int64) error
}

// NewService returns a Service on db.
func NewService(db *gorm.DB, roles RoleAssigner) *Service { return &Service{db: db, roles: roles} }

// ErrNotFound is a fund that does not exist (or that you may not know of).
var ErrNotFound = fault.NotFoundf("fund not found")

// Get returns one fund.
func (s *Service) Get(ctx context.Context, id int64) (Fund, error) {
	var f Fund
	err := store.Conn(ctx, s.db).First(&f, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Fund{}, ErrNotFound
	}
	return f, err
}

// GetForUpdate returns a fund and locks its row until the transaction in
// ctx ends: what keeps concurrent budget changes from over-committing.
func (s *Service) GetForUpdate(ctx context.Context, id int64) (Fund, error) {
	var f Fund
	err := store.Conn(ctx, s.db).Raw(`SELECT * FROM funds WHERE id = ? FOR UPDATE`, id).Scan(&f).Error
	if err != nil {
		return Fund{}, err
	}
	if f.ID == 0 {
		return Fund{}, ErrNotFound
	}
	return f, nil
}
