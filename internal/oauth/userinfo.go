package oauth

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/ory/fosite"
)

// userinfo answers OIDC Core §5.3 for an access token granted "openid".
func (p *Provider) userinfo(c *gin.Context) {
	ctx := c.Request.Context()
	token := fosite.AccessTokenFromRequest(c.Request)
	if token == "" {
		p.bearerError(c, http.StatusUnauthorized, "invalid_token", "An access token is required.")
		return
	}
	session := NewSession()
	_, ar, err := p.oauth2.IntrospectToken(ctx, token, fosite.AccessToken, session)
	if err != nil {
		p.bearerError(c, http.StatusUnauthorized, "invalid_token", "The access token is not active.")
		return
	}
	p.allowOrigin(c, ar.GetClient().GetID())
	if !ar.GetGrantedScopes().Has("openid") {
		p.bearerError(c, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
		return
	}
	s, _ := ar.GetSession().(*Session)
	if s == nil || s.Subject == s.ClientID {
		p.bearerError(c, http.StatusForbidden, "insufficient_scope", "The access token does not belong to a user.")
		return
	}
	user, err := p.store.FindUser(ctx, s.Subject)
	if err != nil || !user.Enabled {
		p.bearerError(c, http.StatusUnauthorized, "invalid_token", "The user no longer exists or is disabled.")
		return
	}
	claims := userClaims(user, ar.GetGrantedScopes())
	claims["sub"] = user.ID
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, claims)
}

// bearerError answers RFC 6750 §3.
func (p *Provider) bearerError(c *gin.Context, status int, code, desc string) {
	c.Header("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+strings.ReplaceAll(desc, `"`, "'")+`"`)
	c.JSON(status, gin.H{"error": code, "error_description": desc})
}
