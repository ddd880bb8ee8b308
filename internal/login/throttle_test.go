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
		out = append(out, sqltest.Open(t, dsn))
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
			fail := func(a attempt) {
				t.Helper()
				if err := a.failed(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 3 {
				a, wait := take("u:ada", t0.Add(time.Duration(i)*time.Second))
				if wait != 0 {
					t.Fatalf("attempt %d refused", i+1)
				}
				fail(a)
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
			a, wait = take("u:ada", t0.Add(61*time.Second))
			if wait != 0 {
				t.Fatal("a successful attempt kept its place")
			}
			fail(a)
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
				a, wait, err := newThrottle(stores[i], 3, time.Minute).take(ctx, "u:my secret password", now)
				if err != nil || wait != 0 {
					t.Fatalf("replica %d: wait %s err %v", i, wait, err)
				}
				if err := a.failed(ctx); err != nil {
					t.Fatal(err)
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

			// burst sends n attempts of key at once, spread over the
			// replicas; each admitted one takes a password check's time and
			// then fails or succeeds. It returns how many were admitted.
			const limit = 5
			burst := func(key string, n int, succeed bool) int {
				var mu sync.Mutex
				admitted := 0
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						a, wait, err := newThrottle(stores[i%len(stores)], limit, time.Minute).take(ctx, key, now)
						if err != nil {
							t.Error(err)
							return
						}
						if wait != 0 {
							return
						}
						mu.Lock()
						admitted++
						mu.Unlock()
						time.Sleep(30 * time.Millisecond) // the argon2id check
						if succeed {
							err = a.succeeded(ctx)
						} else {
							err = a.failed(ctx)
						}
						if err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				return admitted
			}
			// 30 wrong guesses at once: exactly the limit get checked.
			if got := burst("u:burst", 30, false); got != limit {
				t.Errorf("%d of 30 simultaneous wrong guesses were checked, want exactly %d", got, limit)
			}
			// 8 right passwords at once (one user, several devices): attempts
			// in flight make the others wait, not fail.
			if got := burst("u:devices", 8, true); got != 8 {
				t.Errorf("%d of 8 simultaneous sign-ins with the right password were let through, want 8", got)
			}
		})
	}
}
