// Package jobs runs Gatehouse's background work on every replica, each
// period's run happening once across them: a job takes a lease in the
// database before it runs. It also holds the cleanup job that keeps the
// protocol tables bounded.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/metrics"
)

// Leaser grants named leases.
type Leaser interface {
	AcquireLease(ctx context.Context, name, holder string, d time.Duration) (bool, error)
}

// Runner runs periodic jobs under leases.
type Runner struct {
	Leases  Leaser
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Holder names this process in leases.
	Holder string
}

// NewHolder names this process: host and a random suffix.
func NewHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// Job is one unit of periodic work; it returns how many items it handled.
type Job func(ctx context.Context) (int, error)

// Every runs job now and then every interval until ctx ends, on whichever
// replica holds the lease for that period.
func (r *Runner) Every(ctx context.Context, name string, interval time.Duration, job Job) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.RunOnce(ctx, name, interval, job)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce runs job if this process wins the lease for the coming period.
// The lease is a little shorter than the period so the next tick can take it.
func (r *Runner) RunOnce(ctx context.Context, name string, interval time.Duration, job Job) (ran bool) {
	lease := interval * 9 / 10
	ok, err := r.Leases.AcquireLease(ctx, name, r.Holder, lease)
	if err != nil {
		r.Log.WarnContext(ctx, "job lease", "job", name, "error", err)
		return false
	}
	if !ok {
		return false
	}
	start := time.Now()
	n, err := job(ctx)
	r.Metrics.JobRun(name, time.Since(start), n, err)
	if err != nil {
		r.Log.WarnContext(ctx, "job failed", "job", name, "error", err)
	} else if n > 0 {
		r.Log.InfoContext(ctx, "job done", "job", name, "items", n)
	}
	return true
}

// Pruner deletes expired rows.
type Pruner interface {
	PruneExpired(ctx context.Context, cutoff time.Time) (int64, error)
}

// Cleanup is the job that deletes what expired more than retention ago.
func Cleanup(p Pruner, retention time.Duration) Job {
	return func(ctx context.Context) (int, error) {
		n, err := p.PruneExpired(ctx, time.Now().Add(-retention))
		return int(n), err
	}
}
