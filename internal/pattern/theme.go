// Package pattern owns a fund's themes, the tags that put them on sources
// (sections of submitted accounts and published reflections, and dialogue
// notes) and the pattern view: how often each theme turns up, across how
// many grantees, quarter by quarter, for the person looking.
//
// A tag is a pointer, never a copy: whether it counts for someone is
// worked out at read time from its source's own visibility, with the one
// fund-wide reading rule of the accounts domain (account.VisibleSections)
// and, for a dialogue, from taking part in it. So nobody learns from a
// count, or from a list of sources, that a source exists if they cannot
// read it.
package pattern

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Statuses of a theme.
const (
	Suggested = "suggested"
	Curated   = "curated"
	SetAside  = "set_aside"
)

// StatusNames say the statuses in words.
var StatusNames = map[string]string{
	Suggested: "Suggested",
	Curated:   "In use",
	SetAside:  "Set aside",
}

// Errors of this domain.
var (
	ErrThemeNotFound = fault.NotFoundf("theme not found")
	ErrTagNotFound   = fault.NotFoundf("tag not found")
	ErrSourceHidden  = fault.NotFoundf("source not found")
	ErrNameTaken     = fault.Conflictf("this fund already has a theme of that name")
	ErrTagged        = fault.Conflictf("this source already carries that theme")
	ErrMayNotTag     = fault.Forbiddenf("only the fund's stewards and learning partners, and the grantee whose account it is, put themes on an account")
)

// Service is the patterns domain's entry point.
type Service struct {
	db       *gorm.DB
	accounts *account.Service
}

// NewService returns a Service on db; accounts answers who may read a
// section.
func NewService(db *gorm.DB, accounts *account.Service) *Service {
	return &Service{db: db, accounts: accounts}
}

// Theme is one of a fund's themes.
type Theme struct {
	ID            int64     `json:"id"`
	FundID        int64     `json:"fund_id"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	Status        string    `json:"status"`
	SuggestedBy   *int64    `json:"suggested_by"`
	SuggesterName string    `json:"suggester_name"`
	CuratedBy     *int64    `json:"curated_by"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// NewTheme is a suggestion.
type NewTheme struct {
	Name        string `json:"name" validate:"notblank,max=80"`
	Description string `json:"description" validate:"max=2000"`
}

// Curation is a steward's change to a theme: Version is the one it
// started from. Status accepts a theme ("curated") or sets it aside; Name
// and Description, when given, rename and describe it.
type Curation struct {
	Version     int     `json:"version" validate:"required,gt=0"`
	Status      string  `json:"status" validate:"omitempty,oneof=curated set_aside"`
	Name        *string `json:"name" validate:"omitempty,notblank,max=80"`
	Description *string `json:"description" validate:"omitempty,max=2000"`
}

const themeSelect = `SELECT t.id, t.fund_id, t.name, t.description, t.status, t.suggested_by,
	COALESCE(u.display_name, '') AS suggester_name, t.curated_by, t.version, t.created_at, t.updated_at
	FROM themes t LEFT JOIN users u ON u.id = t.suggested_by`

// Theme reads one theme.
func (s *Service) Theme(ctx context.Context, id int64) (Theme, error) {
	var ts []Theme
	if err := store.Conn(ctx, s.db).Raw(themeSelect+` WHERE t.id = ?`, id).Scan(&ts).Error; err != nil {
		return Theme{}, err
	}
	if len(ts) == 0 {
		return Theme{}, ErrThemeNotFound
	}
	return ts[0], nil
}

// Sees reports whether someone may know of a theme: curated ones are the
// fund's; a suggestion or a theme set aside is known to the stewards and
// to whoever suggested it.
func (t Theme) Sees(userID int64, steward bool) bool {
	return t.Status == Curated || steward || (userID != 0 && t.SuggestedBy != nil && *t.SuggestedBy == userID)
}

// List returns a fund's themes by name: the curated ones, and (for
// stewards, and for each suggester their own) the suggestions and those
// set aside.
func (s *Service) List(ctx context.Context, fundID, userID int64, steward bool) ([]Theme, error) {
	var ts []Theme
	err := store.Conn(ctx, s.db).Raw(themeSelect+` WHERE t.fund_id = ? AND (t.status = 'curated' OR ? OR t.suggested_by = ?)
		ORDER BY lower(t.name), t.id`, fundID, steward, userID).Scan(&ts).Error
	return ts, err
}

// Suggest adds a theme to a fund's list as a suggestion, for the stewards
// to curate.
func (s *Service) Suggest(ctx context.Context, actorID, fundID int64, in NewTheme) (Theme, error) {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if err := validate.Struct(in); err != nil {
		return Theme{}, err
	}
	var id int64
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Raw(`INSERT INTO themes (fund_id, name, description, suggested_by) VALUES (?, ?, ?, ?) RETURNING id`,
			fundID, in.Name, in.Description, nullID(actorID)).Scan(&id).Error; err != nil {
			return nameTaken(err)
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "theme.suggest", ObjectType: "theme",
			ObjectID: id, FundID: fundID, Changes: map[string]any{"name": in.Name}})
	})
	if err != nil {
		return Theme{}, err
	}
	return s.Theme(ctx, id)
}

// Curate is a steward accepting, renaming, describing or setting aside a
// theme. A change that started from an older version is refused (412).
func (s *Service) Curate(ctx context.Context, actorID, id int64, in Curation) (Theme, error) {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		in.Description = &d
	}
	if err := validate.Struct(in); err != nil {
		return Theme{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var ids []int64
		if err := tx.Raw(`SELECT id FROM themes WHERE id = ? FOR UPDATE`, id).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return ErrThemeNotFound
		}
		t, err := s.Theme(ctx, id)
		if err != nil {
			return err
		}
		if in.Version != t.Version {
			return fault.PreconditionFailedf("this theme was changed by someone else: you started from version %d and it is now at version %d; nothing was saved — reload it and make your change again", in.Version, t.Version)
		}
		changes := map[string]any{"version": t.Version + 1}
		status, curator := t.Status, t.CuratedBy
		if in.Status != "" && in.Status != t.Status {
			status, changes["status"] = in.Status, in.Status
			if in.Status == Curated {
				curator = &actorID
			}
		}
		name, desc := t.Name, t.Description
		if in.Name != nil && *in.Name != t.Name {
			name, changes["name"] = *in.Name, *in.Name
		}
		if in.Description != nil && *in.Description != t.Description {
			desc, changes["description"] = *in.Description, true
		}
		if err := tx.Exec(`UPDATE themes SET status = ?, name = ?, description = ?, curated_by = ?, version = version + 1,
			updated_at = now() WHERE id = ?`, status, name, desc, curator, id).Error; err != nil {
			return nameTaken(err)
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "theme.curate", ObjectType: "theme",
			ObjectID: id, FundID: t.FundID, Changes: changes})
	})
	if err != nil {
		return Theme{}, err
	}
	return s.Theme(ctx, id)
}

func nameTaken(err error) error {
	if store.IsUniqueViolation(err, "themes_fund_name_idx") {
		return ErrNameTaken
	}
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
