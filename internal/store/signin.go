package store

import (
	"context"
	"time"
)

// LoginSession is a signed-in browser. ID is the SHA-256 of the cookie value.
type LoginSession struct {
	ID        string
	UserID    string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Consent is what a user granted a client, remembered.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// SignIn persists login sessions and remembered consents.
type SignIn interface {
	CreateLoginSession(ctx context.Context, s *LoginSession) error
	// FindLoginSession returns ErrNotFound for a missing or expired session.
	FindLoginSession(ctx context.Context, id string) (*LoginSession, error)
	DeleteLoginSession(ctx context.Context, id string) error
	FindConsent(ctx context.Context, userID, clientID string) (*Consent, error)
	// SaveConsent merges scopes into what the user already granted the client.
	SaveConsent(ctx context.Context, c *Consent) error
}

// LoginFailures counts failed sign-ins per key across replicas.
type LoginFailures interface {
	// RecordLoginFailure remembers one failure of key at at, until expires.
	RecordLoginFailure(ctx context.Context, key string, at, expires time.Time) error
	// RecentLoginFailures returns up to limit failures of key after since,
	// oldest first.
	RecentLoginFailures(ctx context.Context, key string, since time.Time, limit int) ([]time.Time, error)
	// ClearLoginFailures forgets every failure of key.
	ClearLoginFailures(ctx context.Context, key string) error
}
