package store

import (
	"time"

	"github.com/ory/fosite"
)

// OAuthClient is a Client as fosite sees it at one instant: secrets that have
// expired by then are left out, so fosite's own comparison refuses them
// (FOSITE-NOTES §7), and lifetimes are capped at MaxAccessTokenLifetime.
type OAuthClient struct {
	*Client
	secretHash []byte
	rotated    [][]byte
	effective  []string
	// DefaultAccessTokenLifetime applies when the client sets none.
	DefaultAccessTokenLifetime time.Duration
}

var (
	_ fosite.Client                         = (*OAuthClient)(nil)
	_ fosite.ClientWithSecretRotation       = (*OAuthClient)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*OAuthClient)(nil)
)

// NewOAuthClient prepares c for fosite as of now.
func NewOAuthClient(c *Client, now time.Time) *OAuthClient {
	oc := &OAuthClient{Client: c, effective: c.EffectiveScopes()}
	if c.SecretHash != "" && !c.SecretExpired(now) {
		oc.secretHash = []byte(c.SecretHash)
	}
	for _, r := range c.RotatedSecrets {
		if now.Before(r.ExpiresAt) && !c.SecretExpired(now) {
			oc.rotated = append(oc.rotated, []byte(r.Hash))
		}
	}
	return oc
}

func (c *OAuthClient) GetID() string                 { return c.ID }
func (c *OAuthClient) GetHashedSecret() []byte       { return c.secretHash }
func (c *OAuthClient) GetRotatedHashes() [][]byte    { return c.rotated }
func (c *OAuthClient) GetRedirectURIs() []string     { return c.RedirectURIs }
func (c *OAuthClient) GetScopes() fosite.Arguments   { return c.effective }
func (c *OAuthClient) IsPublic() bool                { return c.Type == ClientTypeWeb && c.Public }
func (c *OAuthClient) GetAudience() fosite.Arguments { return fosite.Arguments{c.ID} }

// GetGrantTypes follows the client type: API clients act as themselves,
// Web App clients sign users in.
func (c *OAuthClient) GetGrantTypes() fosite.Arguments {
	if c.Type == ClientTypeAPI {
		return fosite.Arguments{"client_credentials"}
	}
	return fosite.Arguments{"authorization_code", "refresh_token"}
}

func (c *OAuthClient) GetResponseTypes() fosite.Arguments {
	if c.Type == ClientTypeAPI {
		return nil
	}
	return fosite.Arguments{"code"}
}

// GetEffectiveLifespan applies the client's access token lifetime, never
// beyond MaxAccessTokenLifetime (FOSITE-NOTES §10).
func (c *OAuthClient) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	if tt != fosite.AccessToken {
		return fallback
	}
	d := c.AccessTokenLifetime
	if d <= 0 {
		d = fallback
	}
	return min(d, MaxAccessTokenLifetime)
}
