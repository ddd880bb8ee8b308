package login

import (
	"sync"
	"time"
)

// throttle counts failed logins per key (a username, a client address) in a
// sliding window. It lives in the process: with several replicas each keeps
// its own count, which bounds guessing per replica (docs/security.md).
type throttle struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string][]time.Time
}

// maxKeys bounds the keys a throttle remembers.
const maxKeys = 100_000

func newThrottle(max int, window time.Duration) *throttle {
	return &throttle{max: max, window: window, fails: map[string][]time.Time{}}
}

// blocked reports whether key has failed max times within the window, and
// when the oldest of those failures leaves it.
func (t *throttle) blocked(key string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.prune(key, now)
	if len(recent) < t.max {
		return false, 0
	}
	return true, recent[0].Add(t.window).Sub(now)
}

func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) > maxKeys { // bound memory under a spray of keys
		for k := range t.fails {
			t.prune(k, now)
		}
		if len(t.fails) > maxKeys {
			// Still full: forget rather than scan on every failure. A
			// sprayer gains little — each address has its own budget.
			clear(t.fails)
		}
	}
	t.fails[key] = append(t.prune(key, now), now)
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func (t *throttle) prune(key string, now time.Time) []time.Time {
	list := t.fails[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.fails, key)
	} else {
		t.fails[key] = list
	}
	return list
}
