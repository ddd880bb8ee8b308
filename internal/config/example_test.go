package config

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestExampleFileDocumentsEveryKey keeps configs/gatehouse.yaml honest: it
// loads cleanly, names every key, and its values are the defaults.
func TestExampleFileDocumentsEveryKey(t *testing.T) {
	const path = "../../configs/gatehouse.yaml"
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range KeyNames() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(body), "\n"+leaf+":") && !strings.Contains(string(body), " "+leaf+":") {
			t.Errorf("configs/gatehouse.yaml does not document %s", key)
		}
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--config", path, "--dev"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(fs, nil)
	if err != nil {
		t.Fatalf("example file does not load: %v", err)
	}
	want := Defaults()
	want.Dev = true
	if *cfg != want {
		t.Errorf("example file values differ from the defaults:\n got %+v\nwant %+v", *cfg, want)
	}
}
