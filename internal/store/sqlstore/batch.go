package sqlstore

import (
	"context"
	"sync"
	"time"
)

// group runs the items of concurrent callers as one batch: one statement,
// one round trip. Each caller still waits for the batch that holds its
// item, so it sees exactly what one statement of its own would have given
// it. Batches form by themselves: while one runs, the next callers queue.
// Two groups use it: access-token rows written outside a transaction
// (group commit) and denylist lookups at introspection (group read).
type group[T, R any] struct {
	max int
	// run answers every call of a batch (fills out and err); it must not
	// keep the slice.
	run func(batch []*call[T, R])

	mu      sync.Mutex
	queue   []*call[T, R]
	running bool
	closed  bool
}

type call[T, R any] struct {
	in   T
	out  R
	err  error
	done chan struct{}
}

func newGroup[T, R any](max int, run func([]*call[T, R])) *group[T, R] {
	return &group[T, R]{max: max, run: run}
}

// do queues in and waits for its batch, or for ctx.
func (g *group[T, R]) do(ctx context.Context, in T) (R, error) {
	c := &call[T, R]{in: in, done: make(chan struct{})}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		var zero R
		return zero, errClosed
	}
	g.queue = append(g.queue, c)
	if !g.running {
		g.running = true
		go g.drain()
	}
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.out, c.err
	case <-ctx.Done():
		var zero R
		return zero, fositeErr(ctx.Err()) // a deadline reads as temporarily unavailable
	}
}

// drain runs batches until the queue is empty.
func (g *group[T, R]) drain() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.max)
		if n == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		batch := g.queue[:n:n]
		g.queue = append([]*call[T, R](nil), g.queue[n:]...)
		g.mu.Unlock()

		g.run(batch)
		for _, c := range batch {
			close(c.done)
		}
	}
}

func (g *group[T, R]) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// batchContext bounds one batch. No caller's context may (they share the
// statement), so it has its own deadline: a database that stopped
// answering must not stall every later batch.
func (s *Store) batchContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.batchTimeout)
}

// writeAccessRows is the group commit of access-token rows.
func (s *Store) writeAccessRows(batch []*call[*requestRow, struct{}]) {
	rows := make([]*requestRow, len(batch))
	for i, c := range batch {
		rows[i] = c.in
	}
	err := s.insertAccessRows(rows...)
	if err != nil && len(batch) > 1 {
		// One bad row must not fail its neighbours: retry one by one.
		for _, c := range batch {
			c.err = s.insertAccessRows(c.in)
		}
		return
	}
	for _, c := range batch {
		c.err = err
	}
}

func (s *Store) insertAccessRows(rows ...*requestRow) error {
	ctx, cancel := s.batchContext()
	defer cancel()
	return fositeErr(s.db.WithContext(ctx).Table(tableAccessTokens).Omit("access_signature").Create(rows).Error)
}

// timeoutOr returns d, or def when d is not set.
func timeoutOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
