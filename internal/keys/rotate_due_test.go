package keys_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

// TestRotateDue: automatic rotation rotates a key only once the newest of
// its algorithm is a full period old, and a second manager (another
// replica) running the same check right after does nothing.
func TestRotateDue(t *testing.T) {
	st := newStore(t)
	clk := newClock()
	m := newManager(t, st, clk, secretA)
	ctx := context.Background()
	if err := m.Ensure(ctx, keys.RS256, keys.ES256); err != nil {
		t.Fatal(err)
	}
	const period = 30 * 24 * time.Hour
	if n, err := m.RotateDue(ctx, period, keys.ES256, keys.RS256); err != nil || n != 0 {
		t.Fatalf("fresh keys rotated: %d %v", n, err)
	}
	clk.Advance(period - time.Minute)
	if n, _ := m.RotateDue(ctx, period, keys.ES256, keys.RS256); n != 0 {
		t.Fatalf("rotated before the period: %d", n)
	}
	before := kids(t, m)
	clk.Advance(time.Minute)
	if n, err := m.RotateDue(ctx, period, keys.ES256, keys.RS256); err != nil || n != 2 {
		t.Fatalf("due keys: rotated %d, %v; want 2", n, err)
	}
	other := newManager(t, st, clk, secretA)
	if n, err := other.RotateDue(ctx, period, keys.ES256, keys.RS256); err != nil || n != 0 {
		t.Fatalf("second replica rotated again: %d %v", n, err)
	}
	if after := kids(t, m); len(after) != len(before)+2 {
		t.Fatalf("published keys %d → %d, want two more", len(before), len(after))
	}
}
