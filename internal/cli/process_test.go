package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-dev/gatehouse/internal/testlog"
)

// startProcess runs `gatehouse serve` as a real child process (this test
// binary, see TestMain) and returns its base URL once it listens.
func startProcess(t *testing.T, environ []string) (*exec.Cmd, string, *testlog.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(append(os.Environ(), "GATEHOUSE_TEST_EXEC=1", "GATEHOUSE_LOG_FORMAT=json"), environ...)
	logs := &testlog.Buffer{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	addrRe := regexp.MustCompile(`"msg":"gatehouse serving","addr":"([^"]+)"`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logs.Write([]byte(line + "\n"))
			if m := addrRe.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return cmd, "http://" + addr, logs
	case <-time.After(60 * time.Second):
		t.Fatalf("process did not start:\n%s", logs.String())
	}
	return nil, "", nil
}

// TestSIGTERMDrains keeps a steady stream of token requests going, sends
// SIGTERM, and checks that every request that reached the server got a
// complete response and that the process exited 0.
func TestSIGTERMDrains(t *testing.T) {
	env := baseEnv(sqltest.SQLiteDSN(t), "GATEHOUSE_HTTP_SHUTDOWN_GRACE=20s", "GATEHOUSE_HTTP_DRAIN_DELAY=500ms")
	runCLI(t, env, "migrate", "up")
	id, secret := createAPIClient(t, env, "--name", "load", "--scopes", "a")
	cmd, base, logs := startProcess(t, env)

	var ok, refused atomic.Int64
	var mu sync.Mutex
	var failures []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	transport := &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 8}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token",
					strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(id, secret)
				resp, err := client.Do(req)
				if err != nil {
					if isRefused(err) {
						refused.Add(1)
						continue
					}
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					mu.Lock()
					failures = append(failures, "truncated body: "+err.Error())
					mu.Unlock()
				case resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "access_token"):
					mu.Lock()
					failures = append(failures, fmt.Sprintf("status %d: %s", resp.StatusCode, body))
					mu.Unlock()
				default:
					ok.Add(1)
				}
			}
		}()
	}
	// Let the stream run, then signal while requests are in flight.
	deadline := time.Now().Add(20 * time.Second)
	for ok.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	before := ok.Load()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// A load balancer stops routing here; requests already on their way
	// must all complete.
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Errorf("process exited with %v, want 0:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
	if before < 200 {
		t.Fatalf("only %d requests before SIGTERM", before)
	}
	for _, f := range failures {
		t.Errorf("request failed instead of completing or being refused: %s", f)
	}
	if len(failures) > 0 {
		t.Logf("server log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", logs.String())
	}
	t.Logf("%d tokens issued, %d connections refused after shutdown", ok.Load(), refused.Load())
}

// isRefused is a request that never reached the server (the listener was closed).
func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
