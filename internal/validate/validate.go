// Package validate owns the one shared go-playground validator and the
// field-level error type that every boundary (API, pages, services) speaks:
// a list of fields, each with a plain-language message.
package validate

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"

	"github.com/go-playground/validator/v10"
)

// FieldError names one field (by its JSON name) and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Errors is a validation failure: one or more fields at fault.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Field makes a one-field validation error.
func Field(field, message string) error { return Errors{{Field: field, Message: message}} }

// As extracts validation errors from err.
func As(err error) (Errors, bool) {
	var v Errors
	ok := errors.As(err, &v)
	return v, ok
}

var (
	once     sync.Once
	instance *validator.Validate
)

// V returns the shared validator, built once: building one per request is
// slow and loses its struct cache.
func V() *validator.Validate {
	once.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			for _, tag := range []string{"json", "form"} {
				name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
				if name == "-" {
					return ""
				}
				if name != "" {
					return name
				}
			}
			return f.Name
		})
		_ = v.RegisterValidation("notblank", func(fl validator.FieldLevel) bool {
			return strings.TrimSpace(fl.Field().String()) != ""
		})
		_ = v.RegisterValidation("orgid", func(fl validator.FieldLevel) bool {
			return OrgIdentifier(fl.Field().String())
		})
		instance = v
	})
	return instance
}

// Struct validates s and returns Errors (or nil).
func Struct(s any) error {
	err := V().Struct(s)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err
	}
	out := make(Errors, 0, len(ves))
	for _, fe := range ves {
		out = append(out, FieldError{Field: fieldPath(fe), Message: message(fe)})
	}
	return out
}

// fieldPath turns the validator's namespace into the JSON path people
// sent: it drops the top-level struct's name and those of embedded structs
// (Go names start upper-case; every JSON name here is lower_snake), so
// "NewFund.Details.budget_minor" → "budget_minor", "In.principles[1]" →
// "principles[1]".
func fieldPath(fe validator.FieldError) string {
	// The first part is always the top-level struct's type name, exported
	// or not ("roundTransition.to" → "to").
	parts := strings.Split(fe.Namespace(), ".")[1:]
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return fe.Field()
	}
	return strings.Join(kept, ".")
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "notblank":
		switch fe.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return "is required and must be more than 0"
		}
		return "is required"
	case "datetime":
		layout := fe.Param()
		if layout == "2006-01-02" {
			return "must be a date written as year-month-day, like 2027-04-01"
		}
		return "must be a date and time written like " + layout
	case "email":
		return "must be an email address, like name@example.org"
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("must be at most %s characters", fe.Param())
		}
		return fmt.Sprintf("must be at most %s", fe.Param())
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("must be at least %s characters", fe.Param())
		}
		return fmt.Sprintf("must be at least %s", fe.Param())
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "orgid":
		return "must be an organisation identifier such as GB-CHC-1234567"
	case "gt":
		return "must be more than " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	}
	return "is not valid (" + fe.Tag() + ")"
}

// OrgIdentifier reports whether s looks like a 360Giving organisation
// identifier: a country code, a register code and the number in that
// register, joined by hyphens (GB-CHC-1234567, GB-COH-09876543).
func OrgIdentifier(s string) bool {
	parts := strings.SplitN(s, "-", 3)
	if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) < 2 || parts[2] == "" {
		return false
	}
	for _, r := range parts[0] + parts[1] {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return len(s) <= 100
}
