package sqlstore_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// open connects to dsn and closes the store when t ends.
func open(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// openMigrated is a fresh database of backend b at the latest schema.
func openMigrated(t *testing.T, b sqltest.Backend) *sqlstore.Store {
	t.Helper()
	st := open(t, b.NewDSN(t))
	if _, err := st.MigrateUp(t.Context()); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
	return st
}

func TestConformance(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) storetest.Store { return openMigrated(t, b) })
		})
	}
}

func TestMigrations(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("UpTwice", func(t *testing.T) {
				st := open(t, b.NewDSN(t))
				applied, err := st.MigrateUp(t.Context())
				if err != nil {
					t.Fatalf("first MigrateUp: %v", err)
				}
				var want []int
				for v := 1; v <= st.LatestVersion(); v++ {
					want = append(want, v)
				}
				if !slices.Equal(applied, want) {
					t.Errorf("first MigrateUp applied %v, want %v", applied, want)
				}
				applied, err = st.MigrateUp(t.Context())
				if err != nil {
					t.Fatalf("second MigrateUp: %v", err)
				}
				if len(applied) != 0 {
					t.Errorf("second MigrateUp applied %v, want nothing", applied)
				}
				v, err := st.SchemaVersion(t.Context())
				if err != nil || v != st.LatestVersion() {
					t.Errorf("SchemaVersion = %d, %v; want LatestVersion %d", v, err, st.LatestVersion())
				}
				if err := st.CheckSchema(t.Context()); err != nil {
					t.Errorf("CheckSchema after MigrateUp: %v", err)
				}
			})

			t.Run("CheckSchemaOnEmptyDatabase", func(t *testing.T) {
				st := open(t, b.NewDSN(t))
				v, err := st.SchemaVersion(t.Context())
				if err != nil || v != 0 {
					t.Errorf("SchemaVersion = %d, %v; want 0", v, err)
				}
				err = st.CheckSchema(t.Context())
				if err == nil {
					t.Fatal("CheckSchema on an empty database succeeded")
				}
				if !strings.Contains(err.Error(), "migrate up") {
					t.Errorf("CheckSchema: %q does not tell the operator to run `migrate up`", err)
				}
			})

			t.Run("LatestVersionMatchesFiles", func(t *testing.T) {
				st := open(t, b.NewDSN(t))
				if got, want := st.LatestVersion(), len(migrationFiles(t)[st.Dialect()]); got != want || want == 0 {
					t.Errorf("LatestVersion = %d, want %d (the %s files in migrations/)", got, want, st.Dialect())
				}
			})

			// Replicas started together all migrate; each step runs once.
			t.Run("ConcurrentMigrateUp", func(t *testing.T) {
				dsn := b.NewDSN(t)
				const n = 4
				stores := make([]*sqlstore.Store, n)
				for i := range stores {
					stores[i] = open(t, dsn)
				}
				applied := make([][]int, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						applied[i], errs[i] = stores[i].MigrateUp(t.Context())
					}()
				}
				close(start)
				wg.Wait()
				var all []int
				for i := range n {
					if errs[i] != nil {
						t.Errorf("MigrateUp %d: %v", i, errs[i])
					}
					all = append(all, applied[i]...)
				}
				slices.Sort(all)
				var want []int
				for v := 1; v <= stores[0].LatestVersion(); v++ {
					want = append(want, v)
				}
				if !slices.Equal(all, want) {
					t.Errorf("migrations applied across replicas: %v, want each of %v once", all, want)
				}
				if err := stores[0].CheckSchema(t.Context()); err != nil {
					t.Errorf("CheckSchema: %v", err)
				}
			})
		})
	}
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(postgres|sqlite)\.sql$`)

// migrationFiles lists "NNNN_name" per dialect from migrations/.
func migrationFiles(t *testing.T) map[string][]string {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("migrations/%s is not named NNNN_name.(postgres|sqlite).sql", e.Name())
			continue
		}
		out[m[3]] = append(out[m[3]], m[1]+"_"+m[2])
	}
	return out
}

// Every schema step exists for both dialects, under the same number and name.
func TestMigrationFilesPerDialect(t *testing.T) {
	files := migrationFiles(t)
	pg, lite := files[sqlstore.Postgres], files[sqlstore.SQLite]
	if len(pg) == 0 || len(pg) != len(lite) {
		t.Fatalf("%d PostgreSQL and %d SQLite migrations, want the same non-zero number", len(pg), len(lite))
	}
	if !slices.Equal(pg, lite) {
		t.Errorf("PostgreSQL migrations %q and SQLite migrations %q differ", pg, lite)
	}
}

// No credential that arrived in a request's form reaches any column of any
// protocol table.
func TestFormSecretsNotPersisted(t *testing.T) {
	secrets := map[string]string{
		"client_secret": "CLIENT-SECRET-7f3a",
		"code":          "AUTH-CODE-91bd",
		"refresh_token": "REFRESH-TOKEN-c04e",
		"code_verifier": "PKCE-VERIFIER-5e21",
		"password":      "PASSWORD-a8d9",
	}
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := openMigrated(t, b)
			ctx := t.Context()
			if err := st.CreateClient(ctx, &store.Client{ID: "app", Type: store.ClientTypeWeb, Name: "App", Enabled: true}); err != nil {
				t.Fatal(err)
			}
			client, err := st.GetClient(ctx, "app")
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{
				"grant_type":   {"authorization_code"},
				"redirect_uri": {"https://app.example/KEPT-REDIRECT"},
			}
			for k, v := range secrets {
				form.Set(k, v)
			}
			r := &fosite.Request{
				ID: "req-1", RequestedAt: time.Now().UTC(), Client: client, Form: form,
				GrantedScope: fosite.Arguments{"openid"},
				Session:      &openid.DefaultSession{Subject: "alice"},
			}
			for _, create := range []struct {
				table string
				fn    func() error
			}{
				{"oauth_access_tokens", func() error { return st.CreateAccessTokenSession(ctx, "sig-at", r) }},
				{"oauth_refresh_tokens", func() error { return st.CreateRefreshTokenSession(ctx, "sig-rt", "sig-at", r) }},
				{"oauth_authorize_codes", func() error { return st.CreateAuthorizeCodeSession(ctx, "sig-code", r) }},
				{"oauth_oidc_sessions", func() error { return st.CreateOpenIDConnectSession(ctx, "sig-code", r) }},
				{"oauth_pkce_requests", func() error { return st.CreatePKCERequestSession(ctx, "sig-code", r) }},
			} {
				t.Run(create.table, func(t *testing.T) {
					if err := create.fn(); err != nil {
						t.Fatalf("create: %v", err)
					}
					var rows []map[string]any
					if err := st.DB().Table(create.table).Find(&rows).Error; err != nil {
						t.Fatal(err)
					}
					if len(rows) != 1 {
						t.Fatalf("%d rows in %s, want 1", len(rows), create.table)
					}
					raw := fmt.Sprint(rows[0])
					// The rest of the form is kept: the check looks at the
					// right place.
					if !strings.Contains(raw, "KEPT-REDIRECT") || !strings.Contains(raw, "grant_type") {
						t.Fatalf("row does not hold the form at all: %s", raw)
					}
					for k, v := range secrets {
						if strings.Contains(raw, v) || strings.Contains(raw, `"`+k+`"`) {
							t.Errorf("%s holds the form's %s: %s", create.table, k, raw)
						}
					}
				})
			}
			if r.Form.Get("client_secret") != secrets["client_secret"] {
				t.Error("storing the request changed the caller's form")
			}
		})
	}
}

// The store's clock decides secret expiry to the instant: a secret works
// until, and not at, SecretExpiresAt; the same for a rotated secret's
// ExpiresAt. UpdateClient stamps UpdatedAt from it.
func TestClock(t *testing.T) {
	expiry := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := openMigrated(t, b)
			c := &store.Client{
				ID: "app", Type: store.ClientTypeAPI, Name: "App", Enabled: true,
				SecretHash: "current", SecretExpiresAt: expiry.Add(time.Hour),
				RotatedSecrets: []store.RotatedSecret{{Hash: "previous", ExpiresAt: expiry}},
			}
			if err := st.CreateClient(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name        string
				now         time.Time
				wantHash    string
				wantRotated int
			}{
				{"before the rotated secret expires", expiry.Add(-time.Nanosecond), "current", 1},
				{"when the rotated secret expires", expiry, "current", 0},
				{"before the secret expires", expiry.Add(time.Hour - time.Nanosecond), "current", 0},
				{"when the secret expires", expiry.Add(time.Hour), "", 0},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					st.Now = func() time.Time { return tc.now }
					fc, err := st.GetClient(t.Context(), "app")
					if err != nil {
						t.Fatal(err)
					}
					rotated := fc.(fosite.ClientWithSecretRotation).GetRotatedHashes()
					if string(fc.GetHashedSecret()) != tc.wantHash || len(rotated) != tc.wantRotated {
						t.Errorf("at %v: secret %q, %d rotated; want %q, %d", tc.now, fc.GetHashedSecret(), len(rotated), tc.wantHash, tc.wantRotated)
					}
				})
			}

			t.Run("UpdateClient stamps UpdatedAt", func(t *testing.T) {
				at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("UTC+3", 3*60*60))
				st.Now = func() time.Time { return at }
				if err := st.UpdateClient(t.Context(), "app", func(c *store.Client) error { c.Name = "Renamed"; return nil }); err != nil {
					t.Fatal(err)
				}
				got, err := st.FindClient(t.Context(), "app")
				if err != nil {
					t.Fatal(err)
				}
				if !got.UpdatedAt.Equal(at) || got.UpdatedAt.Location() != time.UTC {
					t.Errorf("UpdatedAt = %v, want %v in UTC", got.UpdatedAt, at.UTC())
				}
			})
		})
	}
}

func TestOpenRejectsBadDSN(t *testing.T) {
	tests := []struct {
		name, dsn string
	}{
		{"unknown scheme", "mysql://gate:hunter2@db.example/gatehouse"},
		{"sqlite without a path", "sqlite://"},
		{"no scheme", "gatehouse.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlstore.Open(tc.dsn, sqlstore.Options{})
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q) succeeded", tc.dsn)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Open error leaks the password: %v", err)
			}
		})
	}
}

// A closed database is reported, not hidden: Ping fails.
func TestPingClosed(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st, err := sqlstore.Open(b.NewDSN(t), sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if err := st.Ping(context.Background()); err == nil {
				t.Error("Ping on a closed store succeeded")
			}
		})
	}
}

// BeginTX on SQLite takes the write lock up front (BEGIN IMMEDIATE), so
// concurrent read-modify-write transactions queue on busy_timeout instead
// of failing with SQLITE_BUSY when one upgrades its read lock.
func TestSQLiteBeginTXTakesWriteLock(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	st := open(t, dsn)
	if _, err := st.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A second handle whose connection does not wait for locks.
	sqlDB, err := open(t, dsn).DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "PRAGMA busy_timeout = 0"); err != nil {
		t.Fatal(err)
	}

	ctx, err := st.BeginTX(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(t.Context(), "BEGIN IMMEDIATE")
	if err == nil {
		_, _ = conn.ExecContext(t.Context(), "ROLLBACK")
		_ = st.Rollback(ctx)
		t.Fatal("another writer could begin while BeginTX's transaction was open: BeginTX does not take the write lock")
	}
	if !strings.Contains(err.Error(), "SQLITE_BUSY") {
		t.Fatalf("BEGIN IMMEDIATE beside an open BeginTX: %v, want SQLITE_BUSY", err)
	}
	if err := st.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// Once the store's transaction ends the lock is free again.
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("BEGIN IMMEDIATE after Rollback: %v", err)
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}

// SQLite has no time type: times are text, and must be UTC in SQLite's own
// format so that ORDER BY on them is chronological and SQLite's date
// functions read them.
func TestSQLiteTimeFormat(t *testing.T) {
	st := open(t, sqltest.SQLiteDSN(t))
	if _, err := st.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 3, 1, 10, 30, 15, 123456000, time.FixedZone("UTC+2", 2*60*60))
	c := &store.Client{ID: "app", Type: store.ClientTypeAPI, Name: "App", CreatedAt: created}
	if err := st.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := st.DB().Raw(`SELECT typeof(created_at) || '|' || created_at FROM clients`).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	if want := "text|2024-03-01 08:30:15.123456+00:00"; raw != want {
		t.Errorf("created_at stored as %q, want %q", raw, want)
	}
}
