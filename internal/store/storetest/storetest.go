package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Store is everything the suite tests: Gatehouse's own store interfaces, the
// fosite storage interfaces the provider is composed with, and InTx for
// multi-row changes.
type Store interface {
	store.Clients
	store.SigningKeys
	store.Users
	store.Roles
	store.Pinger
	store.RevokedTokens
	store.LoginFailures

	fosite.ClientManager
	oauth2.CoreStorage
	oauth2.TokenRevocationStorage
	openid.OpenIDConnectRequestStorage
	pkce.PKCERequestStorage
	storage.Transactional

	// InTx runs fn in one transaction, joining one ctx already carries; an
	// error from fn rolls it back.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// NewStore returns a fresh, migrated store owned by t; it must allow more
// than one connection, since the suite runs concurrent redemptions.
type NewStore func(t *testing.T) Store

// Run runs the conformance suite. Every sub-test gets its own store from
// newStore.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, newStore NewStore)
	}{
		{"Clients", testClients},
		{"FositeClients", testFositeClients},
		{"Requests", testRequests}, // every kind: access, refresh, code, OIDC, PKCE
		{"AccessTokens", testAccessTokens},
		{"RefreshTokens", testRefreshTokens},
		{"AuthorizeCodes", testAuthorizeCodes},
		{"RevokedTokens", testRevokedTokens},
		{"LoginFailures", testLoginFailures},
		{"Transactions", testTransactions},
		{"SigningKeys", testSigningKeys},
		{"Users", testUsers},
		{"Roles", testRoles},
		{"Ping", testPing},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

func testPing(t *testing.T, newStore NewStore) {
	s := newStore(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// concurrently runs fn(0) … fn(n-1) in n goroutines released at once and
// returns their errors by index.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// successes counts the nil errors.
func successes(errs []error) int {
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}

// wantErrIs fails t unless errors.Is(err, target).
func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// sameStrings compares lists, treating nil and empty as equal.
func sameStrings(got, want []string) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return slices.Equal(got, want)
}

// sameInstant reports whether got is want to at least second precision and
// is in UTC; two zero times are the same.
func sameInstant(got, want time.Time) bool {
	if got.IsZero() || want.IsZero() {
		return got.IsZero() && want.IsZero()
	}
	return got.Location() == time.UTC && got.Sub(want).Abs() < time.Second
}
