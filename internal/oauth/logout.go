package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Logout is the browser side of RP-Initiated Logout 1.0.
type Logout interface {
	// EndSession deletes the server-side session and clears the cookie.
	EndSession(c *gin.Context) error
	// ShowLogoutConfirm asks the user to confirm; the form posts params on.
	ShowLogoutConfirm(c *gin.Context, clientName string, params url.Values)
	// ShowSignedOut tells the user they are signed out.
	ShowSignedOut(c *gin.Context)
}

// errLogoutTarget means the logout request names a client or address that
// does not match; the user sees an error page, never a redirect.
var errLogoutTarget = errors.New("post_logout_redirect_uri is not registered for this client")

// endSession is the end_session_endpoint (RP-Initiated Logout 1.0 §2). With
// a valid id_token_hint the session ends at once; without one the user is
// asked to confirm (POST /logout).
func (p *Provider) endSession(c *gin.Context) {
	params := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost && c.Request.ParseForm() == nil {
		params = c.Request.PostForm
	}
	ctx := c.Request.Context()
	clientID := params.Get("client_id")
	validHint := false
	if hint := params.Get("id_token_hint"); hint != "" {
		aud, err := p.idTokenAudience(ctx, hint)
		if err == nil && (clientID == "" || clientID == aud) {
			clientID, validHint = aud, true
		} else if err == nil {
			p.SignIn.ShowError(c, http.StatusBadRequest, "Sign-out request not valid", "The id_token_hint and client_id name different applications.")
			return
		}
	}
	target, clientName, err := p.LogoutTarget(ctx, clientID, params.Get("post_logout_redirect_uri"), params.Get("state"))
	if err != nil {
		p.SignIn.ShowError(c, http.StatusBadRequest, "Sign-out request not valid", "The application asked to return to an address it has not registered for sign-out.")
		return
	}
	if !validHint {
		confirm := url.Values{}
		for _, k := range []string{"client_id", "post_logout_redirect_uri", "state"} {
			if v := params.Get(k); v != "" {
				confirm.Set(k, v)
			}
		}
		if clientID != "" {
			confirm.Set("client_id", clientID)
		}
		p.Logout.ShowLogoutConfirm(c, clientName, confirm)
		return
	}
	p.FinishLogout(c, target)
}

// FinishLogout ends the browser's session and sends it to target, or shows
// the signed-out page when there is none.
func (p *Provider) FinishLogout(c *gin.Context, target string) {
	if err := p.Logout.EndSession(c); err != nil {
		p.log.ErrorContext(c.Request.Context(), "end session", "error", err)
		p.SignIn.ShowError(c, http.StatusServiceUnavailable, "Sign-out failed", "Please try again.")
		return
	}
	if target == "" {
		p.Logout.ShowSignedOut(c)
		return
	}
	c.Redirect(http.StatusFound, target)
}

// LogoutTarget checks post_logout_redirect_uri against the client's
// registered list (exact match) and returns where to send the browser, with
// state, and the client's name for the confirmation page.
func (p *Provider) LogoutTarget(ctx context.Context, clientID, redirect, state string) (target, clientName string, err error) {
	var client *store.OAuthClient
	if clientID != "" {
		cl, err := p.store.GetClient(ctx, clientID)
		if err == nil {
			client, _ = cl.(*store.OAuthClient)
		}
	}
	if client != nil {
		clientName = client.Name
	}
	if redirect == "" {
		return "", clientName, nil
	}
	if client == nil || !slices.Contains(client.PostLogoutRedirectURIs, redirect) {
		return "", clientName, errLogoutTarget
	}
	u, err := url.Parse(redirect)
	if err != nil {
		return "", clientName, errLogoutTarget
	}
	if state != "" {
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
	}
	return u.String(), clientName, nil
}

// idTokenAudience verifies an ID token this server issued — expired is
// fine for a hint — and returns the client it was issued to.
func (p *Provider) idTokenAudience(ctx context.Context, raw string) (string, error) {
	tok, err := p.idSigner.Decode(ctx, raw)
	var ve *jwt.ValidationError
	if err != nil && !(errors.As(err, &ve) && ve.Errors == jwt.ValidationErrorExpired) {
		return "", err
	}
	if tok == nil || tok.Claims == nil {
		return "", errors.New("no claims")
	}
	if iss, _ := tok.Claims["iss"].(string); iss != p.issuer {
		return "", errors.New("issued elsewhere")
	}
	switch aud := tok.Claims["aud"].(type) {
	case string:
		return aud, nil
	case []interface{}:
		if len(aud) == 1 {
			if s, ok := aud[0].(string); ok {
				return s, nil
			}
		}
	}
	return "", errors.New("no single audience")
}
