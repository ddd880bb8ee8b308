package clients_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// now is the injected clock: 2025-03-10 15:04:05 UTC, so "today" is 2025-03-10.
var now = time.Date(2025, 3, 10, 15, 4, 5, 0, time.UTC)

const (
	today       = "2025-03-10"
	serverKey   = "server-secret-for-tests-0123456789abcdef"
	longSecret  = "this-supplied-secret-is-32-chars" // exactly 32
	validScopes = "orders:read"
)

func newStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	return sqltest.Open(t, sqltest.SQLiteDSN(t))
}

func newService(t *testing.T) (*clients.Service, *sqlstore.Store) {
	t.Helper()
	return newServiceOn(t, newStore(t))
}

func newServiceOn(t *testing.T, st *sqlstore.Store) (*clients.Service, *sqlstore.Store) {
	t.Helper()
	h, err := clientsecret.NewHasher([]byte(serverKey))
	if err != nil {
		t.Fatal(err)
	}
	return &clients.Service{Store: st, Hasher: h, Now: func() time.Time { return now }}, st
}

func validInput() clients.NewAPIClient {
	return clients.NewAPIClient{Name: "Orders sync", Scopes: []string{validScopes}}
}

func TestCreateAPIGenerated(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testCreateAPIGenerated(t, sqltest.Open(t, b.NewDSN(t))) })
	}
}

func testCreateAPIGenerated(t *testing.T, st *sqlstore.Store) {
	svc, _ := newServiceOn(t, st)
	ctx := context.Background()
	in := validInput()
	in.Description = "pulls orders every minute"
	in.PublicBaseURI = "https://orders.example.com"
	in.AccessTokenLifetime = 600
	got, err := svc.CreateAPI(ctx, in)
	if err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	c := got.Client

	if len(c.ID) != 32 {
		t.Errorf("generated id %q has %d chars, want 32 hex", c.ID, len(c.ID))
	}
	if b, err := hex.DecodeString(c.ID); err != nil || len(b) != 16 || c.ID != strings.ToLower(c.ID) {
		t.Errorf("generated id %q is not 128 bits of lower-case hex (err %v)", c.ID, err)
	}

	if got.Secret == "" {
		t.Fatal("generated secret not returned")
	}
	raw, err := base64.RawURLEncoding.DecodeString(got.Secret)
	if err != nil || len(raw) != 32 {
		t.Errorf("secret %q decodes to %d bytes (err %v), want 32 (256 bits)", got.Secret, len(raw), err)
	}
	if c.SecretHash == "" || strings.Contains(c.SecretHash, got.Secret) {
		t.Errorf("SecretHash %q is empty or contains the secret", c.SecretHash)
	}
	if err := svc.Hasher.Compare(ctx, []byte(c.SecretHash), []byte(got.Secret)); err != nil {
		t.Errorf("stored hash does not verify the returned secret: %v", err)
	}
	if err := svc.Hasher.Compare(ctx, []byte(c.SecretHash), []byte(got.Secret+"x")); err == nil {
		t.Error("stored hash verifies a different secret")
	}

	if c.Type != store.ClientTypeAPI || !c.Enabled || c.Name != in.Name || c.Description != in.Description ||
		c.PublicBaseURI != in.PublicBaseURI || c.AccessTokenLifetime != 600*time.Second {
		t.Errorf("client fields not taken from input: %+v", c)
	}
	if !c.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(now) || !c.SecretCreatedAt.Equal(now) {
		t.Errorf("timestamps %v %v %v, want %v", c.CreatedAt, c.UpdatedAt, c.SecretCreatedAt, now)
	}
	wantExpiry := time.Date(2025, 6, 9, 0, 0, 0, 0, time.UTC) // works through 2025-06-08 = today + 90 days
	if !c.SecretExpiresAt.Equal(wantExpiry) {
		t.Errorf("default SecretExpiresAt = %v, want %v", c.SecretExpiresAt, wantExpiry)
	}
	if on := clients.SecretExpiresOn(c.SecretExpiresAt); on != "2025-06-08" {
		t.Errorf("default secret_expires_on = %s, want 2025-06-08 (today + 90 days)", on)
	}

	stored, err := st.FindClient(ctx, c.ID)
	if err != nil {
		t.Fatalf("FindClient: %v", err)
	}
	if stored.SecretHash != c.SecretHash || !reflect.DeepEqual(stored.Scopes, []string{validScopes}) ||
		!stored.SecretExpiresAt.Equal(wantExpiry) || stored.AccessTokenLifetime != 600*time.Second {
		t.Errorf("stored client differs: %+v", stored)
	}
	if s := fmt.Sprintf("%+v", *stored); strings.Contains(s, got.Secret) {
		t.Error("the secret in clear was stored")
	}
	var rows []map[string]any
	if err := st.DB().Table("clients").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(rows); strings.Contains(s, got.Secret) {
		t.Error("the secret in clear is in the clients table")
	}
}

func TestCreateAPIGeneratesFreshValues(t *testing.T) {
	svc, _ := newService(t)
	ids, secrets := map[string]bool{}, map[string]bool{}
	for i := range 20 {
		got, err := svc.CreateAPI(context.Background(), validInput())
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if ids[got.Client.ID] || secrets[got.Secret] {
			t.Fatalf("create %d repeated an id or secret", i)
		}
		ids[got.Client.ID], secrets[got.Secret] = true, true
	}
}

func TestCreateAPISuppliedSecret(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	in := validInput()
	in.ID = "orders-sync"
	in.Secret = longSecret
	got, err := svc.CreateAPI(ctx, in)
	if err != nil {
		t.Fatalf("CreateAPI with a 32-char secret: %v", err)
	}
	if got.Secret != "" {
		t.Errorf("a caller-supplied secret was echoed back: %q", got.Secret)
	}
	if got.Client.ID != "orders-sync" {
		t.Errorf("supplied id not kept: %q", got.Client.ID)
	}
	stored, err := st.FindClient(ctx, "orders-sync")
	if err != nil {
		t.Fatal(err)
	}
	if stored.SecretHash == longSecret {
		t.Fatal("supplied secret stored in clear")
	}
	if err := svc.Hasher.Compare(ctx, []byte(stored.SecretHash), []byte(longSecret)); err != nil {
		t.Errorf("stored hash does not verify the supplied secret: %v", err)
	}
}

func TestCreateAPIDuplicateID(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testCreateAPIDuplicateID(t, sqltest.Open(t, b.NewDSN(t))) })
	}
}

func testCreateAPIDuplicateID(t *testing.T, st *sqlstore.Store) {
	svc, _ := newServiceOn(t, st)
	in := validInput()
	in.ID = "dup"
	if _, err := svc.CreateAPI(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	_, err := svc.CreateAPI(context.Background(), in)
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("second client with id %q: err %v, want store.ErrConflict", in.ID, err)
	}
}

func TestCreateAPIValidation(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*clients.NewAPIClient)
		wantField string // empty: must succeed
		check     func(t *testing.T, c *store.Client)
	}{
		// client_id
		{name: "id one char", mutate: func(in *clients.NewAPIClient) { in.ID = "a" }},
		{name: "id 128 chars", mutate: func(in *clients.NewAPIClient) { in.ID = strings.Repeat("a", 128) }},
		{name: "id every allowed char", mutate: func(in *clients.NewAPIClient) { in.ID = "AZaz09._~-" }},
		{name: "id 129 chars", mutate: func(in *clients.NewAPIClient) { in.ID = strings.Repeat("a", 129) }, wantField: "client_id"},
		{name: "id with space", mutate: func(in *clients.NewAPIClient) { in.ID = "a b" }, wantField: "client_id"},
		{name: "id with slash", mutate: func(in *clients.NewAPIClient) { in.ID = "a/b" }, wantField: "client_id"},
		{name: "id with colon", mutate: func(in *clients.NewAPIClient) { in.ID = "a:b" }, wantField: "client_id"},
		{name: "id with newline", mutate: func(in *clients.NewAPIClient) { in.ID = "ab\n" }, wantField: "client_id"},
		{name: "id non-ASCII", mutate: func(in *clients.NewAPIClient) { in.ID = "café" }, wantField: "client_id"},
		// client_secret
		{name: "secret 31 chars", mutate: func(in *clients.NewAPIClient) { in.Secret = longSecret[:31] }, wantField: "client_secret"},
		{name: "secret 32 chars", mutate: func(in *clients.NewAPIClient) { in.Secret = longSecret }},
		// name
		{name: "name missing", mutate: func(in *clients.NewAPIClient) { in.Name = "" }, wantField: "name"},
		{name: "name blank", mutate: func(in *clients.NewAPIClient) { in.Name = " \t " }, wantField: "name"},
		{name: "name 200 multibyte chars", mutate: func(in *clients.NewAPIClient) { in.Name = strings.Repeat("é", 200) }},
		{name: "name 201 chars", mutate: func(in *clients.NewAPIClient) { in.Name = strings.Repeat("n", 201) }, wantField: "name"},
		// description
		{name: "description 1000 chars", mutate: func(in *clients.NewAPIClient) { in.Description = strings.Repeat("ü", 1000) }},
		{name: "description 1001 chars", mutate: func(in *clients.NewAPIClient) { in.Description = strings.Repeat("d", 1001) }, wantField: "description"},
		// access_token_lifetime
		{
			name: "lifetime 0 is the default", mutate: func(in *clients.NewAPIClient) { in.AccessTokenLifetime = 0 },
			check: func(t *testing.T, c *store.Client) {
				if c.AccessTokenLifetime != 0 {
					t.Errorf("AccessTokenLifetime = %s, want 0 (server default)", c.AccessTokenLifetime)
				}
			},
		},
		{name: "lifetime 59", mutate: func(in *clients.NewAPIClient) { in.AccessTokenLifetime = 59 }, wantField: "access_token_lifetime"},
		{name: "lifetime 60", mutate: func(in *clients.NewAPIClient) { in.AccessTokenLifetime = 60 }},
		{
			name: "lifetime 259200", mutate: func(in *clients.NewAPIClient) { in.AccessTokenLifetime = 259200 },
			check: func(t *testing.T, c *store.Client) {
				if c.AccessTokenLifetime != 72*time.Hour {
					t.Errorf("AccessTokenLifetime = %s, want 72h", c.AccessTokenLifetime)
				}
			},
		},
		{name: "lifetime 259201", mutate: func(in *clients.NewAPIClient) { in.AccessTokenLifetime = 259201 }, wantField: "access_token_lifetime"},
		{name: "lifetime negative", mutate: func(in *clients.NewAPIClient) { in.AccessTokenLifetime = -60 }, wantField: "access_token_lifetime"},
		// scopes
		{
			name: "scopes deduplicated in order", mutate: func(in *clients.NewAPIClient) { in.Scopes = []string{"b", "a", "b", "a", "c"} },
			check: func(t *testing.T, c *store.Client) {
				if !reflect.DeepEqual(c.Scopes, []string{"b", "a", "c"}) {
					t.Errorf("Scopes = %q, want [b a c]", c.Scopes)
				}
			},
		},
		{
			name: "no scopes", mutate: func(in *clients.NewAPIClient) { in.Scopes = nil },
			check: func(t *testing.T, c *store.Client) {
				if len(c.Scopes) != 0 {
					t.Errorf("Scopes = %q, want none", c.Scopes)
				}
			},
		},
		{name: "scope with space", mutate: func(in *clients.NewAPIClient) { in.Scopes = []string{"ok", "a b"} }, wantField: "scopes"},
		{name: "empty scope", mutate: func(in *clients.NewAPIClient) { in.Scopes = []string{""} }, wantField: "scopes"},
		{name: "scope with quote", mutate: func(in *clients.NewAPIClient) { in.Scopes = []string{`a"b`} }, wantField: "scopes"},
		{name: "scope with backslash", mutate: func(in *clients.NewAPIClient) { in.Scopes = []string{`a\b`} }, wantField: "scopes"},
		{name: "scope non-ASCII", mutate: func(in *clients.NewAPIClient) { in.Scopes = []string{"lesen:bücher"} }, wantField: "scopes"},
		{name: "scope punctuation allowed", mutate: func(in *clients.NewAPIClient) {
			in.Scopes = []string{"https://api.example.com/orders.read", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"}
		}},
		// secret_expires_on
		{
			name: "expires today", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = today },
			check: func(t *testing.T, c *store.Client) {
				if want := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC); !c.SecretExpiresAt.Equal(want) {
					t.Errorf("SecretExpiresAt = %v, want %v (end of today)", c.SecretExpiresAt, want)
				}
			},
		},
		{name: "expires yesterday", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2025-03-09" }, wantField: "secret_expires_on"},
		{name: "expires in 24 months", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2027-03-10" }},
		{name: "expires in 24 months and a day", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2027-03-11" }, wantField: "secret_expires_on"},
		{name: "expires with slashes", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2025/06/01" }, wantField: "secret_expires_on"},
		{name: "expires RFC 3339 instant", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2025-06-01T00:00:00Z" }, wantField: "secret_expires_on"},
		{name: "expires impossible day", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2025-02-30" }, wantField: "secret_expires_on"},
		{name: "expires single-digit month", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "2025-6-01" }, wantField: "secret_expires_on"},
		{name: "expires word", mutate: func(in *clients.NewAPIClient) { in.SecretExpiresOn = "tomorrow" }, wantField: "secret_expires_on"},
		// public_base_uri
		{name: "base uri absolute", mutate: func(in *clients.NewAPIClient) { in.PublicBaseURI = "https://orders.example.com/api" }},
		{name: "base uri relative", mutate: func(in *clients.NewAPIClient) { in.PublicBaseURI = "/api" }, wantField: "public_base_uri"},
		{name: "base uri without host", mutate: func(in *clients.NewAPIClient) { in.PublicBaseURI = "mailto:a@example.com" }, wantField: "public_base_uri"},
		{name: "base uri unparsable", mutate: func(in *clients.NewAPIClient) { in.PublicBaseURI = "http://[::1" }, wantField: "public_base_uri"},
		// enabled
		{
			name: "disabled", mutate: func(in *clients.NewAPIClient) { in.Disabled = true },
			check: func(t *testing.T, c *store.Client) {
				if c.Enabled {
					t.Error("Disabled input created an enabled client")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st := newService(t)
			ctx := context.Background()
			in := validInput()
			tt.mutate(&in)
			got, err := svc.CreateAPI(ctx, in)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("CreateAPI: %v", err)
				}
				stored, err := st.FindClient(ctx, got.Client.ID)
				if err != nil {
					t.Fatalf("FindClient: %v", err)
				}
				if tt.check != nil {
					tt.check(t, got.Client)
					tt.check(t, stored)
				}
				return
			}
			var ve *clients.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("CreateAPI err = %v, want a ValidationError naming %s", err, tt.wantField)
			}
			if got != nil {
				t.Errorf("CreateAPI returned a client alongside a validation error")
			}
			if len(ve.Fields) != 1 || ve.Fields[tt.wantField] == "" {
				t.Errorf("ValidationError fields = %v, want exactly %s", ve.Fields, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error text %q does not name %s", err, tt.wantField)
			}
			if _, total, err := st.ListClients(ctx, store.ClientFilter{}); err != nil || total != 0 {
				t.Errorf("a refused client was stored: total %d err %v", total, err)
			}
		})
	}
}

func TestCreateAPIReportsEveryBadField(t *testing.T) {
	svc, st := newService(t)
	in := clients.NewAPIClient{
		ID:                  "bad id",
		Name:                "",
		Description:         strings.Repeat("x", 1001),
		Scopes:              []string{"a b"},
		Secret:              "short",
		SecretExpiresOn:     "2020-01-01",
		AccessTokenLifetime: 259201,
		PublicBaseURI:       "relative/path",
	}
	_, err := svc.CreateAPI(context.Background(), in)
	var ve *clients.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationError", err)
	}
	want := []string{"client_id", "name", "description", "scopes", "client_secret", "secret_expires_on", "access_token_lifetime", "public_base_uri"}
	for _, f := range want {
		if ve.Fields[f] == "" {
			t.Errorf("ValidationError misses %s (fields %v)", f, ve.Fields)
		}
		if !strings.Contains(err.Error(), f+": ") {
			t.Errorf("error text %q does not name %s", err, f)
		}
	}
	if len(ve.Fields) != len(want) {
		t.Errorf("ValidationError has %d fields, want %d: %v", len(ve.Fields), len(want), ve.Fields)
	}
	if _, total, _ := st.ListClients(context.Background(), store.ClientFilter{}); total != 0 {
		t.Errorf("%d clients stored after a refused create", total)
	}
}

// SPEC §4 says a supplied secret needs ≥ 32 chars; the other length rules
// (name, description) count characters, not bytes.
func TestCreateAPISuppliedSecretCountsCharacters(t *testing.T) {
	svc, _ := newService(t)
	in := validInput()
	in.Secret = strings.Repeat("é", 16) // 16 characters, 32 bytes
	_, err := svc.CreateAPI(context.Background(), in)
	var ve *clients.ValidationError
	if !errors.As(err, &ve) || ve.Fields["client_secret"] == "" {
		t.Errorf("16-character secret: err %v, want a ValidationError naming client_secret", err)
	}
}

func TestSecretExpiry(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time
		date    string
		want    time.Time // zero: an error
		wantErr string
	}{
		{name: "default is today + 90 days", now: now, date: "", want: time.Date(2025, 6, 9, 0, 0, 0, 0, time.UTC)},
		{name: "today", now: now, date: today, want: time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)},
		{name: "today just before midnight", now: time.Date(2025, 3, 10, 23, 59, 59, 999999999, time.UTC), date: today, want: time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)},
		{name: "yesterday", now: now, date: "2025-03-09", wantErr: "past"},
		{name: "24 months", now: now, date: "2027-03-10", want: time.Date(2027, 3, 11, 0, 0, 0, 0, time.UTC)},
		{name: "24 months and a day", now: now, date: "2027-03-11", wantErr: "24 months"},
		{name: "leap day", now: now, date: "2028-02-29", wantErr: "24 months"},
		{name: "leap day in range", now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), date: "2028-02-29", want: time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC)},
		{name: "end of year", now: now, date: "2025-12-31", want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "not a date", now: now, date: "soon", wantErr: "YYYY-MM-DD"},
		{name: "date with time", now: now, date: "2025-04-01 00:00", wantErr: "YYYY-MM-DD"},
		{name: "empty-looking date", now: now, date: " ", wantErr: "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clients.SecretExpiry(tt.date, tt.now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SecretExpiry(%q) = %v, %v; want error containing %q", tt.date, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SecretExpiry(%q): %v", tt.date, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("SecretExpiry(%q) = %v, want %v UTC", tt.date, got, tt.want)
			}
		})
	}
}

// SecretExpiry's "today" must be the UTC day whatever zone now is in:
// the secret dies at 00:00 UTC, so judging "today" in another zone can
// accept a date whose end has already passed.
func TestSecretExpiryNonUTCNow(t *testing.T) {
	eastern := time.FixedZone("EST", -5*3600)
	n := time.Date(2025, 3, 10, 20, 0, 0, 0, eastern) // 2025-03-11T01:00Z
	got, err := clients.SecretExpiry("2025-03-10", n)
	if err == nil {
		t.Errorf("SecretExpiry accepted a UTC day that has ended: expires %v, now %v", got, n.UTC())
	}
	got, err = clients.SecretExpiry("", n)
	if want := time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("default expiry = %v, %v; want %v (UTC today 2025-03-11 + 90 days, end of day)", got, err, want)
	}
}

func TestSecretExpiresOnRoundTrip(t *testing.T) {
	for _, d := range []string{today, "2025-03-31", "2025-12-31", "2026-02-28", "2027-03-10"} {
		t.Run(d, func(t *testing.T) {
			at, err := clients.SecretExpiry(d, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := clients.SecretExpiresOn(at); got != d {
				t.Errorf("SecretExpiresOn(SecretExpiry(%s)) = %s", d, got)
			}
		})
	}
	t.Run("zero", func(t *testing.T) {
		if got := clients.SecretExpiresOn(time.Time{}); got != "" {
			t.Errorf("SecretExpiresOn(zero) = %q, want empty", got)
		}
	})
	t.Run("non-UTC instant", func(t *testing.T) {
		at := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC).In(time.FixedZone("X", -8*3600))
		if got := clients.SecretExpiresOn(at); got != "2025-03-31" {
			t.Errorf("SecretExpiresOn(%v) = %s, want 2025-03-31", at, got)
		}
	})
}

func TestStatus(t *testing.T) {
	expires := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)
	base := store.Client{Enabled: true, SecretHash: "hmac-sha256$x", Scopes: []string{"a"}, SecretExpiresAt: expires}
	tests := []struct {
		name   string
		mutate func(*store.Client)
		at     time.Time
		want   string
	}{
		{name: "active", mutate: func(*store.Client) {}, at: now, want: "active"},
		{name: "active last second", mutate: func(*store.Client) {}, at: expires.Add(-time.Nanosecond), want: "active"},
		{name: "secret expired at midnight", mutate: func(*store.Client) {}, at: expires, want: "secret_expired"},
		{name: "no scopes", mutate: func(c *store.Client) { c.Scopes = nil }, at: now, want: "needs_attention"},
		{name: "expired beats no scopes", mutate: func(c *store.Client) { c.Scopes = nil }, at: expires, want: "secret_expired"},
		{name: "disabled", mutate: func(c *store.Client) { c.Enabled = false }, at: now, want: "disabled"},
		{name: "disabled beats expired", mutate: func(c *store.Client) { c.Enabled = false }, at: expires.Add(time.Hour), want: "disabled"},
		{name: "no secret never expires", mutate: func(c *store.Client) { c.SecretHash = "" }, at: expires.Add(time.Hour), want: "active"},
		{name: "zero expiry never expires", mutate: func(c *store.Client) { c.SecretExpiresAt = time.Time{} }, at: now.AddDate(10, 0, 0), want: "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mutate(&c)
			if got := clients.Status(&c, tt.at); got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStatusOfCreatedClients(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	mk := func(mutate func(*clients.NewAPIClient)) string {
		in := validInput()
		mutate(&in)
		got, err := svc.CreateAPI(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return got.Client.ID
	}
	active := mk(func(*clients.NewAPIClient) {})
	noScopes := mk(func(in *clients.NewAPIClient) { in.Scopes = nil })
	disabled := mk(func(in *clients.NewAPIClient) { in.Disabled = true })
	endsToday := mk(func(in *clients.NewAPIClient) { in.SecretExpiresOn = today })

	tests := []struct {
		id   string
		at   time.Time
		want string
	}{
		{active, now, "active"},
		{noScopes, now, "needs_attention"},
		{disabled, now, "disabled"},
		{endsToday, time.Date(2025, 3, 10, 23, 59, 59, 0, time.UTC), "active"},
		{endsToday, time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC), "secret_expired"},
		{active, time.Date(2025, 6, 8, 23, 59, 59, 0, time.UTC), "active"},
		{active, time.Date(2025, 6, 9, 0, 0, 0, 0, time.UTC), "secret_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.want+"@"+tt.at.Format(time.RFC3339), func(t *testing.T) {
			c, err := st.FindClient(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := clients.Status(c, tt.at); got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := clients.NewID()
		if b, err := hex.DecodeString(id); err != nil || len(b) != 16 {
			t.Fatalf("NewID() = %q: not 16 bytes of hex", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}
