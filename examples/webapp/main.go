// Command webapp is a small relying party that signs users in with Gatehouse
// (OpenID Connect authorization code flow with PKCE), shows the claims of
// their ID token, and signs them out again (RP-Initiated Logout). See
// README.md for how to register it against `make run`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

// run parses flags (defaults from the environment), then serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var addr string
	fs.StringVar(&cfg.Issuer, "issuer", env("WEBAPP_ISSUER", "http://localhost:8080"), "Gatehouse issuer URL (env WEBAPP_ISSUER)")
	fs.StringVar(&cfg.ClientID, "client-id", env("WEBAPP_CLIENT_ID", ""), "client_id of the Web App client (env WEBAPP_CLIENT_ID)")
	fs.StringVar(&cfg.ClientSecret, "client-secret", env("WEBAPP_CLIENT_SECRET", ""), "client secret; empty for a public client (env WEBAPP_CLIENT_SECRET)")
	fs.StringVar(&addr, "addr", env("WEBAPP_ADDR", "127.0.0.1:3000"), "listen address (env WEBAPP_ADDR)")
	fs.StringVar(&cfg.URL, "url", env("WEBAPP_URL", ""), "this app's URL as the browser sees it (default http://ADDR; env WEBAPP_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.URL == "" {
		cfg.URL = "http://" + addr
	}
	h, err := newApp(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("webapp: open %s/ (issuer %s, client %s)", cfg.URL, cfg.Issuer, cfg.ClientID)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
