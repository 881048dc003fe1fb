package authz

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	gormadapter "github.com/casbin/gorm-adapter/v3"
)

// grant is one role held in one domain.
type grant struct {
	domain string
	role   Role
}

func compareGrants(x, y grant) int {
	if c := strings.Compare(x.domain, y.domain); c != 0 {
		return c
	}
	return strings.Compare(string(x.role), string(y.role))
}

// roleIndex is an immutable copy of the role assignments, by user.
//
// base comes from the last full load; overlay holds the users re-read since
// then (an empty slice: the user no longer holds any role). A change makes a
// new index that shares base and copies only the small overlay, so a role
// change costs O(users changed since the last full load), not O(every rule);
// when the overlay grows past maxOverlay it is folded into a new base.
type roleIndex struct {
	base    map[int64][]grant
	overlay map[int64][]grant
}

// maxOverlay bounds the overlay that every change copies.
const maxOverlay = 2048

// grants returns userID's grants, sorted by domain then role.
func (ix *roleIndex) grants(userID int64) []grant {
	if g, ok := ix.overlay[userID]; ok {
		return g
	}
	return ix.base[userID]
}

func (ix *roleIndex) has(userID int64, role Role, domain string) bool {
	gs := ix.grants(userID)
	// A user holds a few roles in a few funds, so a scan is quicker than a
	// search until the list is long.
	if len(gs) <= 16 {
		for _, g := range gs {
			if g.domain == domain && g.role == role {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearchFunc(gs, grant{domain, role}, compareGrants)
	return found
}

// with returns a new index in which each user in users holds exactly the
// grants given (none if absent from the map).
func (ix *roleIndex) with(users []int64, fresh map[int64][]grant) *roleIndex {
	overlay := make(map[int64][]grant, len(ix.overlay)+len(users))
	maps.Copy(overlay, ix.overlay)
	for _, u := range users {
		overlay[u] = fresh[u] // nil when the user holds no role any more
	}
	if len(overlay) <= maxOverlay {
		return &roleIndex{base: ix.base, overlay: overlay}
	}
	base := make(map[int64][]grant, len(ix.base)+len(overlay))
	maps.Copy(base, ix.base)
	for u, g := range overlay {
		if len(g) == 0 {
			delete(base, u)
		} else {
			base[u] = g
		}
	}
	return &roleIndex{base: base}
}

// indexBuilder collects rows of casbin_rule into grants by user.
type indexBuilder struct {
	byUser  map[int64][]grant
	domains map[string]string // interned: 250k rules share ~10k domains
	skipped int
}

func newIndexBuilder() *indexBuilder {
	return &indexBuilder{byUser: map[int64][]grant{}, domains: map[string]string{}}
}

func (b *indexBuilder) add(sub, role, domain string) {
	uid, ok := parseSubject(sub)
	if !ok || role == "" || !validDomain(domain) {
		b.skipped++
		return
	}
	d, ok := b.domains[domain]
	if !ok {
		d = domain
		b.domains[domain] = d
	}
	b.byUser[uid] = append(b.byUser[uid], grant{d, Role(role)})
}

func (b *indexBuilder) done() map[int64][]grant {
	for u, gs := range b.byUser {
		slices.SortFunc(gs, compareGrants)
		b.byUser[u] = slices.Clip(slices.CompactFunc(gs, func(x, y grant) bool { return x == y }))
	}
	return b.byUser
}

// The g lines are read with a plain streaming query on gorm-adapter's table
// rather than the adapter's LoadPolicy: LoadPolicy materialises every row as
// a struct and then as a casbin policy line with its lookup map, and casbin's
// role manager on top, about three copies of 250,000 rules, where the index
// above is one compact copy built while the rows stream in. Writes still go
// through the adapter (assign.go), so the table keeps its layout.
//
// Only g lines are read: the p lines come from the embedded policy.csv, and
// any p line found in the table is ignored.
var selectGrants = `SELECT v0, v1, v2 FROM ` + gormadapter.CasbinRule{}.TableName() + ` WHERE ptype = 'g'`

// loadAll reads every role assignment.
func (a *Authorizer) loadAll(ctx context.Context) (map[int64][]grant, error) {
	rows, err := a.db.WithContext(ctx).Raw(selectGrants).Rows()
	if err != nil {
		return nil, fmt.Errorf("authz: load role assignments: %w", err)
	}
	defer rows.Close()
	b := newIndexBuilder()
	var sub, role, dom string
	for rows.Next() {
		if err := rows.Scan(&sub, &role, &dom); err != nil {
			return nil, fmt.Errorf("authz: load role assignments: %w", err)
		}
		b.add(sub, role, dom)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("authz: load role assignments: %w", err)
	}
	if b.skipped > 0 {
		a.log.Warn("authz: ignored malformed role assignments in casbin_rule", "count", b.skipped)
	}
	return b.done(), nil
}

// loadUsers reads the current role assignments of some users.
func (a *Authorizer) loadUsers(ctx context.Context, users []int64) (map[int64][]grant, error) {
	subs := make([]string, len(users))
	for i, u := range users {
		subs[i] = Subject(u)
	}
	rows, err := a.db.WithContext(ctx).Raw(selectGrants+` AND v0 IN ?`, subs).Rows()
	if err != nil {
		return nil, fmt.Errorf("authz: load role assignments: %w", err)
	}
	defer rows.Close()
	b := newIndexBuilder()
	var sub, role, dom string
	for rows.Next() {
		if err := rows.Scan(&sub, &role, &dom); err != nil {
			return nil, fmt.Errorf("authz: load role assignments: %w", err)
		}
		b.add(sub, role, dom)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("authz: load role assignments: %w", err)
	}
	return b.done(), nil
}

// refreshUsers re-reads some users' role assignments and makes them current.
//
// It re-reads rather than applying the change it was told about, so the
// result is the committed state whatever order changes and notifications
// arrive in; and it holds mu across read and swap, so of two refreshes the
// one that read later is applied later.
func (a *Authorizer) refreshUsers(ctx context.Context, users []int64) error {
	if len(users) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fresh, err := a.loadUsers(ctx, users)
	if err != nil {
		return err
	}
	a.roles.Store(a.roles.Load().with(users, fresh))
	if a.touched != nil {
		for _, u := range users {
			a.touched[u] = struct{}{}
		}
	}
	return nil
}

// Reload reads every role assignment again and swaps the result in. Requests
// keep being answered from the current copy while it loads.
func (a *Authorizer) Reload(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()

	a.mu.Lock()
	a.touched = map[int64]struct{}{}
	a.mu.Unlock()

	base, err := a.loadAll(ctx)

	a.mu.Lock()
	defer a.mu.Unlock()
	touched := a.touched
	a.touched = nil
	if err != nil {
		return err
	}
	next := &roleIndex{base: base}
	// A user refreshed while the load ran may have changed after the load's
	// snapshot was taken; read them again so the swap cannot go back in time.
	if len(touched) > 0 {
		users := slices.Collect(maps.Keys(touched))
		fresh, err := a.loadUsers(ctx, users)
		if err != nil {
			return err
		}
		next = next.with(users, fresh)
	}
	a.roles.Store(next)
	return nil
}
