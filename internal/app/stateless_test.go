package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestStatelessClientCredentialsTokens: a client-credentials token leaves
// no row, yet introspection and revocation stay exact — scope checks,
// another client's revocation attempt, forgeries, ID tokens presented as
// access tokens — while users' tokens keep their rows.
func TestStatelessClientCredentialsTokens(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newFlowEnv(t, b.NewDSN(t))
			ctx := context.Background()
			svc := &clients.Service{Store: e.app.Store, Hasher: e.app.Hasher}
			a, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: "a", Scopes: []string{"orders:read", "orders:write"}})
			if err != nil {
				t.Fatal(err)
			}
			other, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: "b", Scopes: []string{"orders:read"}})
			if err != nil {
				t.Fatal(err)
			}
			rows := func() int64 {
				t.Helper()
				n, err := e.app.Store.TableRows(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n["oauth_access_tokens"]
			}
			post := func(path, id, secret string, form url.Values) (int, map[string]any) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(id, secret)
				return doJSON(t, req)
			}
			introspect := func(token string, extra ...string) map[string]any {
				t.Helper()
				form := url.Values{"token": {token}}
				if len(extra) == 2 {
					form.Set(extra[0], extra[1])
				}
				status, m := post("/oauth2/introspect", a.Client.ID, a.Secret, form)
				if status != http.StatusOK {
					t.Fatalf("introspect: %d %v", status, m)
				}
				return m
			}
			wantInactive := func(what string, m map[string]any) {
				t.Helper()
				if len(m) != 1 || m["active"] != false {
					t.Errorf("%s: introspection %v, want exactly {\"active\": false}", what, m)
				}
			}

			cc := clientcredentials.Config{ClientID: a.Client.ID, ClientSecret: a.Secret,
				TokenURL: e.issuer + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := rows(); n != 0 {
				t.Errorf("%d access-token rows after a client-credentials token, want 0", n)
			}
			header, claims := jwtParts(t, tok.AccessToken)
			if header["typ"] != "at+jwt" || header["alg"] != "ES256" || header["kid"] == "" {
				t.Errorf("header %v", header)
			}
			if claims["gty"] != "client_credentials" || claims["client_id"] != a.Client.ID || claims["sub"] != a.Client.ID {
				t.Errorf("claims %v", claims)
			}
			if id, err := uuid.Parse(claims["jti"].(string)); err != nil || id.Version() != 7 {
				t.Errorf("jti %v is not a UUIDv7", claims["jti"])
			}

			m := introspect(tok.AccessToken)
			if m["active"] != true || m["client_id"] != a.Client.ID || m["sub"] != a.Client.ID ||
				m["scope"] != "orders:read orders:write" || m["exp"] != claims["exp"] || m["iat"] != claims["iat"] {
				t.Errorf("introspection %v does not match claims %v", m, claims)
			}
			if m["iss"] != e.issuer || m["token_type"] != "Bearer" {
				t.Errorf("introspection iss %v token_type %v, want %s and Bearer (RFC 7662 §2.2)", m["iss"], m["token_type"], e.issuer)
			}
			if aud, _ := m["aud"].([]any); len(aud) != 1 || aud[0] != a.Client.ID {
				t.Errorf("introspection aud %v", m["aud"])
			}
			if m := introspect(tok.AccessToken, "scope", "orders:read"); m["active"] != true {
				t.Errorf("granted scope asked: %v", m)
			}
			wantInactive("scope not granted", introspect(tok.AccessToken, "scope", "billing"))

			// Forgeries: another payload under a valid signature, no signature, alg none.
			parts := strings.Split(tok.AccessToken, ".")
			forged := strings.Replace(string(mustDecode(t, parts[1])), `"scope":"orders:read orders:write"`, `"scope":"gatehouse:admin"`, 1)
			wantInactive("payload swapped", introspect(parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(forged))+"."+parts[2]))
			wantInactive("signature cut", introspect(parts[0]+"."+parts[1]+"."))
			none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))
			wantInactive("alg none", introspect(none+"."+parts[1]+"."))

			// Another client cannot revoke it: answered 200 (RFC 7009), token untouched.
			if status, _ := post("/oauth2/revoke", other.Client.ID, other.Secret, url.Values{"token": {tok.AccessToken}}); status != http.StatusOK {
				t.Errorf("revocation by another client: %d", status)
			}
			if m := introspect(tok.AccessToken); m["active"] != true {
				t.Errorf("another client revoked the token: %v", m)
			}
			for range 2 { // revoking twice is fine
				if status, m := post("/oauth2/revoke", a.Client.ID, a.Secret, url.Values{"token": {tok.AccessToken}}); status != http.StatusOK {
					t.Fatalf("revoke: %d %v", status, m)
				}
			}
			wantInactive("revoked", introspect(tok.AccessToken))

			// Users' tokens keep their rows; an ID token is not an access token.
			id, secret := e.webClient(false, false)
			r := e.relyingParty(id, secret)
			s := r.start()
			userTok, _ := r.exchange(s, e.signIn(newBrowser(t), s, "allow"))
			if n := rows(); n != 1 {
				t.Errorf("%d access-token rows after a sign-in, want 1", n)
			}
			if m := introspect(userTok.AccessToken); m["active"] != true || m["sub"] != e.user.ID ||
				m["iss"] != e.issuer || m["token_type"] != "Bearer" || m["username"] != testUser {
				t.Errorf("user token: %v", m)
			}
			wantInactive("ID token", introspect(userTok.Extra("id_token").(string)))
		})
	}
}

// doJSON sends req and decodes the answer's JSON object, if any.
func doJSON(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func jwtParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d parts", len(parts))
	}
	if err := json.Unmarshal(mustDecode(t, parts[0]), &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustDecode(t, parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	return header, claims
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAccessTokenAlgorithms: with either tokens.access_token_algorithm,
// both kinds of access token verify against the served JWKS (as a
// resource server checks them, with go-oidc's remote key set) and
// introspect as active; a revoked one does not.
func TestAccessTokenAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			e := newFlowEnv(t, sqltest.SQLiteDSN(t), "GATEHOUSE_TOKENS_ACCESS_TOKEN_ALGORITHM="+alg)
			ctx := context.Background()
			svc := &clients.Service{Store: e.app.Store, Hasher: e.app.Hasher}
			api, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: "svc", Scopes: []string{"orders:read"}})
			if err != nil {
				t.Fatal(err)
			}
			cc := clientcredentials.Config{ClientID: api.Client.ID, ClientSecret: api.Secret, TokenURL: e.issuer + "/oauth2/token"}
			ccTok, err := cc.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			id, secret := e.webClient(false, false)
			r := e.relyingParty(id, secret)
			s := r.start()
			userTok, _ := r.exchange(s, e.signIn(newBrowser(t), s, "allow"))

			keySet := oidc.NewRemoteKeySet(ctx, e.issuer+"/.well-known/jwks.json")
			for name, tok := range map[string]string{"client credentials": ccTok.AccessToken, "user": userTok.AccessToken} {
				if header, _ := jwtParts(t, tok); header["alg"] != alg {
					t.Errorf("%s token: alg %v, want %s", name, header["alg"], alg)
				}
				if _, err := keySet.VerifySignature(ctx, tok); err != nil {
					t.Errorf("%s token does not verify against the JWKS: %v", name, err)
				}
				if !e.introspect(api.Client.ID, api.Secret, tok) {
					t.Errorf("%s token introspects inactive", name)
				}
			}
			form := strings.NewReader(url.Values{"token": {ccTok.AccessToken}}.Encode())
			req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth2/revoke", form)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(api.Client.ID, api.Secret)
			if status, m := doJSON(t, req); status != http.StatusOK {
				t.Fatalf("revoke: %d %v", status, m)
			}
			if e.introspect(api.Client.ID, api.Secret, ccTok.AccessToken) {
				t.Error("revoked token introspects active")
			}
		})
	}
}
