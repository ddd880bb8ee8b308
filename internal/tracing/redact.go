package tracing

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Attributes never exported. otelgin records the Basic-auth user name
// (enduser.id: a client_id) and gin's error texts; fosite records error
// debug text and details, which may quote request parameters. Query strings
// and full URLs (http.target, url.query, …) can carry codes and tokens;
// the instrumentation in use does not record them, and this keeps it so.
var (
	redactedKeys = map[attribute.Key]bool{
		"enduser.id":  true,
		"gin.errors":  true,
		"error.debug": true,
		"http.target": true,
		"http.url":    true,
		"url.full":    true,
		"url.query":   true,
	}
	redactedPrefixes = []string{"error.details.", "http.request.header.", "http.response.header."}
)

func redacted(k attribute.Key) bool {
	if redactedKeys[k] {
		return true
	}
	for _, p := range redactedPrefixes {
		if strings.HasPrefix(string(k), p) {
			return true
		}
	}
	return false
}

func scrub(attrs []attribute.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(attrs))
	for _, kv := range attrs {
		if !redacted(kv.Key) {
			out = append(out, kv)
		}
	}
	return out
}

// redactingExporter drops redacted attributes from spans and their events
// before they leave the process.
type redactingExporter struct{ sdktrace.SpanExporter }

func (e redactingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = scrubbedSpan{s}
	}
	return e.SpanExporter.ExportSpans(ctx, out)
}

// scrubbedSpan is a span with its attributes filtered.
type scrubbedSpan struct{ sdktrace.ReadOnlySpan }

func (s scrubbedSpan) Attributes() []attribute.KeyValue { return scrub(s.ReadOnlySpan.Attributes()) }

func (s scrubbedSpan) Events() []sdktrace.Event {
	events := s.ReadOnlySpan.Events()
	out := make([]sdktrace.Event, len(events))
	for i, ev := range events {
		ev.Attributes = scrub(ev.Attributes)
		out[i] = ev
	}
	return out
}
