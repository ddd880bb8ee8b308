package store

import (
	"context"
	"time"
)

// ConsoleSession is a browser signed in to the admin console (SPEC §7). ID
// is the SHA-256 of the random cookie value, so a database dump cannot be
// replayed as a cookie.
type ConsoleSession struct {
	ID     string
	UserID string
	// IDToken is the ID token the sign-in returned, kept only to send as
	// id_token_hint when the user signs out.
	IDToken string
	// Flash is a one-time message for the next page, sealed with a key
	// derived from the cookie value (never stored): it may carry a client
	// secret on its way to the page that shows it once.
	Flash     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ConsoleSignIn is a console sign-in in progress: what the callback checks
// (state, nonce) and needs (the PKCE verifier). ID is the SHA-256 of the
// random value in the browser's sign-in cookie.
type ConsoleSignIn struct {
	ID           string
	State        string
	Nonce        string
	CodeVerifier string
	// ReturnTo is the console path the user asked for.
	ReturnTo  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Console persists console sessions and sign-ins in progress.
type Console interface {
	CreateConsoleSession(ctx context.Context, s *ConsoleSession) error
	// FindConsoleSession returns ErrNotFound for a missing or expired session.
	FindConsoleSession(ctx context.Context, id string) (*ConsoleSession, error)
	// SetConsoleFlash replaces the session's one-time message.
	SetConsoleFlash(ctx context.Context, id, flash string) error
	// TakeConsoleFlash returns the session's one-time message and clears it,
	// in one transaction ("" when there is none).
	TakeConsoleFlash(ctx context.Context, id string) (string, error)
	// DeleteConsoleSession ends a session; a missing one is not an error.
	DeleteConsoleSession(ctx context.Context, id string) error
	CreateConsoleSignIn(ctx context.Context, s *ConsoleSignIn) error
	// TakeConsoleSignIn loads and deletes a sign-in in progress, so a
	// callback can be completed once; ErrNotFound when missing or expired.
	TakeConsoleSignIn(ctx context.Context, id string) (*ConsoleSignIn, error)
}
