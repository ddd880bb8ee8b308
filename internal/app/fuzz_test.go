package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// FuzzProtocolForms: whatever form body reaches the token, introspection
// and revocation endpoints, with or without a client's credentials, the
// answer is never a 5xx (SPEC §10) — the database is up, so not even 503.
func FuzzProtocolForms(f *testing.F) {
	a := buildApp(f, "GATEHOUSE_DSN="+sqltest.SQLiteDSN(f))
	srv := httptest.NewServer(a.Handler)
	f.Cleanup(srv.Close)
	svc := &clients.Service{Store: a.Store, Hasher: a.Hasher}
	c, err := svc.CreateAPI(context.Background(), clients.NewAPIClient{Name: "fuzz", Scopes: []string{"a", "b"}})
	if err != nil {
		f.Fatal(err)
	}
	token := func() string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.Client.ID, c.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			f.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.AccessToken == "" {
			f.Fatalf("seed token: %d", resp.StatusCode)
		}
		return v.AccessToken
	}()
	for _, seed := range []string{
		"grant_type=client_credentials", "grant_type=client_credentials&scope=a+c",
		"grant_type=client_credentials&audience=x", "grant_type=password&username=a&password=b",
		"grant_type=authorization_code&code=ory_ac_x.y&redirect_uri=http://x", "grant_type=refresh_token&refresh_token=ory_rt_a.b",
		"token=" + token, "token=" + token + "&token_type_hint=refresh_token", "token=" + token + "&scope=zzz",
		"token=a.b.c", "token=eyJhbGciOiJub25lIn0.e30.", "token=%zz", "", "&&&=", "grant_type=client_credentials&client_id=" + c.Client.ID,
	} {
		for route := range uint8(3) {
			f.Add(seed, route, true)
		}
	}
	paths := []string{"/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"}
	f.Fuzz(func(t *testing.T, body string, route uint8, authenticate bool) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+paths[int(route)%len(paths)], strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authenticate {
			req.SetBasicAuth(c.Client.ID, c.Secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %q: status %d", req.URL.Path, body, resp.StatusCode)
		}
	})
}
