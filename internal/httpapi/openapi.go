package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// The OpenAPI 3.1 document for /api/v1 is openapi.json (info, shared
// components, the foundation's paths) merged with one fragment per area in
// openapi/*.json, each holding "paths" and "components" of its own, so that
// an area's routes and their description live side by side. A test fails
// when a registered route is missing from the merged document, and
// validates it.
//
//go:embed openapi.json openapi
var openAPIFiles embed.FS

// OpenAPIDocument is the merged document, built once at start.
var OpenAPIDocument = mustMergeOpenAPI()

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI(openAPIFiles)
	if err != nil {
		panic(err) // the embedded files are fixed at build time; a test covers them
	}
	return b
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	var doc map[string]any
	base, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var frag map[string]map[string]any
		if err := json.Unmarshal(raw, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for key, part := range frag {
			switch key {
			case "paths":
				if err := mergeInto(doc, []string{"paths"}, part, name); err != nil {
					return nil, err
				}
			case "components":
				for section, entries := range part {
					m, ok := entries.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("%s: components.%s is not an object", name, section)
					}
					if err := mergeInto(doc, []string{"components", section}, m, name); err != nil {
						return nil, err
					}
				}
			default:
				return nil, fmt.Errorf("%s: a fragment holds only paths and components, not %q", name, key)
			}
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// mergeInto adds entries under doc[path...], refusing to overwrite.
func mergeInto(doc map[string]any, path []string, entries map[string]any, from string) error {
	m := doc
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	for k, v := range entries {
		if _, dup := m[k]; dup {
			return fmt.Errorf("%s: %v %q is defined twice", from, path, k)
		}
		m[k] = v
	}
	return nil
}

func (a *API) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", OpenAPIDocument)
}
