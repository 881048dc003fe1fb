package authz

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/store"
	"github.com/humblehq/humble/policy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testLogger writes to the test's log, so warnings show up with the test.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newAuthorizer(t testing.TB, db *gorm.DB) *Authorizer {
	t.Helper()
	a, err := New(context.Background(), db, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// openPool opens a second, small pool on url, like another replica would.
func openPool(t testing.TB, url string) *gorm.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	store.SQL(db).SetMaxOpenConns(4)
	t.Cleanup(func() { _ = store.Close(db) })
	return db
}

// startRun runs a.Run until the test ends and waits until it listens.
func startRun(t testing.TB, a *Authorizer, url string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, url) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if _, ok := waitFor(10*time.Second, func() bool { return a.synced.Load() > 0 }); !ok {
		t.Fatal("Run did not start listening within 10 s")
	}
}

// waitFor polls cond until it holds or within has passed, and returns how
// long it took.
func waitFor(within time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > within {
			return time.Since(start), false
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func mustAssign(t testing.TB, a *Authorizer, userID int64, role Role, domain string) {
	t.Helper()
	if err := a.Assign(context.Background(), userID, role, domain); err != nil {
		t.Fatalf("Assign(%d, %s, %s): %v", userID, role, domain, err)
	}
}

func countRules(t testing.TB, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(`SELECT count(*) FROM casbin_rule WHERE ptype = 'g'`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The people of the decision table. Each holds one role in fund 1 only.
const (
	uAdmin int64 = iota + 1
	uSteward
	uChair
	uMember
	uGrantee
	uPartner
	uNobody // signed in, no role anywhere
	uOther  // another panel member, to own things the others do not
)

const (
	orgGrantee int64 = 10 // uGrantee's organisation
	orgNobody  int64 = 11 // uNobody's organisation
	orgOther   int64 = 12 // nobody's here
)

var (
	fund1 = FundDomain(1)
	fund2 = FundDomain(2)
)

func seedPeople(t testing.TB, a *Authorizer) {
	t.Helper()
	mustAssign(t, a, uAdmin, Admin, Installation)
	mustAssign(t, a, uSteward, Steward, fund1)
	mustAssign(t, a, uChair, PanelChair, fund1)
	mustAssign(t, a, uMember, PanelMember, fund1)
	mustAssign(t, a, uGrantee, Grantee, fund1)
	mustAssign(t, a, uPartner, LearningPartner, fund1)
	mustAssign(t, a, uOther, PanelMember, fund1)
}

func actorOf(userID int64) Actor {
	switch userID {
	case uGrantee:
		return Actor{UserID: userID, OrgIDs: []int64{orgGrantee}}
	case uNobody:
		return Actor{UserID: userID, OrgIDs: []int64{orgNobody}}
	}
	return Actor{UserID: userID}
}

var anonymous = Actor{}

func TestDecisions(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, pgtest.DB(t))
	seedPeople(t, a)

	in := func(kind, domain string) Resource { return Resource{Kind: kind, Domain: domain, ID: "1"} }
	ownedBy := func(kind, domain string, userID int64) Resource {
		return Resource{Kind: kind, Domain: domain, ID: "1", OwnerUserID: userID}
	}
	ofOrg := func(kind, domain string, orgID int64) Resource {
		return Resource{Kind: kind, Domain: domain, ID: "1", OwnerOrgID: orgID}
	}

	tests := []struct {
		name   string
		actor  Actor
		action string
		res    Resource
		want   bool
	}{
		// The public.
		{"anonymous reads an organisation", anonymous, "read", in("organisation", Installation), true},
		{"anonymous lists organisations", anonymous, "list", in("organisation", Installation), true},
		{"anonymous reads a fund", anonymous, "read", in("fund", fund1), true},
		{"anonymous reads a published decision", anonymous, "read", in("decision", fund1), true},
		{"anonymous cannot read an account, even one owned by nobody", anonymous, "read", ownedBy("account", Installation, 0), false},
		{"anonymous cannot create a token", anonymous, "create", ownedBy("token", Installation, 0), false},
		{"anonymous cannot apply", anonymous, "create", ofOrg("application", fund1, 0), false},
		{"anonymous cannot list audit events", anonymous, "list", in("audit_event", Installation), false},
		{"anonymous cannot read a ballot", anonymous, "read", ownedBy("ballot", fund1, 0), false},
		{"anonymous cannot create an invitation", anonymous, "create", in("invitation", Installation), false},
		{"anonymous cannot update a fund", anonymous, "update", in("fund", fund1), false},

		// Anyone signed in.
		{"user reads own account", actorOf(uNobody), "read", ownedBy("account", Installation, uNobody), true},
		{"user updates own account", actorOf(uNobody), "update", ownedBy("account", Installation, uNobody), true},
		{"user cannot read another's account", actorOf(uNobody), "read", ownedBy("account", Installation, uMember), false},
		{"user cannot update another's account", actorOf(uNobody), "update", ownedBy("account", Installation, uMember), false},
		{"user creates own token", actorOf(uNobody), "create", ownedBy("token", Installation, uNobody), true},
		{"user lists own tokens", actorOf(uNobody), "list", ownedBy("token", Installation, uNobody), true},
		{"user revokes own token", actorOf(uNobody), "revoke", ownedBy("token", Installation, uNobody), true},
		{"user cannot revoke another's token", actorOf(uNobody), "revoke", ownedBy("token", Installation, uMember), false},
		{"user reads public organisation info", actorOf(uNobody), "read", ofOrg("organisation", Installation, orgOther), true},
		{"user lists members of own organisation", actorOf(uNobody), "list_members", ofOrg("organisation", Installation, orgNobody), true},
		{"user cannot list members of another organisation", actorOf(uNobody), "list_members", ofOrg("organisation", Installation, orgOther), false},
		{"user applies for own organisation", actorOf(uNobody), "create", ofOrg("application", fund1, orgNobody), true},
		{"user cannot apply for another organisation", actorOf(uNobody), "create", ofOrg("application", fund1, orgOther), false},
		{"user cannot read another organisation's application", actorOf(uNobody), "read", ofOrg("application", fund1, orgGrantee), false},
		{"user without a role cannot list applications", actorOf(uNobody), "list", in("application", fund1), false},
		{"user cannot create an invitation", actorOf(uNobody), "create", in("invitation", Installation), false},
		{"user cannot list audit events", actorOf(uNobody), "list", in("audit_event", Installation), false},
		{"user cannot cast a ballot without a panel role", actorOf(uNobody), "cast", ownedBy("ballot", fund1, uNobody), false},

		// Administrator: the installation, not the funds.
		{"admin creates an invitation", actorOf(uAdmin), "create", in("invitation", Installation), true},
		{"admin creates an organisation", actorOf(uAdmin), "create", in("organisation", Installation), true},
		{"admin updates an organisation", actorOf(uAdmin), "update", in("organisation", Installation), true},
		{"admin adds an organisation member", actorOf(uAdmin), "add_member", in("organisation", Installation), true},
		{"admin lists every audit event", actorOf(uAdmin), "list", in("audit_event", Installation), true},
		{"admin assigns an installation role", actorOf(uAdmin), "assign", in("role", Installation), true},
		{"admin creates a fund", actorOf(uAdmin), "create", in("fund", Installation), true},
		{"admin reads own account", actorOf(uAdmin), "read", ownedBy("account", Installation, uAdmin), true},
		{"admin cannot assign roles inside a fund", actorOf(uAdmin), "assign", in("role", fund1), false},
		{"admin cannot list a fund's audit events as a fund role", actorOf(uAdmin), "list", in("audit_event", fund1), false},
		{"admin cannot read a panel member's ballot", actorOf(uAdmin), "read", ownedBy("ballot", fund1, uMember), false},
		{"admin cannot read applications", actorOf(uAdmin), "read", ofOrg("application", fund1, orgGrantee), false},
		{"admin cannot read reflective accounts", actorOf(uAdmin), "read", ofOrg("reflective_account", fund1, orgGrantee), false},
		{"admin cannot read unpublished decisions", actorOf(uAdmin), "read_unpublished", in("decision", fund1), false},
		{"admin cannot update another's account", actorOf(uAdmin), "update", ownedBy("account", Installation, uMember), false},
		{"admin updates a user", actorOf(uAdmin), "update", in("user", Installation), true},

		// Steward.
		{"steward lists the fund's audit events", actorOf(uSteward), "list", in("audit_event", fund1), true},
		{"steward assigns roles in the fund", actorOf(uSteward), "assign", in("role", fund1), true},
		{"steward creates a round", actorOf(uSteward), "create", in("round", fund1), true},
		{"steward reads an application", actorOf(uSteward), "read", ofOrg("application", fund1, orgGrantee), true},
		{"steward answers a reflective account", actorOf(uSteward), "create", in("response", fund1), true},
		{"steward cannot read a panel member's ballot", actorOf(uSteward), "read", ownedBy("ballot", fund1, uMember), false},
		{"steward cannot cast a ballot", actorOf(uSteward), "cast", ownedBy("ballot", fund1, uSteward), false},
		{"steward cannot record the panel's decision", actorOf(uSteward), "record", in("decision", fund1), false},
		{"steward cannot list all audit events", actorOf(uSteward), "list", in("audit_event", Installation), false},
		{"steward cannot assign installation roles", actorOf(uSteward), "assign", in("role", Installation), false},
		{"steward cannot list another fund's audit events", actorOf(uSteward), "list", in("audit_event", fund2), false},
		{"steward cannot assign roles in another fund", actorOf(uSteward), "assign", in("role", fund2), false},
		{"steward cannot create invitations", actorOf(uSteward), "create", in("invitation", Installation), false},

		// Panel chair.
		{"chair opens voting", actorOf(uChair), "open_voting", in("round", fund1), true},
		{"chair records the decision", actorOf(uChair), "record", in("decision", fund1), true},
		{"chair casts own ballot", actorOf(uChair), "cast", ownedBy("ballot", fund1, uChair), true},
		{"chair cannot read another member's ballot", actorOf(uChair), "read", ownedBy("ballot", fund1, uMember), false},
		{"chair cannot open voting in another fund", actorOf(uChair), "open_voting", in("round", fund2), false},
		{"chair cannot publish the decision", actorOf(uChair), "publish", in("decision", fund1), false},

		// Panel member.
		{"member casts own ballot", actorOf(uMember), "cast", ownedBy("ballot", fund1, uMember), true},
		{"member reads own ballot", actorOf(uMember), "read", ownedBy("ballot", fund1, uMember), true},
		{"member cannot cast another's ballot", actorOf(uMember), "cast", ownedBy("ballot", fund1, uOther), false},
		{"member cannot read another's ballot", actorOf(uMember), "read", ownedBy("ballot", fund1, uOther), false},
		{"member declares own conflict of interest", actorOf(uMember), "create", ownedBy("declaration", fund1, uMember), true},
		{"member cannot change another's declaration", actorOf(uMember), "update", ownedBy("declaration", fund1, uOther), false},
		{"member edits own comment", actorOf(uMember), "update", ownedBy("comment", fund1, uMember), true},
		{"member cannot edit another's comment", actorOf(uMember), "update", ownedBy("comment", fund1, uOther), false},
		{"member reads applications", actorOf(uMember), "read", ofOrg("application", fund1, orgGrantee), true},
		{"member cannot open voting", actorOf(uMember), "open_voting", in("round", fund1), false},
		{"member cannot read applications in another fund", actorOf(uMember), "read", ofOrg("application", fund2, orgGrantee), false},
		{"member cannot cast a ballot in another fund", actorOf(uMember), "cast", ownedBy("ballot", fund2, uMember), false},

		// Grantee.
		{"grantee reads own organisation's agreement", actorOf(uGrantee), "read", ofOrg("agreement", fund1, orgGrantee), true},
		{"grantee signs own organisation's agreement", actorOf(uGrantee), "sign", ofOrg("agreement", fund1, orgGrantee), true},
		{"grantee cannot read another organisation's agreement", actorOf(uGrantee), "read", ofOrg("agreement", fund1, orgOther), false},
		{"grantee submits own organisation's reflective account", actorOf(uGrantee), "submit", ofOrg("reflective_account", fund1, orgGrantee), true},
		{"grantee cannot submit another organisation's account", actorOf(uGrantee), "submit", ofOrg("reflective_account", fund1, orgOther), false},
		{"grantee reads own grant's details", actorOf(uGrantee), "read_details", ofOrg("grant", fund1, orgGrantee), true},
		{"grantee cannot read another grant's details", actorOf(uGrantee), "read_details", ofOrg("grant", fund1, orgOther), false},
		{"grantee reads own organisation's application", actorOf(uGrantee), "read", ofOrg("application", fund1, orgGrantee), true},
		{"grantee cannot list all applications", actorOf(uGrantee), "list", in("application", fund1), false},
		{"grantee convenes a dialogue", actorOf(uGrantee), "create", in("dialogue", fund1), true},
		{"grantee cannot read own agreement in a fund they hold no role in", actorOf(uGrantee), "read", ofOrg("agreement", fund2, orgGrantee), false},
		{"grantee cannot cast a ballot", actorOf(uGrantee), "cast", ownedBy("ballot", fund1, uGrantee), false},

		// Learning partner.
		{"partner reads any reflective account in the fund", actorOf(uPartner), "read", ofOrg("reflective_account", fund1, orgGrantee), true},
		{"partner reads the fund's patterns", actorOf(uPartner), "read", in("pattern", fund1), true},
		{"partner cannot read reflective accounts in another fund", actorOf(uPartner), "read", ofOrg("reflective_account", fund2, orgGrantee), false},
		{"partner cannot cast a ballot", actorOf(uPartner), "cast", ownedBy("ballot", fund1, uPartner), false},
		{"partner cannot update an agreement", actorOf(uPartner), "update", ofOrg("agreement", fund1, orgGrantee), false},

		// Malformed requests are denied, never guessed at.
		{"a pattern as domain is denied", actorOf(uSteward), "list", in("audit_event", "fund:*"), false},
		{"an empty domain is denied", actorOf(uAdmin), "create", in("invitation", ""), false},
		{"a non-canonical fund domain is denied", actorOf(uSteward), "list", in("audit_event", "fund:01"), false},
		{"an unknown action is denied", actorOf(uAdmin), "obliterate", in("organisation", Installation), false},
		{"an unknown kind is denied", actorOf(uAdmin), "create", in("spaceship", Installation), false},
		{"an empty kind is denied", actorOf(uAdmin), "create", in("", Installation), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Can(tc.actor, tc.action, tc.res)
			if got := err == nil; got != tc.want {
				t.Fatalf("Can(%+v, %q, %+v) = %v, want allowed=%v", tc.actor, tc.action, tc.res, err, tc.want)
			}
			if err != nil && !errors.Is(err, ErrForbidden) {
				t.Fatalf("denial %v does not wrap ErrForbidden", err)
			}
			if got := a.Allowed(tc.actor, tc.action, tc.res); got != tc.want {
				t.Fatalf("Allowed = %v, Can = %v", got, err)
			}
		})
	}
}

// resourceFor makes a resource of the rule's object in domain whose owner
// satisfies the rule's scope for actor.
func resourceFor(rule []string, domain string, actor Actor) Resource {
	res := Resource{Kind: rule[2], Domain: domain, ID: "x"}
	switch rule[4] {
	case ScopeOwnOrg:
		if len(actor.OrgIDs) > 0 {
			res.OwnerOrgID = actor.OrgIDs[0]
		}
	case ScopeSelf:
		res.OwnerUserID = actor.UserID
	}
	return res
}

// TestEveryFundRuleStaysInItsFund walks every line of policy.csv granted to
// a fund role: the holder of that role in fund 1 may do it in fund 1; in
// fund 2, and for the administrator, it is allowed only if a person holding
// no role at all would be allowed too (through public or user lines).
func TestEveryFundRuleStaysInItsFund(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, pgtest.DB(t))
	seedPeople(t, a)
	holder := map[string]int64{
		string(Steward): uSteward, string(PanelChair): uChair, string(PanelMember): uMember,
		string(Grantee): uGrantee, string(LearningPartner): uPartner,
	}
	checked := 0
	for _, rule := range a.policy.rules {
		uid, ok := holder[rule[0]]
		if !ok {
			continue
		}
		checked++
		name := strings.Join(rule, " ")
		actor := actorOf(uid)
		if err := a.Can(actor, rule[3], resourceFor(rule, fund1, actor)); err != nil {
			t.Errorf("%s: denied in fund 1: %v", name, err)
		}
		// Someone with the same organisations and ownership, but no role.
		nobody := Actor{UserID: 999, OrgIDs: actor.OrgIDs}
		inFund2 := resourceFor(rule, fund2, actor)
		res2 := resourceFor(rule, fund2, nobody)
		if got, want := a.Allowed(actor, rule[3], inFund2), a.Allowed(nobody, rule[3], res2); got != want {
			t.Errorf("%s: in fund 2 allowed=%v, but a person with no role gets %v", name, got, want)
		}
		admin := Actor{UserID: uAdmin, OrgIDs: actor.OrgIDs}
		resAdmin := resourceFor(rule, fund1, admin)
		resNobody := resourceFor(rule, fund1, nobody)
		if got, want := a.Allowed(admin, rule[3], resAdmin), a.Allowed(nobody, rule[3], resNobody); got != want {
			t.Errorf("%s: admin in fund 1 allowed=%v, but a person with no role gets %v", name, got, want)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d fund rules checked; is policy.csv loaded?", checked)
	}
}

// TestAnonymousOnlyPublic checks every (object, action) the policy knows:
// anonymous is allowed exactly where a public line says so.
func TestAnonymousOnlyPublic(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, pgtest.DB(t))
	seedPeople(t, a)
	public := map[[3]string]bool{}
	for _, r := range a.policy.rules {
		if r[0] == rolePublic {
			public[[3]string{r[1], r[2], r[3]}] = true
		}
	}
	for _, r := range a.policy.rules {
		for _, dom := range []string{Installation, fund1} {
			res := Resource{Kind: r[2], Domain: dom, OwnerOrgID: orgGrantee, OwnerUserID: uMember}
			pdom := "fund:*"
			if dom == Installation {
				pdom = Installation
			}
			want := public[[3]string{pdom, r[2], r[3]}] || public[[3]string{"*", r[2], r[3]}]
			if got := a.Allowed(anonymous, r[3], res); got != want {
				t.Errorf("anonymous %s %s in %s: allowed=%v, want %v", r[3], r[2], dom, got, want)
			}
		}
	}
}

// TestPartitionedPolicyMatchesWholePolicy checks that splitting the policy
// by (object, action, scope) is only an index: for every request built from
// the policy's own vocabulary, one casbin enforcer holding the whole policy
// decides the same.
func TestPartitionedPolicyMatchesWholePolicy(t *testing.T) {
	t.Parallel()
	held := map[string]bool{ // subject|role|domain
		"user:1|admin|installation":      true,
		"user:2|steward|fund:1":          true,
		"user:3|panel_chair|fund:1":      true,
		"user:4|grantee|fund:2":          true,
		"user:5|learning_partner|fund:1": true,
		"user:6|panel_member|fund:2":     true,
	}
	hasRole := func(sub, role, dom string) bool { return held[sub+"|"+role+"|"+dom] }
	parts, err := compilePolicy(hasRole)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := newEnforcer(parts.rules, hasRole)
	if err != nil {
		t.Fatal(err)
	}
	// Every (object, action) of the policy, plus pairs no line has: a
	// request outside the policy's vocabulary must be denied both ways.
	pairs := map[[2]string]bool{{"nothing", "read"}: true, {"ballot", "nothing"}: true, {"ballot", "update"}: true}
	for _, r := range parts.rules {
		pairs[[2]string{r[2], r[3]}] = true
	}
	subs := []string{Anonymous, "user:1", "user:2", "user:3", "user:4", "user:5", "user:6", "user:7"}
	doms := []string{Installation, "fund:1", "fund:2"}
	n, allowed := 0, 0
	for pair := range pairs {
		obj, act := pair[0], pair[1]
		{
			for _, scope := range []string{ScopeAny, ScopeOwnOrg, ScopeSelf} {
				for _, sub := range subs {
					for _, dom := range doms {
						got, err1 := parts.enforce(sub, dom, obj, act, scope)
						want, err2 := whole.Enforce(sub, dom, obj, act, scope)
						if err1 != nil || err2 != nil {
							t.Fatalf("errors: %v, %v", err1, err2)
						}
						if got != want {
							t.Errorf("%s %s %s %s %s: partitioned %v, whole %v", sub, dom, obj, act, scope, got, want)
						}
						n++
						if got {
							allowed++
						}
					}
				}
			}
		}
	}
	t.Logf("%d requests compared, %d allowed", n, allowed)
	if allowed == 0 {
		t.Fatal("nothing was allowed: the comparison proves nothing")
	}
}

func TestEmbeddedPolicyIsValid(t *testing.T) {
	t.Parallel()
	rules, err := parsePolicyCSV(policy.CSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 100 {
		t.Fatalf("only %d rules", len(rules))
	}
}

func TestPolicyCheckerRejectsMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, line, want string }{
		{"unknown role", "p, stewrad, fund:*, fund, update, any", "unknown role"},
		{"unknown scope", "p, steward, fund:*, fund, update, own", "scope must be"},
		{"admin in funds", "p, admin, fund:*, ballot, read, any", "admin is held in installation"},
		{"fund role in installation", "p, steward, installation, user, list, any", "held in funds only"},
		{"public with ownership", "p, public, installation, account, read, self", "public has no identity"},
		{"trailing comment", "p, steward, fund:*, fund, update, any # note", "scope must be"},
		{"role assignment in the csv", "g, user:1, admin, installation", "only p lines"},
		{"wrong field count", "p, steward, fund:*, fund, update", "rule size"},
		{"odd domain", "p, steward, fund:1, fund, update, any", "domain must be"},
		{"not lower_snake", "p, steward, fund:*, Fund, update, any", "lower_snake"},
		{"duplicate", "p, steward, fund:*, fund, update, any\np, steward, fund:*, fund, update, any", "duplicate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePolicyCSV(tc.line)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestForbiddenSaysWhy(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, pgtest.DB(t))
	err := a.Can(Actor{UserID: 42, OrgIDs: []int64{3}}, "read", Resource{Kind: "ballot", Domain: fund1, ID: "b9", OwnerUserID: 42})
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"user:42", "read", "ballot", `"b9"`, "fund:1", "any, self"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %s", err, want)
		}
	}
}

func TestAssignRejectsRolesOutOfPlace(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	a := newAuthorizer(t, db)
	tests := []struct {
		name   string
		userID int64
		role   Role
		domain string
	}{
		{"admin in a fund", 1, Admin, fund1},
		{"steward in the installation", 1, Steward, Installation},
		{"unknown role", 1, Role("overlord"), fund1},
		{"pseudo-role public", 1, Role("public"), fund1},
		{"pseudo-role user", 1, Role("user"), Installation},
		{"pattern domain", 1, PanelMember, "fund:*"},
		{"anonymous", 0, PanelMember, fund1},
		{"negative user", -3, PanelMember, fund1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.Assign(context.Background(), tc.userID, tc.role, tc.domain); !errors.Is(err, ErrInvalidAssignment) {
				t.Fatalf("Assign: got %v, want ErrInvalidAssignment", err)
			}
			if err := a.Revoke(context.Background(), tc.userID, tc.role, tc.domain); !errors.Is(err, ErrInvalidAssignment) {
				t.Fatalf("Revoke: got %v, want ErrInvalidAssignment", err)
			}
		})
	}
	if n := countRules(t, db); n != 0 {
		t.Fatalf("%d rules written", n)
	}
}

func TestAssignTwiceIsIdempotent(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	a := newAuthorizer(t, db)
	mustAssign(t, a, 7, PanelMember, fund1)
	mustAssign(t, a, 7, PanelMember, fund1)
	if n := countRules(t, db); n != 1 {
		t.Fatalf("%d rows after assigning twice, want 1", n)
	}
	if got := a.RolesIn(7, fund1); !slices.Equal(got, []Role{PanelMember}) {
		t.Fatalf("RolesIn = %v", got)
	}
	for range 2 {
		if err := a.Revoke(context.Background(), 7, PanelMember, fund1); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
	}
	if n := countRules(t, db); n != 0 {
		t.Fatalf("%d rows after revoking, want 0", n)
	}
	if got := a.RolesIn(7, fund1); len(got) != 0 {
		t.Fatalf("RolesIn after revoke = %v", got)
	}
}

func TestRolesInAndDomainsOf(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, pgtest.DB(t))
	mustAssign(t, a, 5, PanelMember, FundDomain(10))
	mustAssign(t, a, 5, PanelChair, FundDomain(10))
	mustAssign(t, a, 5, Grantee, FundDomain(9))
	mustAssign(t, a, 5, Admin, Installation)
	mustAssign(t, a, 6, Steward, FundDomain(9))

	if got, want := a.RolesIn(5, FundDomain(10)), []Role{PanelChair, PanelMember}; !slices.Equal(got, want) {
		t.Errorf("RolesIn(5, fund 10) = %v, want %v", got, want)
	}
	if got := a.RolesIn(5, FundDomain(11)); len(got) != 0 {
		t.Errorf("RolesIn(5, fund 11) = %v, want none", got)
	}
	if got, want := a.DomainsOf(5), []string{Installation, FundDomain(9), FundDomain(10)}; !slices.Equal(got, want) {
		t.Errorf("DomainsOf(5) = %v, want %v", got, want)
	}
	if got := a.DomainsOf(7); len(got) != 0 {
		t.Errorf("DomainsOf(7) = %v, want none", got)
	}
}

// TestReloadReadsTheTable covers changes made behind the Authorizer's back
// (by hand, by a restore): Reload finds them, and p lines in the table are
// never enforced, because policy.csv is the policy.
func TestReloadReadsTheTable(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	a := newAuthorizer(t, db)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('g', 'user:8', 'steward', 'fund:3', '', '', '')`,
		`INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('p', 'public', '*', 'ballot', 'read', 'any', '')`,
		`INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('g', 'group:x', 'steward', 'fund:3', '', '', '')`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	steward := Actor{UserID: 8}
	if a.Allowed(steward, "assign", Resource{Kind: "role", Domain: FundDomain(3)}) {
		t.Fatal("allowed before Reload: the role was never loaded, so how?")
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if !a.Allowed(steward, "assign", Resource{Kind: "role", Domain: FundDomain(3)}) {
		t.Fatal("the role inserted by hand is not enforced after Reload")
	}
	if a.Allowed(anonymous, "read", Resource{Kind: "ballot", Domain: FundDomain(3)}) {
		t.Fatal("a p line from the database was enforced")
	}
}

// TestReplicasStayInSync runs two Authorizers on the same database, each with
// its own pool and its own Run, like two replicas.
func TestReplicasStayInSync(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	dbA, dbB := openPool(t, url), openPool(t, url)
	a, b := newAuthorizer(t, dbA), newAuthorizer(t, dbB)
	startRun(t, a, url)
	startRun(t, b, url)
	ctx := context.Background()

	member := Actor{UserID: 21}
	ballot := Resource{Kind: "ballot", Domain: fund1, OwnerUserID: 21}
	canVote := func(x *Authorizer) func() bool { return func() bool { return x.Allowed(member, "cast", ballot) } }
	cannotVote := func(x *Authorizer) func() bool { return func() bool { return !x.Allowed(member, "cast", ballot) } }

	t.Run("assign is seen at once by its own replica and within 1 s by the other", func(t *testing.T) {
		mustAssign(t, a, 21, PanelMember, fund1)
		if !canVote(a)() {
			t.Fatal("the replica that assigned does not see it after Assign returned")
		}
		d, ok := waitFor(time.Second, canVote(b))
		if !ok {
			t.Fatalf("not seen by the other replica within %v", d)
		}
		t.Logf("assign seen by the other replica after %v", d)
	})

	t.Run("revoke likewise", func(t *testing.T) {
		if err := a.Revoke(ctx, 21, PanelMember, fund1); err != nil {
			t.Fatal(err)
		}
		if !cannotVote(a)() {
			t.Fatal("the replica that revoked still allows it")
		}
		d, ok := waitFor(time.Second, cannotVote(b))
		if !ok {
			t.Fatalf("revoke not seen by the other replica within %v", d)
		}
		t.Logf("revoke seen by the other replica after %v", d)
	})

	t.Run("assign in a caller's transaction is seen by both after commit", func(t *testing.T) {
		err := store.WithTx(ctx, dbB, func(ctx context.Context, _ *gorm.DB) error {
			if err := b.Assign(ctx, 21, PanelMember, fund1); err != nil {
				return err
			}
			// Not committed yet: nobody may see it.
			time.Sleep(50 * time.Millisecond)
			if canVote(a)() || canVote(b)() {
				t.Error("an uncommitted assignment is enforced")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for name, x := range map[string]*Authorizer{"own": b, "other": a} {
			d, ok := waitFor(time.Second, canVote(x))
			if !ok {
				t.Fatalf("%s replica: not seen within %v of commit", name, d)
			}
			t.Logf("%s replica saw the committed assignment after %v", name, d)
		}
	})

	t.Run("assign in a transaction that rolls back is never seen", func(t *testing.T) {
		rollback := errors.New("changed my mind")
		err := store.WithTx(ctx, dbA, func(ctx context.Context, _ *gorm.DB) error {
			if err := a.Assign(ctx, 22, Steward, fund1); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("WithTx: %v", err)
		}
		steward := Actor{UserID: 22}
		assignRoles := Resource{Kind: "role", Domain: fund1}
		seen := func() bool {
			return a.Allowed(steward, "assign", assignRoles) || b.Allowed(steward, "assign", assignRoles)
		}
		if d, ok := waitFor(500*time.Millisecond, seen); ok {
			t.Fatalf("a rolled-back assignment was enforced after %v", d)
		}
		for _, x := range []*Authorizer{a, b} {
			if err := x.Reload(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if seen() {
			t.Fatal("a rolled-back assignment was enforced after a full reload")
		}
		var n int64
		if err := dbA.Raw(`SELECT count(*) FROM casbin_rule WHERE v0 = 'user:22'`).Scan(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d rows, %v", n, err)
		}
	})
}

// TestListenerReconnects kills the listening connection: the replica must
// reconnect and catch up with the changes it missed.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	dbA, dbB := openPool(t, url), openPool(t, url)
	a := newAuthorizer(t, dbA)
	b := newAuthorizer(t, dbB)
	b.log = slog.New(slog.NewTextHandler(io.Discard, nil)) // the disconnection warning is expected
	startRun(t, b, url)
	before := b.synced.Load()

	if err := dbA.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'humble authz listener' AND datname = current_database()`).Error; err != nil {
		t.Fatal(err)
	}
	// Made while b may still be disconnected: its notification can be lost.
	mustAssign(t, a, 31, Steward, fund2)
	d, ok := waitFor(10*time.Second, func() bool {
		return b.Allowed(Actor{UserID: 31}, "assign", Resource{Kind: "role", Domain: fund2})
	})
	if !ok {
		t.Fatal("the change was not seen after the listener's connection was killed")
	}
	if _, ok := waitFor(10*time.Second, func() bool { return b.synced.Load() > before }); !ok {
		t.Fatal("the listener did not reconnect")
	}
	t.Logf("seen %v after the listener was killed", d)
}

// TestListenerSurvivesQuietPeriods makes the listener time out and ping many
// times: the connection must stay usable (no reconnection) and keep
// delivering changes.
func TestListenerSurvivesQuietPeriods(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	dbA, dbB := openPool(t, url), openPool(t, url)
	a, b := newAuthorizer(t, dbA), newAuthorizer(t, dbB)
	b.pingEvery = 5 * time.Millisecond
	startRun(t, b, url)
	before := b.synced.Load()
	time.Sleep(100 * time.Millisecond) // many timeouts and pings
	mustAssign(t, a, 41, Grantee, fund1)
	d, ok := waitFor(time.Second, func() bool { return slices.Equal(b.RolesIn(41, fund1), []Role{Grantee}) })
	if !ok {
		t.Fatal("change not seen after quiet periods")
	}
	if got := b.synced.Load(); got != before {
		t.Fatalf("the listener reconnected %d times", got-before)
	}
	t.Logf("seen after %v", d)
}

func TestRunTwiceIsRefused(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	a := newAuthorizer(t, openPool(t, url))
	startRun(t, a, url)
	if err := a.Run(context.Background(), url); err == nil {
		t.Fatal("a second Run was accepted")
	}
}

// TestConcurrentUse exercises Can, Assign, Revoke and Reload together, for
// the race detector.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := openPool(t, url)
	a := newAuthorizer(t, db)
	a.ReloadInterval = 20 * time.Millisecond
	startRun(t, a, url)
	ctx := context.Background()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				uid := int64(100 + (i+r)%10)
				_ = a.Can(Actor{UserID: uid}, "cast", Resource{Kind: "ballot", Domain: fund1, OwnerUserID: uid})
				_ = a.RolesIn(uid, fund1)
				_ = a.DomainsOf(uid)
				time.Sleep(20 * time.Microsecond) // leave the writers some CPU
			}
		})
	}
	for i := range 40 {
		uid := int64(100 + i%10)
		var err error
		if i%3 == 2 {
			err = a.Revoke(ctx, uid, PanelMember, fund1)
		} else {
			err = a.Assign(ctx, uid, PanelMember, fund1)
		}
		if err != nil {
			t.Error(err)
		}
		if i%10 == 0 {
			if err := a.Reload(ctx); err != nil {
				t.Error(err)
			}
		}
	}
	close(stop)
	wg.Wait()

	// Whatever the interleaving, memory ends equal to the table.
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for uid := int64(100); uid < 110; uid++ {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM casbin_rule WHERE ptype = 'g' AND v0 = ?`, Subject(uid)).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if got := len(a.RolesIn(uid, fund1)); int64(got) != n {
			t.Errorf("user %d: %d roles in memory, %d in the table", uid, got, n)
		}
	}
}

func TestOverlayFoldsIntoBase(t *testing.T) {
	t.Parallel()
	ix := &roleIndex{base: map[int64][]grant{1: {{fund1, Steward}}}}
	const last = maxOverlay + 101
	for first := int64(2); first <= last; first += 100 {
		var users []int64
		fresh := map[int64][]grant{}
		for u := first; u < first+100 && u <= last; u++ {
			users = append(users, u)
			fresh[u] = []grant{{fund1, PanelMember}}
		}
		ix = ix.with(users, fresh)
	}
	ix = ix.with([]int64{1}, nil) // user 1 lost every role
	if len(ix.overlay) > maxOverlay {
		t.Fatalf("overlay grew to %d", len(ix.overlay))
	}
	if ix.has(1, Steward, fund1) {
		t.Fatal("user 1 still holds a revoked role")
	}
	for u := int64(2); u <= last; u++ {
		if !ix.has(u, PanelMember, fund1) {
			t.Fatalf("user %d lost a role in the fold", u)
		}
	}
}
