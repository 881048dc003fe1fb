package decision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/audit"
	"github.com/humblehq/humble/internal/fault"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/validate"
)

// Terms are the grants' dates and payment schedule, set when the decision
// is made final. Left out: grants start today, run a year, and are paid in
// two instalments.
type Terms struct {
	StartsOn    string `json:"starts_on" validate:"omitempty,datetime=2006-01-02"`
	EndsOn      string `json:"ends_on" validate:"omitempty,datetime=2006-01-02"`
	Instalments int    `json:"instalments" validate:"omitempty,min=1,max=24"`
}

// MaxInstalments is the most instalments a grant is paid in.
const MaxInstalments = 24

func (t Terms) dates(today time.Time) (start, end time.Time, n int, err error) {
	start = today
	if t.StartsOn != "" {
		start, _ = time.Parse(time.DateOnly, t.StartsOn)
	}
	end = start.AddDate(1, 0, -1)
	if t.EndsOn != "" {
		end, _ = time.Parse(time.DateOnly, t.EndsOn)
	}
	if end.Before(start) {
		return start, end, 0, validate.Field("ends_on", "must be on or after starts_on")
	}
	n = t.Instalments
	if n == 0 {
		n = 2
	}
	if days := int(end.Sub(start).Hours()/24) + 1; n > days {
		return start, end, 0, validate.Field("instalments", fmt.Sprintf("must be at most %d: the grant runs %d days, and instalments fall on different days", days, days))
	}
	return start, end, n, nil
}

// Finalise makes a round's decision final, in one transaction: it checks
// that every application has a rationale and feedback, marks the decision
// final and the round decided, makes every funded application a grant
// with its instalments, and gives the members of each funded organisation
// the grantee role in the fund.
func (s *Service) Finalise(ctx context.Context, actorID, roundID int64, terms Terms) (Decision, error) {
	if err := validate.Struct(terms); err != nil {
		return Decision{}, err
	}
	start, end, n, err := terms.dates(s.now().UTC().Truncate(24 * time.Hour))
	if err != nil {
		return Decision{}, err
	}
	err = store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		r, err := s.round(ctx, roundID, " FOR UPDATE OF r")
		if err != nil {
			return err
		}
		if err := s.checkDraft(ctx, r); err != nil {
			return err
		}
		d, err := s.Get(ctx, roundID)
		if err != nil {
			if err == ErrNoDecision {
				return fault.Conflictf("the chair has not recorded the decision yet")
			}
			return err
		}
		if missing := d.Missing(); len(missing) > 0 {
			titles := make([]string, len(missing))
			for i, a := range missing {
				titles[i] = fmt.Sprintf("%q (application %d)", a.Title, a.ApplicationID)
			}
			return fault.Conflictf("every application needs a rationale and feedback before the decision is final; still missing for %s",
				strings.Join(titles, ", "))
		}
		if err := tx.Exec(`UPDATE decisions SET status = 'final', finalised_by = ?, finalised_at = now() WHERE round_id = ?`,
			nullID(actorID), roundID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE rounds SET state = 'decided', version = version + 1, updated_at = now() WHERE id = ?`, roundID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO round_transitions (round_id, from_state, to_state, changed_by) VALUES (?, ?, ?, ?)`,
			roundID, round.Closed, round.Decided, nullID(actorID)).Error; err != nil {
			return err
		}
		var grants []int64
		for _, a := range d.Applications {
			if !a.Funded {
				continue
			}
			id, err := s.makeGrant(ctx, tx, r, a, start, end, n)
			if err != nil {
				return err
			}
			grants = append(grants, id)
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "decision.finalise", ObjectType: "round",
			ObjectID: roundID, FundID: r.FundID, Changes: map[string]any{"grants": grants, "terms": terms}})
	})
	if err != nil {
		return Decision{}, err
	}
	return s.Get(ctx, roundID)
}

// makeGrant writes one grant, its instalments and its grantees' roles.
func (s *Service) makeGrant(ctx context.Context, tx *gorm.DB, r Round, a Application, start, end time.Time, n int) (int64, error) {
	var id int64
	if err := tx.Raw(`INSERT INTO grants (fund_id, round_id, application_id, organisation_id, title, amount_minor, starts_on, ends_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.FundID, r.ID, a.ApplicationID, a.OrganisationID, a.Title, *a.AmountMinor, start.Format(time.DateOnly), end.Format(time.DateOnly)).
		Scan(&id).Error; err != nil {
		return 0, err
	}
	for i, in := range Schedule(*a.AmountMinor, start, end, n) {
		if err := tx.Exec(`INSERT INTO grant_instalments (grant_id, number, due_on, amount_minor) VALUES (?, ?, ?, ?)`,
			id, i+1, in.DueOn, in.AmountMinor).Error; err != nil {
			return 0, err
		}
	}
	var members []int64
	if err := tx.Raw(`SELECT user_id FROM organisation_members WHERE organisation_id = ? ORDER BY user_id`, a.OrganisationID).
		Scan(&members).Error; err != nil {
		return 0, err
	}
	for _, u := range members {
		if err := s.roles.AssignFundRole(ctx, u, "grantee", r.FundID); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// Instalment is one payment of a grant. It carries no conditions.
type Instalment struct {
	Number      int        `json:"number"`
	DueOn       string     `json:"due_on"`
	AmountMinor int64      `json:"amount_minor"`
	PaidAt      *time.Time `json:"paid_at"`
}

// Schedule splits amount into n instalments spread evenly from start to
// end: the first is due on the start date, and what does not divide evenly
// is spread a minor unit at a time over the first instalments.
func Schedule(amount int64, start, end time.Time, n int) []Instalment {
	n = max(1, min(n, MaxInstalments))
	if int64(n) > amount {
		n = int(amount)
	}
	days := int(end.Sub(start).Hours() / 24)
	out := make([]Instalment, n)
	for i := range out {
		out[i] = Instalment{Number: i + 1, DueOn: start.AddDate(0, 0, days*i/n).Format(time.DateOnly), AmountMinor: amount / int64(n)}
		if int64(i) < amount%int64(n) {
			out[i].AmountMinor++
		}
	}
	return out
}

// Grant is money given to an organisation for what it set out to explore.
type Grant struct {
	ID               int64  `json:"id"`
	FundID           int64  `json:"fund_id"`
	RoundID          int64  `json:"round_id"`
	ApplicationID    int64  `json:"application_id"`
	OrganisationID   int64  `json:"organisation_id"`
	OrganisationName string `json:"organisation_name"`
	Title            string `json:"title"`
	AmountMinor      int64  `json:"amount_minor"`
	Currency         string `json:"currency"`
	StartsOn         string `json:"starts_on"`
	EndsOn           string `json:"ends_on"`
	// Instalments are the payment schedule: for the fund's stewards and the
	// grantee only (see Public).
	Instalments []Instalment `json:"instalments,omitempty" gorm:"-"`
	CreatedAt   time.Time    `json:"created_at"`
}

const selectGrant = `SELECT g.id, g.fund_id, g.round_id, g.application_id, g.organisation_id, o.name AS organisation_name,
		g.title, g.amount_minor, f.currency, to_char(g.starts_on, 'YYYY-MM-DD') AS starts_on,
		to_char(g.ends_on, 'YYYY-MM-DD') AS ends_on, g.created_at
	FROM grants g JOIN organisations o ON o.id = g.organisation_id JOIN funds f ON f.id = g.fund_id`

// ErrGrantNotFound is a grant that does not exist.
var ErrGrantNotFound = fault.NotFoundf("grant not found")

// Grant returns one grant with its instalments.
func (s *Service) Grant(ctx context.Context, id int64) (Grant, error) {
	var gs []Grant
	if err := store.Conn(ctx, s.db).Raw(selectGrant+` WHERE g.id = ?`, id).Scan(&gs).Error; err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, ErrGrantNotFound
	}
	g := gs[0]
	g.CreatedAt = g.CreatedAt.UTC()
	if err := store.Conn(ctx, s.db).Raw(`SELECT number, to_char(due_on, 'YYYY-MM-DD') AS due_on, amount_minor, paid_at
		FROM grant_instalments WHERE grant_id = ? ORDER BY number`, id).Scan(&g.Instalments).Error; err != nil {
		return Grant{}, err
	}
	return g, nil
}

// Public is a grant as anyone may read it: without its payment schedule.
func (g Grant) Public() Grant {
	g.Instalments = nil
	return g
}

// Grants lists a fund's grants (without instalments), newest first.
func (s *Service) Grants(ctx context.Context, fundID int64) ([]Grant, error) {
	gs := []Grant{}
	err := store.Conn(ctx, s.db).Raw(selectGrant+` WHERE g.fund_id = ? ORDER BY g.id DESC`, fundID).Scan(&gs).Error
	for i := range gs {
		gs[i].CreatedAt = gs[i].CreatedAt.UTC()
	}
	return gs, err
}

// ForApplication returns the grant an application became, if any.
func (s *Service) ForApplication(ctx context.Context, applicationID int64) (Grant, bool, error) {
	var ids []int64
	if err := store.Conn(ctx, s.db).Raw(`SELECT id FROM grants WHERE application_id = ?`, applicationID).Scan(&ids).Error; err != nil {
		return Grant{}, false, err
	}
	if len(ids) == 0 {
		return Grant{}, false, nil
	}
	g, err := s.Grant(ctx, ids[0])
	return g, err == nil, err
}

// Payment is a steward's record that an instalment was paid.
type Payment struct {
	// PaidOn is the day the money went (YYYY-MM-DD); today when left out.
	// It may not be in the future.
	PaidOn string `json:"paid_on" validate:"omitempty,datetime=2006-01-02"`
}

// ErrInstalmentNotFound is an instalment the grant does not have.
var ErrInstalmentNotFound = fault.NotFoundf("the grant has no such instalment")

// MarkPaid records that instalment number of a grant was paid. It is
// recorded once: a payment on record never changes.
func (s *Service) MarkPaid(ctx context.Context, actorID, grantID int64, number int, in Payment) (Instalment, error) {
	if err := validate.Struct(in); err != nil {
		return Instalment{}, err
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	paidAt := s.now().UTC()
	if in.PaidOn != "" {
		day, _ := time.Parse(time.DateOnly, in.PaidOn)
		if day.After(today) {
			return Instalment{}, validate.Field("paid_on", "is in the future: record a payment once it is made")
		}
		if !day.Equal(today) {
			paidAt = day.Add(12 * time.Hour) // midday, so the day reads the same in every time zone near UTC
		}
	}
	var out Instalment
	err := store.WithTx(ctx, s.db, func(ctx context.Context, tx *gorm.DB) error {
		var rows []struct {
			FundID int64
			PaidAt *time.Time
		}
		if err := tx.Raw(`SELECT g.fund_id, i.paid_at FROM grant_instalments i JOIN grants g ON g.id = i.grant_id
			WHERE i.grant_id = ? AND i.number = ? FOR UPDATE OF i`, grantID, number).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrInstalmentNotFound
		}
		if p := rows[0].PaidAt; p != nil {
			return fault.Conflictf("instalment %d was already recorded as paid on %s; a payment on record never changes",
				number, p.UTC().Format("2 January 2006"))
		}
		if err := tx.Raw(`UPDATE grant_instalments SET paid_at = ? WHERE grant_id = ? AND number = ?
			RETURNING number, to_char(due_on, 'YYYY-MM-DD') AS due_on, amount_minor, paid_at`, paidAt, grantID, number).
			Scan(&out).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{ActorID: actorID, Action: "grant.instalment_paid", ObjectType: "grant",
			ObjectID: grantID, FundID: rows[0].FundID, Changes: map[string]any{"number": number, "paid_at": paidAt}})
	})
	if out.PaidAt != nil {
		t := out.PaidAt.UTC()
		out.PaidAt = &t
	}
	return out, err
}
