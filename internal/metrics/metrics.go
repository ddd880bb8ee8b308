// Package metrics owns Gatehouse's Prometheus metrics: one registry, the
// collectors, and nil-safe helpers so the rest of the code records events
// without caring whether metrics are wired.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every collector.
type Metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	tokens       *prometheus.CounterVec
	clientAuth   *prometheus.CounterVec
	logins       *prometheus.CounterVec
	throttled    *prometheus.CounterVec
	jobRuns      *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	jobProcessed *prometheus.CounterVec
}

// New registers every collector, plus Go runtime, process and (if db is
// not nil) connection-pool statistics.
func New(db *sql.DB) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gatehouse_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_issued_total", Help: "Token responses issued, by grant type and client type.",
		}, []string{"grant_type", "client_type"}),
		clientAuth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_client_auth_failures_total", Help: "Failed client authentications, by endpoint.",
		}, []string{"endpoint"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_logins_total", Help: "Sign-in attempts on the login page, by result.",
		}, []string{"result"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_throttled_requests_total", Help: "Requests refused by throttling, by reason.",
		}, []string{"reason"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_job_runs_total", Help: "Background job runs, by job and result.",
		}, []string{"job", "result"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gatehouse_job_duration_seconds", Help: "Background job run time.",
		}, []string{"job"}),
		jobProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_job_items_total", Help: "Items a background job handled (reminders sent, rows deleted), by job.",
		}, []string{"job"}),
	}
	reg.MustRegister(m.requests, m.latency, m.tokens, m.clientAuth, m.logins, m.throttled,
		m.jobRuns, m.jobDuration, m.jobProcessed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(db, "gatehouse"))
	}
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Middleware counts every request by its route pattern (never the raw
// path, so cardinality stays bounded).
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if m == nil {
			return
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(c.Writer.Status())
		m.requests.WithLabelValues(route, c.Request.Method, status).Inc()
		m.latency.WithLabelValues(route, c.Request.Method, status).Observe(time.Since(start).Seconds())
	}
}

// TokenIssued counts one token response.
func (m *Metrics) TokenIssued(grantType, clientType string) {
	if m != nil {
		m.tokens.WithLabelValues(grantType, clientType).Inc()
	}
}

// ClientAuthFailed counts a failed client authentication at endpoint.
func (m *Metrics) ClientAuthFailed(endpoint string) {
	if m != nil {
		m.clientAuth.WithLabelValues(endpoint).Inc()
	}
}

// Login counts a login attempt: "success", "failure" or "throttled".
func (m *Metrics) Login(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

// Throttled counts a request refused by throttling.
func (m *Metrics) Throttled(reason string) {
	if m != nil {
		m.throttled.WithLabelValues(reason).Inc()
	}
}

// JobRun records one run of a background job.
func (m *Metrics) JobRun(job string, took time.Duration, items int, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
	m.jobProcessed.WithLabelValues(job).Add(float64(items))
}
