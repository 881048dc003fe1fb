package decision_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/decision"
	"github.com/humblehq/humble/internal/round"
)

// apps are three applications: 11 and 12 ask for 600, 13 for 400.
func input(method, rule, tieBreak string, budget int64, ballots ...ballot.Contents) decision.Input {
	in := decision.Input{Rule: rule, Method: method, BudgetMinor: budget * 100, Currency: "GBP", TieBreak: tieBreak,
		Applications: []decision.InputApplication{{ID: 11, AmountMinor: 60000}, {ID: 12, AmountMinor: 60000}, {ID: 13, AmountMinor: 40000}},
		Ballots:      ballots}
	decision.Order(tieBreak, in.Applications)
	return in
}

func funded(t *testing.T, in decision.Input) string {
	t.Helper()
	o, err := decision.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(o.Funded)
}

func scores(m map[string]any) ballot.Contents {
	c := ballot.Contents{Scores: map[string]json.RawMessage{}}
	for k, v := range m {
		b, _ := json.Marshal(v)
		c.Scores[k] = b
	}
	return c
}

func TestUtilities(t *testing.T) {
	cases := []struct {
		name string
		in   decision.Input
		want string
	}{
		// An exact tie between 11 and 12 (same cost, same support).
		{"tie-earlier", input(round.Approval, "greedy_cost", round.EarlierApplication, 700,
			ballot.Contents{Approvals: []int64{12, 11}}), "[11]"},
		// Lower cost first: 13 ties on support with the others but is cheaper.
		{"tie-lower-cost", input(round.Approval, "greedy_cost", round.LowerCost, 700,
			ballot.Contents{Approvals: []int64{11, 12, 13}}), "[13]"},
		// Borda: 3 points to the first ranked, 2 to the second.
		{"ranking-borda", input(round.Ranking, "greedy_points", round.EarlierApplication, 700,
			ballot.Contents{Ranking: []int64{12, 11}}, ballot.Contents{Ranking: []int64{11}}), "[11]"},
		{"ranking-borda-first", input(round.Ranking, "greedy_points", round.EarlierApplication, 700,
			ballot.Contents{Ranking: []int64{12, 11}}, ballot.Contents{Ranking: []int64{12}}), "[12]"},
		// "Don't know" counts for nothing: 12 has 3 points, 11 has 2.
		{"score-dont-know", input(round.Score, "greedy_points", round.EarlierApplication, 700,
			scores(map[string]any{"11": 2, "12": "dont_know"}), scores(map[string]any{"12": 3, "11": "dont_know"})), "[12]"},
		{"cumulative", input(round.Cumulative, "greedy_points", round.EarlierApplication, 1000,
			ballot.Contents{Points: map[string]int{"11": 1, "12": 4, "13": 5}}), "[13 12]"},
		// Equal Shares completed greedily (the default for points).
		{"mes-points-greedy", input(round.Cumulative, "mes_points_greedy", round.EarlierApplication, 1000,
			ballot.Contents{Points: map[string]int{"11": 10}}, ballot.Contents{Points: map[string]int{"13": 10}}), "[13 11]"},
		// Applications not eligible (id 99) are ignored.
		{"ineligible-ignored", input(round.Approval, "mes_cost_add1_greedy", round.EarlierApplication, 1000,
			ballot.Contents{Approvals: []int64{99, 13}}), "[13 11]"},
		{"nothing-fits", input(round.Approval, "mes_cost_add1_greedy", round.EarlierApplication, 300,
			ballot.Contents{Approvals: []int64{11, 12, 13}}), "[]"},
		{"no-ballots", input(round.Approval, "mes_cost_add1_greedy", round.EarlierApplication, 1000), "[11 13]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := funded(t, c.in); got != c.want {
				t.Fatalf("funded %s, want %s", got, c.want)
			}
		})
	}
}

func TestDigestIgnoresOrderOfBallotsAndApprovals(t *testing.T) {
	a := []ballot.Contents{{Approvals: []int64{1, 2}}, {Approvals: []int64{3}}}
	b := []ballot.Contents{{Approvals: []int64{3}}, {Approvals: []int64{2, 1}}}
	c := []ballot.Contents{{Approvals: []int64{3}}, {Approvals: []int64{2}}}
	da, _ := decision.Digest(a)
	db, _ := decision.Digest(b)
	dc, _ := decision.Digest(c)
	if da != db || da == dc || len(da) != 64 {
		t.Fatalf("digests %s %s %s", da, db, dc)
	}
}
