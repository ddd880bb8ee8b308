package console_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/testlog"
)

const adminPassword = "bootstrap-admin-password-for-tests"

// env is a Gatehouse serving on a loopback listener whose URL is its
// issuer — the console signs in against it over HTTP as a browser would —
// with the bootstrap administrator created as on first start.
type env struct {
	t      *testing.T
	app    *app.App
	cfg    *config.Config
	issuer string
	ids    *identity.Service
	svc    *clients.Service
	logs   *testlog.Buffer
}

func newEnv(t *testing.T, dsn string, extraEnv ...string) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	cfg, err := config.Load(nil, append([]string{
		"GATEHOUSE_DEV=true", "GATEHOUSE_DSN=" + dsn, "GATEHOUSE_ISSUER=" + issuer,
		"GATEHOUSE_SECRET=console-test-secret-0123456789abcdef-012345",
		"GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD=" + adminPassword,
	}, extraEnv...))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := app.OpenStore(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Bootstrap(context.Background(), a, cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	})
	return &env{t: t, app: a, cfg: cfg, issuer: issuer, logs: logs,
		ids: &identity.Service{Store: st, ClientDomain: cfg.ClientDomain()},
		svc: &clients.Service{Store: st, Hasher: a.Hasher}}
}

// user creates a user, in roles (created with scopes when missing).
func (e *env) user(username, password string, scopes ...string) *store.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.ids.CreateUser(ctx, identity.UserPatch{Username: &username, Password: &password})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(scopes) > 0 {
		name := "Role of " + username
		if _, err := e.ids.CreateRole(ctx, identity.RolePatch{Name: &name, Scopes: &scopes}); err != nil {
			e.t.Fatal(err)
		}
		if err := e.ids.AddMember(ctx, name, username); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// apiClient creates an API client through the service.
func (e *env) apiClient(name string, scopes ...string) (id, secret string) {
	e.t.Helper()
	if scopes == nil {
		scopes = []string{}
	}
	c, err := e.svc.Create(context.Background(), store.ClientTypeAPI, clients.Patch{Name: &name, Scopes: &scopes})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Client.ID, c.Secret
}

// agent is a cookie-keeping HTTP client: a browser without JavaScript.
type agent struct {
	e  *env
	hc *http.Client
}

func (e *env) agent() *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{e: e, hc: &http.Client{Jar: jar}}
}

type page struct {
	status int
	url    string
	body   string
}

func (a *agent) do(req *http.Request) page {
	a.e.t.Helper()
	resp, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL.String(), body: string(body)}
}

func (a *agent) get(path string) page {
	req, _ := http.NewRequest(http.MethodGet, a.e.issuer+path, nil)
	return a.do(req)
}

func (a *agent) post(path string, form url.Values) page {
	req, _ := http.NewRequest(http.MethodPost, a.e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.do(req)
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// hidden reads the hidden fields of the first form on p posting to action.
func hidden(p page, action string) url.Values {
	i := strings.Index(p.body, `action="`+action+`"`)
	if i < 0 {
		return nil
	}
	body := p.body[i:]
	if j := strings.Index(body, "</form>"); j >= 0 {
		body = body[:j]
	}
	out := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		out.Set(m[1], html.UnescapeString(m[2]))
	}
	return out
}

// signIn opens the console and signs in through Gatehouse's login page; the
// agent ends on the page the console shows first.
func (a *agent) signIn(username, password string) page {
	a.e.t.Helper()
	p := a.get("/console/")
	form := hidden(p, "/login")
	if form == nil {
		a.e.t.Fatalf("opening the console did not show the login form (%d at %s):\n%s", p.status, p.url, p.body)
	}
	form.Set("username", username)
	form.Set("password", password)
	return a.post("/login", form)
}

// csrf is the agent's console CSRF token, from a page it can open.
func (a *agent) csrf(p page) string {
	return hidden(p, "/console/logout").Get("csrf_token")
}
