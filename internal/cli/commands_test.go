package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// testClientDomain is config.ClientDomain for baseEnv's issuer.
const testClientDomain = "clients.gatehouse.test"

// runCLIStdin is runCLI with standard input.
func runCLIStdin(t *testing.T, environ []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunEnv(context.Background(), args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Environ: environ})
	return out.String(), errb.String(), code
}

// cliOK runs a command that must succeed and returns its stdout.
func cliOK(t *testing.T, environ []string, args ...string) string {
	t.Helper()
	out, errOut, code := runCLI(t, environ, args...)
	if code != 0 {
		t.Fatalf("gatehouse %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// cliJSON runs a command with -o json and decodes what it prints into T.
func cliJSON[T any](t *testing.T, environ []string, args ...string) (T, string) {
	t.Helper()
	out := cliOK(t, environ, append(args, "-o", "json")...)
	var v T
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("gatehouse %s -o json printed %q: %v", strings.Join(args, " "), out, err)
	}
	return v, out
}

// cliFails runs a command that must exit 1 and returns its stderr.
func cliFails(t *testing.T, environ []string, args ...string) string {
	t.Helper()
	out, errOut, code := runCLI(t, environ, args...)
	if code != 1 {
		t.Fatalf("gatehouse %s: exit %d, want 1; stdout %q stderr %q", strings.Join(args, " "), code, out, errOut)
	}
	return errOut
}

// textField reads "key: value" from a command's text output.
func textField(t *testing.T, out, key string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			v = strings.TrimSpace(v)
			v, _, _ = strings.Cut(v, "  ")
			return v
		}
	}
	t.Fatalf("no %q line in:\n%s", key, out)
	return ""
}

// migrated is the environment of a freshly migrated database at dsn.
func migrated(t *testing.T, dsn string) []string {
	t.Helper()
	env := baseEnv(dsn, "GATEHOUSE_LOG_LEVEL=warn")
	cliOK(t, env, "migrate", "up")
	return env
}

// openTestStore opens dsn as the CLI does (same client-username domain).
func openTestStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.ClientDomain = testClientDomain
	t.Cleanup(func() { st.Close() })
	return st
}

// secretMatches reports whether secret verifies against hash, as the token
// endpoint checks it (the hasher is keyed by the server secret).
func secretMatches(t *testing.T, hash, secret string) bool {
	t.Helper()
	h, err := clientsecret.NewHasher([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return h.Compare(context.Background(), []byte(hash), []byte(secret)) == nil
}

// TestHostCommands is the host-side CLI's happy path on each backend:
// clients, users and roles in text and JSON, secrets shown once, rotation,
// role membership of an API client, the audit trail, and a token with the
// rotated secret from a server on the same database.
func TestHostCommands(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.NewDSN(t)
			env := migrated(t, dsn)
			st := openTestStore(t, dsn)
			ctx := context.Background()
			var secrets []string // every secret printed; none may reappear

			// create-api, text: the secret once, with the warning.
			out := cliOK(t, env, "clients", "create-api", "--name", "Orders", "--scopes", "orders:read,orders:write")
			orders, ordersSecret := textField(t, out, "client_id"), textField(t, out, "client_secret")
			secrets = append(secrets, ordersSecret)
			if !strings.Contains(out, "shown once") || textField(t, out, "status") != "active" ||
				textField(t, out, "username") != orders+"@"+testClientDomain || textField(t, out, "scopes") != "orders:read orders:write" {
				t.Errorf("create-api text:\n%s", out)
			}

			// create-api, JSON: the management API's shape.
			api, _ := cliJSON[adminapi.APIClient](t, env, "clients", "create-api", "--name", "Billing", "--scopes", "")
			secrets = append(secrets, api.ClientSecret)
			if api.Type != "api" || api.ClientSecret == "" || api.Username != api.ClientID+"@"+testClientDomain ||
				api.Status != "needs_attention" || api.Roles == nil || api.Scopes == nil || api.SecretExpiresOn == "" {
				t.Errorf("create-api json: %+v", api)
			}

			// create-web: public by default, no secret.
			out = cliOK(t, env, "clients", "create-web", "--name", "SPA", "--redirect-uri", "https://spa.example/cb",
				"--redirect-uri", "http://localhost:3000/cb", "--cors-origin", "https://spa.example")
			spa := textField(t, out, "client_id")
			if strings.Contains(out, "client_secret") || textField(t, out, "public") != "true" ||
				textField(t, out, "redirect_uris") != "https://spa.example/cb http://localhost:3000/cb" ||
				textField(t, out, "scopes") != "openid profile email offline_access" {
				t.Errorf("create-web public text:\n%s", out)
			}
			web, _ := cliJSON[adminapi.WebClient](t, env, "clients", "create-web", "--name", "Portal", "--confidential",
				"--redirect-uri", "https://portal.example/cb", "--post-logout-redirect-uri", "https://portal.example/",
				"--scopes", "openid,email", "--no-consent", "--description", "server side")
			secrets = append(secrets, web.ClientSecret)
			if web.Type != "web" || web.Public || web.ClientSecret == "" || web.RequireConsent ||
				!slices.Equal(web.Scopes, []string{"openid", "email"}) || web.Description != "server side" ||
				!slices.Equal(web.PostLogoutRedirectURIs, []string{"https://portal.example/"}) || web.SecretExpiresOn == "" {
				t.Errorf("create-web confidential json: %+v", web)
			}

			// list and get never show a secret.
			page, listOut := cliJSON[adminapi.Page[json.RawMessage]](t, env, "clients", "list")
			if page.Page != 0 || page.PageSize != 100 || page.Total != 4 || len(page.Result) != 4 {
				t.Errorf("list json: page %d size %d total %d len %d", page.Page, page.PageSize, page.Total, len(page.Result))
			}
			webPage, _ := cliJSON[adminapi.Page[adminapi.WebClient]](t, env, "clients", "list", "--type", "web")
			if webPage.Total != 2 || webPage.Result[0].ClientID != spa || webPage.Result[1].ClientID != web.ClientID {
				t.Errorf("list --type web: %+v", webPage)
			}
			apiPage, _ := cliJSON[adminapi.Page[adminapi.APIClient]](t, env, "clients", "list", "--type", "api")
			if apiPage.Total != 2 || apiPage.Result[0].ClientID != orders || apiPage.Result[0].Status != "active" {
				t.Errorf("list --type api: %+v", apiPage)
			}
			listText := cliOK(t, env, "clients", "list")
			for _, id := range []string{orders, api.ClientID, spa, web.ClientID} {
				if !strings.Contains(listText, id) {
					t.Errorf("list text lacks %s:\n%s", id, listText)
				}
			}
			getText := cliOK(t, env, "clients", "get", orders)
			got, getJSON := cliJSON[adminapi.APIClient](t, env, "clients", "get", orders)
			gotWeb, getWebJSON := cliJSON[adminapi.WebClient](t, env, "clients", "get", web.ClientID)
			if got.ClientID != orders || got.Name != "Orders" || textField(t, getText, "name") != "Orders" ||
				gotWeb.ClientID != web.ClientID || gotWeb.Public {
				t.Errorf("get: %+v %+v\n%s", got, gotWeb, getText)
			}
			for _, s := range []string{listOut, listText, getText, getJSON, getWebJSON} {
				if strings.Contains(s, "client_secret") {
					t.Errorf("a secret field is shown:\n%s", s)
				}
				for _, secret := range secrets {
					if strings.Contains(s, secret) {
						t.Errorf("a secret is shown again:\n%s", s)
					}
				}
			}

			// rotate-secret: the new secret verifies against the stored hash, the old does not.
			rot, rotOut := cliJSON[adminapi.SecretResponse](t, env, "clients", "rotate-secret", orders, "--secret-expires-on",
				time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02"))
			if rot.ClientSecret == "" || rot.ClientSecret == ordersSecret || rot.SecretExpiresOn != time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02") {
				t.Fatalf("rotate-secret json: %s", rotOut)
			}
			c, err := st.FindClient(ctx, orders)
			must(t, err)
			if !secretMatches(t, c.SecretHash, rot.ClientSecret) || secretMatches(t, c.SecretHash, ordersSecret) || len(c.RotatedSecrets) != 0 {
				t.Errorf("after rotation: new verifies %v, old verifies %v, kept %d", secretMatches(t, c.SecretHash, rot.ClientSecret),
					secretMatches(t, c.SecretHash, ordersSecret), len(c.RotatedSecrets))
			}
			// With a grace period the previous secret is kept that long.
			out = cliOK(t, env, "clients", "rotate-secret", orders, "--grace-period", "3600")
			newest := textField(t, out, "client_secret")
			if !strings.Contains(out, "shown once") || newest == rot.ClientSecret {
				t.Errorf("rotate-secret text:\n%s", out)
			}
			c, err = st.FindClient(ctx, orders)
			must(t, err)
			if !secretMatches(t, c.SecretHash, newest) || len(c.RotatedSecrets) != 1 ||
				!secretMatches(t, c.RotatedSecrets[0].Hash, rot.ClientSecret) || time.Until(c.RotatedSecrets[0].ExpiresAt) > time.Hour {
				t.Errorf("grace: %+v", c.RotatedSecrets)
			}
			if after := cliOK(t, env, "clients", "get", orders); strings.Contains(after, newest) {
				t.Errorf("get shows the rotated secret")
			}

			// users create with the password on stdin; the user can sign in.
			out, errOut, code := runCLIStdin(t, env, "correct horse battery\n", "users", "create", "--username", "alice",
				"--email", "alice@example.com", "--name", "Alice", "--password-stdin")
			if code != 0 || textField(t, out, "username") != "alice" || strings.Contains(out, "correct horse") {
				t.Fatalf("users create: %d %s\n%s", code, errOut, out)
			}
			u, err := st.FindUserByUsername(ctx, "alice")
			must(t, err)
			if ok, err := identity.CheckPassword("correct horse battery", u.PasswordHash); !ok || err != nil || u.Email != "alice@example.com" {
				t.Errorf("alice: password ok %v %v, %+v", ok, err, u)
			}
			bob, _ := cliJSON[adminapi.User](t, env, "users", "create", "--username", "bob")
			if bob.Username != "bob" || bob.ID == "" || !bob.Enabled || bob.Roles == nil {
				t.Errorf("users create json: %+v", bob)
			}
			users, _ := cliJSON[adminapi.Page[adminapi.User]](t, env, "users", "list")
			if users.Total != 2 || users.Result[0].Username != "alice" || users.Result[0].Email != "alice@example.com" {
				t.Errorf("users list json: %+v", users)
			}
			if out := cliOK(t, env, "users", "list"); !strings.Contains(out, "alice@example.com") || !strings.Contains(out, bob.ID) {
				t.Errorf("users list text:\n%s", out)
			}

			// roles: create, list, and membership of an API client.
			out = cliOK(t, env, "roles", "create", "billing", "--scopes", "invoices:read invoices:write", "--description", "Billing")
			if textField(t, out, "scopes") != "invoices:read invoices:write" || textField(t, out, "members") != "-" {
				t.Errorf("roles create text:\n%s", out)
			}
			role, _ := cliJSON[adminapi.Role](t, env, "roles", "create", "readers", "--scopes", "docs:read")
			if role.Name != "readers" || !slices.Equal(role.Scopes, []string{"docs:read"}) || role.Members == nil {
				t.Errorf("roles create json: %+v", role)
			}
			billingUser := api.ClientID + "@" + testClientDomain
			out = cliOK(t, env, "roles", "add-member", "billing", billingUser)
			if textField(t, out, "members") != billingUser {
				t.Errorf("add-member text:\n%s", out)
			}
			withAlice, _ := cliJSON[adminapi.Role](t, env, "roles", "add-member", "billing", "alice")
			if !slices.Equal(withAlice.Members, []string{billingUser, "alice"}) && !slices.Equal(withAlice.Members, []string{"alice", billingUser}) {
				t.Errorf("add-member json: %+v", withAlice)
			}
			billing, _ := cliJSON[adminapi.APIClient](t, env, "clients", "get", api.ClientID)
			if !slices.Equal(billing.Roles, []string{"billing"}) || billing.Status != "active" || len(billing.Scopes) != 0 {
				t.Errorf("client in role: roles %v status %s scopes %v", billing.Roles, billing.Status, billing.Scopes)
			}
			if out := cliOK(t, env, "clients", "get", api.ClientID); textField(t, out, "roles") != "billing" || textField(t, out, "status") != "active" {
				t.Errorf("get text of a role member:\n%s", out)
			}
			roles, _ := cliJSON[adminapi.Page[adminapi.Role]](t, env, "roles", "list")
			if roles.Total != 3 || roles.Result[0].Name != store.AdministrationRole || !roles.Result[0].Builtin {
				t.Errorf("roles list json: %+v", roles)
			}
			if out := cliOK(t, env, "roles", "list"); !strings.Contains(out, "invoices:read invoices:write") || !strings.Contains(out, billingUser) {
				t.Errorf("roles list text:\n%s", out)
			}
			cliOK(t, env, "roles", "remove-member", "billing", "alice")
			removed, _ := cliJSON[adminapi.Role](t, env, "roles", "remove-member", "billing", billingUser)
			if len(removed.Members) != 0 {
				t.Errorf("remove-member: %+v", removed)
			}
			if after, _ := cliJSON[adminapi.APIClient](t, env, "clients", "get", api.ClientID); after.Status != "needs_attention" || len(after.Roles) != 0 {
				t.Errorf("after remove-member: %+v", after)
			}

			// disable, enable, delete.
			if out := cliOK(t, env, "clients", "disable", spa); textField(t, out, "status") != "disabled" || textField(t, out, "enabled") != "false" {
				t.Errorf("disable text:\n%s", out)
			}
			if v, _ := cliJSON[adminapi.WebClient](t, env, "clients", "enable", spa); v.Status != "active" || !v.Enabled {
				t.Errorf("enable json: %+v", v)
			}
			if v, _ := cliJSON[adminapi.APIClient](t, env, "clients", "disable", api.ClientID); v.Status != "disabled" {
				t.Errorf("disable json: %+v", v)
			}
			if out := cliOK(t, env, "clients", "delete", spa); !strings.Contains(out, "deleted client "+spa) {
				t.Errorf("delete text: %q", out)
			}
			if v, _ := cliJSON[deleted](t, env, "clients", "delete", api.ClientID); v.ClientID != api.ClientID || !v.Deleted {
				t.Errorf("delete json: %+v", v)
			}
			if errOut := cliFails(t, env, "clients", "get", spa); !strings.Contains(errOut, "no client with id") {
				t.Errorf("get after delete: %s", errOut)
			}

			// Every change above is audited as the CLI.
			events, total, err := st.ListAudit(ctx, store.Page{Limit: 1000})
			must(t, err)
			actions := map[string]int{}
			for _, e := range events {
				actions[e.Action]++
				if e.Actor != "cli" {
					t.Errorf("audit event %s on %s %s: actor %q, want cli", e.Action, e.TargetType, e.TargetID, e.Actor)
				}
			}
			want := map[string]int{
				"client.create": 4, "client.secret.regenerate": 2, "user.create": 2, "role.create": 2,
				"role.member.add": 2, "role.member.remove": 2, "client.update": 3, "client.delete": 2,
			}
			if fmt.Sprint(actions) != fmt.Sprint(want) || total != 19 {
				t.Errorf("audit actions %v (total %d), want %v", actions, total, want)
			}

			// A server on the same database takes the rotated secret and
			// still the previous one (grace), not the first.
			srv := startServer(t, env)
			for _, tc := range []struct {
				secret string
				ok     bool
			}{{newest, true}, {rot.ClientSecret, true}, {ordersSecret, false}} {
				cc := clientcredentials.Config{ClientID: orders, ClientSecret: tc.secret, TokenURL: srv.URL + "/oauth2/token",
					AuthStyle: oauth2.AuthStyleInHeader}
				if _, err := cc.Token(ctx); (err == nil) != tc.ok {
					t.Errorf("token with secret (want ok %v): %v", tc.ok, err)
				}
			}
		})
	}
}

// TestHostCommandErrors: bad input exits 1 and names every bad field (and
// the flag to fix); unknown names say what is missing.
func TestHostCommandErrors(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	env := migrated(t, dsn)
	id, _ := createAPIClient(t, env, "--name", "svc", "--scopes", "a", "--client-id", "svc")
	public := textField(t, cliOK(t, env, "clients", "create-web", "--name", "spa", "--redirect-uri", "myapp:/cb"), "client_id")
	cliOK(t, env, "users", "create", "--username", "carol")
	st := openTestStore(t, dsn)
	_, before, err := st.ListAudit(context.Background(), store.Page{Limit: 1})
	must(t, err)

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"api lifetime", []string{"clients", "create-api", "--name", "x", "--access-token-lifetime", "59"}, []string{"access_token_lifetime (--access-token-lifetime)"}},
		{"api every field", []string{"clients", "create-api", "--name", " ", "--client-id", "a b", "--secret-expires-on", "2001-01-01", "--public-base-uri", "nope"},
			[]string{"invalid client:", "name (--name)", "client_id (--client-id)", "secret_expires_on (--secret-expires-on)", "public_base_uri (--public-base-uri)"}},
		{"api id taken", []string{"clients", "create-api", "--name", "x", "--client-id", id}, []string{`client_id "svc" is already taken`}},
		{"web without name or redirect", []string{"clients", "create-web"}, []string{"name (--name): is required", "redirect_uris (--redirect-uri)"}},
		{"web bad uris", []string{"clients", "create-web", "--name", "w", "--redirect-uri", "http://evil.example/cb", "--cors-origin", "https://x.example/path",
			"--post-logout-redirect-uri", "https://x.example/#frag"}, []string{"redirect_uris", "allowed_cors_origins (--cors-origin)", "post_logout_redirect_uris"}},
		{"web public with expiry", []string{"clients", "create-web", "--name", "w", "--redirect-uri", "https://x.example/cb", "--secret-expires-on", "2030-01-01"},
			[]string{"secret_expires_on"}},
		{"list type", []string{"clients", "list", "--type", "mobile"}, []string{"--type"}},
		{"list page", []string{"clients", "list", "--page", "-1"}, []string{"--page"}},
		{"list output", []string{"clients", "list", "-o", "yaml"}, []string{"--output"}},
		{"get unknown", []string{"clients", "get", "nope"}, []string{`no client with id "nope"`}},
		{"rotate unknown", []string{"clients", "rotate-secret", "nope"}, []string{`no client with id "nope"`}},
		{"delete unknown", []string{"clients", "delete", "nope"}, []string{`no client with id "nope"`}},
		{"enable unknown", []string{"clients", "enable", "nope"}, []string{`no client with id "nope"`}},
		{"disable unknown", []string{"clients", "disable", "nope"}, []string{`no client with id "nope"`}},
		{"rotate bad grace and date", []string{"clients", "rotate-secret", id, "--grace-period", "604801", "--secret-expires-on", "tomorrow"},
			[]string{"grace_period_seconds (--grace-period)", "secret_expires_on (--secret-expires-on)"}},
		{"rotate public", []string{"clients", "rotate-secret", public}, []string{"public", "no secret"}},
		{"user fields", []string{"users", "create", "--username", "a b", "--email", "not-mail", "--password", "short"},
			[]string{"invalid user:", "username (--username)", "email (--email)", "password (--password-stdin or --password)"}},
		{"user reserved name", []string{"users", "create", "--username", "x@" + testClientDomain}, []string{"username", "reserved"}},
		{"user taken", []string{"users", "create", "--username", "carol"}, []string{`username "carol" is already taken`}},
		{"user both passwords", []string{"users", "create", "--username", "dave", "--password", "long-enough-1", "--password-stdin"}, []string{"not both"}},
		{"user no stdin", []string{"users", "create", "--username", "dave", "--password-stdin"}, []string{"--password-stdin"}},
		{"user no username", []string{"users", "create"}, []string{"username"}},
		{"role fields", []string{"roles", "create", "bad/name", "--scopes", `a"b`}, []string{"invalid role:", "name", `scopes (--scopes)`}},
		{"role taken", []string{"roles", "create", store.AdministrationRole}, []string{`role name "Administration" is already taken`}},
		{"member of unknown role", []string{"roles", "add-member", "nope", "carol"}, []string{`no role named "nope"`}},
		{"unknown member", []string{"roles", "add-member", store.AdministrationRole, "nobody"}, []string{`"nobody"`, "<client_id>@" + testClientDomain}},
		{"unknown client member", []string{"roles", "add-member", store.AdministrationRole, "nope@" + testClientDomain}, []string{"no user or API client"}},
		{"web client is no member", []string{"roles", "add-member", store.AdministrationRole, public + "@" + testClientDomain}, []string{"no user or API client"}},
		{"remove non-member", []string{"roles", "remove-member", store.AdministrationRole, "carol"}, []string{`"carol" is not a member`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errOut := cliFails(t, env, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
	cliOK(t, env, "roles", "add-member", store.AdministrationRole, "carol")
	if errOut := cliFails(t, env, "roles", "add-member", store.AdministrationRole, "carol"); !strings.Contains(errOut, "already a member") {
		t.Errorf("add twice: %s", errOut)
	}
	// Nothing that failed left an audit event.
	if _, after, _ := st.ListAudit(context.Background(), store.Page{Limit: 1}); after != before+1 {
		t.Errorf("audit events: %d before, %d after one successful change", before, after)
	}
}

// TestUsersCreatePassword covers the ways a password arrives.
func TestUsersCreatePassword(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	env := migrated(t, dsn)
	st := openTestStore(t, dsn)
	tests := []struct {
		name, stdin, flag, want string
		warn                    bool
	}{
		{"stdin with newline", "s3cret-pass\n", "--password-stdin", "s3cret-pass", false},
		{"stdin with CRLF", "s3cret-pass\r\n", "--password-stdin", "s3cret-pass", false},
		{"stdin keeps inner spaces", " two  words \n", "--password-stdin", " two  words ", false},
		{"flag", "", "--password=flag-password", "flag-password", true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			username := fmt.Sprintf("user%d", i)
			_, errOut, code := runCLIStdin(t, env, tc.stdin, "users", "create", "--username", username, tc.flag)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if strings.Contains(errOut, "warning") != tc.warn {
				t.Errorf("stderr %q: want a warning %v", errOut, tc.warn)
			}
			u, err := st.FindUserByUsername(context.Background(), username)
			must(t, err)
			if ok, _ := identity.CheckPassword(tc.want, u.PasswordHash); !ok {
				t.Errorf("password %q does not verify", tc.want)
			}
		})
	}
	// Without a password the user exists but cannot sign in with one.
	cliOK(t, env, "users", "create", "--username", "nopass")
	u, err := st.FindUserByUsername(context.Background(), "nopass")
	must(t, err)
	if u.PasswordHash != "" {
		t.Errorf("password hash set without a password")
	}
}

// TestClientsListPaging: pages of 100 like the API, with a footer in text.
func TestClientsListPaging(t *testing.T) {
	dsn := sqltest.SQLiteDSN(t)
	env := migrated(t, dsn)
	st := openTestStore(t, dsn)
	now := time.Now().UTC()
	for i := range 101 {
		must(t, st.CreateClient(context.Background(), &store.Client{
			ID: fmt.Sprintf("c%03d", i), Type: store.ClientTypeAPI, Name: "n", Enabled: true, Scopes: []string{"a"},
			SecretHash: "x", SecretExpiresAt: now.Add(time.Hour), CreatedAt: now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now,
		}))
	}
	first, _ := cliJSON[adminapi.Page[adminapi.APIClient]](t, env, "clients", "list")
	second, _ := cliJSON[adminapi.Page[adminapi.APIClient]](t, env, "clients", "list", "--page", "1")
	past, _ := cliJSON[adminapi.Page[adminapi.APIClient]](t, env, "clients", "list", "--page", "2")
	if len(first.Result) != 100 || first.Total != 101 || len(second.Result) != 1 || second.Result[0].ClientID != "c100" ||
		second.Page != 1 || len(past.Result) != 0 || past.Result == nil {
		t.Errorf("pages: %d/%d, %d (page %d), past %v", len(first.Result), first.Total, len(second.Result), second.Page, past.Result)
	}
	if out := cliOK(t, env, "clients", "list"); !strings.Contains(out, "clients 1–100 of 101 (page 0; --page 1 for more)") {
		t.Errorf("text footer:\n%s", out[strings.LastIndex(out[:len(out)-1], "\n")+1:])
	}
	empty := migrated(t, sqltest.SQLiteDSN(t))
	if out := cliOK(t, empty, "users", "list"); strings.TrimSpace(out) != "no users" {
		t.Errorf("empty users list: %q", out)
	}
	if p, _ := cliJSON[adminapi.Page[adminapi.User]](t, empty, "users", "list"); p.Result == nil || p.Total != 0 {
		t.Errorf("empty users list json: %+v", p)
	}
}
