package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/humblehq/humble/internal/app"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/config"
	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/org"
	"github.com/humblehq/humble/internal/panel"
	"github.com/humblehq/humble/internal/round"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

// numApplications is how many submitted applications the voting round
// holds; a ballot approves five of them, alternating between the first
// five and the last five so that every PUT revises.
const numApplications = 6

// fixture is what the workloads stand on.
type fixture struct {
	FundID, RoundID int64
	FundName        string
	Applications    []int64
	Members         []int64
	Tokens          []string // one API token per panel member, same order
}

// seed migrates the database at dbURL and fills it through the domain
// services, the way people would through the API: a funder and its
// steward, a fund (open), eight panel members, a round in approval voting
// with six submitted applications on which every member has declared no
// conflict, and an API token per member.
func seed(ctx context.Context, dbURL string) (fixture, error) {
	var fx fixture
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return fx, err
	}
	defer store.Close(db)
	if err := store.Migrate(ctx, store.SQL(db)); err != nil {
		return fx, err
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		return fx, err
	}
	s, err := app.NewServices(ctx, cfg, slog.New(slog.DiscardHandler), db)
	if err != nil {
		return fx, err
	}
	const password = "humble-bench-password"
	account := func(email, name string) (user.User, error) {
		return s.Users.Create(ctx, 0, user.NewAccount{Email: email, DisplayName: name, Password: password})
	}
	admin, err := app.CreateAdmin(ctx, s, user.NewAccount{Email: "admin@bench.example", DisplayName: "Bench administrator", Password: password})
	if err != nil {
		return fx, fmt.Errorf("administrator: %w", err)
	}
	funder, err := s.Orgs.Create(ctx, admin.ID, org.NewOrganisation{Name: "Benchmark Community Foundation", Kind: org.Funder})
	if err != nil {
		return fx, err
	}
	applicant, err := s.Orgs.Create(ctx, admin.ID, org.NewOrganisation{Name: "Benchmark Tenants' Network", Kind: org.Applicant})
	if err != nil {
		return fx, err
	}
	steward, err := account("steward@bench.example", "Steward")
	if err != nil {
		return fx, err
	}
	applier, err := account("applicant@bench.example", "Applicant")
	if err != nil {
		return fx, err
	}
	if err := s.Orgs.AddMember(ctx, admin.ID, funder.ID, steward.ID); err != nil {
		return fx, err
	}
	if err := s.Orgs.AddMember(ctx, admin.ID, applicant.ID, applier.ID); err != nil {
		return fx, err
	}

	fx.FundName = "Benchmark Belonging Fund"
	f, err := s.Funds.Create(ctx, steward.ID, fund.NewFund{
		OrganisationID: funder.ID, Currency: "GBP",
		Principles: []string{
			"People who live with a problem understand it best: they decide where the money goes.",
			"We fund learning: trying something and finding it does not work is useful.",
		},
		Details: fund.Details{Name: fx.FundName, PurposeFlourishing: "belonging and connection",
			PurposeWhom: "people who feel cut off from their neighbours", PurposeWhere: "the Benchmark estate",
			BudgetMinor: 15_000_000, SystemScale: "place"},
	})
	if err != nil {
		return fx, fmt.Errorf("fund: %w", err)
	}
	fx.FundID = f.ID
	if _, err := s.Funds.ChangeStatus(ctx, steward.ID, f.ID, fund.Open); err != nil {
		return fx, err
	}
	for i := range clients {
		u, err := account(fmt.Sprintf("member%d@bench.example", i+1), fmt.Sprintf("Panel member %d", i+1))
		if err != nil {
			return fx, err
		}
		if err := s.Funds.AssignRole(ctx, steward.ID, f.ID, fund.RoleChange{UserID: u.ID, Role: "panel_member"}); err != nil {
			return fx, fmt.Errorf("panel member: %w", err)
		}
		fx.Members = append(fx.Members, u.ID)
	}

	now := time.Now().UTC().Truncate(time.Hour)
	at := func(days int) *time.Time { t := now.AddDate(0, 0, days); return &t }
	r, err := s.Rounds.Create(ctx, steward.ID, f.ID, round.NewRound{
		Name: "Benchmark round", BudgetMinor: 6_000_000, Method: round.Approval, Quorum: 3,
		Windows: round.Windows{ApplicationsOpenAt: at(-14), ApplicationsCloseAt: at(7), VotingOpenAt: at(14), VotingCloseAt: at(21)},
	})
	if err != nil {
		return fx, fmt.Errorf("round: %w", err)
	}
	fx.RoundID = r.ID
	if _, err := s.Rounds.Transition(ctx, steward.ID, r.ID, round.Accepting); err != nil {
		return fx, err
	}
	for i := range numApplications {
		a, err := s.Applications.Apply(ctx, applier.ID, r.ID, application.NewApplication{OrganisationID: applicant.ID,
			Proposal: application.Proposal{
				Title:         fmt.Sprintf("Shared meals, block %d", i+1),
				Explore:       "Whether a regular, free meal cooked by residents brings people out who never come to meetings.",
				WithWhom:      "Older residents living alone and families new to the estate.",
				HowLearn:      "A simple diary after each meal, and a conversation with guests every month.",
				AmountMinor:   int64(500_000 + 100_000*i),
				BudgetSummary: "Food, room hire and the cooks' time.",
			}})
		if err != nil {
			return fx, fmt.Errorf("application: %w", err)
		}
		fx.Applications = append(fx.Applications, a.ID)
	}
	if _, err := s.Rounds.Transition(ctx, steward.ID, r.ID, round.Review); err != nil {
		return fx, err
	}
	for _, m := range fx.Members {
		var ds panel.DeclarationSet
		for _, a := range fx.Applications {
			ds.Declarations = append(ds.Declarations, panel.DeclarationEntry{ApplicationID: a, Kind: panel.NoConflict})
		}
		if _, err := s.Panels.Declare(ctx, m, r.ID, ds); err != nil {
			return fx, fmt.Errorf("declarations: %w", err)
		}
		secret, _, err := s.Users.CreateToken(ctx, m, user.NewToken{Name: "humble-bench"})
		if err != nil {
			return fx, err
		}
		fx.Tokens = append(fx.Tokens, secret)
	}
	if _, err := s.Rounds.Transition(ctx, steward.ID, r.ID, round.Voting); err != nil {
		return fx, fmt.Errorf("open voting: %w", err)
	}
	return fx, nil
}
