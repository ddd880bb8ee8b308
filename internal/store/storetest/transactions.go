package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func wantClient(t *testing.T, s Store, id string, exists bool) {
	t.Helper()
	_, err := s.FindClient(t.Context(), id)
	switch {
	case exists && err != nil:
		t.Errorf("client %q: %v, want it stored", id, err)
	case !exists && !errors.Is(err, store.ErrNotFound):
		t.Errorf("client %q: %v, want %v", id, err, store.ErrNotFound)
	}
}

func testTransactions(t *testing.T, newStore NewStore) {
	t.Run("WriteVisibleInsideAbsentAfterRollback", func(t *testing.T) {
		s := newStore(t)
		ctx, err := s.BeginTX(t.Context())
		mustDo(t, "BeginTX", err)
		mustDo(t, "CreateClient in tx", s.CreateClient(ctx, newClient("tx")))
		if _, err := s.FindClient(ctx, "tx"); err != nil {
			t.Errorf("the tx does not see its own write: %v", err)
		}
		mustDo(t, "Rollback", s.Rollback(ctx))
		wantClient(t, s, "tx", false)
	})

	t.Run("Commit", func(t *testing.T) {
		s := newStore(t)
		ctx, err := s.BeginTX(t.Context())
		mustDo(t, "BeginTX", err)
		mustDo(t, "CreateClient in tx", s.CreateClient(ctx, newClient("tx")))
		mustDo(t, "Commit", s.Commit(ctx))
		wantClient(t, s, "tx", true)
	})

	// fosite begins a transaction of its own inside ours: BeginTX must join
	// it, and the inner Commit must not commit (FOSITE-NOTES §4).
	t.Run("NestedInnerCommitOuterRollback", func(t *testing.T) {
		s := newStore(t)
		outer, err := s.BeginTX(t.Context())
		mustDo(t, "outer BeginTX", err)
		mustDo(t, "CreateClient outer", s.CreateClient(outer, newClient("outer")))
		inner, err := s.BeginTX(outer)
		mustDo(t, "inner BeginTX", err)
		mustDo(t, "CreateClient inner", s.CreateClient(inner, newClient("inner")))
		if _, err := s.FindClient(inner, "outer"); err != nil {
			t.Errorf("the inner transaction does not see the outer one's write: %v", err)
		}
		mustDo(t, "inner Commit", s.Commit(inner))
		mustDo(t, "outer Rollback", s.Rollback(outer))
		wantClient(t, s, "outer", false)
		wantClient(t, s, "inner", false)
	})

	t.Run("NestedBothCommit", func(t *testing.T) {
		s := newStore(t)
		outer, err := s.BeginTX(t.Context())
		mustDo(t, "outer BeginTX", err)
		mustDo(t, "CreateClient outer", s.CreateClient(outer, newClient("outer")))
		inner, err := s.BeginTX(outer)
		mustDo(t, "inner BeginTX", err)
		mustDo(t, "CreateClient inner", s.CreateClient(inner, newClient("inner")))
		mustDo(t, "inner Commit", s.Commit(inner))
		mustDo(t, "outer Commit", s.Commit(outer))
		wantClient(t, s, "outer", true)
		wantClient(t, s, "inner", true)
	})

	// An inner step that rolled back dooms the whole transaction: committing
	// the outer one must fail rather than keep half the work.
	t.Run("NestedInnerRollbackOuterCommit", func(t *testing.T) {
		s := newStore(t)
		outer, err := s.BeginTX(t.Context())
		mustDo(t, "outer BeginTX", err)
		mustDo(t, "CreateClient outer", s.CreateClient(outer, newClient("outer")))
		inner, err := s.BeginTX(outer)
		mustDo(t, "inner BeginTX", err)
		mustDo(t, "CreateClient inner", s.CreateClient(inner, newClient("inner")))
		mustDo(t, "inner Rollback", s.Rollback(inner))
		if err := s.Commit(outer); err == nil {
			t.Error("outer Commit after an inner Rollback succeeded")
		}
		wantClient(t, s, "outer", false)
		wantClient(t, s, "inner", false)
	})

	t.Run("CommitOrRollbackWithoutTx", func(t *testing.T) {
		s := newStore(t)
		if err := s.Commit(t.Context()); err == nil {
			t.Error("Commit without a transaction succeeded")
		}
		if err := s.Rollback(t.Context()); err == nil {
			t.Error("Rollback without a transaction succeeded")
		}
	})

	t.Run("InTx", func(t *testing.T) {
		errBoom := errors.New("boom")
		tests := []struct {
			name       string
			fn         func(s Store) func(ctx context.Context) error
			wantErr    error // nil: success
			wantStored bool
		}{
			{
				name: "commits on success",
				fn: func(s Store) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						if err := s.CreateClient(ctx, newClient("a")); err != nil {
							return err
						}
						return s.CreateClient(ctx, newClient("b"))
					}
				},
				wantStored: true,
			},
			{
				name: "rolls back on error",
				fn: func(s Store) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						if err := s.CreateClient(ctx, newClient("a")); err != nil {
							return err
						}
						if err := s.CreateClient(ctx, newClient("b")); err != nil {
							return err
						}
						return errBoom
					}
				},
				wantErr: errBoom,
			},
			{
				// The second insert fails on the duplicate id; the first
				// must not survive it.
				name: "rolls back on a failed statement",
				fn: func(s Store) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						if err := s.CreateClient(ctx, newClient("a")); err != nil {
							return err
						}
						if err := s.CreateClient(ctx, newClient("b")); err != nil {
							return err
						}
						return s.CreateClient(ctx, newClient("a"))
					}
				},
				wantErr: store.ErrConflict,
			},
			{
				// A nested InTx that fails dooms the outer one even if the
				// outer function carries on.
				name: "nested failure rolls back the outer transaction",
				fn: func(s Store) func(ctx context.Context) error {
					return func(ctx context.Context) error {
						if err := s.CreateClient(ctx, newClient("a")); err != nil {
							return err
						}
						_ = s.InTx(ctx, func(ctx context.Context) error {
							if err := s.CreateClient(ctx, newClient("b")); err != nil {
								return err
							}
							return errBoom
						})
						return nil
					}
				},
				wantErr: errAny,
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				err := s.InTx(t.Context(), tc.fn(s))
				switch {
				case tc.wantErr == nil && err != nil:
					t.Fatalf("InTx: %v", err)
				case tc.wantErr == errAny && err == nil:
					t.Fatal("InTx succeeded, want an error")
				case tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
					t.Fatalf("InTx: %v, want %v", err, tc.wantErr)
				}
				wantClient(t, s, "a", tc.wantStored)
				wantClient(t, s, "b", tc.wantStored)
			})
		}
	})

	t.Run("InTxPanicRollsBack", func(t *testing.T) {
		s := newStore(t)
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Errorf("recovered %v, want the panic to pass through", p)
				}
			}()
			_ = s.InTx(t.Context(), func(ctx context.Context) error {
				if err := s.CreateClient(ctx, newClient("a")); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		wantClient(t, s, "a", false)
	})
}

// errAny stands for "some error" in table tests.
var errAny = errors.New("any error")
