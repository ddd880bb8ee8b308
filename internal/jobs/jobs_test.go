package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/jobs"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestOneRunPerPeriodAcrossReplicas: several runners (replicas) on one
// database race for the same period; exactly one runs the job.
func TestOneRunPerPeriodAcrossReplicas(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.NewDSN(t)
			var runs atomic.Int32
			job := func(context.Context) (int, error) { runs.Add(1); return 1, nil }
			var wg sync.WaitGroup
			for range 4 {
				st, err := sqlstore.Open(dsn, sqlstore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if _, err := st.MigrateUp(context.Background()); err != nil {
					t.Fatal(err)
				}
				r := &jobs.Runner{Leases: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Holder: jobs.NewHolder()}
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.RunOnce(context.Background(), "test-job", time.Hour, job)
				}()
			}
			wg.Wait()
			if n := runs.Load(); n != 1 {
				t.Fatalf("job ran %d times in one period, want 1", n)
			}
		})
	}
}

// TestLeaseExpires: once the period's lease ends, the next run happens,
// and a failing job is reported without panicking the runner.
func TestLeaseExpires(t *testing.T) {
	st := sqltest.Open(t, sqltest.SQLiteDSN(t))
	clock := time.Now()
	st.Now = func() time.Time { return clock }
	r := &jobs.Runner{Leases: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Holder: "a"}
	other := &jobs.Runner{Leases: st, Log: r.Log, Holder: "b"}
	failing := func(context.Context) (int, error) { return 0, errors.New("boom") }
	if !r.RunOnce(context.Background(), "j", time.Minute, failing) {
		t.Fatal("first run did not happen")
	}
	if other.RunOnce(context.Background(), "j", time.Minute, failing) {
		t.Fatal("a second holder ran inside the lease")
	}
	clock = clock.Add(time.Minute)
	if !other.RunOnce(context.Background(), "j", time.Minute, failing) {
		t.Fatal("no run after the lease expired")
	}
}
