package store

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Sentinel errors every backend returns, so callers never inspect driver errors.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	// ErrUnavailable means the database could not be reached or did not
	// answer in time: callers answer 503, never "not found" or "invalid".
	ErrUnavailable = errors.New("database unavailable")
)

// Client types. One identifier space holds both (SPEC §4).
const (
	ClientTypeAPI = "api"
	ClientTypeWeb = "web"
)

// MaxAccessTokenLifetime is the hard ceiling on any access token (SPEC §2).
const MaxAccessTokenLifetime = 72 * time.Hour

// Client is a registered OAuth 2.0 client, API or Web App.
type Client struct {
	ID          string
	Type        string
	Name        string
	Description string

	// SecretHash is the hash of the current secret; empty for public clients.
	SecretHash string
	// RotatedSecrets are earlier secrets kept valid for a grace period.
	RotatedSecrets []RotatedSecret
	// SecretExpiresAt is the first instant at which the secret no longer works
	// (the day after secret_expires_on, 00:00 UTC). Zero means it never expires.
	SecretExpiresAt time.Time

	Scopes              []string
	PublicBaseURI       string
	AccessTokenLifetime time.Duration // zero: the server default
	Enabled             bool

	// Web App clients only.
	Public                 bool
	RequireConsent         bool
	RedirectURIs           []string
	AllowedCORSOrigins     []string
	PostLogoutRedirectURIs []string

	CreatedAt       time.Time
	UpdatedAt       time.Time
	SecretCreatedAt time.Time
	LastUsedAt      time.Time

	// Roles and RoleScopes are read-only: the roles the client's username
	// belongs to and the scopes they grant, filled in by the store.
	Roles      []string
	RoleScopes []string
}

// EffectiveScopes are the client's own scopes plus its roles' (SPEC §4).
func (c *Client) EffectiveScopes() []string {
	out := append([]string{}, c.Scopes...)
	for _, s := range c.RoleScopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ClientUsername is a client's identity for roles: <client_id>@<domain>,
// where domain is "clients." + the issuer's host.
func ClientUsername(clientID, domain string) string { return clientID + "@" + domain }

// RotatedSecret is a secret hash that still authenticates until ExpiresAt.
type RotatedSecret struct {
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SecretExpired reports whether the client's current secret is dead at now.
func (c *Client) SecretExpired(now time.Time) bool {
	return !c.SecretExpiresAt.IsZero() && !now.Before(c.SecretExpiresAt)
}

// ClientFilter selects a page of clients.
type ClientFilter struct {
	Type string // empty: every type
	// Search keeps clients whose name or client_id contains it, ignoring
	// case; empty: all.
	Search string
	Offset int
	Limit  int
}

// Clients persists clients.
type Clients interface {
	CreateClient(ctx context.Context, c *Client) error
	FindClient(ctx context.Context, id string) (*Client, error)
	// UpdateClient loads the client, lets update change it and saves it, in one transaction.
	UpdateClient(ctx context.Context, id string, update func(*Client) error) error
	DeleteClient(ctx context.Context, id string) error
	ListClients(ctx context.Context, f ClientFilter) (clients []Client, total int, err error)
}

// SigningKey is one signing key pair as stored: the private part sealed.
type SigningKey struct {
	KID         string
	Algorithm   string
	PublicJWK   []byte // JSON Web Key, public part only
	PrivateSeal []byte // private key, encrypted (see package keys)
	CreatedAt   time.Time
	// ActivatesAt is when the key starts signing; until then it is only published.
	ActivatesAt time.Time
}

// SigningKeys persists signing keys.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
}

// RevokedTokens is the denylist of stateless access tokens. A
// client-credentials access token has no row of its own, so revoking one
// records its jti, until the token would have expired anyway.
type RevokedTokens interface {
	RevokeTokenID(ctx context.Context, jti, clientID string, expiresAt time.Time) error
	TokenIDRevoked(ctx context.Context, jti string) (bool, error)
}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}
