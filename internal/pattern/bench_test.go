package pattern_test

import (
	"context"
	"testing"

	"github.com/humblehq/humble/internal/account"
	"github.com/humblehq/humble/internal/pattern"
	"github.com/humblehq/humble/internal/patterngen"
	"github.com/humblehq/humble/internal/pgtest"
)

// BenchmarkPatternView times the pattern view's query on the benchmark's
// fund (internal/patterngen: 5,000 submitted accounts, about three tags
// each; brief/BENCHMARKS.md §5 asks for 200 ms) for a steward, a grantee,
// a panel member and the public. `make bench` measures the same through
// the HTTP API, beside a baseline; this is the query alone:
//
//	go test -run '^$' -bench PatternView -benchtime 20x ./internal/pattern
func BenchmarkPatternView(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	fx, err := patterngen.Generate(ctx, db, patterngen.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	svc := pattern.NewService(db, account.NewService(db))
	viewers := []struct {
		name string
		v    account.Viewer
	}{
		{"steward", account.Viewer{UserID: fx.Steward, FundID: fx.FundID, Partner: true, Clearance: account.SeesPartner}},
		{"grantee", account.Viewer{UserID: fx.Grantee, FundID: fx.FundID, OwnOrgs: []int64{fx.GranteeOrg}, Clearance: account.SeesPeers}},
		{"panel", account.Viewer{UserID: fx.PanelMember, FundID: fx.FundID, Clearance: account.SeesPeers}},
		{"public", account.Viewer{FundID: fx.FundID, Clearance: account.SeesPublic}},
	}
	for _, vw := range viewers {
		b.Run(vw.name, func(b *testing.B) {
			var view pattern.View
			for b.Loop() {
				if view, err = svc.Patterns(ctx, vw.v); err != nil {
					b.Fatal(err)
				}
			}
			// The busiest theme's count must open exactly its sources.
			busiest, most := int64(0), 0
			for _, th := range view.Themes {
				if th.Total.Sources > most {
					busiest, most = th.ID, th.Total.Sources
				}
			}
			if _, total, err := svc.Sources(ctx, vw.v, busiest, "", 50, 0); err != nil || total != most {
				b.Fatalf("the busiest theme counts %d sources and lists %d (%v)", most, total, err)
			}
		})
	}
}
