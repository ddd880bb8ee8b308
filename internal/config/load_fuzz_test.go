package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadFile feeds arbitrary file content to Load: it must never panic,
// and whatever it accepts must be a configuration that validates.
// Seeds: testdata/fuzz/FuzzLoadFile.
func FuzzLoadFile(f *testing.F) {
	f.Add([]byte("dev: true\n"))
	f.Add([]byte("issuer: https://id.example.com\nsecret: 0123456789abcdef0123456789abcdef\n"))
	f.Add([]byte("dev: true\ntokens:\n  access_token_lifetime: 259201s\n"))
	f.Add([]byte("dev: true\nunknown: 1\n"))
	f.Add([]byte("dev: true\ndatabase: {}\n"))
	f.Add([]byte("dev: true\nlog: ~\n"))
	f.Add([]byte("dev: true\ntokens.access_token_lifetime: 2h\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(nil, []string{"GATEHOUSE_CONFIG=" + path})
		if err != nil {
			if cfg != nil {
				t.Fatalf("Load returned a config alongside error %v", err)
			}
			if err.Error() == "" {
				t.Fatal("Load returned an error with no text")
			}
			return
		}
		if cfg == nil {
			t.Fatal("Load returned neither config nor error")
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Load accepted %q but the result does not validate: %v", content, err)
		}
		if cfg.IssuerURL() == nil {
			t.Fatalf("Load accepted issuer %q that IssuerURL cannot parse", cfg.Issuer)
		}
		if f := cfg.LogFormat(); f != "json" && f != "text" {
			t.Fatalf("LogFormat() = %q", f)
		}
	})
}
