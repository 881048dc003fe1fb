package pabulib_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/pabulib"
)

const good = "\ufeffMETA\r\nkey;value\r\nbudget;446829,4\r\nvote_type;approval\r\n" +
	"PROJECTS\r\nproject_id;cost;name\r\n1;200000.0;\"a \"\"quoted\"\" name; with semicolon\"\r\n2;0.1\r\n" +
	"VOTES\r\nvoter_id;vote\r\n7;1,2,1\r\n8;\r\n"

func TestParse(t *testing.T) {
	f, err := pabulib.Parse(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if f.Budget.RatString() != "2234147/5" || f.Projects[0].Cost.RatString() != "200000" || f.Projects[1].Cost.RatString() != "1/10" {
		t.Errorf("numbers: %s %s %s", f.Budget.RatString(), f.Projects[0].Cost.RatString(), f.Projects[1].Cost.RatString())
	}
	if f.Projects[0].Fields["name"] != `a "quoted" name; with semicolon` {
		t.Errorf("name %q", f.Projects[0].Fields["name"])
	}
	if len(f.Votes) != 2 || len(f.Votes[1].Projects) != 0 {
		t.Errorf("votes %+v", f.Votes)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
	}{
		{"bad cost", "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;x1\nVOTES\nvoter_id;vote\n", 6},
		{"unknown project", "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;1\nVOTES\nvoter_id;vote\n1;a\n2;b\n", 10},
		{"duplicate project", "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;1\na;2\nVOTES\nvoter_id;vote\n", 7},
		{"points mismatch", "META\nkey;value\nbudget;10\nvote_type;cumulative\nPROJECTS\nproject_id;cost\na;1\nVOTES\nvoter_id;vote;points\n1;a;1,2\n", 10},
		{"no section", "hello\n", 1},
		{"bad budget", "META\nkey;value\nbudget;lots\nPROJECTS\nproject_id;cost\nVOTES\nvoter_id;vote\n", 3},
		{"no vote column", "META\nkey;value\nbudget;1\nPROJECTS\nproject_id;cost\nVOTES\nvoter_id;votes\n", 7},
	} {
		_, err := pabulib.Parse(strings.NewReader(tc.in))
		var le *pabulib.LineError
		if !errors.As(err, &le) || le.Line != tc.line {
			t.Errorf("%s: got %v, want an error on line %d", tc.name, err, tc.line)
		}
	}
}
