package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// newClient is an enabled Web App client with a secret.
func newClient(id string) *store.Client {
	return &store.Client{
		ID:           id,
		Type:         store.ClientTypeWeb,
		Name:         "Client " + id,
		SecretHash:   "hash-of-" + id,
		Scopes:       []string{"openid", "profile", "offline_access"},
		RedirectURIs: []string{"https://" + id + ".example/callback"},
		Enabled:      true,
	}
}

func mustCreateClient(t *testing.T, s Store, c *store.Client) {
	t.Helper()
	if err := s.CreateClient(t.Context(), c); err != nil {
		t.Fatalf("CreateClient(%q): %v", c.ID, err)
	}
}

func mustFindClient(t *testing.T, s Store, id string) *store.Client {
	t.Helper()
	c, err := s.FindClient(t.Context(), id)
	if err != nil {
		t.Fatalf("FindClient(%q): %v", id, err)
	}
	return c
}

// diffClient lists every field in which got differs from want.
func diffClient(got, want *store.Client) []string {
	var d []string
	str := func(name, g, w string) {
		if g != w {
			d = append(d, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	boolean := func(name string, g, w bool) {
		if g != w {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	list := func(name string, g, w []string) {
		if !sameStrings(g, w) {
			d = append(d, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	instant := func(name string, g, w time.Time) {
		if !sameInstant(g, w) {
			d = append(d, fmt.Sprintf("%s = %v, want %v (in UTC)", name, g, w))
		}
	}
	str("ID", got.ID, want.ID)
	str("Type", got.Type, want.Type)
	str("Name", got.Name, want.Name)
	str("Description", got.Description, want.Description)
	str("SecretHash", got.SecretHash, want.SecretHash)
	if len(got.RotatedSecrets) != len(want.RotatedSecrets) {
		d = append(d, fmt.Sprintf("RotatedSecrets = %v, want %v", got.RotatedSecrets, want.RotatedSecrets))
	} else {
		for i := range got.RotatedSecrets {
			g, w := got.RotatedSecrets[i], want.RotatedSecrets[i]
			if g.Hash != w.Hash || !g.ExpiresAt.Equal(w.ExpiresAt) {
				d = append(d, fmt.Sprintf("RotatedSecrets[%d] = %v, want %v", i, g, w))
			}
		}
	}
	instant("SecretExpiresAt", got.SecretExpiresAt, want.SecretExpiresAt)
	list("Scopes", got.Scopes, want.Scopes)
	str("PublicBaseURI", got.PublicBaseURI, want.PublicBaseURI)
	if got.AccessTokenLifetime != want.AccessTokenLifetime {
		d = append(d, fmt.Sprintf("AccessTokenLifetime = %v, want %v", got.AccessTokenLifetime, want.AccessTokenLifetime))
	}
	boolean("Enabled", got.Enabled, want.Enabled)
	boolean("Public", got.Public, want.Public)
	boolean("RequireConsent", got.RequireConsent, want.RequireConsent)
	list("RedirectURIs", got.RedirectURIs, want.RedirectURIs)
	list("AllowedCORSOrigins", got.AllowedCORSOrigins, want.AllowedCORSOrigins)
	list("PostLogoutRedirectURIs", got.PostLogoutRedirectURIs, want.PostLogoutRedirectURIs)
	instant("CreatedAt", got.CreatedAt, want.CreatedAt)
	instant("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	instant("SecretCreatedAt", got.SecretCreatedAt, want.SecretCreatedAt)
	instant("LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	return d
}

func wantSameClient(t *testing.T, got, want *store.Client) {
	t.Helper()
	for _, d := range diffClient(got, want) {
		t.Error(d)
	}
}

func testClients(t *testing.T, newStore NewStore) {
	// A zone east of UTC, and sub-second parts, so that a store which keeps
	// local wall time or drops the zone is caught.
	cet := time.FixedZone("UTC+2", 2*60*60)
	created := time.Date(2024, 3, 1, 10, 30, 15, 123456000, cet)

	t.Run("CreateFindRoundTrip", func(t *testing.T) {
		tests := []struct {
			name   string
			client store.Client
		}{
			{
				name: "every field set",
				client: store.Client{
					ID: "web-full", Type: store.ClientTypeWeb, Name: "Full Web App", Description: "Beschreibung — ü",
					SecretHash: "$argon2id$v=19$current",
					RotatedSecrets: []store.RotatedSecret{
						{Hash: "$argon2id$v=19$old1", ExpiresAt: created.Add(24 * time.Hour)},
						{Hash: "$argon2id$v=19$old2", ExpiresAt: created.Add(48 * time.Hour)},
					},
					SecretExpiresAt:        time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC),
					Scopes:                 []string{"openid", "profile", "email", "api:read"},
					PublicBaseURI:          "https://app.example",
					AccessTokenLifetime:    90 * time.Minute,
					Enabled:                true,
					Public:                 true,
					RequireConsent:         true,
					RedirectURIs:           []string{"https://app.example/callback", "http://127.0.0.1:8080/cb"},
					AllowedCORSOrigins:     []string{"https://app.example", "https://admin.app.example"},
					PostLogoutRedirectURIs: []string{"https://app.example/bye"},
					CreatedAt:              created,
					UpdatedAt:              created.Add(time.Minute),
					SecretCreatedAt:        created.Add(2 * time.Minute),
					LastUsedAt:             created.Add(time.Hour),
				},
			},
			{
				// Booleans false where the schema defaults to true, empty
				// lists, and zero optional times.
				name: "zero values",
				client: store.Client{
					ID: "api-zero", Type: store.ClientTypeAPI, Name: "Zero",
					Enabled: false, Public: false, RequireConsent: false,
					CreatedAt: created, UpdatedAt: created,
				},
			},
			{
				name: "maximum lifetime",
				client: store.Client{
					ID: "api-max", Type: store.ClientTypeAPI, Name: "Max", SecretHash: "h",
					AccessTokenLifetime: store.MaxAccessTokenLifetime, Enabled: true,
					Scopes:    []string{"api:write"},
					CreatedAt: created, UpdatedAt: created, SecretCreatedAt: created,
				},
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				in := tc.client
				mustCreateClient(t, s, &in)
				wantSameClient(t, mustFindClient(t, s, in.ID), &tc.client)
			})
		}
	})

	t.Run("CreateDefaultsTimestamps", func(t *testing.T) {
		s := newStore(t)
		before := time.Now()
		c := newClient("defaults")
		mustCreateClient(t, s, c)
		after := time.Now()
		got := mustFindClient(t, s, c.ID)
		if got.CreatedAt.Before(before.Add(-time.Second)) || got.CreatedAt.After(after.Add(time.Second)) {
			t.Errorf("CreatedAt = %v, want between %v and %v", got.CreatedAt, before, after)
		}
		if !sameInstant(got.UpdatedAt, got.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v", got.UpdatedAt, got.CreatedAt)
		}
		if !sameInstant(got.SecretCreatedAt, got.CreatedAt) {
			t.Errorf("SecretCreatedAt = %v, want CreatedAt %v", got.SecretCreatedAt, got.CreatedAt)
		}
		if !got.LastUsedAt.IsZero() || !got.SecretExpiresAt.IsZero() {
			t.Errorf("LastUsedAt = %v, SecretExpiresAt = %v, want both zero", got.LastUsedAt, got.SecretExpiresAt)
		}
	})

	t.Run("CreateDuplicateID", func(t *testing.T) {
		tests := []struct {
			name   string
			second string // type of the second client
		}{
			{name: "same type", second: store.ClientTypeWeb},
			// API and Web App clients share one identifier space (SPEC §4).
			{name: "other type", second: store.ClientTypeAPI},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				mustCreateClient(t, s, newClient("dup"))
				c := newClient("dup")
				c.Type, c.Name = tc.second, "Impostor"
				wantErrIs(t, "second CreateClient", s.CreateClient(t.Context(), c), store.ErrConflict)
				if got := mustFindClient(t, s, "dup"); got.Name != "Client dup" || got.Type != store.ClientTypeWeb {
					t.Errorf("the first client was overwritten: %+v", got)
				}
			})
		}
	})

	t.Run("FindMissing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.FindClient(t.Context(), "nobody")
		wantErrIs(t, "FindClient", err, store.ErrNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		c := newClient("upd")
		c.CreatedAt, c.UpdatedAt = created, created
		mustCreateClient(t, s, c)

		before := time.Now()
		expires := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
		lastUsed := time.Now().Add(-time.Minute)
		calls := 0
		err := s.UpdateClient(t.Context(), "upd", func(c *store.Client) error {
			calls++
			if c.Name != "Client upd" {
				t.Errorf("update sees Name %q, want the stored %q", c.Name, "Client upd")
			}
			c.Name = "Renamed"
			c.Description = "now described"
			c.Scopes = append(c.Scopes, "email")
			c.RedirectURIs = nil
			c.AllowedCORSOrigins = []string{"https://cors.example"}
			c.Enabled = false
			c.AccessTokenLifetime = 2 * time.Hour
			c.SecretExpiresAt = expires
			c.LastUsedAt = lastUsed
			c.RotatedSecrets = []store.RotatedSecret{{Hash: "old", ExpiresAt: expires}}
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateClient: %v", err)
		}
		if calls != 1 {
			t.Errorf("update called %d times, want 1", calls)
		}
		got := mustFindClient(t, s, "upd")
		want := *c
		want.Name, want.Description = "Renamed", "now described"
		want.Scopes = []string{"openid", "profile", "offline_access", "email"}
		want.RedirectURIs = nil
		want.AllowedCORSOrigins = []string{"https://cors.example"}
		want.Enabled = false
		want.AccessTokenLifetime = 2 * time.Hour
		want.SecretExpiresAt = expires
		want.LastUsedAt = lastUsed
		want.RotatedSecrets = []store.RotatedSecret{{Hash: "old", ExpiresAt: expires}}
		want.UpdatedAt = got.UpdatedAt // checked below
		wantSameClient(t, got, &want)
		if got.UpdatedAt.Before(before.Add(-time.Second)) {
			t.Errorf("UpdatedAt = %v, want at least %v (the time of the update)", got.UpdatedAt, before)
		}
		if !sameInstant(got.CreatedAt, created) {
			t.Errorf("CreatedAt changed to %v", got.CreatedAt)
		}
	})

	t.Run("UpdateFuncErrorChangesNothing", func(t *testing.T) {
		s := newStore(t)
		c := newClient("keep")
		c.CreatedAt, c.UpdatedAt = created, created
		mustCreateClient(t, s, c)
		stored := mustFindClient(t, s, "keep")

		errRefused := errors.New("refused")
		err := s.UpdateClient(t.Context(), "keep", func(c *store.Client) error {
			c.Name = "half-changed"
			c.Enabled = false
			c.Scopes = nil
			return errRefused
		})
		wantErrIs(t, "UpdateClient", err, errRefused)
		wantSameClient(t, mustFindClient(t, s, "keep"), stored)
	})

	t.Run("UpdateCannotChangeID", func(t *testing.T) {
		s := newStore(t)
		mustCreateClient(t, s, newClient("fixed"))
		stored := mustFindClient(t, s, "fixed")
		err := s.UpdateClient(t.Context(), "fixed", func(c *store.Client) error {
			c.ID, c.Name = "moved", "Moved"
			return nil
		})
		if err == nil {
			t.Fatal("UpdateClient changing the id succeeded")
		}
		wantSameClient(t, mustFindClient(t, s, "fixed"), stored)
		_, err = s.FindClient(t.Context(), "moved")
		wantErrIs(t, "FindClient(moved)", err, store.ErrNotFound)
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		called := false
		err := s.UpdateClient(t.Context(), "nobody", func(*store.Client) error { called = true; return nil })
		wantErrIs(t, "UpdateClient", err, store.ErrNotFound)
		if called {
			t.Error("update func called for a missing client")
		}
	})

	// Read-modify-write must not lose updates: every concurrent update
	// appends its own scope and all of them must survive.
	t.Run("UpdateConcurrent", func(t *testing.T) {
		s := newStore(t)
		c := newClient("busy")
		c.Scopes = nil
		mustCreateClient(t, s, c)
		const n = 8
		errs := concurrently(n, func(i int) error {
			return s.UpdateClient(t.Context(), "busy", func(c *store.Client) error {
				c.Scopes = append(c.Scopes, fmt.Sprintf("scope-%d", i))
				return nil
			})
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("update %d: %v", i, err)
			}
		}
		got := mustFindClient(t, s, "busy")
		if len(got.Scopes) != n {
			t.Fatalf("after %d concurrent updates Scopes = %q: updates were lost", n, got.Scopes)
		}
		for i := range n {
			if !slices.Contains(got.Scopes, fmt.Sprintf("scope-%d", i)) {
				t.Errorf("scope-%d missing from %q", i, got.Scopes)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		mustCreateClient(t, s, newClient("gone"))
		mustCreateClient(t, s, newClient("stays"))
		if err := s.DeleteClient(t.Context(), "gone"); err != nil {
			t.Fatalf("DeleteClient: %v", err)
		}
		_, err := s.FindClient(t.Context(), "gone")
		wantErrIs(t, "FindClient after delete", err, store.ErrNotFound)
		wantErrIs(t, "second DeleteClient", s.DeleteClient(t.Context(), "gone"), store.ErrNotFound)
		mustFindClient(t, s, "stays")
		// The id is free again.
		mustCreateClient(t, s, newClient("gone"))
	})

	t.Run("DeleteMissing", func(t *testing.T) {
		s := newStore(t)
		wantErrIs(t, "DeleteClient", s.DeleteClient(t.Context(), "nobody"), store.ErrNotFound)
	})

	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		// Inserted out of order; b-web2 and c-api2 share a creation time,
		// so the id decides between them.
		for _, c := range []struct {
			id, typ string
			at      time.Duration
		}{
			{"d-api3", store.ClientTypeAPI, 4 * time.Minute},
			{"c-api2", store.ClientTypeAPI, 3 * time.Minute},
			{"w-web1", store.ClientTypeWeb, 2 * time.Minute},
			{"a-api1", store.ClientTypeAPI, 1 * time.Minute},
			{"b-web2", store.ClientTypeWeb, 3 * time.Minute},
		} {
			cl := newClient(c.id)
			cl.Type = c.typ
			cl.CreatedAt = base.Add(c.at)
			mustCreateClient(t, s, cl)
		}
		tests := []struct {
			name      string
			filter    store.ClientFilter
			wantIDs   []string
			wantTotal int
		}{
			{"everything", store.ClientFilter{}, []string{"a-api1", "w-web1", "b-web2", "c-api2", "d-api3"}, 5},
			{"first page", store.ClientFilter{Limit: 2}, []string{"a-api1", "w-web1"}, 5},
			{"second page", store.ClientFilter{Offset: 2, Limit: 2}, []string{"b-web2", "c-api2"}, 5},
			{"last partial page", store.ClientFilter{Offset: 4, Limit: 2}, []string{"d-api3"}, 5},
			{"past the end", store.ClientFilter{Offset: 9, Limit: 2}, nil, 5},
			{"offset without limit", store.ClientFilter{Offset: 3}, []string{"c-api2", "d-api3"}, 5},
			{"api only", store.ClientFilter{Type: store.ClientTypeAPI}, []string{"a-api1", "c-api2", "d-api3"}, 3},
			{"web, second page of one", store.ClientFilter{Type: store.ClientTypeWeb, Offset: 1, Limit: 1}, []string{"b-web2"}, 2},
			{"unknown type", store.ClientFilter{Type: "nope"}, nil, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := s.ListClients(t.Context(), tc.filter)
				if err != nil {
					t.Fatalf("ListClients(%+v): %v", tc.filter, err)
				}
				ids := make([]string, len(got))
				for i := range got {
					ids[i] = got[i].ID
				}
				if !sameStrings(ids, tc.wantIDs) || total != tc.wantTotal {
					t.Errorf("ListClients(%+v) = %q, total %d; want %q, total %d", tc.filter, ids, total, tc.wantIDs, tc.wantTotal)
				}
			})
		}
		t.Run("full records", func(t *testing.T) {
			got, _, err := s.ListClients(t.Context(), store.ClientFilter{Limit: 1})
			if err != nil || len(got) != 1 {
				t.Fatalf("ListClients = %d clients, %v", len(got), err)
			}
			wantSameClient(t, &got[0], mustFindClient(t, s, "a-api1"))
		})
	})
}
