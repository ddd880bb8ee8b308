package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func testRevokedTokens(t *testing.T, newStore NewStore) {
	t.Run("RevokeAndCheck", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		exp := time.Now().Add(time.Hour)
		if got, err := s.TokenIDRevoked(ctx, "jti-1"); err != nil || got {
			t.Fatalf("unknown jti: revoked=%v err=%v, want false", got, err)
		}
		mustDo(t, "revoke", s.RevokeTokenID(ctx, "jti-1", "client-a", exp))
		mustDo(t, "revoke again", s.RevokeTokenID(ctx, "jti-1", "client-a", exp))
		if got, err := s.TokenIDRevoked(ctx, "jti-1"); err != nil || !got {
			t.Fatalf("revoked jti: revoked=%v err=%v, want true", got, err)
		}
		if got, err := s.TokenIDRevoked(ctx, "jti-2"); err != nil || got {
			t.Fatalf("other jti: revoked=%v err=%v, want false", got, err)
		}
	})
	t.Run("ConcurrentChecksEachGetTheirAnswer", func(t *testing.T) {
		// Concurrent lookups may share one query; every caller must still
		// get the answer for its own jti.
		s := newStore(t)
		ctx := t.Context()
		for i := 0; i < 40; i += 3 {
			mustDo(t, "revoke", s.RevokeTokenID(ctx, fmt.Sprintf("jti-%d", i), "c", time.Now().Add(time.Hour)))
		}
		const n = 40
		got := make([]bool, n)
		errs := concurrently(n, func(i int) error {
			var err error
			got[i], err = s.TokenIDRevoked(ctx, fmt.Sprintf("jti-%d", i))
			return err
		})
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("check %d: %v", i, errs[i])
			}
			if want := i%3 == 0; got[i] != want {
				t.Errorf("jti-%d: revoked=%v, want %v", i, got[i], want)
			}
		}
	})
	t.Run("InsideTransaction", func(t *testing.T) {
		// A revocation is seen by a check in its own transaction, and is
		// gone when the transaction rolls back.
		s := newStore(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			mustDo(t, "revoke", s.RevokeTokenID(ctx, "jti-tx", "c", time.Now().Add(time.Hour)))
			if got, err := s.TokenIDRevoked(ctx, "jti-tx"); err != nil || !got {
				t.Fatalf("in tx: revoked=%v err=%v, want true", got, err)
			}
			return errAny
		})
		if !errors.Is(err, errAny) {
			t.Fatalf("InTx: %v", err)
		}
		if got, err := s.TokenIDRevoked(t.Context(), "jti-tx"); err != nil || got {
			t.Fatalf("after rollback: revoked=%v err=%v, want false", got, err)
		}
	})
}
