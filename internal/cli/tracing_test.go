package cli

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-dev/gatehouse/internal/tracing/tracingtest"
)

// TestTracing runs `gatehouse serve` against an in-process OTLP/HTTP
// receiver: off by default (nothing is sent), and with
// tracing.otlp_endpoint set the spans of a client-credentials token request
// and a discovery request arrive on shutdown, named by route, carrying
// service.name, with fosite's spans in the request's trace and no secret or
// token in any attribute.
func TestTracing(t *testing.T) {
	flow := func(t *testing.T, env []string, id, secret string) (accessToken string) {
		t.Helper()
		srv := startServer(t, env)
		status, body := postForm(t, srv.URL+"/oauth2/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
		if status != http.StatusOK {
			t.Fatalf("token: %d %v", status, body)
		}
		accessToken, _ = body["access_token"].(string)
		if accessToken == "" {
			t.Fatalf("no access_token in %v", body)
		}
		// A failed authentication, so fosite's error path is traced too.
		if status, body := postForm(t, srv.URL+"/oauth2/token", id, secret+"-wrong", url.Values{"grant_type": {"client_credentials"}}); status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d %v", status, body)
		}
		if status, body := postForm(t, srv.URL+"/oauth2/introspect", id, secret, url.Values{"token": {accessToken}}); status != http.StatusOK {
			t.Fatalf("introspect: %d %v", status, body)
		}
		if status, _ := getJSON(t, srv.URL+"/.well-known/openid-configuration?client_secret="+url.QueryEscape(secret)); status != http.StatusOK {
			t.Fatalf("discovery: %d", status)
		}
		srv.Stop(t) // SIGTERM path: servers shut down, then spans flush
		return accessToken
	}

	env := baseEnv(sqltest.SQLiteDSN(t), "GATEHOUSE_HTTP_DRAIN_DELAY=0s")
	if _, errOut, code := runCLI(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, errOut)
	}
	id, secret := createAPIClient(t, env, "--name", "traced", "--scopes", "a")

	t.Run("off by default", func(t *testing.T) {
		recv := tracingtest.NewReceiver(t)
		before := otel.GetTracerProvider()
		flow(t, env, id, secret)
		if n := recv.Requests(); n != 0 {
			t.Errorf("receiver got %d requests with tracing off", n)
		}
		if otel.GetTracerProvider() != before {
			t.Error("serve installed a TracerProvider with tracing off")
		}
	})

	t.Run("on", func(t *testing.T) {
		recv := tracingtest.NewReceiver(t)
		token := flow(t, append(env, "GATEHOUSE_TRACING_OTLP_ENDPOINT="+recv.URL), id, secret)

		spans := recv.Spans()
		if len(spans) == 0 {
			t.Fatal("no spans arrived")
		}
		byName := map[string][]tracingtest.Span{}
		for _, s := range spans {
			byName[s.Name] = append(byName[s.Name], s)
			if s.Resource["service.name"] != "gatehouse" || s.Resource["service.version"] != Version {
				t.Errorf("span %q resource %v, want service.name gatehouse, service.version %s", s.Name, s.Resource, Version)
			}
			leaks := func(where string, m map[string]string) {
				for k, v := range m {
					if strings.Contains(v, secret) || strings.Contains(v, token) {
						t.Errorf("span %q %s %s = %q holds the client secret or the access token", s.Name, where, k, v)
					}
				}
			}
			leaks("attribute", s.Attributes)
			for _, ev := range s.Events {
				leaks("event attribute", ev)
			}
			if strings.Contains(s.Status, secret) || strings.Contains(s.Status, token) {
				t.Errorf("span %q status %q holds a credential", s.Name, s.Status)
			}
		}
		for _, route := range []string{"/oauth2/token", "/oauth2/introspect", "/.well-known/openid-configuration"} {
			got := byName[route]
			if len(got) == 0 {
				t.Errorf("no span named %q; got %v", route, spanNames(spans))
				continue
			}
			if got[0].Attributes["http.route"] != route {
				t.Errorf("span %q http.route = %q", route, got[0].Attributes["http.route"])
			}
		}
		if n := len(byName["/oauth2/token"]); n != 2 {
			t.Errorf("%d token spans, want 2", n)
		}
		// fosite starts its spans from the one in the request context.
		traces := map[string]bool{}
		for _, s := range byName["/oauth2/token"] {
			traces[string(s.TraceID)] = true
		}
		var fosite int
		for _, s := range byName["Fosite.NewAccessRequest"] {
			if traces[string(s.TraceID)] && len(s.ParentID) > 0 {
				fosite++
			}
		}
		if fosite != 2 {
			t.Errorf("%d Fosite.NewAccessRequest spans inside token request traces, want 2; got %v", fosite, spanNames(spans))
		}
	})
}

func spanNames(spans []tracingtest.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
