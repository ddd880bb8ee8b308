package oauth

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// usageRecorder keeps clients' last_used_at roughly current without a
// database write per token: each process records a client at most once per
// interval.
type usageRecorder struct {
	store interface {
		TouchClient(ctx context.Context, id string, t time.Time) error
	}
	interval time.Duration
	log      *slog.Logger
	mu       sync.Mutex
	last     map[string]time.Time
}

func (u *usageRecorder) touch(ctx context.Context, clientID string) {
	if u == nil || u.store == nil {
		return
	}
	now := time.Now().UTC()
	u.mu.Lock()
	if prev, ok := u.last[clientID]; ok && now.Sub(prev) < u.interval {
		u.mu.Unlock()
		return
	}
	if len(u.last) > 100_000 { // bound the map; forgetting only costs an extra write
		clear(u.last)
	}
	u.last[clientID] = now
	u.mu.Unlock()
	if err := u.store.TouchClient(ctx, clientID, now); err != nil {
		u.log.WarnContext(ctx, "record client use", "client_id", clientID, "error", err)
	}
}
