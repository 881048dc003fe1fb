package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi/datamodel"

	"github.com/humblehq/humble/internal/apptest"
	"github.com/humblehq/humble/internal/authz"
	"github.com/humblehq/humble/internal/httpapi"
)

// newDocument parses the embedded OpenAPI document.
func newDocument(t *testing.T) libopenapi.Document {
	t.Helper()
	doc, err := libopenapi.NewDocument(httpapi.OpenAPIDocument)
	if err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	return doc
}

// newValidator builds a request/response validator for the document. With
// strict, it reports response fields the document does not declare, so a field
// added to a Go type but not to the document fails the test; the free-form
// audit `changes` object and the headers every response carries are exempt.
func newValidator(t *testing.T, strict bool) validator.Validator {
	t.Helper()
	opts := []config.Option{}
	if strict {
		opts = append(opts, config.WithStrictMode())
	}
	opts = append(opts,
		config.WithStrictIgnorePaths("$.body.items[*].changes.**", "$.body.items[*].changes"),
		config.WithStrictIgnoredHeadersExtra("content-security-policy", "x-content-type-options",
			"x-frame-options", "referrer-policy", "cross-origin-opener-policy",
			"strict-transport-security", "set-cookie"))
	v, errs := validator.NewValidator(newDocument(t), opts...)
	if len(errs) > 0 {
		t.Fatalf("build the validator: %v", errs)
	}
	return v
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		if e.SpecLine > 0 {
			fmt.Fprintf(&b, " (openapi.json line %d)", e.SpecLine)
		}
		for _, se := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s at %q (%s", se.Reason, se.FieldPath, se.KeywordLocation)
			if se.Line > 0 {
				fmt.Fprintf(&b, ", line %d", se.Line)
			}
			b.WriteString(")")
		}
	}
	return b.String()
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := newDocument(t)
	info := doc.GetSpecInfo()
	// The document must be judged by the OpenAPI 3.1 schema, not 3.0's.
	if info.SpecFormat != datamodel.OAS31 || info.Version != "3.1.0" {
		t.Fatalf("document is %s (version %q), want OpenAPI 3.1.0", info.SpecFormat, info.Version)
	}
	if !strings.Contains(info.APISchema, "https://spec.openapis.org/oas/3.1/schema/") {
		t.Fatal("libopenapi did not pick the OpenAPI 3.1 schema to validate against")
	}

	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("build the model: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok || len(verrs) > 0 {
		t.Errorf("openapi.json does not conform to the OpenAPI 3.1 schema:%s", describe(verrs))
	}

	// The OpenAPI 3.1 schema leaves Schema Objects unchecked, so check each
	// one against the JSON Schema 2020-12 meta-schema (the 3.1 default).
	c := jsonschema.NewCompiler()
	meta, err := c.Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(httpapi.OpenAPIDocument))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	forEachSchema(raw, "#", func(ptr string, schema any) {
		n++
		if err := meta.Validate(schema); err != nil {
			t.Errorf("%s is not a valid JSON Schema 2020-12 schema: %v", ptr, err)
		}
	})
	if n < 20 {
		t.Errorf("found only %d schemas to check; the walk is broken", n)
	}

	// Every local $ref must point at something.
	forEachRef(raw, func(ref string) {
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("$ref %q is not local", ref)
			return
		}
		if _, ok := lookup(raw, ref); !ok {
			t.Errorf("$ref %q points at nothing", ref)
		}
	})
}

// forEachSchema calls fn for every Schema Object in the document: the
// component schemas and the `schema` of media types, parameters and headers.
func forEachSchema(node any, ptr string, fn func(ptr string, schema any)) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			p := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			switch {
			case k == "schema":
				fn(p, v)
			case k == "schemas" && ptr == "#/components":
				for name, s := range v.(map[string]any) {
					fn(p+"/"+name, s)
				}
			default:
				forEachSchema(v, p, fn)
			}
		}
	case []any:
		for i, v := range n {
			forEachSchema(v, ptr+"/"+strconv.Itoa(i), fn)
		}
	}
}

func forEachRef(node any, fn func(ref string)) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && k == "$ref" {
				fn(s)
				continue
			}
			forEachRef(v, fn)
		}
	case []any:
		for _, v := range n {
			forEachRef(v, fn)
		}
	}
}

func lookup(root any, ref string) (any, bool) {
	cur := root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

var echoParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

func TestEveryAPIRouteIsDocumented(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)

	served := map[string]bool{}
	for _, r := range env.Echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1") {
			continue
		}
		served[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	if len(served) == 0 {
		t.Fatal("the app serves no /api/v1 routes")
	}

	model, errs := newDocument(t).BuildV3Model()
	if errs != nil {
		t.Fatalf("build the model: %v", errs)
	}
	documented := map[string]bool{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+path] = true
			if op.OperationId == "" || op.Summary == "" || op.Description == "" {
				t.Errorf("%s %s: needs an operationId, a summary and a description", strings.ToUpper(method), path)
			}
		}
	}

	for _, k := range sortedKeys(served) {
		if !documented[k] {
			t.Errorf("route %s is served but not in openapi.json", k)
		}
	}
	for _, k := range sortedKeys(documented) {
		if !served[k] {
			t.Errorf("openapi.json documents %s, which no route serves", k)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// exchange is one real request to the running app and its response.
type exchange struct {
	req  *http.Request
	resp *http.Response
	body []byte
}

func call(t *testing.T, env *apptest.Env, method, path, token string, body string) exchange {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, env.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// Give the validator a fresh request (its body was consumed by sending).
	vreq, err := http.NewRequest(method, env.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	vreq.Header = req.Header.Clone()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return exchange{req: vreq, resp: resp, body: b}
}

// check validates the request and the response against the document. For
// requests that are meant to be refused, only the response is checked.
func check(t *testing.T, v validator.Validator, x exchange, wantStatus int, requestValid bool) {
	t.Helper()
	name := x.req.Method + " " + x.req.URL.RequestURI()
	if x.resp.StatusCode != wantStatus {
		t.Errorf("%s: status %d, want %d: %s", name, x.resp.StatusCode, wantStatus, x.body)
	}
	var ok bool
	var errs []*verrors.ValidationError
	if requestValid {
		ok, errs = v.ValidateHttpRequestResponse(x.req, x.resp)
	} else {
		if ok, _ := v.ValidateHttpRequest(x.req); ok {
			t.Errorf("%s: the document accepts a request the app refuses (%d)", name, x.resp.StatusCode)
		}
		ok, errs = v.ValidateHttpResponse(x.req, x.resp)
	}
	if !ok || len(errs) > 0 {
		body := x.body
		if len(body) > 2000 {
			body = append(body[:2000:2000], "…"...)
		}
		t.Errorf("%s → %d does not match openapi.json:%s\nbody: %s", name, x.resp.StatusCode, describe(errs), body)
	}
}

func TestResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	v := newValidator(t, true)
	admin := env.CreateUser(t, "Ada Admin")
	env.Grant(t, admin, authz.Admin, authz.Installation)
	token := env.Token(t, admin)
	member := env.CreateUser(t, "Mo Member")
	other := env.CreateUser(t, "Olu Other")
	otherToken := env.Token(t, other)

	// The document itself is free-form JSON: check it without strict mode.
	check(t, newValidator(t, false), call(t, env, http.MethodGet, "/api/v1/openapi.json", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/me", token, ""), http.StatusOK, true)

	// Organisations.
	x := call(t, env, http.MethodPost, "/api/v1/organisations", token,
		`{"name":"Riverside Community Trust","kind":"funder","identifier":"GB-CHC-1234567"}`)
	check(t, v, x, http.StatusCreated, true)
	var o struct{ ID int64 }
	if err := json.Unmarshal(x.body, &o); err != nil || o.ID == 0 {
		t.Fatalf("created organisation: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", token,
		`{"name":"Hillside Youth Club","kind":"applicant"}`), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", token,
		`{"name":"Another Trust","kind":"funder","identifier":"GB-CHC-1234567"}`), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/organisations", "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/organisations?page=1&per_page=1", token, ""), http.StatusOK, true)
	oid := strconv.FormatInt(o.ID, 10)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/organisations/"+oid, "", ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/organisations/999999", "", ""), http.StatusNotFound, true)

	// Members.
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations/"+oid+"/members", token,
		fmt.Sprintf(`{"user_id":%d}`, member.ID)), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations/"+oid+"/members", token,
		fmt.Sprintf(`{"user_id":%d}`, member.ID)), http.StatusConflict, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/organisations/"+oid+"/members", token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/organisations/"+oid+"/members", otherToken, ""), http.StatusForbidden, true)

	// Refused requests: the app and the document must agree they are bad.
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", token,
		`{"name":"Acme","kind":"charity"}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", token,
		`{"name":"Acme","kind":"funder","rating":"green"}`), http.StatusUnprocessableEntity, false)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", token,
		`{"name":"Half`), http.StatusBadRequest, false)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/me", "", ""), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", "",
		`{"name":"Acme","kind":"funder"}`), http.StatusUnauthorized, false)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/organisations", otherToken,
		`{"name":"Acme","kind":"funder"}`), http.StatusForbidden, true)

	// Tokens.
	x = call(t, env, http.MethodPost, "/api/v1/tokens", token, `{"name":"Reporting script"}`)
	check(t, v, x, http.StatusCreated, true)
	var tok struct{ ID int64 }
	if err := json.Unmarshal(x.body, &tok); err != nil || tok.ID == 0 {
		t.Fatalf("created token: %s", x.body)
	}
	check(t, v, call(t, env, http.MethodGet, "/api/v1/tokens", token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodDelete, "/api/v1/tokens/"+strconv.FormatInt(tok.ID, 10), token, ""), http.StatusNoContent, true)
	check(t, v, call(t, env, http.MethodDelete, "/api/v1/tokens/"+strconv.FormatInt(tok.ID, 10), otherToken, ""), http.StatusNotFound, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/tokens", token, ""), http.StatusOK, true)

	// Invitations.
	check(t, v, call(t, env, http.MethodPost, "/api/v1/invitations", token,
		fmt.Sprintf(`{"email":"sam@example.org","display_name":"Sam","organisation_id":%d}`, o.ID)), http.StatusCreated, true)
	check(t, v, call(t, env, http.MethodPost, "/api/v1/invitations", token,
		fmt.Sprintf(`{"email":%q}`, member.Email)), http.StatusConflict, true)

	// Audit events.
	check(t, v, call(t, env, http.MethodGet, "/api/v1/audit-events", token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/audit-events?limit=2", token, ""), http.StatusOK, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/audit-events", otherToken, ""), http.StatusForbidden, true)
	check(t, v, call(t, env, http.MethodGet, "/api/v1/audit-events?limit=500", token, ""), http.StatusUnprocessableEntity, false)
}
