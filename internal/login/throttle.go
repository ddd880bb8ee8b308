package login

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// throttle counts failed logins per key (a username, a client address) in a
// sliding window. The counts live in the database, so every replica sees
// the same ones: spreading guesses over replicas gains nothing.
type throttle struct {
	store  store.LoginFailures
	max    int
	window time.Duration
}

func newThrottle(st store.LoginFailures, max int, window time.Duration) *throttle {
	return &throttle{store: st, max: max, window: window}
}

// hashKey is what is stored: people type passwords into username fields.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte("gatehouse login throttle\x00" + key))
	return hex.EncodeToString(sum[:])
}

// blocked reports whether key has failed max times within the window, and
// when the oldest of those failures leaves it.
func (t *throttle) blocked(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	recent, err := t.store.RecentLoginFailures(ctx, hashKey(key), now.Add(-t.window), t.max)
	if err != nil || len(recent) < t.max {
		return false, 0, err
	}
	return true, recent[0].Add(t.window).Sub(now), nil
}

func (t *throttle) fail(ctx context.Context, key string, now time.Time) error {
	return t.store.RecordLoginFailure(ctx, hashKey(key), now, now.Add(t.window))
}

func (t *throttle) reset(ctx context.Context, key string) error {
	return t.store.ClearLoginFailures(ctx, hashKey(key))
}
