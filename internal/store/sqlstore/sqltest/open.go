package sqltest

import (
	"context"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
)

// Open opens the database at dsn and migrates it; the store is closed when
// t ends.
func Open(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}
