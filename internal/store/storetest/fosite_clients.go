package storetest

import (
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func testFositeClients(t *testing.T, newStore NewStore) {
	// Expiry is relative to the wall clock with hours of margin either way,
	// so the result does not depend on when the test runs.
	now := time.Now()

	t.Run("GetClient", func(t *testing.T) {
		tests := []struct {
			name        string
			client      *store.Client // nil: not stored
			wantErr     error
			wantHash    string
			wantRotated []string
			wantPublic  bool
		}{
			{
				name:     "enabled client",
				client:   newClient("ok"),
				wantHash: "hash-of-ok",
			},
			{
				name:    "missing client",
				wantErr: fosite.ErrNotFound,
			},
			{
				name:    "disabled client",
				client:  func() *store.Client { c := newClient("off"); c.Enabled = false; return c }(),
				wantErr: fosite.ErrNotFound,
			},
			{
				name: "secret expired an hour ago",
				client: func() *store.Client {
					c := newClient("expired")
					c.SecretExpiresAt = now.Add(-time.Hour)
					return c
				}(),
				wantHash: "",
			},
			{
				name: "secret expires in an hour",
				client: func() *store.Client {
					c := newClient("expiring")
					c.SecretExpiresAt = now.Add(time.Hour)
					return c
				}(),
				wantHash: "hash-of-expiring",
			},
			{
				name: "rotated secrets past their grace period are left out",
				client: func() *store.Client {
					c := newClient("rotated")
					c.RotatedSecrets = []store.RotatedSecret{
						{Hash: "dead-1", ExpiresAt: now.Add(-time.Hour)},
						{Hash: "alive-1", ExpiresAt: now.Add(time.Hour)},
						{Hash: "dead-2", ExpiresAt: now.Add(-24 * time.Hour)},
						{Hash: "alive-2", ExpiresAt: now.Add(7 * 24 * time.Hour)},
					}
					return c
				}(),
				wantHash:    "hash-of-rotated",
				wantRotated: []string{"alive-1", "alive-2"},
			},
			{
				name: "public client",
				client: func() *store.Client {
					c := newClient("spa")
					c.SecretHash, c.Public = "", true
					return c
				}(),
				wantPublic: true,
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				id := "missing"
				if tc.client != nil {
					mustCreateClient(t, s, tc.client)
					id = tc.client.ID
				}
				fc, err := s.GetClient(t.Context(), id)
				if tc.wantErr != nil {
					wantErrIs(t, "GetClient", err, tc.wantErr)
					if fc != nil {
						t.Errorf("GetClient returned client %v with the error", fc)
					}
					return
				}
				if err != nil {
					t.Fatalf("GetClient: %v", err)
				}
				if fc.GetID() != id {
					t.Errorf("GetID = %q, want %q", fc.GetID(), id)
				}
				if got := string(fc.GetHashedSecret()); got != tc.wantHash {
					t.Errorf("GetHashedSecret = %q, want %q", got, tc.wantHash)
				}
				if fc.IsPublic() != tc.wantPublic {
					t.Errorf("IsPublic = %v, want %v", fc.IsPublic(), tc.wantPublic)
				}
				if !sameStrings(fc.GetScopes(), tc.client.Scopes) || !sameStrings(fc.GetRedirectURIs(), tc.client.RedirectURIs) {
					t.Errorf("scopes %q, redirect URIs %q; want %q, %q", fc.GetScopes(), fc.GetRedirectURIs(), tc.client.Scopes, tc.client.RedirectURIs)
				}
				rc, ok := fc.(fosite.ClientWithSecretRotation)
				if !ok {
					t.Fatalf("%T does not implement fosite.ClientWithSecretRotation", fc)
				}
				var rotated []string
				for _, h := range rc.GetRotatedHashes() {
					rotated = append(rotated, string(h))
				}
				if !sameStrings(rotated, tc.wantRotated) {
					t.Errorf("GetRotatedHashes = %q, want %q", rotated, tc.wantRotated)
				}
			})
		}
	})

	t.Run("EffectiveLifespan", func(t *testing.T) {
		s := newStore(t)
		tests := []struct {
			name     string
			lifetime time.Duration // the client's AccessTokenLifetime
			token    fosite.TokenType
			fallback time.Duration
			want     time.Duration
		}{
			{"client lifetime", 2 * time.Hour, fosite.AccessToken, time.Hour, 2 * time.Hour},
			{"exactly 72h", 72 * time.Hour, fosite.AccessToken, time.Hour, 72 * time.Hour},
			{"client lifetime capped at 72h", 100 * time.Hour, fosite.AccessToken, time.Hour, 72 * time.Hour},
			{"server default when unset", 0, fosite.AccessToken, time.Hour, time.Hour},
			{"server default capped at 72h", 0, fosite.AccessToken, 100 * time.Hour, 72 * time.Hour},
			{"refresh tokens keep the fallback", 2 * time.Hour, fosite.RefreshToken, 30 * 24 * time.Hour, 30 * 24 * time.Hour},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := newClient("life-" + string(rune('a'+i)))
				c.AccessTokenLifetime = tc.lifetime
				mustCreateClient(t, s, c)
				fc, err := s.GetClient(t.Context(), c.ID)
				if err != nil {
					t.Fatalf("GetClient: %v", err)
				}
				if _, ok := fc.(fosite.ClientWithCustomTokenLifespans); !ok {
					t.Fatalf("%T does not implement fosite.ClientWithCustomTokenLifespans", fc)
				}
				got := fosite.GetEffectiveLifespan(fc, fosite.GrantTypeAuthorizationCode, tc.token, tc.fallback)
				if got != tc.want {
					t.Errorf("GetEffectiveLifespan(%s, fallback %v) = %v, want %v", tc.token, tc.fallback, got, tc.want)
				}
			})
		}
	})

	// Gatehouse authenticates clients by secret only; private_key_jwt
	// assertions are refused rather than silently accepted.
	t.Run("ClientAssertionsRefused", func(t *testing.T) {
		s := newStore(t)
		if err := s.ClientAssertionJWTValid(t.Context(), "jti-1"); err == nil {
			t.Error("ClientAssertionJWTValid accepted a JTI")
		}
		if err := s.SetClientAssertionJWT(t.Context(), "jti-1", now.Add(time.Hour)); err == nil {
			t.Error("SetClientAssertionJWT succeeded")
		}
	})
}
