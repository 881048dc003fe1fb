package store_test

import (
	"context"
	"net/url"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/humblehq/humble/internal/pgtest"
	"github.com/humblehq/humble/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Several replicas starting at once each run the migrations: the advisory
// lock makes one apply them and the others find nothing to do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	base := pgtest.NewDatabase(t)
	// A fresh schema in the test database is an empty database as far as
	// unqualified migrations are concerned.
	db, err := store.Open(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`CREATE SCHEMA fresh`).Error; err != nil {
		t.Fatal(err)
	}
	store.Close(db)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", "fresh")
	u.RawQuery = q.Encode()

	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(context.Background(), u.String())
			if err != nil {
				errs[i] = err
				return
			}
			defer store.Close(db)
			errs[i] = store.Migrate(context.Background(), store.SQL(db))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	db, err = store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	current, err := store.MigrationsCurrent(context.Background(), store.SQL(db))
	if err != nil || !current {
		t.Fatalf("migrations current = %v, %v", current, err)
	}
	var applied int64
	db.Raw(`SELECT count(*) FROM fresh.goose_db_version WHERE version_id > 0`).Scan(&applied)
	var files int64
	db.Raw(`SELECT count(DISTINCT version_id) FROM fresh.goose_db_version WHERE version_id > 0`).Scan(&files)
	if applied != files {
		t.Errorf("%d rows for %d migrations: one was applied twice", applied, files)
	}
	var tables int64
	db.Raw(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'fresh' AND table_name = 'users'`).Scan(&tables)
	if tables != 1 {
		t.Error("the migrations did not create their tables in the fresh schema")
	}
}
