package clients

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/audit"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Limits from SPEC §4.
const (
	MaxNameLength           = 200
	MaxDescriptionLength    = 1000
	MinAccessTokenLifetime  = 60
	MaxAccessTokenLifetime  = 259200
	DefaultSecretValidity   = 90 // days
	MaxSecretValidityMonths = 24
	MaxGracePeriod          = 7 * 24 * time.Hour
	DateLayout              = "2006-01-02"
)

// DefaultWebScopes are a new Web App client's scopes unless given.
var DefaultWebScopes = []string{"openid", "profile", "email", "offline_access"}

// ValidationError names every field that broke a rule.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid client: " + strings.Join(parts, "; ")
}

type fieldErrors map[string]string

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}

// Store is what the service needs.
type Store interface {
	store.Clients
	store.Audit
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Service registers and changes clients; every change is validated here
// and audited in its transaction.
type Service struct {
	Store  Store
	Hasher *clientsecret.Hasher
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Patch holds the fields a caller sets; nil means "not sent". The same type
// serves creation (unset fields take defaults) and PATCH (unset fields stay).
type Patch struct {
	ClientID            *string
	ClientSecret        *string
	Name                *string
	Description         *string
	Scopes              *[]string
	PublicBaseURI       *string
	SecretExpiresOn     *string
	AccessTokenLifetime *int
	Enabled             *bool

	// Web App clients only.
	Public                 *bool
	RequireConsent         *bool
	RedirectURIs           *[]string
	AllowedCORSOrigins     *[]string
	PostLogoutRedirectURIs *[]string
}

// Fields lists the wire names of the fields the patch sets.
func (p *Patch) Fields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(p.ClientID != nil, "client_id")
	add(p.ClientSecret != nil, "client_secret")
	add(p.Name != nil, "name")
	add(p.Description != nil, "description")
	add(p.Scopes != nil, "scopes")
	add(p.PublicBaseURI != nil, "public_base_uri")
	add(p.SecretExpiresOn != nil, "secret_expires_on")
	add(p.AccessTokenLifetime != nil, "access_token_lifetime")
	add(p.Enabled != nil, "enabled")
	add(p.Public != nil, "public")
	add(p.RequireConsent != nil, "require_consent")
	add(p.RedirectURIs != nil, "redirect_uris")
	add(p.AllowedCORSOrigins != nil, "allowed_cors_origins")
	add(p.PostLogoutRedirectURIs != nil, "post_logout_redirect_uris")
	return out
}

// Created is a new client and, when the server generated it, its secret —
// the only time the secret is ever available.
type Created struct {
	Client *store.Client
	Secret string
}

// Create registers a client of type typ (store.ClientTypeAPI or ClientTypeWeb).
func (s *Service) Create(ctx context.Context, typ string, p Patch) (*Created, error) {
	now := s.now()
	c := &store.Client{Type: typ, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if typ == store.ClientTypeWeb {
		c.Public, c.RequireConsent = true, true
		c.Scopes = append([]string{}, DefaultWebScopes...)
		c.RedirectURIs, c.AllowedCORSOrigins, c.PostLogoutRedirectURIs = []string{}, []string{}, []string{}
	}
	bad := fieldErrors{}
	if p.ClientID != nil {
		if msg := checkID(*p.ClientID); msg != "" {
			bad["client_id"] = msg
		}
		c.ID = *p.ClientID
	} else {
		c.ID = NewID()
	}
	if p.Name == nil {
		bad["name"] = "is required"
	}
	if typ == store.ClientTypeWeb && p.Public != nil {
		c.Public = *p.Public
	}
	s.apply(c, p, bad, now, true)

	var secret string
	generated := false
	if c.Type == store.ClientTypeAPI || !c.Public {
		if p.ClientSecret == nil {
			var err error
			if secret, err = clientsecret.Generate(); err != nil {
				return nil, err
			}
			generated = true
			c.SecretHash = s.Hasher.HashString(secret)
		}
		if p.SecretExpiresOn == nil {
			c.SecretExpiresAt, _ = SecretExpiry("", now)
		}
		c.SecretCreatedAt = now
	} else {
		if p.ClientSecret != nil {
			bad["client_secret"] = "a public client has no secret"
		}
		if p.SecretExpiresOn != nil {
			bad["secret_expires_on"] = "a public client has no secret"
		}
		c.SecretExpiresAt = time.Time{}
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateClient(ctx, c); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "client.create", "client", c.ID, p.Fields())
	})
	if err != nil {
		return nil, err
	}
	out := &Created{Client: c}
	if generated {
		out.Secret = secret
	}
	return out, nil
}

// Update changes only the fields p sets. The id, the type and whether a Web
// App client is public cannot change.
func (s *Service) Update(ctx context.Context, typ, id string, p Patch) error {
	bad := fieldErrors{}
	if p.ClientID != nil {
		bad["client_id"] = "is read-only"
	}
	if p.Public != nil {
		bad["public"] = "cannot change after creation; create a new client instead"
	}
	if err := bad.err(); err != nil {
		return err
	}
	now := s.now()
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Store.UpdateClient(ctx, id, func(c *store.Client) error {
			if c.Type != typ {
				return fmt.Errorf("client %q: %w", id, store.ErrNotFound)
			}
			if p.ClientSecret != nil || p.SecretExpiresOn != nil {
				if c.Type == store.ClientTypeWeb && c.Public {
					bad["client_secret"] = "a public client has no secret"
				}
			}
			s.apply(c, p, bad, now, false)
			return bad.err()
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "client.update", "client", id, p.Fields())
	})
}

// Check reports the rule problems of the fields p sets without changing
// anything, so a caller that already found other problems in a request can
// name them all at once.
func (s *Service) Check(typ string, p Patch, creating bool) map[string]string {
	bad := fieldErrors{}
	c := &store.Client{Type: typ, Public: typ == store.ClientTypeWeb}
	if p.ClientID != nil {
		if creating {
			if msg := checkID(*p.ClientID); msg != "" {
				bad["client_id"] = msg
			}
		} else {
			bad["client_id"] = "is read-only"
		}
	}
	if creating && p.Name == nil {
		bad["name"] = "is required"
	}
	if p.Public != nil && creating && typ == store.ClientTypeWeb {
		c.Public = *p.Public
	}
	s.apply(c, p, bad, s.now(), creating)
	return bad
}

// apply sets and checks every field p carries (except id and public).
func (s *Service) apply(c *store.Client, p Patch, bad fieldErrors, now time.Time, creating bool) {
	isWeb := c.Type == store.ClientTypeWeb
	webOnly := func(set bool, name string) bool {
		if set && !isWeb {
			bad[name] = "not a field of API clients"
			return false
		}
		return set
	}
	if p.Name != nil {
		c.Name = *p.Name
		checkName(bad, c.Name)
	}
	if p.Description != nil {
		c.Description = *p.Description
		checkDescription(bad, c.Description)
	}
	if p.Scopes != nil {
		c.Scopes = checkScopes(bad, *p.Scopes)
	}
	if p.PublicBaseURI != nil {
		c.PublicBaseURI = *p.PublicBaseURI
		if c.PublicBaseURI != "" {
			if u, err := url.Parse(c.PublicBaseURI); err != nil || !u.IsAbs() || u.Host == "" {
				bad["public_base_uri"] = "must be an absolute URI"
			}
		}
	}
	if p.AccessTokenLifetime != nil {
		c.AccessTokenLifetime = checkLifetime(bad, *p.AccessTokenLifetime)
	}
	if p.Enabled != nil {
		c.Enabled = *p.Enabled
	}
	if p.ClientSecret != nil {
		if utf8.RuneCountInString(*p.ClientSecret) < clientsecret.MinSuppliedLength {
			bad["client_secret"] = fmt.Sprintf("must be at least %d characters", clientsecret.MinSuppliedLength)
		} else {
			c.SecretHash = s.Hasher.HashString(*p.ClientSecret)
			c.SecretCreatedAt = now
			if !creating && p.SecretExpiresOn == nil {
				c.SecretExpiresAt, _ = SecretExpiry("", now)
			}
		}
	}
	if p.SecretExpiresOn != nil {
		if exp, err := SecretExpiry(*p.SecretExpiresOn, now); err != nil {
			bad["secret_expires_on"] = err.Error()
		} else {
			c.SecretExpiresAt = exp
		}
	}
	if webOnly(p.RequireConsent != nil, "require_consent") {
		c.RequireConsent = *p.RequireConsent
	}
	if webOnly(p.RedirectURIs != nil, "redirect_uris") {
		c.RedirectURIs = checkRedirectURIs(bad, "redirect_uris", *p.RedirectURIs)
	}
	if webOnly(p.AllowedCORSOrigins != nil, "allowed_cors_origins") {
		c.AllowedCORSOrigins = checkOrigins(bad, *p.AllowedCORSOrigins)
	}
	if webOnly(p.PostLogoutRedirectURIs != nil, "post_logout_redirect_uris") {
		c.PostLogoutRedirectURIs = checkRedirectURIs(bad, "post_logout_redirect_uris", *p.PostLogoutRedirectURIs)
	}
	webOnly(p.Public != nil, "public")
	// Only a new list can be empty: a stored client always has one URI.
	if isWeb && (creating || p.RedirectURIs != nil) && len(c.RedirectURIs) == 0 && bad["redirect_uris"] == "" {
		bad["redirect_uris"] = "at least one redirect URI is required"
	}
}

// ErrPublicClient refuses secret operations on public clients.
var ErrPublicClient = errors.New("a public client has no secret")

// Regenerated is a fresh secret, shown once.
type Regenerated struct {
	Secret          string
	SecretExpiresAt time.Time
}

// RegenerateSecret replaces the client's secret. With grace > 0 (at most 7
// days) the old secret keeps working that long; expiresOn ("" for the
// default) sets the new secret's last day.
func (s *Service) RegenerateSecret(ctx context.Context, typ, id, expiresOn string, grace time.Duration) (*Regenerated, error) {
	bad := fieldErrors{}
	now := s.now()
	exp, err := SecretExpiry(expiresOn, now)
	if err != nil {
		bad["secret_expires_on"] = err.Error()
	}
	if grace < 0 || grace > MaxGracePeriod {
		bad["grace_period_seconds"] = fmt.Sprintf("must be between 0 and %d", int(MaxGracePeriod/time.Second))
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	secret, err := clientsecret.Generate()
	if err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Store.UpdateClient(ctx, id, func(c *store.Client) error {
			if c.Type != typ {
				return fmt.Errorf("client %q: %w", id, store.ErrNotFound)
			}
			if c.Type == store.ClientTypeWeb && c.Public {
				return ErrPublicClient
			}
			var kept []store.RotatedSecret
			for _, r := range c.RotatedSecrets {
				if now.Before(r.ExpiresAt) {
					kept = append(kept, r)
				}
			}
			if grace > 0 && c.SecretHash != "" && !c.SecretExpired(now) {
				kept = append(kept, store.RotatedSecret{Hash: c.SecretHash, ExpiresAt: now.Add(grace)})
			}
			c.RotatedSecrets = kept
			c.SecretHash = s.Hasher.HashString(secret)
			c.SecretCreatedAt = now
			c.SecretExpiresAt = exp
			return nil
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "client.secret.regenerate", "client", id, []string{"client_secret", "secret_expires_on"})
	})
	if err != nil {
		return nil, err
	}
	return &Regenerated{Secret: secret, SecretExpiresAt: exp}, nil
}

// Duplicate creates a client with the settings of id: a new id and secret,
// name "<name> (copy)" unless name is given. Role memberships are identity,
// not settings, and are not copied.
func (s *Service) Duplicate(ctx context.Context, typ, id string, name *string) (*Created, error) {
	src, err := s.Store.FindClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if src.Type != typ {
		return nil, fmt.Errorf("client %q: %w", id, store.ErrNotFound)
	}
	n := copyName(src.Name)
	if name != nil {
		n = *name
	}
	life := int(src.AccessTokenLifetime / time.Second)
	p := Patch{
		Name: &n, Description: &src.Description, Scopes: &src.Scopes, AccessTokenLifetime: &life,
		Enabled: &src.Enabled,
	}
	if typ == store.ClientTypeAPI {
		p.PublicBaseURI = &src.PublicBaseURI
	} else {
		p.Public, p.RequireConsent = &src.Public, &src.RequireConsent
		p.RedirectURIs, p.AllowedCORSOrigins, p.PostLogoutRedirectURIs = &src.RedirectURIs, &src.AllowedCORSOrigins, &src.PostLogoutRedirectURIs
	}
	return s.Create(audit.WithActor(ctx, audit.Actor(ctx)), typ, p)
}

func copyName(name string) string {
	const suffix = " (copy)"
	r := []rune(name)
	if max := MaxNameLength - utf8.RuneCountInString(suffix); len(r) > max {
		r = r[:max]
	}
	return string(r) + suffix
}

// Delete removes the client, its tokens and memberships.
func (s *Service) Delete(ctx context.Context, typ, id string) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Store.FindClient(ctx, id)
		if err != nil {
			return err
		}
		if c.Type != typ {
			return fmt.Errorf("client %q: %w", id, store.ErrNotFound)
		}
		if err := s.Store.DeleteClient(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "client.delete", "client", id, nil)
	})
}

// Get loads a client of the given type.
func (s *Service) Get(ctx context.Context, typ, id string) (*store.Client, error) {
	c, err := s.Store.FindClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Type != typ {
		return nil, fmt.Errorf("client %q: %w", id, store.ErrNotFound)
	}
	return c, nil
}

// NewAPIClient is the CLI's shorthand for an API client; zero values take the defaults.
type NewAPIClient struct {
	ID                  string
	Name                string
	Description         string
	Scopes              []string
	Secret              string
	SecretExpiresOn     string
	AccessTokenLifetime int
	PublicBaseURI       string
	Disabled            bool
}

// CreateAPI registers an API client from the CLI's flags.
func (s *Service) CreateAPI(ctx context.Context, in NewAPIClient) (*Created, error) {
	enabled := !in.Disabled
	p := Patch{Name: &in.Name, Scopes: &in.Scopes, Enabled: &enabled}
	if in.ID != "" {
		p.ClientID = &in.ID
	}
	if in.Description != "" {
		p.Description = &in.Description
	}
	if in.Secret != "" {
		p.ClientSecret = &in.Secret
	}
	if in.SecretExpiresOn != "" {
		p.SecretExpiresOn = &in.SecretExpiresOn
	}
	if in.AccessTokenLifetime != 0 {
		p.AccessTokenLifetime = &in.AccessTokenLifetime
	}
	if in.PublicBaseURI != "" {
		p.PublicBaseURI = &in.PublicBaseURI
	}
	return s.Create(ctx, store.ClientTypeAPI, p)
}

// NewID returns a fresh 128-bit client id in hex.
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)

func checkID(id string) string {
	if !idPattern.MatchString(id) {
		return "must be 1–128 characters of A–Z a–z 0–9 . _ ~ -"
	}
	return ""
}

func checkName(bad fieldErrors, name string) {
	switch {
	case strings.TrimSpace(name) == "":
		bad["name"] = "is required"
	case utf8.RuneCountInString(name) > MaxNameLength:
		bad["name"] = fmt.Sprintf("must be at most %d characters", MaxNameLength)
	}
}

func checkDescription(bad fieldErrors, d string) {
	if utf8.RuneCountInString(d) > MaxDescriptionLength {
		bad["description"] = fmt.Sprintf("must be at most %d characters", MaxDescriptionLength)
	}
}

// scopePattern is an RFC 6749 §3.3 scope-token.
var scopePattern = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)

// ValidScope reports whether s is an RFC 6749 scope-token.
func ValidScope(s string) bool { return scopePattern.MatchString(s) }

func checkScopes(bad fieldErrors, scopes []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range scopes {
		if !ValidScope(s) {
			bad["scopes"] = fmt.Sprintf("%q is not a valid scope", s)
			continue
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func checkLifetime(bad fieldErrors, seconds int) time.Duration {
	if seconds == 0 {
		return 0
	}
	if seconds < MinAccessTokenLifetime || seconds > MaxAccessTokenLifetime {
		bad["access_token_lifetime"] = fmt.Sprintf("must be between %d and %d seconds", MinAccessTokenLifetime, MaxAccessTokenLifetime)
		return 0
	}
	return time.Duration(seconds) * time.Second
}

// checkRedirectURIs applies SPEC §4: absolute, no fragment; https, or http
// only for loopback hosts; other schemes are native-app callbacks.
func checkRedirectURIs(bad fieldErrors, field string, uris []string) []string {
	out := []string{}
	for _, raw := range uris {
		if msg := RedirectURIProblem(raw); msg != "" {
			bad[field] = fmt.Sprintf("%q %s", raw, msg)
			continue
		}
		if !containsString(out, raw) {
			out = append(out, raw)
		}
	}
	return out
}

// RedirectURIProblem explains why raw is not an acceptable redirect URI, or "".
func RedirectURIProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return "is not an absolute URI"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case u.Scheme == "https":
		if u.Host == "" {
			return "has no host"
		}
	case u.Scheme == "http":
		if !isLoopback(u.Hostname()) {
			return "must use https (http only for localhost, 127.0.0.1 or [::1])"
		}
	case u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "file":
		return "uses a forbidden scheme"
	}
	return ""
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// checkOrigins applies SPEC §4: scheme://host[:port], no path.
func checkOrigins(bad fieldErrors, origins []string) []string {
	out := []string{}
	for _, raw := range origins {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
			bad["allowed_cors_origins"] = fmt.Sprintf("%q must be an origin: scheme://host[:port], no path", raw)
			continue
		}
		if !containsString(out, raw) {
			out = append(out, raw)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SecretExpiry turns a secret_expires_on date into the first instant the
// secret is dead: the next day at 00:00 UTC, so it works through 23:59:59
// of the named day. Empty means today + 90 days; the date must lie between
// today and today + 24 months.
func SecretExpiry(date string, now time.Time) (time.Time, error) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := today.AddDate(0, 0, DefaultSecretValidity)
	if date != "" {
		d, err := time.Parse(DateLayout, date)
		if err != nil {
			return time.Time{}, fmt.Errorf("must be a date YYYY-MM-DD")
		}
		day = d
	}
	if day.Before(today) {
		return time.Time{}, fmt.Errorf("must not be in the past")
	}
	if max := today.AddDate(0, MaxSecretValidityMonths, 0); day.After(max) {
		return time.Time{}, fmt.Errorf("must be at most %d months from today (%s)", MaxSecretValidityMonths, max.Format(DateLayout))
	}
	return day.AddDate(0, 0, 1), nil
}

// SecretExpiresOn renders the stored instant back as the date it ends.
func SecretExpiresOn(expiresAt time.Time) string {
	if expiresAt.IsZero() {
		return ""
	}
	return expiresAt.UTC().AddDate(0, 0, -1).Format(DateLayout)
}

// Status is the client's state as SPEC §4 names it.
func Status(c *store.Client, now time.Time) string {
	switch {
	case !c.Enabled:
		return "disabled"
	case c.SecretHash != "" && c.SecretExpired(now):
		return "secret_expired"
	case len(c.EffectiveScopes()) == 0:
		return "needs_attention"
	}
	return "active"
}
