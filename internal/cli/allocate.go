package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/humblehq/humble/internal/allocation"
	"github.com/humblehq/humble/internal/pabulib"
)

// allocate runs an allocation rule on a Pabulib file and prints one JSON
// object. It needs no database: Run reaches it before anything is opened.
func allocate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("allocate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rule := fs.String("rule", "", "the rule, e.g. mes_cost_add1_greedy")
	explain := fs.Bool("explain", false, "add the per-project explanation")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v; usage: humble allocate --rule RULE [--explain] FILE.pb", err)
	}
	if *rule == "" || fs.NArg() != 1 {
		return errors.New("usage: humble allocate --rule RULE [--explain] FILE.pb")
	}
	if _, err := allocation.ParseRule(*rule); err != nil {
		return err
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	pb, err := pabulib.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	out, err := allocation.Run(pb.Instance(), *rule)
	if err != nil {
		return err
	}
	res := struct {
		Rule           string                   `json:"rule"`
		Selected       []string                 `json:"selected"`
		SelectionOrder []string                 `json:"selection_order"`
		TotalCost      string                   `json:"total_cost"`
		Projects       []allocation.Explanation `json:"projects,omitempty"`
	}{out.Rule, out.Selected, out.SelectionOrder, out.TotalCost, nil}
	if *explain {
		res.Projects = out.Projects
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(res)
}
