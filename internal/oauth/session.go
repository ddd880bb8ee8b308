package oauth

import (
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is what fosite stores with every grant. Its access-token claims
// follow RFC 9068: sub (the user, or the client for client credentials),
// client_id, and the header typ "at+jwt".
type Session struct {
	openid.DefaultSession
	ClientID string `json:"client_id"`
}

var (
	_ oauth2.JWTSessionContainer = (*Session)(nil)
	_ openid.Session             = (*Session)(nil)
)

// NewSession returns an empty session ready for fosite to fill.
func NewSession() *Session {
	return &Session{DefaultSession: openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{},
		Headers: &jwt.Headers{},
	}}
}

// GetJWTClaims builds the access token's claims; fosite adds iss, iat, exp,
// aud and scope, and a random jti.
func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	return &jwt.JWTClaims{
		Subject: s.Subject,
		Extra:   map[string]interface{}{"client_id": s.ClientID},
	}
}

// GetJWTHeader marks the token as an access token (RFC 9068 §2.1).
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]interface{}{"typ": "at+jwt"}}
}

// Clone deep-copies the session.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	cp := *s
	cp.DefaultSession = *s.DefaultSession.Clone().(*openid.DefaultSession)
	return &cp
}
