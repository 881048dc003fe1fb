// Package migrations holds the versioned SQL migrations, the schema's single
// source of truth. They are embedded in the binary and applied by goose.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_what.sql.
//
//go:embed *.sql
var FS embed.FS
