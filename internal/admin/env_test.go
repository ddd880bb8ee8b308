package admin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// issuerHost decides API client usernames: <client_id>@clients.<issuerHost>.
const (
	issuerHost   = "login.gatehouse.test"
	clientDomain = "clients." + issuerHost
	apiClients   = "/api/v1/configuration/api-clients"
	webClients   = "/api/v1/configuration/web-clients"
)

// fakeClock is what the store reads as "now": the real time until Set.
// It is installed before the server starts and changed only atomically, so
// moving it between requests is race-free.
type fakeClock struct{ fixed atomic.Int64 } // UnixNano; 0 = real time

func (c *fakeClock) Now() time.Time {
	if n := c.fixed.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Now().UTC()
}

func (c *fakeClock) Set(t time.Time) { c.fixed.Store(t.UnixNano()) }
func (c *fakeClock) Reset()          { c.fixed.Store(0) }

// creds is how a request authenticates; username is the actor the audit
// log must name for changes made with it.
type creds struct {
	id, secret string // HTTP Basic
	bearer     string
	raw        string // a literal Authorization header
	none       bool
	username   string
}

func basic(id, secret string) creds {
	return creds{id: id, secret: secret, username: store.ClientUsername(id, clientDomain)}
}

// wantEvent is one audit event a successful change must have left.
type wantEvent struct {
	actor, action, targetType, targetID string
	fields                              []string
	fieldsAtLeast                       bool // fields is a subset, not the exact list
	why                                 string
}

// env is one running Gatehouse on one backend, with an admin API client
// bootstrapped through the client service, and a record of what the tests
// changed and which secrets they saw.
type env struct {
	backend string
	cfg     *config.Config
	app     *app.App
	srv     *httptest.Server
	clock   *fakeClock
	svc     *clients.Service
	admin   creds

	mu       sync.Mutex
	secrets  map[string]string // secret value → where it was seen
	bodies   []seenBody        // every API response body that must hold no secret
	expected []wantEvent
}

type seenBody struct {
	where string
	ok    bool // a 2xx answer
	body  []byte
}

// forEachBackend runs fn against a fresh app per backend, then checks the
// audit trail of everything fn changed and scans for leaked secrets.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			e := newEnv(t, b)
			fn(t, e)
			e.verify(t)
			t.Logf("%s: %v", b.Name, time.Since(start).Round(time.Millisecond))
		})
	}
}

func newEnv(t *testing.T, b sqltest.Backend) *env {
	t.Helper()
	dsn := b.NewDSN(t)
	cfg, err := config.Load(nil, []string{
		"GATEHOUSE_DSN=" + dsn,
		"GATEHOUSE_ISSUER=https://" + issuerHost,
		"GATEHOUSE_SECRET=admin-test-secret-0123456789abcdef-0123456789",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ClientDomain(); got != clientDomain {
		t.Fatalf("client domain %q, want %q", got, clientDomain)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := app.OpenStore(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{}
	a.Store.Now = clk.Now // before the server starts: no race with handlers
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)

	e := &env{
		backend: b.Name, cfg: cfg, app: a, srv: srv, clock: clk,
		svc:     &clients.Service{Store: a.Store, Hasher: a.Hasher},
		secrets: map[string]string{},
	}
	id, secret := e.serviceClient(t, "test administrator", "gatehouse:admin")
	e.admin = basic(id, secret)
	return e
}

// serviceClient creates an API client directly through clients.Service.
func (e *env) serviceClient(t testing.TB, name string, scopes ...string) (id, secret string) {
	t.Helper()
	if scopes == nil {
		scopes = []string{}
	}
	created, err := e.svc.Create(context.Background(), store.ClientTypeAPI, clients.Patch{Name: &name, Scopes: &scopes})
	if err != nil {
		t.Fatalf("create client through the service: %v", err)
	}
	if created.Secret == "" {
		t.Fatal("the service generated no secret")
	}
	e.sawSecret(created.Secret, "service-created client "+name)
	return created.Client.ID, created.Secret
}

func (e *env) sawSecret(s, where string) {
	if len(s) < 16 { // too short to search for without false alarms
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.secrets[s]; !ok {
		e.secrets[s] = where
	}
}

// resp is one answer of the server.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes a JSON object. Timestamps are cut to microseconds: the
// response that creates a record shows the instant in nanoseconds, PostgreSQL
// keeps microseconds, so later reads differ below that.
func (r *resp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (status %d): %v: %q", r.status, err, r.body)
	}
	return normTimes(m).(map[string]any)
}

func normTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normTimes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normTimes(e)
		}
	case string:
		if len(x) >= 20 && x[10] == 'T' {
			if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return ts.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

// forbiddenKeys are fields no management API read may ever carry.
var forbiddenKeys = []string{"client_secret", "password", "password_hash", "secret_hash", "rotated_secrets"}

// secretKeys finds forbidden keys anywhere in a JSON document.
func secretKeys(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if slices.Contains(forbiddenKeys, k) {
				out = append(out, path+"."+k)
			}
			out = append(out, secretKeys(e, path+"."+k)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, secretKeys(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func (r *resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode body (status %d): %v: %q", r.status, err, r.body)
	}
}

// reqOpt changes one request.
type reqOpt func(*reqConf)

type reqConf struct {
	auth    *creds
	raw     bool // body is a literal string, not a value to encode
	chunked bool // send without Content-Length
	header  http.Header
}

func as(c creds) reqOpt                 { return func(rc *reqConf) { rc.auth = &c } }
func rawBody() reqOpt                   { return func(rc *reqConf) { rc.raw = true } }
func chunked() reqOpt                   { return func(rc *reqConf) { rc.chunked = true } }
func bearer(tok, username string) creds { return creds{bearer: tok, username: username} }

// do sends one request (as the admin client unless told otherwise) and
// checks what every management API response must have: Cache-Control:
// no-store, Pragma: no-cache and, on failure, exactly error, message,
// details. Successful changes are recorded for the audit check; every body
// that must not hold a secret is kept for the leak scan.
func (e *env) do(t testing.TB, method, path string, body any, opts ...reqOpt) *resp {
	t.Helper()
	rc := &reqConf{auth: &e.admin, header: http.Header{}}
	for _, o := range opts {
		o(rc)
	}
	var payload []byte
	var sent map[string]any
	switch {
	case body == nil:
	case rc.raw:
		payload = []byte(body.(string))
	default:
		var err error
		if payload, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	if payload != nil {
		if json.Unmarshal(payload, &sent) == nil {
			for _, k := range []string{"client_secret", "password"} {
				if s, ok := sent[k].(string); ok {
					e.sawSecret(s, method+" "+path+" request field "+k)
				}
			}
		}
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
		if rc.chunked {
			rd = io.MultiReader(rd) // unknown length: sent chunked
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rc.header {
		req.Header[k] = v
	}
	a := rc.auth
	switch {
	case a.none:
	case a.raw != "":
		req.Header.Set("Authorization", a.raw)
	case a.bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	default:
		req.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &resp{status: res.StatusCode, header: res.Header, body: b}
	where := fmt.Sprintf("%s %s → %d", method, path, r.status)

	if strings.HasPrefix(path, "/api/") {
		if cc, pr := res.Header.Get("Cache-Control"), res.Header.Get("Pragma"); cc != "no-store" || pr != "no-cache" {
			t.Errorf("%s: Cache-Control %q, Pragma %q; SPEC §5: every response has Cache-Control: no-store and Pragma: no-cache", where, cc, pr)
		}
		if r.status >= 400 {
			checkErrorShape(t, where, r)
		}
	}

	issued := false
	if r.status < 300 && len(b) > 0 && b[0] == '{' {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if s, ok := m["client_secret"].(string); ok && s != "" {
				e.sawSecret(s, where)
				issued = true
			}
		}
	}
	if !issued {
		e.mu.Lock()
		e.bodies = append(e.bodies, seenBody{where: where, ok: r.status < 300, body: b})
		e.mu.Unlock()
	}
	if r.status >= 200 && r.status < 300 && method != http.MethodGet {
		e.expectFrom(t, method, path, sent, r, a.username)
	}
	return r
}

// checkErrorShape: SPEC §5 — {"error": CODE, "message": TEXT, "details": {…}} and nothing else.
func checkErrorShape(t testing.TB, where string, r *resp) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Errorf("%s: error body is not a JSON object: %q", where, r.body)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(keys, []string{"details", "error", "message"}) {
		t.Errorf("%s: error body has keys %v, want exactly [details error message]: %s", where, keys, r.body)
		return
	}
	var code, msg string
	var details map[string]string
	if json.Unmarshal(m["error"], &code) != nil || code == "" ||
		json.Unmarshal(m["message"], &msg) != nil || msg == "" ||
		json.Unmarshal(m["details"], &details) != nil || details == nil {
		t.Errorf("%s: error, message must be non-empty strings and details an object of strings: %s", where, r.body)
	}
}

// apiErr is a decoded error body.
type apiErr struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Details map[string]string `json:"details"`
}

// wantError checks status and code, and returns the body.
func wantError(t testing.TB, r *resp, status int, code string) apiErr {
	t.Helper()
	var ae apiErr
	_ = json.Unmarshal(r.body, &ae)
	if r.status != status || ae.Error != code {
		t.Errorf("got %d %q, want %d %q: %s", r.status, ae.Error, status, code, r.body)
	}
	return ae
}

func wantStatus(t testing.TB, r *resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// detailKeys are the fields an error names, sorted.
func detailKeys(ae apiErr) []string {
	keys := make([]string, 0, len(ae.Details))
	for k := range ae.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// expectFrom records the audit event a successful change must leave.
func (e *env) expectFrom(t testing.TB, method, path string, sent map[string]any, r *resp, actor string) {
	t.Helper()
	p, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/v1/"), "?")
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	respField := func(k string) string {
		var m map[string]any
		_ = json.Unmarshal(r.body, &m)
		s, _ := m[k].(string)
		if s == "" {
			t.Errorf("%s %s: response has no %q: %s", method, path, k, r.body)
		}
		return s
	}
	w := wantEvent{actor: actor, fields: sortedKeys(sent), why: method + " " + path}
	switch {
	case segs[0] == "configuration" && len(segs) >= 2:
		w.targetType = "client"
		switch {
		case len(segs) == 2 && method == http.MethodPost:
			w.action, w.targetID = "client.create", respField("client_id")
		case len(segs) == 3 && method == http.MethodPatch:
			w.action, w.targetID = "client.update", segs[2]
		case len(segs) == 3 && method == http.MethodDelete:
			w.action, w.targetID, w.fields = "client.delete", segs[2], []string{}
		case len(segs) == 4 && segs[3] == "secret":
			w.action, w.targetID, w.fields = "client.secret.regenerate", segs[2], []string{"client_secret", "secret_expires_on"}
		case len(segs) == 4 && segs[3] == "duplicate":
			w.action, w.targetID, w.fields, w.fieldsAtLeast = "client.create", respField("client_id"), []string{"name"}, true
		default:
			t.Errorf("no audit expectation for %s %s", method, path)
			return
		}
	case segs[0] == "users":
		w.targetType = "user"
		switch {
		case len(segs) == 1 && method == http.MethodPost:
			w.action, w.targetID = "user.create", respField("id")
		case len(segs) == 2 && method == http.MethodPatch:
			w.action, w.targetID = "user.update", segs[1]
		case len(segs) == 2 && method == http.MethodDelete:
			w.action, w.targetID, w.fields = "user.delete", segs[1], []string{}
		default:
			t.Errorf("no audit expectation for %s %s", method, path)
			return
		}
	case segs[0] == "roles":
		w.targetType = "role"
		switch {
		case len(segs) == 1 && method == http.MethodPost:
			w.action, w.targetID = "role.create", respField("name")
		case len(segs) == 2 && method == http.MethodPatch:
			w.action, w.targetID = "role.update", segs[1]
		case len(segs) == 2 && method == http.MethodDelete:
			w.action, w.targetID, w.fields = "role.delete", segs[1], []string{}
		case len(segs) == 3 && method == http.MethodPost:
			w.action, w.targetID, w.fields = "role.member.add", segs[1], []string{"members"}
		case len(segs) == 4 && method == http.MethodDelete:
			w.action, w.targetID, w.fields = "role.member.remove", segs[1], []string{"members"}
		default:
			t.Errorf("no audit expectation for %s %s", method, path)
			return
		}
	default:
		t.Errorf("no audit expectation for %s %s", method, path)
		return
	}
	e.mu.Lock()
	e.expected = append(e.expected, w)
	e.mu.Unlock()
}

// auditEvent is one entry of GET /api/v1/audit-events.
type auditEvent struct {
	ID         string    `json:"id"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Fields     []string  `json:"fields"`
}

type page[T any] struct {
	Result   []T `json:"result"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
	Total    int `json:"total"`
}

// all reads every page of a list.
func all[T any](t testing.TB, e *env, path string) []T {
	t.Helper()
	var out []T
	for n := 0; ; n++ {
		r := e.do(t, "GET", fmt.Sprintf("%s?page=%d", path, n), nil)
		wantStatus(t, r, 200)
		var p page[T]
		r.decode(t, &p)
		if p.Page != n || p.PageSize != 100 {
			t.Fatalf("%s page %d: page %d, page_size %d", path, n, p.Page, p.PageSize)
		}
		out = append(out, p.Result...)
		if len(p.Result) < 100 || len(out) >= p.Total {
			if len(out) != p.Total {
				t.Errorf("%s: read %d items, total says %d", path, len(out), p.Total)
			}
			return out
		}
		if n > 1000 {
			t.Fatal("endless list")
		}
	}
}

// verify runs the checks of every environment: the audit trail holds every
// change the test made, and no secret the test saw is anywhere it must not be.
func (e *env) verify(t *testing.T) {
	t.Helper()
	e.clock.Reset()
	t.Run("audit_trail", func(t *testing.T) {
		e.mu.Lock()
		want := append([]wantEvent{}, e.expected...)
		e.mu.Unlock()
		events := all[auditEvent](t, e, "/api/v1/audit-events")
		used := make([]bool, len(events))
		for _, w := range want {
			found := false
			for i, ev := range events {
				if used[i] || ev.Actor != w.actor || ev.Action != w.action || ev.TargetType != w.targetType || ev.TargetID != w.targetID {
					continue
				}
				if w.fieldsAtLeast {
					if !containsAll(ev.Fields, w.fields) {
						continue
					}
				} else if !slices.Equal(ev.Fields, w.fields) {
					continue
				}
				used[i], found = true, true
				break
			}
			if !found {
				t.Errorf("no audit event for %s: want actor %q action %q target %s/%s fields %v",
					w.why, w.actor, w.action, w.targetType, w.targetID, w.fields)
			}
		}
		// Changes through the API are the only ones not made by "system";
		// a refused change must have left nothing.
		var byCallers int
		for _, ev := range events {
			if ev.ID == "" || ev.OccurredAt.IsZero() || ev.Actor == "" {
				t.Errorf("incomplete audit event %+v", ev)
			}
			if ev.Actor != "system" {
				byCallers++
			}
		}
		if byCallers != len(want) {
			t.Errorf("%d audit events name an API caller, but the test made %d successful changes", byCallers, len(want))
			for i, ev := range events {
				if !used[i] && ev.Actor != "system" {
					t.Logf("unexpected event: %+v", ev)
				}
			}
		}
		if len(want) == 0 {
			t.Log("no API changes to check")
		}
	})
	t.Run("no_secret_leaks", func(t *testing.T) {
		// Read everything the API shows once more, item by item.
		for _, c := range all[map[string]any](t, e, apiClients) {
			e.do(t, "GET", apiClients+"/"+url.PathEscape(c["client_id"].(string)), nil)
		}
		for _, c := range all[map[string]any](t, e, webClients) {
			e.do(t, "GET", webClients+"/"+url.PathEscape(c["client_id"].(string)), nil)
		}
		for _, u := range all[map[string]any](t, e, "/api/v1/users") {
			e.do(t, "GET", "/api/v1/users/"+url.PathEscape(u["id"].(string)), nil)
		}
		for _, r := range all[map[string]any](t, e, "/api/v1/roles") {
			e.do(t, "GET", "/api/v1/roles/"+url.PathEscape(r["name"].(string)), nil)
		}
		all[map[string]any](t, e, "/api/v1/audit-events")
		all[map[string]any](t, e, "/api/v1/notifications")

		e.mu.Lock()
		secrets := make(map[string]string, len(e.secrets))
		for k, v := range e.secrets {
			secrets[k] = v
		}
		bodies := append([]seenBody{}, e.bodies...)
		e.mu.Unlock()
		if len(secrets) < 1 {
			t.Fatalf("only %d secrets recorded: the scan would prove nothing", len(secrets))
		}
		for _, b := range bodies {
			for s, origin := range secrets {
				if bytes.Contains(b.body, []byte(s)) {
					t.Errorf("response of %s contains the secret from %s", b.where, origin)
				}
			}
			// Successful reads and writes (not error details, which name
			// fields) must have no secret-bearing key at all.
			var doc any
			if b.ok && json.Unmarshal(b.body, &doc) == nil {
				if keys := secretKeys(doc, "$"); len(keys) > 0 {
					t.Errorf("response of %s has %v: %s", b.where, keys, b.body)
				}
			}
		}
		dump := e.dumpTables(t)
		if len(dump) < 5 {
			t.Fatalf("dumped only %d tables", len(dump))
		}
		for table, text := range dump {
			for s, origin := range secrets {
				for _, form := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))} {
					if strings.Contains(text, form) {
						t.Errorf("table %s holds the secret from %s (raw or encoded, not hashed)", table, origin)
					}
				}
			}
		}
		t.Logf("scanned %d responses and %d tables for %d secrets", len(bodies), len(dump), len(secrets))
	})
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// dumpTables reads every row of every table through the store's handle and
// renders it as text.
func (e *env) dumpTables(t testing.TB) map[string]string {
	t.Helper()
	db := e.app.Store.DB()
	var tables []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if e.app.Store.Dialect() == sqlstore.Postgres {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
	}
	if err := db.Raw(q).Scan(&tables).Error; err != nil {
		t.Fatalf("list tables: %v", err)
	}
	out := map[string]string{}
	for _, table := range tables {
		rows, err := db.Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		var sb strings.Builder
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				t.Fatalf("dump %s: %v", table, err)
			}
			for i, v := range vals {
				sb.WriteString(cols[i])
				sb.WriteByte('=')
				if b, ok := v.([]byte); ok {
					sb.Write(b)
				} else {
					fmt.Fprint(&sb, v)
				}
				sb.WriteByte('\t')
			}
			sb.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
		out[table] = sb.String()
	}
	return out
}

// Token endpoint helpers.

func (e *env) ccConfig(id, secret string, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID: id, ClientSecret: secret, Scopes: scopes,
		TokenURL: e.srv.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader,
	}
}

// token gets an access token with the client-credentials grant or fails.
func (e *env) token(t testing.TB, id, secret string, scopes ...string) *oauth2.Token {
	t.Helper()
	tok, err := e.ccConfig(id, secret, scopes...).Token(context.Background())
	if err != nil {
		t.Fatalf("client credentials for %s: %v", id, err)
	}
	if tok.AccessToken == "" {
		t.Fatal("empty access token")
	}
	return tok
}

// tokenRefused expects the token endpoint to refuse with status and code.
func (e *env) tokenRefused(t testing.TB, id, secret string, status int, code string) {
	t.Helper()
	tok, err := e.ccConfig(id, secret).Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("token endpoint: want %d %s, got token %v, error %v", status, code, tok, err)
	}
	if re.Response.StatusCode != status || re.ErrorCode != code {
		t.Errorf("token endpoint: got %d %q, want %d %q: %s", re.Response.StatusCode, re.ErrorCode, status, code, re.Body)
	}
}

// introspect asks RFC 7662 as the admin client.
func (e *env) introspect(t testing.TB, token string) map[string]any {
	t.Helper()
	form := url.Values{"token": {token}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/oauth2/introspect", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(e.admin.id), url.QueryEscape(e.admin.secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&m) != nil {
		t.Fatalf("introspection: status %d", res.StatusCode)
	}
	return m
}

func (e *env) active(t testing.TB, token string) bool {
	t.Helper()
	v, ok := e.introspect(t, token)["active"].(bool)
	if !ok {
		t.Fatal(`introspection has no boolean "active"`)
	}
	return v
}

// Small helpers.

func today() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

func date(t time.Time) string { return t.Format("2006-01-02") }

func strs(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// distinct is a random string of n characters that appears nowhere else.
func distinct(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
