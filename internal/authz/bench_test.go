package authz

// BENCHMARKS.md §4: casbin with 10,000 funds × 25 role assignments each
// (250,000 g rules) and the role-level p rules of policy.csv.
//
//	HUMBLE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench . -benchtime 2000x ./internal/authz
//
// Goals: one Enforce (a Can call) median ≤ 20 µs; a role change visible on a
// second replica ≤ 1 s. Each benchmark prints its median and p99 as extra
// columns (median-µs, p99-µs or median-ms, max-ms).

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/humblehq/humble/internal/pgtest"
)

const (
	benchFunds   = 10_000
	benchPerFund = 25
	benchUsers   = 100_000
)

// benchRoles is the make-up of each fund's 25 assignments.
var benchRoles = func() []Role {
	var rs []Role
	add := func(r Role, n int) {
		for range n {
			rs = append(rs, r)
		}
	}
	add(Steward, 2)
	add(PanelChair, 1)
	add(PanelMember, 12)
	add(Grantee, 7)
	add(LearningPartner, 3)
	return rs
}()

// benchUser is who holds assignment k of fund f: spread over benchUsers
// people, each holding ~2.5 roles in different funds, distinct within a fund
// (4729 is coprime with 100,000).
func benchUser(f, k int) int64 {
	return int64(1 + (f*7919+k*4729)%benchUsers)
}

// seedBench fills a fresh database with the 250,000 assignments by COPY and
// returns its URL.
func seedBench(b *testing.B) string {
	b.Helper()
	url := pgtest.NewDatabase(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"casbin_rule"},
		[]string{"ptype", "v0", "v1", "v2", "v3", "v4", "v5"},
		pgx.CopyFromSlice(benchFunds*benchPerFund, func(i int) ([]any, error) {
			f, k := i/benchPerFund+1, i%benchPerFund
			return []any{"g", Subject(benchUser(f, k)), string(benchRoles[k]), FundDomain(int64(f)), "", "", ""}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('g', 'user:1', 'admin', 'installation', '', '', '')`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE casbin_rule`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d g rules", n+1)
	return url
}

type benchRequest struct {
	actor  Actor
	action string
	res    Resource
	want   bool
}

// benchRequests is a mix of the questions the app asks, half allowed, over
// users and funds all across the 250,000 assignments.
func benchRequests(n int) []benchRequest {
	var out []benchRequest
	for i := 0; len(out) < n; i++ {
		f := 1 + (i*7717)%benchFunds
		other := 1 + (f+4999)%benchFunds
		dom := FundDomain(int64(f))
		member := benchUser(f, 3+i%12) // a panel member of fund f
		grantee := benchUser(f, 15+i%7)
		steward := benchUser(f, i%2)
		org := int64(5000 + f)
		out = append(out,
			benchRequest{Actor{UserID: member}, "cast", Resource{Kind: "ballot", Domain: dom, OwnerUserID: member}, true},
			benchRequest{Actor{UserID: member}, "read", Resource{Kind: "application", Domain: dom, OwnerOrgID: org}, true},
			benchRequest{Actor{UserID: grantee, OrgIDs: []int64{org}}, "submit", Resource{Kind: "reflective_account", Domain: dom, OwnerOrgID: org}, true},
			benchRequest{Actor{UserID: steward}, "list", Resource{Kind: "audit_event", Domain: dom}, true},
			benchRequest{Actor{}, "read", Resource{Kind: "fund", Domain: dom}, true},
			benchRequest{Actor{UserID: member}, "read", Resource{Kind: "ballot", Domain: dom, OwnerUserID: member + 1}, false},
			benchRequest{Actor{UserID: grantee, OrgIDs: []int64{org}}, "read", Resource{Kind: "agreement", Domain: dom, OwnerOrgID: org + 1}, false},
			benchRequest{Actor{UserID: 1}, "read", Resource{Kind: "ballot", Domain: dom, OwnerUserID: member}, false},
			benchRequest{Actor{}, "list", Resource{Kind: "audit_event", Domain: dom}, false},
		)
		// The same panel member in a fund where they hold no role, unless
		// the spread happens to give them one there too.
		if !slices.Contains(benchRolesOf(member, other), PanelMember) {
			out = append(out, benchRequest{Actor{UserID: member}, "cast", Resource{Kind: "ballot", Domain: FundDomain(int64(other)), OwnerUserID: member}, false})
		}
	}
	return out[:n]
}

func benchRolesOf(user int64, f int) []Role {
	var rs []Role
	for k := range benchPerFund {
		if benchUser(f, k) == user {
			rs = append(rs, benchRoles[k])
		}
	}
	return rs
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// BenchmarkEnforce times one Can call against 250,000 role assignments.
func BenchmarkEnforce(b *testing.B) {
	url := seedBench(b)
	db := openPool(b, url)
	start := time.Now()
	a, err := New(context.Background(), db, quiet())
	if err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)

	reqs := benchRequests(4096)
	for _, r := range reqs {
		if got := a.Allowed(r.actor, r.action, r.res); got != r.want {
			b.Fatalf("%+v %s %+v: allowed=%v, want %v", r.actor, r.action, r.res, got, r.want)
		}
	}
	var took []time.Duration
	i := 0
	for b.Loop() {
		r := &reqs[i%len(reqs)]
		t0 := time.Now()
		_ = a.Can(r.actor, r.action, r.res)
		took = append(took, time.Since(t0))
		i++
	}
	b.ReportMetric(float64(percentile(took, 50).Nanoseconds())/1e3, "median-µs")
	b.ReportMetric(float64(percentile(took, 99).Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(loaded.Milliseconds()), "load-ms")
	b.ReportMetric(float64(ms.HeapAlloc>>20), "heap-MB")
}

// BenchmarkPropagation times a role change made through one replica until
// the other enforces it, with 250,000 role assignments loaded in each.
// Iterations alternate assign and revoke. The clock starts before Assign or
// Revoke is called, so the figure includes the writing transaction itself.
func BenchmarkPropagation(b *testing.B) {
	url := seedBench(b)
	dbA, dbB := openPool(b, url), openPool(b, url)
	ra, err := New(context.Background(), dbA, quiet())
	if err != nil {
		b.Fatal(err)
	}
	rb, err := New(context.Background(), dbB, quiet())
	if err != nil {
		b.Fatal(err)
	}
	startRun(b, ra, url)
	startRun(b, rb, url)
	ctx := context.Background()

	var took []time.Duration
	worst := time.Duration(0)
	i := 0
	for b.Loop() {
		// A user from outside the seeded range, so each change is a real one.
		uid := int64(benchUsers + 1 + i/2)
		dom := FundDomain(int64(1 + i%benchFunds))
		ballot := Resource{Kind: "ballot", Domain: dom, OwnerUserID: uid}
		assign := i%2 == 0
		start := time.Now()
		var err error
		if assign {
			err = ra.Assign(ctx, uid, PanelMember, dom)
		} else {
			err = ra.Revoke(ctx, uid, PanelMember, FundDomain(int64(1+(i-1)%benchFunds)))
			ballot.Domain = FundDomain(int64(1 + (i-1)%benchFunds))
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := waitFor(5*time.Second, func() bool { return rb.Allowed(Actor{UserID: uid}, "cast", ballot) == assign }); !ok {
			b.Fatalf("change %d not seen by the other replica within 5 s", i)
		}
		d := time.Since(start)
		took = append(took, d)
		worst = max(worst, d)
		i++
	}
	b.ReportMetric(float64(percentile(took, 50).Microseconds())/1e3, "median-ms")
	b.ReportMetric(float64(percentile(took, 99).Microseconds())/1e3, "p99-ms")
	b.ReportMetric(float64(worst.Microseconds())/1e3, "max-ms")
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
