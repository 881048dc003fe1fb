package round

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/humblehq/humble/internal/validate"
)

// Voting methods.
const (
	Approval       = "approval"        // approve any number of applications
	ApprovalBudget = "approval_budget" // approve applications whose costs fit the budget
	Score          = "score"           // score each application from 0 to N
	Ranking        = "ranking"         // rank applications in order of preference
	Cumulative     = "cumulative"      // spread a number of points over applications
)

// Methods lists the voting methods.
var Methods = []string{Approval, ApprovalBudget, Score, Ranking, Cumulative}

// MethodNames are the methods as people read them.
var MethodNames = map[string]string{
	Approval:       "Approval",
	ApprovalBudget: "Approval within the budget",
	Score:          "Scores",
	Ranking:        "Ranking",
	Cumulative:     "Cumulative points",
}

// PointsMethod reports whether a method gives each application a number of
// points (a score, a rank, cumulative points) rather than a yes.
func PointsMethod(method string) bool {
	return method == Score || method == Ranking || method == Cumulative
}

// Limits of the method parameters.
const (
	MaxScoreLimit  = 100
	MaxRankedLimit = 1000
	PointsLimit    = 10000
)

// Params are a voting method's parameters; only the ones of the round's
// method are set (the others are zero and left out of JSON).
type Params struct {
	// MaxScore is N of "score 0 to N" (score; 1 to 100).
	MaxScore int `json:"max_score,omitempty" form:"max_score"`
	// MaxRanked is how many applications a ballot may rank (ranking;
	// optional, 0 means all of them).
	MaxRanked int `json:"max_ranked,omitempty" form:"max_ranked"`
	// Points is how many points each panel member spreads (cumulative).
	Points int `json:"points,omitempty" form:"points"`
	// MaxPerApplication is the most points one application may receive
	// from one ballot (cumulative; 1 to Points).
	MaxPerApplication int `json:"max_per_application,omitempty" form:"max_per_application"`
}

// Value stores Params as jsonb.
func (p Params) Value() (driver.Value, error) {
	b, err := json.Marshal(p)
	return string(b), err
}

// Scan reads Params from jsonb.
func (p *Params) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*p = Params{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("round params: cannot scan %T", src)
	}
	*p = Params{}
	return json.Unmarshal(b, p)
}

// checkParams says which parameters are wrong for a method, as field
// errors under method_params.
func checkParams(method string, p Params) validate.Errors {
	var errs validate.Errors
	bad := func(field, msg string) {
		errs = append(errs, validate.FieldError{Field: "method_params." + field, Message: msg})
	}
	notFor := func(field string, v int) {
		if v != 0 {
			bad(field, "is not a parameter of "+strings.ToLower(MethodNames[method])+" voting")
		}
	}
	switch method {
	case Approval, ApprovalBudget:
		notFor("max_score", p.MaxScore)
		notFor("max_ranked", p.MaxRanked)
		notFor("points", p.Points)
		notFor("max_per_application", p.MaxPerApplication)
	case Score:
		if p.MaxScore < 1 || p.MaxScore > MaxScoreLimit {
			bad("max_score", fmt.Sprintf("must be a whole number from 1 to %d", MaxScoreLimit))
		}
		notFor("max_ranked", p.MaxRanked)
		notFor("points", p.Points)
		notFor("max_per_application", p.MaxPerApplication)
	case Ranking:
		if p.MaxRanked < 0 || p.MaxRanked > MaxRankedLimit {
			bad("max_ranked", fmt.Sprintf("must be a whole number from 1 to %d, or left out to rank them all", MaxRankedLimit))
		}
		notFor("max_score", p.MaxScore)
		notFor("points", p.Points)
		notFor("max_per_application", p.MaxPerApplication)
	case Cumulative:
		if p.Points < 1 || p.Points > PointsLimit {
			bad("points", fmt.Sprintf("must be a whole number from 1 to %d", PointsLimit))
		}
		if p.MaxPerApplication < 1 || (p.Points >= 1 && p.MaxPerApplication > p.Points) {
			bad("max_per_application", "must be a whole number from 1 to the number of points")
		}
		notFor("max_score", p.MaxScore)
		notFor("max_ranked", p.MaxRanked)
	}
	return errs
}

// Allocation rules (see PRODUCT §5 and the reference outcomes in pb/): the
// greedy rules and the Method of Equal Shares, by satisfaction measure
// (cost, cardinality, points), MES completed by raising every voter's
// budget K currency units at a time (_add<K>), optionally then greedily
// (_greedy), and sequential Phragmén.
const (
	DefaultApprovalRule = "mes_cost_add1_greedy"
	DefaultPointsRule   = "mes_points_greedy"
)

// Rules lists the allocation rules by their base names, for forms; the
// API also accepts every _add<K> variant.
var Rules = []string{
	"mes_cost_add1_greedy", "mes_points_greedy", "mes_cost_add1", "mes_card_add1", "mes_cost", "mes_card", "mes_points",
	"greedy_cost", "greedy_card", "greedy_points", "phragmen",
}

// RuleNames say what each rule does, in plain words.
var RuleNames = map[string]string{
	"mes_cost_add1_greedy": "Method of Equal Shares, completed by raising budgets and then greedily",
	"mes_points_greedy":    "Method of Equal Shares with points as support, completed greedily",
	"mes_cost_add1":        "Method of Equal Shares, completed by raising budgets",
	"mes_card_add1":        "Method of Equal Shares counting supporters, completed by raising budgets",
	"mes_cost":             "Method of Equal Shares",
	"mes_card":             "Method of Equal Shares counting supporters",
	"mes_points":           "Method of Equal Shares with points as support",
	"greedy_cost":          "Greedy: most supported first, while the money lasts",
	"greedy_card":          "Greedy: most supporters for the money first, while the money lasts",
	"greedy_points":        "Greedy: most points first, while the money lasts",
	"phragmen":             "Sequential Phragmén",
}

var ruleKey = regexp.MustCompile(`^(greedy_(cost|card|points)|phragmen|mes_(cost|card|points)(_add[1-9][0-9]{0,8})?|mes_cost_add[1-9][0-9]{0,8}_greedy|mes_(cost|card|points)_greedy)$`)

var addK = regexp.MustCompile(`_add([0-9]+)`)

// DefaultRule is the rule a round of method gets when none is chosen.
func DefaultRule(method string) string {
	if PointsMethod(method) {
		return DefaultPointsRule
	}
	return DefaultApprovalRule
}

// RuleName says what a rule does, also for _add<K> variants.
func RuleName(rule string) string {
	if n, ok := RuleNames[rule]; ok {
		return n
	}
	if m := addK.FindStringSubmatch(rule); m != nil {
		base := strings.Replace(rule, m[0], "_add1", 1)
		if n, ok := RuleNames[base]; ok {
			return n + fmt.Sprintf(" (by %s at a time)", m[1])
		}
	}
	return rule
}

// checkRule says what is wrong with a rule for a method: points rules need
// points to work with; Phragmén works on approvals only.
func checkRule(method, rule string) string {
	if !ruleKey.MatchString(rule) {
		return "must be one of " + strings.Join(Rules, ", ") + " (or an _add<K> variant of a mes_ rule)"
	}
	isPoints := strings.Contains(rule, "points")
	switch {
	case isPoints && !PointsMethod(method) && slices.Contains(Methods, method):
		return "uses points, which " + strings.ToLower(MethodNames[method]) + " voting does not give; choose a cost or card rule"
	case rule == "phragmen" && PointsMethod(method):
		return "works on approvals only; choose another rule for " + strings.ToLower(MethodNames[method]) + " voting"
	}
	return ""
}

// MethodInWords describes a round's method and parameters in a sentence.
func MethodInWords(method string, p Params) string {
	switch method {
	case Approval:
		return "Approval: each panel member approves as many applications as they support."
	case ApprovalBudget:
		return "Approval within the budget: each panel member approves the applications they support, as long as their costs together fit the round's budget."
	case Score:
		return fmt.Sprintf("Scores: each panel member scores each application from 0 to %d, or says they don't know.", p.MaxScore)
	case Ranking:
		if p.MaxRanked > 0 {
			return fmt.Sprintf("Ranking: each panel member ranks up to %d applications in order of preference.", p.MaxRanked)
		}
		return "Ranking: each panel member ranks the applications in order of preference."
	case Cumulative:
		return fmt.Sprintf("Cumulative points: each panel member spreads %d points over the applications, at most %d on any one.", p.Points, p.MaxPerApplication)
	}
	return method
}
