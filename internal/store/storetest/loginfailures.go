package storetest

import (
	"testing"
	"time"
)

func testLoginFailures(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Second)
		mustDo(t, "record", s.RecordLoginFailure(ctx, "a", at, at.Add(time.Hour)))
	}
	mustDo(t, "record", s.RecordLoginFailure(ctx, "b", t0, t0.Add(time.Hour)))
	recent := func(key string, since time.Time, limit int) []time.Time {
		t.Helper()
		got, err := s.RecentLoginFailures(ctx, key, since, limit)
		mustDo(t, "recent", err)
		return got
	}
	if got := recent("a", t0.Add(-time.Second), 5); len(got) != 3 || !sameInstant(got[0], t0) || !sameInstant(got[2], t0.Add(2*time.Second)) {
		t.Errorf("recent a: %v, want the three failures, oldest first", got)
	}
	if got := recent("a", t0.Add(-time.Second), 2); len(got) != 2 || !sameInstant(got[1], t0.Add(time.Second)) {
		t.Errorf("recent a limit 2: %v, want the two oldest", got)
	}
	if got := recent("a", t0, 5); len(got) != 2 {
		t.Errorf("recent a after t0: %v, want 2 (since is exclusive)", got)
	}
	mustDo(t, "clear", s.ClearLoginFailures(ctx, "a"))
	if got := recent("a", t0.Add(-time.Second), 5); len(got) != 0 {
		t.Errorf("after clear: %v", got)
	}
	if got := recent("b", t0.Add(-time.Second), 5); len(got) != 1 {
		t.Errorf("clearing a touched b: %v", got)
	}
}
