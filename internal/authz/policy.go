package authz

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/humblehq/humble/policy"
)

// partKey is what every policy line that can match a request shares with it:
// the matcher begins with r.obj == p.obj && r.act == p.act && r.scope ==
// p.scope, so a line with another object, action or scope can never match.
type partKey struct{ obj, act, scope string }

// partKeyTerms is the text of those three terms in the model's matcher m, as
// casbin stores it; m must be exactly partKeyTerms + m2 (see model.conf).
const partKeyTerms = "r_obj == p_obj && r_act == p_act && r_scope == p_scope && "

// partContext makes a part's enforcer evaluate m2, the matcher without the
// terms that its grouping already guarantees.
var partContext = casbin.EnforceContext{RType: "r", PType: "p", EType: "e", MType: "m2"}

// compiledPolicy is the embedded policy split into one small casbin enforcer
// per (object, action, scope).
//
// Why split: casbin evaluates the matcher once per policy line, about 1 µs
// each, until one allows. With the ~150 lines of policy.csv a denied request
// cost ~150 µs. Each part holds the same model and only the lines with its
// key, at most a handful, so casbin evaluates exactly the lines that could
// match, and a request no line could ever match is denied without calling
// casbin at all. Each call also scans the matcher's text (casbin looks for
// eval() with a regular expression, ~40 ns a character), so parts evaluate
// m2, which leaves out the three terms the grouping guarantees. Because the
// key is made of conjuncts of the matcher this is an index, not a change of
// meaning; TestPartitionedPolicyMatchesWholePolicy checks it against one
// enforcer holding the whole policy and evaluating m.
type compiledPolicy struct {
	parts map[partKey]*casbin.Enforcer
	rules [][]string // every p line, for tests and tools
}

func (p *compiledPolicy) enforce(sub, dom, obj, act, scope string) (bool, error) {
	e := p.parts[partKey{obj, act, scope}]
	if e == nil {
		return false, nil
	}
	return e.Enforce(partContext, sub, dom, obj, act, scope)
}

// names are lower_snake, like every role, object and action of the policy.
var policyName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// parsePolicyCSV reads the p lines of policy.csv with casbin's own line
// parser and checks each against what the model and Can expect, so a typo in
// the policy stops the process at start rather than silently denying.
func parsePolicyCSV(text string) ([][]string, error) {
	m, err := model.NewModelFromString(policy.Model)
	if err != nil {
		return nil, fmt.Errorf("authz: policy model: %w", err)
	}
	full, part := m["m"]["m"], m["m"]["m2"]
	if full == nil || part == nil || full.Value != partKeyTerms+part.Value {
		return nil, errors.New("authz: policy model: m must be " + partKeyTerms + "followed by m2")
	}
	known := map[string]bool{rolePublic: true, roleUser: true}
	for _, r := range allRoles {
		known[string(r)] = true
	}
	var errs []error
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("policy.csv:%d: %s", i+1, fmt.Sprintf(format, args...)))
		}
		if !strings.HasPrefix(line, "p,") {
			bad("only p lines belong here (role assignments live in the database): %q", line)
			continue
		}
		before := len(m["p"]["p"].Policy)
		if err := persist.LoadPolicyLine(line, m); err != nil {
			bad("%v", err)
			continue
		}
		if len(m["p"]["p"].Policy) == before {
			bad("duplicate line %q", line)
			continue
		}
		rule := m["p"]["p"].Policy[before]
		if len(rule) != 5 {
			bad("want 5 fields (role, domain, object, action, scope), got %d", len(rule))
			continue
		}
		sub, dom, obj, act, scope := rule[0], rule[1], rule[2], rule[3], rule[4]
		if !known[sub] {
			bad("unknown role %q", sub)
		}
		if dom != "*" && dom != "fund:*" && dom != Installation {
			bad("domain must be *, fund:* or installation, not %q", dom)
		}
		if sub == string(Admin) && dom != Installation {
			bad("admin is held in installation only, so its lines must say installation")
		}
		if slices.Contains(fundRoles, Role(sub)) && dom != "fund:*" {
			bad("%s is held in funds only, so its lines must say fund:*", sub)
		}
		if !policyName.MatchString(obj) || !policyName.MatchString(act) {
			bad("object and action must be lower_snake: %q, %q", obj, act)
		}
		if scope != ScopeAny && scope != ScopeOwnOrg && scope != ScopeSelf {
			bad("scope must be any, own_org or self, not %q", scope)
		}
		if sub == rolePublic && scope != ScopeAny {
			bad("public has no identity to own anything: its scope must be any")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m["p"]["p"].Policy, nil
}

// compilePolicy builds the enforcers of the embedded policy. hasRole answers
// the matcher's g().
func compilePolicy(hasRole func(sub, role, domain string) bool) (*compiledPolicy, error) {
	rules, err := parsePolicyCSV(policy.CSV)
	if err != nil {
		return nil, err
	}
	groups := map[partKey][][]string{}
	for _, r := range rules {
		k := partKey{r[2], r[3], r[4]}
		groups[k] = append(groups[k], r)
	}
	p := &compiledPolicy{parts: make(map[partKey]*casbin.Enforcer, len(groups)), rules: rules}
	for k, rs := range groups {
		e, err := newEnforcer(rs, hasRole)
		if err != nil {
			return nil, err
		}
		p.parts[k] = e
	}
	return p, nil
}

// newEnforcer makes a casbin enforcer over the embedded model with the given
// p lines and no g lines, whose g() is hasRole.
//
// Why not casbin's role manager: casbin memoises every g() answer inside
// the compiled matcher and forgets them only when the enforcer's policy is
// changed through its API, which is not safe while other goroutines enforce.
// Role assignments here change while requests are being served, so g() is a
// plain function over our own role index, which is swapped atomically
// (roles.go) and never memoised. Clearing the assertion's role manager is
// what makes casbin use the function registered under "g".
func newEnforcer(rules [][]string, hasRole func(sub, role, domain string) bool) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(policy.Model)
	if err != nil {
		return nil, fmt.Errorf("authz: policy model: %w", err)
	}
	for _, r := range rules {
		if err := m.AddPolicy("p", "p", r); err != nil {
			return nil, fmt.Errorf("authz: policy: %w", err)
		}
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("authz: enforcer: %w", err)
	}
	g, ok := e.GetModel()["g"]["g"]
	if !ok {
		return nil, errors.New("authz: the model has no role definition g")
	}
	g.RM, g.CondRM = nil, nil
	e.EnableAutoBuildRoleLinks(false)
	e.AddFunction("g", func(args ...any) (any, error) {
		if len(args) != 3 {
			return false, fmt.Errorf("g() takes 3 arguments, got %d", len(args))
		}
		sub, ok1 := args[0].(string)
		role, ok2 := args[1].(string)
		dom, ok3 := args[2].(string)
		if !ok1 || !ok2 || !ok3 {
			return false, errors.New("g() takes strings")
		}
		return hasRole(sub, role, dom), nil
	})
	return e, nil
}
