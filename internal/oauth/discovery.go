package oauth

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Metadata is the discovery document (OpenID Connect Discovery 1.0, RFC
// 8414). It lists exactly what this build implements; testdata pins it.
type Metadata struct {
	Issuer                                    string   `json:"issuer"`
	AuthorizationEndpoint                     string   `json:"authorization_endpoint"`
	TokenEndpoint                             string   `json:"token_endpoint"`
	UserinfoEndpoint                          string   `json:"userinfo_endpoint"`
	JWKSURI                                   string   `json:"jwks_uri"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	EndSessionEndpoint                        string   `json:"end_session_endpoint"`
	ScopesSupported                           []string `json:"scopes_supported"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	ResponseModesSupported                    []string `json:"response_modes_supported"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	SubjectTypesSupported                     []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported          []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported             []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	ClaimsSupported                           []string `json:"claims_supported"`
	PromptValuesSupported                     []string `json:"prompt_values_supported"`
	ClaimsParameterSupported                  bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                 bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported              bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseIssParameter         bool     `json:"authorization_response_iss_parameter_supported"`
	AccessTokenSigningAlgValuesSupported      []string `json:"access_token_signing_alg_values_supported"`
}

// Metadata returns the discovery document for this server.
func (p *Provider) Metadata() Metadata {
	secretMethods := []string{"client_secret_basic", "client_secret_post"}
	return Metadata{
		Issuer:                                    p.issuer,
		AuthorizationEndpoint:                     p.issuer + "/oauth2/authorize",
		TokenEndpoint:                             p.issuer + "/oauth2/token",
		UserinfoEndpoint:                          p.issuer + "/userinfo",
		JWKSURI:                                   p.issuer + "/.well-known/jwks.json",
		IntrospectionEndpoint:                     p.issuer + "/oauth2/introspect",
		RevocationEndpoint:                        p.issuer + "/oauth2/revoke",
		EndSessionEndpoint:                        p.issuer + "/oauth2/logout",
		ScopesSupported:                           []string{"openid", "profile", "email", "offline_access"},
		ResponseTypesSupported:                    []string{"code"},
		ResponseModesSupported:                    []string{"query"},
		GrantTypesSupported:                       p.grantTypes,
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          []string{"RS256"},
		CodeChallengeMethodsSupported:             []string{"S256"},
		TokenEndpointAuthMethodsSupported:         append(secretMethods, "none"),
		IntrospectionEndpointAuthMethodsSupported: secretMethods,
		RevocationEndpointAuthMethodsSupported:    append(append([]string{}, secretMethods...), "none"),
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp",
			"name", "preferred_username", "email", "email_verified"},
		PromptValuesSupported:                []string{"none", "login", "consent"},
		AuthorizationResponseIssParameter:    true,
		AccessTokenSigningAlgValuesSupported: []string{p.accessAlg},
	}
}

func (p *Provider) discovery(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, p.Metadata())
}

// jwks publishes the public keys: the next, the active and the retired ones.
func (p *Provider) jwks(c *gin.Context) {
	set, err := p.keys.JWKS(c.Request.Context())
	if err != nil {
		p.log.ErrorContext(c.Request.Context(), "jwks", "error", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "temporarily_unavailable"})
		return
	}
	c.Header("Access-Control-Allow-Origin", "*")
	// Short enough that a key published ahead of a rotation reaches caches in time.
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, set)
}
