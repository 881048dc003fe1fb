package allocation_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/humblehq/humble/internal/allocation"
	"github.com/humblehq/humble/internal/pabulib"
)

// TestMESAddWorkers: the add<K> loop gives the same outcome, explanations
// included, whether its runs are done one at a time (GOMAXPROCS=1) or
// several at once.
func TestMESAddWorkers(t *testing.T) {
	cases := []struct{ dir, instance string }{
		{"testdata", "poland_warszawa_2017_plac-wojska-polskiego"},
		{"testdata", "edge_points"},
		{"testdata", "edge_ties"},
		{"testdata", "edge_zero_cost_empty"},
		{"testdata", "edge_nothing_fits"},
		{pbDir(), "Netherlands_Assen_2024"}, // 845 runs
		{pbDir(), "Switzerland_Zurich_D10"}, // points
	}
	rules := []string{"mes_cost_add1", "mes_card_add1_greedy", "mes_points_add1", "mes_cost_add7_greedy"}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range cases {
		f, err := os.Open(filepath.Join(c.dir, "instances", c.instance+".pb"))
		if err != nil {
			t.Logf("%s: %v (skipped)", c.instance, err)
			continue
		}
		pb, err := pabulib.Parse(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		inst := pb.Instance()
		for _, rule := range rules {
			var outs [2][]byte
			for i, procs := range []int{1, 4} {
				runtime.GOMAXPROCS(procs)
				o, err := allocation.Run(inst, rule)
				if err != nil {
					outs[i] = []byte(err.Error())
					continue
				}
				if outs[i], err = json.Marshal(o); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(outs[0], outs[1]) {
				t.Errorf("%s %s: one at a time\n%s\nseveral at once\n%s", c.instance, rule, outs[0], outs[1])
			}
		}
	}
}
