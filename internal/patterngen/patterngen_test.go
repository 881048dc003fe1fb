package patterngen_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/patterngen"
	"github.com/humblehq/humble/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// small is a fund small enough for a test, big enough that some grants
// write two accounts in a quarter.
var small = patterngen.Config{Seed: 11, Grantees: 20, Accounts: 100, Periods: 4, Stories: 80, Themes: 5,
	TagsPerAccount: 3, Dialogues: 8, PanelMembers: 3, Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

func count(t *testing.T, db *gorm.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestGenerateWritesWhatItPromises(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	fx, err := patterngen.Generate(ctx, db, small)
	if err != nil {
		t.Fatal(err)
	}
	f := fx.FundID
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"the fund's submitted grantee accounts", count(t, db, `SELECT count(*) FROM reflective_accounts
			WHERE fund_id = ? AND kind = 'grantee' AND status = 'submitted'`, f), small.Accounts},
		{"the fixture's account count", fx.Accounts, small.Accounts},
		{"notes of conversations, confirmed", count(t, db, `SELECT count(*) FROM reflective_accounts
			WHERE fund_id = ? AND mode = 'conversation' AND status = 'submitted' AND confirmed_by IS NOT NULL`, f), 100 - 20*4},
		{"published funder reflections, one a quarter", count(t, db, `SELECT count(*) FROM reflective_accounts
			WHERE fund_id = ? AND kind = 'funder' AND status = 'published'`, f), small.Periods},
		{"drafts and notes awaiting confirmation", count(t, db, `SELECT count(*) FROM reflective_accounts
			WHERE fund_id = ? AND status IN ('draft', 'awaiting_confirmation') AND submitted_at IS NULL`, f), fx.Drafts},
		{"eight sections to every account", count(t, db, `SELECT count(*) FROM account_sections s
			JOIN reflective_accounts a ON a.id = s.account_id WHERE a.fund_id = ?`, f), 8 * (small.Accounts + small.Periods + fx.Drafts)},
		{"sections with words", count(t, db, `SELECT count(*) FROM account_sections s JOIN reflective_accounts a ON a.id = s.account_id
			WHERE a.fund_id = ? AND a.status IN ('submitted', 'published') AND s.body <> ''`, f), fx.SectionsWithWords},
		{"stories", count(t, db, `SELECT count(*) FROM account_stories st JOIN reflective_accounts a ON a.id = st.account_id
			WHERE a.fund_id = ?`, f), small.Stories},
		{"withdrawn stories", count(t, db, `SELECT count(*) FROM account_stories st JOIN reflective_accounts a ON a.id = st.account_id
			WHERE a.fund_id = ? AND st.withdrawn_at IS NOT NULL AND st.withdrawn_by IS NOT NULL`, f), fx.StoriesWithdrawn},
		{"expired stories", count(t, db, `SELECT count(*) FROM account_stories st JOIN reflective_accounts a ON a.id = st.account_id
			WHERE a.fund_id = ? AND st.expires_on < ?`, f, small.Until), fx.StoriesExpired},
		{"tags on submitted accounts", count(t, db, `SELECT count(*) FROM theme_tags tt JOIN reflective_accounts a ON a.id = tt.account_id
			WHERE tt.fund_id = ? AND a.kind = 'grantee' AND a.status = 'submitted'`, f), fx.AccountTags},
		{"tags on reflections", count(t, db, `SELECT count(*) FROM theme_tags tt JOIN reflective_accounts a ON a.id = tt.account_id
			WHERE tt.fund_id = ? AND a.kind = 'funder'`, f), fx.ReflectionTags},
		{"tags on dialogues", count(t, db, `SELECT count(*) FROM theme_tags WHERE fund_id = ? AND dialogue_id IS NOT NULL`, f), fx.DialogueTags},
		{"tags of another fund, or of no curated theme", count(t, db, `SELECT count(*) FROM theme_tags tt JOIN themes th ON th.id = tt.theme_id
			WHERE th.status <> 'curated' OR th.fund_id <> tt.fund_id OR tt.fund_id <> ?`, f), 0},
		{"tags on drafts", count(t, db, `SELECT count(*) FROM theme_tags tt JOIN reflective_accounts a ON a.id = tt.account_id
			WHERE a.status NOT IN ('submitted', 'published')`), 0},
		{"tags on sections with no words", count(t, db, `SELECT count(*) FROM theme_tags tt
			JOIN account_sections s ON s.account_id = tt.account_id AND s.key = tt.section_key
			WHERE s.body = '' AND NOT EXISTS (SELECT 1 FROM account_stories st WHERE st.account_id = s.account_id)`), 0},
		{"curated themes", count(t, db, `SELECT count(*) FROM themes WHERE fund_id = ? AND status = 'curated'`, f), small.Themes},
		{"dialogues", count(t, db, `SELECT count(*) FROM dialogues WHERE fund_id = ?`, f), small.Dialogues},
		{"dialogue participants", count(t, db, `SELECT count(*) FROM dialogue_participants p JOIN dialogues d ON d.id = p.dialogue_id
			WHERE d.fund_id = ?`, f), fx.Participants},
		{"dialogues without a convener or notes", count(t, db, `SELECT count(*) FROM dialogues d WHERE d.fund_id = ? AND (
			NOT EXISTS (SELECT 1 FROM dialogue_participants p WHERE p.dialogue_id = d.id AND p.status = 'convener')
			OR NOT EXISTS (SELECT 1 FROM dialogue_notes n WHERE n.dialogue_id = d.id))`, f), 0},
		{"grants", count(t, db, `SELECT count(*) FROM grants WHERE fund_id = ?`, f), small.Grantees},
		{"grantee members", count(t, db, `SELECT count(*) FROM organisation_members m JOIN grants g ON g.organisation_id = m.organisation_id
			WHERE g.fund_id = ?`, f), small.Grantees},
		{"panel seats", count(t, db, `SELECT count(*) FROM panel_members WHERE fund_id = ?`, f), small.PanelMembers},
		{"API tokens", count(t, db, `SELECT count(*) FROM api_tokens WHERE user_id IN (?, ?, ?, ?)`,
			fx.Steward, fx.Grantee, fx.PanelMember, fx.LearningPartner), 4},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	if fx.AccountTags < 2*small.Accounts || fx.AccountTags > small.TagsPerAccount*small.Accounts {
		t.Errorf("%d tags on %d accounts, want about %d each", fx.AccountTags, small.Accounts, small.TagsPerAccount)
	}
	if fx.StoriesWithdrawn == 0 || fx.StoriesExpired == 0 || fx.DialogueTags == 0 || fx.Conversations == 0 {
		t.Errorf("want some of each: withdrawn stories %d, expired %d, dialogue tags %d, conversations %d",
			fx.StoriesWithdrawn, fx.StoriesExpired, fx.DialogueTags, fx.Conversations)
	}
	total := 8 * small.Accounts
	for vis, share := range map[string][2]float64{"funder_and_partner": {0.40, 0.60}, "peers": {0.25, 0.45}, "public": {0.07, 0.25}} {
		got := count(t, db, `SELECT count(*) FROM account_sections s JOIN reflective_accounts a ON a.id = s.account_id
			WHERE a.fund_id = ? AND a.kind = 'grantee' AND a.status = 'submitted' AND s.visibility = ?`, f, vis)
		if got != fx.Visibility[vis] {
			t.Errorf("%s sections: %d, the fixture says %d", vis, got, fx.Visibility[vis])
		}
		if r := float64(got) / float64(total); r < share[0] || r > share[1] {
			t.Errorf("%s: %.0f%% of sections, want %.0f%% to %.0f%%", vis, 100*r, 100*share[0], 100*share[1])
		}
	}

	// The roles are where the authorizer reads them.
	az, err := authz.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	dom := authz.FundDomain(f)
	for _, r := range []struct {
		user int64
		role authz.Role
	}{{fx.Steward, authz.Steward}, {fx.Stewards[1], authz.Steward}, {fx.LearningPartner, authz.LearningPartner},
		{fx.PanelMember, authz.PanelMember}, {fx.Grantee, authz.Grantee}, {fx.GranteeUsers[len(fx.GranteeUsers)-1], authz.Grantee}} {
		if !slices.Contains(az.RolesIn(r.user, dom), r.role) {
			t.Errorf("user %d holds %v in %s, want %s", r.user, az.RolesIn(r.user, dom), dom, r.role)
		}
	}

	// What each viewer may read differs: the pattern view has something
	// to tell apart.
	visibleTags := func(v account.Viewer) int {
		return count(t, db, fmt.Sprintf(`SELECT count(*) FROM theme_tags tt JOIN (%s) vs
			ON vs.account_id = tt.account_id AND vs.section_key = tt.section_key`, account.VisibleSections), v.Args())
	}
	partner := visibleTags(account.Viewer{UserID: fx.Steward, FundID: f, Partner: true, Clearance: account.SeesPartner})
	grantee := visibleTags(account.Viewer{UserID: fx.Grantee, FundID: f, OwnOrgs: []int64{fx.GranteeOrg}, Clearance: account.SeesPeers})
	panel := visibleTags(account.Viewer{UserID: fx.PanelMember, FundID: f, Clearance: account.SeesPeers})
	public := visibleTags(account.Viewer{FundID: f, Clearance: account.SeesPublic})
	if !(partner > grantee && grantee > panel && panel > public && public > 0) {
		t.Errorf("visible account tags: partner %d, grantee %d, panel %d, public %d; want each fewer than the last", partner, grantee, panel, public)
	}
	if all := fx.AccountTags + fx.ReflectionTags; partner > all {
		t.Errorf("a partner sees %d tags of %d", partner, all)
	}
}

// The same Config writes the same fund.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	digest := func() string {
		db := pgtest.DB(t)
		fx, err := patterngen.Generate(ctx, db, small)
		if err != nil {
			t.Fatal(err)
		}
		var d string
		if err := db.Raw(`SELECT md5(string_agg(concat_ws('|', o.name, a.period_start, a.mode, a.submitted_at, s.key, s.visibility, s.body,
				(SELECT string_agg(th.name, ',' ORDER BY th.name) FROM theme_tags tt JOIN themes th ON th.id = tt.theme_id
				 WHERE tt.account_id = a.id AND tt.section_key = s.key),
				(SELECT string_agg(concat_ws('/', st.body, st.purposes, st.expires_on, st.withdrawn_at), ',' ORDER BY st.position)
				 FROM account_stories st WHERE st.account_id = a.id AND s.key = 'what_happened')),
				E'\n' ORDER BY a.id, s.key))
			FROM reflective_accounts a JOIN organisations o ON o.id = a.organisation_id
			JOIN account_sections s ON s.account_id = a.id WHERE a.fund_id = ?`, fx.FundID).Scan(&d).Error; err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two runs with one seed differ: %s and %s", a, b)
	}
}

// A small fund with many dialogues invites the same people again and
// again: each is still asked once per dialogue.
func TestGenerateCrowdedDialogues(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	cfg := patterngen.Config{Seed: 3, Grantees: 3, Accounts: 30, Periods: 4, Stories: 10, Themes: 3, Dialogues: 60, PanelMembers: 1}
	fx, err := patterngen.Generate(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, `SELECT count(*) FROM dialogue_participants`); got != fx.Participants || got < 2*cfg.Dialogues {
		t.Errorf("%d participants, the fixture says %d, want at least two a dialogue", got, fx.Participants)
	}
	if got := count(t, db, `SELECT count(*) FROM dialogues WHERE follows_up IS NOT NULL`); got == 0 {
		t.Error("no follow-ups")
	}
}
