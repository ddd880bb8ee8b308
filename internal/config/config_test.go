package config

import (
	"strings"
	"testing"
	"time"
)

const goodSecret = "0123456789abcdef0123456789abcdef" // exactly 32 bytes

func devDefaults() Config {
	c := Defaults()
	c.Dev = true
	return c
}

func prodConfig() Config {
	c := Defaults()
	c.Issuer = "https://id.example.com"
	c.Secret = goodSecret
	c.DSN = "postgres://gatehouse@db/gatehouse"
	return c
}

// keyErrors returns every key named by a KeyError inside err.
func keyErrors(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *KeyError:
			out = append(out, x.Key)
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

func TestDefaultsValidateInDev(t *testing.T) {
	c := devDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Defaults() with Dev should validate, got %v", err)
	}
}

func TestDefaultsRefusedOutsideDev(t *testing.T) {
	c := Defaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("Defaults() without Dev validated: http issuer and no secret must be refused")
	}
	keys := keyErrors(err)
	for _, want := range []string{"issuer", "secret"} {
		if !contains(keys, want) {
			t.Errorf("error %q does not name %q (keys %v)", err, want, keys)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		base    func() Config
		mutate  func(*Config)
		wantKey string // empty: must validate
	}{
		{name: "production ok", base: prodConfig, mutate: func(*Config) {}},
		{name: "dev allows http issuer", base: devDefaults, mutate: func(c *Config) { c.Issuer = "http://127.0.0.1:9000" }},
		{name: "dev allows empty secret", base: devDefaults, mutate: func(c *Config) { c.Secret = "" }},
		{name: "dev with long secret", base: devDefaults, mutate: func(c *Config) { c.Secret = goodSecret }},
		{name: "dev short secret refused", base: devDefaults, mutate: func(c *Config) { c.Secret = "short" }, wantKey: "secret"},
		{name: "http issuer outside dev", base: prodConfig, mutate: func(c *Config) { c.Issuer = "http://id.example.com" }, wantKey: "issuer"},
		{name: "missing secret outside dev", base: prodConfig, mutate: func(c *Config) { c.Secret = "" }, wantKey: "secret"},
		{name: "31-byte secret outside dev", base: prodConfig, mutate: func(c *Config) { c.Secret = goodSecret[:31] }, wantKey: "secret"},
		{name: "issuer not a URL", base: prodConfig, mutate: func(c *Config) { c.Issuer = "id.example.com" }, wantKey: "issuer"},
		{name: "issuer ftp", base: prodConfig, mutate: func(c *Config) { c.Issuer = "ftp://id.example.com" }, wantKey: "issuer"},
		{name: "issuer with query", base: prodConfig, mutate: func(c *Config) { c.Issuer = "https://id.example.com/?a=b" }, wantKey: "issuer"},
		{name: "issuer with fragment", base: prodConfig, mutate: func(c *Config) { c.Issuer = "https://id.example.com/#x" }, wantKey: "issuer"},
		{name: "issuer with path ok", base: prodConfig, mutate: func(c *Config) { c.Issuer = "https://example.com/auth" }},
		{name: "empty addr", base: devDefaults, mutate: func(c *Config) { c.Addr = "" }, wantKey: "addr"},
		{name: "mysql dsn", base: devDefaults, mutate: func(c *Config) { c.DSN = "mysql://x" }, wantKey: "dsn"},
		{name: "sqlite dsn without path", base: devDefaults, mutate: func(c *Config) { c.DSN = "sqlite://" }, wantKey: "dsn"},
		{name: "postgresql dsn ok", base: devDefaults, mutate: func(c *Config) { c.DSN = "postgresql://u@h/d" }},
		{name: "max_open_conns 0", base: devDefaults, mutate: func(c *Config) { c.Database.MaxOpenConns = 0 }, wantKey: "database.max_open_conns"},
		{name: "max_idle_conns negative", base: devDefaults, mutate: func(c *Config) { c.Database.MaxIdleConns = -1 }, wantKey: "database.max_idle_conns"},
		{name: "conn_max_lifetime negative", base: devDefaults, mutate: func(c *Config) { c.Database.ConnMaxLifetime = -time.Second }, wantKey: "database.conn_max_lifetime"},
		{name: "lifetime 59s", base: devDefaults, mutate: func(c *Config) { c.Tokens.AccessTokenLifetime = 59 * time.Second }, wantKey: "tokens.access_token_lifetime"},
		{name: "lifetime 60s ok", base: devDefaults, mutate: func(c *Config) { c.Tokens.AccessTokenLifetime = 60 * time.Second }},
		{name: "lifetime 72h ok", base: devDefaults, mutate: func(c *Config) { c.Tokens.AccessTokenLifetime = 72 * time.Hour }},
		{name: "lifetime 259201s", base: devDefaults, mutate: func(c *Config) { c.Tokens.AccessTokenLifetime = 259201 * time.Second }, wantKey: "tokens.access_token_lifetime"},
		{name: "algorithm HS256", base: devDefaults, mutate: func(c *Config) { c.Tokens.AccessTokenAlgorithm = "HS256" }, wantKey: "tokens.access_token_algorithm"},
		{name: "algorithm RS256 ok", base: devDefaults, mutate: func(c *Config) { c.Tokens.AccessTokenAlgorithm = "RS256" }},
		{name: "publish_ahead negative", base: devDefaults, mutate: func(c *Config) { c.Keys.PublishAhead = -1 }, wantKey: "keys.publish_ahead"},
		{name: "refresh below 1s", base: devDefaults, mutate: func(c *Config) { c.Keys.Refresh = 999 * time.Millisecond }, wantKey: "keys.refresh"},
		{name: "log level loud", base: devDefaults, mutate: func(c *Config) { c.Log.Level = "loud" }, wantKey: "log.level"},
		{name: "log format xml", base: devDefaults, mutate: func(c *Config) { c.Log.Format = "xml" }, wantKey: "log.format"},
		{name: "shutdown grace negative", base: devDefaults, mutate: func(c *Config) { c.HTTP.ShutdownGrace = -1 }, wantKey: "http.shutdown_grace"},
		{name: "request timeout below 1s", base: devDefaults, mutate: func(c *Config) { c.HTTP.RequestTimeout = time.Millisecond }, wantKey: "http.request_timeout"},
		{name: "tracing endpoint ok", base: prodConfig, mutate: func(c *Config) { c.Tracing.OTLPEndpoint = "http://127.0.0.1:4318" }},
		{name: "tracing endpoint without scheme", base: devDefaults, mutate: func(c *Config) { c.Tracing.OTLPEndpoint = "127.0.0.1:4318" }, wantKey: "tracing.otlp_endpoint"},
		{name: "tracing endpoint with query", base: devDefaults, mutate: func(c *Config) { c.Tracing.OTLPEndpoint = "http://c:4318/?k=v" }, wantKey: "tracing.otlp_endpoint"},
		{name: "tracing sample ratio 0 ok", base: devDefaults, mutate: func(c *Config) { c.Tracing.SampleRatio = 0 }},
		{name: "tracing sample ratio above 1", base: devDefaults, mutate: func(c *Config) { c.Tracing.SampleRatio = 1.5 }, wantKey: "tracing.sample_ratio"},
		{name: "tracing sample ratio negative", base: devDefaults, mutate: func(c *Config) { c.Tracing.SampleRatio = -0.1 }, wantKey: "tracing.sample_ratio"},
		{name: "tracing service name blank", base: devDefaults, mutate: func(c *Config) { c.Tracing.ServiceName = " " }, wantKey: "tracing.service_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.base()
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %q", tt.wantKey)
			}
			if got := keyErrors(err); len(got) != 1 || got[0] != tt.wantKey {
				t.Errorf("Validate() named keys %v, want exactly [%s] (err %v)", got, tt.wantKey, err)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error text %q does not contain %q", err, tt.wantKey)
			}
		})
	}
}

func TestValidateReportsEveryBadKey(t *testing.T) {
	c := devDefaults()
	c.Log.Level = "loud"
	c.Database.MaxOpenConns = 0
	c.Tokens.AccessTokenLifetime = time.Second
	got := keyErrors(c.Validate())
	for _, want := range []string{"log.level", "database.max_open_conns", "tokens.access_token_lifetime"} {
		if !contains(got, want) {
			t.Errorf("Validate() keys %v, missing %q", got, want)
		}
	}
}

func TestIssuerURLTrimsSlash(t *testing.T) {
	c := prodConfig()
	c.Issuer = "https://id.example.com/auth/"
	if got := c.IssuerURL().String(); got != "https://id.example.com/auth" {
		t.Errorf("IssuerURL() = %q, want trailing slash trimmed", got)
	}
}

func TestLogFormat(t *testing.T) {
	tests := []struct {
		name   string
		dev    bool
		format string
		want   string
	}{
		{name: "dev default", dev: true, want: "text"},
		{name: "prod default", dev: false, want: "json"},
		{name: "explicit json in dev", dev: true, format: "json", want: "json"},
		{name: "explicit text in prod", dev: false, format: "text", want: "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Dev: tt.dev, Log: Log{Format: tt.format}}
			if got := c.LogFormat(); got != tt.want {
				t.Errorf("LogFormat() = %q, want %q", got, tt.want)
			}
		})
	}
}
