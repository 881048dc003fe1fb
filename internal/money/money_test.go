package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/humblehq/humble/internal/money"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in, currency string
		want               int64
		err                error
	}{
		{"grouped-pounds-and-pence", "1,250.50", "GBP", 125050, nil},
		{"plain", "1250.5", "GBP", 125050, nil},
		{"whole", "1250", "GBP", 125000, nil},
		{"with-symbol", "£1,250.00", "GBP", 125000, nil},
		{"with-spaces", "  € 3.50 ", "EUR", 350, nil},
		{"dollars", "$10", "USD", 1000, nil},
		{"code-after", "1,250.00 SEK", "SEK", 125000, nil},
		{"lower-case-code", "12", "gbp", 1200, nil},
		{"zero-decimal-currency", "1,000", "JPY", 1000, nil},
		{"three-decimal-currency", "1.234", "KWD", 1234, nil},
		{"zero", "0", "GBP", 0, nil},
		{"empty", "", "GBP", 0, money.ErrNotAmount},
		{"words", "lots", "GBP", 0, money.ErrNotAmount},
		{"trailing-point", "12.", "GBP", 0, money.ErrNotAmount},
		{"leading-point", ".5", "GBP", 0, money.ErrNotAmount},
		{"two-points", "1.2.3", "GBP", 0, money.ErrNotAmount},
		{"negative", "-5", "GBP", 0, money.ErrNegative},
		{"too-precise", "1.005", "GBP", 0, money.ErrPrecision},
		{"pence-in-yen", "1.5", "JPY", 0, money.ErrPrecision},
		{"bad-grouping", "1,25.00", "GBP", 0, money.ErrGrouping},
		{"leading-comma", ",250", "GBP", 0, money.ErrGrouping},
		{"long-first-group", "1250,000", "GBP", 0, money.ErrGrouping},
		{"overflow", "99999999999999999999", "GBP", 0, money.ErrTooLarge},
		{"overflow-after-scaling", "92233720368547759", "GBP", 0, money.ErrTooLarge},
		{"bad-currency", "12", "pounds", 0, money.ErrBadCode},
		{"exponent", "1e3", "GBP", 0, money.ErrNotAmount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := money.Parse(tc.in, tc.currency)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Parse(%q, %s) error %v, want %v", tc.in, tc.currency, err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Fatalf("Parse(%q, %s) = %d, want %d", tc.in, tc.currency, got, tc.want)
			}
		})
	}
}

func TestPrecisionMessageNamesTheCurrency(t *testing.T) {
	_, err := money.Parse("1.005", "GBP")
	if got, want := err.Error(), "must have at most 2 digits after the decimal point in GBP"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{125000, "GBP", "£1,250.00"},
		{350, "EUR", "€3.50"},
		{1000, "USD", "$10.00"},
		{125000, "SEK", "1,250.00 SEK"},
		{5, "GBP", "£0.05"},
		{0, "GBP", "£0.00"},
		{-125050, "GBP", "-£1,250.50"},
		{123456789, "JPY", "123,456,789 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{100000000, "GBP", "£1,000,000.00"},
		{math.MinInt64, "GBP", "-£92,233,720,368,547,758.08"},
	} {
		if got := money.Format(tc.minor, tc.currency); got != tc.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestFormatThenParseRoundTrips(t *testing.T) {
	for _, cur := range []string{"GBP", "EUR", "USD", "SEK", "JPY", "KWD"} {
		for _, v := range []int64{0, 1, 99, 100, 123456, 1000000000, math.MaxInt64} {
			got, err := money.Parse(money.Format(v, cur), cur)
			if err != nil || got != v {
				t.Errorf("%s %d: round trip gave %d, %v", cur, v, got, err)
			}
			got, err = money.Parse(money.Plain(v, cur), cur)
			if err != nil || got != v {
				t.Errorf("%s %d: plain round trip gave %d, %v", cur, v, got, err)
			}
		}
	}
}
