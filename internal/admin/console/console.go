package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/web"
)

// ClientID is the console's own Web App client: public, PKCE, no consent.
const ClientID = "gatehouse-console"

// Cookie names. The session cookie is scoped to the whole host (the
// management API may accept it, SPEC §5); the other two only to /console.
const (
	SessionCookie = "gatehouse_console"
	SignInCookie  = "gatehouse_console_signin"
	CSRFCookie    = "gatehouse_console_csrf"
)

// signInLifetime bounds a sign-in in progress: the authorization code
// itself lives at most 10 minutes (SPEC §2).
const signInLifetime = 10 * time.Minute

// Store is what the console reads directly; changes go through the services.
type Store interface {
	admin.Store
	store.Console
}

// Options wire the console; built only by the composition root.
type Options struct {
	// Issuer is this server's public base URL: the console signs in against
	// its endpoints over HTTP, as any relying party would.
	Issuer string
	// AdminAddr is admin.addr: when set, the console is served on that
	// listener instead of the issuer's, and signs in back to it (see
	// BaseURL).
	AdminAddr string
	Clients   *clients.Service
	Identity  *identity.Service
	Store     Store
	Templates *template.Template
	Brand     web.Brand
	// SessionLifetime bounds a console session (absolute, from sign-in).
	SessionLifetime time.Duration
	// HTTPClient reaches the issuer for the code exchange and the JWKS;
	// nil: a client with a 15 s timeout.
	HTTPClient *http.Client
	Log        *slog.Logger
	Now        func() time.Time
}

// Console serves /console: the admin console of SPEC §7.
type Console struct {
	opts     Options
	issuer   *url.URL
	base     string // where the console is served: the issuer, or the admin listener
	secure   bool
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	httpCtx  context.Context
	mu       sync.Mutex
	// ready: the client is registered as it must be.
	ready bool
	// problem, when set, is why the console cannot sign anyone in (its
	// client cannot be registered); every page shows it.
	problem string
	csp     string
}

// New builds the console and makes sure its client is registered as it
// must be for this issuer.
func New(ctx context.Context, o Options) (*Console, error) {
	iss, err := url.Parse(strings.TrimSuffix(o.Issuer, "/"))
	if err != nil || !iss.IsAbs() {
		return nil, fmt.Errorf("console: issuer %q is not an absolute URL", o.Issuer)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	for _, name := range pageNames {
		if o.Templates.Lookup(name) == nil {
			return nil, fmt.Errorf("console: template %s missing", name)
		}
	}
	issuer := iss.String()
	base := BaseURL(issuer, o.AdminAddr)
	c := &Console{opts: o, issuer: iss, base: base, secure: strings.HasPrefix(base, "https:")}
	c.httpCtx = oidc.ClientContext(context.Background(), o.HTTPClient)
	c.oauth = oauth2.Config{
		ClientID: ClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL: issuer + "/oauth2/authorize", TokenURL: issuer + "/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams, // a public client: client_id in the body
		},
		RedirectURL: base + "/console/callback",
		Scopes:      []string{oidc.ScopeOpenID, "profile"},
	}
	keySet := oidc.NewRemoteKeySet(c.httpCtx, issuer+"/.well-known/jwks.json")
	c.verifier = oidc.NewVerifier(issuer, keySet, &oidc.Config{ClientID: ClientID, Now: c.now})
	c.csp = contentSecurityPolicy(iss, o.Brand.LogoURL)
	// At start an existing client follows a changed issuer at once; a
	// missing one is registered by the first console request, so a server
	// nobody administers in the browser carries no client it does not use.
	if err := c.ensure(ctx, false); err != nil {
		return nil, err
	}
	return c, nil
}

// ensure brings the console's client in line (registering it when create
// is set), once per process; a failure is retried by the next request.
func (c *Console) ensure(ctx context.Context, create bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready || c.problem != "" {
		return nil
	}
	done, err := EnsureClient(ctx, c.opts.Clients, c.base, create)
	var ve *clients.ValidationError
	if errors.As(err, &ve) {
		// A console URL the redirect rules refuse (plain http on a public
		// host in --dev): the server runs, the console explains why not.
		c.problem = "The console cannot sign anyone in: its redirect address " + c.oauth.RedirectURL +
			" is not acceptable (" + err.Error() + "). Serve it over https, or over http on localhost."
		c.opts.Log.Error("admin console disabled", "error", err)
		return nil
	}
	if err != nil {
		return err
	}
	c.ready = done
	return nil
}

// unusable answers a console request when the console cannot serve it:
// its client could not be registered now, or cannot be at all.
func (c *Console) unusable(g *gin.Context) bool {
	if err := c.ensure(g.Request.Context(), true); err != nil {
		c.serverError(g, err)
		return true
	}
	c.mu.Lock()
	problem := c.problem
	c.mu.Unlock()
	if problem != "" {
		c.message(g, http.StatusServiceUnavailable, "Console unavailable", problem)
		return true
	}
	return false
}

func (c *Console) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now().UTC()
	}
	return time.Now().UTC()
}

// BaseURL is where the console is served: the issuer, or — with admin.addr
// set — the admin listener, addressed on the loopback interface (the one
// address that needs no TLS to be an acceptable redirect URI, SPEC §4;
// reach it through an SSH tunnel or a local proxy). A listener on another
// host makes the console refuse to sign in, with a message saying why.
func BaseURL(issuer, adminAddr string) string {
	issuer = strings.TrimSuffix(issuer, "/")
	if adminAddr == "" {
		return issuer
	}
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return issuer
	}
	switch host {
	case "", "0.0.0.0", "::", "localhost":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// EnsureClient registers the console's client, or brings it back in line
// with base — the console's URL, normally the issuer — (redirect and
// post-logout URIs, scopes, no consent) when it exists. A client of the
// wrong kind under the reserved id is replaced.
// Without create a missing client stays missing and done is false.
func EnsureClient(ctx context.Context, svc *clients.Service, base string, create bool) (done bool, err error) {
	base = strings.TrimSuffix(base, "/")
	redirects := []string{base + "/console/callback"}
	logouts := []string{base + "/console/"}
	scopes := []string{oidc.ScopeOpenID, "profile"}
	noConsent := false
	for attempt := 0; attempt < 3; attempt++ {
		c, err := svc.Store.FindClient(ctx, ClientID)
		switch {
		case errors.Is(err, store.ErrNotFound) && !create:
			return false, nil
		case errors.Is(err, store.ErrNotFound):
			id, name, public := ClientID, "Gatehouse admin console", true
			desc := "Built in: the admin console at /console signs in with this client. Its addresses follow the issuer on every start."
			_, err = svc.Create(ctx, store.ClientTypeWeb, clients.Patch{
				ClientID: &id, Name: &name, Description: &desc, Public: &public, RequireConsent: &noConsent,
				RedirectURIs: &redirects, PostLogoutRedirectURIs: &logouts, Scopes: &scopes,
			})
			if errors.Is(err, store.ErrConflict) {
				continue // another replica registered it first: check what it wrote
			}
			return err == nil, err
		case err != nil:
			return false, fmt.Errorf("console client: %w", err)
		case c.Type != store.ClientTypeWeb || !c.Public:
			if err := svc.Delete(ctx, c.Type, ClientID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return false, fmt.Errorf("console client: replace %s client: %w", c.Type, err)
			}
			create = true // the id is reserved: the console's client takes it back
			continue
		}
		if slices.Equal(c.RedirectURIs, redirects) && slices.Equal(c.PostLogoutRedirectURIs, logouts) &&
			slices.Equal(c.Scopes, scopes) && !c.RequireConsent {
			return true, nil
		}
		err = svc.Update(ctx, store.ClientTypeWeb, ClientID, clients.Patch{
			RedirectURIs: &redirects, PostLogoutRedirectURIs: &logouts, Scopes: &scopes, RequireConsent: &noConsent,
		})
		return err == nil, err
	}
	return false, errors.New("console client: kept changing while being registered")
}

// contentSecurityPolicy allows only this server's own styles and scripts
// (no inline script at all), the configured logo, forms that post here or
// to the issuer (sign-out goes on to /oauth2/logout), and no framing.
func contentSecurityPolicy(issuer *url.URL, logo string) string {
	img := "'self' data:"
	if u, err := url.Parse(logo); err == nil && u.IsAbs() && u.Host != "" {
		img += " " + u.Scheme + "://" + u.Host
	}
	origin := issuer.Scheme + "://" + issuer.Host
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; form-action 'self' " + origin + "; base-uri 'none'; frame-ancestors 'none'"
}

// Register mounts the console under /console.
func (c *Console) Register(r gin.IRouter) {
	r.GET("/console", func(g *gin.Context) { g.Redirect(http.StatusFound, "/console/") })
	g := r.Group("/console")
	g.GET("/theme.css", c.theme)
	g.GET("/callback", c.callback)
	g.POST("/logout", c.logout)

	in := g.Group("", c.authenticate)
	in.GET("/", c.home)
	cl := in.Group("", c.require(identity.ScopeClients))
	(&clientPages{c: c, typ: store.ClientTypeAPI}).register(cl.Group("/api-clients"))
	(&clientPages{c: c, typ: store.ClientTypeWeb}).register(cl.Group("/web-clients"))

	ad := in.Group("", c.require(identity.ScopeAdmin))
	ad.GET("/users", c.users)
	ad.GET("/users/new", c.newUser)
	ad.POST("/users", c.createUser)
	ad.GET("/users/:id", c.user)
	ad.POST("/users/:id/edit", c.editUser)
	ad.POST("/users/:id/password", c.resetPassword)
	ad.POST("/users/:id/enable", c.setUserEnabled(true))
	ad.POST("/users/:id/disable", c.setUserEnabled(false))
	ad.GET("/users/:id/delete", c.confirmDeleteUser)
	ad.POST("/users/:id/delete", c.deleteUser)

	ad.GET("/roles", c.roles)
	ad.GET("/roles/new", c.newRole)
	ad.POST("/roles", c.createRole)
	ad.GET("/roles/:name", c.role)
	ad.POST("/roles/:name/edit", c.editRole)
	ad.POST("/roles/:name/members", c.addMember)
	ad.POST("/roles/:name/members/remove", c.removeMember)
	ad.GET("/roles/:name/delete", c.confirmDeleteRole)
	ad.POST("/roles/:name/delete", c.deleteRole)

	ad.GET("/audit", c.auditLog)
	ad.GET("/notifications", c.notifications)
}

// theme is the configured accent colour as a stylesheet, so no page needs
// an inline style (the CSP allows none).
func (c *Console) theme(g *gin.Context) {
	g.Header("Cache-Control", "public, max-age=300")
	css := ""
	if c.opts.Brand.AccentColor != "" {
		css = ":root { --accent: " + c.opts.Brand.AccentColor + "; }\n"
	}
	g.Data(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

// home sends the user to the first page they may use.
func (c *Console) home(g *gin.Context) {
	g.Redirect(http.StatusFound, "/console/api-clients")
}
