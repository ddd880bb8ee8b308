package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.21.0"
)

// Config is what Setup needs; internal/cli fills it from config.Tracing.
type Config struct {
	// Endpoint is the OTLP/HTTP collector base URL (http://host:4318);
	// spans go to Endpoint + "/v1/traces". Empty: tracing is off.
	Endpoint string
	// SampleRatio is the share of new traces sampled (0 … 1); a request
	// carrying a traceparent follows its caller's decision.
	SampleRatio float64
	// ServiceName and Version become service.name and service.version.
	ServiceName string
	Version     string
	// Log receives export errors (nil: slog.Default()).
	Log *slog.Logger
}

// Enabled reports whether cfg turns tracing on.
func (c Config) Enabled() bool { return c.Endpoint != "" }

// Setup installs the global TracerProvider and propagator when tracing is
// on and returns the function that flushes and stops the exporter; call it
// once the HTTP servers have shut down. When cfg.Endpoint is empty it
// installs nothing and shutdown does nothing: fosite's spans, which start
// from the span in the request context, then stay no-ops.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	if !cfg.Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracing: endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpoint(u.Host),
		otlptracehttp.WithURLPath(strings.TrimSuffix(u.Path, "/") + "/v1/traces"),
	}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(cfg.Version)),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(redactingExporter{exp}),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing", "err", err)
	}))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp.Shutdown, nil
}

// Middleware opens a server span per request, named by the route pattern
// (c.FullPath(), never the raw path), continuing a W3C traceparent from the
// caller. It uses the provider and propagator Setup installed, so build the
// engine after Setup. server is the host name the spans report.
func Middleware(server string) gin.HandlerFunc {
	return otelgin.Middleware(server)
}
