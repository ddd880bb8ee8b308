package oauth

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Client-credentials access tokens are stateless: issuing one writes
// nothing, and introspection and revocation work from the JWT itself plus
// three exact checks — the client still exists and is enabled (and is not
// a newer client under the same id), and the jti is not on the denylist.
// Tokens of users keep their rows: refresh rotation and code replay revoke
// them by grant, which a denylist of jtis could not express.

// clientCredentialsFactory is fosite's client-credentials handler with an
// access-token storage that stores nothing.
func clientCredentialsFactory(config fosite.Configurator, _ interface{}, strategy interface{}) interface{} {
	return &oauth2.ClientCredentialsGrantHandler{
		HandleHelper: &oauth2.HandleHelper{
			AccessTokenStrategy: strategy.(oauth2.AccessTokenStrategy),
			AccessTokenStorage:  noAccessRows{},
			Config:              config,
		},
		Config: config,
	}
}

// noAccessRows is the access-token storage of the client-credentials grant.
type noAccessRows struct{}

func (noAccessRows) CreateAccessTokenSession(context.Context, string, fosite.Requester) error {
	return nil
}

func (noAccessRows) GetAccessTokenSession(context.Context, string, fosite.Session) (fosite.Requester, error) {
	return nil, fosite.ErrNotFound
}

func (noAccessRows) DeleteAccessTokenSession(context.Context, string) error { return nil }

// statelessIntrospector answers for client-credentials tokens and hands
// every other token to fosite's validator.
type statelessIntrospector struct {
	next   fosite.TokenIntrospector
	tokens *verifiedTokens
	store  Storage
}

func (i *statelessIntrospector) IntrospectToken(ctx context.Context, token string, use fosite.TokenUse, ar fosite.AccessRequester, scopes []string) (fosite.TokenUse, error) {
	c, ok := i.tokens.stateless(ctx, token)
	if !ok {
		return i.next.IntrospectToken(ctx, token, use, ar, scopes)
	}
	client, err := activeStateless(ctx, i.store, c)
	if err != nil {
		return "", err
	}
	granted := fosite.Arguments(strings.Fields(c.Scope))
	for _, s := range scopes {
		if s != "" && !fosite.ExactScopeStrategy(granted, s) {
			return "", fosite.ErrInvalidScope.WithHintf("The request scope '%s' has not been granted.", s)
		}
	}
	sess := NewSession()
	sess.Subject, sess.ClientID, sess.Grant = c.Subject, c.ClientID, c.Grant
	sess.SetExpiresAt(fosite.AccessToken, c.expiresAt())
	ar.Merge(&fosite.Request{
		ID:              c.JTI,
		RequestedAt:     time.Unix(c.IssuedAt, 0).UTC(),
		Client:          client,
		RequestedScope:  granted,
		GrantedScope:    granted,
		GrantedAudience: c.Audience,
		Form:            url.Values{},
		Session:         sess,
	})
	return fosite.AccessToken, nil
}

// activeStateless returns the token's client if the token is active. A
// database error is returned as it is (an outage must not read as
// "inactive"); every other reason is fosite.ErrInactiveToken.
func activeStateless(ctx context.Context, st Storage, c *accessClaims) (fosite.Client, error) {
	if !time.Now().Before(c.expiresAt()) {
		return nil, fosite.ErrInactiveToken.WithHint("The token has expired.")
	}
	client, err := st.GetClient(ctx, c.ClientID)
	if errors.Is(err, fosite.ErrNotFound) {
		return nil, fosite.ErrInactiveToken.WithHint("The token's client is deleted or disabled.")
	}
	if err != nil {
		return nil, err
	}
	// A client deleted and created again under the same id starts afresh:
	// tokens made before it was created are not its own.
	if oc, ok := client.(*store.OAuthClient); ok && c.issuedMilli() < oc.CreatedAt.UnixMilli() {
		return nil, fosite.ErrInactiveToken.WithHint("The token was issued to an earlier client with this id.")
	}
	revoked, err := st.TokenIDRevoked(ctx, c.JTI)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, fosite.ErrInactiveToken.WithHint("The token has been revoked.")
	}
	return client, nil
}

// statelessRevoker revokes client-credentials tokens through the denylist
// and hands every other token to fosite's revocation handler.
type statelessRevoker struct {
	next   fosite.RevocationHandler
	tokens *verifiedTokens
	store  Storage
}

func (r *statelessRevoker) RevokeToken(ctx context.Context, token string, hint fosite.TokenType, client fosite.Client) error {
	c, ok := r.tokens.stateless(ctx, token)
	if !ok {
		return r.next.RevokeToken(ctx, token, hint, client)
	}
	if c.ClientID != client.GetID() {
		return fosite.ErrUnauthorizedClient // as fosite answers for a stored token
	}
	if !time.Now().Before(c.expiresAt()) {
		return nil // it cannot be used any more: nothing to record
	}
	return r.store.RevokeTokenID(ctx, c.JTI, c.ClientID, c.expiresAt())
}
