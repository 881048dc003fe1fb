package application

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/humblehq/humble/internal/validate"
)

// Limit is how much one answer may hold. Forms are a burden on applicants:
// the limits keep the asking short, and the panel's reading too.
type Limit struct {
	Field string // the JSON and form name
	Words int
	Chars int // a backstop against a few enormous "words"
}

// Limits of the applicant's answers, in the order the form asks them.
var (
	TitleLimit    = Limit{Field: "title", Words: 20, Chars: 200}
	ExploreLimit  = Limit{Field: "explore", Words: 250, Chars: 3000}
	WithWhomLimit = Limit{Field: "with_whom", Words: 250, Chars: 3000}
	HowLearnLimit = Limit{Field: "how_learn", Words: 250, Chars: 3000}
	BudgetLimit   = Limit{Field: "budget_summary", Words: 150, Chars: 2000}
)

// Words counts the words in s as the form's counter does: runs of
// characters between white space.
func Words(s string) int { return len(strings.Fields(s)) }

// check returns what is wrong with s under the limit, or "".
func (l Limit) check(s string) string {
	if n := Words(s); n > l.Words {
		return fmt.Sprintf("must be at most %d words (this has %d)", l.Words, n)
	}
	if n := utf8.RuneCountInString(s); n > l.Chars {
		return fmt.Sprintf("must be at most %d characters (this has %d)", l.Chars, n)
	}
	return ""
}

// clean trims an answer and turns a form's CRLF line ends into LF, so the
// same text counts the same however it arrived.
func clean(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// Proposal is what an applicant writes: the parts of an application they
// choose. Amounts are integer minor units of the fund's currency.
type Proposal struct {
	Title         string `json:"title"`
	Explore       string `json:"explore"`
	WithWhom      string `json:"with_whom"`
	HowLearn      string `json:"how_learn"`
	AmountMinor   int64  `json:"amount_minor"`
	MinimumMinor  *int64 `json:"minimum_minor"`
	BudgetSummary string `json:"budget_summary"`
}

func (p *Proposal) clean() {
	p.Title = clean(p.Title)
	p.Explore = clean(p.Explore)
	p.WithWhom = clean(p.WithWhom)
	p.HowLearn = clean(p.HowLearn)
	p.BudgetSummary = clean(p.BudgetSummary)
}

// Check validates a proposal for a round with the given budget as Apply
// and Update do, naming every field at fault: forms use it to report every
// problem at once.
func (p Proposal) Check(roundBudget int64) error {
	p.clean()
	return p.check(roundBudget)
}

// check validates a cleaned proposal for a round with the given budget,
// naming every field at fault.
func (p Proposal) check(roundBudget int64) error {
	var errs validate.Errors
	for _, f := range []struct {
		limit Limit
		value string
	}{
		{TitleLimit, p.Title}, {ExploreLimit, p.Explore}, {WithWhomLimit, p.WithWhom},
		{HowLearnLimit, p.HowLearn}, {BudgetLimit, p.BudgetSummary},
	} {
		msg := "is required"
		if f.value != "" {
			msg = f.limit.check(f.value)
		}
		if msg != "" {
			errs = append(errs, validate.FieldError{Field: f.limit.Field, Message: msg})
		}
	}
	switch {
	case p.AmountMinor <= 0:
		errs = append(errs, validate.FieldError{Field: "amount_minor", Message: "must be more than 0"})
	case roundBudget > 0 && p.AmountMinor > roundBudget:
		errs = append(errs, validate.FieldError{Field: "amount_minor", Message: "must not be more than the round's whole budget"})
	}
	if m := p.MinimumMinor; m != nil {
		switch {
		case *m <= 0:
			errs = append(errs, validate.FieldError{Field: "minimum_minor", Message: "must be more than 0, or left out"})
		case p.AmountMinor > 0 && *m > p.AmountMinor:
			errs = append(errs, validate.FieldError{Field: "minimum_minor", Message: "must not be more than the amount requested"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
