package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/tracing"
)

func newServeCmd(env *Env) *cobra.Command {
	var migrate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, env)
			if err != nil {
				return err
			}
			log := newLogger(cfg, env.Stderr)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()

			st, err := openStore(ctx, cfg, log, false)
			if err != nil {
				return err
			}
			defer st.Close()
			if migrate || cfg.Dev {
				applied, err := st.MigrateUp(ctx)
				if err != nil {
					return err
				}
				if len(applied) > 0 {
					log.Info("schema migrated", "applied", applied)
				}
			}
			// Tracing first: app.New builds the engines on its provider.
			flushTraces, err := tracing.Setup(ctx, tracing.Config{
				Endpoint:    cfg.Tracing.OTLPEndpoint,
				SampleRatio: cfg.Tracing.SampleRatio,
				ServiceName: cfg.Tracing.ServiceName,
				Version:     Version,
				Log:         log,
			})
			if err != nil {
				return err
			}
			a, err := app.New(ctx, cfg, st, log)
			if err != nil {
				return err
			}
			if err := app.Bootstrap(ctx, a, cfg, env.Stderr); err != nil {
				return err
			}

			listeners := []struct {
				addr    string
				handler http.Handler
			}{{cfg.Addr, a.Handler}}
			if a.AdminHandler != nil {
				listeners = append(listeners, struct {
					addr    string
					handler http.Handler
				}{cfg.Admin.Addr, a.AdminHandler})
			}
			// Listen on every address before serving or reporting ready, so
			// a caller told "ready" finds all listeners open.
			var lns []net.Listener
			for _, l := range listeners {
				ln, err := net.Listen("tcp", l.addr)
				if err != nil {
					for _, open := range lns {
						open.Close()
					}
					return fmt.Errorf("listen on %s: %w", l.addr, err)
				}
				lns = append(lns, ln)
			}
			var servers []*http.Server
			errc := make(chan error, len(listeners))
			for i, l := range listeners {
				srv := &http.Server{
					Handler:           l.handler,
					ReadHeaderTimeout: 10 * time.Second,
					ReadTimeout:       cfg.HTTP.RequestTimeout,
					WriteTimeout:      cfg.HTTP.RequestTimeout + 5*time.Second,
					IdleTimeout:       2 * time.Minute,
				}
				servers = append(servers, srv)
				ln := lns[i]
				go func() { errc <- srv.Serve(ln) }()
				if i > 0 {
					log.Info("admin listener serving", "addr", ln.Addr().String())
				}
			}
			log.Info("gatehouse serving", "addr", lns[0].Addr().String(), "issuer", cfg.Issuer, "version", Version, "database", st.Dialect())
			if env.Ready != nil {
				env.Ready(lns[0].Addr().String())
			}
			jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
			defer stopJobs()
			go a.RunJobs(jobs)

			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			// Drain: readiness turns 503 so load balancers stop sending, and
			// responses carry Connection: close so clients leave their
			// keep-alive connections instead of racing the close. Then stop
			// accepting and let in-flight requests finish within the grace.
			stopJobs()
			log.Info("draining", "delay", cfg.HTTP.DrainDelay.String(), "grace", cfg.HTTP.ShutdownGrace.String())
			a.Drain()
			time.Sleep(cfg.HTTP.DrainDelay)
			sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownGrace)
			defer cancel()
			for _, srv := range servers {
				if err := srv.Shutdown(sctx); err != nil {
					return fmt.Errorf("shutdown: %w", err)
				}
			}
			for range servers {
				if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
					return err
				}
			}
			// The servers are done, so every span has ended: export what the
			// batcher still holds.
			fctx, cancelFlush := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancelFlush()
			if err := flushTraces(fctx); err != nil {
				log.Warn("tracing: flush on shutdown", "err", err)
			}
			log.Info("stopped")
			return nil
		},
	}
	cmd.Flags().BoolVar(&migrate, "migrate", false, "apply pending schema migrations before serving")
	return cmd
}
