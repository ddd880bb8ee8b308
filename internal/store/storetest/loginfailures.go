package storetest

import (
	"testing"
	"time"
)

func testLoginFailures(t *testing.T, newStore NewStore) {
	t.Run("Places", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		before := t0.Add(-time.Second)
		take := func(key string, at, since time.Time) (id int64, place, failures int) {
			t.Helper()
			id, place, failures, err := s.TakeLoginAttempt(ctx, key, at, at.Add(time.Hour), since)
			mustDo(t, "take", err)
			return id, place, failures
		}
		var ids []int64
		for i := range 3 {
			id, place, failures := take("a", t0.Add(time.Duration(i)*time.Second), before)
			if place != i+1 || failures != i {
				t.Errorf("attempt %d: place %d, %d settled failures; want %d and %d", i, place, failures, i+1, i)
			}
			// Attempts are pending until settled: not yet failures.
			if oldest, _ := s.OldestLoginFailure(ctx, "a", before); i == 0 && !oldest.IsZero() {
				t.Errorf("a pending attempt reads as a failure: %v", oldest)
			}
			mustDo(t, "settle", s.SettleLoginFailure(ctx, id))
			ids = append(ids, id)
		}
		if _, place, failures := take("b", t0, before); place != 1 || failures != 0 {
			t.Errorf("another key's first attempt: place %d, failures %d; want 1 and 0", place, failures)
		}
		// since is exclusive: the attempt at t0 is out of a window after t0.
		pending, place, failures := take("a", t0.Add(3*time.Second), t0)
		if place != 3 || failures != 2 {
			t.Errorf("with the window after t0: place %d, failures %d; want 3 and 2", place, failures)
		}
		mustDo(t, "delete", s.DeleteLoginFailure(ctx, pending))
		oldest, err := s.OldestLoginFailure(ctx, "a", before)
		mustDo(t, "oldest", err)
		if !sameInstant(oldest, t0) {
			t.Errorf("oldest %v, want %v", oldest, t0)
		}
		mustDo(t, "delete", s.DeleteLoginFailure(ctx, ids[0]))
		if oldest, _ := s.OldestLoginFailure(ctx, "a", before); !sameInstant(oldest, t0.Add(time.Second)) {
			t.Errorf("after deleting the first, oldest %v", oldest)
		}
		mustDo(t, "clear", s.ClearLoginFailures(ctx, "a"))
		if oldest, err := s.OldestLoginFailure(ctx, "a", before); err != nil || !oldest.IsZero() {
			t.Errorf("oldest after clear: %v %v, want zero", oldest, err)
		}
		if _, place, _ := take("b", t0.Add(time.Second), before); place != 2 {
			t.Errorf("clearing a touched b: place %d, want 2", place)
		}
	})
	t.Run("ConcurrentAttemptsTakeDistinctPlaces", func(t *testing.T) {
		// The throttle's guarantee: however many guesses arrive at once,
		// each gets its own place, so no more than the limit pass.
		s := newStore(t)
		ctx := t.Context()
		now := time.Now().UTC()
		const n = 12
		places := make([]int, n)
		errs := concurrently(n, func(i int) error {
			var err error
			_, places[i], _, err = s.TakeLoginAttempt(ctx, "k", now, now.Add(time.Hour), now.Add(-time.Minute))
			return err
		})
		seen := map[int]bool{}
		for i := range n {
			mustDo(t, "attempt", errs[i])
			if places[i] < 1 || places[i] > n || seen[places[i]] {
				t.Fatalf("places %v: want each of 1..%d once", places, n)
			}
			seen[places[i]] = true
		}
	})
}
