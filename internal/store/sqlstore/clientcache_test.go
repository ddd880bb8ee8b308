package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

func openCached(t *testing.T, dsn string, ttl time.Duration) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(dsn, sqlstore.Options{ClientCacheTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func mkClient(t *testing.T, st *sqlstore.Store, id string) {
	t.Helper()
	if err := st.CreateClient(context.Background(), &store.Client{
		ID: id, Type: store.ClientTypeAPI, Name: id, SecretHash: "hmac-sha256$x", Enabled: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func disabled(st *sqlstore.Store, id string) bool {
	_, err := st.GetClient(context.Background(), id)
	return errors.Is(err, fosite.ErrNotFound)
}

func scopesOf(st *sqlstore.Store, id string) []string {
	c, err := st.GetClient(context.Background(), id)
	if err != nil {
		return nil
	}
	return c.GetScopes()
}

// TestClientCacheLocalChanges: a change through the same store is seen at
// once, even with a long TTL.
func TestClientCacheLocalChanges(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := openCached(t, b.NewDSN(t), time.Hour)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go st.ListenForChanges(ctx)
			mkClient(t, st, "c1")
			eventually(t, 5*time.Second, "cache live and client loaded", func() bool { return !disabled(st, "c1") })
			_ = st.UpdateClient(context.Background(), "c1", func(c *store.Client) error { c.Scopes = []string{"a"}; return nil })
			if got := scopesOf(st, "c1"); len(got) != 1 || got[0] != "a" {
				t.Fatalf("scopes after local update: %v", got)
			}
			if err := st.AddRoleMember(context.Background(), store.AdministrationRole, store.ClientUsername("c1", st.ClientDomain)); err != nil {
				t.Fatal(err)
			}
			if got := scopesOf(st, "c1"); len(got) != 2 {
				t.Fatalf("role scopes not seen at once: %v", got)
			}
			_ = st.UpdateClient(context.Background(), "c1", func(c *store.Client) error { c.Enabled = false; return nil })
			if !disabled(st, "c1") {
				t.Fatal("a disabled client is still served from the cache")
			}
			_ = st.UpdateClient(context.Background(), "c1", func(c *store.Client) error { c.Enabled = true; return nil })
			if err := st.DeleteClient(context.Background(), "c1"); err != nil {
				t.Fatal(err)
			}
			if !disabled(st, "c1") {
				t.Fatal("a deleted client is still served from the cache")
			}
		})
	}
}

// TestClientCacheAcrossReplicas: on PostgreSQL a change made by another
// replica reaches this one through LISTEN/NOTIFY well before the TTL; while
// the listener is down the cache is bypassed.
func TestClientCacheAcrossReplicas(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	a := openCached(t, dsn, time.Hour)
	b := openCached(t, dsn, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go a.ListenForChanges(ctx)
	mkClient(t, b, "shared")
	eventually(t, 5*time.Second, "A serves the client", func() bool { return !disabled(a, "shared") })

	_ = b.UpdateClient(context.Background(), "shared", func(c *store.Client) error { c.Enabled = false; return nil })
	eventually(t, 2*time.Second, "B's disable reaches A", func() bool { return disabled(a, "shared") })
	_ = b.UpdateClient(context.Background(), "shared", func(c *store.Client) error { c.Enabled = true; return nil })
	eventually(t, 2*time.Second, "B's enable reaches A", func() bool { return !disabled(a, "shared") })
	if err := b.AddRoleMember(context.Background(), store.AdministrationRole, store.ClientUsername("shared", b.ClientDomain)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "B's role change reaches A", func() bool { return len(scopesOf(a, "shared")) == 1 })

	// Listener gone: A reads the database every time.
	cancel()
	time.Sleep(100 * time.Millisecond)
	_ = b.UpdateClient(context.Background(), "shared", func(c *store.Client) error { c.Enabled = false; return nil })
	if !disabled(a, "shared") {
		t.Fatal("with its listener down, A served a stale client")
	}
}

// TestClientCacheTTL bounds what nothing announces: another process
// changing a SQLite file.
func TestClientCacheTTL(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	a := openCached(t, dsn, 300*time.Millisecond)
	b := openCached(t, dsn, 0)
	mkClient(t, b, "cli-changed")
	if disabled(a, "cli-changed") {
		t.Fatal("not served")
	}
	_ = b.UpdateClient(context.Background(), "cli-changed", func(c *store.Client) error { c.Enabled = false; return nil })
	eventually(t, 2*time.Second, "TTL expiry", func() bool { return disabled(a, "cli-changed") })
}
