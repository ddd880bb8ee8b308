package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
)

// concurrency is how many goroutines race for one code or token.
const concurrency = 10

func mustDo(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func getAccess(t *testing.T, s Store, sig string) (fosite.Requester, error) {
	return s.GetAccessTokenSession(t.Context(), sig, &openid.DefaultSession{})
}

func getRefresh(t *testing.T, s Store, sig string) (fosite.Requester, error) {
	return s.GetRefreshTokenSession(t.Context(), sig, &openid.DefaultSession{})
}

func getCode(t *testing.T, s Store, sig string) (fosite.Requester, error) {
	return s.GetAuthorizeCodeSession(t.Context(), sig, &openid.DefaultSession{})
}

func wantActive(t *testing.T, what string, r fosite.Requester, err error, requestID string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v, want active", what, err)
	}
	if r.GetID() != requestID {
		t.Fatalf("%s: request %q, want %q", what, r.GetID(), requestID)
	}
}

// wantInactive checks that a token or code reads as inactive *with* its
// request, which fosite needs to revoke the grant (FOSITE-NOTES §2, §3).
func wantInactive(t *testing.T, what string, r fosite.Requester, err, wantErr error, requestID string) {
	t.Helper()
	if !errors.Is(err, wantErr) {
		t.Fatalf("%s: error %v, want %v", what, err, wantErr)
	}
	if r == nil {
		t.Fatalf("%s: %v came without the request", what, wantErr)
	}
	if r.GetID() != requestID {
		t.Fatalf("%s: request %q, want %q", what, r.GetID(), requestID)
	}
	if sess, ok := r.GetSession().(*openid.DefaultSession); !ok || sess.Subject != "user-"+requestID {
		t.Fatalf("%s: session %+v not restored", what, r.GetSession())
	}
}

func testAccessTokens(t *testing.T, newStore NewStore) {
	t.Run("RevokeByRequestID", func(t *testing.T) {
		s := newStore(t)
		mustCreateClient(t, s, newClient("app"))
		for _, tok := range []struct{ sig, req string }{{"at-1a", "req-1"}, {"at-1b", "req-1"}, {"at-2", "req-2"}} {
			mustDo(t, "create "+tok.sig, s.CreateAccessTokenSession(t.Context(), tok.sig, newRequest(t, s, "app", tok.req)))
		}
		mustDo(t, "RevokeAccessToken", s.RevokeAccessToken(t.Context(), "req-1"))
		for _, sig := range []string{"at-1a", "at-1b"} {
			_, err := getAccess(t, s, sig)
			wantErrIs(t, sig+" after revoking req-1", err, fosite.ErrNotFound)
		}
		r, err := getAccess(t, s, "at-2")
		wantActive(t, "at-2 after revoking req-1", r, err, "req-2")
	})

	// Deleting a client ends its tokens and only its tokens.
	t.Run("DeleteClientKeepsOtherClientsTokens", func(t *testing.T) {
		s := newStore(t)
		mustCreateClient(t, s, newClient("gone"))
		mustCreateClient(t, s, newClient("stays"))
		mustDo(t, "create at-gone", s.CreateAccessTokenSession(t.Context(), "at-gone", newRequest(t, s, "gone", "req-gone")))
		mustDo(t, "create rt-gone", s.CreateRefreshTokenSession(t.Context(), "rt-gone", "at-gone", newRequest(t, s, "gone", "req-gone")))
		mustDo(t, "create at-stays", s.CreateAccessTokenSession(t.Context(), "at-stays", newRequest(t, s, "stays", "req-stays")))
		mustDo(t, "create rt-stays", s.CreateRefreshTokenSession(t.Context(), "rt-stays", "at-stays", newRequest(t, s, "stays", "req-stays")))
		mustDo(t, "DeleteClient", s.DeleteClient(t.Context(), "gone"))

		_, err := getAccess(t, s, "at-gone")
		wantErrIs(t, "at-gone", err, fosite.ErrNotFound)
		_, err = getRefresh(t, s, "rt-gone")
		wantErrIs(t, "rt-gone", err, fosite.ErrNotFound)
		r, err := getAccess(t, s, "at-stays")
		wantActive(t, "at-stays", r, err, "req-stays")
		r, err = getRefresh(t, s, "rt-stays")
		wantActive(t, "rt-stays", r, err, "req-stays")

		// A new client under the old id does not inherit the tokens.
		mustCreateClient(t, s, newClient("gone"))
		_, err = getAccess(t, s, "at-gone")
		wantErrIs(t, "at-gone after re-creating the client", err, fosite.ErrNotFound)
	})
}

func testRefreshTokens(t *testing.T, newStore NewStore) {
	// setup stores client "app" with grant req-1 (at-1, rt-1) and an
	// unrelated grant req-2 (at-2, rt-2).
	setup := func(t *testing.T) Store {
		s := newStore(t)
		mustCreateClient(t, s, newClient("app"))
		for _, g := range []struct{ at, rt, req string }{{"at-1", "rt-1", "req-1"}, {"at-2", "rt-2", "req-2"}} {
			r := newRequest(t, s, "app", g.req)
			mustDo(t, "create "+g.at, s.CreateAccessTokenSession(t.Context(), g.at, r))
			mustDo(t, "create "+g.rt, s.CreateRefreshTokenSession(t.Context(), g.rt, g.at, r))
		}
		return s
	}

	t.Run("RotateRetiresTheTokenAndItsGrant", func(t *testing.T) {
		s := setup(t)
		mustDo(t, "RotateRefreshToken", s.RotateRefreshToken(t.Context(), "req-1", "rt-1"))

		r, err := getRefresh(t, s, "rt-1")
		wantInactive(t, "rt-1 after rotation", r, err, fosite.ErrInactiveToken, "req-1")
		_, err = getAccess(t, s, "at-1")
		wantErrIs(t, "at-1 after rotation", err, fosite.ErrNotFound)

		r, err = getRefresh(t, s, "rt-2")
		wantActive(t, "rt-2 of another grant", r, err, "req-2")
		r, err = getAccess(t, s, "at-2")
		wantActive(t, "at-2 of another grant", r, err, "req-2")

		// fosite then stores the successor under the same request id; it
		// must be active.
		r1 := newRequest(t, s, "app", "req-1")
		mustDo(t, "create at-1b", s.CreateAccessTokenSession(t.Context(), "at-1b", r1))
		mustDo(t, "create rt-1b", s.CreateRefreshTokenSession(t.Context(), "rt-1b", "at-1b", r1))
		r, err = getRefresh(t, s, "rt-1b")
		wantActive(t, "rt-1b", r, err, "req-1")
		r, err = getAccess(t, s, "at-1b")
		wantActive(t, "at-1b", r, err, "req-1")
	})

	t.Run("RotateTwice", func(t *testing.T) {
		s := setup(t)
		mustDo(t, "first RotateRefreshToken", s.RotateRefreshToken(t.Context(), "req-1", "rt-1"))
		err := s.RotateRefreshToken(t.Context(), "req-1", "rt-1")
		wantErrIs(t, "second RotateRefreshToken", err, fosite.ErrSerializationFailure)
	})

	// Concurrent refreshes with one token, each in a transaction as
	// fosite's refresh flow runs it: exactly one issues new tokens (SPEC §10).
	t.Run("RotateConcurrent", func(t *testing.T) {
		s := setup(t)
		r := newRequest(t, s, "app", "req-1")
		errs := concurrently(concurrency, func(i int) error {
			ctx, err := s.BeginTX(t.Context())
			if err != nil {
				return err
			}
			err = func() error {
				if err := s.RotateRefreshToken(ctx, "req-1", "rt-1"); err != nil {
					return err
				}
				if err := s.CreateAccessTokenSession(ctx, fmt.Sprintf("at-new-%d", i), r); err != nil {
					return err
				}
				return s.CreateRefreshTokenSession(ctx, fmt.Sprintf("rt-new-%d", i), fmt.Sprintf("at-new-%d", i), r)
			}()
			if err != nil {
				if rbErr := s.Rollback(ctx); rbErr != nil {
					return fmt.Errorf("%w (rollback: %v)", err, rbErr)
				}
				return err
			}
			return s.Commit(ctx)
		})
		if n := successes(errs); n != 1 {
			t.Fatalf("%d of %d concurrent rotations succeeded, want exactly 1: %v", n, concurrency, errs)
		}
		for i, err := range errs {
			if err != nil && !errors.Is(err, fosite.ErrSerializationFailure) {
				t.Errorf("rotation %d: %v, want %v", i, err, fosite.ErrSerializationFailure)
			}
		}
		issued := 0
		for i := range concurrency {
			_, atErr := getAccess(t, s, fmt.Sprintf("at-new-%d", i))
			_, rtErr := getRefresh(t, s, fmt.Sprintf("rt-new-%d", i))
			if (atErr == nil) != (errs[i] == nil) || (rtErr == nil) != (errs[i] == nil) {
				t.Errorf("rotation %d returned %v but its tokens read as %v, %v", i, errs[i], atErr, rtErr)
			}
			if atErr == nil {
				issued++
			}
		}
		if issued != 1 {
			t.Errorf("%d successors stored, want 1", issued)
		}
	})

	t.Run("RevokeDeactivatesTheFamily", func(t *testing.T) {
		s := setup(t)
		r1 := newRequest(t, s, "app", "req-1")
		mustDo(t, "create rt-1b", s.CreateRefreshTokenSession(t.Context(), "rt-1b", "at-1", r1))
		mustDo(t, "RevokeRefreshToken", s.RevokeRefreshToken(t.Context(), "req-1"))
		for _, sig := range []string{"rt-1", "rt-1b"} {
			r, err := getRefresh(t, s, sig)
			wantInactive(t, sig+" after revoking req-1", r, err, fosite.ErrInactiveToken, "req-1")
		}
		r, err := getRefresh(t, s, "rt-2")
		wantActive(t, "rt-2 of another grant", r, err, "req-2")
	})

	// A rotated-out token presented again: fosite revokes the family by
	// the request id the store hands back (flow_refresh.go handleRefreshTokenReuse).
	t.Run("ReuseRevokesTheFamily", func(t *testing.T) {
		s := setup(t)
		mustDo(t, "RotateRefreshToken", s.RotateRefreshToken(t.Context(), "req-1", "rt-1"))
		r1 := newRequest(t, s, "app", "req-1")
		mustDo(t, "create at-1b", s.CreateAccessTokenSession(t.Context(), "at-1b", r1))
		mustDo(t, "create rt-1b", s.CreateRefreshTokenSession(t.Context(), "rt-1b", "at-1b", r1))

		old, err := getRefresh(t, s, "rt-1")
		wantInactive(t, "reused rt-1", old, err, fosite.ErrInactiveToken, "req-1")
		err = s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.DeleteRefreshTokenSession(ctx, "rt-1"); err != nil {
				return err
			}
			if err := s.RevokeRefreshToken(ctx, old.GetID()); err != nil {
				return err
			}
			return s.RevokeAccessToken(ctx, old.GetID())
		})
		mustDo(t, "revoke the family", err)

		r, err := getRefresh(t, s, "rt-1b")
		wantInactive(t, "rt-1b", r, err, fosite.ErrInactiveToken, "req-1")
		_, err = getAccess(t, s, "at-1b")
		wantErrIs(t, "at-1b", err, fosite.ErrNotFound)
		r, err = getRefresh(t, s, "rt-2")
		wantActive(t, "rt-2 of another grant", r, err, "req-2")
	})
}

func testAuthorizeCodes(t *testing.T, newStore NewStore) {
	setup := func(t *testing.T) (Store, *fosite.Request) {
		s := newStore(t)
		mustCreateClient(t, s, newClient("app"))
		r := newRequest(t, s, "app", "req-1")
		mustDo(t, "CreateAuthorizeCodeSession", s.CreateAuthorizeCodeSession(t.Context(), "code-1", r))
		return s, r
	}

	t.Run("UsedCodeComesBackWithItsRequest", func(t *testing.T) {
		s, want := setup(t)
		mustDo(t, "InvalidateAuthorizeCodeSession", s.InvalidateAuthorizeCodeSession(t.Context(), "code-1"))
		got, err := getCode(t, s, "code-1")
		wantInactive(t, "used code", got, err, fosite.ErrInvalidatedAuthorizeCode, "req-1")
		wantSameRequest(t, got, want)
	})

	t.Run("InvalidateTwice", func(t *testing.T) {
		s, _ := setup(t)
		mustDo(t, "first InvalidateAuthorizeCodeSession", s.InvalidateAuthorizeCodeSession(t.Context(), "code-1"))
		if err := s.InvalidateAuthorizeCodeSession(t.Context(), "code-1"); err == nil {
			t.Fatal("second InvalidateAuthorizeCodeSession succeeded")
		}
	})

	t.Run("InvalidateOnlyThatCode", func(t *testing.T) {
		s, _ := setup(t)
		mustDo(t, "create code-2", s.CreateAuthorizeCodeSession(t.Context(), "code-2", newRequest(t, s, "app", "req-2")))
		mustDo(t, "InvalidateAuthorizeCodeSession", s.InvalidateAuthorizeCodeSession(t.Context(), "code-1"))
		r, err := getCode(t, s, "code-2")
		wantActive(t, "code-2", r, err, "req-2")
	})

	t.Run("InvalidateConcurrent", func(t *testing.T) {
		s, _ := setup(t)
		errs := concurrently(concurrency, func(int) error {
			return s.InvalidateAuthorizeCodeSession(t.Context(), "code-1")
		})
		if n := successes(errs); n != 1 {
			t.Fatalf("%d of %d concurrent invalidations succeeded, want exactly 1: %v", n, concurrency, errs)
		}
	})

	// Concurrent redemptions, each reading the code and issuing a token in
	// one transaction: exactly one issues, and every other one fails as a
	// replay or a lost race — not as a database error (SPEC §10).
	t.Run("RedeemConcurrent", func(t *testing.T) {
		s, _ := setup(t)
		errs := concurrently(concurrency, func(i int) error {
			return s.InTx(t.Context(), func(ctx context.Context) error {
				r, err := s.GetAuthorizeCodeSession(ctx, "code-1", &openid.DefaultSession{})
				if err != nil {
					return err
				}
				if err := s.InvalidateAuthorizeCodeSession(ctx, "code-1"); err != nil {
					return err
				}
				return s.CreateAccessTokenSession(ctx, fmt.Sprintf("at-%d", i), r)
			})
		})
		if n := successes(errs); n != 1 {
			t.Fatalf("%d of %d concurrent redemptions succeeded, want exactly 1: %v", n, concurrency, errs)
		}
		for i, err := range errs {
			if err != nil && !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) && !errors.Is(err, fosite.ErrSerializationFailure) {
				t.Errorf("redemption %d: %v, want %v or %v", i, err, fosite.ErrInvalidatedAuthorizeCode, fosite.ErrSerializationFailure)
			}
		}
		issued := 0
		for i := range concurrency {
			if _, err := getAccess(t, s, fmt.Sprintf("at-%d", i)); err == nil {
				issued++
			}
		}
		if issued != 1 {
			t.Errorf("%d access tokens stored, want 1", issued)
		}
	})

	// A replayed code revokes what it issued: fosite revokes by the id of
	// the request the store returns with ErrInvalidatedAuthorizeCode (SPEC §3).
	t.Run("ReplayRevokesIssuedTokens", func(t *testing.T) {
		s, r := setup(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.InvalidateAuthorizeCodeSession(ctx, "code-1"); err != nil {
				return err
			}
			if err := s.CreateAccessTokenSession(ctx, "at-1", r); err != nil {
				return err
			}
			return s.CreateRefreshTokenSession(ctx, "rt-1", "at-1", r)
		})
		mustDo(t, "redeem", err)

		replayed, err := getCode(t, s, "code-1")
		wantInactive(t, "replayed code", replayed, err, fosite.ErrInvalidatedAuthorizeCode, "req-1")
		mustDo(t, "RevokeAccessToken", s.RevokeAccessToken(t.Context(), replayed.GetID()))
		mustDo(t, "RevokeRefreshToken", s.RevokeRefreshToken(t.Context(), replayed.GetID()))
		_, err = getAccess(t, s, "at-1")
		wantErrIs(t, "at-1", err, fosite.ErrNotFound)
		rt, err := getRefresh(t, s, "rt-1")
		wantInactive(t, "rt-1", rt, err, fosite.ErrInactiveToken, "req-1")
	})
}
