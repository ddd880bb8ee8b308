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
		take := func(key string, at, since time.Time) (int64, int) {
			t.Helper()
			id, place, err := s.TakeLoginAttempt(ctx, key, at, at.Add(time.Hour), since)
			mustDo(t, "take", err)
			return id, place
		}
		var ids []int64
		for i := range 3 {
			id, place := take("a", t0.Add(time.Duration(i)*time.Second), before)
			if place != i+1 {
				t.Errorf("attempt %d took place %d, want %d", i, place, i+1)
			}
			ids = append(ids, id)
		}
		if _, place := take("b", t0, before); place != 1 {
			t.Errorf("another key's first attempt took place %d, want 1", place)
		}
		// since is exclusive: the attempt at t0 is out of a window after t0.
		if _, place := take("a", t0.Add(3*time.Second), t0); place != 3 {
			t.Errorf("with the window after t0: place %d, want 3", place)
		}
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
		if _, place := take("b", t0.Add(time.Second), before); place != 2 {
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
			_, places[i], err = s.TakeLoginAttempt(ctx, "k", now, now.Add(time.Hour), now.Add(-time.Minute))
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
