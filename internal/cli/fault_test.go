package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// probe is one request of the fault test's stream and what came back.
type probe struct {
	kind   string
	start  time.Time
	took   time.Duration
	status int
	err    error
	body   map[string]any
	raw    string
	// tokenIdx is the pooled token a revoke request revoked (-1: none).
	tokenIdx int
}

func (p probe) end() time.Time { return p.start.Add(p.took) }

func (p probe) String() string {
	if p.err != nil {
		return fmt.Sprintf("%s at %s: transport error after %s: %v", p.kind, p.start.Format("15:04:05.000"), p.took, p.err)
	}
	raw := p.raw
	if len(raw) > 160 {
		raw = raw[:160] + "…"
	}
	return fmt.Sprintf("%s at %s: %d in %s: %s", p.kind, p.start.Format("15:04:05.000"), p.status, p.took.Round(time.Millisecond), raw)
}

// TestDatabaseFaults stops the PostgreSQL server under a running Gatehouse
// while a steady stream of requests flows, then starts it again (SPEC §10):
// readiness turns 503 within 5 s; token, introspection and revocation answer
// 503 temporarily_unavailable (never 500, never invalid_client, never
// {"active":false}, never a revocation reported as done); the management API
// answers 503 server_error; nothing hangs past the request timeout; and
// everything recovers within 10 s of the database's return, without a
// restart.
func TestDatabaseFaults(t *testing.T) {
	pg := sqltest.StartServer(t)
	const requestTimeout = 10 * time.Second
	env := baseEnv(pg.DSN(), "GATEHOUSE_DATABASE_QUERY_TIMEOUT=2s",
		"GATEHOUSE_HTTP_REQUEST_TIMEOUT="+requestTimeout.String())
	if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, errOut)
	}
	svc, svcSecret := createAPIClient(t, env, "--name", "svc", "--scopes", "orders:read")
	ops, opsSecret := createAPIClient(t, env, "--name", "ops", "--scopes", "gatehouse:admin")
	cmd, base, logs := startProcess(t, env)
	pid := cmd.Process.Pid

	client := &http.Client{Timeout: 3 * requestTimeout}
	send := func(kind string, req *http.Request) probe {
		p := probe{kind: kind, start: time.Now(), tokenIdx: -1}
		resp, err := client.Do(req)
		if err != nil {
			p.took, p.err = time.Since(p.start), err
			return p
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.took, p.status, p.raw = time.Since(p.start), resp.StatusCode, strings.TrimSpace(string(b))
		if err != nil {
			p.err = fmt.Errorf("reading body: %w", err)
		}
		_ = json.Unmarshal(b, &p.body)
		return p
	}
	form := func(path, user, pass string, v url.Values) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
		return req
	}
	get := func(path, user, pass string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if user != "" {
			req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
		}
		return req
	}
	issue := func() string {
		t.Helper()
		p := send("token", form("/oauth2/token", svc, svcSecret, url.Values{"grant_type": {"client_credentials"}}))
		tok, _ := p.body["access_token"].(string)
		if p.err != nil || p.status != http.StatusOK || tok == "" {
			t.Fatalf("token before the outage: %s", p)
		}
		return tok
	}

	// Tokens for the stream: one the introspection requests keep asking
	// about, and for each phase (before, during, after the outage) a pool
	// the revocation requests use up one by one, then an unknown token,
	// which RFC 7009 also answers 200 while the database is up.
	introToken := issue()
	const perPhase = 15
	pool := make([]string, 3*perPhase)
	for i := range pool {
		pool[i] = issue()
	}
	var phase atomic.Int64
	var nextPooled [3]atomic.Int64

	requests := map[string]func() (*http.Request, int){
		"ready": func() (*http.Request, int) { return get("/health/ready", "", ""), -1 },
		"token": func() (*http.Request, int) {
			return form("/oauth2/token", svc, svcSecret, url.Values{"grant_type": {"client_credentials"}}), -1
		},
		"introspect": func() (*http.Request, int) {
			return form("/oauth2/introspect", svc, svcSecret, url.Values{"token": {introToken}}), -1
		},
		"revoke": func() (*http.Request, int) {
			ph := phase.Load()
			if i := int(nextPooled[ph].Add(1) - 1); i < perPhase {
				i += int(ph) * perPhase
				return form("/oauth2/revoke", svc, svcSecret, url.Values{"token": {pool[i]}}), i
			}
			return form("/oauth2/revoke", svc, svcSecret, url.Values{"token": {"gh-fault-test-unknown-token"}}), -1
		},
		"api": func() (*http.Request, int) { return get("/api/v1/configuration/api-clients", ops, opsSecret), -1 },
	}
	kinds := []string{"ready", "token", "introspect", "revoke", "api"}

	// healthy reports whether p is the answer of a working server.
	healthy := func(p probe) bool {
		if p.err != nil || p.status != http.StatusOK {
			return false
		}
		switch p.kind {
		case "token":
			return p.body["access_token"] != nil
		case "introspect":
			return p.body["active"] == true
		}
		return true
	}
	// unavailable reports whether p is the documented outage answer.
	unavailable := func(p probe) bool {
		if p.err != nil || p.status != http.StatusServiceUnavailable {
			return false
		}
		switch p.kind {
		case "token", "introspect", "revoke":
			return p.body["error"] == "temporarily_unavailable"
		case "api":
			return p.body["error"] == "server_error"
		}
		return true
	}

	// Baseline: every kind works before the outage.
	for _, k := range kinds {
		req, _ := requests[k]()
		if p := send(k, req); !healthy(p) {
			t.Fatalf("before the outage: %s", p)
		}
	}

	var mu sync.Mutex
	var probes []probe
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, k := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, idx := requests[k]()
				p := send(k, req)
				p.tokenIdx = idx
				mu.Lock()
				probes = append(probes, p)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	stopStream := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopStream()
	snapshot := func() []probe {
		mu.Lock()
		defer mu.Unlock()
		return append([]probe(nil), probes...)
	}
	countSince := func(since time.Time) map[string]int {
		n := map[string]int{}
		for _, p := range snapshot() {
			if !p.start.Before(since) {
				n[p.kind]++
			}
		}
		return n
	}
	waitFor := func(what string, deadline time.Time, ok func() bool) time.Time {
		t.Helper()
		for {
			if ok() {
				return time.Now()
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not by the deadline\nGatehouse log (tail):\n%s", what, tail(logs.String(), 40))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	streamStart := time.Now()
	waitFor("stream running", streamStart.Add(10*time.Second), func() bool {
		n := countSince(streamStart)
		return n["token"] >= 5 && n["revoke"] >= 3
	})

	// The outage.
	phase.Store(1)
	stopBegan := time.Now()
	pg.Stop()
	stopped := time.Now()
	t.Logf("PostgreSQL stopped in %s", stopped.Sub(stopBegan).Round(time.Millisecond))
	readyDown := waitFor("/health/ready 503 within 5s of the database stopping", stopBegan.Add(5*time.Second), func() bool {
		p := send("ready", get("/health/ready", "", ""))
		return p.status == http.StatusServiceUnavailable
	})
	t.Logf("/health/ready answered 503 %s after the stop began", readyDown.Sub(stopBegan).Round(time.Millisecond))
	// Let every kind meet the outage several times.
	waitFor("requests of every kind during the outage", time.Now().Add(20*time.Second), func() bool {
		n := countSince(stopped)
		for _, k := range kinds {
			if n[k] < 5 {
				return false
			}
		}
		return true
	})
	// An outage longer than the query timeout: pooled connections are all
	// dead, new ones refused, and nothing may pile up.
	time.Sleep(2500 * time.Millisecond)

	// The database returns; Gatehouse must follow by itself.
	restartBegan := time.Now()
	pg.Start()
	restarted := time.Now()
	t.Logf("PostgreSQL started again in %s", restarted.Sub(restartBegan).Round(time.Millisecond))
	recovered := waitFor("recovery (ready 200 and a token) within 10s of the database's return", restarted.Add(10*time.Second), func() bool {
		return healthy(send("ready", get("/health/ready", "", ""))) &&
			healthy(send("token", form("/oauth2/token", svc, svcSecret, url.Values{"grant_type": {"client_credentials"}})))
	})
	phase.Store(2)
	t.Logf("recovered %s after the database accepted connections again", recovered.Sub(restarted).Round(time.Millisecond))
	waitFor("requests of every kind after recovery", time.Now().Add(15*time.Second), func() bool {
		n := countSince(recovered)
		for _, k := range kinds {
			if n[k] < 5 {
				return false
			}
		}
		return true
	})
	stopStream()

	// An outage is not a failed client authentication: every request so
	// far carried good credentials.
	scraped := scrape(t, base+"/metrics")
	if v, _ := metricSum(scraped, "gatehouse_client_auth_failures_total", nil); v != 0 {
		t.Errorf("gatehouse_client_auth_failures_total counts the outage (%v), but no request had bad credentials:\n%s",
			v, grepMetrics(scraped, "gatehouse_client_auth_failures_total"))
	}

	// Judge every answer.
	all := snapshot()
	byKind := map[string]map[string]int{}
	var slowest probe
	failed := 0
	fail := func(format string, args ...any) {
		failed++
		if failed <= 30 {
			t.Errorf(format, args...)
		}
	}
	for _, p := range all {
		outcome := "other"
		switch {
		case healthy(p):
			outcome = "ok"
		case unavailable(p):
			outcome = "503"
		}
		if byKind[p.kind] == nil {
			byKind[p.kind] = map[string]int{}
		}
		byKind[p.kind][outcome]++
		if p.took > slowest.took {
			slowest = p
		}
		switch {
		case p.err != nil:
			fail("no complete answer: %s", p)
		case p.took > requestTimeout:
			fail("took longer than http.request_timeout (%s): %s", requestTimeout, p)
		case p.status >= 500 && p.status != http.StatusServiceUnavailable:
			fail("server error instead of 503: %s", p)
		case outcome == "other":
			fail("neither a working answer nor the documented 503: %s", p)
		case !p.start.Before(stopped) && p.end().Before(restartBegan) && outcome != "503":
			// The database was down for the whole request: a success is a lie.
			fail("answered as if the database were up while it was stopped: %s", p)
		case !p.start.Before(recovered) && outcome != "ok":
			fail("still failing after recovery: %s", p)
		}
	}
	if failed > 30 {
		t.Errorf("… and %d more bad answers", failed-30)
	}
	for _, k := range kinds {
		t.Logf("%-10s %4d working, %4d 503, %d other", k, byKind[k]["ok"], byKind[k]["503"], byKind[k]["other"])
		if byKind[k]["503"] == 0 {
			t.Errorf("%s: no 503 answer at all during the outage", k)
		}
	}
	t.Logf("slowest request: %s", slowest)

	// A revocation answered 200 must have happened; one answered 503 is not
	// known to have happened (the client retries), and usually did not.
	outcomes := map[string]int{}
	for _, p := range all {
		if p.kind != "revoke" || p.tokenIdx < 0 || p.err != nil {
			continue
		}
		st, intro := postForm(t, base+"/oauth2/introspect", svc, svcSecret, url.Values{"token": {pool[p.tokenIdx]}})
		if st != http.StatusOK {
			t.Fatalf("introspect after recovery: %d %v", st, intro)
		}
		state := "revoked"
		if intro["active"] == true {
			state = "still active"
		}
		outcomes[fmt.Sprintf("answered %d, token %s", p.status, state)]++
		if p.status == http.StatusOK && state != "revoked" {
			t.Errorf("revocation at %s answered 200 but the token is still active", p.start.Format("15:04:05.000"))
		}
	}
	t.Logf("pooled revocations: %v", outcomes)
	if outcomes["answered 503, token still active"] == 0 {
		t.Errorf("no revocation answered 503 during the outage")
	}

	// Same process all along.
	if cmd.ProcessState != nil || cmd.Process.Signal(syscall.Signal(0)) != nil || cmd.Process.Pid != pid {
		t.Errorf("Gatehouse is not the process that started: %v", cmd.ProcessState)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("panic in the log:\n%s", tail(logs.String(), 60))
	}
	if t.Failed() {
		t.Logf("Gatehouse log (tail):\n%s", tail(logs.String(), 80))
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
