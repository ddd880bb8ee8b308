// Package tracing owns Gatehouse's optional OpenTelemetry tracing: the
// process-wide TracerProvider that exports spans over OTLP/HTTP, the W3C
// tracecontext propagator, the gin middleware that opens one server span per
// request (named by route pattern), and the redaction that keeps
// credentials, tokens and query strings out of exported attributes. With no
// endpoint configured it installs nothing and the middleware is not used.
package tracing
