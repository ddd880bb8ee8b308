// Package browsertest starts the real headless Chromium that the browser
// tests drive (Debian's chromium, through chromedp). Only tests import it.
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// New starts Chromium with a fresh profile and a window of width×height and
// returns its first tab, bounded by timeout. Without a browser the test
// skips — unless GATEHOUSE_REQUIRE_BROWSER=1 (set by .ci/run), where it fails.
func New(t *testing.T, timeout time.Duration, width, height int) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("GATEHOUSE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s missing but GATEHOUSE_REQUIRE_BROWSER=1: install the Debian package chromium", ChromiumPath)
		}
		t.Skipf("%s missing (apt-get install chromium); skipping the browser test", ChromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	// The background-networking flags matter here: this machine's closed
	// network refuses Chromium's own connections, many at a time.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	// Start the browser on the long-lived context: a timeout on the first
	// Run would take the whole browser down with it.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start %s: %v", ChromiumPath, err)
	}
	return tab
}
