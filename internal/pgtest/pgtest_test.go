package pgtest

import (
	"flag"
	"strconv"
	"sync"
	"testing"

	"gorm.io/gorm"
)

func TestMain(m *testing.M) { Main(m) }

// The two subtests run in parallel and meet half-way, so each must see only
// its own database while the other is alive.
func TestIsolation(t *testing.T) {
	var (
		mu    sync.Mutex
		names = map[string]string{}
		wrote sync.WaitGroup
	)
	wrote.Add(2)
	for _, email := range []string{"a@example.org", "b@example.org"} {
		t.Run(email, func(t *testing.T) {
			t.Parallel()
			db := DB(t)

			var name string
			if err := db.Raw("SELECT current_database()").Scan(&name).Error; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			names[email] = name
			mu.Unlock()

			// The migrations ran: users exists and is empty.
			if n := count(t, db); n != 0 {
				t.Fatalf("fresh database has %d users", n)
			}
			err := db.Exec("INSERT INTO users (email, display_name, password_hash) VALUES (?, 'Test', 'x')", email).Error
			if err != nil {
				t.Fatal(err)
			}
			wrote.Done()
			if parallel() > 1 {
				wrote.Wait() // both rows are written now
			}

			var emails []string
			if err := db.Raw("SELECT email FROM users").Scan(&emails).Error; err != nil {
				t.Fatal(err)
			}
			if len(emails) != 1 || emails[0] != email {
				t.Errorf("users in %s = %v, want only %s", name, emails, email)
			}
		})
	}
	t.Cleanup(func() {
		if a, b := names["a@example.org"], names["b@example.org"]; a == "" || a == b {
			t.Errorf("databases %q and %q, want two different ones", a, b)
		}
	})
}

func TestNewDatabaseDropped(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		db := DB(t)
		if err := db.Raw("SELECT current_database()").Scan(&name).Error; err != nil {
			t.Fatal(err)
		}
	})
	var exists bool
	if err := h.admin.QueryRowContext(t.Context(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test", name)
	}
}

func count(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Table("users").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// parallel is the -test.parallel setting: with 1 the subtests cannot meet.
func parallel() int {
	f := flag.Lookup("test.parallel")
	if f == nil {
		return 1
	}
	n, _ := strconv.Atoi(f.Value.String())
	return n
}

// BenchmarkCloneDrop measures what each test pays for its own database.
func BenchmarkCloneDrop(b *testing.B) {
	NewDatabase(b) // set up the server and template outside the timing
	for b.Loop() {
		name := "humble_t_" + randomHex(8)
		if err := h.clone(b.Context(), name); err != nil {
			b.Fatal(err)
		}
		if err := h.drop(b.Context(), name); err != nil {
			b.Fatal(err)
		}
	}
}
