// Package config owns Gatehouse's settings: one typed Config, its defaults,
// loading from a YAML file, GATEHOUSE_* environment variables and flags (in
// that order of precedence, lowest first), and validation that names the
// offending key. configs/gatehouse.yaml documents every key.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is every setting. The koanf tag is the key in the file; the
// environment variable is GATEHOUSE_ plus the key upper-cased with dots and
// dashes as underscores; the flag is --key with underscores as dashes.
type Config struct {
	Dev    bool   `koanf:"dev" help:"development mode: SQLite file, http issuer allowed, generated secret and admin password"`
	Issuer string `koanf:"issuer" help:"public base URL of this server; https outside --dev"`
	Addr   string `koanf:"addr" help:"listen address"`
	DSN    string `koanf:"dsn" help:"database: postgres://… or sqlite://PATH"`
	Secret string `koanf:"secret" help:"server secret (≥ 32 bytes); seals private keys and keys client-secret hashes"`

	BootstrapAdminPassword string `koanf:"bootstrap_admin_password" help:"password of user admin, created on first start (--dev: random, printed once)"`

	Database Database `koanf:"database"`
	Tokens   Tokens   `koanf:"tokens"`
	Keys     Keys     `koanf:"keys"`
	Log      Log      `koanf:"log"`
	HTTP     HTTP     `koanf:"http"`
	UI       UI       `koanf:"ui"`
	SMTP     SMTP     `koanf:"smtp"`
	Jobs     Jobs     `koanf:"jobs"`
	Admin    Admin    `koanf:"admin"`
	Debug    Debug    `koanf:"debug"`
	Tracing  Tracing  `koanf:"tracing"`
}

// Tracing exports OpenTelemetry spans; off while OTLPEndpoint is empty.
type Tracing struct {
	OTLPEndpoint string  `koanf:"otlp_endpoint" help:"OTLP/HTTP collector base URL, e.g. http://127.0.0.1:4318 (/v1/traces is appended); empty: tracing off"`
	SampleRatio  float64 `koanf:"sample_ratio" help:"share of new traces sampled, 0 … 1 (a caller's sampled traceparent is honoured)"`
	ServiceName  string  `koanf:"service_name" help:"service.name of the exported spans"`
}

// Debug switches on diagnostics.
type Debug struct {
	Pprof bool `koanf:"pprof" help:"serve Go's profiler at /debug/pprof/ on the admin listener (or the main one without admin.addr)"`
}

// Admin places the administrative surface.
type Admin struct {
	Addr string `koanf:"addr" help:"second listen address for /api, /console and /metrics (empty: the main listener serves them)"`
}

// SMTP configures outgoing mail (secret expiry reminders).
type SMTP struct {
	URL  string `koanf:"url" help:"smtp://[user:pass@]host[:port][?starttls=mandatory|opportunistic|none] or smtps://…; empty: reminders are only logged and listed"`
	From string `koanf:"from" help:"sender address (default: gatehouse@<issuer host>)"`
}

// Jobs sets the background jobs' periods.
type Jobs struct {
	ReminderInterval time.Duration `koanf:"reminder_interval" help:"how often to look for client secrets expiring within 14 days"`
	CleanupInterval  time.Duration `koanf:"cleanup_interval" help:"how often expired tokens, codes and sessions are deleted"`
	CleanupRetention time.Duration `koanf:"cleanup_retention" help:"how long past their expiry rows are kept before cleanup deletes them"`
}

// UI brands the HTML pages.
type UI struct {
	ProductName string `koanf:"product_name" help:"product name shown on every page"`
	LogoURL     string `koanf:"logo_url" help:"logo image URL shown on every page (empty: none)"`
	AccentColor string `koanf:"accent_color" help:"accent colour, a CSS hex colour such as #2952cc"`
}

// Database tunes the connection pool.
type Database struct {
	MaxOpenConns    int           `koanf:"max_open_conns" help:"most open connections"`
	MaxIdleConns    int           `koanf:"max_idle_conns" help:"most idle connections kept"`
	ConnMaxLifetime time.Duration `koanf:"conn_max_lifetime" help:"recycle connections after this long"`
	QueryTimeout    time.Duration `koanf:"query_timeout" help:"longest a PostgreSQL statement or connection attempt may take"`
	ClientCacheTTL  time.Duration `koanf:"client_cache_ttl" help:"keep clients in memory for the token path this long (0: off); changes invalidate it at once"`
}

// Tokens sets token lifetimes and algorithms.
type Tokens struct {
	AccessTokenLifetime  time.Duration `koanf:"access_token_lifetime" help:"default access token lifetime (60s … 72h)"`
	AccessTokenAlgorithm string        `koanf:"access_token_algorithm" help:"access token signature: ES256 or RS256"`
	RefreshTokenLifetime time.Duration `koanf:"refresh_token_lifetime" help:"refresh token lifetime (rotated on every use)"`
	IDTokenLifetime      time.Duration `koanf:"id_token_lifetime" help:"ID token lifetime"`
	SessionLifetime      time.Duration `koanf:"session_lifetime" help:"how long a browser stays signed in to Gatehouse"`
}

// Keys sets signing-key rotation.
type Keys struct {
	PublishAhead time.Duration `koanf:"publish_ahead" help:"a rotated-in key is published this long before it signs"`
	Refresh      time.Duration `koanf:"refresh" help:"how often each replica reloads keys from the database"`
	// RotationPeriod rotates keys automatically (0: only by hand).
	RotationPeriod time.Duration `koanf:"rotation_period" help:"rotate each signing key automatically when the newest is this old (0: never)"`
}

// Log sets logging.
type Log struct {
	Level  string `koanf:"level" help:"debug, info, warn or error"`
	Format string `koanf:"format" help:"json or text (default: text with --dev, json otherwise)"`
}

// HTTP sets server timeouts.
type HTTP struct {
	DrainDelay     time.Duration `koanf:"drain_delay" help:"on SIGTERM, keep accepting this long (readiness 503, responses close their connection) before closing the listener"`
	ShutdownGrace  time.Duration `koanf:"shutdown_grace" help:"on SIGTERM, how long in-flight requests may take to finish"`
	RequestTimeout time.Duration `koanf:"request_timeout" help:"longest time one request may take"`
}

// Defaults is the configuration with no file, environment or flag.
func Defaults() Config {
	return Config{
		Issuer: "http://localhost:8080",
		Addr:   ":8080",
		DSN:    "sqlite://gatehouse.db",
		Database: Database{
			MaxOpenConns:    20,
			MaxIdleConns:    20,
			ConnMaxLifetime: 30 * time.Minute,
			QueryTimeout:    5 * time.Second,
			ClientCacheTTL:  5 * time.Second,
		},
		Tokens: Tokens{
			AccessTokenLifetime:  time.Hour,
			AccessTokenAlgorithm: "ES256",
			RefreshTokenLifetime: 30 * 24 * time.Hour,
			IDTokenLifetime:      time.Hour,
			SessionLifetime:      12 * time.Hour,
		},
		Keys: Keys{
			PublishAhead:   time.Hour,
			Refresh:        10 * time.Second,
			RotationPeriod: 90 * 24 * time.Hour,
		},
		Log:     Log{Level: "info"},
		UI:      UI{ProductName: "Gatehouse", AccentColor: "#2952cc"},
		Jobs:    Jobs{ReminderInterval: time.Hour, CleanupInterval: 10 * time.Minute, CleanupRetention: time.Hour},
		HTTP:    HTTP{DrainDelay: 2 * time.Second, ShutdownGrace: 30 * time.Second, RequestTimeout: 30 * time.Second},
		Tracing: Tracing{SampleRatio: 1, ServiceName: "gatehouse"},
	}
}

// Limits from SPEC §2 and §4.
const (
	MinAccessTokenLifetime = 60 * time.Second
	MaxAccessTokenLifetime = 72 * time.Hour
	MinSecretLength        = 32
)

// KeyError is a validation failure tied to one configuration key.
type KeyError struct {
	Key string
	Msg string
}

func (e *KeyError) Error() string { return fmt.Sprintf("config: %s: %s", e.Key, e.Msg) }

// Validate checks every value and returns the first problem, naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}

	u, err := url.Parse(c.Issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		bad("issuer", "must be an absolute http(s) URL, got %q", c.Issuer)
	case u.RawQuery != "" || u.Fragment != "":
		bad("issuer", "must not have a query or fragment")
	case u.Scheme != "https" && !c.Dev:
		bad("issuer", "must be https outside --dev, got %q", c.Issuer)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "must be host:port or :port, got %q", c.Addr)
	}
	if !strings.HasPrefix(c.DSN, "postgres://") && !strings.HasPrefix(c.DSN, "postgresql://") &&
		!(strings.HasPrefix(c.DSN, "sqlite://") && len(c.DSN) > len("sqlite://")) {
		bad("dsn", "must be postgres://… or sqlite://PATH")
	}
	if !c.Dev && len(c.Secret) < MinSecretLength {
		bad("secret", "must be at least %d bytes outside --dev (set GATEHOUSE_SECRET)", MinSecretLength)
	}
	if c.Dev && c.Secret != "" && len(c.Secret) < MinSecretLength {
		bad("secret", "must be at least %d bytes", MinSecretLength)
	}
	if c.Database.MaxOpenConns < 1 {
		bad("database.max_open_conns", "must be at least 1")
	}
	if c.Database.MaxIdleConns < 0 {
		bad("database.max_idle_conns", "must not be negative")
	}
	if c.Database.ClientCacheTTL < 0 || c.Database.ClientCacheTTL > time.Hour {
		bad("database.client_cache_ttl", "must be between 0 and 1h")
	}
	if c.Database.QueryTimeout < 100*time.Millisecond {
		bad("database.query_timeout", "must be at least 100ms")
	}
	if c.Database.ConnMaxLifetime < 0 {
		bad("database.conn_max_lifetime", "must not be negative")
	}
	if l := c.Tokens.AccessTokenLifetime; l < MinAccessTokenLifetime || l > MaxAccessTokenLifetime {
		bad("tokens.access_token_lifetime", "must be between %s and %s, got %s", MinAccessTokenLifetime, MaxAccessTokenLifetime, l)
	}
	if l := c.Tokens.RefreshTokenLifetime; l < time.Minute || l > 365*24*time.Hour {
		bad("tokens.refresh_token_lifetime", "must be between 1m and 8760h, got %s", l)
	}
	if l := c.Tokens.IDTokenLifetime; l < time.Minute || l > 24*time.Hour {
		bad("tokens.id_token_lifetime", "must be between 1m and 24h, got %s", l)
	}
	if l := c.Tokens.SessionLifetime; l < time.Minute || l > 30*24*time.Hour {
		bad("tokens.session_lifetime", "must be between 1m and 720h, got %s", l)
	}
	if a := c.Tokens.AccessTokenAlgorithm; a != "ES256" && a != "RS256" {
		bad("tokens.access_token_algorithm", "must be ES256 or RS256, got %q", a)
	}
	if c.Keys.PublishAhead < 0 {
		bad("keys.publish_ahead", "must not be negative")
	}
	if p := c.Keys.RotationPeriod; p != 0 && (p < time.Hour || p <= c.Keys.PublishAhead) {
		bad("keys.rotation_period", "must be 0 (off) or at least 1h and longer than keys.publish_ahead")
	}
	if c.Keys.Refresh < time.Second {
		bad("keys.refresh", "must be at least 1s")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "", "json", "text":
	default:
		bad("log.format", "must be json or text, got %q", c.Log.Format)
	}
	if c.HTTP.DrainDelay < 0 {
		bad("http.drain_delay", "must not be negative")
	}
	if c.HTTP.ShutdownGrace < 0 {
		bad("http.shutdown_grace", "must not be negative")
	}
	if c.HTTP.RequestTimeout < time.Second {
		bad("http.request_timeout", "must be at least 1s")
	}
	if c.SMTP.URL != "" {
		if u, err := url.Parse(c.SMTP.URL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			bad("smtp.url", "must be smtp://host[:port] or smtps://host[:port]")
		}
	}
	if c.SMTP.From != "" {
		if a, err := mail.ParseAddress(c.SMTP.From); err != nil || a.Address != c.SMTP.From {
			bad("smtp.from", "must be an e-mail address")
		}
	}
	if c.Jobs.ReminderInterval < time.Second {
		bad("jobs.reminder_interval", "must be at least 1s")
	}
	if c.Jobs.CleanupInterval < time.Second {
		bad("jobs.cleanup_interval", "must be at least 1s")
	}
	if c.Jobs.CleanupRetention < 0 {
		bad("jobs.cleanup_retention", "must not be negative")
	}
	if c.Admin.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Admin.Addr); err != nil {
			bad("admin.addr", "must be host:port or :port, got %q", c.Admin.Addr)
		} else if c.Admin.Addr == c.Addr {
			bad("admin.addr", "must differ from addr")
		}
	}
	if strings.TrimSpace(c.UI.ProductName) == "" {
		bad("ui.product_name", "must not be empty")
	}
	if c.UI.AccentColor != "" && !hexColor.MatchString(c.UI.AccentColor) {
		bad("ui.accent_color", "must be a hex colour like #2952cc, got %q", c.UI.AccentColor)
	}
	if c.UI.LogoURL != "" {
		if u, err := url.Parse(c.UI.LogoURL); err != nil || (u.Scheme != "https" && u.Scheme != "http" && !strings.HasPrefix(c.UI.LogoURL, "/")) {
			bad("ui.logo_url", "must be an http(s) URL or an absolute path")
		}
	}
	if e := c.Tracing.OTLPEndpoint; e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			bad("tracing.otlp_endpoint", "must be an http(s) URL without credentials, query or fragment, like http://127.0.0.1:4318")
		}
	}
	if r := c.Tracing.SampleRatio; !(r >= 0 && r <= 1) {
		bad("tracing.sample_ratio", "must be between 0 and 1, got %v", r)
	}
	if strings.TrimSpace(c.Tracing.ServiceName) == "" {
		bad("tracing.service_name", "must not be empty")
	}
	return errors.Join(errs...)
}

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// IssuerURL is the parsed issuer; Validate guarantees it parses.
func (c *Config) IssuerURL() *url.URL {
	u, _ := url.Parse(strings.TrimSuffix(c.Issuer, "/"))
	return u
}

// ClientDomain is the domain of client usernames: "clients." + issuer host.
func (c *Config) ClientDomain() string {
	return "clients." + c.IssuerURL().Hostname()
}

// MailFrom is the reminder sender.
func (c *Config) MailFrom() string {
	if c.SMTP.From != "" {
		return c.SMTP.From
	}
	return "gatehouse@" + c.IssuerURL().Hostname()
}

// LogFormat resolves the default format.
func (c *Config) LogFormat() string {
	if c.Log.Format != "" {
		return c.Log.Format
	}
	if c.Dev {
		return "text"
	}
	return "json"
}
