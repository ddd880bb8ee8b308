package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// SignIn is the browser side of the flow, implemented by package login: the
// sign-in session and the pages.
type SignIn interface {
	// Current returns the browser's signed-in, enabled user and when they
	// authenticated, or a nil user.
	Current(c *gin.Context) (*store.User, time.Time, error)
	// ShowLogin asks for credentials; the form carries authorizeQuery on.
	ShowLogin(c *gin.Context, authorizeQuery, loginHint string)
	// ShowConsent asks the user to allow scopes for client. freshLogin is
	// the auth_time of a sign-in made for this very request (zero if none).
	ShowConsent(c *gin.Context, authorizeQuery string, client *store.Client, scopes []string, freshLogin time.Time)
	// ShowError renders an error page (never a redirect).
	ShowError(c *gin.Context, status int, title, message string)
}

// authorize is the authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2).
func (p *Provider) authorize(c *gin.Context) {
	p.Resume(c, c.Request.URL.RawQuery, time.Time{}, false)
}

// Resume (re)starts the authorization request in authorizeQuery, for the
// browser of c: from the endpoint itself, after a sign-in (freshLogin is its
// auth_time) or after consent. It decides what the user must do next —
// sign in, consent — or answers the client.
func (p *Provider) Resume(c *gin.Context, authorizeQuery string, freshLogin time.Time, consented bool) {
	ctx := c.Request.Context()
	req := c.Request.Clone(ctx)
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: "/oauth2/authorize", RawQuery: authorizeQuery}
	req.Form, req.PostForm = nil, nil
	req.Body = http.NoBody
	ar, err := p.oauth2.NewAuthorizeRequest(ctx, req)
	if err != nil {
		p.authorizeError(c, ar, err)
		return
	}
	client, _ := ar.GetClient().(*store.OAuthClient)
	if client == nil || client.Type != store.ClientTypeWeb {
		p.SignIn.ShowError(c, http.StatusBadRequest, "This application cannot sign you in",
			"The application is not registered for sign-in.")
		return
	}
	// SPEC §2: the redirect_uri must be sent and match a registered one
	// exactly; fosite would also accept a loopback URI on another port.
	if ru := ar.GetRequestForm().Get("redirect_uri"); !slices.Contains(client.RedirectURIs, ru) {
		p.SignIn.ShowError(c, http.StatusBadRequest, "Invalid redirect address",
			"The application asked to return to an address it has not registered.")
		return
	}

	form := ar.GetRequestForm()
	// PKCE is checked here, before any page is shown (fosite would only
	// check it when issuing the code): S256 only, required for public clients.
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && client.IsPublic():
		p.authorizeError(c, ar, fosite.ErrInvalidRequest.WithHint("Public clients must use PKCE (code_challenge with S256)."))
		return
	case challenge != "" && method != "S256":
		p.authorizeError(c, ar, fosite.ErrInvalidRequest.WithHint("code_challenge_method must be S256."))
		return
	}
	prompts := strings.Fields(form.Get("prompt"))
	promptNone := slices.Contains(prompts, "none")
	user, authTime, err := p.SignIn.Current(c)
	if err != nil {
		p.authorizeError(c, ar, fosite.ErrTemporarilyUnavailable.WithWrap(err))
		return
	}
	fresh := !freshLogin.IsZero() && user != nil && authTime.Equal(freshLogin)
	needLogin := user == nil || (slices.Contains(prompts, "login") && !fresh)
	if ma := form.Get("max_age"); ma != "" && user != nil {
		if secs, err := strconv.ParseInt(ma, 10, 64); err == nil && time.Since(authTime) > time.Duration(secs)*time.Second && !fresh {
			needLogin = true
		}
	}
	if needLogin {
		if promptNone {
			p.authorizeError(c, ar, fosite.ErrLoginRequired.WithHint("The user is not signed in."))
			return
		}
		p.SignIn.ShowLogin(c, authorizeQuery, form.Get("login_hint"))
		return
	}

	scopes := []string(ar.GetRequestedScopes())
	if !consented && client.RequireConsent {
		needConsent := slices.Contains(prompts, "consent")
		if !needConsent {
			granted, err := p.store.FindConsent(ctx, user.ID, client.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				needConsent = true
			case err != nil:
				p.authorizeError(c, ar, fosite.ErrTemporarilyUnavailable.WithWrap(err))
				return
			default:
				for _, s := range scopes {
					if !slices.Contains(granted.Scopes, s) {
						needConsent = true
					}
				}
			}
		}
		if needConsent {
			if promptNone {
				p.authorizeError(c, ar, fosite.ErrConsentRequired.WithHint("The user has not allowed this application yet."))
				return
			}
			var freshAt time.Time
			if fresh {
				freshAt = authTime
			}
			p.SignIn.ShowConsent(c, authorizeQuery, client.Client, scopes, freshAt)
			return
		}
	}
	if consented {
		if err := p.store.SaveConsent(ctx, &store.Consent{UserID: user.ID, ClientID: client.ID, Scopes: scopes}); err != nil {
			p.authorizeError(c, ar, fosite.ErrTemporarilyUnavailable.WithWrap(err))
			return
		}
	}
	p.finishAuthorize(c, ar, client, user, authTime, fresh)
}

// Deny answers the client with access_denied for authorizeQuery.
func (p *Provider) Deny(c *gin.Context, authorizeQuery string) {
	ctx := c.Request.Context()
	req := c.Request.Clone(ctx)
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: "/oauth2/authorize", RawQuery: authorizeQuery}
	req.Form, req.PostForm = nil, nil
	req.Body = http.NoBody
	ar, err := p.oauth2.NewAuthorizeRequest(ctx, req)
	if err != nil {
		p.authorizeError(c, ar, err)
		return
	}
	p.authorizeError(c, ar, fosite.ErrAccessDenied.WithHint("The user denied the request."))
}

// finishAuthorize issues the code for user.
func (p *Provider) finishAuthorize(c *gin.Context, ar fosite.AuthorizeRequester, client *store.OAuthClient, user *store.User, authTime time.Time, fresh bool) {
	ctx := c.Request.Context()
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	ar.GrantAudience(client.ID)

	session := NewSession()
	session.Subject = user.ID
	session.Username = user.Username
	session.ClientID = client.ID
	claims := session.Claims
	claims.Subject = user.ID
	claims.AuthTime = authTime.UTC().Truncate(time.Second)
	claims.RequestedAt = ar.GetRequestedAt().UTC().Truncate(time.Second)
	if fresh {
		// This request's sign-in happened while it was being served:
		// for prompt=login the two instants are one (OIDC Core §3.1.2.1).
		claims.RequestedAt = claims.AuthTime
	}
	claims.Extra = userClaims(user, ar.GetGrantedScopes())
	claims.Extra["azp"] = client.ID

	resp, err := p.oauth2.NewAuthorizeResponse(ctx, ar, session)
	if err != nil {
		p.authorizeError(c, ar, err)
		return
	}
	p.oauth2.WriteAuthorizeResponse(ctx, issWriter{c.Writer, p.issuer}, ar, resp)
}

// userClaims are the claims scopes unlock (OIDC Core §5.4).
func userClaims(u *store.User, scopes fosite.Arguments) map[string]interface{} {
	out := map[string]interface{}{}
	if scopes.Has("profile") {
		out["name"] = u.Name
		out["preferred_username"] = u.Username
	}
	if scopes.Has("email") && u.Email != "" {
		out["email"] = u.Email
		// Gatehouse does not verify addresses; an administrator typed it.
		out["email_verified"] = false
	}
	return out
}

// authorizeError redirects the error to the client when its redirect URI is
// valid, and shows an error page otherwise — never a redirect to an
// unverified address.
func (p *Provider) authorizeError(c *gin.Context, ar fosite.AuthorizeRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	p.logProtocolError(c, "authorization refused", err)
	if ar == nil || !ar.IsRedirectURIValid() {
		p.SignIn.ShowError(c, rfc.CodeField, "This sign-in request cannot be completed", rfc.GetDescription())
		return
	}
	p.oauth2.WriteAuthorizeError(c.Request.Context(), issWriter{c.Writer, p.issuer}, ar, err)
}

// issWriter adds RFC 9207's iss parameter to every authorization response
// redirect, success or error (FOSITE-NOTES §6).
type issWriter struct {
	gin.ResponseWriter
	issuer string
}

func (w issWriter) WriteHeader(status int) {
	if loc := w.Header().Get("Location"); loc != "" && status >= 300 && status < 400 {
		if u, err := url.Parse(loc); err == nil {
			q := u.Query()
			if q.Get("iss") == "" {
				q.Set("iss", w.issuer)
				u.RawQuery = q.Encode()
				w.Header().Set("Location", u.String())
			}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}
