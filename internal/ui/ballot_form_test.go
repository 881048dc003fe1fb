package ui

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/humblehq/humble/internal/ballot"
	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/round"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The voting form's fields become a ballot: ranks into an ordered list
// (gaps allowed, a rank given twice refused on the later field), scores
// with "don't know", points with empty meaning none; a field of an
// application the member may not vote on is kept, for the ballot service
// to refuse by name.
func TestBallotFormReading(t *testing.T) {
	apps := []ballot.Application{
		{ID: 11, Title: "Orchard", AmountMinor: 500000, Declaration: "none"},
		{ID: 12, Title: "Kitchen", AmountMinor: 300000, Declaration: "disclosed"},
		{ID: 13, Title: "Walks", AmountMinor: 200000, Declaration: "none"},
		{ID: 14, Title: "Choir", AmountMinor: 100000, Declaration: "recused"},
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name   string
		method string
		params round.Params
		form   map[string]string
		want   ballot.Contents
		errs   []fieldErr
	}{
		{name: "approval-ticked", method: round.Approval,
			form: map[string]string{"approve-11": "yes", "approve-13": "yes"},
			want: ballot.Contents{Approvals: []int64{11, 13}}},
		{name: "approval-none", method: round.ApprovalBudget, form: map[string]string{},
			want: ballot.Contents{Approvals: []int64{}}},
		{name: "approval-recused-kept-for-refusal", method: round.Approval,
			form: map[string]string{"approve-14": "yes"},
			want: ballot.Contents{Approvals: []int64{14}}},
		{name: "score-with-dont-know", method: round.Score, params: round.Params{MaxScore: 5},
			form: map[string]string{"score-11": "5", "score-12": "dont_know", "score-13": ""},
			want: ballot.Contents{Scores: map[string]json.RawMessage{"11": raw("5"), "12": raw(`"dont_know"`)}}},
		{name: "score-out-of-range", method: round.Score, params: round.Params{MaxScore: 5},
			form: map[string]string{"score-11": "6", "score-12": "x"},
			want: ballot.Contents{Scores: map[string]json.RawMessage{}},
			errs: []fieldErr{{"score-11", "Score for “Orchard” must be a whole number from 0 to 5, or “Don't know”"},
				{"score-12", "Score for “Kitchen” must be a whole number from 0 to 5, or “Don't know”"}}},
		{name: "ranking-in-rank-order", method: round.Ranking,
			form: map[string]string{"rank-11": "3", "rank-12": "", "rank-13": "1"},
			want: ballot.Contents{Ranking: []int64{13, 11}}},
		{name: "ranking-rank-given-twice", method: round.Ranking,
			form: map[string]string{"rank-11": "2", "rank-12": "1", "rank-13": "2"},
			want: ballot.Contents{Ranking: []int64{12, 11}},
			errs: []fieldErr{{"rank-13", "Rank for “Walks” is 2, which you also gave “Orchard”: give each application a different rank"}}},
		{name: "ranking-beyond-the-limit", method: round.Ranking, params: round.Params{MaxRanked: 2},
			form: map[string]string{"rank-11": "3"},
			want: ballot.Contents{Ranking: []int64{}},
			errs: []fieldErr{{"rank-11", "Rank for “Orchard” must be a whole number from 1 to 2, or “Not ranked”"}}},
		{name: "points", method: round.Cumulative, params: round.Params{Points: 10, MaxPerApplication: 6},
			form: map[string]string{"points-11": "6", "points-12": "0", "points-13": "-1", "points-14": ""},
			want: ballot.Contents{Points: map[string]int{"11": 6}},
			errs: []fieldErr{{"points-13", "Points for “Walks” must be a whole number from 0 to 6"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := round.Round{Method: tc.method, MethodParams: tc.params, Currency: "GBP", BudgetMinor: 600000}
			bf := readBallotForm(func(k string) string { return tc.form[k] }, r, apps)
			if !reflect.DeepEqual(bf.contents, tc.want) {
				t.Errorf("contents %+v, want %+v", bf.contents, tc.want)
			}
			if !reflect.DeepEqual(bf.errs, tc.errs) {
				t.Errorf("errors %q, want %q", bf.errs, tc.errs)
			}
			if len(tc.errs) > 0 {
				return
			}
			// The review page's hidden fields make the same ballot again.
			hidden := map[string]string{}
			for _, h := range viewOf(r, apps, bf.contents).Hidden {
				hidden[h.Name] = h.Value
			}
			again := readBallotForm(func(k string) string { return hidden[k] }, r, apps)
			if !reflect.DeepEqual(again.contents, bf.contents) || len(again.errs) > 0 {
				t.Errorf("through the review: %+v %q, want %+v", again.contents, again.errs, bf.contents)
			}
			// And a saved ballot fills the form with the same values.
			vals := valuesOf(tc.method, bf.contents)
			back := readBallotForm(func(k string) string {
				for _, a := range apps {
					if ballotField(tc.method, a.ID) == k {
						return vals[a.ID]
					}
				}
				return ""
			}, r, apps)
			if !reflect.DeepEqual(back.contents, bf.contents) {
				t.Errorf("through the saved values: %+v, want %+v", back.contents, bf.contents)
			}
		})
	}
}

// Every method's form, and the read-only page after voting, render: the
// controls the method needs, the hint that states its limits, no control
// for an application the member may not vote on.
func TestBallotPagesRender(t *testing.T) {
	u := &UI{}
	if err := u.Load(); err != nil {
		t.Fatal(err)
	}
	apps := []ballot.Application{
		{ID: 11, Title: "Orchard", OrganisationName: "Makers", AmountMinor: 500000, Declaration: "none"},
		{ID: 14, Title: "Choir", OrganisationName: "Makers", AmountMinor: 100000, Declaration: "recused"},
		{ID: 15, Title: "Café", OrganisationName: "Makers", AmountMinor: 100000},
	}
	cases := []struct {
		name   string
		r      round.Round
		values map[int64]string
		want   []string
	}{
		{"approval_budget", round.Round{ID: 7, State: round.Voting, Method: round.ApprovalBudget, BudgetMinor: 600000, Currency: "GBP"},
			map[int64]string{11: "yes"},
			[]string{`type="checkbox" id="approve-11" name="approve-11" value="yes" checked`, "fit the round's budget of £6,000.00", "asking for £5,000.00"}},
		{"score-radios", round.Round{ID: 7, State: round.Voting, Method: round.Score, MethodParams: round.Params{MaxScore: 3}, Currency: "GBP"},
			map[int64]string{11: "dont_know"},
			[]string{`id="score-11" name="score-11" value="0"`, `id="score-11-3" name="score-11" value="3"`, `value="dont_know" checked`}},
		{"score-select", round.Round{ID: 7, State: round.Voting, Method: round.Score, MethodParams: round.Params{MaxScore: 20}, Currency: "GBP"},
			map[int64]string{11: "17"},
			[]string{`<select id="score-11" name="score-11"`, `<option value="17" selected>17</option>`, `<option value="">Not scored</option>`}},
		{"ranking", round.Round{ID: 7, State: round.Voting, Method: round.Ranking, Currency: "GBP"},
			nil,
			[]string{`<select id="rank-11" name="rank-11"`, `<option value="1">1</option>`, `<option value="">Not ranked</option>`}},
		{"cumulative", round.Round{ID: 7, State: round.Voting, Method: round.Cumulative, MethodParams: round.Params{Points: 10, MaxPerApplication: 4}, Currency: "GBP"},
			map[int64]string{11: "4"},
			[]string{`type="number" id="points-11" name="points-11" inputmode="numeric" min="0" max="4" step="1" value="4"`, "You have 10 points to spread"}},
		{"closed", round.Round{ID: 7, State: round.Closed, Method: round.Approval, Currency: "GBP"},
			nil,
			[]string{"Voting has closed, so ballots can no longer change.", "You did not cast a ballot in this round."}},
		{"not-open", round.Round{ID: 7, State: round.Review, Method: round.Approval, Currency: "GBP"},
			nil,
			[]string{"Voting has not opened yet.", "You have not voted yet."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := ballotPageData{Round: tc.r, Summary: summarise(tc.r), Open: tc.r.State == round.Voting}
			if !d.Open {
				d.Status = map[bool]string{true: "Voting has closed, so ballots can no longer change.", false: "Voting has not opened yet."}[tc.r.State == round.Closed]
			}
			for _, a := range apps {
				d.Rows = append(d.Rows, ballotRow{Application: a, Field: ballotField(tc.r.Method, a.ID), RowID: rowID(tc.r.Method, a),
					Amount: "£" + map[int64]string{500000: "5,000.00", 100000: "1,000.00"}[a.AmountMinor], Votable: a.Votable(),
					Recused: a.Declaration == "recused", Value: tc.values[a.ID]})
				d.HasVotable = d.HasVotable || a.Votable()
			}
			d.Budget = "£6,000.00"
			if tc.r.Method == round.Score {
				d.ScoreSelect = tc.r.MethodParams.MaxScore > 10
				for i := 0; i <= tc.r.MethodParams.MaxScore; i++ {
					d.ScoreChoices = append(d.ScoreChoices, choice{itoa(i), itoa(i)})
				}
				d.ScoreChoices = append(d.ScoreChoices, choice{ballot.DontKnow, "Don't know"})
			}
			d.Ranks = []string{"1"}
			var buf strings.Builder
			if err := u.pages["ballot_form"].ExecuteTemplate(&buf, "layout", page{Data: d, Form: map[string]string{}}); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
			if m := regexp.MustCompile(`name="[a-z]+-1[45]"`).FindString(html); m != "" {
				t.Errorf("the page has a control for an application not on the ballot: %s", m)
			}
			if d.Open && (!strings.Contains(html, "Choir</strong>: you are recused") || !strings.Contains(html, `href="/rounds/7/declarations"`)) {
				t.Errorf("the page does not say why the choir and the café are not on the ballot")
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
