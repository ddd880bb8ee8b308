package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestOlderBinaryServesNewerSchema is the rolling-upgrade promise of
// docs/operations.md: after a newer release's `migrate up` (here: a
// migration this binary does not know, written the forward-compatible way —
// a new column with a default, a new table), this binary still starts and
// serves; and it refuses a schema older than itself.
func TestOlderBinaryServesNewerSchema(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.NewDSN(t)
			st, err := sqlstore.Open(dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			next := st.LatestVersion() + 1
			for _, stmt := range []string{
				`ALTER TABLE clients ADD COLUMN logo_uri TEXT NOT NULL DEFAULT ''`,
				`ALTER TABLE oauth_access_tokens ADD COLUMN token_binding TEXT`,
				`CREATE TABLE device_codes (device_code TEXT PRIMARY KEY, expires_at TIMESTAMP NOT NULL)`,
			} {
				if err := st.DB().Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if err := st.DB().Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', CURRENT_TIMESTAMP)`, next).Error; err != nil {
				t.Fatal(err)
			}

			a, srv := newTestApp(t, dsn) // CheckSchema accepts the newer schema
			svc := &clients.Service{Store: a.Store, Hasher: a.Hasher}
			c, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: "after upgrade", Scopes: []string{"a", "gatehouse:admin"}})
			if err != nil {
				t.Fatalf("create client on the newer schema: %v", err)
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(c.Client.ID, c.Secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("token on the newer schema: %v %v", err, resp)
			}
			resp.Body.Close()
			if err := svc.Update(ctx, "api", c.Client.ID, clients.Patch{Description: ptr("still writable")}); err != nil {
				t.Fatalf("update on the newer schema: %v", err)
			}
			req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/configuration/api-clients", nil)
			req.SetBasicAuth(c.Client.ID, c.Secret)
			resp, err = http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("management API on the newer schema: %v %v", err, resp)
			}
			resp.Body.Close()

			// A schema older than the binary is refused with the remedy named.
			if err := st.DB().Exec(`DELETE FROM schema_migrations WHERE version >= ?`, st.LatestVersion()).Error; err != nil {
				t.Fatal(err)
			}
			if err := st.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "migrate up") {
				t.Errorf("older schema accepted: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
