package pglocal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned (wrapped) by FindBinDir and Start when no
// PostgreSQL server binaries can be found on this machine.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, postgres) found: " +
	"install PostgreSQL (e.g. `apt-get install postgresql`) " +
	"or set HUMBLE_DATABASE_URL to use an existing server")

// debianRoot is where Debian and Ubuntu install one bin directory per major
// version, none of them on PATH by default.
const debianRoot = "/usr/lib/postgresql"

// FindBinDir returns a directory holding both initdb and postgres: first
// from PATH, then the highest version under /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	return findBinDir(os.Getenv("PATH"), debianRoot)
}

// findBinDir is FindBinDir with PATH and the versioned search root passed
// in, so tests can point it at an empty world.
func findBinDir(pathEnv, versionedRoot string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue // an empty PATH element means ".", which we never trust
		}
		// initdb is often a symlink (/usr/local/bin/initdb ->
		// /usr/lib/postgresql/15/bin/initdb) with no postgres beside
		// it, so look in the directory the link resolves to.
		real, err := filepath.EvalSymlinks(filepath.Join(dir, "initdb"))
		if err != nil || !isExecutable(real) {
			continue
		}
		if d := filepath.Dir(real); hasServerBinaries(d) {
			return d, nil
		}
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}

	entries, _ := os.ReadDir(versionedRoot)
	var versions []string
	for _, e := range entries {
		if _, ok := parseVersion(e.Name()); ok {
			versions = append(versions, e.Name())
		}
	}
	slices.SortFunc(versions, func(a, b string) int {
		va, _ := parseVersion(a)
		vb, _ := parseVersion(b)
		return slices.Compare(vb, va) // highest first
	})
	for _, v := range versions {
		if d := filepath.Join(versionedRoot, v, "bin"); hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("searched PATH and %s/*/bin: %w", versionedRoot, ErrNoBinaries)
}

// parseVersion turns "15" or "9.6" into comparable numbers.
func parseVersion(s string) ([]int, bool) {
	var out []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func hasServerBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
