package application

import (
	"context"
	"time"

	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/store"
)

// Viewer is how someone stands towards an application's fund, as the
// authorizer worked it out; Read applies the rules the roles alone cannot
// express.
type Viewer struct {
	UserID int64
	// Own: a member of the applying organisation, allowed to read its
	// applications.
	Own bool
	// Steward: allowed to read every application of the fund, needing no
	// declaration.
	Steward bool
	// Panel: a panel member or chair of the fund, who reads only after
	// declaring, and only once the round is in review.
	Panel bool
}

// Reading is how much of an application a viewer may see.
type Reading int

// The readings.
const (
	Hidden    Reading = iota // nothing, not even that it exists
	TitleOnly                // a recused panel member: title and organisation
	Full
)

// Access is what Read decided.
type Access struct {
	Reading Reading
	// Declaration is the panel member's own declaration on it ("none",
	// "disclosed" or "recused"); "" for everyone else.
	Declaration string
}

// Read decides what v may see of a. Someone with no standing gets
// ErrNotFound, so the application's existence is not revealed; a panel
// member gets ErrPanelNotYet before the round's review and ErrDeclareFirst
// until they have declared on it.
func (s *Service) Read(ctx context.Context, a Application, v Viewer) (Access, error) {
	switch {
	case v.Own, v.Steward:
		return Access{Reading: Full}, nil
	case !v.Panel:
		return Access{}, ErrNotFound
	}
	if !PanelReads(a.RoundState) {
		return Access{}, ErrPanelNotYet
	}
	kind, err := panel.DeclarationKind(ctx, s.db, a.ID, v.UserID)
	if err != nil {
		return Access{}, err
	}
	switch kind {
	case panel.Recused:
		return Access{Reading: TitleOnly, Declaration: kind}, nil
	case panel.NoConflict, panel.Disclosed:
		return Access{Reading: Full, Declaration: kind}, nil
	}
	return Access{}, ErrDeclareFirst
}

// Undeclared is a panel member's declaration state on an application they
// have not declared on yet.
const Undeclared = "undeclared"

// Summary is one application in a list. What it holds depends on who
// reads the list: panel members get neither the amounts nor anything
// beyond the title, and they get their own declaration.
type Summary struct {
	ID               int64     `json:"id"`
	RoundID          int64     `json:"round_id"`
	RoundName        string    `json:"round_name"`
	FundID           int64     `json:"fund_id"`
	FundName         string    `json:"fund_name"`
	OrganisationID   int64     `json:"organisation_id"`
	OrganisationName string    `json:"organisation_name"`
	Title            string    `json:"title"`
	State            string    `json:"state"`
	AmountMinor      *int64    `json:"amount_minor,omitempty"`
	Currency         string    `json:"currency"`
	Declaration      string    `json:"declaration,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// RoundViewer is how someone stands towards a round's fund, for its list.
type RoundViewer struct {
	UserID int64
	// Steward: sees every application in full.
	Steward bool
	// Panel: sees every application's title and organisation, with their
	// own declaration, once the round is in review.
	Panel bool
	// OrgIDs: the organisations whose applications the viewer may read as
	// their own; used when they are neither steward nor panel.
	OrgIDs []int64
}

const selectSummary = `
	SELECT a.id, a.round_id, r.name AS round_name, a.fund_id, f.name AS fund_name, a.organisation_id,
	       o.name AS organisation_name, a.title, a.state, a.amount_minor, f.currency, a.created_at, a.updated_at`

const fromSummary = `
	FROM applications a
	JOIN organisations o ON o.id = a.organisation_id
	JOIN rounds r ON r.id = a.round_id
	JOIN funds f ON f.id = a.fund_id`

// ListForRound returns a page of the round's applications that v may see,
// oldest first, and how many there are in all. A viewer with no standing
// at all is the caller's to refuse; here they simply see nothing.
func (s *Service) ListForRound(ctx context.Context, r Round, v RoundViewer, offset, limit int) ([]Summary, int64, error) {
	db := store.Conn(ctx, s.db)
	var out []Summary
	var total int64
	switch {
	case v.Steward:
		if err := db.Raw(`SELECT count(*) FROM applications WHERE round_id = ?`, r.ID).Scan(&total).Error; err != nil {
			return nil, 0, err
		}
		err := db.Raw(selectSummary+fromSummary+` WHERE a.round_id = ? ORDER BY a.id LIMIT ? OFFSET ?`,
			r.ID, limit, offset).Scan(&out).Error
		return out, total, err
	case v.Panel:
		if !PanelReads(r.State) {
			return nil, 0, ErrPanelNotYet
		}
		if err := db.Raw(`SELECT count(*) FROM applications WHERE round_id = ?`, r.ID).Scan(&total).Error; err != nil {
			return nil, 0, err
		}
		err := db.Raw(selectSummary+`, coalesce(d.kind, ?) AS declaration`+fromSummary+`
			LEFT JOIN declarations d ON d.application_id = a.id AND d.user_id = ?
			WHERE a.round_id = ? ORDER BY a.id LIMIT ? OFFSET ?`,
			Undeclared, v.UserID, r.ID, limit, offset).Scan(&out).Error
		for i := range out {
			out[i].AmountMinor = nil // a detail: the panel reads it after declaring
		}
		return out, total, err
	case len(v.OrgIDs) > 0:
		if err := db.Raw(`SELECT count(*) FROM applications WHERE round_id = ? AND organisation_id IN ?`,
			r.ID, v.OrgIDs).Scan(&total).Error; err != nil {
			return nil, 0, err
		}
		err := db.Raw(selectSummary+fromSummary+` WHERE a.round_id = ? AND a.organisation_id IN ? ORDER BY a.id LIMIT ? OFFSET ?`,
			r.ID, v.OrgIDs, limit, offset).Scan(&out).Error
		return out, total, err
	}
	return nil, 0, nil
}

// ListForOrganisations returns a page of the applications of the given
// organisations (a person's own), newest first, and how many there are.
func (s *Service) ListForOrganisations(ctx context.Context, orgIDs []int64, offset, limit int) ([]Summary, int64, error) {
	if len(orgIDs) == 0 {
		return nil, 0, nil
	}
	db := store.Conn(ctx, s.db)
	var total int64
	if err := db.Raw(`SELECT count(*) FROM applications WHERE organisation_id IN ?`, orgIDs).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []Summary
	err := db.Raw(selectSummary+fromSummary+` WHERE a.organisation_id IN ? ORDER BY a.id DESC LIMIT ? OFFSET ?`,
		orgIDs, limit, offset).Scan(&out).Error
	return out, total, err
}
