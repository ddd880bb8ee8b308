package sqlstore

import (
	"context"
	"sync"
	"time"
)

// batchWriter group-commits access-token rows. Each caller still waits
// until its row is durably written — the semantics of one INSERT per token
// — but concurrent callers share one multi-row INSERT (one round trip, one
// commit). Batches form by themselves: while one is being written the next
// callers queue. Requests inside a transaction bypass it, since their row
// must commit or roll back with the rest.
type batchWriter struct {
	store   *Store
	table   string
	max     int
	timeout time.Duration

	mu      sync.Mutex
	queue   []*pendingRow
	running bool
	closed  bool
}

type pendingRow struct {
	row  *requestRow
	done chan error
}

func newBatchWriter(s *Store, table string, max int, timeout time.Duration) *batchWriter {
	return &batchWriter{store: s, table: table, max: max, timeout: timeout}
}

// write queues row and waits for its batch, or for ctx.
func (b *batchWriter) write(ctx context.Context, row *requestRow) error {
	p := &pendingRow{row: row, done: make(chan error, 1)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errClosed
	}
	b.queue = append(b.queue, p)
	if !b.running {
		b.running = true
		go b.drain()
	}
	b.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return fositeErr(ctx.Err()) // a deadline reads as temporarily unavailable
	}
}

// drain writes batches until the queue is empty.
func (b *batchWriter) drain() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), b.max)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = append([]*pendingRow(nil), b.queue[n:]...)
		b.mu.Unlock()

		rows := make([]*requestRow, len(batch))
		for i, p := range batch {
			rows[i] = p.row
		}
		err := b.insert(rows...)
		if err != nil && len(batch) > 1 {
			// One bad row must not fail its neighbours: retry one by one.
			for _, p := range batch {
				p.done <- b.insert(p.row)
			}
			continue
		}
		for _, p := range batch {
			p.done <- err
		}
	}
}

// insert writes rows in one statement. No caller's context bounds it (they
// share it), so it has its own deadline: a database that stopped answering
// must not stall every later batch.
func (b *batchWriter) insert(rows ...*requestRow) error {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	return fositeErr(b.store.db.WithContext(ctx).
		Table(b.table).Omit("access_signature").Create(rows).Error)
}

func (b *batchWriter) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}
