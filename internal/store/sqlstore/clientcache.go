package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// invalidationChannel is the PostgreSQL NOTIFY channel on which every
// replica announces a changed client ("*": every client, after role changes).
const invalidationChannel = "gatehouse_client_changed"

// clientCache keeps clients loaded for the token path in memory, so a token
// request does not read the client and its roles every time.
//
// Correctness rests on invalidation, not on the TTL alone:
//   - a change made by this process drops the entry after its transaction
//     commits (never before, or a concurrent read could cache the old row);
//   - on PostgreSQL the change also sends NOTIFY in its transaction, and
//     every replica's listener drops the entry on delivery; while a
//     listener is not connected the cache is bypassed;
//   - the TTL bounds what no notification reaches: a CLI command on the
//     host changing a SQLite file under a running server.
//
// A generation counter stops a load that raced an invalidation from
// putting the stale row back.
type clientCache struct {
	ttl   time.Duration
	live  atomic.Bool // false: bypass (a listener should run but does not)
	mu    sync.Mutex
	gen   uint64
	items map[string]cachedClient
}

type cachedClient struct {
	client *store.Client
	at     time.Time
}

func newClientCache(ttl time.Duration, live bool) *clientCache {
	c := &clientCache{ttl: ttl, items: map[string]cachedClient{}}
	c.live.Store(live)
	return c
}

// get returns a fresh entry, or the generation to pass to put after loading.
func (c *clientCache) get(id string) (*store.Client, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[id]; ok && time.Since(e.at) < c.ttl {
		return e.client, c.gen, true
	}
	return nil, c.gen, false
}

func (c *clientCache) put(id string, cl *store.Client, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // invalidated while loading
	}
	if len(c.items) >= 100_000 {
		clear(c.items)
	}
	c.items[id] = cachedClient{client: cl, at: time.Now()}
}

// invalidate drops one client, or every client for "*".
func (c *clientCache) invalidate(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id == "*" {
		clear(c.items)
		return
	}
	delete(c.items, id)
}

// cachedClient loads a client for the token path through the cache.
func (s *Store) cachedFindClient(ctx context.Context, id string) (*store.Client, error) {
	cc := s.cache
	if cc == nil || !cc.live.Load() || inTx(ctx) {
		return s.FindClient(ctx, id)
	}
	if c, _, ok := cc.get(id); ok {
		return c, nil
	}
	_, gen, _ := cc.get(id)
	c, err := s.FindClient(ctx, id)
	if err != nil {
		return nil, err
	}
	cc.put(id, c, gen)
	return c, nil
}

// clientChanged announces that client id ("*": any client) changed: to
// this process once the surrounding transaction commits, and to other
// replicas through NOTIFY in that transaction.
func (s *Store) clientChanged(ctx context.Context, id string) error {
	if s.cache == nil {
		return nil
	}
	if s.dialect == Postgres {
		if err := s.conn(ctx).Exec("SELECT pg_notify(?, ?)", invalidationChannel, id).Error; err != nil {
			return mapErr(err)
		}
	}
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.afterCommit = append(st.afterCommit, func() { s.cache.invalidate(id) })
		return nil
	}
	s.cache.invalidate(id)
	return nil
}

func inTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*txState)
	return ok
}

// ListenForChanges keeps a PostgreSQL LISTEN connection open until ctx
// ends, dropping cached clients as other replicas change them. While it is
// not connected the cache is bypassed, so nothing stale is served. On
// SQLite it returns at once (one process per file; the TTL bounds CLI
// changes).
func (s *Store) ListenForChanges(ctx context.Context) {
	if s.cache == nil || s.dialect != Postgres {
		return
	}
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		s.cache.live.Store(false)
		s.cache.invalidate("*")
		if ctx.Err() != nil {
			return
		}
		if s.log != nil {
			s.log.WarnContext(ctx, "client cache: change listener lost; bypassing the cache until it reconnects", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, s.dsn)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+invalidationChannel); err != nil {
		return err
	}
	// Anything changed before LISTEN took effect is dropped now.
	s.cache.invalidate("*")
	s.cache.live.Store(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.cache.invalidate(n.Payload)
	}
}
