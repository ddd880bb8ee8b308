package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	ghapp "github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/browsertest"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	ghconfig "github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-dev/gatehouse/internal/testlog"
)

const (
	testUser     = "ada"
	testPassword = "correct horse battery staple"
	testName     = "Ada Lovelace"
	clientName   = "Example app"
)

// gatehouse is a dev-mode Gatehouse on SQLite, served on a loopback listener
// whose URL is its issuer, so discovery and redirects work from a browser.
type gatehouse struct {
	app    *ghapp.App
	issuer string
}

func startGatehouse(t *testing.T, logs io.Writer) *gatehouse {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	cfg, err := ghconfig.Load(nil, []string{
		"GATEHOUSE_DEV=true",
		"GATEHOUSE_DSN=" + sqltest.SQLiteDSN(t),
		"GATEHOUSE_ISSUER=" + issuer,
		"GATEHOUSE_SECRET=webapp-browser-test-secret-0123456789abcdef",
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := ghapp.OpenStore(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := ghapp.New(context.Background(), cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	ids := &identity.Service{Store: st, ClientDomain: cfg.ClientDomain()}
	username, email, name, password := testUser, "ada@example.com", testName, testPassword
	if _, err := ids.CreateUser(context.Background(), identity.UserPatch{
		Username: &username, Email: &email, Name: &name, Password: &password,
	}); err != nil {
		t.Fatal(err)
	}
	return &gatehouse{app: a, issuer: issuer}
}

// webClient registers a Web App client that asks for consent; secret is
// empty for a public one.
func (g *gatehouse) webClient(t *testing.T, public bool, redirectURI, postLogoutURI string) (id, secret string) {
	t.Helper()
	consent, name := true, clientName
	redirects, logouts := []string{redirectURI}, []string{postLogoutURI}
	svc := &clients.Service{Store: g.app.Store, Hasher: g.app.Hasher}
	c, err := svc.Create(context.Background(), store.ClientTypeWeb, clients.Patch{
		Name: &name, Public: &public, RequireConsent: &consent,
		RedirectURIs: &redirects, PostLogoutRedirectURIs: &logouts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.Client.ID, c.Secret
}

// startWebapp serves the example app on loopback, registered as a client.
func startWebapp(t *testing.T, g *gatehouse, public bool) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	id, secret := g.webClient(t, public, base+"/callback", base+"/")
	h, err := newApp(context.Background(), config{Issuer: g.issuer, ClientID: id, ClientSecret: secret, URL: base})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// browser starts the headless Chromium the test drives (package browsertest).
func browser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.New(t, timeout, 900, 760)
}

// Selectors, found the way a user finds things: by label and by text.
const (
	signInLink    = `//a[normalize-space()="Sign in"]`
	usernameField = `//input[@id=//label[normalize-space()="Username"]/@for]`
	passwordField = `//input[@id=//label[normalize-space()="Password"]/@for]`
	signInButton  = `//form[@action="/login"]//button[normalize-space()="Sign in"]`
	allowButton   = `//button[@name="decision" and @value="allow" and normalize-space()="Allow"]`
	signOutButton = `//button[normalize-space()="Sign out"]`
)

// TestBrowserSignInAndOut signs a user in to the example app through
// Gatehouse's login and consent pages in a real Chromium, then signs out of
// both, as issue 4 asks: as a public client (PKCE only) and as a
// confidential one (PKCE and a secret).
func TestBrowserSignInAndOut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		public bool
	}{
		{"public", true},
		{"confidential", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The pictures in docs/images show the public client's pages.
			signInAndOut(t, tc.public, tc.public && os.Getenv("GATEHOUSE_SCREENSHOTS") == "1")
		})
	}
}

func signInAndOut(t *testing.T, public, screenshots bool) {
	logs := &testlog.Buffer{}
	tab := browser(t, 2*time.Minute)
	g := startGatehouse(t, logs)
	base := startWebapp(t, g, public)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	})

	// do runs steps with their own deadline; read reads one value the same
	// way. On failure they report where the browser was and what it showed.
	fail := func(step string, err error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		t.Fatalf("%s: %v\nat %s:\n%s", step, err, loc, html)
	}
	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			fail(step, err)
		}
	}
	read := func(step string, a chromedp.Action[string]) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			fail(step, err)
		}
		return v
	}
	location := func() string { t.Helper(); return read("location", chromedp.Location()) }
	screenshot := func(name string) {
		t.Helper()
		if !screenshots {
			return
		}
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			fail("screenshot "+name, err)
		}
		dir := filepath.Join("..", "..", "docs", "images")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", filepath.Join(dir, name))
	}

	// Signed out: the app offers to sign in, and sends us to Gatehouse.
	do("open the app", chromedp.Navigate(base+"/"), chromedp.WaitVisible(signInLink))
	do("click Sign in", chromedp.Click(signInLink), chromedp.WaitVisible(usernameField))
	if loc := location(); !strings.HasPrefix(loc, g.issuer+"/") {
		t.Fatalf("login page at %s, want under %s", loc, g.issuer)
	}
	screenshot("signin-login.png")

	do("type credentials and submit",
		chromedp.SendKeys(usernameField, testUser),
		chromedp.SendKeys(passwordField, testPassword),
		chromedp.Click(signInButton),
		chromedp.WaitVisible(allowButton),
	)
	if h1 := read("consent heading", chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, clientName) {
		t.Errorf("consent heading %q does not name the client %q", h1, clientName)
	}
	screenshot("signin-consent.png")

	do("allow", chromedp.Click(allowButton), chromedp.WaitVisible(chromedp.ID("claims")))
	if loc := location(); loc != base+"/" {
		t.Errorf("signed in at %s, want %s/", loc, base)
	}
	text := read("signed-in page", chromedp.Text(chromedp.CSS("body")))
	for _, want := range []string{testName, testUser, `"preferred_username": "ada"`, `"iss": "` + g.issuer + `"`} {
		if !strings.Contains(text, want) {
			t.Errorf("signed-in page lacks %q:\n%s", want, text)
		}
	}

	// Sign out: back at the app, signed out, with the state checked.
	do("click Sign out", chromedp.Click(signOutButton), chromedp.WaitVisible(chromedp.ID("notice")))
	if loc := location(); !strings.HasPrefix(loc, base+"/?state=") {
		t.Errorf("after sign-out at %s, want %s/?state=…", loc, base)
	}
	text = read("signed-out page", chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(text, "You are not signed in.") || strings.Contains(text, testName) {
		t.Errorf("page after sign-out:\n%s", text)
	}

	// The Gatehouse session ended too: signing in again asks for the
	// password (consent was remembered, so a live session would skip
	// straight back to the app).
	do("sign in again", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(usernameField))
	if loc := location(); !strings.HasPrefix(loc, g.issuer+"/") {
		t.Errorf("second sign-in at %s, want Gatehouse's login page", loc)
	}
}
