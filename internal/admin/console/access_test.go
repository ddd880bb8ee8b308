package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/admin/console"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// route is one console route with its parameters filled in.
type route struct {
	method, path string
	adminOnly    bool
}

// consoleRoutes lists every route the console registered — read from the
// engine, so a route added later is covered without touching this test —
// with real ids in place of the parameters.
func consoleRoutes(t *testing.T, e *env, apiID, webID, userID, role string) []route {
	t.Helper()
	engine, ok := e.app.Handler.(*gin.Engine)
	if !ok {
		t.Fatalf("the app's handler is a %T, not a *gin.Engine", e.app.Handler)
	}
	var out []route
	for _, r := range engine.Routes() {
		if !strings.HasPrefix(r.Path, "/console/") {
			continue
		}
		switch r.Path {
		case "/console/theme.css", "/console/callback", "/console/logout":
			continue // open by design: a stylesheet, the sign-in's return, sign-out
		}
		p := r.Path
		switch {
		case strings.HasPrefix(p, "/console/api-clients/"):
			p = strings.Replace(p, ":id", url.PathEscape(apiID), 1)
		case strings.HasPrefix(p, "/console/web-clients/"):
			p = strings.Replace(p, ":id", url.PathEscape(webID), 1)
		case strings.HasPrefix(p, "/console/users/"):
			p = strings.Replace(p, ":id", url.PathEscape(userID), 1)
		case strings.HasPrefix(p, "/console/roles/"):
			p = strings.Replace(p, ":name", url.PathEscape(role), 1)
		}
		if strings.Contains(p, ":") {
			t.Fatalf("route %s has a parameter this test does not fill", r.Path)
		}
		admin := !strings.HasPrefix(p, "/console/api-clients") && !strings.HasPrefix(p, "/console/web-clients") && p != "/console/"
		out = append(out, route{method: r.Method, path: p, adminOnly: admin})
	}
	if len(out) < 30 {
		t.Fatalf("only %d console routes found", len(out))
	}
	return out
}

// formFor is a plausible body for a console form: with it, an authorised
// administrator's POST would change something.
func formFor(path, csrf string) url.Values {
	f := url.Values{"csrf_token": {csrf}, "name": {"Forged " + path}, "description": {"forged"},
		"scopes": {"gatehouse:admin"}, "username": {"forged-user"}, "password": {"forged password 123"},
		"redirect_uris": {"https://forged.example/cb"}, "public": {"true"}}
	return f
}

// TestConsoleAccess checks SPEC §7's gate on every console route: a user
// without gatehouse:admin or gatehouse:clients sees "No access" on every
// page and cannot post any form; a gatehouse:clients user gets the client
// pages only; nobody posts without the CSRF token; and none of these
// attempts changes anything.
func TestConsoleAccess(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.NewDSN(t))
			ctx := context.Background()
			apiID, _ := e.apiClient("Orders service", "orders:read")
			if _, err := e.svc.Get(ctx, store.ClientTypeWeb, console.ClientID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the console's client exists before anyone opened the console: %v", err)
			}
			name, redirects := "Shop", []string{"https://shop.example/cb"}
			web, err := e.svc.Create(ctx, store.ClientTypeWeb, clients.Patch{Name: &name, RedirectURIs: &redirects})
			if err != nil {
				t.Fatal(err)
			}
			webID := web.Client.ID
			victim := e.user("victim", "victim password 1")
			nobody := e.user("nobody", "nobody password 1")
			_ = nobody
			e.user("clerk", "clerk password 12", "gatehouse:clients")
			routes := consoleRoutes(t, e, apiID, webID, victim.ID, "Role of clerk")

			t.Run("console_client", func(t *testing.T) {
				e.agent().get("/console/")
				c, err := e.svc.Get(ctx, store.ClientTypeWeb, console.ClientID)
				if err != nil {
					t.Fatalf("the first console request did not register the console's client: %v", err)
				}
				if !c.Public || c.RequireConsent || !slices.Equal(c.RedirectURIs, []string{e.issuer + "/console/callback"}) ||
					!slices.Equal(c.PostLogoutRedirectURIs, []string{e.issuer + "/console/"}) || !slices.Equal(c.Scopes, []string{"openid", "profile"}) {
					t.Errorf("console client %+v", c)
				}
			})

			auditBefore := auditCount(t, e)

			t.Run("no_scope", func(t *testing.T) {
				a := e.agent()
				first := a.signIn("nobody", "nobody password 1")
				if first.status != http.StatusForbidden || !strings.Contains(first.body, "No access") {
					t.Fatalf("after sign-in without a scope: %d at %s, want 403 No access:\n%s", first.status, first.url, first.body)
				}
				if !strings.Contains(first.body, "Sign out") {
					t.Error("the no-access page offers no way to sign out")
				}
				csrf := a.csrf(first)
				if csrf == "" {
					t.Fatal("no CSRF token on the no-access page's sign-out form")
				}
				for _, r := range routes {
					var p page
					if r.method == http.MethodGet {
						p = a.get(r.path)
					} else {
						p = a.post(r.path, formFor(r.path, csrf))
					}
					if p.status != http.StatusForbidden || !strings.Contains(p.body, "No access") {
						t.Errorf("%s %s as a user without scopes: %d, want 403 No access", r.method, r.path, p.status)
					}
				}
			})

			t.Run("clients_scope", func(t *testing.T) {
				a := e.agent()
				first := a.signIn("clerk", "clerk password 12")
				if first.status != http.StatusOK || !strings.Contains(first.body, "<h1>API clients</h1>") {
					t.Fatalf("after sign-in with gatehouse:clients: %d at %s:\n%s", first.status, first.url, first.body)
				}
				if strings.Contains(first.body, `href="/console/users"`) {
					t.Error("a gatehouse:clients user is offered the users page")
				}
				csrf := a.csrf(first)
				for _, r := range routes {
					if !r.adminOnly {
						continue
					}
					var p page
					if r.method == http.MethodGet {
						p = a.get(r.path)
					} else {
						p = a.post(r.path, formFor(r.path, csrf))
					}
					if p.status != http.StatusForbidden || !strings.Contains(p.body, "gatehouse:admin") {
						t.Errorf("%s %s as a gatehouse:clients user: %d, want 403 naming gatehouse:admin", r.method, r.path, p.status)
					}
				}
				for _, path := range []string{"/console/api-clients", "/console/web-clients", "/console/api-clients/" + apiID} {
					if p := a.get(path); p.status != http.StatusOK {
						t.Errorf("GET %s as a gatehouse:clients user: %d, want 200", path, p.status)
					}
				}
				// No escalation: gatehouse:clients cannot mint a gatehouse:admin client.
				p := a.post("/console/api-clients", url.Values{"csrf_token": {csrf}, "name": {"Escalate"}, "scopes": {"gatehouse:admin"}})
				if p.status != http.StatusBadRequest || !strings.Contains(p.body, "only an administrator") {
					t.Errorf("gatehouse:clients user creating a gatehouse:admin client: %d, want 400 with a field message", p.status)
				}
			})

			t.Run("forged_without_csrf", func(t *testing.T) {
				a := e.agent()
				first := a.signIn("admin", adminPassword)
				if first.status != http.StatusOK {
					t.Fatalf("admin sign-in: %d at %s:\n%s", first.status, first.url, first.body)
				}
				for _, r := range routes {
					if r.method == http.MethodGet {
						continue
					}
					for name, token := range map[string]string{"no token": "", "wrong token": strings.Repeat("x", 43)} {
						f := formFor(r.path, token)
						if token == "" {
							f.Del("csrf_token")
						}
						// A plain client carrying the admin's cookies, as a
						// forged cross-site form would.
						p := a.post(r.path, f)
						if p.status != http.StatusForbidden || !strings.Contains(p.body, "Request refused") {
							t.Errorf("POST %s by the admin with %s: %d, want 403 Request refused", r.path, name, p.status)
						}
					}
				}
				if p := a.post("/console/logout", url.Values{}); p.status != http.StatusForbidden {
					t.Errorf("sign-out without a CSRF token: %d, want 403", p.status)
				}
			})

			t.Run("no_session", func(t *testing.T) {
				a := e.agent()
				a.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				for _, r := range routes {
					if r.method == http.MethodGet {
						req, _ := http.NewRequest(http.MethodGet, e.issuer+r.path, nil)
						resp, err := a.hc.Do(req)
						if err != nil {
							t.Fatal(err)
						}
						resp.Body.Close()
						loc := resp.Header.Get("Location")
						if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, e.issuer+"/oauth2/authorize?") {
							t.Errorf("GET %s without a session: %d to %q, want a redirect to sign in", r.path, resp.StatusCode, loc)
						}
						continue
					}
					if p := a.post(r.path, formFor(r.path, "")); p.status != http.StatusForbidden {
						t.Errorf("POST %s without a session: %d, want 403", r.path, p.status)
					}
				}
			})

			// Nothing above changed anything.
			if n := auditCount(t, e); n != auditBefore {
				t.Errorf("the refused requests left %d audit events", n-auditBefore)
			}
			if _, err := e.app.Store.FindUserByUsername(ctx, "forged-user"); err == nil {
				t.Error("a forged request created a user")
			}
			list, _, err := e.app.Store.ListClients(ctx, store.ClientFilter{Search: "forged"})
			if err != nil || len(list) != 0 {
				t.Errorf("forged requests created clients: %v %v", list, err)
			}
			if u, err := e.app.Store.FindUser(ctx, victim.ID); err != nil || !u.Enabled {
				t.Errorf("the victim was changed: %+v %v", u, err)
			}
		})
	}
}

func auditCount(t *testing.T, e *env) int {
	t.Helper()
	_, n, err := e.app.Store.ListAudit(context.Background(), store.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
