package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestClientCredentialsEndToEnd walks the newcomer's path on each backend:
// migrate, register an API client with the CLI, get a token with a real
// OAuth client library, verify it against the served JWKS, introspect,
// revoke, introspect again; then a second process on the same database.
func TestClientCredentialsEndToEnd(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			env := baseEnv(b.NewDSN(t))
			if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
				t.Fatalf("migrate up: %d %s", code, errOut)
			}
			id, secret := createAPIClient(t, env, "--name", "Orders service", "--scopes", "orders:read,orders:write")
			srv := startServer(t, env)
			ctx := context.Background()

			// client_secret_basic, as x/oauth2 sends it.
			cc := clientcredentials.Config{
				ClientID: id, ClientSecret: secret, TokenURL: srv.URL + "/oauth2/token",
				Scopes: []string{"orders:read"}, AuthStyle: oauth2.AuthStyleInHeader,
			}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatalf("client_secret_basic token: %v", err)
			}
			claims := verifyAccessToken(t, srv.URL, tok.AccessToken)
			if claims.Subject != id || claims.Issuer != "http://gatehouse.test" || claims.ClientID != id {
				t.Errorf("claims sub=%q iss=%q client_id=%q", claims.Subject, claims.Issuer, claims.ClientID)
			}
			if claims.Scope != "orders:read" {
				t.Errorf("scope = %q, want orders:read", claims.Scope)
			}
			if !slices.Contains([]string(claims.Audience), id) {
				t.Errorf("aud = %v, want it to hold the client id", claims.Audience)
			}
			if claims.ID == "" || claims.IssuedAt == nil || claims.Expiry == nil {
				t.Fatalf("missing jti/iat/exp: %+v", claims)
			}
			if life := claims.Expiry.Time().Sub(claims.IssuedAt.Time()); life != time.Hour {
				t.Errorf("lifetime = %s, want the 1h default", life)
			}

			// client_secret_post, and no scope asked: every scope of the client.
			post := cc
			post.AuthStyle = oauth2.AuthStyleInParams
			post.Scopes = nil
			tok2, err := post.Token(ctx)
			if err != nil {
				t.Fatalf("client_secret_post token: %v", err)
			}
			if got := verifyAccessToken(t, srv.URL, tok2.AccessToken).Scope; got != "orders:read orders:write" {
				t.Errorf("default scope = %q", got)
			}

			status, intro := postForm(t, srv.URL+"/oauth2/introspect", id, secret, url.Values{"token": {tok.AccessToken}})
			if status != http.StatusOK || intro["active"] != true || intro["client_id"] != id ||
				intro["scope"] != "orders:read" || intro["exp"] == nil {
				t.Fatalf("introspect: %d %v", status, intro)
			}
			if status, _ := postForm(t, srv.URL+"/oauth2/revoke", id, secret, url.Values{"token": {tok.AccessToken}}); status != http.StatusOK {
				t.Fatalf("revoke: %d", status)
			}
			status, intro = postForm(t, srv.URL+"/oauth2/introspect", id, secret, url.Values{"token": {tok.AccessToken}})
			if status != http.StatusOK || len(intro) != 1 || intro["active"] != false {
				t.Fatalf("introspect after revoke: %d %v, want exactly {\"active\": false}", status, intro)
			}
			// The other token is untouched by that revocation.
			if _, intro := postForm(t, srv.URL+"/oauth2/introspect", id, secret, url.Values{"token": {tok2.AccessToken}}); intro["active"] != true {
				t.Fatalf("second token became inactive: %v", intro)
			}

			// A second process on the same database serves the same keys and
			// knows the tokens the first one issued.
			srv2 := startServer(t, env)
			if a, b := jwksKIDs(t, srv.URL), jwksKIDs(t, srv2.URL); !slices.Equal(a, b) {
				t.Errorf("JWKS differ between processes: %v vs %v", a, b)
			}
			if _, intro := postForm(t, srv2.URL+"/oauth2/introspect", id, secret, url.Values{"token": {tok2.AccessToken}}); intro["active"] != true {
				t.Errorf("second process: token from the first is %v", intro)
			}
			verifyAccessToken(t, srv2.URL, tok2.AccessToken)

			// Nothing secret reached the logs.
			srv.Stop(t)
			srv2.Stop(t)
			for _, s := range []string{secret, tok.AccessToken, tok2.AccessToken, testSecret} {
				if strings.Contains(srv.Log.String()+srv2.Log.String(), s) {
					t.Errorf("a secret or token appears in the log")
				}
			}
			if !strings.Contains(srv.Log.String(), "request_id=") {
				t.Errorf("request lines carry no request id:\n%s", srv.Log.String())
			}
		})
	}
}

// TestTokenEndpointRefusals checks the documented errors.
func TestTokenEndpointRefusals(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	env := baseEnv(dsn)
	runCLI(t, env, "migrate", "up")
	id, secret := createAPIClient(t, env, "--name", "svc", "--scopes", "a")
	noScopes, noScopesSecret := createAPIClient(t, env, "--name", "new", "--scopes", "")
	disabled, disabledSecret := createAPIClient(t, env, "--name", "off", "--scopes", "a")
	expired, expiredSecret := createAPIClient(t, env, "--name", "old", "--scopes", "a")
	srv := startServer(t, env)

	st, err := sqlstore.Open(dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	must(t, st.UpdateClient(ctx, disabled, func(c *store.Client) error { c.Enabled = false; return nil }))
	must(t, st.UpdateClient(ctx, expired, func(c *store.Client) error {
		c.SecretExpiresAt = time.Now().UTC().Add(-time.Second)
		return nil
	}))

	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name       string
		user, pass string
		form       url.Values
		status     int
		errCode    string
	}{
		{"wrong secret", id, "not-the-secret-at-all-not-the-secret", cc, 401, "invalid_client"},
		{"unknown client", "nobody", secret, cc, 401, "invalid_client"},
		{"no credentials", "", "", cc, 401, "invalid_client"},
		{"unknown scope", id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"a b"}}, 400, "invalid_scope"},
		{"unsupported grant", id, secret, url.Values{"grant_type": {"password"}, "username": {"x"}, "password": {"y"}}, 400, "unsupported_grant_type"},
		{"no grant type", id, secret, url.Values{"scope": {"a"}}, 400, "invalid_request"},
		{"client without scopes", noScopes, noScopesSecret, cc, 400, "unauthorized_client"},
		{"disabled client", disabled, disabledSecret, cc, 401, "invalid_client"},
		{"expired secret", expired, expiredSecret, cc, 401, "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postForm(t, srv.URL+"/oauth2/token", tc.user, tc.pass, tc.form)
			if status != tc.status || body["error"] != tc.errCode {
				t.Errorf("got %d %v, want %d %s", status, body, tc.status, tc.errCode)
			}
			if _, ok := body["error_description"]; !ok {
				t.Errorf("no error_description in %v", body)
			}
		})
	}
}

// TestClientLifetimeLimit: 72 h is the ceiling, on the client and in the token.
func TestClientLifetimeLimit(t *testing.T) {
	env := baseEnv(sqltest.SQLiteDSN(t))
	runCLI(t, env, "migrate", "up")
	_, errOut, code := runCLI(t, env, "clients", "create-api", "--name", "x", "--scopes", "a", "--access-token-lifetime", "259201")
	if code == 0 || !strings.Contains(errOut, "access_token_lifetime") {
		t.Fatalf("lifetime 259201 accepted (exit %d): %s", code, errOut)
	}
	id, secret := createAPIClient(t, env, "--name", "x", "--scopes", "a", "--access-token-lifetime", "259200")
	srv := startServer(t, env)
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: srv.URL + "/oauth2/token"}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := verifyAccessToken(t, srv.URL, tok.AccessToken)
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life != 72*time.Hour {
		t.Errorf("lifetime = %s, want 72h", life)
	}
}

// TestNoPrivateKeyInClear reads the raw key rows: the private scalar of
// every key must not appear in them in any usual encoding.
func TestNoPrivateKeyInClear(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.NewDSN(t)
			env := baseEnv(dsn)
			runCLI(t, env, "migrate", "up")
			startServer(t, env).Stop(t) // first start generates the keys

			cfg, err := config.Load(nil, env)
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlstore.Open(dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			km, err := app.NewKeyManager(cfg, st)
			if err != nil {
				t.Fatal(err)
			}
			ks, err := km.All(context.Background())
			if err != nil || len(ks) < 2 {
				t.Fatalf("keys: %v %d", err, len(ks))
			}
			rows, err := st.DB().Raw("SELECT * FROM signing_keys").Rows()
			must(t, err)
			cols, _ := rows.Columns()
			var dump strings.Builder
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				must(t, rows.Scan(ptrs...))
				for _, v := range vals {
					if b, ok := v.([]byte); ok {
						dump.Write(b)
					} else {
						dump.WriteString(toString(v))
					}
				}
			}
			must(t, rows.Close())
			if dump.Len() == 0 {
				t.Fatal("read no key rows")
			}
			for _, k := range ks {
				priv, err := json.Marshal(jose.JSONWebKey{Key: k.Private, KeyID: k.KID, Algorithm: k.Algorithm})
				if err != nil {
					t.Fatal(err)
				}
				var jwk struct{ D string }
				must(t, json.Unmarshal(priv, &jwk))
				d, _ := base64.RawURLEncoding.DecodeString(jwk.D)
				if len(d) < 32 {
					t.Fatalf("key %s: no private scalar", k.KID)
				}
				if strings.Contains(dump.String(), jwk.D) || strings.Contains(dump.String(), string(d)) ||
					strings.Contains(dump.String(), base64.StdEncoding.EncodeToString(d)) {
					t.Errorf("key %s: private part stored in clear", k.KID)
				}
				if strings.Contains(dump.String(), `"d"`) {
					t.Errorf("a JWK with a private member is stored")
				}
			}
		})
	}
}

// TestCLIErrors: bad configuration names the key and exits non-zero.
func TestCLIErrors(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    string
	}{
		{"http issuer outside dev", []string{"GATEHOUSE_DSN=" + dsn, "GATEHOUSE_SECRET=" + testSecret, "GATEHOUSE_ISSUER=http://x.test"}, []string{"migrate", "up"}, "issuer"},
		{"no secret outside dev", []string{"GATEHOUSE_DSN=" + dsn, "GATEHOUSE_ISSUER=https://x.test"}, []string{"migrate", "up"}, "secret"},
		{"bad lifetime", baseEnv(dsn, "GATEHOUSE_TOKENS_ACCESS_TOKEN_LIFETIME=73h"), []string{"migrate", "up"}, "tokens.access_token_lifetime"},
		{"bad flag value", baseEnv(dsn), []string{"migrate", "up", "--log.level", "loud"}, "log.level"},
		{"outdated schema", baseEnv(dsn, "GATEHOUSE_DEV=false", "GATEHOUSE_ISSUER=https://x.test"), []string{"serve"}, "migrate up"},
		{"bad output", baseEnv(dsn), []string{"version", "--output", "xml"}, "--output"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, tc.environ, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q: want non-zero and a message naming %q", code, errOut, tc.want)
			}
		})
	}
	out, _, code := runCLI(t, nil, "version", "--output", "json")
	if code != 0 || !strings.Contains(out, `"version"`) {
		t.Errorf("version: %d %q", code, out)
	}
}

// accessClaims are the RFC 9068 claims we check.
type accessClaims struct {
	josejwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
}

// verifyAccessToken checks the JWT against the served JWKS as a resource
// server would, and its RFC 9068 header.
func verifyAccessToken(t *testing.T, base, raw string) accessClaims {
	t.Helper()
	tok, err := josejwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatalf("parse access token: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" {
		t.Errorf("typ = %v, want at+jwt", h.ExtraHeaders["typ"])
	}
	set := fetchJWKS(t, base)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	if !keys[0].IsPublic() {
		t.Fatalf("JWKS serves a private key")
	}
	var c accessClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("signature does not verify against the JWKS: %v", err)
	}
	if err := c.Claims.ValidateWithLeeway(josejwt.Expected{Time: time.Now()}, time.Minute); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return c
}

func fetchJWKS(t *testing.T, base string) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

func jwksKIDs(t *testing.T, base string) []string {
	var out []string
	for _, k := range fetchJWKS(t, base).Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func toString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return errors.New("unprintable").Error()
	}
	return string(b)
}
