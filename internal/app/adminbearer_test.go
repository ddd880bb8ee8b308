package app

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestUserBearerScopesAreTheUsers: a Web App client may allow any scope,
// so a user's token can carry gatehouse:admin without the user holding
// it. At the management API such a token counts only the scopes the user
// holds now, through roles — and names the user in the audit log.
func TestUserBearerScopesAreTheUsers(t *testing.T) {
	e := newFlowEnv(t, sqltest.SQLiteDSN(t))
	ctx := context.Background()
	id, secret := e.webClient(false, false, "openid", "gatehouse:admin")
	r := e.relyingParty(id, secret, "openid", "gatehouse:admin")
	s := r.start()
	tok, _ := r.exchange(s, e.signIn(newBrowser(t), s, "allow"))
	if _, claims := jwtParts(t, tok.AccessToken); !strings.Contains(claims["scope"].(string), "gatehouse:admin") {
		t.Fatalf("the token was not granted gatehouse:admin: %v", claims["scope"])
	}
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, e.issuer+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		return doJSON(t, req)
	}
	const clients = "/api/v1/configuration/api-clients"
	if status, m := call("GET", clients, ""); status != http.StatusForbidden {
		t.Errorf("user without the role: %d %v, want 403", status, m)
	}
	ids := &identity.Service{Store: e.app.Store}
	if err := ids.AddMember(ctx, store.AdministrationRole, testUser); err != nil {
		t.Fatal(err)
	}
	if status, m := call("POST", clients, `{"name": "made by ada", "scopes": ["x"]}`); status != http.StatusCreated {
		t.Fatalf("user in Administration: %d %v, want 201", status, m)
	}
	if status, m := call("GET", "/api/v1/audit-events", ""); status != http.StatusOK ||
		m["result"].([]any)[0].(map[string]any)["actor"] != testUser {
		t.Errorf("audit events: %d %v, want the newest by %s", status, m, testUser)
	}
	if err := ids.RemoveMember(ctx, store.AdministrationRole, testUser); err != nil {
		t.Fatal(err)
	}
	if status, _ := call("GET", clients, ""); status != http.StatusForbidden {
		t.Errorf("after leaving the role, the same token: %d, want 403", status)
	}
}
