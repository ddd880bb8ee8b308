package login

import (
	"sync"
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
			take := func(key string, at time.Time) (attempt, time.Duration) {
				t.Helper()
				a, wait, err := th.take(ctx, key, at)
				if err != nil {
					t.Fatal(err)
				}
				return a, wait
			}
			for i := range 3 {
				if _, wait := take("u:ada", t0.Add(time.Duration(i)*time.Second)); wait != 0 {
					t.Fatalf("attempt %d refused", i+1)
				}
			}
			if _, wait := take("u:ada", t0.Add(10*time.Second)); wait != 50*time.Second {
				t.Fatalf("fourth attempt: wait %s, want refused for 50s", wait)
			}
			if _, wait := take("u:grace", t0.Add(10*time.Second)); wait != 0 {
				t.Fatal("another key is refused too")
			}
			// The oldest failure leaves the window (and the refused attempt
			// did not count): one attempt is allowed again.
			a, wait := take("u:ada", t0.Add(60*time.Second))
			if wait != 0 {
				t.Fatal("still refused after the window slid")
			}
			// A success gives its place back.
			if err := a.succeeded(ctx); err != nil {
				t.Fatal(err)
			}
			if _, wait := take("u:ada", t0.Add(61*time.Second)); wait != 0 {
				t.Fatal("a successful attempt kept its place")
			}
			if err := th.reset(ctx, "u:ada"); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, wait := take("u:ada", t0.Add(62*time.Second)); wait != 0 {
					t.Fatalf("after reset, attempt %d refused", i+1)
				}
			}
		})
	}
}

// TestThrottleAcrossReplicas: attempts counted on one replica count on the
// others, guesses sent all at once cannot pass the limit together, and the
// stored key is not the username.
func TestThrottleAcrossReplicas(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			stores := openReplicas(t, b, 3)
			now := time.Now().UTC()
			for i := range 3 {
				if _, wait, err := newThrottle(stores[i], 3, time.Minute).take(ctx, "u:my secret password", now); err != nil || wait != 0 {
					t.Fatalf("replica %d: wait %s err %v", i, wait, err)
				}
			}
			for i, st := range stores {
				if _, wait, err := newThrottle(st, 3, time.Minute).take(ctx, "u:my secret password", now); err != nil || wait == 0 {
					t.Errorf("replica %d: wait %s err %v after one failure on each of three replicas, want refused", i, wait, err)
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

			// 30 guesses at once, spread over the replicas: exactly the limit pass.
			const guesses, limit = 30, 5
			var mu sync.Mutex
			passed := 0
			var wg sync.WaitGroup
			for i := range guesses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, wait, err := newThrottle(stores[i%len(stores)], limit, time.Minute).take(ctx, "u:burst", now)
					if err != nil {
						t.Error(err)
						return
					}
					if wait == 0 {
						mu.Lock()
						passed++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if passed != limit {
				t.Errorf("%d of %d simultaneous guesses passed, want exactly %d", passed, guesses, limit)
			}
		})
	}
}
