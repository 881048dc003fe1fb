package allocation_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/humblehq/humble/internal/allocation"
	"github.com/humblehq/humble/internal/pabulib"
)

// largestInstance is the reference instance with the most ballot entries
// (90,494 voters, 160 projects, 325,964 approvals).
const largestInstance = "Poland_Lodz_2022"

// slowestInstance is the one on which Equal Shares with completion is the
// most work (61,668 voters of whom 51,348 have a ballot nobody else has;
// 186 MES runs in the add1 loop; pabutools: 1050 s).
const slowestInstance = "Poland_Warszawa_2026"

// BenchmarkMESLargest runs Equal Shares with completion
// (mes_cost_add1_greedy, pabutools: 99 s) on the largest instance, parsing
// excluded. It reports the peak heap seen by runtime.MemStats.
func BenchmarkMESLargest(b *testing.B) { benchmarkRule(b, largestInstance, "mes_cost_add1_greedy") }

// BenchmarkMESSlowest is the same on Warszawa 2026.
func BenchmarkMESSlowest(b *testing.B) { benchmarkRule(b, slowestInstance, "mes_cost_add1_greedy") }

func benchmarkRule(b *testing.B, instance, rule string) {
	path := filepath.Join(pbDir(), "instances", instance+".pb")
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("reference data not found (set HUMBLE_PB_DIR): %v", err)
	}
	pb, err := pabulib.Parse(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	inst := pb.Instance()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		if _, err := allocation.Run(inst, rule); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "heapsys-MB")
}
