package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/web"
)

// Cookie names.
const (
	SessionCookie = "gatehouse_session"
	CSRFCookie    = "gatehouse_csrf"
)

// Store is what the pages need.
type Store interface {
	FindUser(ctx context.Context, id string) (*store.User, error)
	FindUserByUsername(ctx context.Context, username string) (*store.User, error)
	store.SignIn
	store.LoginFailures
}

// Flow is the protocol side the pages resume (package oauth).
type Flow interface {
	Resume(c *gin.Context, authorizeQuery string, freshLogin time.Time, consented bool)
	Deny(c *gin.Context, authorizeQuery string)
	LogoutTarget(ctx context.Context, clientID, redirect, state string) (target, clientName string, err error)
	FinishLogout(c *gin.Context, target string)
}

// Pages serves /login, /consent and /logout.
type Pages struct {
	Store     Store
	Flow      Flow
	Templates *template.Template
	Brand     web.Brand
	// Secure marks cookies Secure (the issuer is https).
	Secure          bool
	SessionLifetime time.Duration
	Log             *slog.Logger
	Metrics         *metrics.Metrics
	Now             func() time.Time

	users, addrs *throttle
}

// MaxFailures within FailureWindow block further attempts for that username
// or client address until the window slides.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
)

// dummyHash is checked for unknown usernames so both failures cost the same.
var dummyHash, _ = identity.HashPassword("gatehouse-timing-equaliser")

func (p *Pages) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// Register mounts the pages.
func (p *Pages) Register(r gin.IRouter) {
	p.users = newThrottle(p.Store, MaxFailures, FailureWindow)
	p.addrs = newThrottle(p.Store, MaxFailures*4, FailureWindow)
	r.GET("/login", p.loginPage)
	r.POST("/login", p.login)
	r.POST("/consent", p.consent)
	r.GET("/logout", p.logoutPage)
	r.POST("/logout", p.logout)
}

// --- session ---

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *Pages) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: p.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// signedInKey holds a session started during this very request, whose
// cookie the browser has not sent back yet.
const signedInKey = "gatehouse.signed_in"

type signedIn struct {
	user     *store.User
	authTime time.Time
}

// Current returns the browser's signed-in, enabled user.
func (p *Pages) Current(c *gin.Context) (*store.User, time.Time, error) {
	if v, ok := c.Get(signedInKey); ok {
		s := v.(signedIn)
		return s.user, s.authTime, nil
	}
	token, err := c.Cookie(SessionCookie)
	if err != nil || token == "" {
		return nil, time.Time{}, nil
	}
	ctx := c.Request.Context()
	s, err := p.Store.FindLoginSession(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	u, err := p.Store.FindUser(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	return u, s.AuthTime, nil
}

func (p *Pages) startSession(c *gin.Context, u *store.User) (time.Time, error) {
	// A new session id on every sign-in: no fixation of an old cookie.
	if old, err := c.Cookie(SessionCookie); err == nil && old != "" {
		_ = p.Store.DeleteLoginSession(c.Request.Context(), hashToken(old))
	}
	now := p.now().Truncate(time.Second)
	token := randomToken()
	err := p.Store.CreateLoginSession(c.Request.Context(), &store.LoginSession{
		ID: hashToken(token), UserID: u.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(p.SessionLifetime),
	})
	if err != nil {
		return time.Time{}, err
	}
	p.setCookie(c, SessionCookie, token, int(p.SessionLifetime/time.Second))
	c.Set(signedInKey, signedIn{user: u, authTime: now})
	return now, nil
}

// EndSession deletes the server-side session and clears the cookie.
func (p *Pages) EndSession(c *gin.Context) error {
	if token, err := c.Cookie(SessionCookie); err == nil && token != "" {
		if err := p.Store.DeleteLoginSession(c.Request.Context(), hashToken(token)); err != nil {
			return err
		}
	}
	p.setCookie(c, SessionCookie, "", -1)
	return nil
}

// --- CSRF: a random token in an HttpOnly cookie, echoed by every form ---

func (p *Pages) csrfToken(c *gin.Context) string {
	if t, err := c.Cookie(CSRFCookie); err == nil && len(t) >= 32 {
		return t
	}
	t := randomToken()
	p.setCookie(c, CSRFCookie, t, 0)
	return t
}

func (p *Pages) checkCSRF(c *gin.Context) bool {
	cookie, err := c.Cookie(CSRFCookie)
	form := c.PostForm("csrf_token")
	return err == nil && len(cookie) >= 32 &&
		subtle.ConstantTimeCompare([]byte(cookie), []byte(form)) == 1
}

// --- rendering ---

func (p *Pages) render(c *gin.Context, status int, name string, data map[string]any) {
	data["Brand"] = p.Brand
	data["CSRF"] = p.csrfToken(c)
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	c.Status(status)
	if err := p.Templates.ExecuteTemplate(c.Writer, name, data); err != nil {
		p.Log.ErrorContext(c.Request.Context(), "render page", "page", name, "error", err)
	}
}

// ShowError renders an error page.
func (p *Pages) ShowError(c *gin.Context, status int, title, message string) {
	p.render(c, status, web.ErrorPage, map[string]any{"Title": title, "Message": message})
}

// ShowLogin renders the login form.
func (p *Pages) ShowLogin(c *gin.Context, authorizeQuery, loginHint string) {
	p.showLogin(c, http.StatusOK, authorizeQuery, loginHint, "")
}

func (p *Pages) showLogin(c *gin.Context, status int, authorizeQuery, username, problem string) {
	p.render(c, status, web.LoginPage, map[string]any{
		"Title": "Sign in", "Authorize": authorizeQuery, "Username": username, "Error": problem,
	})
}

// scopeText describes scopes in words on the consent screen.
var scopeText = map[string]string{
	"openid":         "Confirm who you are",
	"profile":        "See your name and username",
	"email":          "See your e-mail address",
	"offline_access": "Stay signed in to this application while you are away",
}

// ShowConsent renders the consent screen.
func (p *Pages) ShowConsent(c *gin.Context, authorizeQuery string, client *store.Client, scopes []string, freshLogin time.Time) {
	var items []string
	for _, s := range scopes {
		if t, ok := scopeText[s]; ok {
			items = append(items, t)
		} else {
			items = append(items, fmt.Sprintf("Use the permission %q", s))
		}
	}
	fresh := ""
	if !freshLogin.IsZero() {
		fresh = strconv.FormatInt(freshLogin.Unix(), 10)
	}
	p.render(c, http.StatusOK, web.ConsentPage, map[string]any{
		"Title": "Allow access", "Client": client.Name, "Scopes": items,
		"Authorize": authorizeQuery, "FreshLogin": fresh,
	})
}

// ShowLogoutConfirm asks the user to confirm signing out.
func (p *Pages) ShowLogoutConfirm(c *gin.Context, clientName string, params url.Values) {
	p.render(c, http.StatusOK, web.LogoutPage, map[string]any{
		"Title": "Sign out", "Client": clientName, "ClientID": params.Get("client_id"),
		"Redirect": params.Get("post_logout_redirect_uri"), "State": params.Get("state"),
	})
}

// ShowSignedOut confirms the user is signed out.
func (p *Pages) ShowSignedOut(c *gin.Context) {
	p.render(c, http.StatusOK, web.ErrorPage, map[string]any{
		"Title": "Signed out", "Message": "You are signed out. You can close this window.",
	})
}

// --- handlers ---

func (p *Pages) loginPage(c *gin.Context) {
	if u, _, err := p.Current(c); err == nil && u != nil && c.Query("authorize") == "" {
		p.render(c, http.StatusOK, web.ErrorPage, map[string]any{
			"Title": "Signed in", "Message": "You are signed in as " + u.Username + ".",
		})
		return
	}
	p.ShowLogin(c, c.Query("authorize"), c.Query("login_hint"))
}

const genericLoginError = "The username or password is not correct."

func (p *Pages) login(c *gin.Context) {
	authorize := c.PostForm("authorize")
	username := c.PostForm("username")
	if !p.checkCSRF(c) {
		p.showLogin(c, http.StatusForbidden, authorize, username, "Your session expired. Please try again.")
		return
	}
	ctx := c.Request.Context()
	now := p.now()
	addr := c.ClientIP()
	unavailable := func() {
		p.ShowError(c, http.StatusServiceUnavailable, "Sign-in is unavailable", "Please try again in a moment.")
	}
	// Both counts take this attempt before the password is checked; a
	// success gives the places back.
	byUser, wait, err := p.users.take(ctx, "u:"+username, now)
	if err != nil {
		unavailable()
		return
	}
	if wait > 0 {
		p.tooMany(c, authorize, username, wait)
		return
	}
	byAddr, wait, err := p.addrs.take(ctx, "a:"+addr, now)
	if err != nil || wait > 0 {
		if rerr := byUser.succeeded(ctx); rerr != nil { // not a guess: refused before checking
			p.Log.ErrorContext(ctx, "give back a login attempt", "error", rerr)
		}
		if err != nil {
			unavailable()
		} else {
			p.tooMany(c, authorize, username, wait)
		}
		return
	}
	u, err := p.Store.FindUserByUsername(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		// Not a guess — nothing was checked — so the places go back.
		if err := errors.Join(byUser.succeeded(ctx), byAddr.succeeded(ctx)); err != nil {
			p.Log.ErrorContext(ctx, "give back login attempts", "error", err)
		}
		unavailable()
		return
	}
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, _ := identity.CheckPassword(c.PostForm("password"), hash)
	if u == nil || !ok || !u.Enabled {
		if err := errors.Join(byUser.failed(ctx), byAddr.failed(ctx)); err != nil {
			p.Log.ErrorContext(ctx, "settle a failed login attempt", "error", err)
		}
		p.Log.InfoContext(ctx, "login failed", "remote", addr)
		p.Metrics.Login("failure")
		p.showLogin(c, http.StatusUnauthorized, authorize, username, genericLoginError)
		return
	}
	if err := errors.Join(p.users.reset(ctx, "u:"+username), byAddr.succeeded(ctx)); err != nil {
		p.Log.ErrorContext(ctx, "clear login failures", "error", err)
	}
	p.Metrics.Login("success")
	authTime, err := p.startSession(c, u)
	if err != nil {
		unavailable()
		return
	}
	if authorize == "" {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	p.Flow.Resume(c, authorize, authTime, false)
}

func (p *Pages) tooMany(c *gin.Context, authorize, username string, wait time.Duration) {
	p.Metrics.Login("throttled")
	p.Metrics.Throttled("login")
	mins := int(wait/time.Minute) + 1
	c.Header("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	p.showLogin(c, http.StatusTooManyRequests, authorize, username,
		fmt.Sprintf("Too many failed attempts. Try again in %d minute(s).", mins))
}

func (p *Pages) consent(c *gin.Context) {
	authorize := c.PostForm("authorize")
	if !p.checkCSRF(c) {
		p.ShowError(c, http.StatusForbidden, "Request expired", "Please start signing in again.")
		return
	}
	u, authTime, err := p.Current(c)
	if err != nil || u == nil {
		p.ShowLogin(c, authorize, "")
		return
	}
	switch c.PostForm("decision") {
	case "allow":
		var fresh time.Time
		if secs, err := strconv.ParseInt(c.PostForm("fresh_login"), 10, 64); err == nil && authTime.Unix() == secs {
			fresh = authTime
		}
		p.Flow.Resume(c, authorize, fresh, true)
	case "deny":
		p.Flow.Deny(c, authorize)
	default:
		p.ShowError(c, http.StatusBadRequest, "No decision", "Choose Allow or Deny.")
	}
}

func (p *Pages) logoutPage(c *gin.Context) {
	q := c.Request.URL.Query()
	_, name, err := p.Flow.LogoutTarget(c.Request.Context(), q.Get("client_id"), q.Get("post_logout_redirect_uri"), q.Get("state"))
	if err != nil {
		p.ShowError(c, http.StatusBadRequest, "Sign-out request not valid", "The application asked to return to an address it has not registered for sign-out.")
		return
	}
	p.ShowLogoutConfirm(c, name, q)
}

func (p *Pages) logout(c *gin.Context) {
	if !p.checkCSRF(c) {
		p.ShowError(c, http.StatusForbidden, "Request expired", "Please try signing out again.")
		return
	}
	target, _, err := p.Flow.LogoutTarget(c.Request.Context(), c.PostForm("client_id"), c.PostForm("post_logout_redirect_uri"), c.PostForm("state"))
	if err != nil {
		p.ShowError(c, http.StatusBadRequest, "Sign-out request not valid", "The application asked to return to an address it has not registered for sign-out.")
		return
	}
	p.Flow.FinishLogout(c, target)
}
