package fund

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Currencies lists the ISO 4217 codes a fund may use: the ones in use
// across the UK, Europe and North America, where Humble's funders are.
var Currencies = []string{"GBP", "EUR", "USD", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"}

// Details are a fund's editable particulars.
type Details struct {
	Name               string `json:"name" form:"name" validate:"notblank,max=200"`
	PurposeFlourishing string `json:"purpose_flourishing" form:"purpose_flourishing" validate:"notblank,max=300"`
	PurposeWhom        string `json:"purpose_whom" form:"purpose_whom" validate:"notblank,max=300"`
	PurposeWhere       string `json:"purpose_where" form:"purpose_where" validate:"notblank,max=300"`
	// At most 10^15 minor units (ten trillion pounds): sums of a fund's
	// money then never come near int64's limits.
	BudgetMinor int64  `json:"budget_minor" form:"budget_minor" validate:"gte=0,lte=1000000000000000"`
	SystemScale string `json:"system_scale" form:"system_scale" validate:"required,oneof=person organisation place country"`
}

func (d *Details) trim() {
	d.Name = strings.TrimSpace(d.Name)
	d.PurposeFlourishing = strings.TrimSpace(d.PurposeFlourishing)
	d.PurposeWhom = strings.TrimSpace(d.PurposeWhom)
	d.PurposeWhere = strings.TrimSpace(d.PurposeWhere)
}

// NewFund is what it takes to create a fund.
type NewFund struct {
	OrganisationID int64 `json:"organisation_id" validate:"required,gt=0"`
	Details
	Currency   string   `json:"currency" validate:"required,len=3"`
	Principles []string `json:"principles" validate:"max=20,dive,notblank,max=500"`
}

// Create makes a fund of a funder organisation; its creator becomes its
// first steward. Authorization (a member of that funder) is the caller's.
func (s *Service) Create(ctx context.Context, actorID int64, in NewFund) (Fund, error) {
	in.trim()
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if err := validate.Struct(in); err != nil {
		return Fund{}, err
	}
	if !slices.Contains(Currencies, in.Currency) {
		return Fund{}, validate.Field("currency", "must be an ISO 4217 code Humble supports: "+strings.Join(Currencies, ", "))
	}
	f := Fund{OrganisationID: in.OrganisationID, Name: in.Name, PurposeFlourishing: in.PurposeFlourishing,
		PurposeWhom: in.PurposeWhom, PurposeWhere: in.PurposeWhere, BudgetMinor: in.BudgetMinor,
		Currency: in.Currency, SystemScale: in.SystemScale, Stage: Stages[0], Status: Draft, Version: 1}
	if actorID != 0 {
		f.CreatedBy = &actorID
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var kind string
		if err := tx.Raw(`SELECT kind FROM organisations WHERE id = ?`, in.OrganisationID).Scan(&kind).Error; err != nil {
			return err
		}
		if kind != "funder" {
			return validate.Field("organisation_id", "must be a funder organisation")
		}
		if err := tx.Omit("id", "created_at").Create(&f).Error; err != nil {
			return err
		}
		if err := s.addRevision(ctx, tx, actorID, f.ID, in.Principles, "First principles"); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO fund_stage_changes (fund_id, to_stage, reason, changed_by) VALUES (?, ?, ?, ?)`,
			f.ID, f.Stage, "The fund was created", nullID(actorID)).Error; err != nil {
			return err
		}
		if actorID != 0 {
			if err := s.roles.AssignFundRole(ctx, actorID, "steward", f.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "fund.create", ObjectType: "fund",
			ObjectID: f.ID, FundID: f.ID, Changes: in})
	})
	if err != nil {
		return Fund{}, err
	}
	return s.Get(ctx, f.ID)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Update changes a fund's particulars. version must be the fund's current
// version: an edit made from an older copy is refused (412) so nobody
// overwrites a change they have not seen.
func (s *Service) Update(ctx context.Context, actorID, id int64, version int, in Details) (Fund, error) {
	in.trim()
	if err := validate.Struct(in); err != nil {
		return Fund{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		f, err := s.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if f.Version != version {
			return fault.PreconditionFailedf("this fund was changed by someone else (it is at version %d, you edited version %d); reload it and make your change again", f.Version, version)
		}
		if f.Status == Closed {
			return fault.Conflictf("a closed fund cannot be changed")
		}
		var committed int64
		if err := tx.Raw(`SELECT coalesce(sum(budget_minor), 0) FROM rounds WHERE fund_id = ?`, id).Scan(&committed).Error; err != nil {
			return err
		}
		if in.BudgetMinor < committed {
			return fault.Conflictf("the fund's rounds already hold %d (minor units) of its budget; the budget cannot be less", committed)
		}
		res := tx.Exec(`UPDATE funds SET name = ?, purpose_flourishing = ?, purpose_whom = ?, purpose_where = ?,
			budget_minor = ?, system_scale = ?, version = version + 1, updated_at = now() WHERE id = ?`,
			in.Name, in.PurposeFlourishing, in.PurposeWhom, in.PurposeWhere, in.BudgetMinor, in.SystemScale, id)
		if res.Error != nil {
			return res.Error
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "fund.update", ObjectType: "fund",
			ObjectID: id, FundID: id, Changes: in})
	})
	if err != nil {
		return Fund{}, err
	}
	return s.Get(ctx, id)
}

// statusMoves are the status changes allowed, from → to.
var statusMoves = map[string][]string{
	Draft:  {Open},
	Open:   {Active, Closed},
	Active: {Closed},
}

// ChangeStatus moves a fund draft → open → active → closed.
func (s *Service) ChangeStatus(ctx context.Context, actorID, id int64, to string) (Fund, error) {
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		f, err := s.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !slices.Contains([]string{Draft, Open, Active, Closed}, to) {
			return validate.Field("status", "must be one of: draft, open, active, closed")
		}
		if !slices.Contains(statusMoves[f.Status], to) {
			return fault.Conflictf("a fund that is %s cannot become %s (it goes draft → open → active → closed)", f.Status, to)
		}
		if err := tx.Exec(`UPDATE funds SET status = ?, version = version + 1, updated_at = now() WHERE id = ?`, to, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "fund.status", ObjectType: "fund",
			ObjectID: id, FundID: id, Changes: map[string]string{"from": f.Status, "to": to}})
	})
	if err != nil {
		return Fund{}, err
	}
	return s.Get(ctx, id)
}

// StageChange is one move of the learning cycle.
type StageChange struct {
	ID        int64     `json:"id"`
	FromStage *string   `json:"from_stage"`
	ToStage   string    `json:"to_stage"`
	Reason    string    `json:"reason"`
	ChangedBy *int64    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// StageMove asks to move the fund to another stage, for a reason.
type StageMove struct {
	Stage  string `json:"stage" form:"stage" validate:"required,oneof=purpose understanding co_design exploring embedding"`
	Reason string `json:"reason" form:"reason" validate:"notblank,max=2000"`
}

// ChangeStage moves the fund to another stage of the learning cycle. The
// cycle turns, so any other stage may follow; the reason is kept.
func (s *Service) ChangeStage(ctx context.Context, actorID, id int64, in StageMove) (Fund, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := validate.Struct(in); err != nil {
		return Fund{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		f, err := s.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if f.Stage == in.Stage {
			return fault.Conflictf("the fund is already at the %s stage", StageNames[in.Stage])
		}
		if err := tx.Exec(`UPDATE funds SET stage = ?, version = version + 1, updated_at = now() WHERE id = ?`, in.Stage, id).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO fund_stage_changes (fund_id, from_stage, to_stage, reason, changed_by) VALUES (?, ?, ?, ?, ?)`,
			id, f.Stage, in.Stage, in.Reason, nullID(actorID)).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "fund.stage", ObjectType: "fund",
			ObjectID: id, FundID: id, Changes: map[string]string{"from": f.Stage, "to": in.Stage, "reason": in.Reason}})
	})
	if err != nil {
		return Fund{}, err
	}
	return s.Get(ctx, id)
}

// StageHistory lists the fund's stage changes, oldest first.
func (s *Service) StageHistory(ctx context.Context, id int64) ([]StageChange, error) {
	var out []StageChange
	err := store.Conn(ctx, s.db).Raw(`SELECT id, from_stage, to_stage, reason, changed_by, changed_at
		FROM fund_stage_changes WHERE fund_id = ? ORDER BY id`, id).Scan(&out).Error
	return out, err
}

// Revision is one version of a fund's guiding principles.
type Revision struct {
	Revision   int       `json:"revision"`
	Principles []string  `json:"principles" gorm:"serializer:json"`
	Note       string    `json:"note"`
	CreatedBy  *int64    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewPrinciples is a new revision of the principles.
type NewPrinciples struct {
	Principles []string `json:"principles" validate:"required,min=1,max=20,dive,notblank,max=500"`
	Note       string   `json:"note" validate:"max=1000"`
}

// RevisePrinciples keeps the old principles and adds a new revision.
func (s *Service) RevisePrinciples(ctx context.Context, actorID, id int64, in NewPrinciples) (Revision, error) {
	for i := range in.Principles {
		in.Principles[i] = strings.TrimSpace(in.Principles[i])
	}
	in.Note = strings.TrimSpace(in.Note)
	if err := validate.Struct(in); err != nil {
		return Revision{}, err
	}
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		f, err := s.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if f.Status == Closed {
			return fault.Conflictf("a closed fund's principles cannot change")
		}
		if err := s.addRevision(ctx, tx, actorID, id, in.Principles, in.Note); err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "fund.principles", ObjectType: "fund",
			ObjectID: id, FundID: id, Changes: in})
	})
	if err != nil {
		return Revision{}, err
	}
	revs, err := s.Principles(ctx, id)
	if err != nil || len(revs) == 0 {
		return Revision{}, err
	}
	return revs[len(revs)-1], nil
}

func (s *Service) addRevision(ctx context.Context, tx *gorm.DB, actorID, fundID int64, principles []string, note string) error {
	if principles == nil {
		principles = []string{}
	}
	js, err := json.Marshal(principles)
	if err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO fund_principle_revisions (fund_id, revision, principles, note, created_by)
		SELECT ?, coalesce(max(revision), 0) + 1, ?::jsonb, ?, ? FROM fund_principle_revisions WHERE fund_id = ?`,
		fundID, string(js), note, nullID(actorID), fundID).Error
}

// Principles returns every revision, oldest first; the last is current.
func (s *Service) Principles(ctx context.Context, id int64) ([]Revision, error) {
	var rows []struct {
		Revision   int
		Principles string
		Note       string
		CreatedBy  *int64
		CreatedAt  time.Time
	}
	if err := store.Conn(ctx, s.db).Raw(`SELECT revision, principles::text AS principles, note, created_by, created_at
		FROM fund_principle_revisions WHERE fund_id = ? ORDER BY revision`, id).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Revision, len(rows))
	for i, r := range rows {
		out[i] = Revision{Revision: r.Revision, Note: r.Note, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
		if err := json.Unmarshal([]byte(r.Principles), &out[i].Principles); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// List returns funds in id order: those not in draft, plus the drafts in
// visibleDrafts (funds the viewer stewards).
func (s *Service) List(ctx context.Context, visibleDrafts []int64) ([]Fund, error) {
	var fs []Fund
	q := store.Conn(ctx, s.db).Order("id")
	if len(visibleDrafts) > 0 {
		q = q.Where("status <> 'draft' OR id IN ?", visibleDrafts)
	} else {
		q = q.Where("status <> 'draft'")
	}
	err := q.Find(&fs).Error
	return fs, err
}
