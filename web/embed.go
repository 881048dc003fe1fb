// Package web holds the server-rendered pages' templates and static assets,
// embedded in the binary.
package web

import "embed"

// Templates holds html/template files: layout.html and one file per page.
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds CSS, scripts and images served under /static/.
//
//go:embed static
var Static embed.FS
