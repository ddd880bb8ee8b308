package console_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/browsertest"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// newBrowser starts the headless Chromium the test drives (package browsertest).
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.New(t, timeout, 1280, 900)
}

// person drives one browser tab the way a person uses the console: by
// labels, link and button text. Every step has its own deadline; a failed
// step reports where the browser was and what it showed.
type person struct {
	t           *testing.T
	tab         context.Context
	issuer      string
	screenshots bool
}

// Selectors, found as a person finds things.
func field(label string) string {
	return fmt.Sprintf(`//*[(self::input or self::textarea or self::select) and @id=//label[starts-with(normalize-space(.), %q)]/@for]`, label)
}
func button(text string) string { return fmt.Sprintf(`//button[normalize-space()=%q]`, text) }
func link(text string) string   { return fmt.Sprintf(`//a[normalize-space()=%q]`, text) }
func heading(text string) string {
	return fmt.Sprintf(`//h1[normalize-space()=%q]`, text)
}
func notice(prefix string) string {
	return fmt.Sprintf(`//p[@class="notice" and starts-with(normalize-space(), %q)]`, prefix)
}

func (p *person) fail(step string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML("html"))
	p.t.Fatalf("%s: %v\nat %s:\n%s", step, err, loc, html)
}

func (p *person) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(step, err)
	}
}

func (p *person) read(step string, a chromedp.Action[string]) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fail(step, err)
	}
	return v
}

// poll waits until the JavaScript expression is true.
func (p *person) poll(step, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
		p.fail(step, err)
	}
}

func (p *person) html() string { p.t.Helper(); return p.read("page HTML", chromedp.OuterHTML("html")) }

// open navigates to a console path and waits for the page's heading.
func (p *person) open(path, h1 string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.issuer+path), chromedp.WaitVisible(heading(h1)))
}

// fill replaces a field's value as typed by a person.
func (p *person) fill(label, value string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const f = document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; f.select(); f.value = ""; return true })()`,
			field(label)))(ctx, t)
		return err
	})
	return chromedp.Steps(clear, chromedp.SendKeys(field(label), value))
}

// expectError checks that the field labelled label shows msg next to it
// and is marked invalid for assistive technology.
func (p *person) expectError(label, msg string) {
	p.t.Helper()
	id := p.read("id of "+label, chromedp.Evaluate[string](fmt.Sprintf(
		`document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.id`, field(label))))
	got := p.read("error of "+label, chromedp.Text("#"+id+"-error"))
	if !strings.Contains(got, msg) {
		p.t.Errorf("field %q shows %q, want it to contain %q", label, got, msg)
	}
	attrs := p.read("aria-invalid of "+label, chromedp.Evaluate[string](fmt.Sprintf(
		`document.getElementById(%q).getAttribute("aria-invalid") || ""`, id)))
	if attrs != "true" {
		p.t.Errorf("field %q is not marked aria-invalid", label)
	}
}

func (p *person) screenshot(name string) {
	p.t.Helper()
	if !p.screenshots {
		return
	}
	ctx, cancel := context.WithTimeout(p.tab, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fail("screenshot "+name, err)
	}
	dir := filepath.Join("..", "..", "..", "docs", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// token asks the token endpoint for a client-credentials token.
func (e *env) token(id, secret string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := (&clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.issuer + "/oauth2/token"}).Token(ctx)
	return err
}

func (e *env) tokenWorks(t *testing.T, what, id, secret string) {
	t.Helper()
	if err := e.token(id, secret); err != nil {
		t.Errorf("%s: the token endpoint refused it: %v", what, err)
	}
}

func (e *env) tokenFails(t *testing.T, what, id, secret string) {
	t.Helper()
	err := e.token(id, secret)
	var re *oauth2.RetrieveError
	if err == nil {
		t.Errorf("%s: the token endpoint still issues tokens", what)
	} else if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("%s: want invalid_client, got %v", what, err)
	}
}

// TestConsoleInBrowser signs in as the bootstrap administrator in headless
// Chromium and walks every feature of issue 5, checking each result through
// the store and the token endpoint, on SQLite and PostgreSQL. The pictures
// in docs/images come from the SQLite run.
func TestConsoleInBrowser(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			walk(t, b.NewDSN(t), b.Name == "sqlite" && os.Getenv("GATEHOUSE_SCREENSHOTS") == "1")
		})
	}
}

func walk(t *testing.T, dsn string, screenshots bool) {
	start := time.Now()
	e := newEnv(t, dsn)
	tab := newBrowser(t, 2*time.Minute)
	ctx := context.Background()
	p := &person{t: t, tab: tab, issuer: e.issuer, screenshots: screenshots}
	// step runs one part of the walk; the walk stops at the first failed one.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	var secrets []string // every secret the console showed
	var detailPages []string

	// Sign in through Gatehouse's own login page.
	p.do("sign in",
		chromedp.Navigate(e.issuer+"/console"),
		chromedp.WaitVisible(field("Username")),
		chromedp.SendKeys(field("Username"), "admin"),
		chromedp.SendKeys(field("Password"), adminPassword),
		chromedp.Click(button("Sign in")),
		chromedp.WaitVisible(heading("API clients")),
	)

	step("create_api_client", func(t *testing.T) {
		p.t = t
		p.do("open the create form", chromedp.Click(link("Create API client")), chromedp.WaitVisible(heading("Create API client")))
		hint := p.read("expiry hint", chromedp.Text("#secret_expires_on-hint"))
		now := time.Now().UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		def, max := today.AddDate(0, 0, 90).Format("2006-01-02"), today.AddDate(0, 24, 0).Format("2006-01-02")
		if !strings.Contains(hint, "90 days") || !strings.Contains(hint, def) || !strings.Contains(hint, "24 months") || !strings.Contains(hint, max) {
			t.Errorf("the expiry hint does not show the 90-day default and the 24-month maximum: %q", hint)
		}
		if v := p.read("expiry value", chromedp.Value(field("Secret expiration date"))); v != def {
			t.Errorf("secret expiration date defaults to %q, want %q", v, def)
		}
		p.do("fill and submit",
			chromedp.SendKeys(field("Name"), "Orders service"),
			chromedp.SendKeys(field("Description"), "Reads and writes orders"),
			chromedp.SendKeys(field("Permissions"), "orders:read orders:write"),
			chromedp.Click(button("Create client")),
			chromedp.WaitVisible(heading("Client credentials")),
		)
	})

	id := p.read("client ID", chromedp.Value(field("Client ID")))
	secret := p.read("client secret", chromedp.Value(field("Client secret")))
	secrets = append(secrets, secret)
	step("secret_shown_once", func(t *testing.T) {
		p.t = t
		if !strings.Contains(p.read("warning", chromedp.Text(".warning")), "shown only once") {
			t.Error("no warning that the secret is shown only once")
		}
		hidden := p.read("copy buttons", chromedp.Evaluate[string](
			`Array.from(document.querySelectorAll("button.copy")).map(b => b.hidden + ":" + b.textContent).join(",")`))
		if hidden != "false:Copy,false:Copy" {
			t.Errorf("copy buttons: %q, want two visible Copy buttons", hidden)
		}
		p.do("copy the secret", chromedp.Click(`//button[@data-copy="client-secret"]`))
		p.poll("the copy button confirms", `document.querySelector('button[data-copy="client-secret"]').textContent === "Copied"`)
		p.screenshot("console-secret.png")
		c, err := e.app.Store.FindClient(ctx, id)
		if err != nil {
			t.Fatalf("the created client is not in the store: %v", err)
		}
		if c.Name != "Orders service" || !slices.Equal(c.Scopes, []string{"orders:read", "orders:write"}) || c.Type != store.ClientTypeAPI {
			t.Errorf("stored client %+v", c)
		}
		e.tokenWorks(t, "the shown secret", id, secret)
		p.do("reload", chromedp.Reload(), chromedp.WaitVisible(heading("Client credentials")))
		if html := p.html(); strings.Contains(html, secret) {
			t.Error("the secret is still on the page after a reload")
		} else if !strings.Contains(html, "was shown once") {
			t.Error("after a reload the page does not say the secret was shown once")
		}
	})

	step("details", func(t *testing.T) {
		p.t = t
		p.do("open details", chromedp.Click(link("Back to the client")), chromedp.WaitVisible(heading("Orders service")))
		detailPages = append(detailPages, "/console/api-clients/"+id)
		want := id + "@clients.127.0.0.1"
		if got := p.read("username", chromedp.Value(`//input[@id="client-username"]`)); got != want {
			t.Errorf("username %q, want %q", got, want)
		}
		html := p.html()
		for _, s := range []string{"Active", "orders:read", "Last used", "Secret expires"} {
			if !strings.Contains(html, s) {
				t.Errorf("details page lacks %q", s)
			}
		}
		p.screenshot("console-api-client.png")
	})

	step("edit_name_and_description", func(t *testing.T) {
		p.t = t
		p.do("edit",
			chromedp.Click(link("Edit name and description")),
			chromedp.WaitVisible(heading("Edit Orders service")),
			p.fill("Name", "Orders API"),
			p.fill("Description", "The orders backend"),
			chromedp.Click(button("Save changes")),
			chromedp.WaitVisible(notice("Changes saved")),
		)
		if c, err := e.app.Store.FindClient(ctx, id); err != nil || c.Name != "Orders API" || c.Description != "The orders backend" {
			t.Errorf("after editing: %+v %v", c, err)
		}
	})

	step("edit_permissions", func(t *testing.T) {
		p.t = t
		p.do("bad scope",
			chromedp.Click(link("Edit permissions")),
			chromedp.WaitVisible(heading("Edit permissions of Orders API")),
			p.fill("Permissions", `orders:read bad"scope`),
			chromedp.Click(button("Save permissions")),
			chromedp.WaitVisible(`//p[@id="scopes-error"]`),
		)
		p.expectError("Permissions", "is not a valid scope")
		p.do("good scopes",
			p.fill("Permissions", "orders:read orders:write invoices:read"),
			chromedp.Click(button("Save permissions")),
			chromedp.WaitVisible(notice("Permissions saved")),
		)
		if c, err := e.app.Store.FindClient(ctx, id); err != nil || !slices.Equal(c.Scopes, []string{"orders:read", "orders:write", "invoices:read"}) {
			t.Errorf("after editing permissions: %+v %v", c, err)
		}
	})

	step("regenerate_secret", func(t *testing.T) {
		p.t = t
		p.do("regenerate without grace",
			chromedp.Click(link("Regenerate secret")),
			chromedp.WaitVisible(heading("Regenerate the secret of Orders API")),
			chromedp.Click(button("Regenerate secret")),
			chromedp.WaitVisible(heading("New client secret")),
		)
		second := p.read("new secret", chromedp.Value(field("Client secret")))
		secrets = append(secrets, second)
		if second == secret {
			t.Fatal("the regenerated secret is the old one")
		}
		e.tokenWorks(t, "the regenerated secret", id, second)
		e.tokenFails(t, "the replaced secret (no grace period)", id, secret)

		p.do("regenerate with a grace period",
			chromedp.Click(link("I have copied the secret")),
			chromedp.WaitVisible(heading("Orders API")),
			chromedp.Click(link("Regenerate secret")),
			chromedp.WaitVisible(heading("Regenerate the secret of Orders API")),
			chromedp.SetValue(field("Grace period"), "86400"),
			chromedp.Click(button("Regenerate secret")),
			chromedp.WaitVisible(heading("New client secret")),
		)
		third := p.read("newer secret", chromedp.Value(field("Client secret")))
		secrets = append(secrets, third)
		e.tokenWorks(t, "the newest secret", id, third)
		e.tokenWorks(t, "the previous secret within its 24-hour grace period", id, second)
		p.do("back", chromedp.Click(link("I have copied the secret")), chromedp.WaitVisible(heading("Orders API")))
	})

	var copyID, copySecret string
	step("duplicate", func(t *testing.T) {
		p.t = t
		p.do("open duplicate", chromedp.Click(link("Duplicate")), chromedp.WaitVisible(heading("Duplicate Orders API")))
		if v := p.read("name", chromedp.Value(field("Name"))); v != "Orders API (copy)" {
			t.Errorf("duplicate form name %q, want %q", v, "Orders API (copy)")
		}
		if v := p.read("scopes", chromedp.Value(field("Permissions"))); v != "orders:read orders:write invoices:read" {
			t.Errorf("duplicate form permissions %q", v)
		}
		p.do("create the copy", chromedp.Click(button("Create client")), chromedp.WaitVisible(heading("Client credentials")))
		copyID = p.read("copy's ID", chromedp.Value(field("Client ID")))
		copySecret = p.read("copy's secret", chromedp.Value(field("Client secret")))
		secrets = append(secrets, copySecret)
		c, err := e.app.Store.FindClient(ctx, copyID)
		if err != nil || copyID == id || c.Name != "Orders API (copy)" || !slices.Equal(c.Scopes, []string{"orders:read", "orders:write", "invoices:read"}) {
			t.Errorf("the copy: %+v %v", c, err)
		}
		e.tokenWorks(t, "the copy's secret", copyID, copySecret)
		detailPages = append(detailPages, "/console/api-clients/"+copyID)
	})

	step("disable_and_enable", func(t *testing.T) {
		p.t = t
		p.open("/console/api-clients/"+id, "Orders API")
		p.do("disable", chromedp.Click(button("Disable")), chromedp.WaitVisible(notice("Orders API is disabled")))
		if s := p.read("status", chromedp.Text(".heading .status")); s != "Disabled" {
			t.Errorf("status after disabling: %q", s)
		}
		e.tokenFails(t, "a disabled client", id, e.mustLatest(t, secrets))
		p.do("enable", chromedp.Click(button("Enable")), chromedp.WaitVisible(notice("Orders API is enabled")))
		e.tokenWorks(t, "the client enabled again", id, e.mustLatest(t, secrets))
	})

	step("list_and_search", func(t *testing.T) {
		p.t = t
		e.apiClient("Billing exporter", "invoices:read")
		e.apiClient("Legacy sync") // no permissions: needs attention
		p.open("/console/api-clients", "API clients")
		html := p.html()
		for _, s := range []string{"Orders API", "Billing exporter", "Legacy sync", "Needs attention", "Active"} {
			if !strings.Contains(html, s) {
				t.Errorf("the list lacks %q", s)
			}
		}
		p.screenshot("console-api-clients.png")
		rows := func() []string {
			return strings.Split(p.read("rows", chromedp.Evaluate[string](
				`Array.from(document.querySelectorAll("table.list tbody tr td:first-child a")).map(a => a.textContent).join("|")`)), "|")
		}
		p.do("search by name",
			chromedp.SendKeys(field("Search by name or client ID"), "COPY"),
			chromedp.Click(button("Search")),
			chromedp.WaitVisible(link("Clear search")),
		)
		if got := rows(); !slices.Equal(got, []string{"Orders API (copy)"}) {
			t.Errorf("search by name: %q", got)
		}
		p.do("search by client ID",
			p.fill("Search by name or client ID", id[:12]),
			chromedp.Click(button("Search")),
			chromedp.WaitVisible(`//p[contains(@class, "count") and contains(., "`+id[:12]+`")]`),
		)
		if got := rows(); !slices.Equal(got, []string{"Orders API"}) {
			t.Errorf("search by client ID: %q", got)
		}
		p.do("narrow screen", chromedp.EmulateViewport(400, 900), chromedp.Navigate(e.issuer+"/console/api-clients"),
			chromedp.WaitVisible(heading("API clients")))
		overflow := p.read("horizontal overflow", chromedp.Evaluate[string](
			`String(document.documentElement.scrollWidth > window.innerWidth)`))
		if overflow != "false" {
			t.Error("at 400 px the list page scrolls sideways")
		}
		p.screenshot("console-api-clients-narrow.png")
		p.do("wide screen", chromedp.EmulateViewport(1280, 900))
	})

	step("delete", func(t *testing.T) {
		p.t = t
		p.open("/console/api-clients/"+copyID, "Orders API (copy)")
		p.do("delete",
			chromedp.Click(link("Delete")),
			chromedp.WaitVisible(heading("Delete Orders API (copy)?")),
			chromedp.Click(button("Delete client")),
			chromedp.WaitVisible(notice("API client Orders API (copy)")),
		)
		if _, err := e.app.Store.FindClient(ctx, copyID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the deleted client is still there: %v", err)
		}
		e.tokenFails(t, "a deleted client", copyID, copySecret)
		detailPages = slices.DeleteFunc(detailPages, func(s string) bool { return strings.HasSuffix(s, copyID) })
	})

	step("web_app_clients", func(t *testing.T) {
		p.t = t
		p.do("open", chromedp.Click(link("Web App clients")), chromedp.WaitVisible(heading("Web App clients")),
			chromedp.Click(link("Create Web App client")), chromedp.WaitVisible(heading("Create Web App client")))
		if v := p.read("default scopes", chromedp.Value(field("Scopes"))); v != "openid profile email offline_access" {
			t.Errorf("default scopes %q", v)
		}
		p.do("invalid",
			chromedp.SendKeys(field("Name"), "Shop"),
			chromedp.SendKeys(field("Redirect URIs"), "http://shop.example/callback"),
			chromedp.SendKeys(field("Allowed CORS origins"), "https://shop.example/path"),
			chromedp.Click(button("Create client")),
			chromedp.WaitVisible(`//p[@id="redirect_uris-error"]`),
		)
		p.expectError("Redirect URIs", "must use https")
		p.expectError("Allowed CORS origins", "must be an origin")
		p.screenshot("console-web-client-errors.png")
		p.do("valid",
			p.fill("Redirect URIs", "https://shop.example/callback\nhttp://localhost:3000/callback"),
			p.fill("Allowed CORS origins", "https://shop.example"),
			p.fill("Post-logout redirect URIs", "https://shop.example/"),
			chromedp.Click(button("Create client")),
			chromedp.WaitVisible(notice("Web App client Shop created")),
		)
		list, _, err := e.app.Store.ListClients(ctx, store.ClientFilter{Type: store.ClientTypeWeb, Search: "Shop"})
		if err != nil || len(list) != 1 {
			t.Fatalf("web clients named Shop: %v %v", list, err)
		}
		shop := list[0]
		if !shop.Public || !shop.RequireConsent || !slices.Equal(shop.RedirectURIs, []string{"https://shop.example/callback", "http://localhost:3000/callback"}) ||
			!slices.Equal(shop.AllowedCORSOrigins, []string{"https://shop.example"}) || !slices.Equal(shop.PostLogoutRedirectURIs, []string{"https://shop.example/"}) {
			t.Errorf("stored web client %+v", shop)
		}
		detailPages = append(detailPages, "/console/web-clients/"+shop.ID)
		p.do("edit settings",
			chromedp.Click(link("Edit settings")),
			chromedp.WaitVisible(heading("Edit Shop")),
			chromedp.Click(field("Require consent")),
			chromedp.Click(button("Save changes")),
			chromedp.WaitVisible(notice("Changes saved")),
		)
		if c, err := e.app.Store.FindClient(ctx, shop.ID); err != nil || c.RequireConsent {
			t.Errorf("require consent still on: %+v %v", c, err)
		}

		p.do("confidential",
			chromedp.Navigate(e.issuer+"/console/web-clients/new"),
			chromedp.WaitVisible(heading("Create Web App client")),
			chromedp.SendKeys(field("Name"), "Back office"),
			chromedp.Click(field("Confidential")),
			chromedp.SendKeys(field("Redirect URIs"), "https://office.example/cb"),
			chromedp.Click(button("Create client")),
			chromedp.WaitVisible(heading("Client credentials")),
		)
		officeID := p.read("office ID", chromedp.Value(field("Client ID")))
		officeSecret := p.read("office secret", chromedp.Value(field("Client secret")))
		secrets = append(secrets, officeSecret)
		if c, err := e.app.Store.FindClient(ctx, officeID); err != nil || c.Public || c.SecretHash == "" {
			t.Errorf("confidential client: %+v %v", c, err)
		}
		detailPages = append(detailPages, "/console/web-clients/"+officeID, "/console/web-clients/gatehouse-console")
	})

	var bob *store.User
	step("users", func(t *testing.T) {
		p.t = t
		p.do("create",
			chromedp.Click(link("Users")), chromedp.WaitVisible(heading("Users")),
			chromedp.Click(link("Create user")), chromedp.WaitVisible(heading("Create user")),
			chromedp.SendKeys(field("Username"), "bob"),
			chromedp.SendKeys(field("Full name"), "Bob Builder"),
			chromedp.SendKeys(field("E-mail"), "bob@example.com"),
			chromedp.SendKeys(field("Password"), "first password 1"),
			chromedp.Click(button("Create user")),
			chromedp.WaitVisible(notice("User bob created")),
		)
		var err error
		if bob, err = e.app.Store.FindUserByUsername(ctx, "bob"); err != nil || bob.Name != "Bob Builder" || bob.Email != "bob@example.com" {
			t.Fatalf("created user: %+v %v", bob, err)
		}
		p.do("reset password",
			chromedp.SendKeys(field("New password"), "second password 2"),
			chromedp.Click(button("Reset password")),
			chromedp.WaitVisible(notice("The password of bob was reset")),
		)
		u, _ := e.app.Store.FindUserByUsername(ctx, "bob")
		if ok, _ := identity.CheckPassword("second password 2", u.PasswordHash); !ok {
			t.Error("the reset password does not work")
		}
		p.do("disable", chromedp.Click(button("Disable user")), chromedp.WaitVisible(notice("bob is disabled")))
		if u, _ := e.app.Store.FindUserByUsername(ctx, "bob"); u.Enabled {
			t.Error("bob is still enabled")
		}
		p.do("enable", chromedp.Click(button("Enable user")), chromedp.WaitVisible(notice("bob is enabled")))
		if u, _ := e.app.Store.FindUserByUsername(ctx, "bob"); !u.Enabled {
			t.Error("bob is still disabled")
		}
		p.open("/console/users", "Users")
		p.screenshot("console-users.png")
	})

	step("roles", func(t *testing.T) {
		p.t = t
		clientUser := id + "@clients.127.0.0.1"
		p.do("create",
			chromedp.Click(link("Roles")), chromedp.WaitVisible(heading("Roles")),
			chromedp.Click(link("Create role")), chromedp.WaitVisible(heading("Create role")),
			chromedp.SendKeys(field("Name"), "Order managers"),
			chromedp.SendKeys(field("Description"), "May manage orders"),
			chromedp.SendKeys(field("Scopes"), "orders:admin"),
			chromedp.Click(button("Create role")),
			chromedp.WaitVisible(notice("Role Order managers created")),
			chromedp.SendKeys(field("Add member by username"), "bob"),
			chromedp.Click(button("Add member")),
			chromedp.WaitVisible(notice("bob added")),
			chromedp.SendKeys(field("Add member by username"), clientUser),
			chromedp.Click(button("Add member")),
			chromedp.WaitVisible(notice(clientUser+" added")),
			chromedp.SendKeys(field("Add member by username"), "ghost"),
			chromedp.Click(button("Add member")),
			chromedp.WaitVisible(`//p[@id="member-username-error"]`),
		)
		p.expectError("Add member by username", "no user or API client has this username")
		members, _ := e.app.Store.RoleMembers(ctx, "Order managers")
		if !slices.Equal(members, []string{clientUser, "bob"}) && !slices.Equal(members, []string{"bob", clientUser}) {
			t.Errorf("members %v", members)
		}
		if c, _ := e.app.Store.FindClient(ctx, id); !slices.Contains(c.Roles, "Order managers") {
			t.Errorf("the API client's roles: %v", c.Roles)
		}
		p.screenshot("console-role.png")
		p.do("remove the client",
			chromedp.Click(fmt.Sprintf(`//button[@aria-label=%q]`, "Remove "+clientUser)),
			chromedp.WaitVisible(notice(clientUser+" removed")),
		)
		if members, _ := e.app.Store.RoleMembers(ctx, "Order managers"); !slices.Equal(members, []string{"bob"}) {
			t.Errorf("members after removal %v", members)
		}
		p.do("edit scopes",
			p.fill("Scopes", "orders:admin orders:read"),
			chromedp.Click(`//section[@aria-labelledby="edit-h"]//button[normalize-space()="Save changes"]`),
			chromedp.WaitVisible(notice("Changes saved")),
		)
		if r, _ := e.app.Store.FindRole(ctx, "Order managers"); !slices.Equal(r.Scopes, []string{"orders:admin", "orders:read"}) {
			t.Errorf("role scopes %v", r.Scopes)
		}
		p.open("/console/roles", "Roles")
		p.screenshot("console-roles.png")
	})

	step("audit_and_notifications", func(t *testing.T) {
		p.t = t
		err := e.app.Store.CreateNotification(ctx, &store.Notification{ID: "n1", CreatedAt: time.Now(), Kind: "secret_expiry",
			ClientID: id, Recipients: []string{"admin@example.com"}, Subject: "Client secret of Orders API expires in 14 days",
			Body: "Regenerate it before it stops working."})
		if err != nil {
			t.Fatal(err)
		}
		p.do("audit", chromedp.Click(link("Audit log")), chromedp.WaitVisible(heading("Audit log")))
		html := p.html()
		for _, s := range []string{"client.create", "client.secret.regenerate", "client.delete", "user.create", "role.member.add", "admin"} {
			if !strings.Contains(html, s) {
				t.Errorf("the audit log lacks %q", s)
			}
		}
		for _, s := range secrets {
			if strings.Contains(html, s) {
				t.Error("a secret is in the audit log page")
			}
		}
		p.screenshot("console-audit.png")
		p.do("notifications", chromedp.Click(link("Notifications")), chromedp.WaitVisible(heading("Notifications")))
		if !strings.Contains(p.html(), "Client secret of Orders API expires in 14 days") {
			t.Error("the notification is not listed")
		}
	})

	step("no_secret_on_details_pages", func(t *testing.T) {
		p.t = t
		for _, path := range detailPages {
			p.do("open "+path, chromedp.Navigate(e.issuer+path), chromedp.WaitVisible(`//dl[@class="facts"]`))
			html := p.html()
			for _, s := range secrets {
				if strings.Contains(html, s) {
					t.Errorf("a client secret is in the HTML of %s", path)
				}
			}
		}
	})

	step("sign_out", func(t *testing.T) {
		p.t = t
		p.do("sign out", chromedp.Navigate(e.issuer+"/console/api-clients"), chromedp.WaitVisible(heading("API clients")),
			chromedp.Click(button("Sign out")), chromedp.WaitVisible(field("Password")))
		p.do("console again", chromedp.Navigate(e.issuer+"/console/users"), chromedp.WaitVisible(field("Password")))
	})

	step("no_access", func(t *testing.T) {
		p.t = t
		e.user("carol", "carol password 1")
		p.do("sign in as carol",
			chromedp.SendKeys(field("Username"), "carol"),
			chromedp.SendKeys(field("Password"), "carol password 1"),
			chromedp.Click(button("Sign in")),
			chromedp.WaitVisible(heading("No access")),
		)
		p.screenshot("console-no-access.png")
		if strings.Contains(p.html(), `href="/console/api-clients"`) {
			t.Error("the no-access page links to console pages")
		}
	})
	t.Logf("browser walk took %v", time.Since(start).Round(time.Millisecond))
}

// mustLatest is the newest secret of the first client, as the console
// showed it.
func (e *env) mustLatest(t *testing.T, secrets []string) string {
	t.Helper()
	if len(secrets) < 3 {
		t.Fatal("fewer secrets than expected")
	}
	return secrets[2]
}
