package allocation_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/humblehq/humble/internal/allocation"
	"github.com/humblehq/humble/internal/pabulib"
)

// expected is the part of a shared/pb/expected/*.json file the tests use.
type expected struct {
	Instance string `json:"instance"`
	File     string `json:"file"`
	Budget   string `json:"budget"`
	Rules    map[string]struct {
		Status              string   `json:"status"`
		Selected            []string `json:"selected"`
		SelectionOrder      []string `json:"selection_order"`
		TotalCost           string   `json:"total_cost"`
		ReturnedVoterBudget string   `json:"returned_voter_budget"`
		TimeS               float64  `json:"time_s"`
	} `json:"rules"`
}

// checkDir compares every ok rule of every expected file in dir (which
// holds expected/ and instances/ like shared/pb).
func checkDir(t *testing.T, dir string, skip func(instance, rule string) bool) {
	files, err := filepath.Glob(filepath.Join(dir, "expected", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no expected files in %s", dir)
	}
	for _, ef := range files {
		raw, err := os.ReadFile(ef)
		if err != nil {
			t.Fatal(err)
		}
		var exp expected
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatalf("%s: %v", ef, err)
		}
		t.Run(exp.Instance, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, exp.File))
			if err != nil {
				t.Fatal(err)
			}
			pb, err := pabulib.Parse(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := pb.Budget.RatString(); got != exp.Budget {
				t.Errorf("budget %s, want %s", got, exp.Budget)
			}
			inst := pb.Instance()
			rules := make([]string, 0, len(exp.Rules))
			for r := range exp.Rules {
				rules = append(rules, r)
			}
			sort.Strings(rules)
			for _, rule := range rules {
				want := exp.Rules[rule]
				if want.Status != "ok" {
					continue
				}
				t.Run(rule, func(t *testing.T) {
					if skip != nil && skip(exp.Instance, rule) {
						t.Skip("too slow under the race detector; runs in plain go test")
					}
					start := time.Now()
					got, err := allocation.Run(inst, rule)
					if err != nil {
						t.Fatal(err)
					}
					el := time.Since(start)
					if !slices.Equal(got.Selected, want.Selected) {
						t.Errorf("selected\n got %v\nwant %v", got.Selected, want.Selected)
					}
					if !slices.Equal(got.SelectionOrder, want.SelectionOrder) {
						t.Errorf("selection order\n got %v\nwant %v", got.SelectionOrder, want.SelectionOrder)
					}
					if got.TotalCost != want.TotalCost {
						t.Errorf("total cost %s, want %s", got.TotalCost, want.TotalCost)
					}
					if want.ReturnedVoterBudget != "" && !strings.HasSuffix(rule, "_greedy") && got.ReturnedVoterBudget != want.ReturnedVoterBudget {
						t.Errorf("returned voter budget %s, want %s", got.ReturnedVoterBudget, want.ReturnedVoterBudget)
					}
					if len(got.Projects) != len(inst.Projects) {
						t.Errorf("%d explanations for %d projects", len(got.Projects), len(inst.Projects))
					}
					for _, e := range got.Projects {
						if e.Reason == "" {
							t.Errorf("project %s has no explanation", e.ID)
						}
					}
					t.Logf("%s/%s: %v (pabutools %.3fs)", exp.Instance, rule, el, want.TimeS)
				})
			}
		})
	}
}

// pbDir is shared/pb: $HUMBLE_PB_DIR, else ../shared/pb beside the clone.
func pbDir() string {
	if d := os.Getenv("HUMBLE_PB_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "pb")
}

// slowUnderRace lists the instance×rule pairs that take several seconds
// under the race detector (which slows these loops down some 30 times):
// hundreds to thousands of add<K> runs on tens of thousands of voters, or
// Phragmén on ~100k voters. They run only in plain `go test` (about 20 s for
// everything); the add<K> loop's concurrency is still raced on the others.
var slowUnderRace = map[string]bool{
	"France_Toulouse_2022/mes_card_add1":                 true, // 2033 runs
	"France_Toulouse_2022/mes_cost_add1":                 true,
	"France_Toulouse_2022/mes_cost_add1_greedy":          true,
	"France_Toulouse_2022/phragmen":                      true,
	"Hungary_Budapest_2024/mes_card_add1000":             true,
	"Hungary_Budapest_2024/phragmen":                     true,
	"Poland_Lodz_2022/phragmen":                          true,
	"Poland_Warszawa_2020_Praga-Poludnie/mes_card_add1":  true,
	"Poland_Warszawa_2020_Praga-Poludnie/mes_card_add10": true,
	"Poland_Warszawa_2020_Praga-Poludnie/phragmen":       true,
	"Poland_Warszawa_2026/mes_card_add1":                 true,
	"Poland_Warszawa_2026/mes_card_add10":                true,
	"Poland_Warszawa_2026/mes_cost_add1":                 true,
	"Poland_Warszawa_2026/mes_cost_add1_greedy":          true,
	"Poland_Warszawa_2026/phragmen":                      true,
}

// TestReference checks every rule on every instance of shared/pb against
// the pabutools outcomes.
func TestReference(t *testing.T) {
	dir := pbDir()
	if _, err := os.Stat(filepath.Join(dir, "expected")); err != nil {
		t.Skipf("reference data not found at %s (set HUMBLE_PB_DIR): %v", dir, err)
	}
	checkDir(t, dir, func(instance, rule string) bool {
		return allocation.RaceEnabled && (slowUnderRace[instance+"/"+rule] || slowUnderRace[instance+"/*"])
	})
}

// TestTestdata checks the small real instances and edge cases kept in
// testdata (see testdata/README.md); it always runs.
func TestTestdata(t *testing.T) {
	checkDir(t, "testdata", nil)
}
