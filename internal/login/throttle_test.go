package login

import (
	"testing"
	"time"
)

func TestThrottleSlidingWindow(t *testing.T) {
	th := newThrottle(3, time.Minute)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if blocked, _ := th.blocked("u:ada", t0.Add(time.Duration(i)*time.Second)); blocked {
			t.Fatalf("blocked after %d failures", i)
		}
		th.fail("u:ada", t0.Add(time.Duration(i)*time.Second))
	}
	blocked, wait := th.blocked("u:ada", t0.Add(10*time.Second))
	if !blocked || wait != 50*time.Second {
		t.Fatalf("after 3 failures: blocked=%v wait=%s, want true 50s", blocked, wait)
	}
	if blocked, _ := th.blocked("u:grace", t0.Add(10*time.Second)); blocked {
		t.Fatal("another key is blocked too")
	}
	// The oldest failure leaves the window: one attempt is allowed again.
	if blocked, _ := th.blocked("u:ada", t0.Add(60*time.Second)); blocked {
		t.Fatal("still blocked after the window slid")
	}
	th.reset("u:ada")
	if blocked, _ := th.blocked("u:ada", t0.Add(11*time.Second)); blocked {
		t.Fatal("reset did not clear the count")
	}
}

func TestThrottleBoundsMemory(t *testing.T) {
	th := newThrottle(5, time.Minute)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range maxKeys + 10 {
		th.fail(time.Duration(i).String(), t0)
		if len(th.fails) > maxKeys+1 {
			t.Fatalf("%d keys remembered, bound is %d", len(th.fails), maxKeys)
		}
	}
}
