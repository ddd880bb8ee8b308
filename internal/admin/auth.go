package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/audit"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/oauth"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// Caller is who made a request and what they may do.
type Caller struct {
	Username string
	Scopes   []string
}

// Can reports whether the caller holds scope (gatehouse:admin implies all).
func (c *Caller) Can(scope string) bool {
	return slices.Contains(c.Scopes, identity.ScopeAdmin) || slices.Contains(c.Scopes, scope)
}

// Sessions identifies browsers signed in to the console: its session
// cookie authenticates at the management API too (SPEC §5).
type Sessions interface {
	// SessionCaller returns the user of the request's console session
	// cookie (nil: no live session), and whether the request carries that
	// session's CSRF token, which every write needs.
	SessionCaller(r *http.Request) (caller *Caller, csrfOK bool, err error)
}

// Authenticator identifies callers by HTTP Basic (an API client's
// credentials), Bearer (an access token from this server) or the
// console's session cookie.
type Authenticator struct {
	// Clients loads clients as fosite does: disabled ones missing, expired
	// secrets left out, effective scopes included.
	Clients fosite.ClientManager
	Hasher  fosite.Hasher
	Tokens  interface {
		IntrospectAccessToken(ctx context.Context, token string) (*oauth.TokenInfo, error)
	}
	ClientDomain string
	// Users resolves the user a Bearer token was issued to, and the scopes
	// that user holds now (through roles).
	Users interface {
		FindUser(ctx context.Context, id string) (*store.User, error)
		ScopesOf(ctx context.Context, username string) ([]string, error)
	}
	// Sessions is the console (set by the composition root; nil: cookies
	// are not accepted).
	Sessions Sessions
}

type callerKey struct{}

func unauthorized(msg string) *adminapi.Error {
	return apiError(http.StatusUnauthorized, adminapi.CodeUnauthorized, msg, nil)
}

// authenticate identifies the caller or answers 401.
func (a *Authenticator) authenticate(c *gin.Context) {
	caller, err := a.identify(c.Request)
	if err != nil {
		_ = c.Error(err)
		c.Abort()
		return
	}
	c.Set("caller", caller)
	ctx := audit.WithActor(c.Request.Context(), caller.Username)
	c.Request = c.Request.WithContext(context.WithValue(ctx, callerKey{}, caller))
	c.Next()
}

func (a *Authenticator) identify(r *http.Request) (*Caller, error) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		return a.basic(r.Context(), strings.TrimSpace(cred))
	case "bearer":
		return a.bearer(r.Context(), strings.TrimSpace(cred))
	case "":
		return a.session(r)
	}
	return nil, unauthorized("unsupported authentication scheme")
}

// bearer accepts an access token from this server. A client's own token
// carries the scopes the client held when it was issued. A user's token
// carries what the app asked for — and a Web App client may allow any
// scope — so for a user the scopes that count are those of the token that
// the user also holds now, through roles: an app allowed gatehouse:admin
// does not make its every user an administrator.
func (a *Authenticator) bearer(ctx context.Context, token string) (*Caller, error) {
	info, err := a.Tokens.IntrospectAccessToken(ctx, token)
	if err != nil {
		return nil, unauthorized("the access token is not valid")
	}
	if info.Subject == info.ClientID {
		return &Caller{Username: store.ClientUsername(info.ClientID, a.ClientDomain), Scopes: info.Scopes}, nil
	}
	u, err := a.Users.FindUser(ctx, info.Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
		return nil, unauthorized("the access token's user no longer exists or is disabled")
	}
	if err != nil {
		return nil, err
	}
	held, err := a.Users.ScopesOf(ctx, u.Username)
	if err != nil {
		return nil, err
	}
	var scopes []string
	for _, s := range info.Scopes {
		if slices.Contains(held, s) {
			scopes = append(scopes, s)
		}
	}
	return &Caller{Username: u.Username, Scopes: scopes}, nil
}

// session accepts the console's cookie; a write must also carry the
// session's CSRF token, so another site cannot make the browser send one.
func (a *Authenticator) session(r *http.Request) (*Caller, error) {
	if a.Sessions != nil {
		caller, csrfOK, err := a.Sessions.SessionCaller(r)
		if err != nil {
			return nil, err
		}
		if caller != nil {
			if !csrfOK && !safeMethod(r.Method) {
				return nil, apiError(http.StatusForbidden, adminapi.CodeForbidden,
					"a write authenticated by the console cookie needs the X-CSRF-Token header (the console pages publish it in <meta name=\"csrf-token\">)", nil)
			}
			return caller, nil
		}
	}
	return nil, unauthorized("authentication required: HTTP Basic with API client credentials, a Bearer access token, or the console's session cookie")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// basic checks client_id:client_secret, URL-unescaped as fosite does
// (RFC 6749 §2.3.1, FOSITE-NOTES §8).
func (a *Authenticator) basic(ctx context.Context, cred string) (*Caller, error) {
	bad := unauthorized("wrong client credentials")
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return nil, bad
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, bad
	}
	if id, err = url.QueryUnescape(id); err != nil {
		return nil, bad
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return nil, bad
	}
	client, err := a.Clients.GetClient(ctx, id)
	if err != nil {
		if errors.Is(err, fosite.ErrNotFound) {
			return nil, bad
		}
		return nil, err
	}
	oc, ok := client.(*store.OAuthClient)
	if !ok || oc.Type != store.ClientTypeAPI {
		return nil, bad
	}
	if !a.secretMatches(ctx, oc, secret) {
		return nil, bad
	}
	return &Caller{Username: store.ClientUsername(id, a.ClientDomain), Scopes: oc.GetScopes()}, nil
}

func (a *Authenticator) secretMatches(ctx context.Context, c *store.OAuthClient, secret string) bool {
	hashes := append([][]byte{c.GetHashedSecret()}, c.GetRotatedHashes()...)
	for _, h := range hashes {
		if len(h) > 0 && a.Hasher.Compare(ctx, h, []byte(secret)) == nil {
			return true
		}
	}
	return false
}

// require answers 403 unless the caller holds scope.
func require(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		caller, _ := c.Get("caller")
		if cl, ok := caller.(*Caller); !ok || !cl.Can(scope) {
			_ = c.Error(apiError(http.StatusForbidden, adminapi.CodeForbidden, "this needs scope "+scope+" (or "+identity.ScopeAdmin+")", nil))
			c.Abort()
			return
		}
		c.Next()
	}
}
