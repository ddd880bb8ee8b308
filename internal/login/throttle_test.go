package login

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// openReplicas opens n stores on one fresh database: n replicas' views.
func openReplicas(t *testing.T, b sqltest.Backend, n int) []*sqlstore.Store {
	t.Helper()
	dsn := b.NewDSN(t)
	var out []*sqlstore.Store
	for range n {
		st, err := sqlstore.Open(dsn, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.MigrateUp(t.Context()); err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	return out
}

func TestThrottleSlidingWindow(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			th := newThrottle(openReplicas(t, b, 1)[0], 3, time.Minute)
			t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
			blocked := func(key string, at time.Time) (bool, time.Duration) {
				t.Helper()
				b, wait, err := th.blocked(ctx, key, at)
				if err != nil {
					t.Fatal(err)
				}
				return b, wait
			}
			for i := range 3 {
				if b, _ := blocked("u:ada", t0.Add(time.Duration(i)*time.Second)); b {
					t.Fatalf("blocked after %d failures", i)
				}
				if err := th.fail(ctx, "u:ada", t0.Add(time.Duration(i)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			b, wait := blocked("u:ada", t0.Add(10*time.Second))
			if !b || wait != 50*time.Second {
				t.Fatalf("after 3 failures: blocked=%v wait=%s, want true 50s", b, wait)
			}
			if b, _ := blocked("u:grace", t0.Add(10*time.Second)); b {
				t.Fatal("another key is blocked too")
			}
			// The oldest failure leaves the window: one attempt is allowed again.
			if b, _ := blocked("u:ada", t0.Add(60*time.Second)); b {
				t.Fatal("still blocked after the window slid")
			}
			if err := th.reset(ctx, "u:ada"); err != nil {
				t.Fatal(err)
			}
			if b, _ := blocked("u:ada", t0.Add(11*time.Second)); b {
				t.Fatal("reset did not clear the count")
			}
		})
	}
}

// TestThrottleAcrossReplicas: failures counted on one replica block the
// others, and the stored key is not the username.
func TestThrottleAcrossReplicas(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			stores := openReplicas(t, b, 3)
			now := time.Now().UTC()
			for i := range 3 {
				th := newThrottle(stores[i], 3, time.Minute)
				if err := th.fail(ctx, "u:my secret password", now); err != nil {
					t.Fatal(err)
				}
			}
			for i, st := range stores {
				if blocked, _, err := newThrottle(st, 3, time.Minute).blocked(ctx, "u:my secret password", now); err != nil || !blocked {
					t.Errorf("replica %d: blocked=%v err=%v after one failure on each of three replicas", i, blocked, err)
				}
			}
			var keys []string
			if err := stores[0].DB().Raw("SELECT throttle_key FROM login_failures").Scan(&keys).Error; err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if k != hashKey("u:my secret password") {
					t.Errorf("stored key %q is not the hash of the username", k)
				}
			}
		})
	}
}
