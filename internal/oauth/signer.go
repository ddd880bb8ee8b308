package oauth

import (
	"context"
	"fmt"

	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

// signer is fosite's jwt.Signer over our key manager, for ID tokens (access
// tokens are accessTokenStrategy's): it signs with the active key of one
// algorithm and verifies — an id_token_hint — with whichever published key
// the token's kid names, so tokens signed before a rotation still verify.
// fosite signs with go-jose v3 and wants raw crypto keys (FOSITE-NOTES §11).
type signer struct {
	keys *keys.Manager
	alg  string
}

var _ jwt.Signer = (*signer)(nil)

func (s *signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	k, err := s.keys.Signing(ctx, s.alg)
	if err != nil {
		return "", "", err
	}
	header.Add("kid", k.KID)
	fixed := &jwt.DefaultSigner{GetPrivateKey: func(context.Context) (interface{}, error) { return k.Private, nil }}
	return fixed.Generate(ctx, claims, header)
}

func (s *signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (interface{}, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := s.keys.Verification(ctx, kid)
		if err != nil {
			return nil, err
		}
		if string(t.Method) != k.Algorithm {
			return nil, fmt.Errorf("token alg %s does not match key %s (%s)", t.Method, kid, k.Algorithm)
		}
		return k.Public.Key, nil
	})
}

func (s *signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

func (s *signer) GetSignature(ctx context.Context, token string) (string, error) {
	return (&jwt.DefaultSigner{}).GetSignature(ctx, token)
}

func (s *signer) Hash(ctx context.Context, in []byte) ([]byte, error) {
	return (&jwt.DefaultSigner{}).Hash(ctx, in)
}

func (s *signer) GetSigningMethodLength(context.Context) int { return jwt.SHA256HashSize }
