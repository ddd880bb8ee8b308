package bench

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
)

// BackendResult is every figure measured on one database.
type BackendResult struct {
	Name          string
	Results       []Result
	BytesPerToken float64
	TokensCounted int64 // tokens issued in the client-credentials run
	RowsWritten   int64 // access-token and denylist rows they added
	// BytesPerRevocation is the storage a revoked, unexpired token holds.
	BytesPerRevocation float64
	// BytesPerSignIn is what one sign-in flow stores in signInTables, and
	// AccessBytesPerSignIn the part that is the user's access-token row
	// (PostgreSQL only: SQLite cannot tell tables apart).
	SignIns                              int
	BytesPerSignIn, AccessBytesPerSignIn float64
	Profile                              string // top of the CPU profile of the token endpoint
}

const benchSecret = "bench-server-secret-0123456789abcdef-0123456789"

func runBackend(ctx context.Context, cfg Config, name, bin, dsn, dir string, out io.Writer) (BackendResult, error) {
	br := BackendResult{Name: name}
	addr, err := freeAddr()
	if err != nil {
		return br, err
	}
	base := "http://" + addr
	env := append(os.Environ(),
		"GATEHOUSE_DSN="+dsn, "GATEHOUSE_SECRET="+benchSecret, "GATEHOUSE_ISSUER=https://bench.local",
		"GATEHOUSE_ADDR="+addr, "GATEHOUSE_HTTP_DRAIN_DELAY=0s", "GATEHOUSE_DEBUG_PPROF=true",
		"GATEHOUSE_DATABASE_MAX_OPEN_CONNS=20", "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password")
	if _, err := gatehouse(bin, env, "", "migrate", "up"); err != nil {
		return br, err
	}
	var api struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	o, err := gatehouse(bin, env, "", "clients", "create-api", "--name", "bench", "--scopes", "bench", "-o", "json")
	if err != nil {
		return br, err
	}
	if err := json.Unmarshal(o, &api); err != nil {
		return br, err
	}
	if _, err := gatehouse(bin, env, "bench-user-password\n", "users", "create", "--username", "bench", "--password-stdin"); err != nil {
		return br, err
	}
	var web struct {
		ClientID string `json:"client_id"`
	}
	o, err = gatehouse(bin, env, "", "clients", "create-web", "--name", "Bench app", "--redirect-uri", "http://127.0.0.1:9/cb", "-o", "json")
	if err != nil {
		return br, err
	}
	if err := json.Unmarshal(o, &web); err != nil {
		return br, err
	}

	logf, err := os.Create(filepath.Join(dir, name+"-server.log"))
	if err != nil {
		return br, err
	}
	defer logf.Close()
	srv := exec.Command(bin, "serve")
	srv.Env = env
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return br, err
	}
	defer stop(srv)
	if err := waitHTTP(base+"/health/ready", 30*time.Second, http.StatusOK); err != nil {
		return br, err
	}

	st, err := sqlstore.Open(dsn, sqlstore.Options{})
	if err != nil {
		return br, err
	}
	defer st.Close()
	sizeBefore, rowsBefore := tokenStorage(ctx, st, name, dsn)

	// Every scenario records the server's peak RSS while it ran.
	mem := newRSSSampler(srv.Process.Pid)
	defer mem.stop()
	run := func(name string, conns int, d time.Duration, step Step) Result {
		mem.reset()
		r := Run(ctx, name, conns, d, step)
		r.MaxRSSBytes = mem.peak()
		return r
	}

	// Client credentials, then (optionally) a CPU profile of it.
	fmt.Fprintf(out, "%s: client credentials …\n", name)
	r := run("client_credentials (client_secret_basic)", cfg.Conns, cfg.Duration, tokenStep(base, api.ClientID, api.ClientSecret))
	br.Results = append(br.Results, r)
	fmt.Fprintf(out, "  %.0f/s p99 %s errors %d rss %d MiB\n", r.PerSecond(), r.P99, r.Errors, r.MaxRSSBytes>>20)
	sizeAfter, rowsAfter := tokenStorage(ctx, st, name, dsn)
	if issued := int64(r.Requests - r.Errors); issued > 0 {
		br.TokensCounted = issued
		br.RowsWritten = rowsAfter - rowsBefore
		br.BytesPerToken = float64(sizeAfter-sizeBefore) / float64(issued)
	}
	if cfg.Profile && name == "postgres" {
		// A run of its own: profiling costs CPU the measured run must not lose.
		var profile []byte
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Second)
			secs := max(1, int(cfg.Duration.Seconds())-2)
			resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs))
			if err == nil {
				profile, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		}()
		fmt.Fprintf(out, "%s: profiling client credentials …\n", name)
		run("profiled", cfg.Conns, cfg.Duration, tokenStep(base, api.ClientID, api.ClientSecret))
		wg.Wait()
		br.Profile = summarizeProfile(profile, dir)
	}

	// Introspection, round-robin over a pool of distinct active tokens.
	pool := make([]string, introspectionPool)
	for i := range pool {
		if pool[i], err = fetchToken(base, api.ClientID, api.ClientSecret); err != nil {
			return br, err
		}
	}
	fmt.Fprintf(out, "%s: introspection …\n", name)
	br.Results = append(br.Results, run(fmt.Sprintf("introspection (%d distinct active JWTs, round-robin)", len(pool)),
		cfg.Conns, cfg.Duration, introspectStep(base, api.ClientID, api.ClientSecret, pool)))
	// What a revocation stores: the denylist row of a stateless token.
	fmt.Fprintf(out, "%s: revocations …\n", name)
	sizeBefore, _ = tokenStorage(ctx, st, name, dsn)
	for range revocations {
		tok, err := fetchToken(base, api.ClientID, api.ClientSecret)
		if err == nil {
			err = revoke(base, api.ClientID, api.ClientSecret, tok)
		}
		if err != nil {
			return br, err
		}
	}
	sizeAfter, _ = tokenStorage(ctx, st, name, dsn)
	br.BytesPerRevocation = float64(sizeAfter-sizeBefore) / revocations

	fmt.Fprintf(out, "%s: JWKS and discovery …\n", name)
	br.Results = append(br.Results, run("JWKS", cfg.Conns, cfg.Duration/2, getStep(base+"/.well-known/jwks.json")))
	br.Results = append(br.Results, run("discovery", cfg.Conns, cfg.Duration/2, getStep(base+"/.well-known/openid-configuration")))

	if cfg.ManyClients > 0 {
		fmt.Fprintf(out, "%s: registering %d clients …\n", name, cfg.ManyClients)
		if err := bulkClients(ctx, st, cfg.ManyClients); err != nil {
			return br, err
		}
		r := run(fmt.Sprintf("client_credentials with %d more clients registered", cfg.ManyClients), cfg.Conns, cfg.Duration,
			tokenStep(base, api.ClientID, api.ClientSecret))
		br.Results = append(br.Results, r)
		fmt.Fprintf(out, "  %.0f/s p99 %s errors %d\n", r.PerSecond(), r.P99, r.Errors)
	}

	// The sign-in flow goes last: its password checks grow the heap, and the
	// Go runtime hands memory back to the system lazily, so a scenario after
	// it would show the flow's peak as its own.
	fmt.Fprintf(out, "%s: authorization-code flow …\n", name)
	flowBefore, _ := tableStorage(ctx, st, name, dsn, signInTables)
	accessBefore, _ := tableStorage(ctx, st, name, dsn, signInTables[:1])
	flow := run("authorization-code flow (authorize → login → consent → token), flows/s", cfg.FlowConns, cfg.Duration, flowStep(base, web.ClientID))
	br.Results = append(br.Results, flow)
	if n := flow.Requests - flow.Errors; n > 0 {
		flowAfter, _ := tableStorage(ctx, st, name, dsn, signInTables)
		accessAfter, _ := tableStorage(ctx, st, name, dsn, signInTables[:1])
		br.SignIns = n
		br.BytesPerSignIn = float64(flowAfter-flowBefore) / float64(n)
		br.AccessBytesPerSignIn = float64(accessAfter-accessBefore) / float64(n)
	}
	fmt.Fprintf(out, "  %.1f flows/s errors %d\n", flow.PerSecond(), flow.Errors)
	return br, nil
}

// revocations is how many tokens the storage measurement revokes.
const revocations = 2000

func revoke(base, id, secret, token string) error {
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revoke: status %d", resp.StatusCode)
	}
	return nil
}

func fetchToken(base, id, secret string) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.AccessToken == "" {
		return "", fmt.Errorf("token: status %d", resp.StatusCode)
	}
	return v.AccessToken, nil
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// flowStep is one whole sign-in by a new browser: authorize, login, consent
// (forced with prompt=consent), code exchange with PKCE.
func flowStep(base, clientID string) Step {
	return func(ctx context.Context, c *http.Client) bool {
		jar, _ := cookiejar.New(nil)
		b := &http.Client{Transport: c.Transport, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		verifier := randomID() + randomID()
		sum := sha256.Sum256([]byte(verifier))
		q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:9/cb"},
			"scope": {"openid profile"}, "state": {randomID()}, "nonce": {randomID()}, "prompt": {"consent"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		body, _, ok := fetch(ctx, b, http.MethodGet, base+"/oauth2/authorize?"+q.Encode(), nil)
		if !ok {
			return false
		}
		form := hiddenFields(body)
		form.Set("username", "bench")
		form.Set("password", "bench-user-password")
		body, _, ok = fetch(ctx, b, http.MethodPost, base+"/login", form)
		if !ok || !strings.Contains(body, `action="/consent"`) {
			return false
		}
		form = hiddenFields(body)
		form.Set("decision", "allow")
		_, loc, _ := fetch(ctx, b, http.MethodPost, base+"/consent", form)
		u, err := url.Parse(loc)
		if err != nil || u.Query().Get("code") == "" {
			return false
		}
		tokenForm := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"redirect_uri": {"http://127.0.0.1:9/cb"}, "client_id": {clientID}, "code_verifier": {verifier}}
		body, _, ok = fetch(ctx, b, http.MethodPost, base+"/oauth2/token", tokenForm)
		return ok && strings.Contains(body, "id_token")
	}
}

// fetch does one request; ok means 200, loc is a redirect's Location.
func fetch(ctx context.Context, c *http.Client, method, u string, form url.Values) (body, loc string, ok bool) {
	var r io.Reader
	if form != nil {
		r = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(ctx, method, u, r)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.Header.Get("Location"), resp.StatusCode == http.StatusOK
}

// introspectionPool is how many distinct tokens the introspection
// scenario cycles through: resource servers introspect many tokens, each
// more than once.
const introspectionPool = 1000

// tokenTables hold what issuing and revoking access tokens stores.
var tokenTables = []string{"oauth_access_tokens", "oauth_revoked_tokens"}

// signInTables hold what a sign-in stores: its tokens, code, PKCE and
// OIDC sessions, the login session and the remembered consent.
var signInTables = []string{"oauth_access_tokens", "oauth_refresh_tokens", "oauth_authorize_codes",
	"oauth_pkce_requests", "oauth_oidc_sessions", "login_sessions", "consents"}

// tokenStorage is the on-disk size of the token tables and their rows.
func tokenStorage(ctx context.Context, st *sqlstore.Store, backend, dsn string) (bytes, rows int64) {
	return tableStorage(ctx, st, backend, dsn, tokenTables)
}

// tableStorage is the on-disk size of tables and their rows. On SQLite the
// size is the whole file's: it cannot be told apart by table.
func tableStorage(ctx context.Context, st *sqlstore.Store, backend, dsn string, tables []string) (bytes, rows int64) {
	db := st.DB().WithContext(ctx)
	for _, table := range tables {
		var n int64
		_ = db.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error
		rows += n
	}
	if backend == "postgres" {
		for _, table := range tables {
			var n int64
			_ = db.Raw("SELECT pg_total_relation_size(?)", table).Scan(&n).Error
			bytes += n
		}
		return bytes, rows
	}
	// SQLite: the database file once the write-ahead log is copied back
	// into it (the log's own growth is not storage: a checkpoint gives it
	// back), plus whatever of the log a busy server kept from the copy.
	_ = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	path := strings.TrimPrefix(dsn, "sqlite://")
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			bytes += fi.Size()
		}
	}
	return bytes, rows
}

// bulkClients registers n API clients straight in the table, in batches.
func bulkClients(ctx context.Context, st *sqlstore.Store, n int) error {
	now := time.Now().UTC()
	const batch = 1000
	for i := 0; i < n; i += batch {
		var sb strings.Builder
		args := []any{}
		sb.WriteString("INSERT INTO clients (id, type, name, secret_hash, scopes, enabled, created_at, updated_at) VALUES ")
		for j := i; j < min(n, i+batch); j++ {
			if j > i {
				sb.WriteString(",")
			}
			sb.WriteString("(?, 'api', ?, 'hmac-sha256$x', '[\"bench\"]', TRUE, ?, ?)")
			args = append(args, fmt.Sprintf("bulk-%07d-%s", j, randomID()[:8]), fmt.Sprintf("bulk %d", j), now, now)
		}
		if err := st.DB().WithContext(ctx).Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// freshPostgres creates a database for the run on the server at base.
func freshPostgres(ctx context.Context, base string) (string, func(), error) {
	name := "gh_bench_" + randomID()[:12]
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	return strings.Replace(u.String(), "postgresql://", "postgres://", 1), drop, nil
}

// summarizeProfile keeps the top of `go tool pprof -top`, by own time and
// by cumulative time, for the report.
func summarizeProfile(profile []byte, dir string) string {
	if len(profile) == 0 {
		return ""
	}
	path := filepath.Join(dir, "token.pprof")
	if err := os.WriteFile(path, profile, 0o644); err != nil {
		return ""
	}
	var parts []string
	for _, args := range [][]string{{"-top", "-nodecount=20"}, {"-top", "-cum", "-nodecount=40"}} {
		out, err := exec.Command("go", append(append([]string{"tool", "pprof"}, args...), path)...).Output()
		if err != nil {
			continue
		}
		var lines []string
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if l := sc.Text(); !strings.HasPrefix(l, "File:") && !strings.HasPrefix(l, "Build ID:") {
				lines = append(lines, l)
			}
		}
		parts = append(parts, "$ go tool pprof "+strings.Join(args, " ")+"\n"+strings.Join(lines, "\n"))
	}
	return strings.Join(parts, "\n\n")
}
