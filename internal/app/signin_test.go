package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

const (
	rpCallback  = "http://127.0.0.1:9/callback" // never dialled: the browser stops there
	rpLoggedOut = "http://127.0.0.1:9/bye"
	testUser    = "ada"
	testPass    = "correct horse battery staple"
)

// flowEnv is a Gatehouse whose issuer is its own loopback URL, so go-oidc
// can discover it, with one user.
type flowEnv struct {
	t      *testing.T
	app    *App
	srv    *httptest.Server
	issuer string
	user   *store.User
}

func newFlowEnv(t *testing.T, dsn string, environ ...string) *flowEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	a := buildApp(t, append([]string{"GATEHOUSE_DEV=true", "GATEHOUSE_DSN=" + dsn, "GATEHOUSE_ISSUER=" + issuer}, environ...)...)
	st := a.Store
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ids := &identity.Service{Store: st, ClientDomain: "clients.127.0.0.1"}
	name, email, display, pass := testUser, "ada@example.com", "Ada Lovelace", testPass
	u, err := ids.CreateUser(context.Background(), identity.UserPatch{Username: &name, Email: &email, Name: &display, Password: &pass})
	if err != nil {
		t.Fatal(err)
	}
	return &flowEnv{t: t, app: a, srv: srv, issuer: issuer, user: u}
}

// webClient registers a Web App client; secret is empty for a public one.
func (e *flowEnv) webClient(public, consent bool, scopes ...string) (id, secret string) {
	e.t.Helper()
	redirects, logouts, origins := []string{rpCallback}, []string{rpLoggedOut}, []string{"https://spa.example"}
	name := "Example app"
	p := clients.Patch{Name: &name, Public: &public, RequireConsent: &consent, RedirectURIs: &redirects,
		PostLogoutRedirectURIs: &logouts, AllowedCORSOrigins: &origins}
	if len(scopes) > 0 {
		p.Scopes = &scopes
	}
	svc := &clients.Service{Store: e.app.Store, Hasher: e.app.Hasher}
	c, err := svc.Create(context.Background(), store.ClientTypeWeb, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Client.ID, c.Secret
}

// browser is a cookie-keeping HTTP client that stops at the relying party.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "127.0.0.1:9" {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

type page struct {
	status   int
	body     string
	location *url.URL // set when the browser stopped at the relying party
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, body: string(body), header: resp.Header}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		p.location, _ = url.Parse(loc)
	}
	return p
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

var inputRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// submit posts the page's form at action with its hidden fields plus extra.
func (b *browser) submit(base string, p page, action string, extra url.Values) page {
	b.t.Helper()
	if !strings.Contains(p.body, `action="`+action+`"`) {
		b.t.Fatalf("no form posting to %s on page (%d):\n%s", action, p.status, p.body)
	}
	form := url.Values{}
	for _, m := range inputRe.FindAllStringSubmatch(p.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, base+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func randomString() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rp is the relying party: go-oidc + x/oauth2, as a real app uses them.
type rp struct {
	env      *flowEnv
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
	provider *oidc.Provider
}

func (e *flowEnv) relyingParty(id, secret string, scopes ...string) *rp {
	e.t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", "offline_access"}
	}
	conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: rpCallback, Scopes: scopes}
	if secret == "" {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return &rp{env: e, conf: conf, verifier: provider.Verifier(&oidc.Config{ClientID: id}), provider: provider}
}

type authStart struct {
	url, state, nonce, verifier string
}

func (r *rp) start(extra ...oauth2.AuthCodeOption) authStart {
	s := authStart{state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier()}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(s.nonce), oauth2.S256ChallengeOption(s.verifier)}, extra...)
	s.url = r.conf.AuthCodeURL(s.state, opts...)
	return s
}

// signIn runs the browser through login (and consent when shown) and
// returns where it landed at the relying party.
func (e *flowEnv) signIn(b *browser, s authStart, decision string) *url.URL {
	e.t.Helper()
	p := b.get(s.url)
	if strings.Contains(p.body, `action="/login"`) {
		p = b.submit(e.issuer, p, "/login", url.Values{"username": {testUser}, "password": {testPass}})
	}
	if strings.Contains(p.body, `action="/consent"`) {
		if !strings.Contains(p.body, "Example app") || !strings.Contains(p.body, "See your e-mail address") {
			e.t.Errorf("consent page lacks client name or scope words:\n%s", p.body)
		}
		p = b.submit(e.issuer, p, "/consent", url.Values{"decision": {decision}})
	}
	if p.location == nil {
		e.t.Fatalf("did not return to the app: %d\n%s", p.status, p.body)
	}
	return p.location
}

// exchange redeems the code and verifies the ID token as an app would.
func (r *rp) exchange(s authStart, back *url.URL) (*oauth2.Token, *oidc.IDToken) {
	t := r.env.t
	t.Helper()
	q := back.Query()
	if q.Get("state") != s.state {
		t.Fatalf("state %q, want %q", q.Get("state"), s.state)
	}
	if q.Get("iss") != r.env.issuer {
		t.Errorf("iss %q, want %q (RFC 9207)", q.Get("iss"), r.env.issuer)
	}
	if q.Get("error") != "" {
		t.Fatalf("authorization error %s: %s", q.Get("error"), q.Get("error_description"))
	}
	tok, err := r.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(s.verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != s.nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, s.nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	return tok, idt
}

func TestSignInPublicClientWithPKCE(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newFlowEnv(t, b.NewDSN(t))
			id, _ := e.webClient(true, true)
			r := e.relyingParty(id, "")
			br := newBrowser(t)

			s := r.start()
			tok, idt := r.exchange(s, e.signIn(br, s, "allow"))
			var claims struct {
				Sub, Name, PreferredUsername, Email, Azp string
				EmailVerified                            *bool `json:"email_verified"`
				AuthTime                                 int64 `json:"auth_time"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			_ = idt.Claims(&raw)
			if claims.Sub != e.user.ID || raw["preferred_username"] != testUser || raw["name"] != "Ada Lovelace" ||
				raw["email"] != "ada@example.com" || raw["azp"] != id || claims.AuthTime == 0 || claims.EmailVerified == nil {
				t.Errorf("ID token claims: %v", raw)
			}
			if tok.RefreshToken == "" {
				t.Errorf("no refresh token although offline_access was granted")
			}

			// Userinfo with the access token.
			ui, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
			if err != nil || ui.Subject != e.user.ID || ui.Email != "ada@example.com" {
				t.Errorf("userinfo: %v %+v", err, ui)
			}

			// Consent is remembered: the second sign-in goes straight back.
			s2 := r.start()
			p := br.get(s2.url)
			if p.location == nil {
				t.Fatalf("consent not remembered: %d\n%s", p.status, p.body)
			}
			r.exchange(s2, p.location)

			// prompt=consent asks again; prompt=login asks for the password again.
			s3 := r.start(oauth2.SetAuthURLParam("prompt", "consent"))
			if p := br.get(s3.url); !strings.Contains(p.body, `action="/consent"`) {
				t.Errorf("prompt=consent did not show the consent screen")
			}
			s4 := r.start(oauth2.SetAuthURLParam("prompt", "login"))
			p = br.get(s4.url)
			if !strings.Contains(p.body, `action="/login"`) {
				t.Fatalf("prompt=login did not ask to sign in")
			}
			p = br.submit(e.issuer, p, "/login", url.Values{"username": {testUser}, "password": {testPass}})
			if p.location == nil {
				t.Fatalf("after prompt=login sign-in: %d %s", p.status, p.body)
			}
			r.exchange(s4, p.location)
		})
	}
}

func TestSignInDenyAndNoConsentClient(t *testing.T) {
	e := newFlowEnv(t, sqltest.SQLiteDSN(t))
	id, _ := e.webClient(true, true)
	r := e.relyingParty(id, "")
	s := r.start()
	back := e.signIn(newBrowser(t), s, "deny")
	if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != s.state {
		t.Errorf("deny: %v", back)
	}

	quiet, _ := e.webClient(true, false)
	r2 := e.relyingParty(quiet, "")
	br := newBrowser(t)
	s2 := r2.start()
	p := br.get(s2.url)
	p = br.submit(e.issuer, p, "/login", url.Values{"username": {testUser}, "password": {testPass}})
	if p.location == nil || strings.Contains(p.body, "/consent") {
		t.Fatalf("require_consent false still showed consent: %d %s", p.status, p.body)
	}
	r2.exchange(s2, p.location)
}

func TestConfidentialClientRefreshRotationAndReuse(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newFlowEnv(t, b.NewDSN(t))
			id, secret := e.webClient(false, false)
			if secret == "" {
				t.Fatal("a confidential client got no secret")
			}
			r := e.relyingParty(id, secret)
			s := r.start()
			tok, _ := r.exchange(s, e.signIn(newBrowser(t), s, "allow"))

			ctx := context.Background()
			refresh := func(rt string) (*oauth2.Token, error) {
				return r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
			}
			tok2, err := refresh(tok.RefreshToken)
			if err != nil || tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken {
				t.Fatalf("rotation: %v %+v", err, tok2)
			}
			if raw, _ := tok2.Extra("id_token").(string); raw != "" {
				if _, err := r.verifier.Verify(ctx, raw); err != nil {
					t.Errorf("refreshed ID token: %v", err)
				}
			}
			// Reusing the rotated-out token fails and revokes the family.
			_, err = refresh(tok.RefreshToken)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("reuse: %v", err)
			}
			if _, err := refresh(tok2.RefreshToken); err == nil {
				t.Errorf("the newest refresh token survived reuse detection")
			}
			if active := e.introspect(id, secret, tok2.AccessToken); active {
				t.Errorf("access token of a revoked family is still active")
			}
		})
	}
}

func (e *flowEnv) introspect(id, secret, token string) bool {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Active bool }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.Active
}

func TestCodeReplayRevokes(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newFlowEnv(t, b.NewDSN(t))
			id, secret := e.webClient(false, false)
			r := e.relyingParty(id, secret)
			s := r.start()
			back := e.signIn(newBrowser(t), s, "allow")
			tok, _ := r.exchange(s, back)
			if !e.introspect(id, secret, tok.AccessToken) {
				t.Fatal("fresh token inactive")
			}
			_, err := r.conf.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(s.verifier))
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("replay: %v", err)
			}
			if e.introspect(id, secret, tok.AccessToken) {
				t.Errorf("the replayed code's access token is still active")
			}
		})
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	e := newFlowEnv(t, sqltest.SQLiteDSN(t))
	id, _ := e.webClient(true, true)
	r := e.relyingParty(id, "")
	br := newBrowser(t)

	// Wrong redirect_uri: an error page, never a redirect.
	wrong := r.conf
	wrong.RedirectURL = "http://127.0.0.1:9/elsewhere"
	p := br.get(wrong.AuthCodeURL("state-123456", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if p.location != nil || p.status != http.StatusBadRequest || !strings.Contains(p.body, "<h1>") {
		t.Errorf("wrong redirect_uri: %d %v", p.status, p.location)
	}
	if p.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("error page headers: %v", p.header)
	}

	// Missing PKCE for a public client: refused (to the client).
	p = br.get(r.conf.AuthCodeURL("state-123456", oidc.Nonce("nonce-123456")))
	if p.location == nil || p.location.Query().Get("error") != "invalid_request" {
		t.Errorf("missing PKCE: %d %v %s", p.status, p.location, p.body)
	}

	// plain PKCE is refused.
	p = br.get(r.conf.AuthCodeURL("state-123456", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
		oauth2.SetAuthURLParam("code_challenge_method", "plain")))
	if p.location == nil || p.location.Query().Get("error") == "" {
		t.Errorf("plain PKCE accepted: %d %v", p.status, p.location)
	}

	// prompt=none without a session.
	s := r.start(oauth2.SetAuthURLParam("prompt", "none"))
	p = br.get(s.url)
	if p.location == nil || p.location.Query().Get("error") != "login_required" || p.location.Query().Get("iss") != e.issuer {
		t.Errorf("prompt=none: %d %v", p.status, p.location)
	}

	// Same message for an unknown user and a wrong password; throttled after five.
	login := br.get(r.start().url)
	a := br.submit(e.issuer, login, "/login", url.Values{"username": {"nobody"}, "password": {"x"}})
	bb := br.submit(e.issuer, login, "/login", url.Values{"username": {testUser}, "password": {"wrong"}})
	msg := regexp.MustCompile(`<p class="error" role="alert">([^<]*)</p>`)
	ma, mb := msg.FindStringSubmatch(a.body), msg.FindStringSubmatch(bb.body)
	if ma == nil || mb == nil || ma[1] != mb[1] || a.status != bb.status {
		t.Errorf("login failures differ: %q vs %q", ma, mb)
	}
	for range 5 {
		bb = br.submit(e.issuer, login, "/login", url.Values{"username": {testUser}, "password": {"wrong"}})
	}
	if bb.status != http.StatusTooManyRequests {
		t.Errorf("no throttling after repeated failures: %d", bb.status)
	}
	// Even the right password waits now.
	ok := br.submit(e.issuer, login, "/login", url.Values{"username": {testUser}, "password": {testPass}})
	if ok.status != http.StatusTooManyRequests {
		t.Errorf("throttled user signed in: %d", ok.status)
	}

	// A form without the CSRF token is refused.
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/login", strings.NewReader(url.Values{"username": {"x"}, "password": {"y"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := newBrowser(t).do(req); p.status != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d", p.status)
	}
}

func TestLogout(t *testing.T) {
	e := newFlowEnv(t, sqltest.SQLiteDSN(t))
	id, _ := e.webClient(true, false)
	r := e.relyingParty(id, "")
	br := newBrowser(t)
	s := r.start()
	tok, _ := r.exchange(s, e.signIn(br, s, "allow"))
	rawID, _ := tok.Extra("id_token").(string)

	// With a valid id_token_hint: signed out at once, back with state.
	q := url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {rpLoggedOut}, "state": {"bye-state"}}
	p := br.get(e.issuer + "/oauth2/logout?" + q.Encode())
	if p.location == nil || p.location.String() != rpLoggedOut+"?state=bye-state" {
		t.Fatalf("logout with hint: %d %v %s", p.status, p.location, p.body)
	}
	if p := br.get(r.start().url); !strings.Contains(p.body, `action="/login"`) {
		t.Errorf("session survived logout")
	}

	// An unregistered post_logout_redirect_uri: error page, no redirect.
	q.Set("post_logout_redirect_uri", "https://evil.example/")
	if p := br.get(e.issuer + "/oauth2/logout?" + q.Encode()); p.location != nil || p.status != http.StatusBadRequest {
		t.Errorf("unregistered logout target: %d %v", p.status, p.location)
	}

	// Without a hint: the user confirms first.
	s2 := r.start()
	r.exchange(s2, e.signIn(br, s2, "allow"))
	q = url.Values{"client_id": {id}, "post_logout_redirect_uri": {rpLoggedOut}, "state": {"s2"}}
	p = br.get(e.issuer + "/oauth2/logout?" + q.Encode())
	if p.location != nil || !strings.Contains(p.body, `action="/logout"`) {
		t.Fatalf("no confirmation without hint: %d %v", p.status, p.location)
	}
	p = br.submit(e.issuer, p, "/logout", nil)
	if p.location == nil || p.location.Query().Get("state") != "s2" {
		t.Fatalf("after confirm: %d %v", p.status, p.location)
	}
	for _, c := range br.hc.Jar.Cookies(mustURL(e.issuer)) {
		if c.Name == "gatehouse_session" {
			t.Errorf("session cookie not cleared")
		}
	}
}

func TestCORS(t *testing.T) {
	e := newFlowEnv(t, sqltest.SQLiteDSN(t))
	id, _ := e.webClient(true, false)
	other, _ := e.webClient(true, false) // same origins list, different client
	_ = other

	pre, _ := http.NewRequest(http.MethodOptions, e.issuer+"/oauth2/token", nil)
	pre.Header.Set("Origin", "https://spa.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://spa.example" {
		t.Errorf("preflight from a listed origin: %v", resp.Header)
	}
	pre.Header.Set("Origin", "https://unknown.example")
	resp, _ = http.DefaultClient.Do(pre)
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from an unlisted origin allowed")
	}

	post := func(clientID, origin string) string {
		req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth2/revoke",
			strings.NewReader(url.Values{"token": {"x"}, "client_id": {clientID}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if got := post(id, "https://spa.example"); got != "https://spa.example" {
		t.Errorf("actual request from the client's origin: %q", got)
	}
	if got := post(id, "https://unknown.example"); got != "" {
		t.Errorf("actual request from another origin allowed: %q", got)
	}

	for _, doc := range []string{"/.well-known/openid-configuration", "/.well-known/jwks.json"} {
		resp, err := http.Get(e.issuer + doc)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s not open to any origin", doc)
		}
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
