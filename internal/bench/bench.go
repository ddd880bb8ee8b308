// Package bench is `make bench`: it builds Gatehouse, starts it as a
// separate process on SQLite and PostgreSQL, drives load at it from this
// process over loopback, and writes docs/benchmarks.md with the machine,
// the command and the figures. Scenarios: client credentials (and, as the
// yardstick, a ceiling server doing only HTTP + Basic check + ES256 sign),
// introspection, JWKS and discovery, the full authorization-code flow, and
// client credentials with 100,000 registered clients.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// historyHeading starts the part of docs/benchmarks.md that people write:
// figures of earlier runs, before and after a change.
const historyHeading = "## History"

// Config is one bench run.
type Config struct {
	Duration    time.Duration
	Conns       int
	FlowConns   int
	Out         string
	Backends    []string
	PostgresDSN string
	ManyClients int
	Profile     bool
}

// Main is the gatehouse-bench command.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "ceiling" {
		ln, err := net.Listen("tcp", args[1])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if err := ServeCeiling(ln); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	fs := flag.NewFlagSet("gatehouse-bench", flag.ContinueOnError)
	cfg := Config{}
	backends := fs.String("backends", "sqlite,postgres", "comma-separated: sqlite, postgres")
	fs.DurationVar(&cfg.Duration, "duration", 15*time.Second, "length of each load run")
	fs.IntVar(&cfg.Conns, "conns", 32, "concurrent connections")
	fs.IntVar(&cfg.FlowConns, "flow-conns", 8, "concurrent browsers in the authorization-code scenario")
	fs.StringVar(&cfg.Out, "out", "docs/benchmarks.md", "report file")
	fs.StringVar(&cfg.PostgresDSN, "postgres-dsn", os.Getenv("GATEHOUSE_TEST_POSTGRES_DSN"), "PostgreSQL server to create the bench database on")
	fs.IntVar(&cfg.ManyClients, "many-clients", 100_000, "registered clients in the scaling scenario (0: skip)")
	fs.BoolVar(&cfg.Profile, "profile", true, "take a CPU profile of the token endpoint (PostgreSQL run)")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.Backends = strings.Split(*backends, ",")
	if err := run(context.Background(), cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "gatehouse-bench:", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, cfg Config, out io.Writer) error {
	dir, err := os.MkdirTemp("", "gatehouse-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "gatehouse")
	fmt.Fprintln(out, "building gatehouse …")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/gatehouse")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = out, out
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	rep := &Report{Started: time.Now(), Config: cfg}

	ceiling, err := runCeiling(ctx, cfg, out)
	if err != nil {
		return err
	}
	rep.Ceiling = ceiling

	for _, b := range cfg.Backends {
		var dsn string
		switch b {
		case "sqlite":
			dsn = "sqlite://" + filepath.Join(dir, "bench.db")
		case "postgres":
			if cfg.PostgresDSN == "" {
				return errors.New("postgres: set --postgres-dsn or GATEHOUSE_TEST_POSTGRES_DSN (make bench does)")
			}
			var drop func()
			dsn, drop, err = freshPostgres(ctx, cfg.PostgresDSN)
			if err != nil {
				return err
			}
			defer drop()
		default:
			return fmt.Errorf("unknown backend %q", b)
		}
		br, err := runBackend(ctx, cfg, b, bin, dsn, dir, out)
		if err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
		rep.Backends = append(rep.Backends, br)
	}
	doc := rep.Markdown()
	// The hand-kept history of earlier runs survives a rewrite.
	if old, err := os.ReadFile(cfg.Out); err == nil {
		if i := strings.Index(string(old), historyHeading); i >= 0 {
			doc += "\n" + string(old[i:])
		}
	}
	if err := os.WriteFile(cfg.Out, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(out, "wrote", cfg.Out)
	return nil
}

func runCeiling(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	self, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	addr, err := freeAddr()
	if err != nil {
		return Result{}, err
	}
	cmd := exec.Command(self, "ceiling", addr)
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	if err := waitHTTP(base+"/oauth2/token", 10*time.Second, http.StatusMethodNotAllowed); err != nil {
		return Result{}, err
	}
	fmt.Fprintln(out, "ceiling: client credentials …")
	r := Run(ctx, "ceiling (HTTP + Basic + ES256 sign)", cfg.Conns, cfg.Duration,
		tokenStep(base, CeilingClientID, CeilingSecret))
	fmt.Fprintf(out, "  %.0f/s p99 %s errors %d\n", r.PerSecond(), r.P99, r.Errors)
	return r, nil
}

// tokenStep is one client-credentials request with client_secret_basic.
func tokenStep(base, id, secret string) Step {
	body := "grant_type=client_credentials"
	return func(ctx context.Context, c *http.Client) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		defer drain(resp)
		return resp.StatusCode == http.StatusOK
	}
}

func getStep(u string) Step {
	return func(ctx context.Context, c *http.Client) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		defer drain(resp)
		return resp.StatusCode == http.StatusOK
	}
}

// introspectStep introspects the tokens in turn; every one must be active.
func introspectStep(base, id, secret string, tokens []string) Step {
	bodies := make([]string, len(tokens))
	for i, t := range tokens {
		bodies[i] = url.Values{"token": {t}}.Encode()
	}
	var next atomic.Uint64
	return func(ctx context.Context, c *http.Client) bool {
		body := bodies[next.Add(1)%uint64(len(bodies))]
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth2/introspect", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var v struct{ Active bool }
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&v) == nil && v.Active
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(u string, d time.Duration, want int) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %d within %s", u, want, d)
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// gatehouse runs one CLI command of the built binary.
func gatehouse(bin string, env []string, stdin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("gatehouse %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// rssSampler records a process's peak resident set size, every 200 ms.
type rssSampler struct {
	pid  int
	max  atomic.Int64
	done chan struct{}
}

func newRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid, done: make(chan struct{})}
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			s.raise(rss(s.pid))
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// reset starts a new peak from the current size.
func (s *rssSampler) reset() { s.max.Store(rss(s.pid)) }

// peak is the largest size since reset, sampled once more now.
func (s *rssSampler) peak() int64 {
	s.raise(rss(s.pid))
	return s.max.Load()
}

func (s *rssSampler) raise(v int64) {
	for cur := s.max.Load(); v > cur && !s.max.CompareAndSwap(cur, v); cur = s.max.Load() {
	}
}

func (s *rssSampler) stop() { close(s.done) }

// rss reads a process's resident set size.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			var kb int64
			fmt.Sscan(f[1], &kb)
			return kb * 1024
		}
	}
	return 0
}

// stop sends SIGTERM and waits.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
	}
}
