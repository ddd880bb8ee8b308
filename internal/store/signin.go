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

// LoginFailures counts failed sign-ins per key across replicas. An attempt
// takes its place, pending, before its password is checked; a failure
// settles it and a success deletes it. So concurrent guesses cannot all
// pass under the limit at once, and a waiting attempt can tell failures
// from attempts still in flight.
type LoginFailures interface {
	// TakeLoginAttempt records a pending attempt of key at at, until
	// expires, and returns its id, its place among the attempts of key
	// after since (1: the first), and how many of those are settled
	// failures. Attempts of one key take places one at a time, on every
	// replica.
	TakeLoginAttempt(ctx context.Context, key string, at, expires, since time.Time) (id int64, place, failures int, err error)
	// SettleLoginFailure marks a pending attempt as failed.
	SettleLoginFailure(ctx context.Context, id int64) error
	// OldestLoginFailure is the earliest settled failure of key after
	// since (zero: none).
	OldestLoginFailure(ctx context.Context, key string, since time.Time) (time.Time, error)
	// DeleteLoginFailure forgets one attempt.
	DeleteLoginFailure(ctx context.Context, id int64) error
	// ClearLoginFailures forgets every attempt of key.
	ClearLoginFailures(ctx context.Context, key string) error
}
