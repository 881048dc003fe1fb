// Package authz decides who may do what in Humble, with casbin.
//
// The model and the base policy (which role may do which action on which
// kind of object, with which ownership scope) are embedded from policy/ and
// reviewed in git. Role assignments ("user 7 is a panel member in fund 3")
// are data: they live in PostgreSQL in casbin_rule, written through
// gorm-adapter inside the caller's transaction, and every replica keeps an
// in-memory copy that it refreshes on a NOTIFY and reloads in full
// periodically (see Run).
//
// Resource rules that a role alone cannot express (a recused panel member
// sees only an application's title; a secret ballot is never shown) are the
// caller's to check next to Can.
package authz

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Installation is the domain of installation-wide roles and objects
// (accounts, organisations, settings, the whole audit log).
const Installation = "installation"

// fundPrefix starts every fund's domain.
const fundPrefix = "fund:"

// FundDomain is the domain of one fund: roles held there apply to it only.
func FundDomain(fundID int64) string {
	return fundPrefix + strconv.FormatInt(fundID, 10)
}

// ParseFundDomain returns the fund id of a domain made by FundDomain.
func ParseFundDomain(domain string) (int64, bool) {
	rest, ok := strings.CutPrefix(domain, fundPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return 0, false
	}
	return id, true
}

// validDomain accepts only the domains that FundDomain and Installation
// make, so that a pattern such as "fund:*" arriving in a request can never
// match a policy line by accident.
func validDomain(domain string) bool {
	if domain == Installation {
		return true
	}
	_, ok := ParseFundDomain(domain)
	return ok
}

// Role is a role held by a user in a domain.
type Role string

// The roles that can be assigned. Admin is held in Installation only; the
// others in a fund's domain only.
const (
	Admin           Role = "admin"
	Steward         Role = "steward"
	PanelChair      Role = "panel_chair"
	PanelMember     Role = "panel_member"
	Grantee         Role = "grantee"
	LearningPartner Role = "learning_partner"
)

// allRoles lists every assignable role.
var allRoles = []Role{Admin, Steward, PanelChair, PanelMember, Grantee, LearningPartner}

// Pseudo-roles of the policy. Nobody is assigned them: "public" holds for
// every request, "user" for every signed-in actor (see policy/model.conf).
const (
	rolePublic = "public"
	roleUser   = "user"
)

// Ownership scopes of policy lines.
const (
	ScopeAny    = "any"
	ScopeOwnOrg = "own_org"
	ScopeSelf   = "self"
)

// Anonymous is the subject of a visitor who is not signed in.
const Anonymous = "anonymous"

// Subject is the casbin subject of a user ("user:<id>"), or Anonymous for 0.
func Subject(userID int64) string {
	if userID <= 0 {
		return Anonymous
	}
	return "user:" + strconv.FormatInt(userID, 10)
}

// parseSubject is Subject's inverse for signed-in users.
func parseSubject(sub string) (int64, bool) {
	rest, ok := strings.CutPrefix(sub, "user:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// Actor is who is asking. UserID 0 is the anonymous visitor; OrgIDs are the
// organisations the user is a member of (for the own_org scope).
type Actor struct {
	UserID int64
	OrgIDs []int64
}

// Resource is what is asked about: its kind (the policy's object, e.g.
// "application"), the domain it lives in (Installation or a FundDomain),
// its id (for log messages) and who owns it, if anyone (for the own_org and
// self scopes; 0 = nobody).
type Resource struct {
	Kind        string
	Domain      string
	ID          string
	OwnerOrgID  int64
	OwnerUserID int64
}

// ErrForbidden is returned (wrapped, with the reason) when a request is
// denied.
var ErrForbidden = errors.New("forbidden")

// ErrInvalidAssignment is returned by Assign and Revoke for a role that
// cannot be held in the given domain, or an invalid user.
var ErrInvalidAssignment = errors.New("invalid role assignment")

// DefaultReloadInterval is how often Run reloads every role assignment, as
// a safety net behind the notifications.
const DefaultReloadInterval = 30 * time.Second

// Authorizer answers authorization questions from an in-memory copy of the
// policy and the role assignments. It is safe for concurrent use; its
// decisions never wait for a reload or for the database.
type Authorizer struct {
	// ReloadInterval is the period of Run's full reload; 0 means
	// DefaultReloadInterval. Set it before calling Run.
	ReloadInterval time.Duration

	db  *gorm.DB
	log *slog.Logger

	// policy holds the casbin enforcers built once from the embedded
	// policy; it never changes after New.
	policy *compiledPolicy

	// roles is the current copy of every role assignment. It is replaced
	// as a whole (copy on write), never changed in place, so Can reads it
	// without a lock.
	roles atomic.Pointer[roleIndex]

	// mu serialises the writers of roles (refreshes and the end of a
	// reload), so that a refresh that read the database later is also
	// applied later.
	mu sync.Mutex
	// touched collects the users refreshed while a full reload is loading;
	// nil when no reload is in progress. Guarded by mu.
	touched map[int64]struct{}

	// reloadMu makes full reloads run one at a time.
	reloadMu sync.Mutex

	// pingEvery is how long the listener waits before checking its
	// connection (listenPing; shorter in tests).
	pingEvery time.Duration

	running atomic.Bool
	// synced counts the full reloads Run has finished after (re)connecting
	// its listener; tests wait for it.
	synced atomic.Int64
}

// New builds an Authorizer from the embedded model and policy and loads the
// role assignments from db. Call Run to keep them in step with changes made
// by other processes.
func New(ctx context.Context, db *gorm.DB, log *slog.Logger) (*Authorizer, error) {
	if log == nil {
		log = slog.Default()
	}
	a := &Authorizer{db: db, log: log, pingEvery: listenPing}
	p, err := compilePolicy(a.hasRole)
	if err != nil {
		return nil, err
	}
	a.policy = p
	a.roles.Store(&roleIndex{})
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Can returns nil if actor may do action on res, else an error wrapping
// ErrForbidden that says why (for logs, not for users). It asks the policy
// first with scope "any", then with each ownership scope whose condition
// holds: own_org when res belongs to one of the actor's organisations, self
// when it belongs to the actor.
func (a *Authorizer) Can(actor Actor, action string, res Resource) error {
	if res.Kind == "" || action == "" {
		return fmt.Errorf("%w: no object kind or action given", ErrForbidden)
	}
	if !validDomain(res.Domain) {
		return fmt.Errorf("%w: invalid domain %q", ErrForbidden, res.Domain)
	}
	sub := Subject(actor.UserID)
	var scopes [3]string
	n := 0
	scopes[n] = ScopeAny
	n++
	if actor.UserID > 0 {
		if res.OwnerOrgID != 0 && slices.Contains(actor.OrgIDs, res.OwnerOrgID) {
			scopes[n] = ScopeOwnOrg
			n++
		}
		if res.OwnerUserID == actor.UserID {
			scopes[n] = ScopeSelf
			n++
		}
	}
	for _, scope := range scopes[:n] {
		ok, err := a.policy.enforce(sub, res.Domain, res.Kind, action, scope)
		if err != nil {
			// Deny on any error of the policy engine: failing open is
			// never an option.
			return fmt.Errorf("%w: %s %s %s in %s: policy error: %w", ErrForbidden, sub, action, res.Kind, res.Domain, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("%w: %s may not %s %s %q in %s (scopes %s)",
		ErrForbidden, sub, action, res.Kind, res.ID, res.Domain, strings.Join(scopes[:n], ", "))
}

// Allowed is Can as a bool, for templates and filters.
func (a *Authorizer) Allowed(actor Actor, action string, res Resource) bool {
	return a.Can(actor, action, res) == nil
}

// RolesIn returns the roles userID holds in domain, sorted.
func (a *Authorizer) RolesIn(userID int64, domain string) []Role {
	var out []Role
	for _, g := range a.roles.Load().grants(userID) {
		if g.domain == domain {
			out = append(out, g.role)
		}
	}
	return out
}

// DomainsOf returns the domains in which userID holds any role: Installation
// first if they are an administrator, then their funds by id.
func (a *Authorizer) DomainsOf(userID int64) []string {
	var out []string
	for _, g := range a.roles.Load().grants(userID) {
		if len(out) == 0 || out[len(out)-1] != g.domain {
			out = append(out, g.domain)
		}
	}
	slices.SortFunc(out, compareDomains)
	return out
}

// compareDomains orders Installation first, then funds by id.
func compareDomains(x, y string) int {
	if x == y {
		return 0
	}
	if x == Installation {
		return -1
	}
	if y == Installation {
		return 1
	}
	fx, okx := ParseFundDomain(x)
	fy, oky := ParseFundDomain(y)
	if okx && oky {
		return cmp.Compare(fx, fy)
	}
	return strings.Compare(x, y)
}

// hasRole is the policy's g(): does subject hold role in domain? It reads the
// current role index, so a refresh or reload is seen by the next call.
func (a *Authorizer) hasRole(sub, role, domain string) bool {
	uid, ok := parseSubject(sub)
	if !ok {
		return false
	}
	return a.roles.Load().has(uid, Role(role), domain)
}
