package identity_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

func newStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	return sqltest.Open(t, sqltest.SQLiteDSN(t))
}

func TestHashPassword(t *testing.T) {
	const pw = "correct horse battery staple"
	hash, err := identity.HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not argon2id with OWASP parameters (m=19456,t=2,p=1)", hash)
	}
	if strings.Contains(hash, pw) {
		t.Error("hash contains the password")
	}
	again, err := identity.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}

	tests := []struct {
		name     string
		password string
		hash     string
		want     bool
		wantErr  bool
	}{
		{name: "right password", password: pw, hash: hash, want: true},
		{name: "right password, other salt", password: pw, hash: again, want: true},
		{name: "wrong password", password: pw + "!", hash: hash},
		{name: "empty password", password: "", hash: hash},
		{name: "case matters", password: strings.ToUpper(pw), hash: hash},
		{name: "not a hash", password: pw, hash: "plaintext", wantErr: true},
		{name: "empty hash", password: pw, hash: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := identity.CheckPassword(tt.password, tt.hash)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckPassword err = %v, wantErr %v", err, tt.wantErr)
			}
			if ok != tt.want {
				t.Errorf("CheckPassword = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestBootstrap(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testBootstrap(t, sqltest.Open(t, b.NewDSN(t))) })
	}
}

func testBootstrap(t *testing.T, st *sqlstore.Store) {
	ctx := context.Background()
	const pw = "first-admin-password"
	if err := identity.Bootstrap(ctx, st, pw); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	u, err := st.FindUserByUsername(ctx, identity.AdminUsername)
	if err != nil {
		t.Fatalf("user admin not created: %v", err)
	}
	if u.Username != "admin" || !u.Enabled || u.ID == "" || u.CreatedAt.IsZero() {
		t.Errorf("admin user = %+v", u)
	}
	if u.PasswordHash == pw {
		t.Fatal("password stored in clear")
	}
	if ok, err := identity.CheckPassword(pw, u.PasswordHash); err != nil || !ok {
		t.Errorf("stored hash does not verify the bootstrap password: %v, %v", ok, err)
	}
	members, err := st.RoleMembers(ctx, store.AdministrationRole)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0] != "admin" {
		t.Errorf("Administration members = %v, want [admin]", members)
	}
	if n, err := st.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}

	// Second start: nothing is created, the first password still works.
	err = identity.Bootstrap(ctx, st, "another-password")
	if !errors.Is(err, identity.ErrAlreadyBootstrapped) {
		t.Fatalf("second Bootstrap = %v, want ErrAlreadyBootstrapped", err)
	}
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Errorf("second Bootstrap changed the user count to %d", n)
	}
	if members, _ := st.RoleMembers(ctx, store.AdministrationRole); len(members) != 1 {
		t.Errorf("second Bootstrap changed Administration members: %v", members)
	}
	u2, err := st.FindUserByUsername(ctx, identity.AdminUsername)
	if err != nil {
		t.Fatal(err)
	}
	if u2.ID != u.ID || u2.PasswordHash != u.PasswordHash {
		t.Error("second Bootstrap replaced the admin user")
	}
	if ok, _ := identity.CheckPassword("another-password", u2.PasswordHash); ok {
		t.Error("second Bootstrap's password works")
	}
}

func TestBootstrapSkipsWhenAnyUserExists(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	if err := st.CreateUser(ctx, &store.User{ID: "u1", Username: "alice", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := identity.Bootstrap(ctx, st, "pw"); !errors.Is(err, identity.ErrAlreadyBootstrapped) {
		t.Fatalf("Bootstrap with a user present = %v, want ErrAlreadyBootstrapped", err)
	}
	if _, err := st.FindUserByUsername(ctx, identity.AdminUsername); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("admin created although a user existed: %v", err)
	}
	if members, _ := st.RoleMembers(ctx, store.AdministrationRole); len(members) != 0 {
		t.Errorf("Administration members = %v, want none", members)
	}
}

// Replicas starting together: exactly one bootstrap wins.
func TestBootstrapConcurrent(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testBootstrapConcurrent(t, sqltest.Open(t, b.NewDSN(t))) })
	}
}

func testBootstrapConcurrent(t *testing.T, st *sqlstore.Store) {
	ctx := context.Background()
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = identity.Bootstrap(ctx, st, "concurrent-password")
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, identity.ErrAlreadyBootstrapped):
		default:
			t.Errorf("Bootstrap %d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d bootstraps succeeded, want exactly 1", wins)
	}
	if c, _ := st.CountUsers(ctx); c != 1 {
		t.Errorf("CountUsers = %d, want 1", c)
	}
	if members, _ := st.RoleMembers(ctx, store.AdministrationRole); len(members) != 1 {
		t.Errorf("Administration members = %v, want [admin]", members)
	}
}
