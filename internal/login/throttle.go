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
// the same ones: spreading guesses over replicas gains nothing. An attempt
// takes its place in the count before its password is checked, so guesses
// sent all at once cannot all pass under the limit together.
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

// attempt is one sign-in attempt's place in a throttle's count.
type attempt struct {
	t  *throttle
	id int64
}

// settleWaits are the pauses of an attempt that finds the window full only
// because other attempts of its key are still being checked: those may
// succeed and give their places back (one user signing in on several
// devices at once). About 0.8 s in all, several argon2id checks.
var settleWaits = []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	200 * time.Millisecond, 400 * time.Millisecond}

// take records a pending attempt of key. When settled failures already
// fill the window it is refused at once, with how long until the oldest
// leaves; when attempts still in flight fill it, it waits for them a
// little and tries again. A refused attempt does not count.
func (t *throttle) take(ctx context.Context, key string, now time.Time) (a attempt, wait time.Duration, err error) {
	k, since := hashKey(key), now.Add(-t.window)
	for i := 0; ; i++ {
		id, place, failures, err := t.store.TakeLoginAttempt(ctx, k, now, now.Add(t.window), since)
		if err != nil {
			return attempt{}, 0, err
		}
		if place <= t.max {
			return attempt{t: t, id: id}, 0, nil
		}
		if err := t.store.DeleteLoginFailure(ctx, id); err != nil {
			return attempt{}, 0, err
		}
		if failures >= t.max || i == len(settleWaits) {
			oldest, err := t.store.OldestLoginFailure(ctx, k, since)
			if oldest.IsZero() {
				oldest = now
			}
			return attempt{}, max(oldest.Add(t.window).Sub(now), time.Second), err
		}
		select {
		case <-ctx.Done():
			return attempt{}, 0, ctx.Err()
		case <-time.After(settleWaits[i]):
		}
	}
}

// failed settles the attempt as a failure: it keeps its place.
func (a attempt) failed(ctx context.Context) error {
	if a.t == nil {
		return nil
	}
	return a.t.store.SettleLoginFailure(ctx, a.id)
}

// succeeded gives the attempt's place back: it was not a failure.
func (a attempt) succeeded(ctx context.Context) error {
	if a.t == nil {
		return nil
	}
	return a.t.store.DeleteLoginFailure(ctx, a.id)
}

// reset forgets every failure of key.
func (t *throttle) reset(ctx context.Context, key string) error {
	return t.store.ClearLoginFailures(ctx, hashKey(key))
}
