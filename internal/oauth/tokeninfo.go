package oauth

import (
	"context"

	"github.com/ory/fosite"
)

// TokenInfo is what a valid access token says about its bearer.
type TokenInfo struct {
	Subject  string
	ClientID string
	Scopes   []string
}

// IntrospectAccessToken validates an access token issued by this server —
// signature, expiry and that it is neither revoked nor orphaned — for the
// management API's Bearer authentication.
func (p *Provider) IntrospectAccessToken(ctx context.Context, token string) (*TokenInfo, error) {
	session := NewSession()
	use, ar, err := p.oauth2.IntrospectToken(ctx, token, fosite.AccessToken, session)
	if err != nil {
		return nil, err
	}
	if use != fosite.AccessToken {
		return nil, fosite.ErrRequestUnauthorized.WithHint("Not an access token.")
	}
	s, _ := ar.GetSession().(*Session)
	info := &TokenInfo{ClientID: ar.GetClient().GetID(), Scopes: ar.GetGrantedScopes()}
	if s != nil {
		info.Subject = s.Subject
	}
	return info, nil
}
