package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/agreement"
	"github.com/humblehq/humble/internal/application"
	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
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
// administrator, a funder, two community organisations and their people,
// and a fund with three rounds — one decided (with its grants, their
// learning agreements, reflective accounts and the stewards' responses,
// and the funder's own reflection), one open for voting and one under
// panel review. It does nothing if any account
// exists. Everything is written in one transaction: a failure leaves
// nothing behind.
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
	// One hash for every demo account: each costs 64 MiB and a good part of
	// a second, and they all share the password anyway.
	hash, err := user.HashPassword(DemoPassword)
	if err != nil {
		return err
	}
	err = store.WithTx(ctx, s.DB, func(ctx context.Context, tx *gorm.DB) error {
		admin, err := CreateAdmin(ctx, s, user.NewAccount{Email: "admin@example.org", DisplayName: "Ada (administrator)",
			Password: DemoPassword, PasswordHash: hash})
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
			u, err := s.Users.Create(ctx, admin.ID, user.NewAccount{Email: p.email, DisplayName: p.name, Password: DemoPassword, PasswordHash: hash})
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
	s.Log.Info("demo seeded: sign in as amara@example.org (steward), june@example.org (panel chair, with a ballot "+
		"still to cast), rosa@example.org or dev@example.org (panel members), tom@example.org or priya@example.org "+
		"(applicants and grantees, with learning agreements, reflective accounts and a peer dialogue with its follow-up), admin@example.org (administrator)", "password", DemoPassword)
	return nil
}

// Demo round names, for the log and the tests.
const (
	DemoDecidedRound = "Spring 2026: first steps"
	DemoVotingRound  = "Winter 2026: warm spaces"
	DemoReviewRound  = "Spring 2027: places to meet"
)

// demoApp is one seeded application: who makes it, for which of the
// seeded organisations, and what it proposes.
type demoApp struct {
	by      string
	org     int
	p       application.Proposal
	minimum int64
}

// demoWords are the panel's rationale (published) and feedback (for the
// applicant) on one application, and who on the panel wrote them.
type demoWords struct {
	by                  string
	rationale, feedback string
}

// demoDeclaration is one member's declaration on the i-th application of
// a round.
type demoDeclaration struct {
	app  int
	kind string
	note string
}

// demoSeeder holds what every round of the demo fund needs.
type demoSeeder struct {
	s      *Services
	people map[string]user.User
	orgIDs []int64
	fundID int64
	now    time.Time
}

func (d demoSeeder) id(email string) int64 { return d.people[email].ID }

// at is now moved by days.
func (d demoSeeder) at(days int) *time.Time {
	t := d.now.AddDate(0, 0, days)
	return &t
}

// seedDemoFund adds a fund with a panel and three rounds, in the order
// they happened: one decided, with its grants; one open for voting, where
// two of the panel have voted and the chair has not; and one under panel
// review, where the chair has yet to declare, so a newcomer meets each
// step of a round.
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
	for _, pr := range []struct{ email, role string }{
		{"june@example.org", "panel_chair"}, {"rosa@example.org", "panel_member"}, {"dev@example.org", "panel_member"},
	} {
		if err := s.Funds.AssignRole(ctx, steward, f.ID, fund.RoleChange{UserID: people[pr.email].ID, Role: pr.role}); err != nil {
			return err
		}
	}
	d := demoSeeder{s: s, people: people, orgIDs: orgIDs, fundID: f.ID, now: time.Now().UTC().Truncate(time.Hour)}
	if err := d.decidedRound(ctx); err != nil {
		return fmt.Errorf("the decided round: %w", err)
	}
	if err := d.learning(ctx); err != nil {
		return fmt.Errorf("the decided round's learning: %w", err)
	}
	if err := d.dialogues(ctx); err != nil {
		return fmt.Errorf("the peer dialogues: %w", err)
	}
	if err := d.patterns(ctx); err != nil {
		return fmt.Errorf("the themes: %w", err)
	}
	if err := d.syntheses(ctx); err != nil {
		return fmt.Errorf("the learning synthesis: %w", err)
	}
	if err := d.votingRound(ctx); err != nil {
		return fmt.Errorf("the voting round: %w", err)
	}
	if err := d.reviewRound(ctx); err != nil {
		return fmt.Errorf("the round under review: %w", err)
	}
	return nil
}

// openRound creates a round and opens it for applications. The
// application service takes applications only inside the round's window
// by the clock, so a round whose applications closed in the past is
// created with them closing shortly after now; its real dates are set by
// closeApplications once the applications are in.
func (d demoSeeder) openRound(ctx context.Context, in round.NewRound) (round.Round, error) {
	steward := d.id("amara@example.org")
	if in.ApplicationsCloseAt.Before(time.Now()) {
		soon := time.Now().UTC().Add(2 * time.Hour).Truncate(time.Hour)
		later := soon.Add(time.Hour)
		in.ApplicationsCloseAt, in.VotingOpenAt, in.VotingCloseAt = &soon, &soon, &later
	}
	r, err := d.s.Rounds.Create(ctx, steward, d.fundID, in)
	if err != nil {
		return round.Round{}, err
	}
	return d.s.Rounds.Transition(ctx, steward, r.ID, round.Accepting)
}

// apply makes the applications and returns their ids in order.
func (d demoSeeder) apply(ctx context.Context, roundID int64, apps []demoApp) ([]int64, error) {
	ids := make([]int64, 0, len(apps))
	for _, a := range apps {
		if a.minimum > 0 {
			m := a.minimum
			a.p.MinimumMinor = &m
		}
		got, err := d.s.Applications.Apply(ctx, d.id(a.by), roundID,
			application.NewApplication{OrganisationID: d.orgIDs[a.org], Proposal: a.p})
		if err != nil {
			return nil, err
		}
		ids = append(ids, got.ID)
	}
	return ids, nil
}

// closeApplications sets the round's real windows (see openRound) and
// moves it to panel review.
func (d demoSeeder) closeApplications(ctx context.Context, r round.Round, w round.Windows) (round.Round, error) {
	steward := d.id("amara@example.org")
	r, err := d.s.Rounds.Update(ctx, steward, r.ID, round.Changes{Version: r.Version,
		ApplicationsCloseAt: &round.WindowChange{At: w.ApplicationsCloseAt},
		VotingOpenAt:        &round.WindowChange{At: w.VotingOpenAt},
		VotingCloseAt:       &round.WindowChange{At: w.VotingCloseAt}})
	if err != nil {
		return round.Round{}, err
	}
	return d.s.Rounds.Transition(ctx, steward, r.ID, round.Review)
}

// declare records a member's declarations on a round's applications.
func (d demoSeeder) declare(ctx context.Context, email string, roundID int64, appIDs []int64, ds []demoDeclaration) error {
	set := panel.DeclarationSet{}
	for _, x := range ds {
		set.Declarations = append(set.Declarations, panel.DeclarationEntry{ApplicationID: appIDs[x.app], Kind: x.kind, Note: x.note})
	}
	_, err := d.s.Panels.Declare(ctx, d.id(email), roundID, set)
	return err
}

// Declarations the demo's panel makes more than once.
const (
	juneGuest = "I have been a guest at Shared Tables' Friday meals. I have no role there."
	devCooks  = "I have volunteered in the Shared Tables kitchen on Saturdays since October."
)

// decidedRound seeds a round that has run its whole course: applications,
// declarations, the panel's approval ballots, the result computed when
// the chair closed voting, the decision recorded as computed, a rationale
// and feedback for every application, and the decision made final with
// grants paid in four instalments (which makes tom and priya grantees).
func (d demoSeeder) decidedRound(ctx context.Context) error {
	june := d.id("june@example.org")
	r, err := d.openRound(ctx, round.NewRound{
		Name: DemoDecidedRound, BudgetMinor: 4_000_000,
		Windows: round.Windows{ApplicationsOpenAt: d.at(-240), ApplicationsCloseAt: d.at(-210), VotingOpenAt: d.at(-195), VotingCloseAt: d.at(-181)},
		Method:  round.Approval, Quorum: 3,
	})
	if err != nil {
		return err
	}
	apps, err := d.apply(ctx, r.ID, []demoApp{
		{"tom@example.org", 1, application.Proposal{Title: "Evening key-holders for the community room",
			Explore:     "Whether opening the community room on weekday evenings, with residents holding the keys, brings in neighbours who work during the day and never see each other.",
			WithWhom:    "Twelve resident key-holders from across the estate, shift workers and young parents especially, with the tenants' network's committee.",
			HowLearn:    "Key-holders keep a short log of who came and what happened, and we meet every two months to talk about what the evenings are becoming.",
			AmountMinor: 1_200_000, BudgetSummary: "Key-holders' thank-you payments £6,000; heating and cleaning £4,000; tea, games and first-aid training £2,000."}, 800_000},
		{"priya@example.org", 2, application.Proposal{Title: "Cooking across languages",
			Explore:     "Whether cooking a dish from home together helps neighbours who share no language start talking, and keep talking after the meal.",
			WithWhom:    "Families who have come to the estate in the last three years and longer-standing residents who love to cook, with two community interpreters.",
			HowLearn:    "After each session cooks and guests add a line to a shared recipe book about what they learned from each other, and we read it together every season.",
			AmountMinor: 1_500_000, BudgetSummary: "Ingredients £6,000; kitchen hire £4,000; interpreters £4,000; printing the recipe book £1,000."}, 0},
		{"tom@example.org", 1, application.Proposal{Title: "A welcome walk for new arrivals",
			Explore:     "Whether a monthly walk round the estate, led by residents, helps people who have just moved in find the places and the people they need.",
			WithWhom:    "New tenants, volunteer walk leaders from each block, and the housing office's lettings team, who will pass on the invitation.",
			HowLearn:    "Walk leaders write a few lines after each walk, and we ring people three months after their walk to ask what, if anything, it changed for them.",
			AmountMinor: 600_000, BudgetSummary: "Walk leaders' thank-you payments £3,000; printed maps in six languages £1,500; tea afterwards £1,500."}, 0},
		{"priya@example.org", 2, application.Proposal{Title: "A mobile kitchen for the far towers",
			Explore:     "Whether bringing a kitchen on wheels to the three towers furthest from the community room draws out people who never make the walk.",
			WithWhom:    "Residents of Ash, Birch and Cedar towers, especially older people who find the walk hard, with Shared Tables' volunteer cooks.",
			HowLearn:    "We would keep a diary at each stop and hold a gathering each season where residents of the towers tell us what they noticed.",
			AmountMinor: 1_800_000, BudgetSummary: "A converted trailer and its equipment £11,000; food £4,000; storage and insurance £3,000."}, 0},
	})
	if err != nil {
		return err
	}
	if r, err = d.closeApplications(ctx, r, round.Windows{ApplicationsCloseAt: d.at(-210), VotingOpenAt: d.at(-195), VotingCloseAt: d.at(-181)}); err != nil {
		return err
	}
	none := panel.NoConflict
	for _, x := range []struct {
		email string
		ds    []demoDeclaration
	}{
		{"june@example.org", []demoDeclaration{{0, none, ""}, {1, panel.Disclosed, juneGuest}, {2, none, ""}, {3, panel.Disclosed, juneGuest}}},
		{"rosa@example.org", []demoDeclaration{{0, none, ""}, {1, none, ""}, {2, panel.Recused, "My daughter would be one of the walk leaders."}, {3, none, ""}}},
		{"dev@example.org", []demoDeclaration{{0, none, ""}, {1, none, ""}, {2, none, ""}, {3, none, ""}}},
	} {
		if err := d.declare(ctx, x.email, r.ID, apps, x.ds); err != nil {
			return err
		}
	}
	if _, err := d.s.Rounds.Transition(ctx, june, r.ID, round.Voting); err != nil {
		return err
	}
	for _, b := range []struct {
		email string
		apps  []int
	}{
		{"june@example.org", []int{0, 1, 2}},
		{"rosa@example.org", []int{0, 1, 3}},
		{"dev@example.org", []int{1, 2, 3}},
	} {
		c := ballot.Contents{}
		for _, i := range b.apps {
			c.Approvals = append(c.Approvals, apps[i])
		}
		if _, _, err := d.s.Ballots.Cast(ctx, d.id(b.email), r.ID, c); err != nil {
			return err
		}
	}
	// Closing voting with the quorum met computes the result.
	if _, err := d.s.Rounds.Transition(ctx, june, r.ID, round.Closed); err != nil {
		return err
	}
	if _, err := d.s.Decisions.RecordDecision(ctx, june, r.ID, decision.Record{}); err != nil {
		return err
	}
	for i, w := range []demoWords{
		{"june@example.org",
			"Funded in full. Two of the three panel members supported it. It hands the keys, and the choice of what the evenings are for, to residents themselves, which is the heart of this fund.",
			"Thank you for such a clear proposal. We loved that the key-holders decide what the evenings are for. We would be glad to hear early on about who is not coming, as well as who is: that will teach all of us something. If the first months show the room should open on different nights, change it. That is learning, not failure."},
		{"june@example.org",
			"Funded in full, with the support of the whole panel. It starts from what people already bring, their cooking, rather than from what they lack, and its way of learning is part of the activity itself.",
			"The recipe book as a record of what changes between people moved all of us. One thing we would love you to notice: what happens for people who come once and do not come back? We would be glad to read about them in your reflections, alongside the regulars."},
		{"dev@example.org",
			"Funded in full. Both panel members who voted on it supported it; one member stepped aside because of a family connection. It is small and simple, and it reaches people at the moment they are most cut off.",
			"A lovely, modest idea, and the phone call three months on is a thoughtful way to learn what lasts. You might also ask the walk leaders what the walks give them: we suspect they will matter to the leaders as much as to the newcomers."},
		{"rosa@example.org",
			"Not funded this round. Two panel members supported it, but once the other three applications were funded £7,000 of the round's £40,000 was left, and it asked for £18,000.",
			"Thank you. This was a hard call, and we want you to know the far towers are on our minds: it was the money that ran out, not our belief in the idea. If you come back in a future round, a smaller first step, such as borrowing a trailer for a season, could show whether people come before you buy one. We would be glad to talk it through with you."},
	} {
		if _, err := d.s.Decisions.WriteWords(ctx, d.id(w.by), r.ID, apps[i], decision.Words{Rationale: w.rationale, Feedback: w.feedback}); err != nil {
			return err
		}
	}
	// Grants started on the first of the month four months ago (after
	// voting closed), run a year and are paid quarterly: one period of
	// reflection has passed and the next is under way.
	start := d.grantStart()
	_, err = d.s.Decisions.Finalise(ctx, june, r.ID, decision.Terms{StartsOn: start.Format(time.DateOnly),
		EndsOn: start.AddDate(1, 0, -1).Format(time.DateOnly), Instalments: 4})
	return err
}

// grantStart is the day the decided round's grants began: the first of
// the month four months before now, so that their first quarter of
// reflection has ended and the second has begun (and is not overdue).
func (d demoSeeder) grantStart() time.Time {
	y, m, _ := d.now.Date()
	return time.Date(y, m-4, 1, 0, 0, 0, 0, time.UTC)
}

// votingRound seeds a round open for voting by scores: everyone on the
// panel has declared, rosa and dev have voted, and june, the chair, has
// not, so whoever signs in as june can cast the ballot that meets the
// quorum.
func (d demoSeeder) votingRound(ctx context.Context) error {
	june := d.id("june@example.org")
	r, err := d.openRound(ctx, round.NewRound{
		Name: DemoVotingRound, BudgetMinor: 3_000_000,
		Windows: round.Windows{ApplicationsOpenAt: d.at(-40), ApplicationsCloseAt: d.at(-10), VotingOpenAt: d.at(-3), VotingCloseAt: d.at(7)},
		Method:  round.Score, MethodParams: round.Params{MaxScore: 5}, Quorum: 3,
	})
	if err != nil {
		return err
	}
	apps, err := d.apply(ctx, r.ID, []demoApp{
		{"tom@example.org", 1, application.Proposal{Title: "Warm afternoons in the community room",
			Explore:     "Whether a warm room on winter weekday afternoons, with the kettle on, becomes somewhere people drop into rather than an event they have to decide to go to.",
			WithWhom:    "Older residents at home in the day, people working from home and parents with small children, hosted by the tenants' network's volunteers.",
			HowLearn:    "Hosts jot down who drops in and what they talk about, and in March we ask the regulars whether the winter felt any different.",
			AmountMinor: 800_000, BudgetSummary: "Heating and cleaning £3,500; hosts' thank-you payments £3,000; tea, biscuits and blankets £1,500."}, 0},
		{"priya@example.org", 2, application.Proposal{Title: "Soup and stories",
			Explore:     "Whether a weekly soup lunch where long-standing residents tell stories of the estate helps younger and newer neighbours feel part of its history.",
			WithWhom:    "Residents who have lived here thirty years or more, young people from the youth club, and families new to Eastfield.",
			HowLearn:    "The young people record the stories, with permission, and at the end of winter we listen back together to hear what they taught us.",
			AmountMinor: 950_000, BudgetSummary: "Soup ingredients £3,500; kitchen hire £3,000; recording kit and a listening evening £3,000."}, 0},
		{"tom@example.org", 1, application.Proposal{Title: "Draught-proofing together",
			Explore:     "Whether neighbours learning to draught-proof each other's flats, a practical and useful job, builds a kind of trust that a social event does not.",
			WithWhom:    "Tenants in the oldest blocks, with a retired joiner who lives on the estate and the council's energy adviser.",
			HowLearn:    "Each pair of neighbours tells us a month later whether they have been back in touch, and why or why not.",
			AmountMinor: 1_100_000, BudgetSummary: "Materials £6,000; the joiner's time £3,500; tools to lend £1,500."}, 700_000},
		{"priya@example.org", 2, application.Proposal{Title: "A lending shelf of warm things",
			Explore:     "Whether a shelf where people leave and borrow coats, blankets and hot-water bottles starts conversations between people who would not otherwise meet.",
			WithWhom:    "Anyone on the estate. The shelf would sit in the launderette, with the owner's blessing.",
			HowLearn:    "A notebook on the shelf for people to write in, read by our volunteers each month.",
			AmountMinor: 350_000, BudgetSummary: "Shelving and a sign £800; cleaning and repairs £1,200; a first stock of warm things £1,500."}, 0},
	})
	if err != nil {
		return err
	}
	if r, err = d.closeApplications(ctx, r, round.Windows{ApplicationsCloseAt: d.at(-10), VotingOpenAt: d.at(-3), VotingCloseAt: d.at(7)}); err != nil {
		return err
	}
	none := panel.NoConflict
	for _, x := range []struct {
		email string
		ds    []demoDeclaration
	}{
		{"june@example.org", []demoDeclaration{{0, none, ""}, {1, panel.Disclosed, juneGuest}, {2, none, ""}, {3, none, ""}}},
		{"rosa@example.org", []demoDeclaration{{0, none, ""}, {1, none, ""}, {2, panel.Disclosed, "The retired joiner named in the application is my neighbour."}, {3, none, ""}}},
		{"dev@example.org", []demoDeclaration{{0, none, ""}, {1, panel.Recused, devCooks}, {2, none, ""}, {3, panel.Recused, devCooks}}},
	} {
		if err := d.declare(ctx, x.email, r.ID, apps, x.ds); err != nil {
			return err
		}
	}
	if _, err := d.s.Rounds.Transition(ctx, june, r.ID, round.Voting); err != nil {
		return err
	}
	score := func(scores map[int]string) ballot.Contents {
		c := ballot.Contents{Scores: map[string]json.RawMessage{}}
		for i, v := range scores {
			c.Scores[strconv.FormatInt(apps[i], 10)] = json.RawMessage(v)
		}
		return c
	}
	for _, b := range []struct {
		email string
		c     ballot.Contents
	}{
		{"rosa@example.org", score(map[int]string{0: "4", 1: "5", 2: "3", 3: strconv.Quote(ballot.DontKnow)})},
		{"dev@example.org", score(map[int]string{0: "5", 2: "4"})},
	} {
		if _, _, err := d.s.Ballots.Cast(ctx, d.id(b.email), r.ID, b.c); err != nil {
			return err
		}
	}
	return nil
}

// reviewRound seeds a round under review: three applications, one panel
// member who has declared (and commented) and a chair who has yet to
// declare, so a newcomer meets the declaration form.
func (d demoSeeder) reviewRound(ctx context.Context) error {
	steward := d.id("amara@example.org")
	r, err := d.openRound(ctx, round.NewRound{
		Name: DemoReviewRound, BudgetMinor: 6_000_000,
		Windows: round.Windows{ApplicationsOpenAt: d.at(-14), ApplicationsCloseAt: d.at(7), VotingOpenAt: d.at(14), VotingCloseAt: d.at(21)},
		Method:  round.Approval, Quorum: 3,
	})
	if err != nil {
		return err
	}
	apps, err := d.apply(ctx, r.ID, []demoApp{
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
	})
	if err != nil {
		return err
	}
	if _, err := d.s.Rounds.Transition(ctx, steward, r.ID, round.Review); err != nil {
		return err
	}
	if err := d.declare(ctx, "rosa@example.org", r.ID, apps, []demoDeclaration{
		{0, panel.NoConflict, ""},
		{1, panel.Disclosed, "I live on the same block as one of the hosts. I know her to say hello."},
		{2, panel.NoConflict, ""},
	}); err != nil {
		return err
	}
	_, err = d.s.Panels.PostComment(ctx, d.id("rosa@example.org"), apps[0],
		"I like that the cooks are residents. Could the meals move between blocks so the far towers are not left out?")
	return err
}

// Titles of the decided round's grants that the demo's learning is about.
const (
	demoKeyHolders = "Evening key-holders for the community room"
	demoCooking    = "Cooking across languages"
)

// learning seeds what happened after the decided round: amara and tom
// co-write and sign a learning agreement for the key-holders' evenings,
// then renegotiate it (a learning question changes and a learning signal
// is added) and both sign version 2; amara and priya sign one version for
// the cooking sessions; tom and priya each submit a reflective account of
// their first quarter, and amara answers both; and amara publishes the
// funder's own reflection on its practice.
func (d demoSeeder) learning(ctx context.Context) error {
	grants, err := d.s.Decisions.Grants(ctx, d.fundID)
	if err != nil {
		return err
	}
	byTitle := map[string]int64{}
	for _, g := range grants {
		byTitle[g.Title] = g.ID
	}
	keys, cooking := byTitle[demoKeyHolders], byTitle[demoCooking]
	if keys == 0 || cooking == 0 {
		return errors.New("the decided round's grants are not the ones the demo expects")
	}
	start := d.grantStart()
	date := func(months, days int) string { return start.AddDate(0, months, days).Format(time.DateOnly) }

	// Version 1 of the key-holders' agreement: amara starts it from the
	// template and writes the funder's parts; tom adds an exploration of
	// the network's own; both sign.
	if err := d.agree(ctx, keys, "tom@example.org", d.keyHoldersV1(date(4, 0)),
		func(c *agreement.Content) {
			c.Explorations = append(c.Explorations,
				"One evening a month in the meeting room under Cedar tower, so that people from the far towers need not cross the estate in the dark.")
		}); err != nil {
		return fmt.Errorf("the key-holders' agreement: %w", err)
	}
	if err := d.agree(ctx, cooking, "priya@example.org", d.cookingV1(date(6, 0)), nil); err != nil {
		return fmt.Errorf("the cooking agreement: %w", err)
	}

	// The first quarter's accounts, and amara's answers.
	if err := d.account(ctx, "tom@example.org", keys, date(0, 0), date(3, -1), tomAccount(date(24, 0)), tomResponse); err != nil {
		return fmt.Errorf("tom's account: %w", err)
	}
	if err := d.account(ctx, "priya@example.org", cooking, date(0, 0), date(3, -1), priyaAccount, priyaResponse); err != nil {
		return fmt.Errorf("priya's account: %w", err)
	}

	// What tom's account taught them both goes into version 2.
	if err := d.renegotiate(ctx, keys, "tom@example.org", func(c *agreement.Content) {
		c.LearningQuestions[0] = "What would make the evenings possible for young parents, who have hardly come so far, and does a Saturday morning session reach them instead?"
		c.LearningSignals = append(c.LearningSignals, agreement.Signal{
			Name:          "Where people meet again",
			TellsUs:       "Stories the key-holders hear of people from the evenings meeting elsewhere: on the stairs, at the shops, helping each other move a sofa.",
			DoesNotTellUs: "How often it happens. We only hear the stories people choose to tell, so it shows us that something is happening, not how much of it.",
			CollectedBy:   "The key-holders, at their meeting every two months; Tom gathers them for the written account",
			HowOften:      "Every two months",
		})
		c.RenegotiateOn = date(10, 0)
	}); err != nil {
		return fmt.Errorf("renegotiating the key-holders' agreement: %w", err)
	}

	// The funder's own reflection, shared with the fund's grantees and
	// panel.
	amara := d.id("amara@example.org")
	m, err := d.s.Accounts.CreateReflection(ctx, amara, d.fundID, account.Contents{
		PeriodStart: date(0, 0), PeriodEnd: d.now.Format(time.DateOnly), Sections: funderReflection})
	if err != nil {
		return fmt.Errorf("the funder's reflection: %w", err)
	}
	if _, err := d.s.Accounts.Submit(ctx, amara, m.ID, m.Version); err != nil {
		return fmt.Errorf("publishing the funder's reflection: %w", err)
	}
	return nil
}

// agree writes and signs version 1 of a grant's agreement, as people
// would: amara starts it from the template and fills in her parts
// (write), the grantee adds theirs (add, if any), and both sign the text
// as it then stands.
func (d demoSeeder) agree(ctx context.Context, grantID int64, grantee string, write func(*agreement.Content), add func(*agreement.Content)) error {
	amara := d.id("amara@example.org")
	a, err := d.s.Agreements.Create(ctx, amara, grantID)
	if err != nil {
		return err
	}
	c := a.Draft.Content
	write(&c)
	ed, err := d.s.Agreements.EditDraft(ctx, amara, grantID, agreement.Edit{Number: a.Draft.Number, Revision: a.Draft.Revision, Content: c})
	if err != nil {
		return err
	}
	if add != nil {
		c = ed.Content
		add(&c)
		if ed, err = d.s.Agreements.EditDraft(ctx, d.id(grantee), grantID,
			agreement.Edit{Number: ed.Number, Revision: ed.Revision, Content: c}); err != nil {
			return err
		}
	}
	return d.signBoth(ctx, grantID, grantee, ed.Version)
}

// renegotiate starts the next version of a grant's agreement (the grantee
// asks for it), amara writes the change they agreed, and both sign.
func (d demoSeeder) renegotiate(ctx context.Context, grantID int64, grantee string, change func(*agreement.Content)) error {
	v, err := d.s.Agreements.Renegotiate(ctx, d.id(grantee), grantID)
	if err != nil {
		return err
	}
	c := v.Content
	change(&c)
	ed, err := d.s.Agreements.EditDraft(ctx, d.id("amara@example.org"), grantID,
		agreement.Edit{Number: v.Number, Revision: v.Revision, Content: c})
	if err != nil {
		return err
	}
	return d.signBoth(ctx, grantID, grantee, ed.Version)
}

func (d demoSeeder) signBoth(ctx context.Context, grantID int64, grantee string, v agreement.Version) error {
	in := agreement.Signing{Number: v.Number, Revision: v.Revision}
	if _, err := d.s.Agreements.Sign(ctx, d.id("amara@example.org"), grantID, agreement.Funder, in); err != nil {
		return err
	}
	signed, err := d.s.Agreements.Sign(ctx, d.id(grantee), grantID, agreement.Grantee, in)
	if err != nil {
		return err
	}
	if signed.Status != agreement.Signed {
		return fmt.Errorf("version %d of the agreement is %s after both sides signed", signed.Number, signed.Status)
	}
	return nil
}

// account writes a grantee's account of a period, submits it, and amara
// responds.
func (d demoSeeder) account(ctx context.Context, email string, grantID int64, from, to string, c account.Contents, response string) error {
	c.PeriodStart, c.PeriodEnd = from, to
	m, err := d.s.Accounts.Create(ctx, d.id(email), grantID, account.NewAccount{Mode: account.Written, Contents: c})
	if err != nil {
		return err
	}
	if _, err := d.s.Accounts.Submit(ctx, d.id(email), m.ID, m.Version); err != nil {
		return err
	}
	_, err = d.s.Accounts.Respond(ctx, d.id("amara@example.org"), m.ID, account.ResponseInput{Body: response})
	return err
}

// keyHoldersV1 is amara's part of version 1 of the key-holders'
// agreement; the template has already given the money as granted.
func (d demoSeeder) keyHoldersV1(renegotiateOn string) func(*agreement.Content) {
	return func(c *agreement.Content) {
		c.SharedPurpose = "Neighbours on the Eastfield estate who work odd hours, look after small children or have just moved in hardly ever cross paths. " +
			"Together we want to find out whether a community room that residents open themselves, in the evenings, can become a place where they meet, and keep meeting."
		c.WhyWeFundedYou = "Because you hand the keys, and the choice of what the evenings are for, to residents themselves: that is the heart of this fund. " +
			"The panel trusted that the people who live on the estate know best who is missing from its shared life, and loved that you want to learn about who does not come as well as who does."
		c.LearningQuestions = []string{
			"Who comes to the evenings, who that we hoped for does not, and why?",
			"What do key-holders need to feel the room is theirs to run, rather than a job they do for someone else?",
			"Do people who meet in the evenings see each other anywhere else on the estate?",
		}
		c.Explorations = []string{
			"Opening the community room on Tuesday and Thursday evenings, six till nine, with twelve resident key-holders taking turns.",
			"Letting each evening's key-holders decide what it is for: a games night, a repair table, homework help, or simply the kettle on.",
		}
		c.Reflection = agreement.Reflection{Mode: agreement.Written, EveryMonths: 3,
			Note: "A short written account every three months, in whatever words suit you. The key-holders' log is there to draw on, not to copy out."}
		c.LearningSignals = []agreement.Signal{{
			Name:          "Who comes through the door",
			TellsUs:       "Roughly how many people come each evening, and whether they are new faces or regulars.",
			DoesNotTellUs: "Whether anyone felt welcome or made a friend. A full room can still be a lonely one, and a quiet evening can matter a great deal to the two people in it.",
			CollectedBy:   "The key-holders on duty, in the log book by the door",
			HowOften:      "Every evening the room is open",
		}}
		c.FunderCommitments.Flexibility = "If the evenings want to become something else (other nights, another room, another purpose), change them and tell us why. " +
			"Moving money between the lines of your budget needs nobody's permission."
		c.FunderCommitments.SupportBeyondMoney = "First-aid training for every key-holder, an introduction to the council's estate team about the room's heating and opening hours, " +
			"and a place at the fund's gathering of grantees each season."
		c.FunderCommitments.ResponseDays = 21
		c.ConsentTerms = "A story about a person is shared only with their consent, for the purposes they agree to, and named only as they wish. " +
			"If they change their mind it comes down at once, everywhere. The key-holders' log stays with the network: we read only what you choose to write."
		c.RenegotiateOn = renegotiateOn
	}
}

// cookingV1 is amara's part of the cooking sessions' agreement, which
// priya signs as it stands.
func (d demoSeeder) cookingV1(renegotiateOn string) func(*agreement.Content) {
	return func(c *agreement.Content) {
		c.SharedPurpose = "Families new to Eastfield and neighbours who have lived here for years often share a landing but not a language. " +
			"We want to learn whether cooking a dish from home together gives them a way to start talking, and to keep talking after the meal."
		c.WhyWeFundedYou = "Because it starts from what people already bring, their cooking, rather than from what they lack, " +
			"and because its way of learning, the shared recipe book, is part of the cooking itself and not a form filled in afterwards."
		c.LearningQuestions = []string{
			"What do cooks and guests learn from each other, in their own words?",
			"What happens for people who come once and do not come back?",
			"Do the conversations that start in the kitchen carry on outside it?",
		}
		c.Explorations = []string{
			"A cooking session every other Saturday, each led by a different home cook, with two community interpreters on hand.",
			"A shared recipe book in which every cook and guest adds a line about what they learned from each other.",
		}
		c.Reflection = agreement.Reflection{Mode: agreement.Written, EveryMonths: 3,
			Note: "A short written account each season, after we have read the recipe book aloud together."}
		c.LearningSignals = []agreement.Signal{{
			Name:          "Lines in the recipe book",
			TellsUs:       "What cooks and guests say they learned from each other, in their own words and languages.",
			DoesNotTellUs: "What people who do not write, or did not enjoy themselves, thought. Silence in the book is not the same as nothing happening.",
			CollectedBy:   "Cooks and guests after each session; our volunteers translate",
			HowOften:      "Every session, read together each season",
		}}
		c.FunderCommitments.Flexibility = "Cook more often or less, change the day, change the dishes: it is your project. Tell us what you changed and what made you change it."
		c.FunderCommitments.SupportBeyondMoney = "Paying for the interpreters' training, and an introduction to the council's food safety team so that the kitchen paperwork is not a worry."
		c.FunderCommitments.ResponseDays = 21
		c.ConsentTerms = "Recipes and photographs are credited only as each cook wishes. A story about a person is shared only with their consent, " +
			"for the purposes they agree to, and comes down at once if they change their mind."
		c.RenegotiateOn = renegotiateOn
	}
}

// tomAccount is the key-holders' account of their first quarter. Its
// sections are shared differently, and it tells one story about a person,
// with her consent (until consentUntil).
func tomAccount(consentUntil string) account.Contents {
	return account.Contents{
		Sections: map[string]account.SectionInput{
			"context_changed": {Visibility: account.Peers,
				Body: "The lift in Birch tower was out for five weeks of the quarter, so several older neighbours could not get down to the room at all. The housing office also moved its surgery to Thursday afternoons, which brought a few people into the room who had come for that."},
			"what_we_tried": {Visibility: account.Public,
				Body: "We opened the community room on Tuesday and Thursday evenings, six till nine: twenty-four evenings in all. Eleven key-holders took turns, two at a time. Tuesdays became a games night almost by themselves; on Thursdays we tried a repair table, then homework help, and settled on both."},
			"what_happened": {Visibility: account.Peers,
				Body: "Between eight and twenty-five people came each evening. Shift workers came more than we expected: people finishing at six told us it was the first time they had sat down with neighbours in years. A Polish and a Somali family now swap childminding on Thursdays."},
			"not_as_hoped": {Visibility: account.FunderAndPartner,
				Body: "Hardly any young parents came. Six o'clock is tea, bath and bed, and we should have asked them before choosing the hours. Two key-holders dropped out in the third month; one told us she felt she was running a club for other people rather than sharing a room."},
			"what_we_learnt": {Visibility: account.Public,
				Body: "Residents will look after a space if it is properly theirs. The evenings worked best when the key-holders decided what they were for on the night, and worst when we tried to plan a programme for them."},
			"what_we_will_change": {Visibility: account.Peers,
				Body: "From this quarter we are trying a Saturday morning for parents and small children, with the same key-holder arrangement. We would like to change our first learning question so that it asks about young parents directly."},
			"what_we_need": {Visibility: account.FunderAndPartner,
				Body: "The room's heating is on a council timer that turns off at eight. An introduction to whoever can change it would help more than any money."},
			"signal_readings": {Visibility: account.FunderAndPartner,
				Body: "The log shows about a third new faces each evening in the first month, and fewer by the third. We read that as the evenings settling into regulars, which is lovely and also a warning: a room of regulars can start to feel closed to newcomers. The log cannot tell us whether anyone left lonelier than they came."},
		},
		Stories: &[]account.StoryInput{{
			Body:     "Mariam works nights at the hospital and had lived in Ash tower for four years without knowing her neighbours' names. She came on a Tuesday because the light was on. She now holds a key herself, and says the room is the first place on the estate where she has been asked for her opinion.",
			Purposes: []string{account.ForLearning, account.ForReports}, Naming: "first_name", ExpiresOn: consentUntil,
		}},
	}
}

// priyaAccount is Shared Tables' account of its first quarter.
var priyaAccount = account.Contents{
	Sections: map[string]account.SectionInput{
		"context_changed": {Visibility: account.FunderAndPartner,
			Body: "Eleven families arrived on the estate this quarter, most of them housed in a hurry after a hotel closed. Several did not know how long they would stay, which changed how much they wanted to put down roots."},
		"what_we_tried": {Visibility: account.Public,
			Body: "Six cooking sessions, each led by a different home cook: Eritrean, Bangladeshi, Scottish, Syrian, Jamaican and Polish dishes. Two interpreters came to each, and everyone wrote or drew a line in the recipe book before they went home."},
		"what_happened": {Visibility: account.Peers,
			Body: "The kitchen is loud and crowded and people laugh a lot. Conversations started over technique (how thin, how long, how much salt) long before anyone tried to talk about anything else. Two of the cooks now meet to shop together at the Saturday market."},
		"not_as_hoped": {Visibility: account.Peers,
			Body: "About half of the people who came once did not come back. When we asked, some said the room was too crowded and too loud; others had simply been moved to other housing. We had not thought about how unsettled people's lives are."},
		"what_we_learnt": {Visibility: account.Public,
			Body: "Cooking gives people something to do with their hands while they work out whether to trust each other. The interpreters matter most at the start and the end of a session, and much less in the middle."},
		"what_we_will_change": {Visibility: account.Peers,
			Body: "Smaller sessions, with at most ten people, and a quieter corner for anyone who wants to talk rather than cook."},
		"what_we_need": {Visibility: account.FunderAndPartner,
			Body: "Advice on how to keep in touch, kindly and without pressure, with families who are moved away from the estate."},
		"signal_readings": {Visibility: account.FunderAndPartner,
			Body: "The recipe book has ninety-three lines in eight languages. Most are about food; about a third mention a person by name. It does not tell us anything about the people who left without writing, and we want to find out more about them."},
	},
}

// The stewards' answers to the two accounts.
const (
	tomResponse = "Thank you, Tom, and thank the key-holders from all of us. Your honesty about young parents is exactly the kind of learning this fund is for, and we would be glad to change the first learning question with you. " +
		"I have written to the council's estate team about the heating timer and copied you in. Mariam's story moved the whole steward team: please thank her for letting us read it."
	priyaResponse = "Thank you, Priya. What you noticed about people being moved on is something we had not understood either, and it matters for the whole fund, not only for Shared Tables. " +
		"We will bring it to the next gathering of grantees. Smaller sessions sound right; if they need a little more money for another kitchen slot, ask us."
)

// funderReflection is amara's reflection on the fund's own practice, for
// the fund's grantees and panel to read.
var funderReflection = map[string]account.SectionInput{
	"context_changed": {Visibility: account.Peers,
		Body: "This was our first round, decided by a panel of residents. We came to it after twelve listening sessions on the estate, and we were still learning how to hand decisions over rather than only ask for views."},
	"what_we_tried": {Visibility: account.Peers,
		Body: "We kept applications short, let the panel decide, and wrote a learning agreement with each grantee in place of grant conditions. We promised to answer every account within twenty-one days."},
	"not_as_hoped": {Visibility: account.Peers,
		Body: "We were slow. The grants began four months ago, but it took us until now to sit down with each group and write its learning agreement, so grantees started their work without knowing what we hoped to learn together. That was our delay, not theirs."},
	"what_we_learnt": {Visibility: account.Peers,
		Body: "A blank agreement is daunting. Starting from the words of the application made the conversation easier, and the grantees' own additions were often the best parts. We also learnt that our template asked for a reflection every six months, which was too long for a first year."},
	"what_we_will_change": {Visibility: account.Peers,
		Body: "We will write each agreement in the first fortnight of a grant, in person, and suggest reflecting every three months in the first year. We will pass on what grantees ask of the council within a week."},
	"what_we_need": {Visibility: account.Peers,
		Body: "From grantees: tell us when we are getting in the way. From the panel: help us see which of our habits come from old funding practice rather than from the fund's principles."},
	"signal_readings": {Visibility: account.Peers,
		Body: "We answered both accounts this quarter well within our twenty-one days. That tells us we kept our word on time; it does not tell us whether our answers were of any use. For that we will ask you, at the next gathering."},
}
