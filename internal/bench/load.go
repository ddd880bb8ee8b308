package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Result is what one load run measured.
type Result struct {
	Name        string
	Requests    int
	Errors      int
	Duration    time.Duration
	P50, P99    time.Duration
	MaxRSSBytes int64 // of the server process, when sampled
	Note        string
}

// PerSecond is the rate of successful requests.
func (r Result) PerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Duration.Seconds()
}

// Step performs one unit of work on its own client and reports success.
type Step func(ctx context.Context, c *http.Client) bool

// newClient is one keep-alive connection's worth of client, like one wrk
// connection.
func newClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			DisableCompression:  true,
		},
	}
}

// Run drives step from conns workers for d and measures it.
func Run(ctx context.Context, name string, conns int, d time.Duration, step Step) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type worker struct {
		lat  []time.Duration
		errs int
	}
	workers := make([]worker, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			c := newClient()
			w.lat = make([]time.Duration, 0, 1<<16)
			for ctx.Err() == nil {
				t0 := time.Now()
				ok := step(ctx, c)
				if ctx.Err() != nil && !ok {
					break // cut off by the end of the run, not a failure
				}
				w.lat = append(w.lat, time.Since(t0))
				if !ok {
					w.errs++
				}
			}
			c.CloseIdleConnections()
		}(&workers[i])
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	errs := 0
	for _, w := range workers {
		all = append(all, w.lat...)
		errs += w.errs
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Name: name, Requests: len(all), Errors: errs, Duration: elapsed}
	if len(all) > 0 {
		r.P50 = all[len(all)/2]
		r.P99 = all[len(all)*99/100]
	}
	return r
}

// drain reads and closes a response body so the connection is reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
