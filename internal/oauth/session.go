package oauth

import (
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is what fosite stores with every grant. Its access-token claims
// follow RFC 9068 (see accessTokenStrategy): sub (the user, or the client
// for client credentials) and client_id.
type Session struct {
	openid.DefaultSession
	ClientID string `json:"client_id"`
	// Grant is grantClientCredentials for a client's own, stateless token.
	Grant string `json:"gty,omitempty"`

	// answer is what an introspection answer adds to fosite's fields; set
	// by the introspection endpoint, never stored.
	answer map[string]interface{}
}

var (
	_ openid.Session            = (*Session)(nil)
	_ fosite.ExtraClaimsSession = (*Session)(nil)
)

// GetExtraClaims is what fosite's introspection writer adds to its own
// fields (RFC 7662 §2.2).
func (s *Session) GetExtraClaims() map[string]interface{} { return s.answer }

// NewSession returns an empty session ready for fosite to fill.
func NewSession() *Session {
	return &Session{DefaultSession: openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{},
		Headers: &jwt.Headers{},
	}}
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
