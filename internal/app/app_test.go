package app

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// buildApp builds the app on a migrated database from environment-style
// settings (later entries win).
func buildApp(t testing.TB, environ ...string) *App {
	t.Helper()
	cfg, err := config.Load(nil, append([]string{
		"GATEHOUSE_ISSUER=https://id.example.com",
		"GATEHOUSE_SECRET=app-test-secret-0123456789abcdef-0123456789",
	}, environ...))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := OpenStore(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newTestApp builds the app on dsn and serves it on loopback.
func newTestApp(t *testing.T, dsn string) (*App, *httptest.Server) {
	t.Helper()
	a := buildApp(t, "GATEHOUSE_DSN="+dsn)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return a, srv
}

// TestDiscoveryGolden pins both metadata documents: they must list exactly
// what is implemented. Run with -update after a deliberate change.
func TestDiscoveryGolden(t *testing.T) {
	_, srv := newTestApp(t, sqltest.SQLiteDSN(t))
	for _, doc := range []string{"openid-configuration", "oauth-authorization-server"} {
		t.Run(doc, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/.well-known/" + doc)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("status %d, CORS %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
			}
			var v any
			if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(v, "", "  ")
			golden := filepath.Join("testdata", doc+".golden.json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if strings.TrimSpace(string(want)) != string(got) {
				t.Errorf("%s changed:\n%s\nwant:\n%s", doc, got, want)
			}
		})
	}
}

// TestJWKSPublicOnly: the served set has every key, public parts only.
func TestJWKSPublicOnly(t *testing.T) {
	_, srv := newTestApp(t, sqltest.SQLiteDSN(t))
	resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	algs := map[string]bool{}
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %v has private member %q", k["kid"], private)
			}
		}
		algs[k["alg"].(string)] = true
	}
	if !algs["RS256"] || !algs["ES256"] {
		t.Errorf("algorithms served: %v", algs)
	}
}

// TestBadInput: malformed and oversized requests get a clear 4xx.
func TestBadInput(t *testing.T) {
	_, srv := newTestApp(t, sqltest.SQLiteDSN(t))
	big := strings.Repeat("a", 1<<20+1)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		{"body over 1 MiB", "POST", "/oauth2/token", "grant_type=client_credentials&x=" + big, 413},
		{"token by GET", "GET", "/oauth2/token", "", 405},
		{"empty token body", "POST", "/oauth2/token", "", 400},
		{"garbage body", "POST", "/oauth2/token", "%%%", 400},
		{"introspect without auth", "POST", "/oauth2/introspect", "token=x", 401},
		{"revoke without auth", "POST", "/oauth2/revoke", "token=x", 401},
		{"unknown route", "GET", "/nope", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			var v map[string]any
			if json.Unmarshal(body, &v) != nil || v["error"] == nil {
				t.Errorf("body is not a JSON error: %q", body)
			}
		})
	}
}

// TestReadinessFollowsDatabase puts a TCP proxy between Gatehouse and
// PostgreSQL, cuts it, and checks readiness turns 503 and comes back by
// itself once the proxy listens again.
func TestReadinessFollowsDatabase(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	a, srv := newTestApp(t, u.String())
	_ = a

	ready := func() int {
		resp, err := http.Get(srv.URL + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for ready() != want {
			if time.Now().After(deadline) {
				t.Fatalf("readiness never became %d", want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(200)
	p.cut()
	waitFor(503)
	if resp, err := http.Get(srv.URL + "/health/alive"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("liveness must not follow the database: %v %v", err, resp)
	}
	p.restore()
	waitFor(200)
}

// proxy forwards TCP to a backend and can drop everything on demand, or
// hang: keep every connection open but swallow what is sent, as a database
// that stopped answering would.
type proxy struct {
	t       *testing.T
	addr    string
	backend string
	mu      sync.Mutex
	ln      net.Listener
	conns   []net.Conn
	hanging atomic.Bool
}

func newProxy(t *testing.T, backend string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, addr: ln.Addr().String(), backend: backend}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.backend)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go func() { p.pipe(b, c); b.Close() }()
			go func() { p.pipe(c, b); c.Close() }()
		}
	}()
}

// pipe copies src to dst unless the proxy hangs, when it swallows.
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.hanging.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes the listener and every forwarded connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *proxy) restore() {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy relisten: %v", err)
	}
	p.serve(ln)
}

// TestHTMLPages: browsers get a branded page with the anti-framing headers.
func TestHTMLPages(t *testing.T) {
	_, srv := newTestApp(t, sqltest.SQLiteDSN(t))
	req, _ := http.NewRequest("GET", srv.URL+"/no/such/page", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "Page not found") || !strings.Contains(string(body), "Gatehouse") {
		t.Errorf("status %d body %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Content-Security-Policy") != "frame-ancestors 'none'" {
		t.Errorf("headers %v", resp.Header)
	}
	if strings.Contains(string(body), "<script") {
		t.Errorf("inline script in page")
	}
	css, err := http.Get(srv.URL + "/static/gatehouse.css")
	if err != nil || css.StatusCode != 200 {
		t.Fatalf("stylesheet: %v %v", err, css)
	}
	css.Body.Close()
}

// TestHungDatabase: a database that accepts connections but stops
// answering must not hang requests past their bounds: protocol endpoints
// answer 503 temporarily_unavailable, the management API 503 server_error,
// readiness 503; and service resumes when the database answers again.
func TestHungDatabase(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	a := buildApp(t, "GATEHOUSE_DSN="+u.String(),
		"GATEHOUSE_HTTP_REQUEST_TIMEOUT=2s", "GATEHOUSE_DATABASE_QUERY_TIMEOUT=1s")
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	svc := &clients.Service{Store: a.Store, Hasher: a.Hasher}
	c, err := svc.CreateAPI(context.Background(), clients.NewAPIClient{Name: "x", Scopes: []string{"gatehouse:admin"}})
	if err != nil {
		t.Fatal(err)
	}

	call := func(method, path string, form url.Values) (int, string, time.Duration) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.Client.ID, c.Secret)
		start := time.Now()
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), time.Since(start)
	}
	status, body, _ := call("POST", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}})
	if status != 200 {
		t.Fatalf("before: %d %s", status, body)
	}
	var issued struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &issued); err != nil {
		t.Fatal(err)
	}

	p.hanging.Store(true)
	checks := []struct {
		method, path string
		form         url.Values
		code         string
	}{
		{"POST", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "temporarily_unavailable"},
		{"POST", "/oauth2/introspect", url.Values{"token": {"x.y.z"}}, "temporarily_unavailable"},
		// A stateless token verifies from memory, but whether it is revoked
		// only the database can say.
		{"POST", "/oauth2/introspect", url.Values{"token": {issued.AccessToken}}, "temporarily_unavailable"},
		{"POST", "/oauth2/revoke", url.Values{"token": {issued.AccessToken}}, "temporarily_unavailable"},
		{"GET", "/api/v1/configuration/api-clients", nil, "server_error"},
		{"GET", "/health/ready", nil, ""},
	}
	for _, ch := range checks {
		status, body, took := call(ch.method, ch.path, ch.form)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, ch.code) {
			t.Errorf("%s %s with a hung database: %d %s", ch.method, ch.path, status, body)
		}
		if took > 5*time.Second {
			t.Errorf("%s %s took %s, past the request timeout", ch.method, ch.path, took)
		}
	}

	p.hanging.Store(false)
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, _, _ := call("POST", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}})
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database answered again: %d", status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestBranding: product name, logo and colour come from ui.* (SPEC §3).
func TestBranding(t *testing.T) {
	a := buildApp(t, "GATEHOUSE_DSN="+sqltest.SQLiteDSN(t), "GATEHOUSE_UI_PRODUCT_NAME=Acme ID",
		"GATEHOUSE_UI_LOGO_URL=https://cdn.acme.example/logo.svg", "GATEHOUSE_UI_ACCENT_COLOR=#aa0044")
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	for _, path := range []string{"/login", "/no/such/page"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"Acme ID", `src="https://cdn.acme.example/logo.svg"`, "#aa0044"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		if strings.Contains(string(body), ">Gatehouse<") {
			t.Errorf("%s still says Gatehouse", path)
		}
	}
}
