package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

const testIssuer = "https://id.example"

// newKeys is a key manager with an ES256 and an RS256 key on SQLite.
func newKeys(t testing.TB) *keys.Manager {
	t.Helper()
	st := sqltest.Open(t, sqltest.SQLiteDSN(t))
	sealer, err := keys.NewSealer([]byte("access-token-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	km := &keys.Manager{Store: st, Sealer: sealer, PublishAhead: time.Hour, Retention: 73 * time.Hour, Refresh: time.Minute}
	if err := km.Ensure(context.Background(), keys.ES256, keys.RS256); err != nil {
		t.Fatal(err)
	}
	return km
}

func mint(t testing.TB, km *keys.Manager, alg string) (string, *accessClaims) {
	t.Helper()
	c := &accessClaims{Issuer: testIssuer, Subject: "svc", Audience: []string{"svc"}, ClientID: "svc",
		Scope: "a b", IssuedAt: time.Now().Unix(), ExpiresAt: time.Now().Add(time.Hour).Unix(), JTI: newJTI(), Grant: grantClientCredentials}
	tok, err := (&minter{keys: km, alg: alg, issuer: c.Issuer}).sign(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

// TestMintVerifyRoundTrip: what the minter signs, the verifier accepts with
// the same claims, for both algorithms; the jti dates the token.
func TestMintVerifyRoundTrip(t *testing.T) {
	km := newKeys(t)
	for _, alg := range []string{keys.ES256, keys.RS256} {
		tok, want := mint(t, km, alg)
		got, err := newVerifiedTokens(km, testIssuer).verify(context.Background(), tok)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		got.kid, want.kid = "", ""
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: claims %+v, want %+v", alg, got, want)
		}
		if ms := want.issuedMilli(); ms < (want.IssuedAt-1)*1000 || ms > (want.IssuedAt+1)*1000 {
			t.Errorf("%s: jti time %d ms, iat %d s", alg, ms, want.IssuedAt)
		}
	}
}

// FuzzVerifyAccessToken: no input makes the verifier panic, and whatever
// it accepts carries exactly the claims of the one token signed here — a
// mutation never gets through with other claims.
func FuzzVerifyAccessToken(f *testing.F) {
	km := newKeys(f)
	tok, want := mint(f, km, keys.ES256)
	parts := strings.Split(tok, ".")
	f.Add(tok)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + ".")
	f.Add(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"gty":"client_credentials"}`)) + "." + parts[2])
	f.Add("a.b.c")
	f.Add("")
	v := newVerifiedTokens(km, testIssuer)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := v.verify(context.Background(), s)
		if err != nil {
			return
		}
		got := *c
		got.kid = ""
		w := *want
		w.kid = ""
		if !reflect.DeepEqual(&got, &w) {
			t.Fatalf("accepted %q with claims %+v", s, got)
		}
		_ = c.issuedMilli()
	})
}

// TestValidateAccessToken: the check fosite runs on a token it found a row
// for refuses an expired token and a bad signature, with fosite's errors.
func TestValidateAccessToken(t *testing.T) {
	km := newKeys(t)
	s := &accessTokenStrategy{verified: newVerifiedTokens(km, testIssuer)}
	ctx := context.Background()
	good, _ := mint(t, km, keys.ES256)
	if err := s.ValidateAccessToken(ctx, nil, good); err != nil {
		t.Errorf("valid token: %v", err)
	}
	c := &accessClaims{Issuer: testIssuer, Subject: "u", Audience: []string{}, ClientID: "web",
		IssuedAt: time.Now().Add(-2 * time.Hour).Unix(), ExpiresAt: time.Now().Add(-time.Hour).Unix(), JTI: newJTI()}
	expired, err := (&minter{keys: km, alg: keys.ES256}).sign(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ValidateAccessToken(ctx, nil, expired); !errors.Is(err, fosite.ErrTokenExpired) {
		t.Errorf("expired token: %v, want ErrTokenExpired", err)
	}
	parts := strings.Split(good, ".")
	other, _ := mint(t, km, keys.ES256)
	forged := parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2]
	if err := s.ValidateAccessToken(ctx, nil, forged); !errors.Is(err, fosite.ErrTokenSignatureMismatch) {
		t.Errorf("signature of another token: %v, want ErrTokenSignatureMismatch", err)
	}
	c.Issuer, c.ExpiresAt = "https://old-name.example", time.Now().Add(time.Hour).Unix()
	elsewhere, err := (&minter{keys: km, alg: keys.ES256}).sign(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ValidateAccessToken(ctx, nil, elsewhere); !errors.Is(err, fosite.ErrTokenSignatureMismatch) {
		t.Errorf("token of another issuer, signed by our key: %v, want refused", err)
	}
	// Signed by our access-token key with our issuer, but not typed as an
	// access token (RFC 9068 §4: an ID token or any other JWT must not pass).
	k, err := km.Signing(ctx, keys.ES256)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.Private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.KID))
	if err != nil {
		t.Fatal(err)
	}
	c.Issuer = testIssuer
	untyped, err := josejwt.Signed(plain).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ValidateAccessToken(ctx, nil, untyped); !errors.Is(err, fosite.ErrTokenSignatureMismatch) {
		t.Errorf("a JWT of typ JWT signed by our key: %v, want refused", err)
	}
	if got := s.AccessTokenSignature(ctx, good); got != parts[2] {
		t.Errorf("AccessTokenSignature = %q, want the JWS signature", got)
	}
	if got := s.AccessTokenSignature(ctx, "ory_rt_opaque"); got != "" {
		t.Errorf("AccessTokenSignature of a non-JWT = %q, want empty", got)
	}
}
