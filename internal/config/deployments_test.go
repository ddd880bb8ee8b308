package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDeploymentFiles checks every YAML file under deployments/ parses and
// names only GATEHOUSE_ variables that exist.
func TestDeploymentFiles(t *testing.T) {
	known := map[string]bool{EnvPrefix + "CONFIG": true}
	for _, k := range KeyNames() {
		known[EnvName(k)] = true
	}
	files, _ := filepath.Glob("../../deployments/*.yaml")
	more, _ := filepath.Glob("../../deployments/*/*.yaml")
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	envRe := regexp.MustCompile(`GATEHOUSE_[A-Z0-9_]+`)
	for _, f := range append(files, "../../deployments/Dockerfile") {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(f) == ".yaml" {
			dec := yaml.NewDecoder(bytes.NewReader(body))
			for n := 0; ; n++ {
				var doc map[string]any
				err := dec.Decode(&doc)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Errorf("%s document %d: %v", f, n, err)
					break
				}
				if filepath.Base(filepath.Dir(f)) == "kubernetes" && (doc["apiVersion"] == nil || doc["kind"] == nil) {
					t.Errorf("%s document %d: no apiVersion/kind", f, n)
				}
			}
		}
		for _, name := range envRe.FindAllString(string(body), -1) {
			if !known[name] {
				t.Errorf("%s: %s is not a configuration variable", f, name)
			}
		}
	}
}
