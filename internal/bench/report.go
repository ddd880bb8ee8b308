package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is a whole run, rendered into docs/benchmarks.md.
type Report struct {
	Started  time.Time
	Config   Config
	Ceiling  Result
	Backends []BackendResult
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %d GiB RAM", kb>>20)
	}
	return fmt.Sprintf("%s, %d cores%s, %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`go run ./cmd/gatehouse-bench`) on %s.\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Machine: %s.\n", machine())
	fmt.Fprintf(&b, "- Load: %d connections (%d browsers for the sign-in flow), %s per scenario, from a second process on loopback; Gatehouse runs as its own process (`gatehouse serve`, info-level JSON logs to a file).\n", r.Config.Conns, r.Config.FlowConns, r.Config.Duration)
	fmt.Fprintf(&b, "- Gatehouse and the load generator share the machine's cores, as in the figures quoted in issue 6.\n\n")
	ceiling := r.Ceiling.PerSecond()
	fmt.Fprintf(&b, "Ceiling (a bare Go server doing only HTTP + Basic check + ES256 sign): **%.0f/s**, p99 %s.\n\n", ceiling, r.Ceiling.P99.Round(time.Microsecond))
	for _, be := range r.Backends {
		fmt.Fprintf(&b, "## %s\n\n", be.Name)
		fmt.Fprintf(&b, "| scenario | per second | vs ceiling | p50 | p99 | errors | max RSS |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, res := range be.Results {
			ratio := ""
			if strings.HasPrefix(res.Name, "client_credentials") && ceiling > 0 {
				ratio = fmt.Sprintf("%.0f %%", 100*res.PerSecond()/ceiling)
			}
			rssCol := ""
			if res.MaxRSSBytes > 0 {
				rssCol = fmt.Sprintf("%d MiB", res.MaxRSSBytes>>20)
			}
			fmt.Fprintf(&b, "| %s | %.1f | %s | %s | %s | %d | %s |\n", res.Name, res.PerSecond(), ratio,
				res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond), res.Errors, rssCol)
		}
		if be.TokensCounted > 0 {
			fmt.Fprintf(&b, "\nStorage: %.0f bytes per issued client-credentials token (%d tokens issued, %d token rows written; growth of %s).\n",
				be.BytesPerToken, be.TokensCounted, be.RowsWritten,
				map[bool]string{true: "the token tables and their indexes, pg_total_relation_size", false: "the database file after a WAL checkpoint"}[be.Name == "postgres"])
		}
		if be.BytesPerRevocation > 0 {
			fmt.Fprintf(&b, "A revocation stores %.0f bytes until the token's expiry (%d tokens revoked; denylist growth, measured the same way).\n",
				be.BytesPerRevocation, revocations)
		}
		if be.SignIns > 0 {
			fmt.Fprintf(&b, "A sign-in stores %.0f bytes (%d sign-ins: tokens, code, PKCE and OIDC sessions, login session, consent, until cleanup)", be.BytesPerSignIn, be.SignIns)
			if be.Name == "postgres" {
				fmt.Fprintf(&b, ", of which the user's access-token row is %.0f", be.AccessBytesPerSignIn)
			}
			b.WriteString(".\n")
		}
		if be.Profile != "" {
			fmt.Fprintf(&b, "\nCPU profile of the server under client-credentials load (a separate run, so profiling does not skew the figures above):\n\n```\n%s\n```\n", be.Profile)
		}
		b.WriteString("\n")
	}
	return b.String()
}
