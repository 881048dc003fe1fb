package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/store"
)

// demoThemeList are the demo fund's themes: six the stewards use, then one
// a grantee suggested that waits for them.
var demoThemeList = []struct {
	name, description, suggester string
	curated                      bool
}{
	{"Belonging and trust", "People deciding, over time, whether a place and its people are theirs.", "amara@example.org", true},
	{"Whose space it is", "Rooms, kitchens and times of day: who decides what a place is for, and who can get there.", "tom@example.org", true},
	{"Being moved on", "Housing that moves people away before they have settled.", "priya@example.org", true},
	{"Reaching young parents", "Who is missing when the hours suit everyone else.", "amara@example.org", true},
	{"Doing things together", "Cooking, games and shared jobs as a way into talking.", "priya@example.org", true},
	{"How the fund works", "The funder's own habits, as grantees and the panel meet them.", "amara@example.org", true},
	{"Heating and the council", "", "tom@example.org", false},
}

// demoTags say which themes the demo's accounts carry, section by
// section, and who put them there (the stewards, or the grantee).
var demoTags = map[string][]struct {
	key, by string
	themes  []string
}{
	demoKeyHolders: {
		{"context_changed", "tom@example.org", []string{"Whose space it is"}},
		{"what_we_tried", "tom@example.org", []string{"Whose space it is", "Doing things together"}},
		{"not_as_hoped", "amara@example.org", []string{"Reaching young parents"}},
		{"what_we_learnt", "amara@example.org", []string{"Belonging and trust", "Whose space it is"}},
		{"what_we_will_change", "tom@example.org", []string{"Reaching young parents"}},
		{"what_we_need", "amara@example.org", []string{"Whose space it is"}},
	},
	demoCooking: {
		{"context_changed", "amara@example.org", []string{"Being moved on"}},
		{"what_we_tried", "priya@example.org", []string{"Doing things together"}},
		{"what_happened", "priya@example.org", []string{"Belonging and trust", "Doing things together"}},
		{"not_as_hoped", "amara@example.org", []string{"Being moved on"}},
		{"what_we_learnt", "priya@example.org", []string{"Belonging and trust"}},
		{"what_we_need", "amara@example.org", []string{"Being moved on"}},
	},
	"funder": {
		{"not_as_hoped", "amara@example.org", []string{"How the fund works"}},
		{"what_we_learnt", "amara@example.org", []string{"How the fund works"}},
		{"what_we_need", "amara@example.org", []string{"Belonging and trust", "How the fund works"}},
	},
}

// patterns gives the demo fund its themes and tags them on the submitted
// accounts of the decided round's grants and on the funder's reflection,
// and on any dialogues of the fund (their conveners tag them), so the
// pattern view has something to show over two quarters.
func (d demoSeeder) patterns(ctx context.Context) error {
	svc := d.s.Patterns
	amara := d.id("amara@example.org")
	themes := map[string]int64{}
	for _, t := range demoThemeList {
		th, err := svc.Suggest(ctx, d.id(t.suggester), d.fundID, pattern.NewTheme{Name: t.name, Description: t.description})
		if err != nil {
			return fmt.Errorf("theme %q: %w", t.name, err)
		}
		if t.curated {
			if th, err = svc.Curate(ctx, amara, th.ID, pattern.Curation{Version: th.Version, Status: pattern.Curated}); err != nil {
				return fmt.Errorf("curating %q: %w", t.name, err)
			}
		}
		themes[t.name] = th.ID
	}

	grants, err := d.s.Decisions.Grants(ctx, d.fundID)
	if err != nil {
		return err
	}
	viewer := func(email string, orgID int64) account.Viewer {
		if email == "amara@example.org" {
			return account.Viewer{UserID: amara, FundID: d.fundID, Partner: true, Clearance: account.SeesPartner}
		}
		return account.Viewer{UserID: d.id(email), FundID: d.fundID, OwnOrgs: []int64{orgID}, Clearance: account.SeesPeers}
	}
	type source struct {
		AccountID, OrganisationID int64
		Kind, Title               string
	}
	var sources []source
	if err := store.Conn(ctx, d.s.DB).Raw(`SELECT a.id AS account_id, a.organisation_id, a.kind, COALESCE(g.title, 'funder') AS title
		FROM reflective_accounts a LEFT JOIN grants g ON g.id = a.grant_id
		WHERE a.fund_id = ? AND a.status IN ('submitted', 'published') ORDER BY a.id`, d.fundID).Scan(&sources).Error; err != nil {
		return err
	}
	if len(sources) == 0 || len(grants) == 0 {
		return errors.New("the demo fund has no accounts to tag yet")
	}
	for _, src := range sources {
		for _, tg := range demoTags[src.Title] {
			for _, name := range tg.themes {
				_, err := svc.Tag(ctx, viewer(tg.by, src.OrganisationID), pattern.NewTag{ThemeID: themes[name], AccountID: src.AccountID, SectionKey: tg.key})
				if err != nil && !errors.Is(err, pattern.ErrTagged) {
					return fmt.Errorf("tagging %s %s with %q: %w", src.Title, tg.key, name, err)
				}
			}
		}
	}

	// The dialogues, if the demo has any by now: each tagged by whoever
	// convened it, with the themes its purpose speaks to.
	var dialogues []struct {
		ID, ConvenedBy int64
		Purpose        string
	}
	if err := store.Conn(ctx, d.s.DB).Raw(`SELECT id, convened_by, purpose FROM dialogues WHERE fund_id = ? ORDER BY id`, d.fundID).
		Scan(&dialogues).Error; err != nil {
		return err
	}
	for _, dl := range dialogues {
		names := []string{"Belonging and trust"}
		p := strings.ToLower(dl.Purpose)
		for word, name := range map[string]string{"room": "Whose space it is", "space": "Whose space it is", "famil": "Reaching young parents",
			"parent": "Reaching young parents", "moved": "Being moved on", "housing": "Being moved on", "fund": "How the fund works",
			"cook": "Doing things together", "stuck": "Whose space it is"} {
			if strings.Contains(p, word) {
				names = append(names, name)
			}
		}
		v := account.Viewer{UserID: dl.ConvenedBy, FundID: d.fundID}
		for _, name := range names {
			_, err := svc.Tag(ctx, v, pattern.NewTag{ThemeID: themes[name], DialogueID: dl.ID})
			if errors.Is(err, pattern.ErrSourceHidden) {
				break // the convener no longer takes part: nothing to tag as them
			}
			if err != nil && !errors.Is(err, pattern.ErrTagged) {
				return fmt.Errorf("tagging the dialogue %q: %w", dl.Purpose, err)
			}
		}
	}
	return nil
}
