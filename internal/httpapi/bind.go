package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/validate"
)

// MaxBodyBytes is the largest JSON body the API reads.
const MaxBodyBytes = 1 << 20

// bodyError is a request body that could not be read as the JSON asked for.
type bodyError struct {
	status int
	slug   string
	field  string
	detail string
}

func (e *bodyError) Error() string { return e.detail }

// Bind reads a JSON body into dst strictly: the right media type, within the
// size limit, one JSON value, no unknown fields, the right types. It then
// validates dst with the shared validator. Nothing is written before a
// handler has a valid value, so bad input never changes anything.
func Bind(c echo.Context, dst any) error {
	req := c.Request()
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEApplicationJSON {
		return &bodyError{status: http.StatusUnsupportedMediaType, slug: "unsupported-media-type",
			detail: "send the body as JSON with Content-Type: application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &bodyError{status: http.StatusRequestEntityTooLarge, slug: "too-large",
				detail: fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)}
		}
		return &bodyError{status: http.StatusBadRequest, slug: "malformed", detail: "the body could not be read"}
	}
	if err := decodeStrict(body, dst); err != nil {
		return err
	}
	return validate.Struct(dst)
}

func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &bodyError{status: http.StatusBadRequest, slug: "malformed", detail: "the body is empty; send a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &bodyError{status: http.StatusBadRequest, slug: "malformed", detail: "the body holds more than one JSON value"}
	}
	return exactFieldNames(body, dst)
}

// exactFieldNames refuses keys that differ from a field's JSON name only in
// case: encoding/json matches names case-insensitively, so {"NAME": …}
// would otherwise slip past DisallowUnknownFields.
func exactFieldNames(body []byte, dst any) error {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil // not an object; the decoder has already judged it
	}
	names := jsonNames(t)
	for k := range keys {
		if !names[k] {
			return &bodyError{status: http.StatusUnprocessableEntity, slug: "validation", field: k,
				detail: "is not a field this endpoint accepts (names are case-sensitive)"}
		}
	}
	return nil
}

// jsonNames lists the JSON names of a struct's fields, embedded ones included.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for n := range jsonNames(f.Type) {
				names[n] = true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
	}
	return names
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &bodyError{status: http.StatusBadRequest, slug: "malformed",
			detail: fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &bodyError{status: http.StatusBadRequest, slug: "malformed", detail: "the body is not valid JSON (it ends too soon)"}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &bodyError{status: http.StatusBadRequest, slug: "malformed", detail: "the body must be a JSON object"}
		}
		return &bodyError{status: http.StatusUnprocessableEntity, slug: "validation", field: field,
			detail: "must be " + jsonKind(typ.Type.Kind().String())}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &bodyError{status: http.StatusUnprocessableEntity, slug: "validation", field: name,
			detail: "is not a field this endpoint accepts"}
	}
	return &bodyError{status: http.StatusBadRequest, slug: "malformed", detail: "the body is not valid JSON"}
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "a whole number"
	case strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "true or false"
	case goKind == "slice", goKind == "array":
		return "a list"
	}
	return "an object"
}

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	return enc.Encode(v)
}
