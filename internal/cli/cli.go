package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
)

// Version is set at build time with -ldflags "-X …/cli.Version=…".
var Version = "dev"

// Env is what a command run sees of its surroundings; tests supply their own.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin feeds --password-stdin; nil reads as empty.
	Stdin   io.Reader
	Environ []string
	// Ready, when set, receives the address serve listens on.
	Ready func(addr string)
}

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Environ: os.Environ()})
}

// RunEnv is Run with an explicit environment.
func RunEnv(ctx context.Context, args []string, env Env) int {
	root := newRoot(&env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(env.Stderr, "gatehouse:", err)
		return 1
	}
	return 0
}

func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "An OAuth 2.0 / OpenID Connect server with client management built in",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	config.RegisterFlags(root.PersistentFlags())
	root.AddCommand(
		newServeCmd(env),
		newMigrateCmd(env),
		newVersionCmd(env),
		newClientsCmd(env),
		newKeysCmd(env),
		newUsersCmd(env),
		newRolesCmd(env),
	)
	return root
}

// loadConfig reads the configuration for cmd. With --dev and no secret, a
// random one is kept in a file beside the database so restarts can still
// open the sealed keys.
func loadConfig(cmd *cobra.Command, env *Env) (*config.Config, error) {
	cfg, err := config.Load(cmd.Flags(), env.Environ)
	if err != nil {
		return nil, err
	}
	if cfg.Dev && cfg.Secret == "" {
		secret, err := devSecret(cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("dev secret: %w", err)
		}
		cfg.Secret = secret
	}
	return cfg, nil
}

func devSecret(dsn string) (string, error) {
	path := "gatehouse-dev.secret"
	if p, ok := strings.CutPrefix(dsn, "sqlite://"); ok && !strings.Contains(p, ":memory:") {
		p, _, _ = strings.Cut(p, "?")
		path = p + ".secret"
	}
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= config.MinSecretLength {
		return strings.TrimSpace(string(b)), nil
	}
	secret, err := clientsecret.Generate()
	if err != nil {
		return "", err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.LogFormat() == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(app.ContextHandler{Handler: h})
}

// openStore connects and, for host-side commands, insists on a current schema.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, checkSchema bool) (*sqlstore.Store, error) {
	st, err := app.OpenStore(cfg, log)
	if err != nil {
		return nil, err
	}
	if checkSchema {
		if err := st.CheckSchema(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

// output is the --output flag shared by commands that print data.
type output struct{ format string }

func (o *output) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "output format: text or json")
}

func (o *output) validate() error {
	if o.format != "text" && o.format != "json" {
		return errors.New("--output must be text or json")
	}
	return nil
}

func (o *output) json() bool { return o.format == "json" }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
