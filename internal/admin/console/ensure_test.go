package console_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/admin/console"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		name, issuer, adminAddr, want string
	}{
		{"one listener", "https://login.example.com/", "", "https://login.example.com"},
		{"admin on loopback", "https://login.example.com", "127.0.0.1:9090", "http://127.0.0.1:9090"},
		{"admin on every interface", "https://login.example.com", ":9090", "http://localhost:9090"},
		{"admin on 0.0.0.0", "https://login.example.com", "0.0.0.0:9090", "http://localhost:9090"},
		{"admin on a host", "https://login.example.com", "10.0.0.5:9090", "http://10.0.0.5:9090"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := console.BaseURL(tc.issuer, tc.adminAddr); got != tc.want {
				t.Errorf("BaseURL(%q, %q) = %q, want %q", tc.issuer, tc.adminAddr, got, tc.want)
			}
		})
	}
}

// TestEnsureClient: the console's client follows the console's URL, and a
// client of the wrong kind under its id is replaced.
func TestEnsureClient(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t))
	ctx := context.Background()
	check := func(base string) {
		t.Helper()
		c, err := e.svc.Get(ctx, store.ClientTypeWeb, console.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Public || c.RequireConsent || !slices.Equal(c.RedirectURIs, []string{base + "/console/callback"}) ||
			!slices.Equal(c.PostLogoutRedirectURIs, []string{base + "/console/"}) || !slices.Equal(c.Scopes, []string{"openid", "profile"}) {
			t.Errorf("console client %+v", c)
		}
	}
	if done, err := console.EnsureClient(ctx, e.svc, "https://a.example", false); err != nil || done {
		t.Fatalf("without create: done %v, err %v; want nothing registered", done, err)
	}
	if done, err := console.EnsureClient(ctx, e.svc, "https://a.example", true); err != nil || !done {
		t.Fatalf("create: %v %v", done, err)
	}
	check("https://a.example")
	if done, err := console.EnsureClient(ctx, e.svc, "https://b.example/", false); err != nil || !done {
		t.Fatalf("issuer changed: %v %v", done, err)
	}
	check("https://b.example")

	if err := e.svc.Delete(ctx, store.ClientTypeWeb, console.ClientID); err != nil {
		t.Fatal(err)
	}
	id, name, scopes := console.ClientID, "Squatter", []string{"gatehouse:admin"}
	if _, err := e.svc.Create(ctx, store.ClientTypeAPI, clients.Patch{ClientID: &id, Name: &name, Scopes: &scopes}); err != nil {
		t.Fatal(err)
	}
	if done, err := console.EnsureClient(ctx, e.svc, "https://b.example", false); err != nil || !done {
		t.Fatalf("replacing an API client: %v %v", done, err)
	}
	check("https://b.example")

	if _, err := console.EnsureClient(ctx, e.svc, "http://console.example", true); err == nil {
		t.Error("an http redirect URI on a public host was accepted")
	}
}

// TestConsoleOnAdminListener: with admin.addr the console is served on the
// admin listener only, and signs in back to it through the issuer's pages.
func TestConsoleOnAdminListener(t *testing.T) {
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminAddr := adminLn.Addr().String()
	adminLn.Close() // the address is free again for the app's own listener below
	e := newEnv(t, sqltest.SQLiteDSN(t), "GATEHOUSE_ADMIN_ADDR="+adminAddr)
	if e.app.AdminHandler == nil {
		t.Fatal("admin.addr set but the app has no admin handler")
	}
	ln, err := net.Listen("tcp", adminAddr)
	if err != nil {
		t.Skipf("the admin address was taken in between: %v", err)
	}
	srv := httptest.NewUnstartedServer(e.app.AdminHandler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	a := e.agent()
	if p := a.get("/console/api-clients"); p.status != http.StatusNotFound {
		t.Errorf("the main listener serves the console: %d", p.status)
	}
	admin := "http://" + adminAddr
	p := a.do(mustRequest(t, http.MethodGet, admin+"/console/"))
	form := hidden(p, "/login")
	if form == nil {
		t.Fatalf("no login form (%d at %s):\n%s", p.status, p.url, p.body)
	}
	if !strings.HasPrefix(p.url, e.issuer+"/oauth2/authorize") {
		t.Errorf("sign-in did not go to the issuer: %s", p.url)
	}
	form.Set("username", "admin")
	form.Set("password", adminPassword)
	p = a.post("/login", form)
	if p.status != http.StatusOK || !strings.HasPrefix(p.url, admin+"/console/api-clients") || !strings.Contains(p.body, "<h1>API clients</h1>") {
		t.Fatalf("after sign-in: %d at %s:\n%s", p.status, p.url, p.body)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
