// Package patterngen fills a database with a realistic fund's learning, for
// the pattern-view benchmark (brief/BENCHMARKS.md §5) and for trying the
// pattern view, search and dialogues at scale: a funder with two stewards
// and a learning partner, a panel, a few hundred grantee organisations each
// with a grant and a member who holds the grantee role, thousands of
// submitted reflective accounts over three years of quarters (sections of
// mixed visibility, stories with consent records some of which are
// withdrawn or expired), curated themes tagging account sections, the
// funder's published reflections, and dialogues with participants, notes,
// sources, actions, issues passed up, and tags.
//
// Everything is written with set-based SQL (arrays built in Go and inserted
// with unnest), in one transaction: 5,000 accounts take seconds. What is
// written is decided by a seeded random source, so the same Config gives
// the same fund (dates are counted from Config.Until). Rows go straight
// into the tables, not through the domain services: no audit events are
// written, and nobody can sign in with a password (the fixture's API tokens
// are the way in).
//
// Role assignments are casbin rows in casbin_rule, in the form
// authz.Authorizer.Assign writes them, with a notification on
// authz.Channel for each person on commit: a server already running picks
// them up within milliseconds, and one started afterwards loads them.
package patterngen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/internal/user"
)

// Config says how big the fund is. Zero fields take DefaultConfig's value.
type Config struct {
	Seed uint64
	// Grantees is the number of grantee organisations, each with one
	// grant and one member.
	Grantees int
	// Accounts is the number of submitted grantee accounts, spread over
	// the grants and Periods quarters (a grant writes more than one in a
	// quarter, the second as notes of a conversation, when there are more
	// accounts than grants × quarters).
	Accounts int
	// Periods is the number of quarters, the last ending before Until.
	Periods int
	// Stories is the number of stories about people, in the accounts'
	// "what happened" sections.
	Stories int
	// Themes is the number of curated themes (at most 13); three more
	// are suggested or set aside, and tag nothing.
	Themes int
	// TagsPerAccount is how many sections of each account carry a theme.
	TagsPerAccount int
	Dialogues      int
	PanelMembers   int
	// Until is the first day after the last period; zero: the start of
	// the quarter in which the day 45 days ago fell, so that every
	// account was submitted, and most answered, before today.
	Until time.Time
}

// DefaultConfig is the fund of the benchmark.
func DefaultConfig() Config {
	return Config{Seed: 6, Grantees: 250, Accounts: 5000, Periods: 12, Stories: 1500, Themes: 12,
		TagsPerAccount: 3, Dialogues: 40, PanelMembers: 8}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, f := range []struct{ v, def *int }{{&c.Grantees, &d.Grantees}, {&c.Accounts, &d.Accounts},
		{&c.Periods, &d.Periods}, {&c.Stories, &d.Stories}, {&c.Themes, &d.Themes},
		{&c.TagsPerAccount, &d.TagsPerAccount}, {&c.Dialogues, &d.Dialogues}, {&c.PanelMembers, &d.PanelMembers}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if c.Seed == 0 {
		c.Seed = d.Seed
	}
	if c.Until.IsZero() {
		c.Until = quarterStart(time.Now().UTC().AddDate(0, 0, -45))
	}
	c.Until = time.Date(c.Until.Year(), c.Until.Month(), c.Until.Day(), 0, 0, 0, 0, time.UTC)
	return c
}

func (c Config) check() error {
	switch {
	case c.Grantees < 1 || c.Accounts < 1 || c.Periods < 1 || c.Stories < 0 || c.Dialogues < 0 || c.PanelMembers < 1:
		return errors.New("patterngen: Grantees, Accounts, Periods and PanelMembers must be positive, Stories and Dialogues not negative")
	case c.Themes < 1 || c.Themes > len(themeNames)-3:
		return fmt.Errorf("patterngen: Themes must be 1 to %d", len(themeNames)-3)
	case c.TagsPerAccount < 0 || c.TagsPerAccount > len(sectionKeys):
		return fmt.Errorf("patterngen: TagsPerAccount must be 0 to %d", len(sectionKeys))
	}
	return nil
}

func quarterStart(t time.Time) time.Time {
	return time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
}

// Fixture is what Generate made: ids to look with, and counts to check.
type Fixture struct {
	FundID, FunderOrgID, RoundID int64
	Stewards                     []int64
	LearningPartner              int64
	Panel                        []int64
	// GranteeOrgs, Grants and GranteeUsers are in step: the i-th member
	// belongs to the i-th organisation, which holds the i-th grant.
	GranteeOrgs, Grants, GranteeUsers []int64
	// Themes are the curated themes, which the tags use.
	Themes []int64

	// The people to look as, and an API token for each. Grantee is the
	// member of GranteeOrg, the organisation with the most accounts;
	// anonymous needs neither.
	Steward, Grantee, GranteeOrg, PanelMember int64
	Tokens                                    Tokens

	Periods []Period

	// Counts of what was written.
	Accounts          int // submitted grantee accounts
	Conversations     int // of which notes of a conversation, confirmed
	FunderReflections int // published
	Drafts            int // drafts and notes awaiting confirmation: never a source
	Sections          int // of submitted accounts and published reflections
	SectionsWithWords int
	Visibility        map[string]int // sections of submitted accounts by visibility
	Stories           int
	StoriesWithdrawn  int
	StoriesExpired    int // expired before Until
	AccountTags       int // on sections of submitted accounts
	ReflectionTags    int // on sections of published reflections
	DialogueTags      int
	Dialogues         int
	Participants      int

	// Steps say where Generate spent its time.
	Steps []Step
}

// Step is how long a step of Generate took.
type Step struct {
	Name string
	Took time.Duration
}

// Tokens are API tokens (Authorization: Bearer …) of the fixture's people.
type Tokens struct {
	Steward, Grantee, PanelMember, LearningPartner string
}

// Period is one quarter: Start to End, both included.
type Period struct{ Start, End time.Time }

// Generate writes a fund as cfg says and returns what it made. Run it on
// a migrated database; people's e-mail addresses carry the seed, so a
// second fund in the same database needs another seed.
func Generate(ctx context.Context, db *gorm.DB, cfg Config) (Fixture, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return Fixture{}, err
	}
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x68756d626c65)), fx: &Fixture{Visibility: map[string]int{}}}
	for p := cfg.Periods; p >= 1; p-- {
		start := cfg.Until.AddDate(0, -3*p, 0)
		g.fx.Periods = append(g.fx.Periods, Period{Start: start, End: start.AddDate(0, 3, -1)})
	}
	var stepsDone time.Time
	err := store.WithTx(ctx, db, func(ctx context.Context, tx *gorm.DB) error {
		pool, ok := tx.Statement.ConnPool.(execer)
		if !ok {
			return errors.New("patterngen: the transaction's connection cannot run queries directly")
		}
		g.c = pool
		for _, step := range []struct {
			name string
			run  func(context.Context) error
		}{{"people", g.people}, {"fund", g.fund}, {"roles", g.roles}, {"themes", g.themes}, {"accounts", g.writeAccounts},
			{"tags", g.tags}, {"dialogues", g.dialogues}} {
			began := time.Now()
			if err := step.run(ctx); err != nil {
				return err
			}
			g.fx.Steps = append(g.fx.Steps, Step{step.name, time.Since(began)})
		}
		stepsDone = time.Now()
		return nil
	})
	if err != nil {
		return Fixture{}, err
	}
	g.fx.Steps = append(g.fx.Steps, Step{"commit", time.Since(stepsDone)})
	began := time.Now()
	// Fresh statistics, as a fund that grew over years would have: the
	// planner sees the tables as they are.
	if err := db.WithContext(ctx).Exec(`ANALYZE users, organisations, organisation_members, funds, grants, casbin_rule,
		reflective_accounts, account_sections, account_stories, account_responses, themes, theme_tags,
		dialogues, dialogue_participants, dialogue_sources, dialogue_notes, dialogue_actions, dialogue_issues`).Error; err != nil {
		return Fixture{}, fmt.Errorf("patterngen: analyze: %w", err)
	}
	g.fx.Steps = append(g.fx.Steps, Step{"analyze", time.Since(began)})
	users := user.NewService(db, user.Settings{})
	for _, t := range []struct {
		id  int64
		out *string
	}{{g.fx.Steward, &g.fx.Tokens.Steward}, {g.fx.Grantee, &g.fx.Tokens.Grantee},
		{g.fx.PanelMember, &g.fx.Tokens.PanelMember}, {g.fx.LearningPartner, &g.fx.Tokens.LearningPartner}} {
		secret, _, err := users.CreateToken(ctx, t.id, user.NewToken{Name: "patterngen"})
		if err != nil {
			return Fixture{}, fmt.Errorf("patterngen: token: %w", err)
		}
		*t.out = secret
	}
	return *g.fx, nil
}

// execer is what a transaction's connection offers (gorm.ConnPool): plain
// database/sql calls, whose arguments pgx encodes, Go slices as arrays.
type execer interface {
	gorm.ConnPool
}

type gen struct {
	cfg Config
	rng *rand.Rand
	c   execer
	fx  *Fixture

	email string // the e-mail domain, with the seed
	// Who wrote what, by index into the fixture's lists.
	accounts []acct
	// sectionsWithWords of submitted accounts and published reflections,
	// by account index, for tags and dialogue sources.
	visibleKeys map[int][]sectionRef
	themeWeight [][]float64 // per period, per curated theme
}

type acct struct {
	id       int64
	grantee  int // index into GranteeOrgs; -1 for the funder's reflection
	period   int
	kind     string // grantee, funder
	mode     string // written, conversation
	status   string // the final status
	author   int64
	at       time.Time // submitted or published
	stories  int
	sections []section
}

type section struct {
	key, body, visibility string
}

type sectionRef struct {
	key        string
	visibility string
}

func (g *gen) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := g.c.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("patterngen: %s: %w", what, err)
	}
	return nil
}

// reserve takes n ids from table's identity sequence, so that rows can be
// linked before they are written (inserted with OVERRIDING SYSTEM VALUE).
func (g *gen) reserve(ctx context.Context, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if n == 0 {
		return ids, nil
	}
	rows, err := g.c.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	if err != nil {
		return nil, fmt.Errorf("patterngen: ids for %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// words joins one to max distinct sentences from list.
func (g *gen) words(list []string, max int) string {
	n := 1 + g.rng.IntN(max)
	idx := g.rng.Perm(len(list))[:min(n, len(list))]
	parts := make([]string, len(idx))
	for i, j := range idx {
		parts[i] = list[j]
	}
	return strings.Join(parts, " ")
}

// visibility: half for the funder and partner, a third for peers, the rest public.
func (g *gen) visibility() string {
	switch r := g.rng.Float64(); {
	case r < 0.50:
		return "funder_and_partner"
	case r < 0.85:
		return "peers"
	default:
		return "public"
	}
}

// people makes the users and organisations: the funder with two
// stewards, a learning partner, the panel, and the grantees.
func (g *gen) people(ctx context.Context) error {
	cfg := g.cfg
	g.email = fmt.Sprintf("s%d.patterns.example", cfg.Seed)
	n := 2 + 1 + cfg.PanelMembers + cfg.Grantees
	ids, err := g.reserve(ctx, "users", n)
	if err != nil {
		return err
	}
	emails, names := make([]string, 0, n), make([]string, 0, n)
	add := func(local, name string) {
		emails = append(emails, local+"@"+g.email)
		names = append(names, name)
	}
	add("steward1", "Sam Steward")
	add("steward2", "Priya Steward")
	add("partner", "Lee Learning-Partner")
	for i := range cfg.PanelMembers {
		add(fmt.Sprintf("panel%d", i+1), fmt.Sprintf("Panel member %d", i+1))
	}
	for i := range cfg.Grantees {
		add(fmt.Sprintf("grantee%d", i+1), fmt.Sprintf("Grantee %d", i+1))
	}
	// '!' is no password hash at all: nobody signs in with a password.
	if err := g.exec(ctx, "users", `INSERT INTO users (id, email, display_name, password_hash)
		OVERRIDING SYSTEM VALUE SELECT id, email, name, '!' FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t (id, email, name)`,
		ids, emails, names); err != nil {
		return err
	}
	g.fx.Stewards = ids[0:2]
	g.fx.LearningPartner = ids[2]
	g.fx.Panel = ids[3 : 3+cfg.PanelMembers]
	g.fx.GranteeUsers = ids[3+cfg.PanelMembers:]
	g.fx.Steward, g.fx.PanelMember = g.fx.Stewards[0], g.fx.Panel[0]

	orgIDs, err := g.reserve(ctx, "organisations", 1+cfg.Grantees)
	if err != nil {
		return err
	}
	orgNames, kinds := []string{"Patterns Community Foundation"}, []string{"funder"}
	places := []string{"Riverside", "Hillside", "Northfield", "Canal Side", "Old Town", "Brookmead", "Marsh Lane", "Station Road"}
	kindsOf := []string{"Tenants' Association", "Community Kitchen", "Youth Club", "Lunch Club", "Repair Café",
		"Welcome Group", "Allotment Society", "Carers' Circle", "Football Club", "Women's Group"}
	for i := range cfg.Grantees {
		orgNames = append(orgNames, fmt.Sprintf("%s %s %d", places[i%len(places)], kindsOf[(i/len(places))%len(kindsOf)], i+1))
		kinds = append(kinds, "applicant")
	}
	if err := g.exec(ctx, "organisations", `INSERT INTO organisations (id, name, kind)
		OVERRIDING SYSTEM VALUE SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])`, orgIDs, orgNames, kinds); err != nil {
		return err
	}
	g.fx.FunderOrgID = orgIDs[0]
	g.fx.GranteeOrgs = orgIDs[1:]
	memberOrgs := append([]int64{g.fx.FunderOrgID, g.fx.FunderOrgID}, g.fx.GranteeOrgs...)
	memberUsers := append(slices.Clone(g.fx.Stewards), g.fx.GranteeUsers...)
	return g.exec(ctx, "organisation members", `INSERT INTO organisation_members (organisation_id, user_id)
		SELECT * FROM unnest($1::bigint[], $2::bigint[])`, memberOrgs, memberUsers)
}

// fund makes the fund (active, exploring), a decided round with an
// application per grantee, and a grant from each.
func (g *gen) fund(ctx context.Context) error {
	cfg, fx := g.cfg, g.fx
	first, last := fx.Periods[0], fx.Periods[len(fx.Periods)-1]
	row := g.c.QueryRowContext(ctx, `INSERT INTO funds (organisation_id, name, purpose_flourishing, purpose_whom, purpose_where,
			budget_minor, currency, system_scale, stage, status, created_by, created_at, updated_at)
		VALUES ($1, 'Patterns Belonging Fund', 'belonging and connection', 'people who feel cut off from their neighbours',
			'the Patterns estates', $2, 'GBP', 'place', 'exploring', 'active', $3, $4, $4)
		RETURNING id`, fx.FunderOrgID, int64(cfg.Grantees)*1_000_000, fx.Steward, first.Start.AddDate(0, -4, 0))
	if err := row.Scan(&fx.FundID); err != nil {
		return fmt.Errorf("patterngen: fund: %w", err)
	}
	if err := g.exec(ctx, "principles", `INSERT INTO fund_principle_revisions (fund_id, revision, principles, note, created_by)
		VALUES ($1, 1, $2::jsonb, 'Written with the panel.', $3)`, fx.FundID,
		`["People who live with a problem understand it best: they decide where the money goes.",`+
			`"We fund learning: trying something and finding it does not work is useful."]`, fx.Steward); err != nil {
		return err
	}
	open := first.Start.AddDate(0, -3, 0)
	row = g.c.QueryRowContext(ctx, `INSERT INTO rounds (fund_id, name, budget_minor, applications_open_at, applications_close_at,
			voting_open_at, voting_close_at, method, rule, quorum, tie_break, state)
		VALUES ($1, 'First round', $2, $3, $3::timestamptz + interval '30 days', $3::timestamptz + interval '40 days',
			$3::timestamptz + interval '50 days', 'approval', 'greedy', 3, 'lower_cost', 'decided')
		RETURNING id`, fx.FundID, int64(cfg.Grantees)*1_000_000, open)
	if err := row.Scan(&fx.RoundID); err != nil {
		return fmt.Errorf("patterngen: round: %w", err)
	}
	appIDs, err := g.reserve(ctx, "applications", cfg.Grantees)
	if err != nil {
		return err
	}
	titles, amounts := make([]string, cfg.Grantees), make([]int64, cfg.Grantees)
	for i := range cfg.Grantees {
		titles[i] = g.pick([]string{"Shared meals", "A room of our own", "Neighbours meeting neighbours",
			"Young people running the evenings", "A welcome for newcomers", "Walking together", "Growing and cooking"})
		amounts[i] = int64(200_000 + 50_000*g.rng.IntN(12))
	}
	if err := g.exec(ctx, "applications", `INSERT INTO applications (id, round_id, fund_id, organisation_id, title, explore,
			with_whom, how_learn, amount_minor, budget_summary, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, $2, $3, org, title, 'Whether doing this together brings out people who never come to meetings.',
			'Neighbours on the estate, especially those living alone.', 'Conversations after each session, written up together.',
			amount, 'Room hire, food and people''s time.', $4, $4
		FROM unnest($1::bigint[], $5::bigint[], $6::text[], $7::bigint[]) AS t (id, org, title, amount)`,
		appIDs, fx.RoundID, fx.FundID, open.AddDate(0, 0, 10), fx.GranteeOrgs, titles, amounts); err != nil {
		return err
	}
	if fx.Grants, err = g.reserve(ctx, "grants", cfg.Grantees); err != nil {
		return err
	}
	if err := g.exec(ctx, "grants", `INSERT INTO grants (id, fund_id, round_id, application_id, organisation_id, title,
			amount_minor, starts_on, ends_on, created_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, $2, $3, app, org, title, amount, $7::date, $8::date, $7::date
		FROM unnest($1::bigint[], $4::bigint[], $5::bigint[], $6::text[], $9::bigint[]) AS t (id, app, org, title, amount)`,
		fx.Grants, fx.FundID, fx.RoundID, appIDs, fx.GranteeOrgs, titles, first.Start, last.End, amounts); err != nil {
		return err
	}
	chosen := make([]string, cfg.PanelMembers)
	for i := range chosen {
		chosen[i] = g.pick([]string{"invited", "nominated", "lottery"})
	}
	return g.exec(ctx, "panel", `INSERT INTO panel_members (fund_id, user_id, role, chosen_by, term_start)
		SELECT $1, u, 'member', c, $4 FROM unnest($2::bigint[], $3::text[]) AS t (u, c)`,
		fx.FundID, fx.Panel, chosen, open)
}

// roles writes the role assignments as authz.Authorizer.Assign does (a
// 'g' rule per person, announced on authz.Channel on commit).
func (g *gen) roles(ctx context.Context) error {
	fx := g.fx
	var subs, roles []string
	add := func(role authz.Role, ids ...int64) {
		for _, id := range ids {
			subs = append(subs, authz.Subject(id))
			roles = append(roles, string(role))
		}
	}
	add(authz.Steward, fx.Stewards...)
	add(authz.LearningPartner, fx.LearningPartner)
	add(authz.PanelMember, fx.Panel...)
	add(authz.Grantee, fx.GranteeUsers...)
	if err := g.exec(ctx, "roles", `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5)
		SELECT 'g', sub, role, $3, '', '', '' FROM unnest($1::text[], $2::text[]) AS t (sub, role)
		ON CONFLICT DO NOTHING`, subs, roles, authz.FundDomain(fx.FundID)); err != nil {
		return err
	}
	return g.exec(ctx, "notify", `SELECT pg_notify($1, sub) FROM unnest($2::text[]) AS sub`, authz.Channel, subs)
}

// themes: the curated ones, plus two suggested and one set aside. Each
// curated theme has a weight that drifts over the periods, so the pattern
// view has shapes to show.
func (g *gen) themes(ctx context.Context) error {
	cfg, fx := g.cfg, g.fx
	n := cfg.Themes + 3
	ids, err := g.reserve(ctx, "themes", n)
	if err != nil {
		return err
	}
	names, descs, statuses := make([]string, n), make([]string, n), make([]string, n)
	by := make([]int64, n)
	for i := range n {
		names[i], descs[i] = themeNames[i].name, themeNames[i].description
		statuses[i], by[i] = "curated", fx.Stewards[i%2]
		switch i - cfg.Themes {
		case 0, 1:
			statuses[i], by[i] = "suggested", fx.GranteeUsers[g.rng.IntN(len(fx.GranteeUsers))]
		case 2:
			statuses[i] = "set_aside"
		}
	}
	if err := g.exec(ctx, "themes", `INSERT INTO themes (id, fund_id, name, description, status, suggested_by, curated_by, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, $2, name, descr, status, by, CASE WHEN status = 'suggested' THEN NULL ELSE $6::bigint END, $7, $7
		FROM unnest($1::bigint[], $3::text[], $4::text[], $5::text[], $8::bigint[]) AS t (id, name, descr, status, by)`,
		ids, fx.FundID, names, descs, statuses, fx.Steward, fx.Periods[0].Start, by); err != nil {
		return err
	}
	fx.Themes = ids[:cfg.Themes]
	base := make([]float64, cfg.Themes)
	trend := make([]float64, cfg.Themes)
	for t := range cfg.Themes {
		base[t] = 1 / float64(t+1) // a few themes come up far more than others
		trend[t] = 2*g.rng.Float64() - 1
	}
	for p := range cfg.Periods {
		x := float64(p)/float64(max(1, cfg.Periods-1)) - 0.5
		w := make([]float64, cfg.Themes)
		for t := range w {
			w[t] = base[t] * max(0.05, 1+1.6*trend[t]*x)
		}
		g.themeWeight = append(g.themeWeight, w)
	}
	return nil
}

// theme picks a curated theme's index, weighted for the period.
func (g *gen) theme(period int) int {
	w := g.themeWeight[period]
	var sum float64
	for _, x := range w {
		sum += x
	}
	r := g.rng.Float64() * sum
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}
