package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// load parses args with the real flag set and loads with environ.
func load(t *testing.T, args, environ []string) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("gatehouse", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse flags %v: %v", args, err)
	}
	return Load(fs, environ)
}

// writeFile writes a YAML file in t's temp dir and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaultsInDev(t *testing.T) {
	cfg, err := load(t, []string{"--dev"}, nil)
	if err != nil {
		t.Fatalf("Load --dev with nothing else: %v", err)
	}
	want := Defaults()
	want.Dev = true
	if *cfg != want {
		t.Errorf("Load --dev = %+v, want defaults %+v", *cfg, want)
	}
}

func TestLoadWithoutDevRefusesDefaults(t *testing.T) {
	_, err := load(t, nil, nil)
	if err == nil {
		t.Fatal("Load without --dev accepted the http issuer and empty secret")
	}
	keys := keyErrors(err)
	if !contains(keys, "issuer") || !contains(keys, "secret") {
		t.Errorf("error %q names %v, want issuer and secret", err, keys)
	}
}

func TestLoadNilFlagSet(t *testing.T) {
	cfg, err := Load(nil, []string{"GATEHOUSE_DEV=true", "GATEHOUSE_ADDR=:9999"})
	if err != nil {
		t.Fatalf("Load(nil, env): %v", err)
	}
	if !cfg.Dev || cfg.Addr != ":9999" {
		t.Errorf("Load(nil, env) = dev %v addr %q, want true :9999", cfg.Dev, cfg.Addr)
	}
}

func TestLoadPrecedence(t *testing.T) {
	path := writeFile(t, `
dev: true
addr: ":1001"
log:
  level: debug
  format: text
tokens:
  access_token_lifetime: 2h
database:
  max_open_conns: 5
`)
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "file over defaults",
			args: []string{"--config", path},
			check: func(t *testing.T, c *Config) {
				if c.Addr != ":1001" || c.Log.Level != "debug" || c.Tokens.AccessTokenLifetime != 2*time.Hour || c.Database.MaxOpenConns != 5 {
					t.Errorf("file values not applied: %+v", c)
				}
				if c.Database.MaxIdleConns != Defaults().Database.MaxIdleConns {
					t.Errorf("unset key lost its default: max_idle_conns = %d", c.Database.MaxIdleConns)
				}
			},
		},
		{
			name: "env over file",
			args: []string{"--config", path},
			env:  []string{"GATEHOUSE_ADDR=:1002", "GATEHOUSE_LOG_LEVEL=warn", "GATEHOUSE_DATABASE_MAX_OPEN_CONNS=7"},
			check: func(t *testing.T, c *Config) {
				if c.Addr != ":1002" || c.Log.Level != "warn" || c.Database.MaxOpenConns != 7 {
					t.Errorf("env did not override file: addr %q level %q conns %d", c.Addr, c.Log.Level, c.Database.MaxOpenConns)
				}
				if c.Tokens.AccessTokenLifetime != 2*time.Hour || c.Log.Format != "text" {
					t.Errorf("file values not set by env were lost: %+v", c)
				}
			},
		},
		{
			name: "flag over env over file",
			args: []string{"--config", path, "--addr", ":1003", "--tokens.access-token-lifetime", "90m"},
			env:  []string{"GATEHOUSE_ADDR=:1002", "GATEHOUSE_TOKENS_ACCESS_TOKEN_LIFETIME=3h", "GATEHOUSE_LOG_LEVEL=warn"},
			check: func(t *testing.T, c *Config) {
				if c.Addr != ":1003" || c.Tokens.AccessTokenLifetime != 90*time.Minute {
					t.Errorf("flag did not win: addr %q lifetime %s", c.Addr, c.Tokens.AccessTokenLifetime)
				}
				if c.Log.Level != "warn" {
					t.Errorf("env value without a flag lost: level %q", c.Log.Level)
				}
			},
		},
		{
			name: "unset flag keeps env and file",
			args: []string{"--config", path},
			env:  []string{"GATEHOUSE_TOKENS_ACCESS_TOKEN_LIFETIME=3h"},
			check: func(t *testing.T, c *Config) {
				// The flag's default (1h) must not override env, since it was not set.
				if c.Tokens.AccessTokenLifetime != 3*time.Hour || c.Addr != ":1001" {
					t.Errorf("an unset flag overrode lower layers: lifetime %s addr %q", c.Tokens.AccessTokenLifetime, c.Addr)
				}
			},
		},
		{
			name: "config file from env",
			env:  []string{"GATEHOUSE_CONFIG=" + path},
			check: func(t *testing.T, c *Config) {
				if c.Addr != ":1001" {
					t.Errorf("GATEHOUSE_CONFIG file not read: addr %q", c.Addr)
				}
			},
		},
		{
			name: "--config over GATEHOUSE_CONFIG",
			args: []string{"--config", path},
			env:  []string{"GATEHOUSE_CONFIG=" + filepath.Join(t.TempDir(), "missing.yaml")},
			check: func(t *testing.T, c *Config) {
				if c.Addr != ":1001" {
					t.Errorf("--config did not win over GATEHOUSE_CONFIG: addr %q", c.Addr)
				}
			},
		},
		{
			name: "env bool and dev flag",
			args: []string{"--dev=false", "--issuer", "https://id.example.com"},
			env:  []string{"GATEHOUSE_DEV=true", "GATEHOUSE_SECRET=" + goodSecret},
			check: func(t *testing.T, c *Config) {
				if c.Dev {
					t.Error("--dev=false did not override GATEHOUSE_DEV=true")
				}
				if c.Secret != goodSecret || c.Issuer != "https://id.example.com" {
					t.Errorf("secret/issuer not loaded: %+v", c)
				}
			},
		},
		{
			name: "environ without prefix ignored",
			args: []string{"--dev"},
			env:  []string{"ADDR=:1", "PATH=/bin", "GATEHOUSE_UNKNOWN_THING=x", "GATEHOUSE_NO_EQUALS"},
			check: func(t *testing.T, c *Config) {
				if c.Addr != Defaults().Addr {
					t.Errorf("unrelated environment changed addr to %q", c.Addr)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, cfg)
		})
	}
}

func TestLoadBadValues(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		file    string // YAML; empty: no file
		wantKey string
	}{
		{name: "env duration abc", args: []string{"--dev"}, env: []string{"GATEHOUSE_TOKENS_ACCESS_TOKEN_LIFETIME=abc"}, wantKey: "tokens.access_token_lifetime"},
		{name: "file lifetime 259201s", args: []string{"--dev"}, file: "tokens:\n  access_token_lifetime: 259201s\n", wantKey: "tokens.access_token_lifetime"},
		{name: "env lifetime 73h", args: []string{"--dev"}, env: []string{"GATEHOUSE_TOKENS_ACCESS_TOKEN_LIFETIME=73h"}, wantKey: "tokens.access_token_lifetime"},
		{name: "flag lifetime 73h", args: []string{"--dev", "--tokens.access-token-lifetime=73h"}, wantKey: "tokens.access_token_lifetime"},
		{name: "flag lifetime 59s", args: []string{"--dev", "--tokens.access-token-lifetime=59s"}, wantKey: "tokens.access_token_lifetime"},
		{name: "file lifetime 59s", args: []string{"--dev"}, file: "tokens:\n  access_token_lifetime: 59s\n", wantKey: "tokens.access_token_lifetime"},
		{name: "env log level loud", args: []string{"--dev"}, env: []string{"GATEHOUSE_LOG_LEVEL=loud"}, wantKey: "log.level"},
		{name: "file log level loud", args: []string{"--dev"}, file: "log:\n  level: loud\n", wantKey: "log.level"},
		{name: "file max_open_conns 0", args: []string{"--dev"}, file: "database:\n  max_open_conns: 0\n", wantKey: "database.max_open_conns"},
		{name: "env max_open_conns 0", args: []string{"--dev"}, env: []string{"GATEHOUSE_DATABASE_MAX_OPEN_CONNS=0"}, wantKey: "database.max_open_conns"},
		{name: "env max_open_conns not a number", args: []string{"--dev"}, env: []string{"GATEHOUSE_DATABASE_MAX_OPEN_CONNS=many"}, wantKey: "database.max_open_conns"},
		{name: "file max_open_conns a list", args: []string{"--dev"}, file: "database:\n  max_open_conns: [1, 2]\n", wantKey: "database.max_open_conns"},
		{name: "env dev not a bool", env: []string{"GATEHOUSE_DEV=maybe"}, wantKey: "dev"},
		{name: "file algorithm HS256", args: []string{"--dev"}, file: "tokens:\n  access_token_algorithm: HS256\n", wantKey: "tokens.access_token_algorithm"},
		{name: "env keys refresh bad", args: []string{"--dev"}, env: []string{"GATEHOUSE_KEYS_REFRESH=soon"}, wantKey: "keys.refresh"},
		{name: "flag issuer http outside dev", args: []string{"--issuer=http://id.example.com"}, env: []string{"GATEHOUSE_SECRET=" + goodSecret}, wantKey: "issuer"},
		{name: "env secret short outside dev", args: []string{"--issuer=https://id.example.com"}, env: []string{"GATEHOUSE_SECRET=" + goodSecret[:31]}, wantKey: "secret"},
		{name: "secret missing outside dev", args: []string{"--issuer=https://id.example.com"}, wantKey: "secret"},
		{name: "env blank product name", args: []string{"--dev"}, env: []string{"GATEHOUSE_UI_PRODUCT_NAME=  "}, wantKey: "ui.product_name"},
		{name: "env accent colour word", args: []string{"--dev"}, env: []string{"GATEHOUSE_UI_ACCENT_COLOR=red"}, wantKey: "ui.accent_color"},
		{name: "env logo javascript URL", args: []string{"--dev"}, env: []string{"GATEHOUSE_UI_LOGO_URL=javascript:alert(1)"}, wantKey: "ui.logo_url"},
		{name: "env sample ratio not a number", args: []string{"--dev"}, env: []string{"GATEHOUSE_TRACING_SAMPLE_RATIO=half"}, wantKey: "tracing.sample_ratio"},
		{name: "file sample ratio 2", args: []string{"--dev"}, file: "tracing:\n  sample_ratio: 2\n", wantKey: "tracing.sample_ratio"},
		{name: "flag otlp endpoint without scheme", args: []string{"--dev", "--tracing.otlp-endpoint=collector:4318"}, wantKey: "tracing.otlp_endpoint"},
		{name: "file unknown top-level key", args: []string{"--dev"}, file: "isuer: https://x\n", wantKey: "isuer"},
		{name: "file unknown nested key", args: []string{"--dev"}, file: "tokens:\n  lifetime: 1h\n", wantKey: "tokens.lifetime"},
		{name: "file leaf given as a section", args: []string{"--dev"}, file: "issuer:\n  host: x\n", wantKey: "issuer.host"},
		{name: "file section given as a scalar", args: []string{"--dev"}, file: "tokens: 5\n", wantKey: "tokens"},
		{name: "file --config is not a key", args: []string{"--dev"}, file: "config: other.yaml\n", wantKey: "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, tt.file)}, args...)
			}
			cfg, err := load(t, args, tt.env)
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error naming %q", cfg, tt.wantKey)
			}
			if cfg != nil {
				t.Errorf("Load returned a config alongside error %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %q does not name %q", err, tt.wantKey)
			}
			if keys := keyErrors(err); !contains(keys, tt.wantKey) {
				t.Errorf("error %q: KeyError keys %v, want %q", err, keys, tt.wantKey)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{name: "missing file", path: func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.yaml") }},
		{name: "malformed YAML", path: func(t *testing.T) string { return writeFile(t, "addr: [unclosed\n") }},
		{name: "not a mapping", path: func(t *testing.T) string { return writeFile(t, "- a\n- b\n") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			_, err := load(t, []string{"--dev", "--config", path}, nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %s", err, path)
			}
		})
	}
}

func TestLoadEveryKeyByEveryLayer(t *testing.T) {
	// One non-default, valid value per key, rendered as fmt.Sprint renders the
	// loaded field, so each layer is seen to reach each key.
	candidates := map[string]string{
		"dev":                           "true",
		"issuer":                        "https://id.example.org",
		"addr":                          ":7070",
		"dsn":                           "postgres://u@h/db",
		"secret":                        goodSecret + "x",
		"bootstrap_admin_password":      "correct horse battery staple",
		"database.max_open_conns":       "3",
		"database.max_idle_conns":       "2",
		"database.conn_max_lifetime":    "5m0s",
		"tokens.access_token_lifetime":  "2h0m0s",
		"tokens.access_token_algorithm": "RS256",
		"keys.publish_ahead":            "2h0m0s",
		"keys.refresh":                  "30s",
		"log.level":                     "debug",
		"log.format":                    "json",
		"http.drain_delay":              "5s",
		"http.shutdown_grace":           "1m0s",
		"http.request_timeout":          "10s",
		"ui.product_name":               "Acme ID",
		"ui.logo_url":                   "https://cdn.example.com/logo.png",
		"ui.accent_color":               "#112233",
		"tracing.otlp_endpoint":         "http://127.0.0.1:4318",
		"tracing.sample_ratio":          "0.25",
		"tracing.service_name":          "gatehouse-eu",
	}
	values := map[string]string{}
	for _, key := range KeyNames() {
		if v, ok := candidates[key]; ok {
			values[key] = v
		} else {
			t.Logf("key %q has no test value here; only its default is checked", key)
		}
	}
	check := func(t *testing.T, cfg *Config) {
		t.Helper()
		defaults := Defaults()
		for _, key := range KeyNames() {
			got, ok := leaf(reflect.ValueOf(cfg).Elem(), strings.Split(key, "."))
			if !ok {
				t.Fatalf("key %q has no field", key)
			}
			want, set := values[key]
			if !set {
				def, _ := leaf(reflect.ValueOf(&defaults).Elem(), strings.Split(key, "."))
				want = fmt.Sprint(def.Interface())
			}
			if g := fmt.Sprint(got.Interface()); g != want {
				t.Errorf("%s = %q, want %q", key, g, want)
			}
		}
	}

	t.Run("env", func(t *testing.T) {
		var env []string
		for k, v := range values {
			env = append(env, EnvName(k)+"="+v)
		}
		cfg, err := load(t, nil, env)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	t.Run("flags", func(t *testing.T) {
		var args []string
		for k, v := range values {
			args = append(args, "--"+FlagName(k)+"="+v)
		}
		cfg, err := load(t, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	t.Run("file", func(t *testing.T) {
		var b strings.Builder
		sections := map[string][]string{}
		for k, v := range values {
			if sec, leaf, ok := strings.Cut(k, "."); ok {
				sections[sec] = append(sections[sec], "  "+leaf+": "+quoteYAML(v))
			} else {
				b.WriteString(k + ": " + quoteYAML(v) + "\n")
			}
		}
		for sec, lines := range sections {
			b.WriteString(sec + ":\n" + strings.Join(lines, "\n") + "\n")
		}
		cfg, err := load(t, []string{"--config", writeFile(t, b.String())}, nil)
		if err != nil {
			t.Fatalf("%v\nfile:\n%s", err, b.String())
		}
		check(t, cfg)
	})
}

func quoteYAML(v string) string {
	switch v {
	case "true", "false":
		return v
	}
	if strings.Trim(v, "0123456789") == "" {
		return v
	}
	return `"` + v + `"`
}

func TestNames(t *testing.T) {
	tests := []struct {
		key, env, flag string
	}{
		{"issuer", "GATEHOUSE_ISSUER", "issuer"},
		{"bootstrap_admin_password", "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-admin-password"},
		{"tokens.access_token_lifetime", "GATEHOUSE_TOKENS_ACCESS_TOKEN_LIFETIME", "tokens.access-token-lifetime"},
		{"database.max_open_conns", "GATEHOUSE_DATABASE_MAX_OPEN_CONNS", "database.max-open-conns"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := EnvName(tt.key); got != tt.env {
				t.Errorf("EnvName(%q) = %q, want %q", tt.key, got, tt.env)
			}
			if got := FlagName(tt.key); got != tt.flag {
				t.Errorf("FlagName(%q) = %q, want %q", tt.key, got, tt.flag)
			}
		})
	}
}

func TestRegisterFlagsCoversEveryKey(t *testing.T) {
	fs := pflag.NewFlagSet("gatehouse", pflag.ContinueOnError)
	RegisterFlags(fs)
	if fs.Lookup("config") == nil {
		t.Error("no --config flag")
	}
	for _, key := range KeyNames() {
		fl := fs.Lookup(FlagName(key))
		if fl == nil {
			t.Errorf("no flag for key %q", key)
			continue
		}
		if !strings.Contains(fl.Usage, EnvName(key)) {
			t.Errorf("--%s usage %q does not mention %s", fl.Name, fl.Usage, EnvName(key))
		}
	}
}

// A string setting written unquoted in YAML must keep its exact text (or be
// refused): the YAML parser types 12345… as a number, and decoding it back
// into a string must not round it, drop leading zeros or convert bases —
// the same secret in GATEHOUSE_SECRET would then differ from the file's.
func TestLoadFileStringValuesVerbatim(t *testing.T) {
	tests := []struct {
		name, key, text string
	}{
		{name: "32-digit secret", key: "secret", text: "12345678901234567890123456789012"},
		{name: "password with leading zeros", key: "bootstrap_admin_password", text: "00123456789"},
		{name: "hex-looking password", key: "bootstrap_admin_password", text: "0x1F2E3D4C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "dev: true\n"+tt.key+": "+tt.text+"\n")
			cfg, err := load(t, []string{"--config", path}, nil)
			if err != nil {
				if !strings.Contains(err.Error(), tt.key) {
					t.Errorf("refused with %q, which does not name %q", err, tt.key)
				}
				return // refusing an unquoted value is acceptable
			}
			got := cfg.Secret
			if tt.key == "bootstrap_admin_password" {
				got = cfg.BootstrapAdminPassword
			}
			if got != tt.text {
				t.Errorf("%s: %s loaded as %q, want %q verbatim or an error", tt.key, tt.text, got, tt.text)
			}
		})
	}
}

// A section whose keys are all commented out (as in a documented example
// file) parses as null or {}; it names a known section and must load.
func TestLoadFileEmptySection(t *testing.T) {
	tests := []struct {
		name, file string
	}{
		{name: "null section", file: "dev: true\nhttp:\n  # shutdown_grace: 30s\n"},
		{name: "empty map section", file: "dev: true\ndatabase: {}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, []string{"--config", writeFile(t, tt.file)}, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.HTTP != Defaults().HTTP || cfg.Database != Defaults().Database {
				t.Errorf("empty section changed values: %+v", cfg)
			}
		})
	}
}
