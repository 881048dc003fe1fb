package app

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

// DemoPassword is every demo account's password. The demo runs only on an
// empty database (by default only on the private PostgreSQL), and says so
// in the log.
const DemoPassword = "humble-demo-password"

// demoPerson is one seeded account.
type demoPerson struct {
	email, name string
	orgIndex    int // -1: no organisation
}

// SeedDemo fills an empty database with a believable example: an
// administrator, a funder, two community organisations and their people.
// It does nothing if any account exists.
func SeedDemo(ctx context.Context, s *Services) error {
	var n int64
	if err := s.DB.WithContext(ctx).Raw(`SELECT count(*) FROM users`).Scan(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		s.Log.Info("demo: the database already has accounts; not seeding", "password_for_demo_accounts", DemoPassword)
		return nil
	}
	orgs := []org.NewOrganisation{
		{Name: "Riverside Community Foundation", Kind: org.Funder, Identifier: "GB-CHC-1160001"},
		{Name: "Eastfield Tenants' Network", Kind: org.Applicant, Identifier: "GB-COH-12840001"},
		{Name: "Shared Tables", Kind: org.Applicant},
	}
	people := []demoPerson{
		{"amara@example.org", "Amara Okafor", 0},
		{"tom@example.org", "Tom Reilly", 1},
		{"priya@example.org", "Priya Shah", 2},
		{"june@example.org", "June Walters", -1},
		{"rosa@example.org", "Rosa Mendes", -1},
		{"dev@example.org", "Dev Patel", -1},
	}
	err := store.WithTx(ctx, s.DB, func(ctx context.Context, tx *gorm.DB) error {
		admin, err := CreateAdmin(ctx, s, user.NewAccount{Email: "admin@example.org", DisplayName: "Ada (administrator)", Password: DemoPassword})
		if err != nil {
			return err
		}
		ids := make([]int64, len(orgs))
		for i, in := range orgs {
			o, err := s.Orgs.Create(ctx, admin.ID, in)
			if err != nil {
				return err
			}
			ids[i] = o.ID
		}
		byEmail := map[string]user.User{}
		for _, p := range people {
			u, err := s.Users.Create(ctx, admin.ID, user.NewAccount{Email: p.email, DisplayName: p.name, Password: DemoPassword})
			if err != nil {
				return err
			}
			byEmail[p.email] = u
			if p.orgIndex >= 0 {
				if err := s.Orgs.AddMember(ctx, admin.ID, ids[p.orgIndex], u.ID); err != nil {
					return err
				}
			}
		}
		return seedDemoFund(ctx, s, byEmail, ids)
	})
	if err != nil {
		return errors.Join(errors.New("seeding the demo"), err)
	}
	s.Log.Info("demo seeded: sign in as amara@example.org (steward), june@example.org (panel chair), "+
		"rosa@example.org (panel member), tom@example.org or priya@example.org (applicants), "+
		"admin@example.org (administrator)", "password", DemoPassword)
	return nil
}

// seedDemoFund adds a fund with a panel and a round under review: three
// applications, one panel member who has declared (and commented) and a
// chair who has yet to declare, so a newcomer meets the declaration form.
func seedDemoFund(ctx context.Context, s *Services, people map[string]user.User, orgIDs []int64) error {
	steward := people["amara@example.org"].ID
	f, err := s.Funds.Create(ctx, steward, fund.NewFund{
		OrganisationID: orgIDs[0], Currency: "GBP",
		Principles: []string{
			"People who live with a problem understand it best: they decide where the money goes.",
			"We fund learning, not targets: trying something and finding it does not work is useful.",
			"We answer every account we receive, and say what we are learning too.",
			"Small and unincorporated groups are as welcome as charities.",
		},
		Details: fund.Details{Name: "Eastfield Belonging Fund", PurposeFlourishing: "belonging and connection",
			PurposeWhom: "people who feel cut off from their neighbours", PurposeWhere: "the Eastfield estate",
			BudgetMinor: 15_000_000, SystemScale: "place"},
	})
	if err != nil {
		return err
	}
	if _, err := s.Funds.ChangeStatus(ctx, steward, f.ID, fund.Open); err != nil {
		return err
	}
	if _, err := s.Funds.ChangeStage(ctx, steward, f.ID, fund.StageMove{Stage: "understanding",
		Reason: "Twelve listening sessions on the estate showed isolation is about places to meet, not only about people."}); err != nil {
		return err
	}
	for email, role := range map[string]string{"june@example.org": "panel_chair", "rosa@example.org": "panel_member", "dev@example.org": "panel_member"} {
		if err := s.Funds.AssignRole(ctx, steward, f.ID, fund.RoleChange{UserID: people[email].ID, Role: role}); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Hour)
	at := func(days int) *time.Time { t := now.AddDate(0, 0, days); return &t }
	r, err := s.Rounds.Create(ctx, steward, f.ID, round.NewRound{
		Name: "Spring 2027: places to meet", BudgetMinor: 6_000_000,
		Windows: round.Windows{ApplicationsOpenAt: at(-14), ApplicationsCloseAt: at(7), VotingOpenAt: at(14), VotingCloseAt: at(21)},
		Method:  "approval", Quorum: 3,
	})
	if err != nil {
		return err
	}
	if _, err := s.Rounds.Transition(ctx, steward, r.ID, round.Accepting); err != nil {
		return err
	}
	apps := []struct {
		by      string
		org     int
		p       application.Proposal
		minimum int64
	}{
		{"tom@example.org", 1, application.Proposal{Title: "Saturday shared meals in the community room",
			Explore:     "Whether a regular, free meal cooked by residents brings people out who never come to meetings.",
			WithWhom:    "Older residents living alone and families new to the estate, with the tenants' network's cooks.",
			HowLearn:    "We will keep a simple diary after each meal and talk with guests every month about what changed for them.",
			AmountMinor: 1_800_000, BudgetSummary: "Food £9,000; room hire £3,000; cooks' time £6,000."}, 1_200_000},
		{"priya@example.org", 2, application.Proposal{Title: "Kitchen-table conversations",
			Explore:     "What happens when neighbours host small conversations at home about what they want for the estate.",
			WithWhom:    "Hosts from every block, especially people who do not speak English as a first language.",
			HowLearn:    "Hosts meet every six weeks to reflect on what they heard and what surprised them.",
			AmountMinor: 2_500_000, BudgetSummary: "Hosts' thank-you payments £12,000; interpreters £8,000; materials £5,000."}, 0},
		{"tom@example.org", 1, application.Proposal{Title: "A bench and a noticeboard for every block",
			Explore:     "Whether small shared places outside each block change who stops to talk.",
			WithWhom:    "Residents of the six tower blocks, with the council's estate team.",
			HowLearn:    "Residents photograph and describe how the places are used, and we walk the estate together each season.",
			AmountMinor: 2_200_000, BudgetSummary: "Benches and boards £14,000; installation £6,000; walks £2,000."}, 0},
	}
	var appIDs []int64
	for _, a := range apps {
		if a.minimum > 0 {
			m := a.minimum
			a.p.MinimumMinor = &m
		}
		got, err := s.Applications.Apply(ctx, people[a.by].ID, r.ID,
			application.NewApplication{OrganisationID: orgIDs[a.org], Proposal: a.p})
		if err != nil {
			return err
		}
		appIDs = append(appIDs, got.ID)
	}
	if _, err := s.Rounds.Transition(ctx, steward, r.ID, round.Review); err != nil {
		return err
	}
	rosa := people["rosa@example.org"].ID
	if _, err := s.Panels.Declare(ctx, rosa, r.ID, panel.DeclarationSet{Declarations: []panel.DeclarationEntry{
		{ApplicationID: appIDs[0], Kind: panel.NoConflict},
		{ApplicationID: appIDs[1], Kind: panel.Disclosed, Note: "I live on the same block as one of the hosts. I know her to say hello."},
		{ApplicationID: appIDs[2], Kind: panel.NoConflict},
	}}); err != nil {
		return err
	}
	_, err = s.Panels.PostComment(ctx, rosa, appIDs[0],
		"I like that the cooks are residents. Could the meals move between blocks so the far towers are not left out?")
	return err
}
