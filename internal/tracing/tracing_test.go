package tracing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse-dev/gatehouse/internal/tracing"
	"github.com/gatehouse-dev/gatehouse/internal/tracing/tracingtest"
)

func TestSetupOffInstallsNothing(t *testing.T) {
	before := otel.GetTracerProvider()
	shutdown, err := tracing.Setup(context.Background(), tracing.Config{SampleRatio: 1, ServiceName: "gatehouse"})
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Error("Setup without an endpoint replaced the global TracerProvider")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestSetupRejectsBadEndpoint(t *testing.T) {
	if _, err := tracing.Setup(context.Background(), tracing.Config{Endpoint: "collector:4318", SampleRatio: 1, ServiceName: "x"}); err == nil {
		t.Error("Setup accepted an endpoint without a scheme")
	}
}

// serve runs one request through a gin engine with the middleware; the
// handler starts a child span the way fosite does and records things that
// must not be exported.
func serve(t *testing.T, req *http.Request) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(tracing.Middleware("id.example.com"))
	e.GET("/things/:id", func(c *gin.Context) {
		ctx := c.Request.Context()
		_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer("github.com/ory/fosite").Start(ctx, "Fosite.Child")
		span.SetAttributes(
			attribute.String("error.reason", "kept"),
			attribute.String("error.debug", "debug mentions code-SECRET"),
			attribute.String("error.details.token", "token-SECRET"),
		)
		span.AddEvent("ev", trace.WithAttributes(attribute.String("url.query", "code=code-SECRET")))
		span.End()
		c.Error(errors.New("failed for token-SECRET"))
		c.Status(http.StatusTeapot)
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot {
		t.Fatalf("status %d", rec.Code)
	}
}

func TestSpansExportedAndRedacted(t *testing.T) {
	recv := tracingtest.NewReceiver(t)
	shutdown, err := tracing.Setup(context.Background(), tracing.Config{
		Endpoint: recv.URL, SampleRatio: 1, ServiceName: "gatehouse-test", Version: "v9.9.9",
	})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/things/42?code=code-SECRET&access_token=token-SECRET", nil)
	req.SetBasicAuth("client-SECRET", "pass-SECRET")
	serve(t, req)
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	spans := recv.Spans()
	byName := map[string]tracingtest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
		for k, v := range s.Attributes {
			if strings.Contains(v, "SECRET") {
				t.Errorf("span %q attribute %s = %q leaks a secret", s.Name, k, v)
			}
		}
		for _, ev := range s.Events {
			for k, v := range ev {
				if strings.Contains(v, "SECRET") {
					t.Errorf("span %q event attribute %s = %q leaks a secret", s.Name, k, v)
				}
			}
		}
	}
	server, ok := byName["/things/:id"]
	if !ok {
		t.Fatalf("no server span named by route; got %v", names(spans))
	}
	if server.Kind != 2 { // SPAN_KIND_SERVER
		t.Errorf("server span kind %v", server.Kind)
	}
	if got := server.Attributes["http.route"]; got != "/things/:id" {
		t.Errorf("http.route = %q", got)
	}
	if got := server.Resource["service.name"]; got != "gatehouse-test" {
		t.Errorf("service.name = %q", got)
	}
	if got := server.Resource["service.version"]; got != "v9.9.9" {
		t.Errorf("service.version = %q", got)
	}
	child, ok := byName["Fosite.Child"]
	if !ok {
		t.Fatalf("no child span; got %v", names(spans))
	}
	if string(child.TraceID) != string(server.TraceID) || len(child.ParentID) == 0 {
		t.Error("child span is not in the request's trace")
	}
	if child.Attributes["error.reason"] != "kept" {
		t.Errorf("harmless attribute dropped: %v", child.Attributes)
	}
}

func TestSampleRatioZeroFollowsParent(t *testing.T) {
	recv := tracingtest.NewReceiver(t)
	shutdown, err := tracing.Setup(context.Background(), tracing.Config{Endpoint: recv.URL, SampleRatio: 0, ServiceName: "gatehouse"})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, httptest.NewRequest(http.MethodGet, "/things/1", nil))
	sampled := httptest.NewRequest(http.MethodGet, "/things/2", nil)
	sampled.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	serve(t, sampled)
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var traces []string
	for _, s := range recv.Spans() {
		if s.Name == "/things/:id" {
			traces = append(traces, string(s.TraceID))
		}
	}
	if len(traces) != 1 || traces[0] != string([]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}) {
		t.Errorf("with ratio 0, want only the caller-sampled trace exported; got %d server spans", len(traces))
	}
}

func names(spans []tracingtest.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
