package cli

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestCleanup: expired rows are deleted by the cleanup job within a few of
// its periods, and unexpired ones stay (issue 7, item 4). Client-credentials
// tokens leave no row of their own; revoking one leaves a denylist row
// until the token expires. The shortest token lifetime is 60 s, so the
// test moves expires_at into the past in the database instead of waiting.
func TestCleanup(t *testing.T) {
	const interval = time.Second
	dsn := sqltest.SQLiteDSN(t)
	env := baseEnv(dsn, "GATEHOUSE_JOBS_CLEANUP_INTERVAL="+interval.String(), "GATEHOUSE_JOBS_CLEANUP_RETENTION=0s")
	if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, errOut)
	}
	id, secret := createAPIClient(t, env, "--name", "busy", "--scopes", "a")
	srv := startServer(t, env)
	st, err := sqlstore.Open(dsn, sqlstore.Options{})
	must(t, err)
	defer st.Close()
	ctx := context.Background()
	rows := func(when string) map[string]int64 {
		t.Helper()
		n, err := st.TableRows(ctx)
		must(t, err)
		t.Logf("table rows %s: %s", when, formatRows(n))
		return n
	}

	// issueRevoked gets a token and revokes it.
	issueRevoked := func() string {
		t.Helper()
		status, body := postForm(t, srv.URL+"/oauth2/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
		tok, _ := body["access_token"].(string)
		if status != http.StatusOK || tok == "" {
			t.Fatalf("token: %d %v", status, body)
		}
		if status, body := postForm(t, srv.URL+"/oauth2/revoke", id, secret, url.Values{"token": {tok}}); status != http.StatusOK {
			t.Fatalf("revoke: %d %v", status, body)
		}
		return tok
	}
	const expiring, kept = 50, 10
	for range expiring {
		issueRevoked()
	}
	before := rows("after issuing and revoking 50 tokens")
	if before["oauth_access_tokens"] != 0 || before[denylist] != expiring {
		t.Fatalf("%d access token rows and %d denylist rows, want 0 and %d", before["oauth_access_tokens"], before[denylist], expiring)
	}
	res := st.DB().Exec("UPDATE "+denylist+" SET expires_at = ?", time.Now().UTC().Add(-time.Minute))
	must(t, res.Error)
	if res.RowsAffected != expiring {
		t.Fatalf("expired %d rows, want %d", res.RowsAffected, expiring)
	}
	expiredAt := time.Now()
	var fresh []string
	for range kept {
		fresh = append(fresh, issueRevoked())
	}
	rows("after expiring those 50 and revoking 10 more")

	deadline := expiredAt.Add(3 * interval)
	for {
		n, err := st.TableRows(ctx)
		must(t, err)
		if n[denylist] == kept {
			t.Logf("expired rows gone %s after they expired (cleanup every %s, retention 0s)",
				time.Since(expiredAt).Round(10*time.Millisecond), interval)
			break
		}
		if n[denylist] < kept {
			t.Fatalf("cleanup deleted unexpired rows: %s", formatRows(n))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d denylist rows %s after expiry, want %d (cleanup every %s)\nlog:\n%s",
				n[denylist], time.Since(expiredAt).Round(10*time.Millisecond), kept, interval, tail(srv.Log.String(), 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	after := rows("after cleanup")
	for table, n := range after {
		if table != denylist && n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
	// The unexpired revocations are untouched: those tokens stay inactive.
	for _, tok := range fresh {
		if _, body := postForm(t, srv.URL+"/oauth2/introspect", id, secret, url.Values{"token": {tok}}); body["active"] != false {
			t.Errorf("revoked, unexpired token after cleanup: %v", body)
		}
	}
}

const denylist = "oauth_revoked_tokens"

func formatRows(n map[string]int64) string {
	var b strings.Builder
	for _, table := range []string{"oauth_access_tokens", "oauth_refresh_tokens", "oauth_authorize_codes", "oauth_oidc_sessions", "oauth_pkce_requests", "login_sessions", denylist} {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(table + "=" + strconv.FormatInt(n[table], 10))
	}
	return b.String()
}

// TestMetrics scrapes /metrics after a flow and checks the counters moved
// (issue 7, item 5; SPEC §9), then checks that admin.addr moves /metrics
// and /api to a listener of their own (SPEC §1).
func TestMetrics(t *testing.T) {
	t.Run("one listener", func(t *testing.T) {
		env := baseEnv(sqltest.SQLiteDSN(t))
		if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
			t.Fatalf("migrate up: exit %d: %s", code, errOut)
		}
		svc, svcSecret := createAPIClient(t, env, "--name", "svc", "--scopes", "a")
		ops, opsSecret := createAPIClient(t, env, "--name", "ops", "--scopes", "gatehouse:admin")
		srv := startServer(t, env)
		metricsURL := srv.URL + "/metrics"

		// Jobs run once at start, then every period.
		deadline := time.Now().Add(10 * time.Second)
		for {
			s := scrape(t, metricsURL)
			c, _ := metricSum(s, "gatehouse_job_runs_total", map[string]string{"job": "cleanup", "result": "ok"})
			r, _ := metricSum(s, "gatehouse_job_runs_total", map[string]string{"job": "reminders", "result": "ok"})
			if c >= 1 && r >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no gatehouse_job_runs_total for cleanup and reminders after start:\n%s", grepMetrics(s, "gatehouse_job"))
			}
			time.Sleep(50 * time.Millisecond)
		}
		tokensLabels := map[string]string{"grant_type": "client_credentials", "client_type": "api"}
		authLabels := map[string]string{"endpoint": "token"}
		s0 := scrape(t, metricsURL)
		tokens0, _ := metricSum(s0, "gatehouse_tokens_issued_total", tokensLabels)
		fails0, _ := metricSum(s0, "gatehouse_client_auth_failures_total", authLabels)

		// The flow: a token, a failed client authentication, a management
		// API request naming a client, and a path that matches no route.
		cc := url.Values{"grant_type": {"client_credentials"}}
		if status, body := postForm(t, srv.URL+"/oauth2/token", svc, svcSecret, cc); status != http.StatusOK {
			t.Fatalf("token: %d %v", status, body)
		}
		if status, body := postForm(t, srv.URL+"/oauth2/token", svc, "wrong-secret-wrong-secret-wrong", cc); status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d %v", status, body)
		}
		if status, _ := rawGet(t, srv.URL+"/api/v1/configuration/api-clients/"+svc, ops, opsSecret); status != http.StatusOK {
			t.Fatalf("management API: %d", status)
		}
		if status, _ := rawGet(t, srv.URL+"/no/such/page/"+svc, "", ""); status != http.StatusNotFound {
			t.Fatalf("unknown path: %d", status)
		}

		// Introspection: a wrong secret is a failed client authentication;
		// asking about a revoked token with good credentials is not.
		introLabels := map[string]string{"endpoint": "introspect"}
		intro0, _ := metricSum(scrape(t, metricsURL), "gatehouse_client_auth_failures_total", introLabels)
		_, tokBody := postForm(t, srv.URL+"/oauth2/token", svc, svcSecret, cc)
		revoked, _ := tokBody["access_token"].(string)
		if status, _ := postForm(t, srv.URL+"/oauth2/revoke", svc, svcSecret, url.Values{"token": {revoked}}); status != http.StatusOK {
			t.Fatalf("revoke: %d", status)
		}
		if status, body := postForm(t, srv.URL+"/oauth2/introspect", svc, svcSecret, url.Values{"token": {revoked}}); status != http.StatusOK || body["active"] != false {
			t.Fatalf("introspect a revoked token: %d %v", status, body)
		}
		intro1, _ := metricSum(scrape(t, metricsURL), "gatehouse_client_auth_failures_total", introLabels)
		if status, body := postForm(t, srv.URL+"/oauth2/introspect", svc, "wrong-secret-wrong-secret-wrong", url.Values{"token": {revoked}}); status != http.StatusUnauthorized {
			t.Fatalf("introspect with a wrong secret: %d %v", status, body)
		}
		intro2, _ := metricSum(scrape(t, metricsURL), "gatehouse_client_auth_failures_total", introLabels)
		if intro1 != intro0 {
			t.Errorf("gatehouse_client_auth_failures_total%s moved by %v when a client with good credentials introspected a revoked token, want 0", promLabels(introLabels), intro1-intro0)
		}
		if intro2-intro1 != 1 {
			t.Errorf("gatehouse_client_auth_failures_total%s moved by %v over one introspection with a wrong secret, want 1", promLabels(introLabels), intro2-intro1)
		}

		s := scrape(t, metricsURL)
		atLeast := func(name string, labels map[string]string, want float64) {
			t.Helper()
			got, ok := metricSum(s, name, labels)
			if !ok || got < want {
				t.Errorf("%s%s = %v (present %v), want ≥ %v\n%s", name, promLabels(labels), got, ok, want, grepMetrics(s, name))
			}
		}
		if tokens, _ := metricSum(s, "gatehouse_tokens_issued_total", tokensLabels); tokens-tokens0 != 2 {
			t.Errorf("gatehouse_tokens_issued_total%s moved by %v over two tokens, want 2", promLabels(tokensLabels), tokens-tokens0)
		}
		if fails, _ := metricSum(s, "gatehouse_client_auth_failures_total", authLabels); fails-fails0 != 1 {
			t.Errorf("gatehouse_client_auth_failures_total%s moved by %v over one failure, want 1", promLabels(authLabels), fails-fails0)
		}
		atLeast("gatehouse_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "status": "200"}, 1)
		atLeast("gatehouse_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "status": "401"}, 1)
		atLeast("gatehouse_http_requests_total", map[string]string{"route": "/api/v1/configuration/api-clients/:client_id", "method": "GET", "status": "200"}, 1)
		atLeast("gatehouse_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1)
		atLeast("gatehouse_http_request_duration_seconds_count", map[string]string{"route": "/oauth2/token", "method": "POST"}, 2)
		for _, smp := range s {
			if strings.HasPrefix(smp.name, "gatehouse_http_") && strings.Contains(smp.labels["route"], svc) {
				t.Errorf("a route label holds a raw path: %s%s", smp.name, promLabels(smp.labels))
			}
		}
		atLeast("gatehouse_job_runs_total", map[string]string{"job": "cleanup", "result": "ok"}, 1)
		atLeast("gatehouse_job_runs_total", map[string]string{"job": "reminders", "result": "ok"}, 1)
		atLeast("gatehouse_job_duration_seconds_count", map[string]string{"job": "cleanup"}, 1)
		// Pool statistics come from client_golang's DBStatsCollector, which
		// names them go_sql_* with db_name="gatehouse".
		db := map[string]string{"db_name": "gatehouse"}
		if v, ok := metricSum(s, "go_sql_max_open_connections", db); !ok || v != 20 {
			t.Errorf("go_sql_max_open_connections%s = %v (present %v), want 20 (database.max_open_conns)", promLabels(db), v, ok)
		}
		for _, name := range []string{"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"} {
			if _, ok := metricSum(s, name, db); !ok {
				t.Errorf("no %s%s", name, promLabels(db))
			}
		}
		atLeast("go_sql_open_connections", db, 1)
		t.Logf("pool metrics:\n%s", grepMetrics(s, "go_sql_"))
	})

	t.Run("admin listener", func(t *testing.T) {
		adminAddr := freeAddr(t)
		env := baseEnv(sqltest.SQLiteDSN(t), "GATEHOUSE_ADMIN_ADDR="+adminAddr)
		if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
			t.Fatalf("migrate up: exit %d: %s", code, errOut)
		}
		svc, svcSecret := createAPIClient(t, env, "--name", "svc", "--scopes", "a")
		ops, opsSecret := createAPIClient(t, env, "--name", "ops", "--scopes", "gatehouse:admin")
		srv := startServer(t, env)
		admin := "http://" + adminAddr

		if status, body := postForm(t, srv.URL+"/oauth2/token", svc, svcSecret, url.Values{"grant_type": {"client_credentials"}}); status != http.StatusOK {
			t.Fatalf("token on the public listener: %d %v", status, body)
		}
		for _, path := range []string{"/metrics", "/api/v1/configuration/api-clients"} {
			if status, body := rawGet(t, srv.URL+path, ops, opsSecret); status != http.StatusNotFound {
				t.Errorf("public listener %s: %d, want 404: %.200s", path, status, body)
			}
			if status, body := rawGet(t, admin+path, ops, opsSecret); status != http.StatusOK {
				t.Errorf("admin listener %s: %d, want 200: %.200s", path, status, body)
			}
		}
		// The admin listener's scrape sees the public listener's traffic.
		s := scrape(t, admin+"/metrics")
		if v, _ := metricSum(s, "gatehouse_tokens_issued_total", map[string]string{"grant_type": "client_credentials"}); v < 1 {
			t.Errorf("admin /metrics misses the public listener's token:\n%s", grepMetrics(s, "gatehouse_tokens"))
		}
		if v, _ := metricSum(s, "gatehouse_http_requests_total", map[string]string{"route": "/api/v1/configuration/api-clients", "status": "200"}); v < 1 {
			t.Errorf("admin /metrics misses its own API request:\n%s", grepMetrics(s, "gatehouse_http_requests_total"))
		}
	})
}

// sample is one line of a Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrape fetches and parses a /metrics page.
func scrape(t *testing.T, endpoint string) []sample {
	t.Helper()
	resp, err := http.Get(endpoint)
	if err != nil {
		t.Fatalf("scrape %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %d %.300s", endpoint, resp.StatusCode, b)
	}
	var out []sample
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("scrape %s: unparsable line %q", endpoint, line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("scrape %s: value in %q: %v", endpoint, line, err)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, lp := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[lp[1]] = lp[2]
		}
		out = append(out, s)
	}
	must(t, sc.Err())
	return out
}

// metricSum adds up every sample of name whose labels include want.
func metricSum(samples []sample, name string, want map[string]string) (sum float64, found bool) {
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		sum += s.value
		found = true
	}
	return sum, found
}

// grepMetrics shows the samples whose name starts with prefix, for messages.
func grepMetrics(samples []sample, prefix string) string {
	var b strings.Builder
	for _, s := range samples {
		if strings.HasPrefix(s.name, prefix) {
			b.WriteString("  " + s.name + promLabels(s.labels) + " " + strconv.FormatFloat(s.value, 'g', -1, 64) + "\n")
		}
	}
	return b.String()
}

// promLabels writes labels as the exposition format does, sorted.
func promLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(labels))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(labels[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// rawGet is a GET with optional Basic credentials, any body.
func rawGet(t *testing.T, endpoint, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, endpoint, nil)
	must(t, err)
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// freeAddr is a loopback host:port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
