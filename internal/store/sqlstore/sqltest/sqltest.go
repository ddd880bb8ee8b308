// Package sqltest gives tests a fresh, empty database on each backend:
// a SQLite file in the test's temp dir, and a new PostgreSQL database on the
// server named by GATEHOUSE_TEST_POSTGRES_DSN, dropped when the test ends.
// Without that variable the PostgreSQL cases skip — unless
// GATEHOUSE_REQUIRE_POSTGRES=1 (set by .ci/run), where a skip is a failure.
package sqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Backend names one database kind and makes fresh databases of it.
type Backend struct {
	Name string
	// NewDSN returns the DSN of a new, empty database owned by t.
	NewDSN func(t testing.TB) string
}

// Backends lists SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", NewDSN: SQLiteDSN},
		{Name: "postgres", NewDSN: PostgresDSN},
	}
}

// SQLiteDSN is a new SQLite database file in t's temp dir.
func SQLiteDSN(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db")
}

// PostgresDSN creates a new database on the test server and drops it after t.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("GATEHOUSE_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("GATEHOUSE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("GATEHOUSE_TEST_POSTGRES_DSN is not set but GATEHOUSE_REQUIRE_POSTGRES=1: PostgreSQL tests must run")
		}
		t.Skip("GATEHOUSE_TEST_POSTGRES_DSN not set: skipping PostgreSQL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gh_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("GATEHOUSE_TEST_POSTGRES_DSN: %v", err)
	}
	u.Path = "/" + name
	return strings.Replace(u.String(), "postgresql://", "postgres://", 1)
}
