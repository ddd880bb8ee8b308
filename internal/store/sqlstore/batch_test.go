package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// TestAccessTokenGroupCommit: concurrent access-token writes outside a
// transaction share batches, yet each caller returns only once its row is
// stored, and a bad row fails alone.
func TestAccessTokenGroupCommit(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := openCached(t, b.NewDSN(t), 0)
			mkClient(t, st, "batcher")
			ctx := context.Background()
			cl, err := st.GetClient(ctx, "batcher")
			if err != nil {
				t.Fatal(err)
			}
			req := func(id string) *fosite.Request {
				s := &openid.DefaultSession{Subject: id, ExpiresAt: map[fosite.TokenType]time.Time{fosite.AccessToken: time.Now().Add(time.Hour)}}
				return &fosite.Request{ID: id, RequestedAt: time.Now(), Client: cl, Session: s}
			}
			if err := st.CreateAccessTokenSession(ctx, "dup", req("first")); err != nil {
				t.Fatal(err)
			}
			const n = 64
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sig := fmt.Sprintf("sig-%d", i)
					if i == 7 {
						sig = "dup" // taken: this one alone must fail
					}
					errs[i] = st.CreateAccessTokenSession(ctx, sig, req(fmt.Sprintf("r%d", i)))
				}()
			}
			wg.Wait()
			for i, err := range errs {
				switch {
				case i == 7 && err == nil:
					t.Errorf("a duplicate signature was accepted")
				case i != 7 && err != nil:
					t.Errorf("write %d failed with its batch: %v", i, err)
				}
			}
			for i := range n {
				if i == 7 {
					continue
				}
				if _, err := st.GetAccessTokenSession(ctx, fmt.Sprintf("sig-%d", i), &openid.DefaultSession{}); err != nil {
					t.Fatalf("row %d not stored when its write returned: %v", i, err)
				}
			}
			// A cancelled caller is told so.
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := st.CreateAccessTokenSession(cctx, "late", req("late")); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled write: %v", err)
			}
		})
	}
}
