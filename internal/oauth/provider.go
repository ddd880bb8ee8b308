package oauth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Storage is what the protocol layer needs from the database.
type Storage interface {
	fosite.ClientManager
	TouchClient(ctx context.Context, id string, t time.Time) error
	oauth2.CoreStorage
	oauth2.TokenRevocationStorage
	openid.OpenIDConnectRequestStorage
	pkce.PKCERequestStorage
	storage.Transactional
	store.RevokedTokens
	FindUser(ctx context.Context, id string) (*store.User, error)
	FindConsent(ctx context.Context, userID, clientID string) (*store.Consent, error)
	SaveConsent(ctx context.Context, c *store.Consent) error
	// AllowedOrigins is the union of every Web App client's CORS origins.
	AllowedOrigins(ctx context.Context) ([]string, error)
}

// Options configure the provider.
type Options struct {
	Issuer              string
	AccessTokenLifetime time.Duration
	// AccessTokenAlgorithm is keys.ES256 or keys.RS256.
	AccessTokenAlgorithm string
	// HMACSecret keys fosite's opaque tokens (refresh tokens, codes); ≥ 32 bytes.
	HMACSecret []byte
	// RefreshTokenLifetime bounds a refresh token (rotated on every use).
	RefreshTokenLifetime time.Duration
	// IDTokenLifetime bounds ID tokens.
	IDTokenLifetime time.Duration
	// SecretHasher verifies client secrets (package clientsecret).
	SecretHasher fosite.Hasher
	Logger       *slog.Logger
}

// Provider serves the protocol endpoints.
type Provider struct {
	oauth2    fosite.OAuth2Provider
	store     Storage
	keys      *keys.Manager
	issuer    string
	accessAlg string
	// grantTypes are the grants the composed handlers serve.
	grantTypes []string
	usage      *usageRecorder
	idSigner   *signer
	origins    *originCache
	// SignIn and Logout are the browser side of the flow (package login);
	// set by the composition root.
	SignIn SignIn
	Logout Logout
	// Metrics records tokens issued and failed client authentications (nil: off).
	Metrics *metrics.Metrics
	log     *slog.Logger
}

// New composes fosite with exactly the handlers Gatehouse offers — never
// ComposeAllEnabled, which would also switch on the password and implicit
// grants (FOSITE-NOTES §1).
func New(st Storage, km *keys.Manager, opts Options) (*Provider, error) {
	if len(opts.HMACSecret) < 32 {
		return nil, errors.New("oauth: HMAC secret must be at least 32 bytes")
	}
	cfg := &fosite.Config{
		AccessTokenLifespan:            opts.AccessTokenLifetime,
		RefreshTokenLifespan:           opts.RefreshTokenLifetime,
		IDTokenLifespan:                opts.IDTokenLifetime,
		AuthorizeCodeLifespan:          10 * time.Minute,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		RefreshTokenScopes:             []string{"offline_access"},
		IDTokenIssuer:                  opts.Issuer,
		TokenURL:                       opts.Issuer + "/oauth2/token",
		GlobalSecret:                   opts.HMACSecret,
		ClientSecretsHasher:            opts.SecretHasher,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		SendDebugMessagesToClients:     false,
	}
	idSigner := &signer{keys: km, alg: keys.RS256}
	verified := newVerifiedTokens(km, opts.Issuer)
	strategy := &compose.CommonStrategy{
		CoreStrategy: &accessTokenStrategy{
			HMACSHAStrategy: compose.NewOAuth2HMACStrategy(cfg),
			mint:            &minter{keys: km, alg: opts.AccessTokenAlgorithm, issuer: opts.Issuer},
			verified:        verified,
		},
		OpenIDConnectTokenStrategy: &openid.DefaultStrategy{Signer: idSigner, Config: cfg},
		// Used by the OIDC request validator to read id_token_hint.
		Signer: idSigner,
	}
	// The guard runs first so a client without scopes hears
	// unauthorized_client rather than invalid_scope (SPEC §4).
	cfg.TokenEndpointHandlers.Append(scopeGuard{})
	// The authorize-code handler must come before PKCE: otherwise a replayed
	// code fails on the missing PKCE session and never triggers revocation
	// (FOSITE-NOTES §1).
	provider := compose.Compose(cfg, st, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		clientCredentialsFactory, // stateless tokens: see stateless.go
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
	)
	// fosite asks every token handler to populate every response; those
	// that do not handle the grant answer with an error carrying a stack
	// trace (errorsx.WithStack), five unwinds per token request. Asking
	// CanHandleTokenEndpointRequest first gives the same answer for free.
	for i, h := range cfg.TokenEndpointHandlers {
		cfg.TokenEndpointHandlers[i] = gatedHandler{h}
	}
	// fosite asks every introspector and revocation handler about every
	// token, so the stateless ones wrap fosite's rather than join them.
	for i, h := range cfg.TokenIntrospectionHandlers {
		cfg.TokenIntrospectionHandlers[i] = &statelessIntrospector{next: h, tokens: verified, store: st}
	}
	for i, h := range cfg.RevocationHandlers {
		cfg.RevocationHandlers[i] = &statelessRevoker{next: h, tokens: verified, store: st}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Provider{oauth2: provider, store: st, keys: km, issuer: opts.Issuer, accessAlg: opts.AccessTokenAlgorithm,
		idSigner:   idSigner,
		grantTypes: []string{"authorization_code", "refresh_token", "client_credentials"}, log: log,
		origins: &originCache{store: st, ttl: 10 * time.Second},
		usage:   &usageRecorder{store: st, interval: time.Minute, log: log, last: map[string]time.Time{}}}, nil
}

// gatedHandler skips a token handler that does not handle the request.
type gatedHandler struct{ fosite.TokenEndpointHandler }

func (g gatedHandler) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	return g.TokenEndpointHandler.PopulateTokenEndpointResponse(ctx, r, resp)
}

// scopeGuard refuses token requests from clients that may request nothing:
// such a client is in status needs_attention.
type scopeGuard struct{}

func (scopeGuard) HandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) error {
	if len(r.GetClient().GetScopes()) == 0 {
		return fosite.ErrUnauthorizedClient.WithHint("The client has no permissions; an administrator must grant it scopes.")
	}
	return fosite.ErrUnknownRequest // let the grant handlers do the rest
}

func (scopeGuard) PopulateTokenEndpointResponse(context.Context, fosite.AccessRequester, fosite.AccessResponder) error {
	return fosite.ErrUnknownRequest
}

func (scopeGuard) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (scopeGuard) CanHandleTokenEndpointRequest(context.Context, fosite.AccessRequester) bool {
	return true
}
