package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/synthesis"
)

// demoThemes are the names the demo's themes may go by, in the order the
// synthesis prefers them; the first curated theme of the fund otherwise.
var demoThemes = []string{"Whose space it is", "Residents owning the space", "Who we do not reach yet", "Reaching young parents", "Belonging"}

// syntheses adds a published learning synthesis to the demo fund: amara
// looks back over the first quarter, citing what tom's account says it
// learnt (shared publicly, so anyone reading the fund's page can follow
// it) and, once the fund has themes, one of them.
func (d demoSeeder) syntheses(ctx context.Context) error {
	amara := d.id("amara@example.org")
	db := store.Conn(ctx, d.s.DB)
	var accounts []int64
	if err := db.Raw(`SELECT id FROM reflective_accounts WHERE fund_id = ? AND author_id = ? AND status = 'submitted'
		ORDER BY period_end, id LIMIT 1`, d.fundID, d.id("tom@example.org")).Scan(&accounts).Error; err != nil {
		return err
	}
	if len(accounts) == 0 {
		return errors.New("tom has no submitted account to cite")
	}
	cites := []synthesis.CitationInput{{AccountID: accounts[0], SectionKey: "what_we_learnt"}}
	var themes []int64
	if err := db.Raw(`SELECT id FROM themes WHERE fund_id = ? AND status = 'curated'
		ORDER BY array_position(?::text[], name) NULLS LAST, id LIMIT 1`, d.fundID, "{"+quoteAll(demoThemes)+"}").Scan(&themes).Error; err != nil {
		return err
	}
	if len(themes) > 0 {
		cites = append([]synthesis.CitationInput{{ThemeID: themes[0]}}, cites...)
	}
	v := account.Viewer{UserID: amara, FundID: d.fundID, Partner: true, Clearance: account.SeesPartner}
	start := d.grantStart()
	y, err := d.s.Syntheses.Create(ctx, v, synthesis.Input{
		Title:       "The first quarter: rooms people make their own",
		PeriodStart: start.Format(time.DateOnly),
		PeriodEnd:   start.AddDate(0, 3, -1).Format(time.DateOnly),
		Body: "Across the fund's first grants, the same thing kept coming up: a space works when the people using it decide what it is for. " +
			"The key-holders' evenings came alive once the key-holders chose what each night was for, and faded when a programme was planned for them.\n" +
			"What we do not know yet is who is missing. Young parents hardly came to the evenings, and we did not ask them first. " +
			"Next quarter we will listen for who is not in the room, and ask how the fund itself can make that easier.",
		Citations: cites,
	})
	if err != nil {
		return fmt.Errorf("the synthesis: %w", err)
	}
	if _, err := d.s.Syntheses.Publish(ctx, v, y.ID, y.Version); err != nil {
		return fmt.Errorf("publishing the synthesis: %w", err)
	}
	return nil
}

// quoteAll writes names as the elements of a PostgreSQL text array.
func quoteAll(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ","
		}
		out += `"` + n + `"`
	}
	return out
}
