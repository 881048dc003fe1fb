// Package money reads and writes amounts of money as people type and read
// them ("£1,250.00", "1,250.50 SEK") and as Humble stores them: integer
// minor units of an ISO 4217 currency, never floats. It knows nothing of
// funds or rounds.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Errors of Parse, each worded to follow a field's label ("Budget must be
// …").
var (
	ErrNotAmount = errors.New("must be an amount of money, like 1,250.00")
	ErrNegative  = errors.New("must not be negative")
	ErrTooLarge  = errors.New("is too large")
	ErrBadCode   = errors.New("must be in a three-letter currency code, like GBP")
	ErrPrecision = errors.New("has too many digits after the decimal point")
	ErrGrouping  = errors.New("must group thousands in threes, like 1,250,000.00")
)

// precisionError says how many decimals the currency allows.
type precisionError struct {
	decimals int
	currency string
}

func (e precisionError) Error() string {
	if e.decimals == 0 {
		return "must be a whole number: " + e.currency + " has no minor unit"
	}
	return fmt.Sprintf("must have at most %d digits after the decimal point in %s", e.decimals, e.currency)
}

func (e precisionError) Is(target error) bool { return target == ErrPrecision }

// exponents lists the ISO 4217 currencies whose minor unit is not a
// hundredth: most currencies have two decimals.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// symbols are the currencies written with a symbol in front; the others are
// written with their code after the amount.
var symbols = map[string]string{"GBP": "£", "EUR": "€", "USD": "$"}

// Decimals is the number of digits after the decimal point in currency.
func Decimals(currency string) int {
	if d, ok := exponents[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

func validCode(currency string) bool {
	if len(currency) != 3 {
		return false
	}
	for _, r := range currency {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Parse reads an amount typed by a person into minor units of currency:
// "1,250.50" in GBP is 125050. Thousands may be grouped with commas (in
// threes); the currency's symbol or code may be written around the amount;
// fewer decimals than the currency has are fine ("12.5" is 1250), more are
// refused rather than rounded.
func Parse(s, currency string) (int64, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !validCode(currency) {
		return 0, ErrBadCode
	}
	s = strings.TrimSpace(s)
	if sym, ok := symbols[currency]; ok {
		s = strings.TrimSpace(strings.TrimPrefix(s, sym))
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, currency), currency))
	if strings.HasPrefix(s, "-") {
		return 0, ErrNegative
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return 0, ErrNotAmount
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, ErrGrouping
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, ErrGrouping
			}
		}
		whole = strings.Join(groups, "")
	}
	if !digits(whole) || (hasPoint && !digits(frac)) {
		return 0, ErrNotAmount
	}
	dec := Decimals(currency)
	if len(frac) > dec {
		return 0, precisionError{decimals: dec, currency: currency}
	}
	frac += strings.Repeat("0", dec-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, ErrTooLarge
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	scale := int64(math.Pow10(dec))
	if w > (math.MaxInt64-f)/scale {
		return 0, ErrTooLarge
	}
	return w*scale + f, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Format writes minor units of currency as people read them: "£1,250.00",
// "€3.50", "$10.00", and "1,250.00 SEK" for currencies without a symbol
// here.
func Format(minor int64, currency string) string {
	currency = strings.ToUpper(currency)
	s := Plain(minor, currency)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if sym, ok := symbols[currency]; ok {
		return sign + sym + s
	}
	return sign + s + " " + currency
}

// Plain writes minor units of currency as a grouped number without symbol
// or code ("1,250.00"): what a form field shows for Parse to read back.
func Plain(minor int64, currency string) string {
	dec := Decimals(currency)
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-(minor + 1)) + 1 // safe for math.MinInt64
	}
	scale := uint64(math.Pow10(dec))
	whole, frac := u/scale, u%scale
	s := group(strconv.FormatUint(whole, 10))
	if dec > 0 {
		s += "." + fmt.Sprintf("%0*d", dec, frac)
	}
	if neg {
		s = "-" + s
	}
	return s
}

func group(d string) string {
	if len(d) <= 3 {
		return d
	}
	var b strings.Builder
	lead := len(d) % 3
	if lead > 0 {
		b.WriteString(d[:lead])
	}
	for i := lead; i < len(d); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d[i : i+3])
	}
	return b.String()
}
