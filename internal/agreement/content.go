package agreement

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/humblehq/humble/internal/validate"
)

// SignalsStatement is shown with every agreement, whatever it holds.
const SignalsStatement = "Learning signals are here to help us all learn. None of them is tied to payment or to renewal of this grant, and none of them is a target: there is nothing to hit."

// Reflection modes: how the grantee gives their reflective account.
const (
	Written         = "written"
	Conversation    = "conversation"
	ReportForOthers = "report_for_others"
)

// ModeNames are the reflection modes as people read them.
var ModeNames = map[string]string{
	Written:         "A written account",
	Conversation:    "A conversation, with notes the grantee confirms",
	ReportForOthers: "A report the grantee wrote for someone else",
}

// Modes lists the reflection modes in the order forms offer them.
var Modes = []string{Written, Conversation, ReportForOthers}

// Content is the agreement itself: what both sides write and sign. A draft
// may leave parts empty; Missing says what signing needs.
type Content struct {
	SharedPurpose     string      `json:"shared_purpose" validate:"max=5000"`
	WhyWeFundedYou    string      `json:"why_we_funded_you" validate:"max=5000"`
	LearningQuestions []string    `json:"learning_questions" validate:"max=20,dive,notblank,max=1000"`
	Explorations      []string    `json:"explorations" validate:"max=20,dive,notblank,max=1000"`
	Reflection        Reflection  `json:"reflection"`
	LearningSignals   []Signal    `json:"learning_signals" validate:"max=20,dive"`
	FunderCommitments Commitments `json:"funder_commitments"`
	LearningPartner   Partner     `json:"learning_partner"`
	ConsentTerms      string      `json:"consent_terms" validate:"max=5000"`
	// RenegotiateOn is when both sides mean to look at the agreement
	// again (YYYY-MM-DD).
	RenegotiateOn string `json:"renegotiate_on" validate:"max=10"`
}

// Reflection is how and how often the grantee reflects.
type Reflection struct {
	Mode string `json:"mode" validate:"omitempty,oneof=written conversation report_for_others"`
	// EveryMonths is 0 while a draft has not chosen it.
	EveryMonths int    `json:"every_months" validate:"min=0,max=24"`
	Note        string `json:"note" validate:"max=2000"`
}

// Signal is a learning signal: something watched to learn from. It has no
// target, threshold, score or rating, and is never tied to money.
type Signal struct {
	Name          string `json:"name" validate:"notblank,max=200"`
	TellsUs       string `json:"tells_us" validate:"notblank,max=2000"`
	DoesNotTellUs string `json:"does_not_tell_us" validate:"notblank,max=2000"`
	CollectedBy   string `json:"collected_by" validate:"max=300"`
	HowOften      string `json:"how_often" validate:"max=200"`
}

// Commitments are what the funder promises in return.
type Commitments struct {
	Money              string `json:"money" validate:"max=2000"`
	Flexibility        string `json:"flexibility" validate:"max=2000"`
	SupportBeyondMoney string `json:"support_beyond_money" validate:"max=2000"`
	// ResponseDays is how many days the funder takes, at most, to answer
	// a reflective account (0 while a draft has not said).
	ResponseDays int `json:"response_days" validate:"min=0,max=365"`
}

// Partner is the learning partner who walks alongside the grantee.
type Partner struct {
	Name string `json:"name" validate:"max=200"`
	// UserID, if set, is someone holding the learning partner role in the
	// fund.
	UserID *int64 `json:"user_id" validate:"omitempty,gt=0"`
}

// Normalise trims every text and makes absent lists empty, so that equal
// agreements have equal canonical forms.
func (c *Content) Normalise() {
	t := strings.TrimSpace
	c.SharedPurpose, c.WhyWeFundedYou, c.ConsentTerms = t(c.SharedPurpose), t(c.WhyWeFundedYou), t(c.ConsentTerms)
	c.RenegotiateOn = t(c.RenegotiateOn)
	c.LearningQuestions = trimList(c.LearningQuestions)
	c.Explorations = trimList(c.Explorations)
	c.Reflection.Mode, c.Reflection.Note = t(c.Reflection.Mode), t(c.Reflection.Note)
	if c.LearningSignals == nil {
		c.LearningSignals = []Signal{}
	}
	for i := range c.LearningSignals {
		s := &c.LearningSignals[i]
		s.Name, s.TellsUs, s.DoesNotTellUs, s.CollectedBy, s.HowOften = t(s.Name), t(s.TellsUs), t(s.DoesNotTellUs), t(s.CollectedBy), t(s.HowOften)
	}
	f := &c.FunderCommitments
	f.Money, f.Flexibility, f.SupportBeyondMoney = t(f.Money), t(f.Flexibility), t(f.SupportBeyondMoney)
	c.LearningPartner.Name = t(c.LearningPartner.Name)
}

func trimList(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// check adds what the validator cannot say: the date's form. prefix is
// the path of the content in the request ("content.").
func (c Content) check(prefix string) error {
	if c.RenegotiateOn != "" {
		if _, err := time.Parse(time.DateOnly, c.RenegotiateOn); err != nil {
			return validate.Field(prefix+"renegotiate_on", "must be a date written YYYY-MM-DD, such as 2027-03-31")
		}
	}
	return nil
}

// Canonical is the content's canonical form: compact JSON with the fields
// in the order of Content, texts trimmed, lists as written, no HTML
// escaping. Hash is the sha256 of it.
func (c Content) Canonical() []byte {
	c.Normalise()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		panic(err) // Content has only strings, ints and lists of them
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Hash is the sha256 of the canonical form, in hex: what a signature
// signs.
func (c Content) Hash() string {
	sum := sha256.Sum256(c.Canonical())
	return hex.EncodeToString(sum[:])
}

// Missing lists (as people read them) the parts a version needs before it
// can be signed.
func (c Content) Missing() []string {
	var out []string
	need := func(ok bool, what string) {
		if !ok {
			out = append(out, what)
		}
	}
	need(c.SharedPurpose != "", "the shared purpose")
	need(c.WhyWeFundedYou != "", "why we funded you")
	need(len(c.LearningQuestions) > 0, "at least one learning question")
	need(c.Reflection.Mode != "", "how the grantee will reflect")
	need(c.Reflection.EveryMonths > 0, "how often the grantee will reflect")
	need(c.FunderCommitments.Money != "", "what the funder commits in money")
	need(c.FunderCommitments.ResponseDays > 0, "how many days the funder takes to respond")
	need(c.RenegotiateOn != "", "a date to renegotiate")
	return out
}

// forbidden are the names of fields Humble never has: no targets, no
// thresholds, no scores, no ratings. A request carrying one is told so
// by name, rather than only that the field is unknown.
var forbidden = map[string]bool{
	"target": true, "targets": true, "threshold": true, "thresholds": true, "score": true, "scores": true,
	"rating": true, "ratings": true, "rag": true, "rag_rating": true, "kpi": true, "kpis": true,
	"milestone_target": true, "goal_value": true, "target_value": true, "baseline_target": true,
}

// ForbiddenField looks through a JSON body for a field that would make a
// learning signal (or anything else here) into a target, and names the
// first one found by its path, such as content.learning_signals[0].target.
func ForbiddenField(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil // the strict decoder reports it
	}
	if path := findForbidden(v, ""); path != "" {
		return validate.Field(path, "is not something an agreement holds: learning signals are for learning together, with no target, threshold, score or rating, so there is nothing to hit")
	}
	return nil
}

func findForbidden(v any, path string) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if forbidden[strings.ToLower(k)] {
				return p
			}
			if found := findForbidden(x[k], p); found != "" {
				return found
			}
		}
	case []any:
		for i, e := range x {
			if found := findForbidden(e, fmt.Sprintf("%s[%d]", path, i)); found != "" {
				return found
			}
		}
	}
	return ""
}
