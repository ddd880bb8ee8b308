package sqltest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a PostgreSQL server of the test's own: its data directory in
// t's temp dir, a free loopback port, stopped when t ends. Fault tests stop
// and start it while Gatehouse runs; the shared server named by
// GATEHOUSE_TEST_POSTGRES_DSN is never touched.
type Server struct {
	t      testing.TB
	bindir string
	dir    string   // socket directory, log file and data/ live here
	runas  []string // "runuser -u postgres --" when running as root
	port   int
	up     bool
}

// StartServer runs initdb and starts the server. Without PostgreSQL server
// binaries (/usr/lib/postgresql/*/bin) it skips, or fails when
// GATEHOUSE_REQUIRE_POSTGRES=1.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bindir := serverBinDir()
	if bindir == "" {
		if os.Getenv("GATEHOUSE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin but GATEHOUSE_REQUIRE_POSTGRES=1 (apt-get install postgresql)")
		}
		t.Skip("no PostgreSQL server binaries (initdb): skipping a test that runs its own server")
	}
	s := &Server{t: t, bindir: bindir, dir: t.TempDir()}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: hand the directory to user
		// postgres, as .ci/with-postgres does. t.TempDir's parent is 0700,
		// so postgres also needs to be let through it.
		if _, err := user.Lookup("postgres"); err != nil {
			if out, err := exec.Command("useradd", "-r", "postgres").CombinedOutput(); err != nil {
				t.Fatalf("useradd postgres: %v: %s", err, out)
			}
		}
		if err := os.Chmod(filepath.Dir(s.dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("chown", "postgres:postgres", s.dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v: %s", s.dir, err, out)
		}
		s.runas = []string{"runuser", "-u", "postgres", "--"}
	}
	s.run(60*time.Second, filepath.Join(bindir, "initdb"), "-D", s.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	s.port = freePort(t)
	t.Cleanup(func() {
		if s.up {
			// Immediate: the test is over, nothing needs a clean shutdown.
			_ = s.command(filepath.Join(s.bindir, "pg_ctl"), "-D", s.dataDir(), "-m", "immediate", "-w", "stop").Run()
			s.up = false
		}
	})
	s.Start()
	return s
}

// DSN names the server's postgres database.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Port is the loopback port the server listens on (the same across restarts).
func (s *Server) Port() int { return s.port }

// Start starts the server and returns once it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", s.port, s.dir)
	s.run(90*time.Second, filepath.Join(s.bindir, "pg_ctl"), "-D", s.dataDir(), "-l", filepath.Join(s.dir, "server.log"),
		"-w", "-t", "60", "-o", opts, "start")
	s.up = true
}

// Stop shuts the server down (pg_ctl -m fast: open sessions are ended, their
// transactions rolled back) and returns once it is gone.
func (s *Server) Stop() {
	s.t.Helper()
	s.run(90*time.Second, filepath.Join(s.bindir, "pg_ctl"), "-D", s.dataDir(), "-m", "fast", "-w", "-t", "60", "stop")
	s.up = false
}

// Log is the server's log so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(b)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

func (s *Server) command(name string, args ...string) *exec.Cmd {
	argv := append(append(slices.Clone(s.runas), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.dir
	// The postmaster pg_ctl leaves behind must not hold our pipes open.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (s *Server) run(timeout time.Duration, name string, args ...string) {
	s.t.Helper()
	cmd := s.command(name, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Fatalf("%s %s: %v\n%s\nserver log:\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String(), s.Log())
		}
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		s.t.Fatalf("%s %s: no answer in %s\n%s", filepath.Base(name), strings.Join(args, " "), timeout, out.String())
	}
}

// serverBinDir is the newest /usr/lib/postgresql/N/bin holding initdb, or
// the directory of an initdb on PATH.
func serverBinDir() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	version := regexp.MustCompile(`/postgresql/(\d+)`)
	best, bestV := "", -1
	for _, m := range matches {
		if v := version.FindStringSubmatch(m); v != nil {
			if n, _ := strconv.Atoi(v[1]); n > bestV {
				best, bestV = filepath.Dir(m), n
			}
		}
	}
	if best != "" {
		return best
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
