package oauth

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Metadata is the discovery document (OpenID Connect Discovery 1.0, RFC
// 8414). It lists exactly what this build implements; testdata pins it.
type Metadata struct {
	Issuer                                    string   `json:"issuer"`
	TokenEndpoint                             string   `json:"token_endpoint"`
	JWKSURI                                   string   `json:"jwks_uri"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	ClaimsSupported                           []string `json:"claims_supported"`
	AccessTokenSigningAlgValuesSupported      []string `json:"access_token_signing_alg_values_supported,omitempty"`
}

// Metadata returns the discovery document for this server.
func (p *Provider) Metadata() Metadata {
	secretMethods := []string{"client_secret_basic", "client_secret_post"}
	return Metadata{
		Issuer:                            p.issuer,
		TokenEndpoint:                     p.issuer + "/oauth2/token",
		JWKSURI:                           p.issuer + "/.well-known/jwks.json",
		IntrospectionEndpoint:             p.issuer + "/oauth2/introspect",
		RevocationEndpoint:                p.issuer + "/oauth2/revoke",
		GrantTypesSupported:               []string{"client_credentials"},
		ResponseTypesSupported:            []string{},
		TokenEndpointAuthMethodsSupported: secretMethods,
		IntrospectionEndpointAuthMethodsSupported: secretMethods,
		RevocationEndpointAuthMethodsSupported:    secretMethods,
		ClaimsSupported:                           []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"},
		AccessTokenSigningAlgValuesSupported:      []string{p.accessAlg},
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
