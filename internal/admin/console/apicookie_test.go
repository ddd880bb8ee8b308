package console_test

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/admin/console"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

var csrfMetaRe = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// api calls the management API with the agent's cookies and, when csrf is
// set, the console's CSRF header.
func (a *agent) api(method, path, body, csrf string) (int, map[string]any) {
	a.e.t.Helper()
	req, _ := http.NewRequest(method, a.e.issuer+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf != "" {
		req.Header.Set(console.APICSRFHeader, csrf)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestManagementAPIWithConsoleCookie: the console's session cookie
// authenticates at /api/v1 (SPEC §5) with the signed-in user's scopes;
// writes need the session's CSRF token, published on console pages.
func TestManagementAPIWithConsoleCookie(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.NewDSN(t))
			const clients = "/api/v1/configuration/api-clients"

			if status, m := e.agent().api("GET", clients, "", ""); status != http.StatusUnauthorized || m["error"] != "unauthorized" {
				t.Fatalf("no credentials: %d %v", status, m)
			}

			admin := e.agent()
			first := admin.signIn("admin", adminPassword)
			meta := csrfMetaRe.FindStringSubmatch(first.body)
			if meta == nil {
				t.Fatalf("no csrf-token meta tag on the first console page:\n%s", first.body)
			}
			csrf := html.UnescapeString(meta[1])

			if status, m := admin.api("GET", clients, "", ""); status != http.StatusOK || m["result"] == nil {
				t.Fatalf("list with the console cookie: %d %v", status, m)
			}
			body := `{"name": "made with the cookie", "scopes": ["orders:read"]}`
			for _, bad := range []string{"", "not-the-token", admin.csrf(first)} { // the form token is not the API token
				if status, m := admin.api("POST", clients, body, bad); status != http.StatusForbidden || m["error"] != "forbidden" {
					t.Errorf("write with CSRF header %q: %d %v, want 403 forbidden", bad, status, m)
				}
			}
			if status, m := admin.api("GET", clients, "", ""); status != http.StatusOK || m["total"] != float64(0) {
				t.Fatalf("a refused write created something: %d %v", status, m)
			}
			status, created := admin.api("POST", clients, body, csrf)
			if status != http.StatusCreated || created["client_secret"] == nil {
				t.Fatalf("write with the CSRF token: %d %v", status, created)
			}
			status, events := admin.api("GET", "/api/v1/audit-events", "", "")
			if list, _ := events["result"].([]any); status != http.StatusOK || len(list) == 0 ||
				list[0].(map[string]any)["actor"] != "admin" {
				t.Errorf("audit events after a cookie write: %d %v, want the newest by admin", status, events)
			}

			// Another session's token does not fit this session.
			other := e.agent()
			otherFirst := other.signIn("admin", adminPassword)
			if m := csrfMetaRe.FindStringSubmatch(otherFirst.body); m == nil || html.UnescapeString(m[1]) == csrf {
				t.Fatalf("a second session got no token, or the same one")
			}
			if status, _ := other.api("POST", clients, body, csrf); status != http.StatusForbidden {
				t.Errorf("write with another session's token: %d, want 403", status)
			}

			// The user's scopes apply, read afresh on every request.
			e.user("clerk", "clerk password 12", "gatehouse:clients")
			clerk := e.agent()
			clerk.signIn("clerk", "clerk password 12")
			if status, _ := clerk.api("GET", clients, "", ""); status != http.StatusOK {
				t.Errorf("clerk lists clients: %d", status)
			}
			if status, m := clerk.api("GET", "/api/v1/users", "", ""); status != http.StatusForbidden {
				t.Errorf("clerk lists users: %d %v, want 403", status, m)
			}
			e.user("nobody", "nobody password 1")
			nobody := e.agent()
			nobody.signIn("nobody", "nobody password 1")
			if status, _ := nobody.api("GET", clients, "", ""); status != http.StatusForbidden {
				t.Errorf("a user without scopes lists clients: %d, want 403", status)
			}

			// Signed out: the cookie is worth nothing.
			p := admin.get("/console/")
			admin.post("/console/logout", hidden(p, "/console/logout"))
			if status, _ := admin.api("GET", clients, "", ""); status != http.StatusUnauthorized {
				t.Errorf("after signing out: %d, want 401", status)
			}
		})
	}
}

// TestConsoleClerkCannotTakeOverAdminClient: a gatehouse:clients user sees
// a client holding gatehouse:admin but cannot change it, copy it or give
// it a new secret (admin/privilege.go), on pages and through forms.
func TestConsoleClerkCannotTakeOverAdminClient(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t))
	adminID, adminSecret := e.apiClient("automation", "gatehouse:admin")
	e.user("clerk", "clerk password 12", "gatehouse:clients")
	clerk := e.agent()
	first := clerk.signIn("clerk", "clerk password 12")
	csrf := clerk.csrf(first)
	base := "/console/api-clients/" + adminID
	if p := clerk.get(base); p.status != http.StatusOK {
		t.Errorf("details of the admin client: %d, want 200", p.status)
	}
	for _, path := range []string{"/edit", "/permissions", "/regenerate", "/delete"} {
		if p := clerk.get(base + path); p.status != http.StatusForbidden || !strings.Contains(p.body, "only an administrator") {
			t.Errorf("GET %s: %d, want 403 saying only an administrator may", path, p.status)
		}
	}
	for _, path := range []string{"/regenerate", "/disable", "/delete", "/edit"} {
		if p := clerk.post(base+path, formFor(path, csrf)); p.status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", path, p.status)
		}
	}
	e.tokenWorks(t, "the admin client after the clerk's attempts", adminID, adminSecret)
}
