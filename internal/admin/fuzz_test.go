package admin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/config"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// FuzzManagementBodies posts arbitrary bodies to every write route: the
// answer is always a documented status in the documented shape — never a
// 500, a panic or a hang.
func FuzzManagementBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"x"}`, `{"name":"x","scopes":["a","b"],"secret_expires_on":"2027-01-01"}`,
		`{"name":5}`, `{"redirect_uris":["http://localhost/cb"],"name":"w"}`, `[]`, `{`, `null`,
		`{"name":"x","access_token_lifetime":1e99}`, `{"username":"u","password":"pppppppp"}`,
		`{"grace_period_seconds":-1}`, `{"name":"\u0000"}`, `{"scopes":[null]}`,
	} {
		f.Add(seed, uint8(0))
	}
	srvURL, adminID, adminSecret := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string, route uint8) {
		routes := []struct{ method, path string }{
			{"POST", apiClients}, {"POST", webClients}, {"POST", "/api/v1/users"}, {"POST", "/api/v1/roles"},
			{"PATCH", apiClients + "/nope"}, {"POST", "/api/v1/roles/Administration/members"},
		}
		r := routes[int(route)%len(routes)]
		req, err := http.NewRequest(r.method, srvURL+r.path, bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(adminID, adminSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case 201, 204, 400, 404, 409, 413:
		default:
			t.Fatalf("%s %s %q: status %d", r.method, r.path, body, resp.StatusCode)
		}
	})
}

// fuzzServer is one app on SQLite for the whole fuzz run.
func fuzzServer(f *testing.F) (url, id, secret string) {
	cfg, err := config.Load(nil, []string{
		"GATEHOUSE_DSN=" + sqltest.SQLiteDSN(f),
		"GATEHOUSE_ISSUER=https://" + issuerHost,
		"GATEHOUSE_SECRET=admin-fuzz-secret-0123456789abcdef-0123456789",
	})
	if err != nil {
		f.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := app.OpenStore(cfg, log)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		f.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, st, log)
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	f.Cleanup(srv.Close)
	svc := &clients.Service{Store: a.Store, Hasher: a.Hasher}
	c, err := svc.CreateAPI(context.Background(), clients.NewAPIClient{Name: "fuzzer", Scopes: []string{"gatehouse:admin"}})
	if err != nil {
		f.Fatal(err)
	}
	return srv.URL, c.Client.ID, c.Secret
}
