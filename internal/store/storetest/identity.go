package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func testSigningKeys(t *testing.T, newStore NewStore) {
	base := time.Date(2024, 2, 3, 4, 5, 6, 700000000, time.FixedZone("UTC+1", 60*60))
	newKey := func(kid string, activates time.Duration) *store.SigningKey {
		return &store.SigningKey{
			KID:         kid,
			Algorithm:   "RS256",
			PublicJWK:   []byte(`{"kty":"RSA","kid":"` + kid + `","n":"0vx7","e":"AQAB"}`),
			PrivateSeal: []byte{0x00, 0xff, 0x10, 0x80, 'k', 0x00}, // not valid UTF-8
			CreatedAt:   base,
			ActivatesAt: base.Add(activates),
		}
	}

	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		keys, err := s.ListSigningKeys(t.Context())
		if err != nil || len(keys) != 0 {
			t.Fatalf("ListSigningKeys = %d keys, %v; want none", len(keys), err)
		}
	})

	t.Run("CreateListByActivation", func(t *testing.T) {
		s := newStore(t)
		want := map[string]*store.SigningKey{}
		for _, k := range []*store.SigningKey{
			newKey("k-late", 2*time.Hour),
			newKey("k-early", 0),
			newKey("k-mid", time.Hour),
		} {
			want[k.KID] = k
			mustDo(t, "CreateSigningKey "+k.KID, s.CreateSigningKey(t.Context(), k))
		}
		got, err := s.ListSigningKeys(t.Context())
		mustDo(t, "ListSigningKeys", err)
		var kids []string
		for _, k := range got {
			kids = append(kids, k.KID)
			w := want[k.KID]
			if w == nil {
				continue
			}
			if k.Algorithm != w.Algorithm || !bytes.Equal(k.PublicJWK, w.PublicJWK) || !bytes.Equal(k.PrivateSeal, w.PrivateSeal) {
				t.Errorf("key %s = %s %s %x, want %s %s %x", k.KID, k.Algorithm, k.PublicJWK, k.PrivateSeal, w.Algorithm, w.PublicJWK, w.PrivateSeal)
			}
			if !sameInstant(k.CreatedAt, w.CreatedAt) || !sameInstant(k.ActivatesAt, w.ActivatesAt) {
				t.Errorf("key %s created %v, activates %v; want %v, %v (in UTC)", k.KID, k.CreatedAt, k.ActivatesAt, w.CreatedAt, w.ActivatesAt)
			}
		}
		if want := []string{"k-early", "k-mid", "k-late"}; !slices.Equal(kids, want) {
			t.Errorf("ListSigningKeys order = %q, want %q", kids, want)
		}
	})

	t.Run("DuplicateKID", func(t *testing.T) {
		s := newStore(t)
		mustDo(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), newKey("k1", 0)))
		other := newKey("k1", time.Hour)
		other.Algorithm = "ES256"
		wantErrIs(t, "second CreateSigningKey", s.CreateSigningKey(t.Context(), other), store.ErrConflict)
		got, err := s.ListSigningKeys(t.Context())
		if err != nil || len(got) != 1 || got[0].Algorithm != "RS256" {
			t.Fatalf("ListSigningKeys = %+v, %v; want only the first k1", got, err)
		}
	})
}

func testUsers(t *testing.T, newStore NewStore) {
	created := time.Date(2024, 4, 5, 6, 7, 8, 900000000, time.FixedZone("UTC+9", 9*60*60))
	newUser := func(id, username string) *store.User {
		return &store.User{
			ID: id, Username: username, Email: username + "@example.com", Name: "Name of " + username,
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$" + username, Enabled: true,
		}
	}

	t.Run("CreateFind", func(t *testing.T) {
		tests := []struct {
			name string
			user store.User
		}{
			{"enabled with timestamps", store.User{
				ID: "u-1", Username: "alice", Email: "alice@example.com", Name: "Alice Ä", PasswordHash: "$argon2id$alice",
				Enabled: true, CreatedAt: created, UpdatedAt: created.Add(time.Minute),
			}},
			{"disabled, no email", store.User{
				ID: "u-2", Username: "bob", Name: "Bob", Enabled: false, CreatedAt: created, UpdatedAt: created,
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				in := tc.user
				mustDo(t, "CreateUser", s.CreateUser(t.Context(), &in))
				got, err := s.FindUserByUsername(t.Context(), tc.user.Username)
				mustDo(t, "FindUserByUsername", err)
				w := tc.user
				if got.ID != w.ID || got.Username != w.Username || got.Email != w.Email || got.Name != w.Name ||
					got.PasswordHash != w.PasswordHash || got.Enabled != w.Enabled {
					t.Errorf("FindUserByUsername = %+v, want %+v", got, w)
				}
				if !sameInstant(got.CreatedAt, w.CreatedAt) || !sameInstant(got.UpdatedAt, w.UpdatedAt) {
					t.Errorf("created %v, updated %v; want %v, %v (in UTC)", got.CreatedAt, got.UpdatedAt, w.CreatedAt, w.UpdatedAt)
				}
			})
		}
	})

	t.Run("CreateDefaultsTimestamps", func(t *testing.T) {
		s := newStore(t)
		before := time.Now()
		mustDo(t, "CreateUser", s.CreateUser(t.Context(), newUser("u-1", "alice")))
		got, err := s.FindUserByUsername(t.Context(), "alice")
		mustDo(t, "FindUserByUsername", err)
		if got.CreatedAt.Before(before.Add(-time.Second)) || !sameInstant(got.UpdatedAt, got.CreatedAt) {
			t.Errorf("created %v, updated %v; want both the time of creation (after %v)", got.CreatedAt, got.UpdatedAt, before)
		}
	})

	t.Run("Duplicates", func(t *testing.T) {
		tests := []struct {
			name string
			user *store.User
		}{
			{"username", newUser("u-2", "alice")},
			{"id", newUser("u-1", "bob")},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				mustDo(t, "CreateUser", s.CreateUser(t.Context(), newUser("u-1", "alice")))
				wantErrIs(t, "second CreateUser", s.CreateUser(t.Context(), tc.user), store.ErrConflict)
				if n, err := s.CountUsers(t.Context()); err != nil || n != 1 {
					t.Errorf("CountUsers = %d, %v; want 1", n, err)
				}
				got, err := s.FindUserByUsername(t.Context(), "alice")
				if err != nil || got.ID != "u-1" {
					t.Errorf("alice = %+v, %v; want the first user", got, err)
				}
			})
		}
	})

	t.Run("FindMissing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.FindUserByUsername(t.Context(), "nobody")
		wantErrIs(t, "FindUserByUsername", err, store.ErrNotFound)
	})

	t.Run("Count", func(t *testing.T) {
		s := newStore(t)
		for i, name := range []string{"", "alice", "bob", "carol"} {
			if name != "" {
				mustDo(t, "CreateUser "+name, s.CreateUser(t.Context(), newUser("u-"+name, name)))
			}
			n, err := s.CountUsers(t.Context())
			mustDo(t, "CountUsers", err)
			if n != i {
				t.Errorf("CountUsers = %d, want %d", n, i)
			}
		}
	})
}

func testRoles(t *testing.T, newStore NewStore) {
	t.Run("AdministrationIsBuiltIn", func(t *testing.T) {
		s := newStore(t)
		r, err := s.FindRole(t.Context(), store.AdministrationRole)
		mustDo(t, "FindRole", err)
		if r.Name != "Administration" || !r.Builtin || !slices.Contains(r.Scopes, "gatehouse:admin") {
			t.Errorf("FindRole(Administration) = %+v, want the built-in role with scope gatehouse:admin", r)
		}
		if r.CreatedAt.IsZero() || r.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want a UTC time", r.CreatedAt)
		}
		members, err := s.RoleMembers(t.Context(), store.AdministrationRole)
		if err != nil || len(members) != 0 {
			t.Errorf("RoleMembers = %q, %v; want none in a fresh store", members, err)
		}
	})

	t.Run("FindMissing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.FindRole(t.Context(), "No Such Role")
		wantErrIs(t, "FindRole", err, store.ErrNotFound)
	})

	t.Run("Members", func(t *testing.T) {
		s := newStore(t)
		for _, u := range []string{"zoe", "adam", "api-client-1", "mia"} {
			mustDo(t, "AddRoleMember "+u, s.AddRoleMember(t.Context(), store.AdministrationRole, u))
		}
		wantErrIs(t, "adding mia again", s.AddRoleMember(t.Context(), store.AdministrationRole, "mia"), store.ErrConflict)
		got, err := s.RoleMembers(t.Context(), store.AdministrationRole)
		mustDo(t, "RoleMembers", err)
		if want := []string{"adam", "api-client-1", "mia", "zoe"}; !slices.Equal(got, want) {
			t.Errorf("RoleMembers = %q, want %q", got, want)
		}
	})

	t.Run("AddToMissingRole", func(t *testing.T) {
		s := newStore(t)
		if err := s.AddRoleMember(t.Context(), "No Such Role", "alice"); err == nil {
			t.Fatal("AddRoleMember to a missing role succeeded")
		}
		got, err := s.RoleMembers(t.Context(), "No Such Role")
		if err != nil || len(got) != 0 {
			t.Errorf("RoleMembers = %q, %v; want none", got, err)
		}
	})
}
