package ui

import (
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/decision"
)

func TestDecisionPercentages(t *testing.T) {
	for _, tc := range []struct {
		n, d        int64
		svg, people string
	}{
		{1, 8, "12.500%", "12.5%"},
		{1, 2, "50.000%", "50%"},
		{1, 3, "33.333%", "33.3%"},
		{2, 3, "66.666%", "66.7%"},
		{0, 5, "0.000%", "0%"},
		{5, 5, "100.000%", "100%"},
		{1, 0, "0%", "0%"},
	} {
		if got := percent(tc.n, tc.d); got != tc.svg {
			t.Errorf("percent(%d, %d) = %q, want %q", tc.n, tc.d, got, tc.svg)
		}
		if got := share(tc.n, tc.d); got != tc.people {
			t.Errorf("share(%d, %d) = %q, want %q", tc.n, tc.d, got, tc.people)
		}
	}
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 102: "102nd"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

// The bar divides the budget among the funded applications in the rule's
// order, then what is left; with an amended decision its figures are the
// decision's, and what changed says so.
func TestDecisionOutcomeBar(t *testing.T) {
	dr := decision.Round{ID: 1, BudgetMinor: 1_000_000, Currency: "GBP"}
	res := &decision.Result{
		Input: decision.Input{Applications: []decision.InputApplication{{ID: 10, AmountMinor: 500_000}, {ID: 11, AmountMinor: 250_000}, {ID: 12, AmountMinor: 400_000}}},
		Outcome: decision.Outcome{Funded: []int64{11, 10}, Applications: []decision.Explanation{
			{ApplicationID: 10, AmountMinor: 500_000, Funded: true, Position: 2, Supporters: 2, Reason: "chosen second"},
			{ApplicationID: 11, AmountMinor: 250_000, Funded: true, Position: 1, Supporters: 3, Reason: "chosen first"},
			{ApplicationID: 12, AmountMinor: 400_000, Supporters: 1, Reason: "needed 4,000, 2,500 left"},
		}},
		Ballots: 3,
	}
	names := map[int64]appName{10: {"Kitchen", "A"}, 11: {"Walks", "B"}, 12: {"Garden", "C"}}

	v := buildOutcome(dr, res, nil, names)
	if v.Decided || v.Funded != 2 || v.Eligible != 3 || v.Total != "£7,500.00" || v.Unspent != "£2,500.00" || v.UnspentShare != "25%" ||
		v.UnspentX != "75.000%" || v.UnspentW != "25.000%" {
		t.Fatalf("computed outcome: %+v", v)
	}
	var got []string
	for _, s := range v.Segments {
		got = append(got, strings.Join([]string{s.Title, s.Amount, s.Share, s.X, s.W, s.TextX}, " "))
	}
	if want := "Walks £2,500.00 25% 0.000% 25.000% 12.500%|Kitchen £5,000.00 50% 25.000% 50.000% 50.000%"; strings.Join(got, "|") != want {
		t.Errorf("segments:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if v.Apps[0].Title != "Walks" || v.Apps[0].Position != "1st" || v.Apps[2].Title != "Garden" || v.Apps[2].Funded ||
		v.Apps[2].Reason != "Needed 4,000, 2,500 left." {
		t.Errorf("applications: %+v", v.Apps)
	}

	// Amended: Garden instead of Kitchen, Walks for less.
	walks, garden := int64(200_000), int64(400_000)
	dec := &decision.Decision{Amended: true, Applications: []decision.Application{
		{ApplicationID: 10, Title: "Kitchen", OrganisationName: "A", RequestedMinor: 500_000},
		{ApplicationID: 11, Title: "Walks", OrganisationName: "B", RequestedMinor: 250_000, Funded: true, AmountMinor: &walks, Rationale: "Good."},
		{ApplicationID: 12, Title: "Garden", OrganisationName: "C", RequestedMinor: 400_000, Funded: true, AmountMinor: &garden},
	}}
	v = buildOutcome(dr, res, dec, names)
	if !v.Decided || v.Funded != 2 || v.Total != "£6,000.00" || v.Unspent != "£4,000.00" || len(v.Segments) != 2 {
		t.Fatalf("decided outcome: %+v", v)
	}
	if s := v.Segments[0]; s.Title != "Walks" || s.Amount != "£2,000.00" || !s.Amends || s.W != "20.000%" {
		t.Errorf("first segment: %+v", s)
	}
	if s := v.Segments[1]; s.Title != "Garden" || !s.Amends || s.X != "20.000%" {
		t.Errorf("second segment: %+v", s)
	}
	if a := v.Apps[2]; a.Title != "Kitchen" || a.Funded || !a.Changed || !a.ComputedFunded {
		t.Errorf("the dropped application: %+v", a)
	}
	if a := v.Apps[0]; len(a.Rationale) != 1 || a.Rationale[0] != "Good." {
		t.Errorf("the rationale: %+v", a)
	}
}

// The results page of an amended decision publishes the reason beside the
// result, says what changed, and never shows feedback.
func TestDecisionResultsPageAmended(t *testing.T) {
	u := &UI{}
	if err := u.Load(); err != nil {
		t.Fatal(err)
	}
	dr := decision.Round{ID: 7, BudgetMinor: 1_000_000, Currency: "GBP"}
	res := &decision.Result{RuleName: "Greedy", Rule: "greedy_cost", TieBreakName: "the cheaper first", Ballots: 4,
		BallotDigest: "abc123",
		Input:        decision.Input{Applications: []decision.InputApplication{{ID: 1, AmountMinor: 600_000}, {ID: 2, AmountMinor: 300_000}}},
		Outcome: decision.Outcome{Funded: []int64{1}, Applications: []decision.Explanation{
			{ApplicationID: 1, AmountMinor: 600_000, Funded: true, Position: 1, Supporters: 3, Reason: "reached first"},
			{ApplicationID: 2, AmountMinor: 300_000, Supporters: 1, Reason: "reached second"},
		}}}
	half := int64(300_000)
	reason := "The panel funded the walks too: the kitchen can start smaller."
	dec := (&decision.Decision{Status: decision.Final, Amended: true, AmendmentReason: &reason, Applications: []decision.Application{
		{ApplicationID: 1, Title: "Kitchen", OrganisationName: "A", RequestedMinor: 600_000, Funded: true, AmountMinor: &half,
			Rationale: "Strong support.", Feedback: "Secret words for the kitchen."},
		{ApplicationID: 2, Title: "Walks", OrganisationName: "B", RequestedMinor: 300_000, Funded: true, AmountMinor: &half,
			Rationale: "A gap in the neighbourhood.", Feedback: "Secret words for the walks."},
	}}).Public()
	d := resultsPageData{Final: true, Result: res, Decision: &dec, Outcome: buildOutcome(dr, res, &dec, nil),
		AmendmentParas: applicationParagraphs(reason)}
	d.Round.ID, d.Round.Name = 7, "Spring"
	var buf strings.Builder
	if err := u.pages["decision_results"].ExecuteTemplate(&buf, "layout", page{Form: map[string]string{}, Data: d}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"Why the panel changed the computed result", reason, "changed from the computed result",
		"Strong support.", "A gap in the neighbourhood.", "/rounds/7/results.csv", "abc123", "Not spent"} {
		if !strings.Contains(got, want) {
			t.Errorf("the amended results page lacks %q", want)
		}
	}
	if strings.Contains(got, "Secret words") {
		t.Errorf("the results page shows feedback")
	}
}
