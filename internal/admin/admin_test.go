package admin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// clientKind is one of the two client collections.
type clientKind struct {
	name string
	base string
	// create is a valid creation body that yields a client with a secret.
	create func(name string) map[string]any
}

var kinds = []clientKind{
	{name: "api", base: apiClients, create: func(name string) map[string]any {
		return map[string]any{
			"name": name, "description": "settlement reports", "scopes": []string{"orders.read", "orders.write"},
			"public_base_uri": "https://orders.example.com", "access_token_lifetime": 1800,
		}
	}},
	{name: "web", base: webClients, create: func(name string) map[string]any {
		return map[string]any{
			"name": name, "description": "back office", "public": false, "require_consent": false,
			"redirect_uris":             []string{"https://office.example.com/callback", "http://localhost:8080/cb"},
			"allowed_cors_origins":      []string{"https://office.example.com"},
			"post_logout_redirect_uris": []string{"https://office.example.com/"},
			"scopes":                    []string{"openid", "profile"}, "access_token_lifetime": 900,
		}
	}},
}

// createClient POSTs body and checks the SPEC §5 answer: 201, Location and
// the secret exactly once when one was generated.
func (e *env) createClient(t testing.TB, base string, body map[string]any) (m map[string]any, secret string) {
	t.Helper()
	r := e.do(t, "POST", base, body)
	wantStatus(t, r, http.StatusCreated)
	m = r.obj(t)
	id, _ := m["client_id"].(string)
	if id == "" {
		t.Fatalf("no client_id: %s", r.body)
	}
	if loc := r.header.Get("Location"); loc != base+"/"+id {
		t.Errorf("Location %q, want %q", loc, base+"/"+id)
	}
	secret, _ = m["client_secret"].(string)
	if secret != "" {
		if n := strings.Count(string(r.body), secret); n != 1 {
			t.Errorf("the secret appears %d times in the creation response, want once", n)
		}
	}
	return m, secret
}

// getClient GETs a client and checks it shows no secret.
func (e *env) getClient(t testing.TB, base, id string, secrets ...string) map[string]any {
	t.Helper()
	r := e.do(t, "GET", base+"/"+url.PathEscape(id), nil)
	wantStatus(t, r, http.StatusOK)
	m := r.obj(t)
	if _, ok := m["client_secret"]; ok {
		t.Errorf("GET %s shows client_secret: %s", id, r.body)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(r.body), s) {
			t.Errorf("GET %s contains the secret", id)
		}
	}
	return m
}

// secretWorks reports whether id:secret authenticates: at the token
// endpoint for API clients (client credentials), at the introspection
// endpoint for Web App clients (they cannot use client credentials).
func (e *env) secretWorks(t testing.TB, base, id, secret string) bool {
	t.Helper()
	if base == apiClients {
		_, err := e.ccConfig(id, secret).Token(context.Background())
		if err == nil {
			return true
		}
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response.StatusCode == 401 && re.ErrorCode == "invalid_client" {
			return false
		}
		t.Fatalf("token endpoint: unexpected answer %v", err)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/oauth2/introspect", strings.NewReader("token=nothing"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	switch res.StatusCode {
	case 200:
		return true
	case 401:
		return false
	}
	t.Fatalf("introspection as %s: status %d", id, res.StatusCode)
	return false
}

func jsonValue(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// TestClientRoutes covers every route of both client collections (SPEC §5).
func TestClientRoutes(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				testClientRoutes(t, e, k)
			})
		}
	})
}

func testClientRoutes(t *testing.T, e *env, k clientKind) {
	body := k.create("Settlement " + k.name)
	created, secret := e.createClient(t, k.base, body)
	id := created["client_id"].(string)
	if secret == "" {
		t.Fatalf("no client_secret in the creation response: %v", created)
	}

	t.Run("create_shows_settings", func(t *testing.T) {
		for f, v := range body {
			if !reflect.DeepEqual(created[f], jsonValue(v)) {
				t.Errorf("%s = %v, sent %v", f, created[f], v)
			}
		}
		if created["type"] != k.name || created["enabled"] != true || created["status"] != "active" {
			t.Errorf("type %v enabled %v status %v", created["type"], created["enabled"], created["status"])
		}
		if got, want := created["secret_expires_on"], date(today().AddDate(0, 0, 90)); got != want {
			t.Errorf("default secret_expires_on %v, want today + 90 days = %s", got, want)
		}
		if len(id) < 32 {
			t.Errorf("generated client_id %q is shorter than 128 bits of hex", id)
		}
		if len(secret) < 43 {
			t.Errorf("generated secret has %d characters, too few for 256 bits", len(secret))
		}
		if k.base == apiClients {
			if created["username"] != id+"@"+clientDomain {
				t.Errorf("username %v, want %s@%s", created["username"], id, clientDomain)
			}
			if !reflect.DeepEqual(created["roles"], []any{}) {
				t.Errorf("roles %v", created["roles"])
			}
		}
		if !e.secretWorks(t, k.base, id, secret) {
			t.Error("the generated secret does not authenticate")
		}
	})

	t.Run("get_and_list_never_show_the_secret", func(t *testing.T) {
		got := e.getClient(t, k.base, id, secret)
		for f, v := range created {
			// last_used_at moved when the secret was tried above.
			if f != "client_secret" && f != "last_used_at" && !reflect.DeepEqual(got[f], v) {
				t.Errorf("GET %s = %v, creation said %v", f, got[f], v)
			}
		}
		r := e.do(t, "GET", k.base, nil)
		wantStatus(t, r, 200)
		if strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), `"client_secret"`) {
			t.Errorf("list shows a secret: %s", r.body)
		}
		var p page[map[string]any]
		r.decode(t, &p)
		if !slices.ContainsFunc(p.Result, func(c map[string]any) bool { return c["client_id"] == id }) {
			t.Errorf("list does not contain %s", id)
		}
		for _, c := range p.Result {
			if c["type"] != k.name {
				t.Errorf("%s list holds a %v client", k.name, c["type"])
			}
		}
	})

	t.Run("patch_changes_only_sent_fields", func(t *testing.T) {
		newSecret := "patched-secret-" + strings.Repeat("s", 25) + k.name
		cases := []struct {
			name  string
			patch map[string]any
			// also may change, besides the sent fields and updated_at
			derived []string
		}{
			{name: "empty body", patch: map[string]any{}},
			{name: "name", patch: map[string]any{"name": "Renamed " + k.name}},
			{name: "description", patch: map[string]any{"description": "new description"}},
			{name: "empty description", patch: map[string]any{"description": ""}},
			{name: "scopes", patch: map[string]any{"scopes": []string{"openid", "reports.read"}}},
			{name: "access_token_lifetime", patch: map[string]any{"access_token_lifetime": 259200}},
			{name: "secret_expires_on", patch: map[string]any{"secret_expires_on": date(today().AddDate(0, 0, 30))}},
			{name: "disable", patch: map[string]any{"enabled": false}, derived: []string{"status"}},
			{name: "enable", patch: map[string]any{"enabled": true}, derived: []string{"status"}},
			{name: "several", patch: map[string]any{"name": "Several", "description": "two at once"}},
			{name: "client_secret", patch: map[string]any{"client_secret": newSecret}, derived: []string{"secret_created_at", "secret_expires_on"}},
		}
		if k.base == apiClients {
			cases = append(cases,
				struct {
					name    string
					patch   map[string]any
					derived []string
				}{name: "public_base_uri", patch: map[string]any{"public_base_uri": "https://reports.example.com/v2"}})
		} else {
			for _, c := range []map[string]any{
				{"require_consent": true},
				{"redirect_uris": []string{"https://office.example.com/other", "com.example.office:/oauth"}},
				{"allowed_cors_origins": []string{"https://a.example.com", "http://localhost:3000"}},
				{"post_logout_redirect_uris": []string{"https://office.example.com/bye"}},
			} {
				cases = append(cases, struct {
					name    string
					patch   map[string]any
					derived []string
				}{name: sortedKeys(c)[0], patch: c})
			}
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := e.getClient(t, k.base, id)
				r := e.do(t, "PATCH", k.base+"/"+id, tc.patch)
				wantStatus(t, r, http.StatusNoContent)
				if len(r.body) != 0 {
					t.Errorf("204 with a body: %s", r.body)
				}
				after := e.getClient(t, k.base, id, newSecret)
				may := append([]string{"updated_at"}, tc.derived...)
				for f := range tc.patch {
					may = append(may, f)
				}
				for f, v := range before {
					if !slices.Contains(may, f) && !reflect.DeepEqual(after[f], v) {
						t.Errorf("%s changed from %v to %v though not sent", f, v, after[f])
					}
				}
				for f, v := range tc.patch {
					if _, shown := after[f]; shown && !reflect.DeepEqual(after[f], jsonValue(v)) {
						t.Errorf("%s = %v after PATCH, sent %v", f, after[f], v)
					}
				}
			})
		}
		if !e.secretWorks(t, k.base, id, newSecret) {
			t.Error("the secret set by PATCH does not authenticate")
		}
		if e.secretWorks(t, k.base, id, secret) {
			t.Error("the secret replaced by PATCH still authenticates")
		}
		secret = newSecret
	})

	t.Run("regenerate_secret", func(t *testing.T) {
		r := e.do(t, "POST", k.base+"/"+id+"/secret", nil)
		wantStatus(t, r, 200)
		m := r.obj(t)
		if keys := sortedKeys(m); !slices.Equal(keys, []string{"client_secret", "secret_expires_on"}) {
			t.Errorf("keys %v, want exactly client_secret, secret_expires_on", keys)
		}
		s1, _ := m["client_secret"].(string)
		if s1 == "" || s1 == secret {
			t.Fatalf("no new secret: %s", r.body)
		}
		if m["secret_expires_on"] != date(today().AddDate(0, 0, 90)) {
			t.Errorf("secret_expires_on %v, want today + 90 days", m["secret_expires_on"])
		}
		if !e.secretWorks(t, k.base, id, s1) {
			t.Error("the new secret does not work")
		}
		if e.secretWorks(t, k.base, id, secret) {
			t.Error("the old secret still works without a grace period")
		}
		e.getClient(t, k.base, id, s1)

		// With a grace period the old secret keeps working.
		last := date(today().AddDate(0, 6, 0))
		r = e.do(t, "POST", k.base+"/"+id+"/secret", map[string]any{"grace_period_seconds": 3600, "secret_expires_on": last})
		wantStatus(t, r, 200)
		m = r.obj(t)
		s2, _ := m["client_secret"].(string)
		if s2 == "" || m["secret_expires_on"] != last {
			t.Fatalf("answer %s, want a secret and secret_expires_on %s", r.body, last)
		}
		if !e.secretWorks(t, k.base, id, s2) || !e.secretWorks(t, k.base, id, s1) {
			t.Error("with grace_period_seconds both the new and the old secret must work")
		}
		if got := e.getClient(t, k.base, id, s1, s2)["secret_expires_on"]; got != last {
			t.Errorf("GET secret_expires_on %v, want %s", got, last)
		}

		// The longest grace is 7 days.
		r = e.do(t, "POST", k.base+"/"+id+"/secret", map[string]any{"grace_period_seconds": 604801})
		ae := wantError(t, r, 400, "invalid_request")
		if _, ok := ae.Details["grace_period_seconds"]; !ok {
			t.Errorf("details %v do not name grace_period_seconds", ae.Details)
		}
		r = e.do(t, "POST", k.base+"/"+id+"/secret", map[string]any{"grace_period_seconds": -1})
		wantError(t, r, 400, "invalid_request")
		if !e.secretWorks(t, k.base, id, s2) {
			t.Error("a refused regeneration changed the secret")
		}
		r = e.do(t, "POST", k.base+"/"+id+"/secret", map[string]any{"grace_period_seconds": 604800})
		wantStatus(t, r, 200)
		s3, _ := r.obj(t)["client_secret"].(string)
		if !e.secretWorks(t, k.base, id, s3) || !e.secretWorks(t, k.base, id, s2) {
			t.Error("grace of exactly 7 days: both secrets must work")
		}
		secret = s3
	})

	t.Run("duplicate", func(t *testing.T) {
		src := e.getClient(t, k.base, id)
		r := e.do(t, "POST", k.base+"/"+id+"/duplicate", nil)
		wantStatus(t, r, http.StatusCreated)
		dup := r.obj(t)
		dupID, _ := dup["client_id"].(string)
		dupSecret, _ := dup["client_secret"].(string)
		if dupID == "" || dupID == id || dupSecret == "" || dupSecret == secret {
			t.Fatalf("duplicate needs a new id and a new secret: %s", r.body)
		}
		if loc := r.header.Get("Location"); loc != k.base+"/"+dupID {
			t.Errorf("Location %q", loc)
		}
		if dup["name"] != src["name"].(string)+" (copy)" {
			t.Errorf("name %v, want %q", dup["name"], src["name"].(string)+" (copy)")
		}
		settings := []string{"type", "description", "scopes", "access_token_lifetime", "enabled", "public_base_uri",
			"public", "require_consent", "redirect_uris", "allowed_cors_origins", "post_logout_redirect_uris"}
		for _, f := range settings {
			if !reflect.DeepEqual(dup[f], src[f]) {
				t.Errorf("duplicate %s = %v, source has %v", f, dup[f], src[f])
			}
		}
		if !e.secretWorks(t, k.base, dupID, dupSecret) {
			t.Error("the duplicate's secret does not work")
		}
		if e.secretWorks(t, k.base, dupID, secret) {
			t.Error("the source's secret works for the duplicate")
		}
		e.getClient(t, k.base, dupID, dupSecret)

		r = e.do(t, "POST", k.base+"/"+id+"/duplicate", map[string]any{"name": "Named copy"})
		wantStatus(t, r, http.StatusCreated)
		if n := r.obj(t)["name"]; n != "Named copy" {
			t.Errorf("name %v, want the one given", n)
		}
		r = e.do(t, "POST", k.base+"/"+id+"/duplicate", map[string]any{"name": strings.Repeat("n", 201)})
		if ae := wantError(t, r, 400, "invalid_request"); ae.Details["name"] == "" {
			t.Errorf("details %v", ae.Details)
		}
		r = e.do(t, "POST", k.base+"/"+id+"/duplicate", map[string]any{"client_id": "chosen"})
		if ae := wantError(t, r, 400, "invalid_request"); ae.Details["client_id"] == "" {
			t.Errorf("details %v", ae.Details)
		}
	})

	t.Run("delete", func(t *testing.T) {
		r := e.do(t, "DELETE", k.base+"/"+id, nil)
		wantStatus(t, r, http.StatusNoContent)
		wantError(t, e.do(t, "GET", k.base+"/"+id, nil), 404, "not_found")
		wantError(t, e.do(t, "DELETE", k.base+"/"+id, nil), 404, "not_found")
		wantError(t, e.do(t, "PATCH", k.base+"/"+id, map[string]any{"name": "x"}), 404, "not_found")
		wantError(t, e.do(t, "POST", k.base+"/"+id+"/secret", nil), 404, "not_found")
		wantError(t, e.do(t, "POST", k.base+"/"+id+"/duplicate", nil), 404, "not_found")
		if e.secretWorks(t, k.base, id, secret) {
			t.Error("a deleted client's secret still works")
		}
	})
}

// TestListPaging: pages of 100 from page 0, total, past the end, bad page.
func TestListPaging(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		// 149 API clients besides the admin, 101 Web App clients, made
		// through the service by a few workers.
		ids := map[string]bool{e.admin.id: true}
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < 250; i += 5 {
					name := fmt.Sprintf("bulk %03d", i)
					p := clients.Patch{Name: &name, Scopes: &[]string{"bulk.read"}}
					typ := store.ClientTypeAPI
					if i >= 149 {
						typ = store.ClientTypeWeb
						p.RedirectURIs = &[]string{"https://bulk.example.com/cb"}
					}
					c, err := e.svc.Create(context.Background(), typ, p)
					if err != nil {
						errs <- err
						return
					}
					if c.Secret != "" {
						e.sawSecret(c.Secret, "bulk client "+name)
					}
					if typ == store.ClientTypeAPI {
						mu.Lock()
						ids[c.Client.ID] = true
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		cases := []struct {
			base        string
			page, count int
			total       int
		}{
			{apiClients, 0, 100, 150}, {apiClients, 1, 50, 150}, {apiClients, 2, 0, 150}, {apiClients, 7, 0, 150},
			{webClients, 0, 100, 101}, {webClients, 1, 1, 101}, {webClients, 2, 0, 101},
		}
		seen := map[string]bool{}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s page %d", strings.TrimPrefix(tc.base, "/api/v1/configuration/"), tc.page), func(t *testing.T) {
				r := e.do(t, "GET", fmt.Sprintf("%s?page=%d", tc.base, tc.page), nil)
				wantStatus(t, r, 200)
				var p page[map[string]any]
				r.decode(t, &p)
				raw := r.obj(t)
				if keys := sortedKeys(raw); !slices.Equal(keys, []string{"page", "page_size", "result", "total"}) {
					t.Errorf("keys %v", keys)
				}
				if _, isList := raw["result"].([]any); !isList {
					t.Errorf("result is %T, want a list (even when empty)", raw["result"])
				}
				if len(p.Result) != tc.count || p.Page != tc.page || p.PageSize != 100 || p.Total != tc.total {
					t.Errorf("got %d items, page %d, page_size %d, total %d; want %d items, page %d, 100, total %d",
						len(p.Result), p.Page, p.PageSize, p.Total, tc.count, tc.page, tc.total)
				}
				if tc.base == apiClients {
					for _, c := range p.Result {
						id := c["client_id"].(string)
						if seen[id] {
							t.Errorf("%s on two pages", id)
						}
						seen[id] = true
					}
				}
			})
		}
		if len(seen) != len(ids) {
			t.Errorf("pages 0 and 1 hold %d distinct API clients, want %d", len(seen), len(ids))
		}
		for id := range ids {
			if !seen[id] {
				t.Errorf("%s is on no page", id)
			}
		}
		if r := e.do(t, "GET", apiClients, nil); r.status != 200 || r.obj(t)["page"] != float64(0) {
			t.Errorf("no page parameter: want page 0: %s", r.body[:min(len(r.body), 200)])
		}

		for _, path := range []string{apiClients, webClients, "/api/v1/users", "/api/v1/roles", "/api/v1/audit-events"} {
			for _, bad := range []string{"x", "-1", "1.5", "0x1"} {
				t.Run(fmt.Sprintf("bad page %q on %s", bad, strings.TrimPrefix(path, "/api/v1/")), func(t *testing.T) {
					r := e.do(t, "GET", path+"?page="+url.QueryEscape(bad), nil)
					ae := wantError(t, r, 400, "invalid_request")
					if _, ok := ae.Details["page"]; !ok || len(ae.Details) != 1 {
						t.Errorf("details %v, want exactly page", ae.Details)
					}
				})
			}
		}
	})
}

// TestValidation: every rule of SPEC §4 and every malformed body answers
// 400 invalid_request whose details name exactly the bad fields.
func TestValidation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		api, _ := e.createClient(t, apiClients, map[string]any{"name": "patch target", "scopes": []string{"a"}})
		web, _ := e.createClient(t, webClients, map[string]any{"name": "web patch target", "redirect_uris": []string{"https://w.example.com/cb"}})
		apiPath := apiClients + "/" + api["client_id"].(string)
		webPath := webClients + "/" + web["client_id"].(string)

		td := today()
		long := func(n int) string { return strings.Repeat("x", n) }
		with := func(base map[string]any, kv ...any) map[string]any {
			m := map[string]any{}
			for k, v := range base {
				m[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		apiOK := map[string]any{"name": "valid api"}
		webOK := map[string]any{"name": "valid web", "redirect_uris": []string{"https://w.example.com/cb"}}
		type tc struct {
			name   string
			method string
			path   string
			body   any      // a value to encode, or a string sent as is
			fields []string // the details keys; nil: only "some"
			ok     int      // instead of 400, this success status
		}
		cases := []tc{
			// Malformed bodies.
			{name: "malformed JSON", method: "POST", path: apiClients, body: `{"name": "x"`},
			{name: "trailing garbage", method: "POST", path: apiClients, body: `{"name": "x"} {}`},
			{name: "not an object", method: "POST", path: apiClients, body: `["name"]`},
			{name: "a string", method: "POST", path: apiClients, body: `"name"`},
			{name: "malformed JSON in PATCH", method: "PATCH", path: apiPath, body: `{name: 1}`},
			{name: "malformed JSON web", method: "POST", path: webClients, body: `{`},
			// Unknown and read-only fields.
			{name: "unknown field", method: "POST", path: apiClients, body: with(apiOK, "colour", "red"), fields: []string{"colour"}},
			{name: "unknown field in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"colour": "red"}, fields: []string{"colour"}},
			{name: "read-only status", method: "POST", path: apiClients, body: with(apiOK, "status", "active"), fields: []string{"status"}},
			{name: "read-only username", method: "POST", path: apiClients, body: with(apiOK, "username", "x@y"), fields: []string{"username"}},
			{name: "read-only type", method: "POST", path: apiClients, body: with(apiOK, "type", "web"), fields: []string{"type"}},
			{name: "read-only roles", method: "POST", path: apiClients, body: with(apiOK, "roles", []string{"Administration"}), fields: []string{"roles"}},
			{name: "read-only created_at", method: "POST", path: apiClients, body: with(apiOK, "created_at", "2020-01-01T00:00:00Z"), fields: []string{"created_at"}},
			{name: "client_id in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"client_id": "other"}, fields: []string{"client_id"}},
			{name: "status in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"status": "active"}, fields: []string{"status"}},
			{name: "username in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"username": "a@b"}, fields: []string{"username"}},
			{name: "type in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"type": "web"}, fields: []string{"type"}},
			{name: "last_used_at in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"last_used_at": nil}, fields: []string{"last_used_at"}},
			{name: "client_id in web PATCH", method: "PATCH", path: webPath, body: map[string]any{"client_id": "other"}, fields: []string{"client_id"}},
			{name: "status in web PATCH", method: "PATCH", path: webPath, body: map[string]any{"status": "disabled"}, fields: []string{"status"}},
			{name: "public in web PATCH", method: "PATCH", path: webPath, body: map[string]any{"public": true}, fields: []string{"public"}},
			// Nulls.
			{name: "null name", method: "POST", path: apiClients, body: map[string]any{"name": nil}, fields: []string{"name"}},
			{name: "null description", method: "POST", path: apiClients, body: with(apiOK, "description", nil), fields: []string{"description"}},
			{name: "null scopes in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"scopes": nil}, fields: []string{"scopes"}},
			{name: "null redirect_uris in web PATCH", method: "PATCH", path: webPath, body: map[string]any{"redirect_uris": nil}, fields: []string{"redirect_uris"}},
			// Wrong types.
			{name: "name a number", method: "POST", path: apiClients, body: map[string]any{"name": 5}, fields: []string{"name"}},
			{name: "scopes a string", method: "POST", path: apiClients, body: with(apiOK, "scopes", "a b"), fields: []string{"scopes"}},
			{name: "scopes of numbers", method: "POST", path: apiClients, body: with(apiOK, "scopes", []int{1}), fields: []string{"scopes"}},
			{name: "lifetime a string", method: "POST", path: apiClients, body: with(apiOK, "access_token_lifetime", "3600"), fields: []string{"access_token_lifetime"}},
			{name: "lifetime a fraction", method: "PATCH", path: apiPath, body: map[string]any{"access_token_lifetime": 60.5}, fields: []string{"access_token_lifetime"}},
			{name: "enabled a string", method: "PATCH", path: apiPath, body: map[string]any{"enabled": "false"}, fields: []string{"enabled"}},
			{name: "require_consent a number", method: "PATCH", path: webPath, body: map[string]any{"require_consent": 0}, fields: []string{"require_consent"}},
			{name: "redirect_uris a string", method: "POST", path: webClients, body: with(webOK, "redirect_uris", "https://w.example.com/cb"), fields: []string{"redirect_uris"}},
			{name: "public a string", method: "POST", path: webClients, body: with(webOK, "public", "no"), fields: []string{"public"}},
			// name
			{name: "name missing", method: "POST", path: apiClients, body: map[string]any{}, fields: []string{"name"}},
			{name: "empty body has no name", method: "POST", path: apiClients, body: "", fields: []string{"name"}},
			{name: "name empty", method: "POST", path: apiClients, body: map[string]any{"name": ""}, fields: []string{"name"}},
			{name: "name blank", method: "POST", path: apiClients, body: map[string]any{"name": "   "}, fields: []string{"name"}},
			{name: "name 201 characters", method: "POST", path: apiClients, body: map[string]any{"name": long(201)}, fields: []string{"name"}},
			{name: "name 201 characters in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"name": long(201)}, fields: []string{"name"}},
			{name: "name empty in PATCH", method: "PATCH", path: webPath, body: map[string]any{"name": ""}, fields: []string{"name"}},
			{name: "name 200 characters", method: "POST", path: apiClients, body: map[string]any{"name": long(200)}, ok: 201},
			{name: "name 200 multibyte characters", method: "POST", path: apiClients, body: map[string]any{"name": strings.Repeat("é", 200)}, ok: 201},
			// description
			{name: "description 1001", method: "POST", path: apiClients, body: with(apiOK, "description", long(1001)), fields: []string{"description"}},
			{name: "description 1001 in PATCH", method: "PATCH", path: webPath, body: map[string]any{"description": long(1001)}, fields: []string{"description"}},
			{name: "description 1000", method: "POST", path: apiClients, body: with(apiOK, "description", long(1000)), ok: 201},
			// scopes
			{name: "scope with a space", method: "POST", path: apiClients, body: with(apiOK, "scopes", []string{"orders read"}), fields: []string{"scopes"}},
			{name: "empty scope", method: "POST", path: apiClients, body: with(apiOK, "scopes", []string{""}), fields: []string{"scopes"}},
			{name: "scope with a quote", method: "PATCH", path: apiPath, body: map[string]any{"scopes": []string{"ok", `bad"scope`}}, fields: []string{"scopes"}},
			{name: "scope with a backslash", method: "PATCH", path: webPath, body: map[string]any{"scopes": []string{`a\b`}}, fields: []string{"scopes"}},
			// client_secret
			{name: "client_secret 31", method: "POST", path: apiClients, body: with(apiOK, "client_secret", distinct(31)), fields: []string{"client_secret"}},
			{name: "client_secret 31 in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"client_secret": distinct(31)}, fields: []string{"client_secret"}},
			{name: "client_secret 32", method: "POST", path: apiClients, body: with(apiOK, "client_secret", "supplied-secret-32-characters-ok"), ok: 201},
			// client_id
			{name: "client_id with a space", method: "POST", path: apiClients, body: with(apiOK, "client_id", "my client"), fields: []string{"client_id"}},
			{name: "client_id with a slash", method: "POST", path: webClients, body: with(webOK, "client_id", "a/b"), fields: []string{"client_id"}},
			{name: "client_id 129", method: "POST", path: apiClients, body: with(apiOK, "client_id", long(129)), fields: []string{"client_id"}},
			{name: "client_id empty", method: "POST", path: apiClients, body: with(apiOK, "client_id", ""), fields: []string{"client_id"}},
			{name: "client_id 128 of every allowed character", method: "POST", path: apiClients, body: with(apiOK, "client_id", strings.Repeat("aZ9._~-", 18)+"ab"), ok: 201},
			// secret_expires_on
			{name: "expiry not a date", method: "POST", path: apiClients, body: with(apiOK, "secret_expires_on", "next week"), fields: []string{"secret_expires_on"}},
			{name: "expiry with slashes", method: "POST", path: apiClients, body: with(apiOK, "secret_expires_on", td.Format("2006/01/02")), fields: []string{"secret_expires_on"}},
			{name: "expiry a timestamp", method: "PATCH", path: apiPath, body: map[string]any{"secret_expires_on": td.AddDate(0, 1, 0).Format(time.RFC3339)}, fields: []string{"secret_expires_on"}},
			{name: "expiry yesterday", method: "POST", path: apiClients, body: with(apiOK, "secret_expires_on", date(td.AddDate(0, 0, -1))), fields: []string{"secret_expires_on"}},
			{name: "expiry yesterday in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"secret_expires_on": date(td.AddDate(0, 0, -1))}, fields: []string{"secret_expires_on"}},
			{name: "expiry 24 months and a day", method: "POST", path: apiClients, body: with(apiOK, "secret_expires_on", date(td.AddDate(0, 24, 1))), fields: []string{"secret_expires_on"}},
			{name: "expiry in regeneration past", method: "POST", path: apiPath + "/secret", body: map[string]any{"secret_expires_on": date(td.AddDate(0, 0, -1))}, fields: []string{"secret_expires_on"}},
			{name: "expiry in regeneration too far", method: "POST", path: apiPath + "/secret", body: map[string]any{"secret_expires_on": date(td.AddDate(0, 24, 1))}, fields: []string{"secret_expires_on"}},
			{name: "regeneration unknown field", method: "POST", path: apiPath + "/secret", body: map[string]any{"client_secret": distinct(40)}, fields: []string{"client_secret"}},
			{name: "expiry today", method: "POST", path: apiClients, body: with(apiOK, "secret_expires_on", date(td)), ok: 201},
			{name: "expiry in 24 months", method: "POST", path: apiClients, body: with(apiOK, "secret_expires_on", date(td.AddDate(0, 24, 0))), ok: 201},
			// access_token_lifetime
			{name: "lifetime 59", method: "POST", path: apiClients, body: with(apiOK, "access_token_lifetime", 59), fields: []string{"access_token_lifetime"}},
			{name: "lifetime 259201", method: "POST", path: apiClients, body: with(apiOK, "access_token_lifetime", 259201), fields: []string{"access_token_lifetime"}},
			{name: "lifetime 59 in PATCH", method: "PATCH", path: webPath, body: map[string]any{"access_token_lifetime": 59}, fields: []string{"access_token_lifetime"}},
			{name: "lifetime 259201 in PATCH", method: "PATCH", path: apiPath, body: map[string]any{"access_token_lifetime": 259201}, fields: []string{"access_token_lifetime"}},
			{name: "lifetime negative", method: "POST", path: apiClients, body: with(apiOK, "access_token_lifetime", -60), fields: []string{"access_token_lifetime"}},
			{name: "lifetime 60", method: "POST", path: apiClients, body: with(apiOK, "access_token_lifetime", 60), ok: 201},
			{name: "lifetime 259200", method: "POST", path: webClients, body: with(webOK, "access_token_lifetime", 259200), ok: 201},
			// public_base_uri
			{name: "public_base_uri relative", method: "POST", path: apiClients, body: with(apiOK, "public_base_uri", "/orders"), fields: []string{"public_base_uri"}},
			{name: "public_base_uri no scheme", method: "PATCH", path: apiPath, body: map[string]any{"public_base_uri": "orders.example.com/api"}, fields: []string{"public_base_uri"}},
			{name: "public_base_uri on a web client", method: "POST", path: webClients, body: with(webOK, "public_base_uri", "https://w.example.com"), fields: []string{"public_base_uri"}},
			// Web App fields on API clients.
			{name: "redirect_uris on an API client", method: "POST", path: apiClients, body: with(apiOK, "redirect_uris", []string{"https://a.example.com/cb"}), fields: []string{"redirect_uris"}},
			{name: "require_consent on an API client", method: "POST", path: apiClients, body: with(apiOK, "require_consent", false), fields: []string{"require_consent"}},
			{name: "allowed_cors_origins on an API client", method: "PATCH", path: apiPath, body: map[string]any{"allowed_cors_origins": []string{"https://a.example.com"}}, fields: []string{"allowed_cors_origins"}},
			{name: "post_logout_redirect_uris on an API client", method: "PATCH", path: apiPath, body: map[string]any{"post_logout_redirect_uris": []string{"https://a.example.com/"}}, fields: []string{"post_logout_redirect_uris"}},
			{name: "public on an API client", method: "POST", path: apiClients, body: with(apiOK, "public", false), fields: []string{"public"}},
			// redirect_uris
			{name: "redirect_uris empty", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{}), fields: []string{"redirect_uris"}},
			{name: "redirect_uris missing", method: "POST", path: webClients, body: map[string]any{"name": "w"}, fields: []string{"redirect_uris"}},
			{name: "redirect_uris emptied in PATCH", method: "PATCH", path: webPath, body: map[string]any{"redirect_uris": []string{}}, fields: []string{"redirect_uris"}},
			{name: "redirect_uri http not loopback", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{"http://app.example.com/cb"}), fields: []string{"redirect_uris"}},
			{name: "redirect_uri http lookalike", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{"http://localhost.example.com/cb"}), fields: []string{"redirect_uris"}},
			{name: "redirect_uri with fragment", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{"https://w.example.com/cb#top"}), fields: []string{"redirect_uris"}},
			{name: "redirect_uri with empty fragment", method: "PATCH", path: webPath, body: map[string]any{"redirect_uris": []string{"https://w.example.com/cb#"}}, fields: []string{"redirect_uris"}},
			{name: "redirect_uri relative", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{"/cb"}), fields: []string{"redirect_uris"}},
			{name: "redirect_uri one bad among good", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{"https://w.example.com/cb", "http://w.example.com/cb"}), fields: []string{"redirect_uris"}},
			{name: "redirect_uris loopback and native", method: "POST", path: webClients, body: with(webOK, "redirect_uris", []string{"http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:9000/cb", "com.example.app:/oauth", "https://w.example.com/cb?x=1"}), ok: 201},
			{name: "post_logout_redirect_uri http", method: "POST", path: webClients, body: with(webOK, "post_logout_redirect_uris", []string{"http://w.example.com/"}), fields: []string{"post_logout_redirect_uris"}},
			{name: "post_logout_redirect_uri fragment", method: "PATCH", path: webPath, body: map[string]any{"post_logout_redirect_uris": []string{"https://w.example.com/#bye"}}, fields: []string{"post_logout_redirect_uris"}},
			// allowed_cors_origins
			{name: "origin with a path", method: "POST", path: webClients, body: with(webOK, "allowed_cors_origins", []string{"https://w.example.com/app"}), fields: []string{"allowed_cors_origins"}},
			{name: "origin with a slash", method: "PATCH", path: webPath, body: map[string]any{"allowed_cors_origins": []string{"https://w.example.com/"}}, fields: []string{"allowed_cors_origins"}},
			{name: "origin without scheme", method: "POST", path: webClients, body: with(webOK, "allowed_cors_origins", []string{"w.example.com"}), fields: []string{"allowed_cors_origins"}},
			{name: "origin with a query", method: "POST", path: webClients, body: with(webOK, "allowed_cors_origins", []string{"https://w.example.com?x"}), fields: []string{"allowed_cors_origins"}},
			{name: "origins with ports", method: "POST", path: webClients, body: with(webOK, "allowed_cors_origins", []string{"https://w.example.com:8443", "http://localhost:3000"}), ok: 201},
			// Secrets of public clients.
			{name: "client_secret on a public client", method: "POST", path: webClients, body: with(webOK, "client_secret", distinct(40)), fields: []string{"client_secret"}},
			{name: "secret_expires_on on a public client", method: "POST", path: webClients, body: with(webOK, "secret_expires_on", date(td.AddDate(0, 1, 0))), fields: []string{"secret_expires_on"}},
			{name: "client_secret on a public client in PATCH", method: "PATCH", path: webPath, body: map[string]any{"client_secret": distinct(40)}, fields: []string{"client_secret"}},
			// Several bad at once: every one named.
			{name: "every API rule at once", method: "POST", path: apiClients, body: map[string]any{
				"name": long(201), "description": long(1001), "scopes": []string{"a b"}, "client_secret": "short",
				"secret_expires_on": "2001-01-01", "access_token_lifetime": 59, "public_base_uri": "relative", "client_id": "no spaces",
			}, fields: []string{"access_token_lifetime", "client_id", "client_secret", "description", "name", "public_base_uri", "scopes", "secret_expires_on"}},
			{name: "every API rule at once in PATCH", method: "PATCH", path: apiPath, body: map[string]any{
				"name": "", "description": long(1001), "scopes": []string{""}, "client_secret": "short",
				"secret_expires_on": date(td.AddDate(0, 25, 0)), "access_token_lifetime": 259201, "public_base_uri": "/x",
			}, fields: []string{"access_token_lifetime", "client_secret", "description", "name", "public_base_uri", "scopes", "secret_expires_on"}},
			{name: "every web rule at once", method: "POST", path: webClients, body: map[string]any{
				"name": "", "redirect_uris": []string{"http://w.example.com/cb"}, "allowed_cors_origins": []string{"https://w.example.com/p"},
				"post_logout_redirect_uris": []string{"https://w.example.com/#x"}, "scopes": []string{"a b"}, "access_token_lifetime": 1,
			}, fields: []string{"access_token_lifetime", "allowed_cors_origins", "name", "post_logout_redirect_uris", "redirect_uris", "scopes"}},
			{name: "several unknown and read-only at once", method: "PATCH", path: apiPath, body: map[string]any{
				"colour": "red", "status": "active", "username": "u", "redirect_uris": []string{"https://a.example.com/cb"}, "client_id": "x",
			}, fields: []string{"client_id", "colour", "redirect_uris", "status", "username"}},
			{name: "several wrong types at once", method: "POST", path: apiClients, body: map[string]any{
				"name": 1, "scopes": "a", "enabled": "yes", "access_token_lifetime": "1h",
			}, fields: []string{"access_token_lifetime", "enabled", "name", "scopes"}},
			{name: "unknown, read-only, null and wrong type at once", method: "POST", path: apiClients, body: map[string]any{
				"name": "fine", "colour": "red", "status": "active", "description": nil, "enabled": "yes",
			}, fields: []string{"colour", "description", "enabled", "status"}},
			{name: "wrong type and broken rule at once", method: "POST", path: apiClients, body: map[string]any{
				"name": long(201), "enabled": "yes",
			}, fields: []string{"enabled", "name"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var opts []reqOpt
				if s, ok := tc.body.(string); ok {
					opts = append(opts, rawBody())
					tc.body = s
				}
				r := e.do(t, tc.method, tc.path, tc.body, opts...)
				if tc.ok != 0 {
					if r.status != tc.ok {
						t.Errorf("status %d, want %d: %s", r.status, tc.ok, r.body)
					}
					return
				}
				ae := wantError(t, r, 400, "invalid_request")
				if len(ae.Details) == 0 {
					t.Errorf("details name no field: %s", r.body)
				}
				if tc.fields != nil {
					if got := detailKeys(ae); !slices.Equal(got, tc.fields) {
						t.Errorf("details name %v, want exactly %v (SPEC §5: details names each bad field): %s", got, tc.fields, r.body)
					}
				}
				for k, v := range ae.Details {
					if v == "" {
						t.Errorf("details[%s] says nothing", k)
					}
				}
			})
		}

		t.Run("refused changes change nothing", func(t *testing.T) {
			for path, before := range map[string]map[string]any{apiPath: api, webPath: web} {
				after := e.do(t, "GET", path, nil).obj(t)
				for f, v := range before {
					if f != "client_secret" && !reflect.DeepEqual(after[f], v) {
						t.Errorf("%s: %s changed from %v to %v by refused requests", path, f, v, after[f])
					}
				}
			}
		})
	})
}

// TestWebAppClients: public by default, confidential on request; the
// defaults of SPEC §4.
func TestWebAppClients(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		spa, secret := e.createClient(t, webClients, map[string]any{
			"name": "Single page", "redirect_uris": []string{"https://spa.example.com/cb"},
		})
		id := spa["client_id"].(string)
		t.Run("public by default", func(t *testing.T) {
			if secret != "" || strings.Contains(fmt.Sprint(spa), "client_secret") {
				t.Errorf("a public client got a secret: %v", spa)
			}
			if spa["public"] != true || spa["require_consent"] != true || spa["status"] != "active" || spa["type"] != "web" {
				t.Errorf("public %v require_consent %v status %v type %v", spa["public"], spa["require_consent"], spa["status"], spa["type"])
			}
			if got := strs(spa["scopes"]); !slices.Equal(got, []string{"openid", "profile", "email", "offline_access"}) {
				t.Errorf("default scopes %v, want openid profile email offline_access", got)
			}
			if s, _ := spa["secret_expires_on"].(string); s != "" {
				t.Errorf("a public client has secret_expires_on %q", s)
			}
			if got := strs(spa["allowed_cors_origins"]); len(got) != 0 {
				t.Errorf("allowed_cors_origins %v", got)
			}
			if _, ok := spa["username"]; ok {
				t.Errorf("a Web App client has a username: %v", spa["username"])
			}
		})
		t.Run("public client cannot use the token endpoint with a secret", func(t *testing.T) {
			for _, s := range []string{"made-up-secret-made-up-secret-made-up", ""} {
				cfg := e.ccConfig(id, s)
				if s == "" {
					cfg.AuthStyle = oauth2.AuthStyleInParams
				}
				tok, err := cfg.Token(context.Background())
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) || re.Response.StatusCode < 400 || re.Response.StatusCode >= 500 {
					t.Errorf("secret %q: got token %v, error %v; want a 4xx refusal", s, tok, err)
				}
			}
		})
		t.Run("public client has no secret to regenerate or set", func(t *testing.T) {
			wantError(t, e.do(t, "POST", webClients+"/"+id+"/secret", nil), 400, "invalid_request")
			ae := wantError(t, e.do(t, "PATCH", webClients+"/"+id, map[string]any{"public": false}), 400, "invalid_request")
			if _, ok := ae.Details["public"]; !ok {
				t.Errorf("details %v do not name public", ae.Details)
			}
			if got := e.getClient(t, webClients, id); got["public"] != true {
				t.Error("refused PATCH changed public")
			}
		})
		t.Run("require_consent false", func(t *testing.T) {
			wantStatus(t, e.do(t, "PATCH", webClients+"/"+id, map[string]any{"require_consent": false}), 204)
			if got := e.getClient(t, webClients, id)["require_consent"]; got != false {
				t.Errorf("require_consent %v", got)
			}
		})
		t.Run("duplicate of a public client has no secret", func(t *testing.T) {
			r := e.do(t, "POST", webClients+"/"+id+"/duplicate", nil)
			wantStatus(t, r, 201)
			d := r.obj(t)
			if _, ok := d["client_secret"]; ok || d["public"] != true || d["require_consent"] != false {
				t.Errorf("duplicate: %s", r.body)
			}
		})

		conf, csecret := e.createClient(t, webClients, map[string]any{
			"name": "Server side", "public": false, "scopes": []string{"openid"},
			"redirect_uris": []string{"https://server.example.com/cb"},
		})
		cid := conf["client_id"].(string)
		t.Run("confidential gets a secret once", func(t *testing.T) {
			if csecret == "" || conf["public"] != false {
				t.Fatalf("confidential client: %v", conf)
			}
			if got := strs(conf["scopes"]); !slices.Equal(got, []string{"openid"}) {
				t.Errorf("scopes %v, want the given ones", got)
			}
			if conf["secret_expires_on"] != date(today().AddDate(0, 0, 90)) {
				t.Errorf("secret_expires_on %v", conf["secret_expires_on"])
			}
			e.getClient(t, webClients, cid, csecret)
			if !e.secretWorks(t, webClients, cid, csecret) {
				t.Error("the secret does not authenticate the client")
			}
			if e.secretWorks(t, webClients, cid, csecret+"x") {
				t.Error("a wrong secret authenticates")
			}
		})
		t.Run("confidential client cannot use client credentials", func(t *testing.T) {
			tok, err := e.ccConfig(cid, csecret).Token(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.Response.StatusCode != 400 {
				t.Errorf("got token %v, error %v; want 400", tok, err)
			}
		})
		t.Run("Web App credentials do not open the management API", func(t *testing.T) {
			wantError(t, e.do(t, "GET", webClients, nil, as(basic(cid, csecret))), 401, "unauthorized")
		})
	})
}

// TestAuthentication: 401 with WWW-Authenticate for missing or wrong
// credentials; 403 without the needed scope.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		goodTok := e.token(t, e.admin.id, e.admin.secret).AccessToken
		goneID, goneSecret := e.serviceClient(t, "soon deleted", "gatehouse:admin")
		goneTok := e.token(t, goneID, goneSecret).AccessToken
		wantStatus(t, e.do(t, "DELETE", apiClients+"/"+goneID, nil), 204)
		offID, offSecret := e.serviceClient(t, "disabled admin", "gatehouse:admin")
		wantStatus(t, e.do(t, "PATCH", apiClients+"/"+offID, map[string]any{"enabled": false}), 204)
		web, webSecret := e.createClient(t, webClients, map[string]any{"name": "w", "public": false, "redirect_uris": []string{"https://w.example.com/cb"}})

		tampered := []byte(goodTok)
		tampered[len(tampered)-3] ^= 1
		b64 := func(s string) string { return "Basic " + base64std(s) }
		cases := []struct {
			name string
			c    creds
		}{
			{"no credentials", creds{none: true}},
			{"Basic wrong secret", basic(e.admin.id, e.admin.secret+"x")},
			{"Basic empty secret", basic(e.admin.id, "")},
			{"Basic unknown client", basic("no-such-client", e.admin.secret)},
			{"Basic deleted client", basic(goneID, goneSecret)},
			{"Basic disabled client", basic(offID, offSecret)},
			{"Basic Web App client", basic(web["client_id"].(string), webSecret)},
			{"Basic not base64", creds{raw: "Basic !!!"}},
			{"Basic without colon", creds{raw: b64(e.admin.id + e.admin.secret)}},
			{"Basic without credentials", creds{raw: "Basic"}},
			{"Bearer garbage", creds{raw: "Bearer not-a-token"}},
			{"Bearer empty", creds{raw: "Bearer "}},
			{"Bearer tampered", creds{raw: "Bearer " + string(tampered)}},
			{"Bearer of a deleted client", creds{raw: "Bearer " + goneTok}},
			{"Bearer with the client secret", creds{raw: "Bearer " + e.admin.secret}},
			{"unknown scheme", creds{raw: "Digest username=x"}},
		}
		paths := []string{apiClients, webClients + "/x", "/api/v1/users", "/api/v1/roles/Administration", "/api/v1/audit-events"}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, p := range paths {
					r := e.do(t, "GET", p, nil, as(tc.c))
					wantError(t, r, 401, "unauthorized")
					if r.header.Get("WWW-Authenticate") == "" {
						t.Errorf("GET %s: 401 without WWW-Authenticate", p)
					}
				}
				r := e.do(t, "POST", apiClients, map[string]any{"name": "intruder", "scopes": []string{"gatehouse:admin"}}, as(tc.c))
				wantError(t, r, 401, "unauthorized")
			})
		}
		t.Run("valid Bearer token", func(t *testing.T) {
			wantStatus(t, e.do(t, "GET", apiClients, nil, as(bearer(goodTok, e.admin.username))), 200)
		})

		// Scope matrix.
		clientsID, clientsSecret := e.serviceClient(t, "client manager", "gatehouse:clients")
		viaRoleID, viaRoleSecret := e.serviceClient(t, "client manager by role")
		r := e.do(t, "POST", "/api/v1/roles", map[string]any{"name": "Client managers", "scopes": []string{"gatehouse:clients"}})
		wantStatus(t, r, 201)
		wantStatus(t, e.do(t, "POST", "/api/v1/roles/Client%20managers/members", map[string]any{"username": store.ClientUsername(viaRoleID, clientDomain)}), 204)
		otherID, otherSecret := e.serviceClient(t, "orders service", "orders.read", "gatehouse:clientsx", "admin")
		noneID, noneSecret := e.serviceClient(t, "no scopes")
		clientsTok := e.token(t, clientsID, clientsSecret).AccessToken
		viaRoleTok := e.token(t, viaRoleID, viaRoleSecret).AccessToken
		otherTok := e.token(t, otherID, otherSecret).AccessToken
		adminScopedTok := e.token(t, e.admin.id, e.admin.secret, "gatehouse:admin").AccessToken

		callers := []struct {
			name    string
			c       creds
			clients bool // may manage clients
			admin   bool // may do everything
		}{
			{"gatehouse:clients by Basic", basic(clientsID, clientsSecret), true, false},
			{"gatehouse:clients by Bearer", bearer(clientsTok, store.ClientUsername(clientsID, clientDomain)), true, false},
			{"gatehouse:clients through a role by Basic", basic(viaRoleID, viaRoleSecret), true, false},
			{"gatehouse:clients through a role by Bearer", bearer(viaRoleTok, store.ClientUsername(viaRoleID, clientDomain)), true, false},
			{"unrelated scopes by Basic", basic(otherID, otherSecret), false, false},
			{"unrelated scopes by Bearer", bearer(otherTok, store.ClientUsername(otherID, clientDomain)), false, false},
			{"no scopes by Basic", basic(noneID, noneSecret), false, false},
			{"gatehouse:admin by Bearer", bearer(adminScopedTok, e.admin.username), true, true},
		}
		routes := []struct {
			method, path string
			body         map[string]any
			clientRoute  bool
			ok           int
		}{
			{"GET", apiClients, nil, true, 200},
			{"GET", webClients, nil, true, 200},
			{"GET", apiClients + "/" + e.admin.id, nil, true, 200},
			{"POST", apiClients, map[string]any{"name": "made by a caller", "scopes": []string{"x"}}, true, 201},
			{"POST", webClients, map[string]any{"name": "web by a caller", "redirect_uris": []string{"https://c.example.com/cb"}}, true, 201},
			{"GET", "/api/v1/users", nil, false, 200},
			{"POST", "/api/v1/users", map[string]any{"username": "REPLACED", "password": "correct horse battery"}, false, 201},
			{"GET", "/api/v1/roles", nil, false, 200},
			{"GET", "/api/v1/roles/Administration", nil, false, 200},
			{"POST", "/api/v1/roles", map[string]any{"name": "REPLACED"}, false, 201},
			{"POST", "/api/v1/roles/Administration/members", map[string]any{"username": "REPLACED"}, false, 204},
			{"PATCH", "/api/v1/roles/Administration", map[string]any{"description": "Administers everything"}, false, 204},
			{"GET", "/api/v1/audit-events", nil, false, 200},
			{"GET", "/api/v1/notifications", nil, false, 200},
		}
		for i, cl := range callers {
			t.Run(cl.name, func(t *testing.T) {
				for j, rt := range routes {
					body := rt.body
					if body != nil && (body["username"] == "REPLACED" || body["name"] == "REPLACED") {
						body = map[string]any{}
						for k, v := range rt.body {
							body[k] = v
						}
						if rt.path == "/api/v1/users" {
							body["username"] = fmt.Sprintf("user-%d-%d", i, j)
						} else if rt.path == "/api/v1/roles" {
							body["name"] = fmt.Sprintf("role-%d-%d", i, j)
						} else {
							u := fmt.Sprintf("member-%d-%d", i, j)
							wantStatus(t, e.do(t, "POST", "/api/v1/users", map[string]any{"username": u}), 201)
							body["username"] = u
						}
					}
					r := e.do(t, rt.method, rt.path, body, as(cl.c))
					allowed := cl.admin || (cl.clients && rt.clientRoute)
					if allowed {
						if r.status != rt.ok {
							t.Errorf("%s %s: status %d, want %d: %s", rt.method, rt.path, r.status, rt.ok, r.body)
						}
					} else if r.status != 403 || r.obj(t)["error"] != "forbidden" {
						t.Errorf("%s %s: got %d, want 403 forbidden: %s", rt.method, rt.path, r.status, r.body)
					}
				}
			})
		}
		t.Run("needs_attention client cannot get a token", func(t *testing.T) {
			e.tokenRefused(t, noneID, noneSecret, 400, "unauthorized_client")
		})
	})
}

func base64std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestNotFound: unknown clients, users, roles and routes; a client asked
// for under the other kind's collection.
func TestNotFound(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		api, apiSecret := e.createClient(t, apiClients, map[string]any{"name": "an API client", "scopes": []string{"s"}})
		web, _ := e.createClient(t, webClients, map[string]any{"name": "a web client", "redirect_uris": []string{"https://w.example.com/cb"}})
		apiID, webID := api["client_id"].(string), web["client_id"].(string)
		user := e.do(t, "POST", "/api/v1/users", map[string]any{"username": "present"})
		wantStatus(t, user, 201)

		type rt struct{ method, path string }
		var cases []rt
		for _, p := range []struct{ base, id string }{
			{apiClients, "no-such-client"}, {webClients, "no-such-client"},
			{webClients, apiID}, {apiClients, webID},
		} {
			cases = append(cases,
				rt{"GET", p.base + "/" + p.id}, rt{"PATCH", p.base + "/" + p.id}, rt{"DELETE", p.base + "/" + p.id},
				rt{"POST", p.base + "/" + p.id + "/secret"}, rt{"POST", p.base + "/" + p.id + "/duplicate"})
		}
		cases = append(cases,
			rt{"GET", "/api/v1/users/no-such-user"}, rt{"PATCH", "/api/v1/users/no-such-user"}, rt{"DELETE", "/api/v1/users/no-such-user"},
			rt{"GET", "/api/v1/users/present"}, // by id, not by username
			rt{"GET", "/api/v1/roles/no-such-role"}, rt{"PATCH", "/api/v1/roles/no-such-role"}, rt{"DELETE", "/api/v1/roles/no-such-role"},
			rt{"POST", "/api/v1/roles/no-such-role/members"}, rt{"DELETE", "/api/v1/roles/no-such-role/members/present"},
			rt{"DELETE", "/api/v1/roles/Administration/members/present"},
			rt{"GET", "/api/v1/nope"}, rt{"POST", "/api/v1/nope"}, rt{"GET", "/api/v1"}, rt{"GET", "/api/v1/configuration"},
			rt{"GET", "/api/v1/configuration/nope"}, rt{"GET", "/api/v1/configuration/api-clients/" + apiID + "/extra/segments"},
			rt{"GET", "/api/v2/configuration/api-clients"}, rt{"GET", "/api/"},
		)
		for _, tc := range cases {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				var body any
				if tc.method == "PATCH" {
					body = map[string]any{"description": "x"}
					if strings.HasPrefix(tc.path, "/api/v1/users/") {
						body = map[string]any{"name": "x"}
					}
				}
				if strings.HasSuffix(tc.path, "/members") {
					body = map[string]any{"username": "present"}
				}
				wantError(t, e.do(t, tc.method, tc.path, body), 404, "not_found")
			})
		}
		t.Run("unknown member username", func(t *testing.T) {
			for _, u := range []string{"nobody", "no-such-client@" + clientDomain, webID + "@" + clientDomain, apiID + "@clients.elsewhere.test", apiID} {
				wantError(t, e.do(t, "POST", "/api/v1/roles/Administration/members", map[string]any{"username": u}), 404, "not_found")
			}
		})
		t.Run("clients asked for under the other kind are untouched", func(t *testing.T) {
			got := e.getClient(t, apiClients, apiID)
			if got["description"] != "" || got["name"] != "an API client" {
				t.Errorf("changed through /web-clients: %v", got)
			}
			if !e.secretWorks(t, apiClients, apiID, apiSecret) {
				t.Error("the API client's secret changed through /web-clients")
			}
			if e.getClient(t, webClients, webID)["name"] != "a web client" {
				t.Error("changed through /api-clients")
			}
		})
	})
}

// TestConflicts: client_id, username, role name, role member taken.
func TestConflicts(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		e.createClient(t, apiClients, map[string]any{"name": "first", "client_id": "taken-id"})
		wantStatus(t, e.do(t, "POST", "/api/v1/users", map[string]any{"username": "alice", "password": "alice-password-1"}), 201)
		bob := e.do(t, "POST", "/api/v1/users", map[string]any{"username": "bob"})
		wantStatus(t, bob, 201)
		bobID := bob.obj(t)["id"].(string)
		wantStatus(t, e.do(t, "POST", "/api/v1/roles", map[string]any{"name": "Auditors"}), 201)
		wantStatus(t, e.do(t, "POST", "/api/v1/roles/Auditors/members", map[string]any{"username": "alice"}), 204)
		wantStatus(t, e.do(t, "POST", "/api/v1/roles/Auditors/members", map[string]any{"username": store.ClientUsername("taken-id", clientDomain)}), 204)

		cases := []struct {
			name, method, path string
			body               map[string]any
		}{
			{"client_id twice", "POST", apiClients, map[string]any{"name": "second", "client_id": "taken-id"}},
			{"client_id of an API client for a Web App client", "POST", webClients, map[string]any{"name": "w", "client_id": "taken-id", "redirect_uris": []string{"https://w.example.com/cb"}}},
			{"client_id of the admin client", "POST", apiClients, map[string]any{"name": "x", "client_id": e.admin.id}},
			{"username twice", "POST", "/api/v1/users", map[string]any{"username": "alice"}},
			{"username taken by rename", "PATCH", "/api/v1/users/" + bobID, map[string]any{"username": "alice"}},
			{"role name twice", "POST", "/api/v1/roles", map[string]any{"name": "Auditors"}},
			{"built-in role name", "POST", "/api/v1/roles", map[string]any{"name": "Administration"}},
			{"user member twice", "POST", "/api/v1/roles/Auditors/members", map[string]any{"username": "alice"}},
			{"client member twice", "POST", "/api/v1/roles/Auditors/members", map[string]any{"username": store.ClientUsername("taken-id", clientDomain)}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, e.do(t, tc.method, tc.path, tc.body), 409, "conflict")
			})
		}
		t.Run("the first ones are intact", func(t *testing.T) {
			if got := e.getClient(t, apiClients, "taken-id"); got["name"] != "first" {
				t.Errorf("name %v", got["name"])
			}
			if got := e.do(t, "GET", "/api/v1/users/"+bobID, nil).obj(t); got["username"] != "bob" {
				t.Errorf("bob renamed to %v", got["username"])
			}
			if got := strs(e.do(t, "GET", "/api/v1/roles/Auditors", nil).obj(t)["members"]); len(got) != 2 {
				t.Errorf("members %v", got)
			}
		})
	})
}

// TestBodyLimit: 413 request_too_large over 1 MiB, whether the length is
// announced or the body is streamed, in the API's shape.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		big := `{"name": "big", "description": "` + strings.Repeat("d", 1<<20) + `"}`
		cases := []struct {
			name   string
			method string
			path   string
			opts   []reqOpt
		}{
			{"announced length", "POST", apiClients, nil},
			{"chunked", "POST", apiClients, []reqOpt{chunked()}},
			{"announced length on PATCH", "PATCH", apiClients + "/" + e.admin.id, nil},
			{"chunked on users", "POST", "/api/v1/users", []reqOpt{chunked()}},
			{"announced length on roles", "POST", "/api/v1/roles", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(t, tc.method, tc.path, big, append([]reqOpt{rawBody()}, tc.opts...)...)
				wantError(t, r, http.StatusRequestEntityTooLarge, "request_too_large")
			})
		}
		t.Run("just under 1 MiB is read", func(t *testing.T) {
			pad := (1 << 20) - len(`{"name": "ok", "colour": ""}`)
			r := e.do(t, "POST", apiClients, `{"name": "ok", "colour": "`+strings.Repeat("c", pad)+`"}`, rawBody())
			if ae := wantError(t, r, 400, "invalid_request"); ae.Details["colour"] == "" {
				t.Errorf("details %v", ae.Details)
			}
		})
		if n := len(all[map[string]any](t, e, apiClients)); n != 1 {
			t.Errorf("%d API clients after refused requests, want only the admin", n)
		}
	})
}

// TestHeadersOnEveryAnswer: no-store and no-cache also on answers that do
// not reach a handler.
func TestHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		cases := []struct {
			name, method, path string
			c                  creds
			status             int
		}{
			{"list", "GET", apiClients, e.admin, 200},
			{"unauthenticated", "GET", apiClients, creds{none: true}, 401},
			{"unknown route", "GET", "/api/v1/nothing", e.admin, 404},
			{"unknown route unauthenticated", "GET", "/api/v1/nothing", creds{none: true}, 404},
			{"wrong method on a client collection", "PUT", apiClients, e.admin, 405},
			{"wrong method on a client", "GET", apiClients + "/" + e.admin.id + "/secret", e.admin, 405},
			{"wrong method on users", "DELETE", "/api/v1/users", e.admin, 405},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(t, tc.method, tc.path, nil, as(tc.c)) // do checks the headers and error shape
				if r.status != tc.status {
					t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
			})
		}
	})
}

// TestUsersAndRoles: CRUD, write-only passwords, the built-in role, and
// members by username (users and API clients).
func TestUsersAndRoles(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		const password = "correct horse battery staple"
		var userID string
		t.Run("users", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/users", map[string]any{
				"username": "carol", "email": "carol@example.com", "name": "Carol Example", "password": password,
			})
			wantStatus(t, r, 201)
			u := r.obj(t)
			userID, _ = u["id"].(string)
			if userID == "" || r.header.Get("Location") != "/api/v1/users/"+userID {
				t.Fatalf("id %q, Location %q", userID, r.header.Get("Location"))
			}
			if u["username"] != "carol" || u["email"] != "carol@example.com" || u["name"] != "Carol Example" || u["enabled"] != true {
				t.Errorf("created %v", u)
			}
			if !reflect.DeepEqual(u["roles"], []any{}) {
				t.Errorf("roles %v", u["roles"])
			}
			got := e.do(t, "GET", "/api/v1/users/"+userID, nil)
			wantStatus(t, got, 200)
			before := got.obj(t)
			for f, v := range u {
				if !reflect.DeepEqual(before[f], v) {
					t.Errorf("GET %s = %v, creation said %v", f, before[f], v)
				}
			}
			list := all[map[string]any](t, e, "/api/v1/users")
			if !slices.ContainsFunc(list, func(m map[string]any) bool { return m["id"] == userID }) {
				t.Error("user not listed")
			}

			for _, p := range []map[string]any{
				{"name": "Carol C. Example"}, {"email": "c@example.org"}, {"enabled": false}, {"enabled": true},
				{"password": "another long password"}, {"username": "carol2"}, {},
			} {
				wantStatus(t, e.do(t, "PATCH", "/api/v1/users/"+userID, p), 204)
				after := e.do(t, "GET", "/api/v1/users/"+userID, nil).obj(t)
				for f, v := range before {
					if _, sent := p[f]; !sent && f != "updated_at" && !reflect.DeepEqual(after[f], v) {
						t.Errorf("PATCH %v changed %s from %v to %v", p, f, v, after[f])
					}
				}
				for f, v := range p {
					if f != "password" && !reflect.DeepEqual(after[f], v) {
						t.Errorf("PATCH %v: %s is %v", p, f, after[f])
					}
				}
				before = after
			}

			for _, tc := range []struct {
				name   string
				body   map[string]any
				fields []string
			}{
				{"username missing", map[string]any{"email": "x@example.com"}, []string{"username"}},
				{"username with a space", map[string]any{"username": "a b"}, []string{"username"}},
				{"username of an API client", map[string]any{"username": "x@" + clientDomain}, []string{"username"}},
				{"bad email", map[string]any{"username": "dave", "email": "not an address"}, []string{"email"}},
				{"short password", map[string]any{"username": "dave", "password": "short"}, []string{"password"}},
				{"read-only id", map[string]any{"username": "dave", "id": "chosen"}, []string{"id"}},
				{"read-only roles", map[string]any{"username": "dave", "roles": []string{"Administration"}}, []string{"roles"}},
				{"unknown field", map[string]any{"username": "dave", "admin": true}, []string{"admin"}},
				{"password wrong type", map[string]any{"username": "dave", "password": 12345678}, []string{"password"}},
				{"several", map[string]any{"username": "", "email": "nope", "password": "x"}, []string{"email", "password", "username"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ae := wantError(t, e.do(t, "POST", "/api/v1/users", tc.body), 400, "invalid_request")
					if got := detailKeys(ae); !slices.Equal(got, tc.fields) {
						t.Errorf("details %v, want %v", got, tc.fields)
					}
				})
			}
			ae := wantError(t, e.do(t, "PATCH", "/api/v1/users/"+userID, map[string]any{"password": "short", "name": strings.Repeat("n", 201)}), 400, "invalid_request")
			if got := detailKeys(ae); !slices.Equal(got, []string{"name", "password"}) {
				t.Errorf("details %v", got)
			}
		})

		t.Run("built-in role Administration", func(t *testing.T) {
			r := e.do(t, "GET", "/api/v1/roles/Administration", nil)
			wantStatus(t, r, 200)
			role := r.obj(t)
			if role["builtin"] != true || !slices.Contains(strs(role["scopes"]), "gatehouse:admin") {
				t.Errorf("Administration: %v", role)
			}
			list := all[map[string]any](t, e, "/api/v1/roles")
			if !slices.ContainsFunc(list, func(m map[string]any) bool { return m["name"] == "Administration" }) {
				t.Error("Administration not listed")
			}
			ae := wantError(t, e.do(t, "DELETE", "/api/v1/roles/Administration", nil), 400, "invalid_request")
			if len(ae.Details) == 0 {
				t.Error("no details")
			}
			for _, scopes := range [][]string{{}, {"gatehouse:clients"}, {"gatehouse:admin2"}} {
				wantError(t, e.do(t, "PATCH", "/api/v1/roles/Administration", map[string]any{"scopes": scopes}), 400, "invalid_request")
			}
			wantError(t, e.do(t, "PATCH", "/api/v1/roles/Administration", map[string]any{"name": "Admins"}), 400, "invalid_request")
			wantStatus(t, e.do(t, "PATCH", "/api/v1/roles/Administration", map[string]any{"scopes": []string{"gatehouse:admin", "reports.read"}}), 204)
			wantStatus(t, e.do(t, "PATCH", "/api/v1/roles/Administration", map[string]any{"description": "Runs Gatehouse"}), 204)
			after := e.do(t, "GET", "/api/v1/roles/Administration", nil).obj(t)
			if !slices.Equal(strs(after["scopes"]), []string{"gatehouse:admin", "reports.read"}) || after["description"] != "Runs Gatehouse" || after["builtin"] != true {
				t.Errorf("after PATCH: %v", after)
			}
		})

		t.Run("roles", func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/roles", map[string]any{"name": "Reporting", "description": "reads reports", "scopes": []string{"reports.read"}})
			wantStatus(t, r, 201)
			if r.header.Get("Location") != "/api/v1/roles/Reporting" {
				t.Errorf("Location %q", r.header.Get("Location"))
			}
			role := r.obj(t)
			if role["builtin"] != false || !slices.Equal(strs(role["scopes"]), []string{"reports.read"}) || !reflect.DeepEqual(role["members"], []any{}) {
				t.Errorf("created %v", role)
			}
			wantStatus(t, e.do(t, "PATCH", "/api/v1/roles/Reporting", map[string]any{"scopes": []string{"reports.read", "reports.write"}}), 204)
			got := e.do(t, "GET", "/api/v1/roles/Reporting", nil).obj(t)
			if got["description"] != "reads reports" || !slices.Equal(strs(got["scopes"]), []string{"reports.read", "reports.write"}) {
				t.Errorf("after PATCH %v", got)
			}
			for _, tc := range []struct {
				name, method, path string
				body               map[string]any
				fields             []string
			}{
				{"name missing", "POST", "/api/v1/roles", map[string]any{"scopes": []string{"a"}}, []string{"name"}},
				{"bad name", "POST", "/api/v1/roles", map[string]any{"name": "/slash"}, []string{"name"}},
				{"bad scope", "POST", "/api/v1/roles", map[string]any{"name": "X", "scopes": []string{"a b"}}, []string{"scopes"}},
				{"read-only members", "POST", "/api/v1/roles", map[string]any{"name": "X", "members": []string{"carol2"}}, []string{"members"}},
				{"read-only builtin", "POST", "/api/v1/roles", map[string]any{"name": "X", "builtin": true}, []string{"builtin"}},
				{"rename", "PATCH", "/api/v1/roles/Reporting", map[string]any{"name": "Other"}, []string{"name"}},
				{"description too long", "PATCH", "/api/v1/roles/Reporting", map[string]any{"description": strings.Repeat("d", 1001)}, []string{"description"}},
				{"member without username", "POST", "/api/v1/roles/Reporting/members", map[string]any{}, []string{"username"}},
				{"member unknown field", "POST", "/api/v1/roles/Reporting/members", map[string]any{"user": "carol2"}, []string{"user"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ae := wantError(t, e.do(t, tc.method, tc.path, tc.body), 400, "invalid_request")
					if got := detailKeys(ae); !slices.Equal(got, tc.fields) {
						t.Errorf("details %v, want %v", got, tc.fields)
					}
				})
			}
		})

		t.Run("members", func(t *testing.T) {
			api, _ := e.createClient(t, apiClients, map[string]any{"name": "member client"})
			apiID := api["client_id"].(string)
			apiUser := api["username"].(string)
			if apiUser != apiID+"@"+clientDomain {
				t.Fatalf("username %q", apiUser)
			}
			for _, u := range []string{"carol2", apiUser} {
				wantStatus(t, e.do(t, "POST", "/api/v1/roles/Reporting/members", map[string]any{"username": u}), 204)
			}
			role := e.do(t, "GET", "/api/v1/roles/Reporting", nil).obj(t)
			if got := strs(role["members"]); !slices.Contains(got, "carol2") || !slices.Contains(got, apiUser) || len(got) != 2 {
				t.Errorf("members %v", got)
			}
			if got := strs(e.do(t, "GET", "/api/v1/users/"+userID, nil).obj(t)["roles"]); !slices.Equal(got, []string{"Reporting"}) {
				t.Errorf("user roles %v", got)
			}
			c := e.getClient(t, apiClients, apiID)
			if got := strs(c["roles"]); !slices.Equal(got, []string{"Reporting"}) {
				t.Errorf("client roles %v", got)
			}
			if c["status"] != "active" {
				t.Errorf("a client holding scopes through a role: status %v", c["status"])
			}
			wantError(t, e.do(t, "POST", "/api/v1/roles/Reporting/members", map[string]any{"username": "carol"}), 404, "not_found") // renamed away

			path := "/api/v1/roles/Reporting/members/" + url.PathEscape(apiUser)
			wantStatus(t, e.do(t, "DELETE", path, nil), 204)
			wantError(t, e.do(t, "DELETE", path, nil), 404, "not_found")
			if got := strs(e.getClient(t, apiClients, apiID)["roles"]); len(got) != 0 {
				t.Errorf("client roles after removal %v", got)
			}
			if st := e.getClient(t, apiClients, apiID)["status"]; st != "needs_attention" {
				t.Errorf("status %v after losing its only role, want needs_attention", st)
			}

			// Deleting a member or a role ends the membership.
			wantStatus(t, e.do(t, "DELETE", "/api/v1/users/"+userID, nil), 204)
			wantError(t, e.do(t, "GET", "/api/v1/users/"+userID, nil), 404, "not_found")
			wantError(t, e.do(t, "DELETE", "/api/v1/users/"+userID, nil), 404, "not_found")
			if got := strs(e.do(t, "GET", "/api/v1/roles/Reporting", nil).obj(t)["members"]); len(got) != 0 {
				t.Errorf("members after the user was deleted: %v", got)
			}
			wantStatus(t, e.do(t, "POST", "/api/v1/roles/Reporting/members", map[string]any{"username": apiUser}), 204)
			wantStatus(t, e.do(t, "DELETE", "/api/v1/roles/Reporting", nil), 204)
			wantError(t, e.do(t, "GET", "/api/v1/roles/Reporting", nil), 404, "not_found")
			wantError(t, e.do(t, "DELETE", "/api/v1/roles/Reporting", nil), 404, "not_found")
			if got := strs(e.getClient(t, apiClients, apiID)["roles"]); len(got) != 0 {
				t.Errorf("client roles after the role was deleted: %v", got)
			}
		})

		t.Run("password is write-only", func(t *testing.T) {
			for _, u := range all[map[string]any](t, e, "/api/v1/users") {
				if _, ok := u["password"]; ok {
					t.Errorf("user %v shows a password", u["username"])
				}
				if _, ok := u["password_hash"]; ok {
					t.Errorf("user %v shows a password hash", u["username"])
				}
			}
		})
	})
}

// TestOMNIATutorial walks the README's first steps: an API client without
// scopes needs attention until it joins Administration; then it gets a
// token and manages clients by Bearer and by Basic.
func TestOMNIATutorial(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		c, secret := e.createClient(t, apiClients, map[string]any{"name": "OMNIA"})
		id := c["client_id"].(string)
		username, _ := c["username"].(string)
		if c["status"] != "needs_attention" || !reflect.DeepEqual(c["scopes"], []any{}) {
			t.Fatalf("new client without scopes: status %v scopes %v", c["status"], c["scopes"])
		}
		if username != id+"@clients."+issuerHost {
			t.Fatalf("username %q", username)
		}
		e.tokenRefused(t, id, secret, 400, "unauthorized_client")
		wantError(t, e.do(t, "GET", apiClients, nil, as(basic(id, secret))), 403, "forbidden")

		wantStatus(t, e.do(t, "POST", "/api/v1/roles/Administration/members", map[string]any{"username": username}), 204)
		c = e.getClient(t, apiClients, id, secret)
		if c["status"] != "active" || !slices.Equal(strs(c["roles"]), []string{"Administration"}) {
			t.Fatalf("after joining Administration: status %v roles %v", c["status"], c["roles"])
		}
		if !slices.Contains(strs(e.do(t, "GET", "/api/v1/roles/Administration", nil).obj(t)["members"]), username) {
			t.Error("Administration does not list the client")
		}

		tok := e.token(t, id, secret) // no scope parameter
		if sc, _ := tok.Extra("scope").(string); !strings.Contains(sc, "gatehouse:admin") {
			t.Errorf("token scope %q, want gatehouse:admin through the role", sc)
		}
		for _, cr := range []creds{bearer(tok.AccessToken, username), basic(id, secret)} {
			r := e.do(t, "GET", apiClients, nil, as(cr))
			wantStatus(t, r, 200)
			var p page[map[string]any]
			r.decode(t, &p)
			if p.Total != 2 || !slices.ContainsFunc(p.Result, func(m map[string]any) bool { return m["client_id"] == id }) {
				t.Errorf("list: total %d %v", p.Total, p.Result)
			}
		}
		// Changes made with its token are audited under its username.
		wantStatus(t, e.do(t, "PATCH", apiClients+"/"+id, map[string]any{"description": "OMNIA back end"}, as(bearer(tok.AccessToken, username))), 204)
		wantStatus(t, e.do(t, "POST", apiClients, map[string]any{"name": "made by OMNIA"}, as(basic(id, secret))), 201)
		wantStatus(t, e.do(t, "GET", "/api/v1/users", nil, as(bearer(tok.AccessToken, username))), 200)
	})
}

// TestClientStatus: disabling and deleting a client stop its secret and
// its tokens.
func TestClientStatus(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		c, secret := e.createClient(t, apiClients, map[string]any{"name": "switchable", "scopes": []string{"orders.read"}})
		id := c["client_id"].(string)
		tok := e.token(t, id, secret).AccessToken
		if !e.active(t, tok) {
			t.Fatal("fresh token inactive")
		}
		t.Run("disabled", func(t *testing.T) {
			wantStatus(t, e.do(t, "PATCH", apiClients+"/"+id, map[string]any{"enabled": false}), 204)
			got := e.getClient(t, apiClients, id)
			if got["status"] != "disabled" || got["enabled"] != false {
				t.Errorf("status %v enabled %v", got["status"], got["enabled"])
			}
			e.tokenRefused(t, id, secret, 401, "invalid_client")
			if m := e.introspect(t, tok); m["active"] != false || len(m) != 1 {
				t.Errorf("a disabled client's token introspects %v, want exactly {\"active\": false}", m)
			}
		})
		t.Run("enabled again", func(t *testing.T) {
			wantStatus(t, e.do(t, "PATCH", apiClients+"/"+id, map[string]any{"enabled": true}), 204)
			if got := e.getClient(t, apiClients, id)["status"]; got != "active" {
				t.Errorf("status %v", got)
			}
			e.token(t, id, secret)
		})
		t.Run("deleted", func(t *testing.T) {
			tok2 := e.token(t, id, secret).AccessToken
			if !e.active(t, tok2) {
				t.Fatal("fresh token inactive")
			}
			wantStatus(t, e.do(t, "DELETE", apiClients+"/"+id, nil), 204)
			if m := e.introspect(t, tok2); m["active"] != false || len(m) != 1 {
				t.Errorf("a deleted client's token introspects %v", m)
			}
			e.tokenRefused(t, id, secret, 401, "invalid_client")
			// A new client with the same id does not bring the old tokens back.
			e.createClient(t, apiClients, map[string]any{"name": "reborn", "client_id": id, "scopes": []string{"orders.read"}})
			if e.active(t, tok2) || e.active(t, tok) {
				t.Error("a deleted client's tokens came back with a new client of the same id")
			}
		})
	})
}

// TestSecretExpiryClock moves the store's clock: a secret works through
// 23:59:59 UTC of its last day and not a moment later, while tokens issued
// before stay valid. fosite checks token expiry on the real clock, so the
// last day is today.
func TestSecretExpiryClock(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		d := today()
		c, secret := e.createClient(t, apiClients, map[string]any{
			"name": "expiring", "scopes": []string{"gatehouse:clients"}, "secret_expires_on": date(d),
		})
		id := c["client_id"].(string)
		if c["secret_expires_on"] != date(d) {
			t.Fatalf("secret_expires_on %v", c["secret_expires_on"])
		}
		self := basic(id, secret)

		e.clock.Set(d.Add(24*time.Hour - 2*time.Second)) // D 23:59:58
		tok := e.token(t, id, secret).AccessToken
		wantStatus(t, e.do(t, "GET", apiClients, nil, as(self)), 200)
		if st := e.do(t, "GET", apiClients+"/"+id, nil).obj(t)["status"]; st != "active" {
			t.Errorf("status on its last second: %v, want active", st)
		}

		e.clock.Set(d.Add(24*time.Hour - time.Nanosecond)) // D 23:59:59.999999999
		e.token(t, id, secret)

		e.clock.Set(d.Add(24 * time.Hour)) // D+1 00:00:00
		e.tokenRefused(t, id, secret, 401, "invalid_client")
		if st := e.do(t, "GET", apiClients+"/"+id, nil).obj(t)["status"]; st != "secret_expired" {
			t.Errorf("status after the secret's last day: %v, want secret_expired", st)
		}
		wantError(t, e.do(t, "GET", apiClients, nil, as(self)), 401, "unauthorized")
		if !e.active(t, tok) {
			t.Error("a token issued before the secret expired must stay valid until its own expiry")
		}
		wantStatus(t, e.do(t, "GET", apiClients, nil, as(bearer(tok, self.username))), 200)

		// A new secret brings the client back at once.
		r := e.do(t, "POST", apiClients+"/"+id+"/secret", map[string]any{"secret_expires_on": date(d.AddDate(0, 1, 0))})
		wantStatus(t, r, 200)
		fresh := r.obj(t)["client_secret"].(string)
		e.token(t, id, fresh)

		// The grace period of an old secret ends on the same clock.
		e.clock.Reset()
		r = e.do(t, "POST", apiClients+"/"+id+"/secret", map[string]any{"grace_period_seconds": 60})
		wantStatus(t, r, 200)
		newest := r.obj(t)["client_secret"].(string)
		e.token(t, id, fresh)
		e.clock.Set(time.Now().Add(61 * time.Second))
		e.tokenRefused(t, id, fresh, 401, "invalid_client")
		e.token(t, id, newest)
		e.clock.Reset()
	})
}
