package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPIDocument describes /api/v1 (OpenAPI 3.1). A test fails when a
// registered route is missing from it, and validates it.
//
//go:embed openapi.json
var OpenAPIDocument []byte

func (a *API) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", OpenAPIDocument)
}
