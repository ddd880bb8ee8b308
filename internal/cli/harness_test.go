package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testlog"
)

// TestMain lets the test binary stand in for the gatehouse binary: tests
// that need a real process (signals, exit codes) re-execute it with
// GATEHOUSE_TEST_EXEC=1 and gatehouse's own arguments.
func TestMain(m *testing.M) {
	if os.Getenv("GATEHOUSE_TEST_EXEC") == "1" {
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const testSecret = "test-server-secret-0123456789abcdef-0123456789"

// baseEnv is the environment of a dev-mode Gatehouse on dsn.
func baseEnv(dsn string, extra ...string) []string {
	return append([]string{
		"GATEHOUSE_DEV=true",
		"GATEHOUSE_DSN=" + dsn,
		"GATEHOUSE_SECRET=" + testSecret,
		"GATEHOUSE_ISSUER=http://gatehouse.test",
		"GATEHOUSE_ADDR=127.0.0.1:0",
		"GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD=admin-password-for-tests",
	}, extra...)
}

// runCLI runs one command in-process and returns its output and exit code.
func runCLI(t *testing.T, environ []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Environ: environ})
	return out.String(), errb.String(), code
}

// server is `gatehouse serve` running in-process on a loopback port.
type server struct {
	URL  string
	Log  *testlog.Buffer
	stop context.CancelFunc
	done chan int
}

func startServer(t *testing.T, environ []string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{Log: &testlog.Buffer{}, stop: cancel, done: make(chan int, 1)}
	ready := make(chan string, 1)
	go func() {
		s.done <- RunEnv(ctx, []string{"serve"}, Env{
			Stdout: s.Log, Stderr: s.Log, Environ: environ,
			Ready: func(addr string) { ready <- addr },
		})
	}()
	select {
	case addr := <-ready:
		s.URL = "http://" + addr
	case code := <-s.done:
		cancel()
		t.Fatalf("serve exited with %d before listening:\n%s", code, s.Log.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("serve did not start:\n%s", s.Log.String())
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop shuts the server down as SIGTERM would and checks it exited 0.
func (s *server) Stop(t *testing.T) {
	t.Helper()
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, s.Log.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop")
	}
}

// postForm sends a form with optional Basic credentials and decodes JSON.
func postForm(t *testing.T, endpoint, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return do(t, req)
}

func getJSON(t *testing.T, endpoint string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, endpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s %s: status %d, body is not JSON: %q", req.Method, req.URL, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, m
}

// createAPIClient registers a client through the CLI and returns id and secret.
func createAPIClient(t *testing.T, environ []string, args ...string) (id, secret string) {
	t.Helper()
	out, errOut, code := runCLI(t, environ, append([]string{"clients", "create-api", "--output", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("clients create-api %v: exit %d: %s", args, code, errOut)
	}
	var v struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("create-api output %q: %v", out, err)
	}
	if v.ClientID == "" || v.ClientSecret == "" {
		t.Fatalf("create-api printed no id or secret: %s", out)
	}
	return v.ClientID, v.ClientSecret
}
