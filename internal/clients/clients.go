package clients

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

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
	DateLayout              = "2006-01-02"
)

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

// Service registers clients.
type Service struct {
	Store  store.Clients
	Hasher *clientsecret.Hasher
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// NewAPIClient is what a caller may choose for a new API client; zero
// values take the defaults.
type NewAPIClient struct {
	ID                  string
	Name                string
	Description         string
	Scopes              []string
	Secret              string
	SecretExpiresOn     string // YYYY-MM-DD
	AccessTokenLifetime int    // seconds
	PublicBaseURI       string
	Disabled            bool
}

// Created is a new client and, when the server generated it, its secret —
// the only time the secret is ever available.
type Created struct {
	Client *store.Client
	Secret string
}

// CreateAPI validates in, fills the defaults and stores the client.
func (s *Service) CreateAPI(ctx context.Context, in NewAPIClient) (*Created, error) {
	now := s.now()
	bad := fieldErrors{}
	c := &store.Client{
		Type:          store.ClientTypeAPI,
		Name:          in.Name,
		Description:   in.Description,
		PublicBaseURI: in.PublicBaseURI,
		Enabled:       !in.Disabled,
	}
	checkName(bad, in.Name)
	checkDescription(bad, in.Description)
	c.Scopes = checkScopes(bad, in.Scopes)
	if in.PublicBaseURI != "" {
		if u, err := url.Parse(in.PublicBaseURI); err != nil || !u.IsAbs() || u.Host == "" {
			bad["public_base_uri"] = "must be an absolute URI"
		}
	}
	c.AccessTokenLifetime = checkLifetime(bad, in.AccessTokenLifetime)
	expires, err := SecretExpiry(in.SecretExpiresOn, now)
	if err != nil {
		bad["secret_expires_on"] = err.Error()
	}
	c.SecretExpiresAt = expires

	id := in.ID
	if id == "" {
		id = NewID()
	} else if msg := checkID(id); msg != "" {
		bad["client_id"] = msg
	}
	c.ID = id

	secret := in.Secret
	generated := secret == ""
	if generated {
		if secret, err = clientsecret.Generate(); err != nil {
			return nil, err
		}
	} else if len(secret) < clientsecret.MinSuppliedLength {
		bad["client_secret"] = fmt.Sprintf("must be at least %d characters", clientsecret.MinSuppliedLength)
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	c.SecretHash = s.Hasher.HashString(secret)
	c.CreatedAt, c.UpdatedAt, c.SecretCreatedAt = now, now, now
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return nil, err
	}
	out := &Created{Client: c}
	if generated {
		out.Secret = secret
	}
	return out, nil
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
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	switch {
	case n == 0:
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

func checkScopes(bad fieldErrors, scopes []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range scopes {
		if !scopePattern.MatchString(s) {
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

// SecretExpiry turns a secret_expires_on date into the first instant the
// secret is dead: the next day at 00:00 UTC, so it works through 23:59:59
// of the named day. Empty means today + 90 days; the date must lie between
// today and today + 24 months.
func SecretExpiry(date string, now time.Time) (time.Time, error) {
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
	if day.After(today.AddDate(0, MaxSecretValidityMonths, 0)) {
		return time.Time{}, fmt.Errorf("must be at most %d months from today (%s)", MaxSecretValidityMonths, today.AddDate(0, MaxSecretValidityMonths, 0).Format(DateLayout))
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
	case len(c.Scopes) == 0:
		return "needs_attention"
	}
	return "active"
}
