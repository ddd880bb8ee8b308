package keys_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// clock is the injected time source; tests move it by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

const (
	publishAhead = time.Hour
	retention    = 2 * time.Hour
	refresh      = 10 * time.Second
)

func newStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	return sqltest.Open(t, sqltest.SQLiteDSN(t))
}

func newManager(t *testing.T, st *sqlstore.Store, clk *clock, secret []byte) *keys.Manager {
	t.Helper()
	return &keys.Manager{
		Store: st, Sealer: newSealer(t, secret), Now: clk.Now,
		PublishAhead: publishAhead, Retention: retention, Refresh: refresh,
	}
}

func kids(t *testing.T, m *keys.Manager) []string {
	t.Helper()
	set, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	out := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		out[i] = k.KeyID
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func signingKID(t *testing.T, m *keys.Manager, alg string) string {
	t.Helper()
	k, err := m.Signing(context.Background(), alg)
	if err != nil {
		t.Fatalf("Signing(%s): %v", alg, err)
	}
	if k.Algorithm != alg {
		t.Fatalf("Signing(%s) returned a %s key", alg, k.Algorithm)
	}
	return k.KID
}

// signAndVerify signs with k's private key and verifies with the published
// JWKS, as a resource server would.
func signAndVerify(t *testing.T, m *keys.Manager, k *keys.Key) {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.Algorithm),
		Key:       jose.JSONWebKey{Key: k.Private, KeyID: k.KID, Algorithm: k.Algorithm},
	}, nil)
	if err != nil {
		t.Fatalf("signer for %s: %v", k.KID, err)
	}
	jws, err := signer.Sign([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	set, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pub := set.Key(parsed.Signatures[0].Header.KeyID)
	if len(pub) != 1 {
		t.Fatalf("JWKS has %d keys with kid %s, want 1", len(pub), k.KID)
	}
	if _, err := parsed.Verify(pub[0]); err != nil {
		t.Errorf("a signature by %s does not verify with its published key: %v", k.KID, err)
	}
}

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	clk := newClock()
	m := newManager(t, st, clk, secretA)

	if _, err := m.Signing(ctx, keys.ES256); !errors.Is(err, keys.ErrNoKey) {
		t.Fatalf("Signing before Ensure: %v, want ErrNoKey", err)
	}
	if err := m.Ensure(ctx, keys.RS256, keys.ES256); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	stored, err := st.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, k := range stored {
		count[k.Algorithm]++
		if !k.ActivatesAt.Equal(clk.Now()) {
			t.Errorf("first key %s activates %v, want now (%v)", k.KID, k.ActivatesAt, clk.Now())
		}
	}
	if len(stored) != 2 || count[keys.RS256] != 1 || count[keys.ES256] != 1 {
		t.Fatalf("after Ensure: %d keys %v, want one RS256 and one ES256", len(stored), count)
	}

	rs, err := m.Signing(ctx, keys.RS256)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rs.Private.(*rsa.PrivateKey); !ok {
		t.Errorf("RS256 key is %T", rs.Private)
	}
	es, err := m.Signing(ctx, keys.ES256)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := es.Private.(*ecdsa.PrivateKey); !ok {
		t.Errorf("ES256 key is %T", es.Private)
	}
	signAndVerify(t, m, rs)
	signAndVerify(t, m, es)

	for _, k := range stored {
		if strings.Contains(string(k.PrivateSeal), `"d"`) {
			t.Errorf("stored private part of %s looks like a clear JWK", k.KID)
		}
	}

	// Second call, and a restart with a new Manager: nothing new.
	clk.Advance(time.Minute)
	if err := m.Ensure(ctx, keys.RS256, keys.ES256); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	m2 := newManager(t, st, clk, secretA)
	if err := m2.Ensure(ctx, keys.RS256, keys.ES256); err != nil {
		t.Fatalf("Ensure on restart: %v", err)
	}
	if again, _ := st.ListSigningKeys(ctx); len(again) != 2 {
		t.Errorf("Ensure is not idempotent: %d keys after three calls", len(again))
	}
	if got := signingKID(t, m2, keys.ES256); got != es.KID {
		t.Errorf("after restart ES256 signs with %s, want %s", got, es.KID)
	}
}

func TestEnsureWithWrongSecret(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	clk := newClock()
	if err := newManager(t, st, clk, secretA).Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	err := newManager(t, st, clk, secretB).Ensure(ctx, keys.ES256)
	if err == nil {
		t.Fatal("a Manager with another server secret loaded the sealed keys")
	}
	if !strings.Contains(err.Error(), "unseal") {
		t.Errorf("error %q does not say the key could not be unsealed", err)
	}
}

func TestRotate(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testRotate(t, sqltest.Open(t, b.NewDSN(t))) })
	}
}

func testRotate(t *testing.T, st *sqlstore.Store) {
	ctx := context.Background()
	clk := newClock()
	m := newManager(t, st, clk, secretA)
	if err := m.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	oldKID := signingKID(t, m, keys.ES256)

	clk.Advance(time.Minute)
	next, err := m.Rotate(ctx, keys.ES256)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	activation := clk.Now().Add(publishAhead)
	if !next.ActivatesAt.Equal(activation) {
		t.Fatalf("rotated key activates %v, want now + PublishAhead = %v", next.ActivatesAt, activation)
	}
	if next.KID == oldKID {
		t.Fatal("Rotate returned the old key")
	}

	steps := []struct {
		name        string
		at          time.Time
		wantSigning string
		wantJWKS    []string // in order, newest first
		verifies    []string
		refused     []string
	}{
		{name: "just rotated", at: clk.Now(), wantSigning: oldKID, wantJWKS: []string{next.KID, oldKID}, verifies: []string{oldKID, next.KID}},
		{name: "just before activation", at: activation.Add(-time.Second), wantSigning: oldKID, wantJWKS: []string{next.KID, oldKID}, verifies: []string{oldKID, next.KID}},
		{name: "at activation", at: activation, wantSigning: next.KID, wantJWKS: []string{next.KID, oldKID}, verifies: []string{oldKID, next.KID}},
		{name: "retired, still published", at: activation.Add(retention - time.Second), wantSigning: next.KID, wantJWKS: []string{next.KID, oldKID}, verifies: []string{oldKID, next.KID}},
		{name: "retention over", at: activation.Add(retention), wantSigning: next.KID, wantJWKS: []string{next.KID}, verifies: []string{next.KID}, refused: []string{oldKID}},
		{name: "long after", at: activation.Add(30 * 24 * time.Hour), wantSigning: next.KID, wantJWKS: []string{next.KID}, verifies: []string{next.KID}, refused: []string{oldKID}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.Set(s.at)
			if got := signingKID(t, m, keys.ES256); got != s.wantSigning {
				t.Errorf("Signing(ES256) = %s, want %s", got, s.wantSigning)
			}
			if got := kids(t, m); strings.Join(got, ",") != strings.Join(s.wantJWKS, ",") {
				t.Errorf("JWKS kids = %v, want %v", got, s.wantJWKS)
			}
			for _, kid := range s.verifies {
				if k, err := m.Verification(ctx, kid); err != nil || k.KID != kid {
					t.Errorf("Verification(%s) = %v, %v", kid, k, err)
				}
			}
			for _, kid := range s.refused {
				if _, err := m.Verification(ctx, kid); !errors.Is(err, keys.ErrNoKey) {
					t.Errorf("Verification(%s) of an expired key: %v, want ErrNoKey", kid, err)
				}
			}
		})
	}

	all, err := m.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, k := range all {
		states[k.KID] = k.State(clk.Now(), retention)
	}
	if states[oldKID] != "expired" || states[next.KID] != "active" || len(all) != 2 {
		t.Errorf("All() states %v, want old expired and new active", states)
	}
}

func TestKeyState(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	k := &keys.Key{ActivatesAt: t0, RetiresAt: t0.Add(time.Hour)}
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"before activation", t0.Add(-time.Nanosecond), "next"},
		{"at activation", t0, "active"},
		{"before retirement", t0.Add(time.Hour - time.Nanosecond), "active"},
		{"at retirement", t0.Add(time.Hour), "retired"},
		{"end of retention", t0.Add(time.Hour + retention - time.Nanosecond), "retired"},
		{"expired", t0.Add(time.Hour + retention), "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := k.State(tt.at, retention); got != tt.want {
				t.Errorf("State = %q, want %q", got, tt.want)
			}
		})
	}
	newest := &keys.Key{ActivatesAt: t0}
	if got := newest.State(t0.AddDate(10, 0, 0), retention); got != "active" {
		t.Errorf("newest key State ten years on = %q, want active", got)
	}
}

func TestVerificationUnknownKID(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, newStore(t), newClock(), secretA)
	if err := m.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{"", "no-such-kid"} {
		if _, err := m.Verification(ctx, kid); !errors.Is(err, keys.ErrNoKey) {
			t.Errorf("Verification(%q) = %v, want ErrNoKey", kid, err)
		}
	}
}

func TestRotateUnsupportedAlgorithm(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	m := newManager(t, st, newClock(), secretA)
	if _, err := m.Rotate(ctx, "HS256"); err == nil {
		t.Error("Rotate(HS256) succeeded")
	}
	if err := m.Ensure(ctx, "none"); err == nil {
		t.Error("Ensure(none) succeeded")
	}
	if stored, _ := st.ListSigningKeys(ctx); len(stored) != 0 {
		t.Errorf("%d keys stored for unsupported algorithms", len(stored))
	}
}

func TestJWKSHasNoPrivateMaterial(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	m := newManager(t, newStore(t), clk, secretA)
	if err := m.Ensure(ctx, keys.RS256, keys.ES256); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rotate(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	set, err := m.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 3 {
		t.Fatalf("JWKS has %d keys, want 3 (RS256, ES256, next ES256): %s", len(doc.Keys), raw)
	}
	wantKty := map[string]string{"RS256": "RSA", "ES256": "EC"}
	for _, k := range doc.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v has private member %q", k["kid"], private)
			}
		}
		alg, _ := k["alg"].(string)
		if k["use"] != "sig" || k["kid"] == "" || k["kty"] != wantKty[alg] {
			t.Errorf("JWKS key lacks use=sig, a kid or the kty for alg %q: %v", alg, k)
		}
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Errorf("JWKS key %s is not public", k.KeyID)
		}
	}
}

func TestSecondManagerSeesRotationAfterRefresh(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testSecondManager(t, sqltest.Open(t, b.NewDSN(t))) })
	}
}

func testSecondManager(t *testing.T, st *sqlstore.Store) {
	ctx := context.Background()
	clk := newClock()
	a := newManager(t, st, clk, secretA)
	b := newManager(t, st, clk, secretA)
	if err := a.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	if err := b.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	old := signingKID(t, b, keys.ES256)
	if got := kids(t, b); len(got) != 1 || got[0] != old {
		t.Fatalf("replica b JWKS = %v, want [%s]", got, old)
	}

	next, err := a.Rotate(ctx, keys.ES256)
	if err != nil {
		t.Fatal(err)
	}
	if got := kids(t, a); !has(got, next.KID) {
		t.Fatalf("rotating replica's own JWKS %v misses %s", got, next.KID)
	}

	clk.Advance(refresh - time.Second)
	if got := kids(t, b); has(got, next.KID) {
		t.Errorf("replica b reloaded before Refresh: JWKS %v", got)
	}
	clk.Advance(time.Second)
	if got := kids(t, b); !has(got, next.KID) || !has(got, old) {
		t.Errorf("replica b after Refresh: JWKS %v, want %s and %s", got, next.KID, old)
	}
	if got := signingKID(t, b, keys.ES256); got != old {
		t.Errorf("replica b signs with %s before activation, want %s", got, old)
	}
	clk.Set(next.ActivatesAt)
	if got := signingKID(t, b, keys.ES256); got != next.KID {
		t.Errorf("replica b signs with %s after activation, want %s", got, next.KID)
	}
}

// A token signed by a key another replica just rotated in must verify
// without waiting a whole Refresh: a miss forces a reload, at most once a second.
func TestVerificationMissReloads(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	clk := newClock()
	a := newManager(t, st, clk, secretA)
	b := newManager(t, st, clk, secretA)
	if err := a.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	if err := b.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	next, err := a.Rotate(ctx, keys.ES256)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(500 * time.Millisecond)
	if _, err := b.Verification(ctx, next.KID); !errors.Is(err, keys.ErrNoKey) {
		t.Errorf("forced reload not rate-limited: Verification within 1s = %v, want ErrNoKey", err)
	}
	clk.Advance(500 * time.Millisecond)
	if k, err := b.Verification(ctx, next.KID); err != nil || k.KID != next.KID {
		t.Errorf("Verification of a new kid after 1s = %v, %v; want it found by a forced reload", k, err)
	}
}

// Readers and a rotating writer share one Manager; run with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	m := newManager(t, newStore(t), clk, secretA)
	if err := m.Ensure(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	first := signingKID(t, m, keys.ES256)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				k, err := m.Signing(ctx, keys.ES256)
				if err != nil {
					errs <- err
					return
				}
				if _, err := m.Verification(ctx, k.KID); err != nil {
					errs <- err
					return
				}
				if _, err := m.JWKS(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 3 {
		if _, err := m.Rotate(ctx, keys.ES256); err != nil {
			t.Fatal(err)
		}
		clk.Advance(refresh)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent reader: %v", err)
	}
	if n := len(kids(t, m)); n != 4 {
		t.Errorf("JWKS has %d keys after three rotations, want 4", n)
	}
	if got := signingKID(t, m, keys.ES256); got != first {
		t.Errorf("signing key changed before any activation: %s, want %s", got, first)
	}
}
