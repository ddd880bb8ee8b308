package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/audit"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// viewer is the signed-in console user, as checked on this very request.
type viewer struct {
	UserID   string
	Username string
	Name     string
	// Admin: gatehouse:admin (everything). Clients: gatehouse:clients or
	// gatehouse:admin (the client pages).
	Admin   bool
	Clients bool

	session *store.ConsoleSession
	token   string // the cookie value: the flash key and API CSRF token derive from it
	scopes  []string
	flash   flash
}

const viewerKey = "gatehouse.console.viewer"

func viewerOf(g *gin.Context) *viewer {
	v, _ := g.Get(viewerKey)
	vw, _ := v.(*viewer)
	return vw
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Console) setCookie(g *gin.Context, name, value, path string, maxAge int) {
	http.SetCookie(g.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

// authenticate runs before every console page and form: it finds the
// session, reloads the user and their roles' scopes — on every request, so
// a removed role or a disabled user takes effect at once — and refuses
// anyone without gatehouse:admin or gatehouse:clients. A browser without a
// session is sent to sign in (GET) or refused (any other method).
func (c *Console) authenticate(g *gin.Context) {
	if c.unusable(g) {
		g.Abort()
		return
	}
	v, err := c.currentViewer(g)
	if err != nil {
		c.serverError(g, err)
		g.Abort()
		return
	}
	if v == nil {
		if g.Request.Method == http.MethodGet {
			c.startSignIn(g, g.Request.URL.RequestURI())
		} else {
			c.message(g, http.StatusForbidden, "Not signed in", "Your console session has ended. Sign in again and repeat the change.")
		}
		g.Abort()
		return
	}
	g.Set(viewerKey, v)
	g.Request = g.Request.WithContext(audit.WithActor(g.Request.Context(), v.Username))
	if !v.Clients {
		c.noAccess(g, "The console is for users who hold "+identity.ScopeAdmin+" or "+identity.ScopeClients+
			" through a role. Your account ("+v.Username+") holds neither. Ask an administrator to add you to a role.")
		g.Abort()
		return
	}
	if g.Request.Method != http.MethodGet && g.Request.Method != http.MethodHead && !c.checkCSRF(g) {
		c.message(g, http.StatusForbidden, "Request refused",
			"The form was not sent by this console page (its security token is missing or wrong). Reload the page and try again.")
		g.Abort()
		return
	}
	g.Next()
}

// require refuses a page to a viewer without scope (gatehouse:admin implies
// every scope).
func (c *Console) require(scope string) gin.HandlerFunc {
	return func(g *gin.Context) {
		v := viewerOf(g)
		ok := v != nil && (v.Admin || (scope == identity.ScopeClients && v.Clients))
		if !ok {
			c.noAccess(g, "This page needs "+scope+". Your account holds "+identity.ScopeClients+
				" only, which covers the client pages.")
			g.Abort()
			return
		}
		g.Next()
	}
}

// currentViewer loads the signed-in, enabled user of the request's session
// cookie, or nil, and takes the session's one-time message.
func (c *Console) currentViewer(g *gin.Context) (*viewer, error) {
	v, err := c.sessionViewer(g.Request)
	if v == nil || err != nil {
		return nil, err
	}
	if v.session.Flash != "" {
		raw, err := c.opts.Store.TakeConsoleFlash(g.Request.Context(), v.session.ID)
		if err != nil {
			return nil, err
		}
		v.flash = openFlash(v.token, raw)
	}
	return v, nil
}

// APICSRFHeader carries the session's CSRF token on management-API writes
// authenticated by the console cookie.
const APICSRFHeader = "X-CSRF-Token"

// SessionCaller lets the console's session cookie authenticate at the
// management API (SPEC §5), with the same checks as a console page: a live
// session of an enabled user, whose scopes are read afresh.
func (c *Console) SessionCaller(r *http.Request) (*admin.Caller, bool, error) {
	v, err := c.sessionViewer(r)
	if v == nil || err != nil {
		return nil, false, err
	}
	csrf := r.Header.Get(APICSRFHeader)
	ok := csrf != "" && subtle.ConstantTimeCompare([]byte(csrf), []byte(apiCSRFToken(v.token))) == 1
	return &admin.Caller{Username: v.Username, Scopes: v.scopes}, ok, nil
}

// apiCSRFToken is bound to the session: a MAC of the session's cookie
// token, which only this browser (the cookie is HttpOnly) and the server
// can compute. Console pages publish it for scripts in
// <meta name="csrf-token">, as Rails does.
func apiCSRFToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("gatehouse management-api csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionViewer loads the signed-in, enabled user of r's session cookie,
// or nil.
func (c *Console) sessionViewer(r *http.Request) (*viewer, error) {
	cookie, err := r.Cookie(SessionCookie)
	if err != nil || cookie.Value == "" {
		return nil, nil
	}
	token := cookie.Value
	ctx := r.Context()
	s, err := c.opts.Store.FindConsoleSession(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := c.opts.Store.FindUser(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
		_ = c.opts.Store.DeleteConsoleSession(ctx, s.ID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	scopes, err := c.opts.Identity.ScopesOf(ctx, u.Username)
	if err != nil {
		return nil, err
	}
	v := &viewer{UserID: u.ID, Username: u.Username, Name: u.Name, session: s, token: token, scopes: scopes}
	v.Admin = slices.Contains(scopes, identity.ScopeAdmin)
	v.Clients = v.Admin || slices.Contains(scopes, identity.ScopeClients)
	return v, nil
}

// --- signing in: authorization code + PKCE against this very server ---

// startSignIn records state, nonce and PKCE verifier server-side, binds
// them to this browser with a cookie, and sends it to /oauth2/authorize.
func (c *Console) startSignIn(g *gin.Context, returnTo string) {
	if !strings.HasPrefix(returnTo, "/console/") || strings.HasPrefix(returnTo, "/console/callback") {
		returnTo = "/console/"
	}
	token := randomToken()
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	now := c.now()
	err := c.opts.Store.CreateConsoleSignIn(g.Request.Context(), &store.ConsoleSignIn{
		ID: hashToken(token), State: state, Nonce: nonce, CodeVerifier: verifier, ReturnTo: returnTo,
		CreatedAt: now, ExpiresAt: now.Add(signInLifetime),
	})
	if err != nil {
		c.serverError(g, err)
		return
	}
	c.setCookie(g, SignInCookie, token, "/console/", int(signInLifetime.Seconds()))
	g.Header("Cache-Control", "no-store")
	g.Redirect(http.StatusFound, c.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
}

// callback finishes the sign-in: the state must be this browser's, the
// code is exchanged at the token endpoint with the PKCE verifier, and the
// ID token must verify against the JWKS and carry our nonce.
func (c *Console) callback(g *gin.Context) {
	if c.unusable(g) {
		return
	}
	ctx := g.Request.Context()
	q := g.Request.URL.Query()
	token, _ := g.Cookie(SignInCookie)
	c.setCookie(g, SignInCookie, "", "/console/", -1)
	if token == "" {
		c.signInFailed(g, "This sign-in was not started in this browser, or it took too long.")
		return
	}
	pending, err := c.opts.Store.TakeConsoleSignIn(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		c.signInFailed(g, "This sign-in has expired or was already used.")
		return
	}
	if err != nil {
		c.serverError(g, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pending.State)) != 1 {
		c.signInFailed(g, "The answer did not belong to this sign-in (state mismatch).")
		return
	}
	// RFC 9207: the answer must come from our issuer.
	if iss := q.Get("iss"); iss != "" && iss != c.issuer.String() {
		c.signInFailed(g, "The answer came from another issuer.")
		return
	}
	if e := q.Get("error"); e != "" {
		msg := "The sign-in was refused (" + e + ")."
		if d := q.Get("error_description"); d != "" {
			msg = "The sign-in was refused: " + d
		}
		c.signInFailed(g, msg)
		return
	}
	tok, err := c.oauth.Exchange(oidc.ClientContext(ctx, c.opts.HTTPClient), q.Get("code"), oauth2.VerifierOption(pending.CodeVerifier))
	if err != nil {
		c.opts.Log.WarnContext(ctx, "console sign-in: code exchange failed", "error", err)
		c.signInFailed(g, "The sign-in could not be completed (the code was refused).")
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := c.verifier.Verify(oidc.ClientContext(ctx, c.opts.HTTPClient), rawID)
	if err != nil {
		c.opts.Log.WarnContext(ctx, "console sign-in: ID token refused", "error", err)
		c.signInFailed(g, "The sign-in could not be completed (the ID token did not verify).")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pending.Nonce)) != 1 {
		c.signInFailed(g, "The sign-in could not be completed (nonce mismatch).")
		return
	}
	u, err := c.opts.Store.FindUser(ctx, idt.Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
		c.signInFailed(g, "Your account is not available.")
		return
	}
	if err != nil {
		c.serverError(g, err)
		return
	}
	// A new session on every sign-in; an older console cookie is dropped.
	if old, err := g.Cookie(SessionCookie); err == nil && old != "" {
		_ = c.opts.Store.DeleteConsoleSession(ctx, hashToken(old))
	}
	session := randomToken()
	now := c.now()
	err = c.opts.Store.CreateConsoleSession(ctx, &store.ConsoleSession{
		ID: hashToken(session), UserID: u.ID, IDToken: rawID, CreatedAt: now, ExpiresAt: now.Add(c.opts.SessionLifetime),
	})
	if err != nil {
		c.serverError(g, err)
		return
	}
	c.setCookie(g, SessionCookie, session, "/", int(c.opts.SessionLifetime.Seconds()))
	c.opts.Log.InfoContext(ctx, "console sign-in", "username", u.Username)
	g.Redirect(http.StatusSeeOther, pending.ReturnTo)
}

func (c *Console) signInFailed(g *gin.Context, why string) {
	c.render(g, http.StatusBadRequest, pageMessage, map[string]any{
		"Title": "Sign-in failed", "Message": why, "Link": "/console/", "LinkText": "Sign in again",
	})
}

// logout ends the console session and then the Gatehouse sign-in session
// through RP-Initiated Logout, with the ID token as hint so no confirmation
// page is needed; Gatehouse returns the browser to /console/.
func (c *Console) logout(g *gin.Context) {
	if !c.checkCSRF(g) {
		c.message(g, http.StatusForbidden, "Request refused",
			"The form was not sent by this console page (its security token is missing or wrong). Reload the page and try again.")
		return
	}
	ctx := g.Request.Context()
	var hint string
	if token, err := g.Cookie(SessionCookie); err == nil && token != "" {
		if s, err := c.opts.Store.FindConsoleSession(ctx, hashToken(token)); err == nil {
			hint = s.IDToken
		}
		if err := c.opts.Store.DeleteConsoleSession(ctx, hashToken(token)); err != nil {
			c.serverError(g, err)
			return
		}
	}
	c.setCookie(g, SessionCookie, "", "/", -1)
	q := url.Values{"client_id": {ClientID}, "post_logout_redirect_uri": {c.base + "/console/"}}
	if hint != "" {
		q.Set("id_token_hint", hint)
	}
	g.Redirect(http.StatusSeeOther, c.issuer.String()+"/oauth2/logout?"+q.Encode())
}

// --- CSRF: a random token in an HttpOnly cookie, echoed by every form ---

func (c *Console) csrfToken(g *gin.Context) string {
	if t, ok := g.Get("gatehouse.console.csrf"); ok {
		return t.(string)
	}
	t, err := g.Cookie(CSRFCookie)
	if err != nil || len(t) < 32 {
		t = randomToken()
		c.setCookie(g, CSRFCookie, t, "/console/", 0)
	}
	g.Set("gatehouse.console.csrf", t)
	return t
}

func (c *Console) checkCSRF(g *gin.Context) bool {
	cookie, err := g.Cookie(CSRFCookie)
	form := g.PostForm("csrf_token")
	return err == nil && len(cookie) >= 32 &&
		subtle.ConstantTimeCompare([]byte(cookie), []byte(form)) == 1
}

// --- flash: a one-time message for the next page ---

// flash is what one request hands the next: a notice, or a client secret
// to show exactly once.
type flash struct {
	Notice    string `json:"notice,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Secret    string `json:"secret,omitempty"`
	ExpiresOn string `json:"expires_on,omitempty"`
	// Regenerated: the secret replaces an earlier one (else: a new client).
	Regenerated bool `json:"regenerated,omitempty"`
}

func flashKey(token string) []byte {
	sum := sha256.Sum256([]byte("gatehouse console flash\x00" + token))
	return sum[:]
}

// setFlash seals f with a key derived from the session cookie — which the
// database never holds — so a secret in transit to its page is not
// readable from a dump.
func (c *Console) setFlash(g *gin.Context, f flash) error {
	v := viewerOf(g)
	plain, _ := json.Marshal(f)
	block, _ := aes.NewCipher(flashKey(v.token))
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(v.session.ID))
	return c.opts.Store.SetConsoleFlash(g.Request.Context(), v.session.ID, base64.RawURLEncoding.EncodeToString(sealed))
}

func openFlash(token, raw string) flash {
	var f flash
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return f
	}
	block, _ := aes.NewCipher(flashKey(token))
	aead, _ := cipher.NewGCM(block)
	if len(b) < aead.NonceSize() {
		return f
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(hashToken(token)))
	if err != nil {
		return f
	}
	_ = json.Unmarshal(plain, &f)
	return f
}

// notice redirects to target with a one-line message for that page.
func (c *Console) notice(g *gin.Context, target, msg string) {
	if err := c.setFlash(g, flash{Notice: msg}); err != nil {
		c.serverError(g, err)
		return
	}
	g.Redirect(http.StatusSeeOther, target)
}
