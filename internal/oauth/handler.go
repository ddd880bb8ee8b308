package oauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Register mounts the protocol endpoints.
func (p *Provider) Register(r gin.IRouter) {
	r.GET("/oauth2/authorize", p.authorize)
	r.POST("/oauth2/token", p.token)
	r.OPTIONS("/oauth2/token", p.preflight)
	r.POST("/oauth2/introspect", p.introspect)
	r.POST("/oauth2/revoke", p.revoke)
	r.OPTIONS("/oauth2/revoke", p.preflight)
	r.GET("/userinfo", p.userinfo)
	r.POST("/userinfo", p.userinfo)
	r.OPTIONS("/userinfo", p.preflight)
	r.GET("/oauth2/logout", p.endSession)
	r.POST("/oauth2/logout", p.endSession)
	r.GET("/.well-known/openid-configuration", p.discovery)
	r.GET("/.well-known/oauth-authorization-server", p.discovery)
	r.GET("/.well-known/jwks.json", p.jwks)
}

// token issues tokens (RFC 6749 §3.2).
func (p *Provider) token(c *gin.Context) {
	ctx := c.Request.Context()
	p.allowClaimedOrigin(c)
	session := NewSession()
	if err := p.precheckToken(c.Request); err != nil {
		p.tokenError(c, fosite.NewAccessRequest(session), err)
		return
	}
	ar, err := p.oauth2.NewAccessRequest(ctx, c.Request, session)
	if err != nil {
		p.tokenError(c, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne("client_credentials") {
		client := ar.GetClient()
		session.Subject = client.GetID()
		session.ClientID = client.GetID()
		session.Grant = grantClientCredentials
		// No scope asked for: grant every scope the client holds.
		scopes := ar.GetRequestedScopes()
		if len(scopes) == 0 {
			scopes = client.GetScopes()
		}
		for _, s := range scopes {
			ar.GrantScope(s)
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
		if len(ar.GetGrantedAudience()) == 0 {
			ar.GrantAudience(client.GetID())
		}
	}
	resp, err := p.oauth2.NewAccessResponse(ctx, ar)
	if err != nil {
		p.tokenError(c, ar, err)
		return
	}
	p.oauth2.WriteAccessResponse(ctx, c.Writer, ar, resp)
	p.usage.touch(ctx, ar.GetClient().GetID())
	clientType := "api"
	if oc, ok := ar.GetClient().(*store.OAuthClient); ok {
		clientType = oc.Type
	}
	p.Metrics.TokenIssued(strings.Join(ar.GetGrantTypes(), " "), clientType)
}

// tokenError answers a refused token request. A database outage surfaces
// as 503 temporarily_unavailable even where fosite wrapped it in another
// error (a failed client lookup reads as invalid_client there).
func (p *Provider) tokenError(c *gin.Context, ar fosite.AccessRequester, err error) {
	err = unavailableAs503(err)
	p.logProtocolError(c, "token request refused", err)
	if isRFC(err, fosite.ErrInvalidClient) {
		p.Metrics.ClientAuthFailed("token")
	}
	p.oauth2.WriteAccessError(c.Request.Context(), c.Writer, ar, err)
}

// unavailableAs503 turns any error caused by an unreachable database into
// fosite's temporarily_unavailable (503), so clients retry instead of
// concluding their credentials are wrong.
func unavailableAs503(err error) error {
	if errors.Is(err, fosite.ErrTemporarilyUnavailable) || errors.Is(err, store.ErrUnavailable) {
		if isRFC(err, fosite.ErrTemporarilyUnavailable) {
			return err
		}
		return fosite.ErrTemporarilyUnavailable.WithWrap(err).WithDebug(err.Error())
	}
	return err
}

// precheckToken gives the RFC 6749 §5.2 answers where fosite is vaguer:
// an unknown grant type is unsupported_grant_type (fosite: invalid_request)
// and a request with no client authentication at all is invalid_client.
func (p *Provider) precheckToken(r *http.Request) error {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		return nil // fosite words these itself
	}
	gt := r.PostForm.Get("grant_type")
	if gt == "" {
		return nil // fosite: invalid_request
	}
	if !slices.Contains(p.grantTypes, gt) {
		return fosite.ErrUnsupportedGrantType.WithHintf("Grant type %q is not offered by this server.", gt)
	}
	return requireClientAuth(r)
}

// requireClientAuth answers invalid_client (RFC 6749 §5.2, RFC 7009 §2.2.1)
// when a request carries no client authentication at all.
func requireClientAuth(r *http.Request) error {
	if _, _, basic := r.BasicAuth(); !basic && r.PostForm.Get("client_id") == "" {
		return fosite.ErrInvalidClient.WithHint("The request includes no client authentication.")
	}
	return nil
}

// introspect answers RFC 7662; the caller authenticates as a client.
func (p *Provider) introspect(c *gin.Context) {
	ctx := c.Request.Context()
	ir, err := p.oauth2.NewIntrospectionRequest(ctx, c.Request, NewSession())
	if err != nil {
		err = unavailableAs503(err)
		p.logProtocolError(c, "introspection", err)
		if isRFC(err, fosite.ErrTemporarilyUnavailable) {
			// fosite would answer {"active": false}: a client must not
			// conclude a token is revoked because the database is away.
			writeUnavailable(c)
			return
		}
		if isRFC(err, fosite.ErrInvalidClient) || isRFC(err, fosite.ErrRequestUnauthorized) {
			p.Metrics.ClientAuthFailed("introspect")
		}
		p.oauth2.WriteIntrospectionError(ctx, c.Writer, err)
		return
	}
	// RFC 7662 §2.2 also names iss and token_type, which fosite leaves out.
	if s, ok := ir.GetAccessRequester().GetSession().(*Session); ok {
		s.answer = map[string]interface{}{"iss": p.issuer}
		if ir.GetTokenUse() == fosite.AccessToken {
			s.answer["token_type"] = "Bearer"
		}
	}
	p.oauth2.WriteIntrospectionResponse(ctx, c.Writer, ir)
}

// revoke answers RFC 7009 inside one transaction: fosite does not open one
// for revocation itself (FOSITE-NOTES §4), and a failed write must never be
// reported as success (§9).
func (p *Provider) revoke(c *gin.Context) {
	p.allowClaimedOrigin(c)
	if c.Request.ParseForm() == nil {
		if err := requireClientAuth(c.Request); err != nil {
			p.oauth2.WriteRevocationResponse(c.Request.Context(), c.Writer, err)
			return
		}
	}
	ctx, err := p.store.BeginTX(c.Request.Context())
	if err != nil {
		p.log.ErrorContext(c.Request.Context(), "revocation: begin transaction", "error", err)
		writeUnavailable(c)
		return
	}
	err = unavailableAs503(p.oauth2.NewRevocationRequest(ctx, c.Request))
	if err != nil {
		_ = p.store.Rollback(ctx)
		p.logProtocolError(c, "revocation refused", err)
		if isRFC(err, fosite.ErrTemporarilyUnavailable) {
			writeUnavailable(c)
			return
		}
		if isRFC(err, fosite.ErrInvalidClient) {
			p.Metrics.ClientAuthFailed("revoke")
		}
	} else if cerr := p.store.Commit(ctx); cerr != nil {
		p.log.ErrorContext(ctx, "revocation: commit", "error", cerr)
		writeUnavailable(c)
		return
	}
	// fosite answers 200 for every error but invalid_request and
	// invalid_client (RFC 7009 §2.2), so an outage never reaches it.
	p.oauth2.WriteRevocationResponse(c.Request.Context(), c.Writer, err)
}

// writeUnavailable answers 503 temporarily_unavailable: the client must
// retry, and must not take the answer as success or as a verdict.
func writeUnavailable(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Retry-After", "1")
	c.JSON(http.StatusServiceUnavailable, gin.H{"error": "temporarily_unavailable",
		"error_description": "The database is unavailable; try again."})
}

// isRFC reports whether err itself (not an error it wraps) is the RFC 6749
// error of kind; fosite's errors match anything they wrap under errors.Is.
func isRFC(err error, kind *fosite.RFC6749Error) bool {
	var rfc *fosite.RFC6749Error
	return errors.As(err, &rfc) && rfc.ErrorField == kind.ErrorField
}

// logProtocolError records why fosite refused a request. Only the error
// name, hint and debug text are logged: none of them carries a credential.
func (p *Provider) logProtocolError(c *gin.Context, msg string, err error) {
	var rfc *fosite.RFC6749Error
	if !errors.As(fosite.ErrorToRFC6749Error(err), &rfc) {
		return
	}
	level := p.log.InfoContext
	if rfc.CodeField >= http.StatusInternalServerError {
		level = p.log.ErrorContext
	}
	level(c.Request.Context(), msg,
		"error", rfc.ErrorField, "hint", rfc.HintField, "debug", rfc.DebugField, "status", rfc.CodeField)
}
