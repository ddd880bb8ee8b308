package admin_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// TestClientsScopeCannotBecomeAdmin: gatehouse:clients manages clients, but
// not into gatehouse:admin — neither by granting it nor by taking over a
// client that holds it (itself or through a role).
func TestClientsScopeCannotBecomeAdmin(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		clerkID, clerkSecret := e.serviceClient(t, "clerk", "gatehouse:clients")
		clerk := as(basic(clerkID, clerkSecret))
		viaRoleID, _ := e.serviceClient(t, "automation", "orders.read")
		wantStatus(t, e.do(t, "POST", "/api/v1/roles/Administration/members",
			map[string]any{"username": store.ClientUsername(viaRoleID, clientDomain)}), 204)
		plainID, _ := e.serviceClient(t, "plain", "orders.read")

		// Granting it: refused as a field error, on create and on change.
		ae := wantError(t, e.do(t, "POST", apiClients, map[string]any{"name": "mine", "scopes": []string{"gatehouse:admin"}}, clerk), 400, "invalid_request")
		if ae.Details["scopes"] == "" {
			t.Errorf("create with gatehouse:admin: details %v, want scopes", ae.Details)
		}
		ae = wantError(t, e.do(t, "PATCH", apiClients+"/"+plainID, map[string]any{"scopes": []string{"orders.read", "gatehouse:admin"}}, clerk), 400, "invalid_request")
		if ae.Details["scopes"] == "" {
			t.Errorf("patch to gatehouse:admin: details %v, want scopes", ae.Details)
		}

		// Taking over a client that holds it: every change is forbidden.
		for _, target := range []struct{ why, id string }{{"holds it itself", e.admin.id}, {"holds it through a role", viaRoleID}} {
			path := apiClients + "/" + target.id
			for _, c := range []struct {
				method, path string
				body         map[string]any
			}{
				{"PATCH", path, map[string]any{"name": "taken"}},
				{"POST", path + "/secret", nil},
				{"POST", path + "/duplicate", nil},
				{"DELETE", path, nil},
			} {
				wantError(t, e.do(t, c.method, c.path, c.body, clerk), 403, "forbidden")
			}
			wantStatus(t, e.do(t, "GET", path, nil, clerk), 200) // reading is fine
			if got := e.getClient(t, apiClients, target.id); got["name"] == "taken" {
				t.Errorf("client that %s was renamed by the clerk", target.why)
			}
		}
		e.token(t, e.admin.id, e.admin.secret) // its secret is untouched

		// Ordinary clients stay the clerk's to manage; an administrator may grant.
		wantStatus(t, e.do(t, "PATCH", apiClients+"/"+plainID, map[string]any{"name": "renamed"}, clerk), 204)
		wantStatus(t, e.do(t, "POST", apiClients+"/"+plainID+"/secret", nil, clerk), 200)
		wantStatus(t, e.do(t, "PATCH", apiClients+"/"+plainID, map[string]any{"scopes": []string{"gatehouse:admin"}}), 204)
		wantError(t, e.do(t, "PATCH", apiClients+"/"+plainID, map[string]any{"name": "again"}, clerk), 403, "forbidden")
	})
}
