package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/admin/console"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/jobs"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/login"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/oauth"
	"github.com/gatehouse-dev/gatehouse/internal/reminders"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/tracing"
	"github.com/gatehouse-dev/gatehouse/web"
)

// App is a running Gatehouse minus its listener.
type App struct {
	Handler http.Handler
	Store   *sqlstore.Store
	Keys    *keys.Manager
	Hasher  *clientsecret.Hasher
	Log     *slog.Logger
	// AdminHandler serves /api, /console and /metrics when admin.addr is
	// set; nil means Handler serves them.
	AdminHandler http.Handler
	Metrics      *metrics.Metrics
	// Reminders is the secret-expiry job (RunJobs runs it).
	Reminders *reminders.Job

	jobs *jobs.Runner
	cfg  *config.Config

	draining atomic.Bool
}

// Drain makes readiness answer 503 from now on, ahead of shutdown.
func (a *App) Drain() { a.draining.Store(true) }

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }

// OpenStore connects to the configured database.
func OpenStore(cfg *config.Config, log *slog.Logger) (*sqlstore.Store, error) {
	st, err := sqlstore.Open(cfg.DSN, sqlstore.Options{
		MaxOpenConns:    cfg.Database.MaxOpenConns,
		MaxIdleConns:    cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime,
		QueryTimeout:    cfg.Database.QueryTimeout,
		ClientCacheTTL:  cfg.Database.ClientCacheTTL,
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	st.ClientDomain = cfg.ClientDomain()
	return st, nil
}

// NewKeyManager builds the key manager over st.
func NewKeyManager(cfg *config.Config, st *sqlstore.Store) (*keys.Manager, error) {
	sealer, err := keys.NewSealer([]byte(cfg.Secret))
	if err != nil {
		return nil, err
	}
	return &keys.Manager{
		Store:        st,
		Sealer:       sealer,
		PublishAhead: cfg.Keys.PublishAhead,
		// Everything a key signs expires within the longest access token
		// lifetime; a day of slack covers clock skew and ID tokens.
		Retention: config.MaxAccessTokenLifetime + 24*time.Hour,
		Refresh:   cfg.Keys.Refresh,
	}, nil
}

// New builds the application on an open, migrated store.
func New(ctx context.Context, cfg *config.Config, st *sqlstore.Store, log *slog.Logger) (*App, error) {
	if err := st.CheckSchema(ctx); err != nil {
		return nil, err
	}
	hasher, err := clientsecret.NewHasher([]byte(cfg.Secret))
	if err != nil {
		return nil, err
	}
	km, err := NewKeyManager(cfg, st)
	if err != nil {
		return nil, err
	}
	if err := km.Ensure(ctx, keys.RS256, keys.ES256); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	hmacSecret, err := deriveHMACSecret([]byte(cfg.Secret))
	if err != nil {
		return nil, err
	}
	issuer := cfg.IssuerURL().String()
	provider, err := oauth.New(st, km, oauth.Options{
		Issuer:               issuer,
		AccessTokenLifetime:  cfg.Tokens.AccessTokenLifetime,
		AccessTokenAlgorithm: cfg.Tokens.AccessTokenAlgorithm,
		HMACSecret:           hmacSecret,
		RefreshTokenLifetime: cfg.Tokens.RefreshTokenLifetime,
		IDTokenLifetime:      cfg.Tokens.IDTokenLifetime,
		SecretHasher:         hasher,
		Logger:               log,
	})
	if err != nil {
		return nil, err
	}

	sqlDB, err := st.DB().DB()
	if err != nil {
		return nil, err
	}
	m := metrics.New(sqlDB)
	provider.Metrics = m

	gin.SetMode(gin.ReleaseMode)
	a := &App{Store: st, Keys: km, Hasher: hasher, Log: log, Metrics: m}
	engine := a.newEngine(cfg, log, m)
	// admin.addr moves the management API, the console and /metrics to a
	// listener of their own that need not be exposed publicly (SPEC §1).
	adminEngine := engine
	if cfg.Admin.Addr != "" {
		adminEngine = a.newEngine(cfg, log, m)
		a.AdminHandler = adminEngine
	}
	health{db: st, draining: &a.draining}.Register(engine)
	provider.Register(engine)
	// One clock for every rule about time: the store's (tests move it).
	now := func() time.Time { return st.Now() }
	clientSvc := &clients.Service{Store: st, Hasher: hasher, Now: now}
	ids := &identity.Service{Store: st, ClientDomain: cfg.ClientDomain()}
	api := &admin.API{
		Now:      now,
		Clients:  clientSvc,
		Identity: ids,
		Store:    st,
		Auth: &admin.Authenticator{
			Clients: st, Hasher: hasher, Tokens: provider, ClientDomain: cfg.ClientDomain(),
			Users: userScopes{st, ids},
		},
		Log: log,
	}
	api.Register(adminEngine)
	adminEngine.GET("/metrics", gin.WrapH(m.Handler()))
	if cfg.Debug.Pprof {
		adminEngine.Any("/debug/pprof/*profile", gin.WrapF(func(w http.ResponseWriter, r *http.Request) {
			switch strings.TrimPrefix(r.URL.Path, "/debug/pprof/") {
			case "profile":
				pprof.Profile(w, r)
			case "trace":
				pprof.Trace(w, r)
			case "symbol":
				pprof.Symbol(w, r)
			case "cmdline":
				pprof.Cmdline(w, r)
			default:
				pprof.Index(w, r)
			}
		}))
	}

	job := &reminders.Job{Store: st, Log: log, Issuer: issuer}
	if cfg.SMTP.URL != "" {
		mailer, err := reminders.NewSMTPMailer(cfg.SMTP.URL, cfg.MailFrom())
		if err != nil {
			return nil, err
		}
		job.Mailer = mailer
	}
	a.Reminders = job
	a.jobs = &jobs.Runner{Leases: st, Log: log, Metrics: m, Holder: jobs.NewHolder()}
	a.cfg = cfg
	tmpl, err := web.Templates()
	if err != nil {
		return nil, err
	}
	pg := &pages{tmpl: tmpl, brand: web.Brand{
		ProductName: cfg.UI.ProductName, LogoURL: cfg.UI.LogoURL, AccentColor: cfg.UI.AccentColor,
	}}
	for _, e := range distinct(engine, adminEngine) {
		e.StaticFS("/static", http.FS(web.Static()))
		e.NoRoute(pg.notFound)
		e.NoMethod(func(c *gin.Context) {
			c.Header("Cache-Control", "no-store")
			c.Header("Pragma", "no-cache")
			c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method_not_allowed", "message": "method not allowed on this route", "details": gin.H{}})
		})
	}
	signIn := &login.Pages{
		Store: st, Flow: provider, Templates: tmpl, Brand: pg.brand,
		Secure:          cfg.IssuerURL().Scheme == "https",
		SessionLifetime: cfg.Tokens.SessionLifetime,
		Log:             log,
		Metrics:         m,
	}
	provider.SignIn, provider.Logout = signIn, signIn
	signIn.Register(engine)
	cons, err := console.New(ctx, console.Options{Issuer: issuer, AdminAddr: cfg.Admin.Addr, Clients: clientSvc,
		Identity: api.Identity, Store: st, Templates: tmpl, Brand: pg.brand, SessionLifetime: cfg.Tokens.SessionLifetime, Log: log})
	if err != nil {
		return nil, err
	}
	cons.Register(adminEngine)
	api.Auth.Sessions = cons // the console's cookie authenticates at /api too (SPEC §5)

	a.Handler = engine
	return a, nil
}

// newEngine is a gin engine with the middleware every listener shares.
func (a *App) newEngine(cfg *config.Config, log *slog.Logger, m *metrics.Metrics) *gin.Engine {
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	if cfg.Tracing.OTLPEndpoint != "" {
		// First, so the span covers every other middleware and the
		// request context carries it into fosite (tracing.Setup ran).
		engine.Use(tracing.Middleware(cfg.IssuerURL().Host))
	}
	engine.Use(
		requestLog(log),
		m.Middleware(),
		closeWhileDraining(&a.draining),
		recoverPanic(log),
		limitBody(maxBodyBytes),
		requestTimeout(cfg.HTTP.RequestTimeout),
	)
	return engine
}

func distinct(a, b *gin.Engine) []*gin.Engine {
	if a == b {
		return []*gin.Engine{a}
	}
	return []*gin.Engine{a, b}
}

// RunJobs runs the background work until ctx ends: the client-cache change
// listener, and the jobs — secret expiry reminders, cleanup of expired rows
// and automatic key rotation — each once per period across replicas.
func (a *App) RunJobs(ctx context.Context) {
	// The client cache serves on PostgreSQL only while this listener hears
	// the other replicas' changes.
	go a.Store.ListenForChanges(ctx)
	go a.jobs.Every(ctx, "cleanup", a.cfg.Jobs.CleanupInterval, jobs.Cleanup(a.Store, a.cfg.Jobs.CleanupRetention))
	if period := a.cfg.Keys.RotationPeriod; period > 0 {
		go a.jobs.Every(ctx, "key-rotation", min(period/10, time.Hour), func(ctx context.Context) (int, error) {
			return a.Keys.RotateDue(ctx, period, keys.ES256, keys.RS256)
		})
	}
	a.jobs.Every(ctx, "reminders", a.cfg.Jobs.ReminderInterval, a.Reminders.RunOnce)
}

var errNoSecret = errors.New("server secret missing")

// userScopes is where the management API finds a Bearer token's user and
// the scopes that user holds now.
type userScopes struct {
	*sqlstore.Store
	*identity.Service
}

func (u userScopes) FindUser(ctx context.Context, id string) (*store.User, error) {
	return u.Store.FindUser(ctx, id)
}
