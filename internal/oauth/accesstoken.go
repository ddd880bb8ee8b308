package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

// grantClientCredentials marks a client's own token (claim gty). Such a
// token is stateless: no row is stored for it, the JWT carries everything
// introspection needs, and revoking it puts its jti on a denylist.
const grantClientCredentials = "client_credentials"

// accessClaims are the claims of every access token (RFC 9068 §2.2).
type accessClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope,omitempty"`
	IssuedAt  int64    `json:"iat"`
	ExpiresAt int64    `json:"exp,omitempty"`
	JTI       string   `json:"jti"`
	Grant     string   `json:"gty,omitempty"`

	kid string // the key that signed it, once verified
}

func (c *accessClaims) expiresAt() time.Time { return time.Unix(c.ExpiresAt, 0).UTC() }

// accessTokenStrategy is fosite's core strategy with JWT access tokens
// built and checked here; refresh tokens and codes stay fosite's opaque
// HMAC tokens. A token is built from a struct of claims and a header
// encoded once per key: fosite's claims maps and go-jose v3 serialisation
// cost about half as much again as the ES256 signature itself (profile in
// docs/benchmarks.md, 05:51 run). Checking goes through the same
// verified-token cache as introspection of stateless tokens.
type accessTokenStrategy struct {
	*oauth2.HMACSHAStrategy
	mint     *minter
	verified *verifiedTokens
}

// AccessTokenSignature is the JWS signature: what rows are keyed by.
func (s *accessTokenStrategy) AccessTokenSignature(_ context.Context, token string) string {
	if strings.Count(token, ".") != 2 {
		return ""
	}
	return token[strings.LastIndexByte(token, '.')+1:]
}

// ValidateAccessToken checks the signature and expiry of a token whose row
// fosite found.
func (s *accessTokenStrategy) ValidateAccessToken(ctx context.Context, _ fosite.Requester, token string) error {
	c, err := s.verified.verify(ctx, token)
	switch {
	case errors.Is(err, errNotAccessToken), errors.Is(err, keys.ErrNoKey):
		return fosite.ErrTokenSignatureMismatch.WithWrap(err).WithDebug(err.Error())
	case err != nil:
		return err
	case !time.Now().Before(c.expiresAt()):
		return fosite.ErrTokenExpired.WithHint("The access token has expired.")
	}
	return nil
}

// GenerateAccessToken builds and signs an RFC 9068 access token; its JWS
// signature is what a row (for users' tokens) is keyed by.
func (s *accessTokenStrategy) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	sess, ok := r.GetSession().(*Session)
	if !ok {
		return "", "", fmt.Errorf("oauth: session of type %T cannot carry an access token", r.GetSession())
	}
	c := &accessClaims{
		Issuer:   s.mint.issuer,
		Subject:  sess.Subject,
		Audience: r.GetGrantedAudience(),
		ClientID: sess.ClientID,
		Scope:    strings.Join(r.GetGrantedScopes(), " "),
		IssuedAt: time.Now().Unix(),
		JTI:      newJTI(),
		Grant:    sess.Grant,
	}
	if c.Audience == nil {
		c.Audience = []string{}
	}
	if exp := sess.GetExpiresAt(fosite.AccessToken); !exp.IsZero() {
		c.ExpiresAt = exp.Unix()
	}
	token, err := s.mint.sign(ctx, c)
	if err != nil {
		return "", "", err
	}
	return token, token[strings.LastIndexByte(token, '.')+1:], nil
}

// newJTI returns a UUIDv7 (RFC 9562): random, and stamped with the
// millisecond it was made, which tells a token of a deleted client from
// one of a new client created later under the same id.
func newJTI() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString() // the clock or the random source failed; v4 needs only the latter
	}
	return id.String()
}

// issuedMilli is when the token was made, to the millisecond: from its
// UUIDv7 jti, or from iat (whole seconds) for any other jti.
func (c *accessClaims) issuedMilli() int64 {
	if id, err := uuid.Parse(c.JTI); err == nil && id.Version() == 7 {
		return int64(binary.BigEndian.Uint64(id[:8]) >> 16)
	}
	return c.IssuedAt * 1000
}

// minter signs access tokens with the active key of one algorithm.
type minter struct {
	keys   *keys.Manager
	alg    string
	issuer string
	header atomic.Pointer[encodedHeader]
}

type encodedHeader struct {
	kid string
	b64 string
}

// headerFor returns the encoded JOSE header for key k, built once per key.
func (m *minter) headerFor(k *keys.Key) (string, error) {
	if h := m.header.Load(); h != nil && h.kid == k.KID {
		return h.b64, nil
	}
	raw, err := json.Marshal(struct {
		Alg string `json:"alg"`
		KID string `json:"kid"`
		Typ string `json:"typ"`
	}{k.Algorithm, k.KID, "at+jwt"}) // RFC 9068 §2.1
	if err != nil {
		return "", err
	}
	h := &encodedHeader{kid: k.KID, b64: base64.RawURLEncoding.EncodeToString(raw)}
	m.header.Store(h)
	return h.b64, nil
}

func (m *minter) sign(ctx context.Context, c *accessClaims) (string, error) {
	k, err := m.keys.Signing(ctx, m.alg)
	if err != nil {
		return "", err
	}
	header, err := m.headerFor(k)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	// Room for the largest signature we make (RSA 4096: 512 bytes).
	buf := make([]byte, 0, len(header)+enc.EncodedLen(len(payload))+enc.EncodedLen(512)+2)
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	sig, err := signDigest(k, digest[:])
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// signDigest signs a SHA-256 digest as JWS wants it: ES256 as the fixed
// 64-byte r‖s (RFC 7518 §3.4), not ASN.1; RS256 as PKCS #1 v1.5.
func signDigest(k *keys.Key, digest []byte) ([]byte, error) {
	switch k.Algorithm {
	case keys.ES256:
		priv, ok := k.Private.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("oauth: key %s is not an ECDSA key", k.KID)
		}
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	case keys.RS256:
		return k.Private.Sign(rand.Reader, digest, crypto.SHA256)
	}
	return nil, fmt.Errorf("oauth: cannot sign access tokens with %s", k.Algorithm)
}

// verifiedTokens checks access-token signatures and remembers the tokens
// that passed, so a token introspected again and again (what resource
// servers do) is verified once. A signature stays valid for the life of
// the token; expiry and revocation are checked on every use, and so is
// that the signing key is still published.
type verifiedTokens struct {
	keys *keys.Manager
	// issuer is ours: a token signed by our key under another issuer (the
	// issuer was reconfigured) is not one of ours any more.
	issuer string
	cache  *lru.Cache[string, *accessClaims]
}

// verifiedCacheSize bounds the memory the cache holds: a token and its
// claims take about 1 KiB, so 8 MiB at most.
const verifiedCacheSize = 8192

func newVerifiedTokens(km *keys.Manager, issuer string) *verifiedTokens {
	cache, err := lru.New[string, *accessClaims](verifiedCacheSize)
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return &verifiedTokens{keys: km, issuer: issuer, cache: cache}
}

var errNotAccessToken = errors.New("not an access token issued here")

// verify returns the claims of an access token signed by one of our
// published keys. It does not look at expiry.
func (v *verifiedTokens) verify(ctx context.Context, token string) (*accessClaims, error) {
	if c, ok := v.cache.Get(token); ok {
		if _, err := v.keys.Verification(ctx, c.kid); err != nil {
			v.cache.Remove(token)
			return nil, err
		}
		return c, nil
	}
	// Only JWS compact serialisation: three parts, none of them empty.
	if strings.Count(token, ".") != 2 {
		return nil, errNotAccessToken
	}
	tok, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return nil, errNotAccessToken
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		return nil, errNotAccessToken // an ID token is not an access token
	}
	k, err := v.keys.Verification(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	if h.Algorithm != k.Algorithm {
		return nil, errNotAccessToken
	}
	c := &accessClaims{}
	if err := tok.Claims(k.Public.Key, c); err != nil || c.Issuer != v.issuer {
		return nil, errNotAccessToken
	}
	c.kid = k.KID
	v.cache.Add(token, c)
	return c, nil
}

// stateless returns the claims of a verified client-credentials token;
// ok is false for anything else (a user's token, a refresh token, garbage).
func (v *verifiedTokens) stateless(ctx context.Context, token string) (c *accessClaims, ok bool) {
	c, err := v.verify(ctx, token)
	if err != nil || c.Grant != grantClientCredentials {
		return nil, false
	}
	return c, true
}
