package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-dev/gatehouse/internal/testlog"
)

// TestReplicas runs three `gatehouse serve` processes on one PostgreSQL
// database and walks SPEC §9 across them (issue 7, item 1): tokens,
// revocation, client changes through the management API, key rotation and
// background jobs are each seen by every replica. The refresh-token flow
// across replicas is left out here: it needs the browser sign-in flow.
func TestReplicas(t *testing.T) {
	const refresh = time.Second
	dsn := sqltest.PostgresDSN(t)
	env := baseEnv(dsn, "GATEHOUSE_KEYS_REFRESH="+refresh.String(), "GATEHOUSE_JOBS_REMINDER_INTERVAL=1s",
		"GATEHOUSE_DATABASE_MAX_OPEN_CONNS=5", "GATEHOUSE_DATABASE_MAX_IDLE_CONNS=5")
	if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, errOut)
	}
	svc, svcSecret := createAPIClient(t, env, "--name", "svc", "--scopes", "orders:read")
	ops, opsSecret := createAPIClient(t, env, "--name", "ops", "--scopes", "gatehouse:admin")

	var replicas [3]string
	var logs [3]*testlog.Buffer
	for i := range replicas {
		_, replicas[i], logs[i] = startProcess(t, env)
	}
	A, B, C := replicas[0], replicas[1], replicas[2]
	name := map[string]string{A: "A", B: "B", C: "C"}
	defer func() {
		if t.Failed() {
			for i, l := range logs {
				t.Logf("replica %c log (tail):\n%s", 'A'+i, tail(l.String(), 30))
			}
		}
	}()

	// A secret that expires in three days: the reminder job (every second
	// on every replica) must report it exactly once.
	expiring, _ := createAPIClient(t, env, "--name", "expiring soon", "--scopes", "orders:read",
		"--secret-expires-on", time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly))

	cc := url.Values{"grant_type": {"client_credentials"}}
	// Client changes reach the other replicas' caches through
	// LISTEN/NOTIFY (docs/operations.md: within moments); the checks below
	// allow them to propagate, bounded by this.
	const propagation = 2 * time.Second
	token := func(base, id, secret string) string {
		t.Helper()
		deadline := time.Now().Add(propagation)
		for {
			status, body := postForm(t, base+"/oauth2/token", id, secret, cc)
			tok, _ := body["access_token"].(string)
			if status == http.StatusOK && tok != "" {
				return tok
			}
			if time.Now().After(deadline) {
				t.Fatalf("token from %s for %s: %d %v", name[base], id, status, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	refused := func(base, id, secret, why string) {
		t.Helper()
		deadline := time.Now().Add(propagation)
		for {
			status, body := postForm(t, base+"/oauth2/token", id, secret, cc)
			if status == http.StatusUnauthorized && body["error"] == "invalid_client" {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: token from %s = %d %v, want 401 invalid_client within %s", why, name[base], status, body, propagation)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	introspect := func(base, tok string) map[string]any {
		t.Helper()
		status, body := postForm(t, base+"/oauth2/introspect", svc, svcSecret, url.Values{"token": {tok}})
		if status != http.StatusOK {
			t.Fatalf("introspect on %s: %d %v", name[base], status, body)
		}
		return body
	}
	inactive := func(base, tok, why string) {
		t.Helper()
		deadline := time.Now().Add(propagation)
		for {
			body := introspect(base, tok)
			if len(body) == 1 && body["active"] == false {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: introspection on %s = %v, want exactly {\"active\": false} within %s", why, name[base], body, propagation)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	api := func(base, method, path string, body any) (int, map[string]any) {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, err := json.Marshal(body)
			must(t, err)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, err := http.NewRequest(method, base+path, rd)
		must(t, err)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.SetBasicAuth(url.QueryEscape(ops), url.QueryEscape(opsSecret))
		return do(t, req)
	}

	// 1. A token issued by A is active on B and C and verifies against
	// each one's JWKS.
	tokA := token(A, svc, svcSecret)
	for _, r := range []string{B, C} {
		if body := introspect(r, tokA); body["active"] != true || body["client_id"] != svc {
			t.Errorf("token from A on %s: %v", name[r], body)
		}
		verifyAccessToken(t, r, tokA)
	}
	// Revoked on B: inactive on A and C.
	if status, body := postForm(t, B+"/oauth2/revoke", svc, svcSecret, url.Values{"token": {tokA}}); status != http.StatusOK {
		t.Fatalf("revoke on B: %d %v", status, body)
	}
	// Revocation is exact: the very next introspection on any replica
	// sees it (the denylist is read from the database, not propagated).
	for _, r := range []string{A, C} {
		if body := introspect(r, tokA); len(body) != 1 || body["active"] != false {
			t.Errorf("revoked on B, at once on %s: %v, want exactly {\"active\": false}", name[r], body)
		}
	}

	// 2. A client created through A's management API gets a token from C.
	const clients = "/api/v1/configuration/api-clients"
	status, created := api(A, http.MethodPost, clients, map[string]any{"name": "replicated", "scopes": []string{"orders:read"}})
	id, _ := created["client_id"].(string)
	secret, _ := created["client_secret"].(string)
	if status != http.StatusCreated || id == "" || secret == "" {
		t.Fatalf("create through A: %d %v", status, created)
	}
	tokC := token(C, id, secret)

	// Disabled through B: C refuses it and its tokens are inactive on A.
	if status, body := api(B, http.MethodPatch, clients+"/"+id, map[string]any{"enabled": false}); status != http.StatusNoContent {
		t.Fatalf("disable through B: %d %v", status, body)
	}
	refused(C, id, secret, "disabled through B")
	inactive(A, tokC, "client disabled through B")
	// Enabled again through C: A serves it.
	if status, body := api(C, http.MethodPatch, clients+"/"+id, map[string]any{"enabled": true}); status != http.StatusNoContent {
		t.Fatalf("enable through C: %d %v", status, body)
	}
	token(A, id, secret)

	// New secret through A: it works on C, the old one fails on B.
	status, regen := api(A, http.MethodPost, clients+"/"+id+"/secret", nil)
	newSecret, _ := regen["client_secret"].(string)
	if status != http.StatusOK || newSecret == "" || newSecret == secret {
		t.Fatalf("regenerate through A: %d %v", status, regen)
	}
	tokNew := token(C, id, newSecret)
	refused(B, id, secret, "old secret after regeneration through A")

	// Deleted through C: A refuses it, its tokens are inactive on B, and
	// B no longer lists it.
	if status, body := api(C, http.MethodDelete, clients+"/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete through C: %d %v", status, body)
	}
	refused(A, id, newSecret, "deleted through C")
	inactive(B, tokNew, "client deleted through C")
	if status, body := api(B, http.MethodGet, clients+"/"+id, nil); status != http.StatusNotFound {
		t.Errorf("deleted client through B: %d %v, want 404", status, body)
	}

	// 3. `gatehouse keys rotate` (signing at once): within 2 × keys.refresh
	// every replica publishes the new keys and signs with the new one.
	tokBefore := token(B, svc, svcSecret)
	out, errOut, code := runCLI(t, append(slices.Clone(env), "GATEHOUSE_KEYS_PUBLISH_AHEAD=0s"), "keys", "rotate", "--output", "json")
	rotated := time.Now()
	if code != 0 {
		t.Fatalf("keys rotate: exit %d: %s", code, errOut)
	}
	var made []struct {
		KID string `json:"kid"`
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal([]byte(out), &made); err != nil || len(made) != 2 {
		t.Fatalf("keys rotate printed %q: %v", out, err)
	}
	var newKIDs []string
	var newES256 string
	for _, k := range made {
		newKIDs = append(newKIDs, k.KID)
		if k.Alg == "ES256" {
			newES256 = k.KID
		}
	}
	deadline := rotated.Add(2 * refresh)
	for _, r := range replicas {
		for {
			kids := jwksKIDs(t, r)
			if slices.Contains(kids, newKIDs[0]) && slices.Contains(kids, newKIDs[1]) {
				t.Logf("replica %s publishes the rotated keys %s after the rotation", name[r], time.Since(rotated).Round(time.Millisecond))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s: JWKS %v lacks the rotated keys %v %s after the rotation (keys.refresh %s)",
					name[r], kids, newKIDs, time.Since(rotated).Round(time.Millisecond), refresh)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, r := range replicas {
		tok := token(r, svc, svcSecret)
		parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
		must(t, err)
		if kid := parsed.Headers[0].KeyID; kid != newES256 {
			t.Errorf("token from %s after the rotation signed with kid %q, want the new ES256 key %q", name[r], kid, newES256)
		}
		for _, v := range replicas {
			verifyAccessToken(t, v, tok)
		}
	}
	// The retired key stays published: earlier tokens still verify.
	verifyAccessToken(t, C, tokBefore)

	// 4. Background jobs run once across replicas. Cleanup runs at start
	// and every 10 minutes: one run in all. Reminders run every second
	// under a 0.9 s lease: about one run a second across the three, and
	// one notification for the expiring secret.
	type notification struct {
		Kind     string `json:"kind"`
		ClientID string `json:"client_id"`
	}
	reminders := func(base string) (forExpiring, all int) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+"/api/v1/notifications", nil)
		must(t, err)
		req.SetBasicAuth(url.QueryEscape(ops), url.QueryEscape(opsSecret))
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var page struct {
			Result []notification `json:"result"`
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("notifications on %s: %d", name[base], resp.StatusCode)
		}
		must(t, json.NewDecoder(resp.Body).Decode(&page))
		for _, n := range page.Result {
			if n.Kind == "secret_expiry_reminder" {
				all++
				if n.ClientID == expiring {
					forExpiring++
				}
			}
		}
		return forExpiring, all
	}
	deadline = time.Now().Add(10 * time.Second)
	for n, _ := reminders(A); n == 0; n, _ = reminders(A) {
		if time.Now().After(deadline) {
			t.Fatalf("no reminder for the secret expiring in 3 days")
		}
		time.Sleep(100 * time.Millisecond)
	}
	firstSeen := time.Now()
	runs0 := replicaJobRuns(t, replicas[:], "reminders")
	// Several more periods on every replica.
	time.Sleep(3500 * time.Millisecond)
	runs1 := replicaJobRuns(t, replicas[:], "reminders")
	window := time.Since(firstSeen)
	for _, r := range replicas {
		if n, all := reminders(r); n != 1 || all != 1 {
			t.Errorf("notifications on %s: %d for the expiring secret, %d reminders in all; want exactly 1", name[r], n, all)
		}
	}
	if cleanups := replicaJobRuns(t, replicas[:], "cleanup"); cleanups != 1 {
		t.Errorf("cleanup ran %v times across the three replicas since they started, want once (its period is 10 minutes)", cleanups)
	}
	ran := runs1 - runs0
	most := window.Seconds()/0.9 + 2
	t.Logf("reminder job: %v runs across three replicas in %s (one lease holder at a time allows at most %.1f)", ran, window.Round(time.Millisecond), most)
	if ran < 1 || ran > most {
		t.Errorf("reminder job ran %v times across three replicas in %s, want 1…%.1f (once per period, not once per replica)", ran, window.Round(time.Millisecond), most)
	}
}

// replicaJobRuns sums gatehouse_job_runs_total for job over the replicas.
func replicaJobRuns(t *testing.T, replicas []string, job string) float64 {
	t.Helper()
	var total float64
	for _, r := range replicas {
		v, _ := metricSum(scrape(t, r+"/metrics"), "gatehouse_job_runs_total", map[string]string{"job": job})
		total += v
	}
	return total
}
