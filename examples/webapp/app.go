package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// config is what the app needs to know about itself and Gatehouse.
type config struct {
	Issuer       string // Gatehouse's issuer URL, e.g. http://localhost:8080
	ClientID     string
	ClientSecret string // empty: a public client (PKCE only)
	URL          string // this app's base URL as the browser sees it
}

// Cookie names. They differ from Gatehouse's own (gatehouse_*): cookies
// ignore ports, so on 127.0.0.1 both apps see each other's.
const (
	sessionCookie = "webapp_session" // random id of the server-side session
	authCookie    = "webapp_auth"    // state, nonce and PKCE verifier of a sign-in in progress
	logoutCookie  = "webapp_logout"  // state of a sign-out in progress
)

const (
	authCookieLifetime = 10 * time.Minute
	sessionLifetime    = 8 * time.Hour
)

// session is what the app remembers about a signed-in browser.
type session struct {
	Claims     map[string]any
	RawIDToken string
	CSRF       string // echoed by the sign-out form
	Expires    time.Time
}

type app struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	issuer     string
	endSession string // Gatehouse's end_session_endpoint; empty if it has none
	home       string // post_logout_redirect_uri: this app's root
	secure     bool   // mark cookies Secure (the app is served over https)

	mu       sync.Mutex
	sessions map[string]*session
}

// newApp discovers the issuer and returns the app's handler. ctx bounds
// discovery only.
func newApp(ctx context.Context, cfg config) (http.Handler, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("a client id is required (--client-id)")
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("app URL %q: want http(s)://host[:port]", cfg.URL)
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	provider, err := oidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		EndSession  string   `json:"end_session_endpoint"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	endpoint := provider.Endpoint()
	if cfg.ClientSecret == "" {
		// A public client authenticates with "none": client_id in the body, no secret.
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	} else if slices.Contains(meta.AuthMethods, "client_secret_basic") {
		endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	a := &app{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  base.String() + "/callback",
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier:   provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		issuer:     cfg.Issuer,
		endSession: meta.EndSession,
		home:       base.String() + "/",
		secure:     base.Scheme == "https",
		sessions:   map[string]*session{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("POST /logout", a.logout)
	return securityHeaders(mux), nil
}

// securityHeaders: no framing, no scripts, nothing cached.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *app) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	secs := int(maxAge / time.Second)
	if maxAge < 0 {
		secs = -1
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: secs,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (a *app) clearCookie(w http.ResponseWriter, name string) { a.setCookie(w, name, "", -1) }

// current returns the browser's session, or nil.
func (a *app) current(r *http.Request) (string, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[c.Value]
	if s == nil {
		return "", nil
	}
	if time.Now().After(s.Expires) {
		delete(a.sessions, c.Value)
		return "", nil
	}
	return c.Value, s
}

// index shows the claims when signed in, else a sign-in link. After a
// sign-out, Gatehouse sends the browser back here with the state we gave it.
func (a *app) index(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Example app"}
	if _, s := a.current(r); s != nil {
		data.Session = s
		data.Name, _ = s.Claims["name"].(string)
		data.Username, _ = s.Claims["preferred_username"].(string)
		pretty, _ := json.MarshalIndent(s.Claims, "", "  ")
		data.ClaimsJSON = string(pretty)
	} else if st := r.URL.Query().Get("state"); st != "" {
		if c, err := r.Cookie(logoutCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(st)) == 1 {
			data.Notice = "You are signed out of this app and of Gatehouse."
			a.clearCookie(w, logoutCookie)
		}
	}
	render(w, http.StatusOK, data)
}

// login starts the authorization code flow with PKCE (S256), state and
// nonce, all three kept in a short-lived HttpOnly cookie.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	a.setCookie(w, authCookie, state+"."+nonce+"."+verifier, authCookieLifetime)
	target := a.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, target, http.StatusFound)
}

// callback finishes sign-in: check state, redeem the code with the PKCE
// verifier, verify the ID token (signature, issuer, audience, expiry), its
// nonce and at_hash, then start a session.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(authCookie)
	if err != nil {
		a.fail(w, http.StatusBadRequest, "No sign-in in progress (it may have taken longer than 10 minutes).", nil)
		return
	}
	a.clearCookie(w, authCookie)
	parts := strings.Split(c.Value, ".")
	q := r.URL.Query()
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		a.fail(w, http.StatusBadRequest, "The sign-in response does not match the request (state).", nil)
		return
	}
	nonce, verifier := parts[1], parts[2]
	// RFC 9207: the authorization server names itself in the response.
	if iss := q.Get("iss"); iss != "" && iss != a.issuer {
		a.fail(w, http.StatusBadRequest, "The sign-in response came from another issuer.", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		msg := "Sign-in did not complete: " + e
		if d := q.Get("error_description"); d != "" {
			msg += " (" + d + ")"
		}
		a.fail(w, http.StatusForbidden, msg, nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := a.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		a.fail(w, http.StatusBadGateway, "Redeeming the authorization code failed.", err)
		return
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		a.fail(w, http.StatusBadGateway, "The token response has no ID token.", nil)
		return
	}
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		a.fail(w, http.StatusBadGateway, "The ID token is not valid.", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		a.fail(w, http.StatusBadRequest, "The ID token does not belong to this sign-in (nonce).", nil)
		return
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			a.fail(w, http.StatusBadGateway, "The access token does not match the ID token (at_hash).", err)
			return
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		a.fail(w, http.StatusBadGateway, "The ID token's claims are unreadable.", err)
		return
	}
	// A fresh session id on every sign-in; an old one is forgotten.
	old, _ := a.current(r)
	id := randomString()
	now := time.Now()
	a.mu.Lock()
	delete(a.sessions, old)
	for k, s := range a.sessions { // drop expired ones while we are here
		if now.After(s.Expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = &session{Claims: claims, RawIDToken: raw, CSRF: randomString(), Expires: now.Add(sessionLifetime)}
	a.mu.Unlock()
	a.setCookie(w, sessionCookie, id, sessionLifetime)
	http.Redirect(w, r, a.home, http.StatusSeeOther)
}

// logout ends the local session, then sends the browser to Gatehouse's
// end_session_endpoint (RP-Initiated Logout 1.0 §2) to end that one too.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	id, s := a.current(r)
	if s == nil {
		http.Redirect(w, r, a.home, http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf_token")), []byte(s.CSRF)) != 1 {
		a.fail(w, http.StatusForbidden, "The sign-out request did not come from this app.", nil)
		return
	}
	a.mu.Lock()
	delete(a.sessions, id)
	a.mu.Unlock()
	a.clearCookie(w, sessionCookie)
	if a.endSession == "" {
		http.Redirect(w, r, a.home, http.StatusSeeOther)
		return
	}
	state := randomString()
	a.setCookie(w, logoutCookie, state, authCookieLifetime)
	u, err := url.Parse(a.endSession)
	if err != nil {
		a.fail(w, http.StatusBadGateway, "Gatehouse's end_session_endpoint is not a URL.", err)
		return
	}
	v := u.Query()
	v.Set("id_token_hint", s.RawIDToken)
	v.Set("post_logout_redirect_uri", a.home)
	v.Set("state", state)
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// fail shows an error page; the cause, if any, is logged, not shown.
func (a *app) fail(w http.ResponseWriter, status int, msg string, cause error) {
	if cause != nil {
		log.Printf("webapp: %s (%v)", msg, cause)
	}
	render(w, status, pageData{Title: "Sign-in problem", Error: msg})
}

type pageData struct {
	Title      string
	Session    *session
	Name       string
	Username   string
	ClaimsJSON string
	Notice     string
	Error      string
}

func render(w http.ResponseWriter, status int, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := page.Execute(w, data); err != nil {
		log.Printf("webapp: render: %v", err)
	}
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d2430; }
pre { background: #f3f5f8; padding: 1rem; overflow-x: auto; font-size: 14px; }
.notice { background: #e8f5ec; padding: .5rem 1rem; }
.error { background: #fdecec; padding: .5rem 1rem; }
a.button, button { display: inline-block; background: #2456d3; color: #fff; border: 0; padding: .5rem 1rem; font: inherit; text-decoration: none; cursor: pointer; }
</style>
</head>
<body>
<h1>Example app</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>
<p><a href="/">Back to the start page</a></p>
{{else if .Session}}<p id="greeting">Signed in as <strong id="name">{{.Name}}</strong> (<span id="username">{{.Username}}</span>).</p>
<h2>Claims of your ID token</h2>
<pre id="claims">{{.ClaimsJSON}}</pre>
<form method="post" action="/logout">
  <input type="hidden" name="csrf_token" value="{{.Session.CSRF}}">
  <button type="submit">Sign out</button>
</form>
{{else}}{{if .Notice}}<p class="notice" id="notice" role="status">{{.Notice}}</p>
{{end}}<p>You are not signed in.</p>
<p><a class="button" href="/login">Sign in</a></p>
{{end}}</body>
</html>
`))
