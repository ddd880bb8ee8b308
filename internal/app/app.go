package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/login"
	"github.com/gatehouse-dev/gatehouse/internal/oauth"
	"github.com/gatehouse-dev/gatehouse/internal/reminders"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/web"
)

// App is a running Gatehouse minus its listener.
type App struct {
	Handler http.Handler
	Store   *sqlstore.Store
	Keys    *keys.Manager
	Hasher  *clientsecret.Hasher
	Log     *slog.Logger
	// Reminders is the secret-expiry job; serve runs it in the background.
	Reminders *reminders.Job

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

	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	a := &App{Store: st, Keys: km, Hasher: hasher, Log: log}
	engine.Use(
		requestLog(log),
		closeWhileDraining(&a.draining),
		recoverPanic(log),
		limitBody(maxBodyBytes),
		requestTimeout(cfg.HTTP.RequestTimeout),
	)
	health{db: st, draining: &a.draining}.Register(engine)
	provider.Register(engine)
	clientSvc := &clients.Service{Store: st, Hasher: hasher}
	api := &admin.API{
		Clients:  clientSvc,
		Identity: &identity.Service{Store: st, ClientDomain: cfg.ClientDomain()},
		Store:    st,
		Auth: &admin.Authenticator{
			Clients: st, Hasher: hasher, Tokens: provider, ClientDomain: cfg.ClientDomain(),
		},
		Log: log,
	}
	api.Register(engine)

	job := &reminders.Job{Store: st, Log: log, Issuer: issuer}
	if cfg.SMTP.URL != "" {
		mailer, err := reminders.NewSMTPMailer(cfg.SMTP.URL, cfg.MailFrom())
		if err != nil {
			return nil, err
		}
		job.Mailer = mailer
	}
	a.Reminders = job
	tmpl, err := web.Templates()
	if err != nil {
		return nil, err
	}
	pg := &pages{tmpl: tmpl, brand: web.Brand{
		ProductName: cfg.UI.ProductName, LogoURL: cfg.UI.LogoURL, AccentColor: cfg.UI.AccentColor,
	}}
	engine.StaticFS("/static", http.FS(web.Static()))
	signIn := &login.Pages{
		Store: st, Flow: provider, Templates: tmpl, Brand: pg.brand,
		Secure:          cfg.IssuerURL().Scheme == "https",
		SessionLifetime: cfg.Tokens.SessionLifetime,
		Log:             log,
	}
	provider.SignIn, provider.Logout = signIn, signIn
	signIn.Register(engine)
	engine.NoRoute(pg.notFound)
	engine.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method_not_allowed", "message": "method not allowed on this route", "details": gin.H{}})
	})

	a.Handler = engine
	return a, nil
}

var errNoSecret = errors.New("server secret missing")
