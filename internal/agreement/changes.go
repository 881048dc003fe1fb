package agreement

import (
	"fmt"
	"strconv"
)

// Change kinds of one part of an agreement between two versions.
const (
	Same    = "same"
	Changed = "changed"
	Added   = "added"
	Removed = "removed"
)

// Part is one part of an agreement, flattened for comparison: lists give
// one part per item, and a learning signal one part per field.
type Part struct {
	Field string `json:"field"` // its JSON path, such as learning_signals[0].name
	Label string `json:"label"` // as people read it
	Value string `json:"value"`
}

// Row is one part of two versions side by side.
type Row struct {
	Field  string `json:"field"`
	Label  string `json:"label"`
	Before string `json:"before"`
	After  string `json:"after"`
	Change string `json:"change"`
}

// Changes compares a version with the one before it, field by field and
// item by item.
type Changes struct {
	Number int `json:"number"`
	// Previous is the number of the version compared with; 0 for the
	// first version, which is compared with an empty agreement.
	Previous  int   `json:"previous"`
	Rows      []Row `json:"rows"`
	Changed   int   `json:"changed"`
	Unchanged int   `json:"unchanged"`
}

// Labels name the agreement's fields as people read them.
var Labels = map[string]string{
	"shared_purpose":                          "Shared purpose",
	"why_we_funded_you":                       "Why we funded you",
	"learning_questions":                      "Learning questions",
	"explorations":                            "Explorations planned",
	"reflection.mode":                         "How the grantee reflects",
	"reflection.every_months":                 "How often (months)",
	"reflection.note":                         "About reflecting",
	"learning_signals":                        "Learning signals",
	"funder_commitments.money":                "The funder commits: money",
	"funder_commitments.flexibility":          "The funder commits: flexibility",
	"funder_commitments.support_beyond_money": "The funder commits: support beyond money",
	"funder_commitments.response_days":        "The funder answers each account within (days)",
	"learning_partner.name":                   "Learning partner",
	"learning_partner.user_id":                "Learning partner's account",
	"consent_terms":                           "Consent terms for stories",
	"renegotiate_on":                          "Renegotiate on",
}

var signalFields = []struct{ key, label string }{
	{"name", "name"}, {"tells_us", "what it tells us"}, {"does_not_tell_us", "what it does not tell us"},
	{"collected_by", "who collects it"}, {"how_often", "how often"},
}

func (s Signal) field(key string) string {
	switch key {
	case "name":
		return s.Name
	case "tells_us":
		return s.TellsUs
	case "does_not_tell_us":
		return s.DoesNotTellUs
	case "collected_by":
		return s.CollectedBy
	}
	return s.HowOften
}

// parts flattens c; lists are padded to the lengths in n so that two
// versions line up item by item.
func (c Content) parts(nQuestions, nExplorations, nSignals int) []Part {
	var out []Part
	add := func(field, value string) { out = append(out, Part{Field: field, Label: Labels[field], Value: value}) }
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	list := func(field, label string, items []string, n int) {
		for i := range n {
			v := ""
			if i < len(items) {
				v = items[i]
			}
			out = append(out, Part{Field: fmt.Sprintf("%s[%d]", field, i), Label: fmt.Sprintf("%s %d", label, i+1), Value: v})
		}
	}
	add("shared_purpose", c.SharedPurpose)
	add("why_we_funded_you", c.WhyWeFundedYou)
	list("learning_questions", "Learning question", c.LearningQuestions, nQuestions)
	list("explorations", "Exploration", c.Explorations, nExplorations)
	add("reflection.mode", ModeNames[c.Reflection.Mode])
	add("reflection.every_months", num(c.Reflection.EveryMonths))
	add("reflection.note", c.Reflection.Note)
	for i := range nSignals {
		var s Signal
		if i < len(c.LearningSignals) {
			s = c.LearningSignals[i]
		}
		for _, f := range signalFields {
			out = append(out, Part{Field: fmt.Sprintf("learning_signals[%d].%s", i, f.key),
				Label: fmt.Sprintf("Learning signal %d: %s", i+1, f.label), Value: s.field(f.key)})
		}
	}
	add("funder_commitments.money", c.FunderCommitments.Money)
	add("funder_commitments.flexibility", c.FunderCommitments.Flexibility)
	add("funder_commitments.support_beyond_money", c.FunderCommitments.SupportBeyondMoney)
	add("funder_commitments.response_days", num(c.FunderCommitments.ResponseDays))
	add("learning_partner.name", c.LearningPartner.Name)
	add("consent_terms", c.ConsentTerms)
	add("renegotiate_on", c.RenegotiateOn)
	return out
}

// Compare lays before and after side by side, part by part.
func Compare(before, after Content) []Row {
	nq := max(len(before.LearningQuestions), len(after.LearningQuestions))
	ne := max(len(before.Explorations), len(after.Explorations))
	ns := max(len(before.LearningSignals), len(after.LearningSignals))
	b, a := before.parts(nq, ne, ns), after.parts(nq, ne, ns)
	rows := make([]Row, len(a))
	for i := range a {
		r := Row{Field: a[i].Field, Label: a[i].Label, Before: b[i].Value, After: a[i].Value}
		switch {
		case r.Before == r.After:
			r.Change = Same
		case r.Before == "":
			r.Change = Added
		case r.After == "":
			r.Change = Removed
		default:
			r.Change = Changed
		}
		rows[i] = r
	}
	return rows
}
