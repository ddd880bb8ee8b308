package reminders_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/reminders"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore/sqltest"
)

// mail is one message the test SMTP server received.
type mail struct {
	From string
	To   []string
	Data string
}

// mailbox is an in-process SMTP server on loopback.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{box: m}, nil }

type session struct {
	box *mailbox
	cur mail
}

func (s *session) Reset()        { s.cur = mail{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.From = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(b)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	return nil
}

func (m *mailbox) received() []mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail{}, m.msgs...)
}

func startSMTP(t *testing.T) (*mailbox, string) {
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().String()
}

// newInstance builds one Gatehouse on dsn, as a replica would.
func newInstance(t *testing.T, dsn string, extra ...string) *app.App {
	t.Helper()
	cfg, err := config.Load(nil, append([]string{
		"GATEHOUSE_DSN=" + dsn,
		"GATEHOUSE_ISSUER=https://id.example.com",
		"GATEHOUSE_SECRET=reminder-test-secret-0123456789abcdef-0123",
	}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := app.OpenStore(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRemindersOncePerSecretAcrossReplicas: two instances on one PostgreSQL
// run the job at the same moment, several times; each expiring secret yields
// exactly one e-mail, to every admin-ish user with an address, and secrets
// outside the 14-day window yield none.
func TestRemindersOncePerSecretAcrossReplicas(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	box, addr := startSMTP(t)
	smtpURL := "GATEHOUSE_SMTP_URL=smtp://" + addr + "?starttls=none"
	a1 := newInstance(t, dsn, smtpURL, "GATEHOUSE_SMTP_FROM=gatehouse@example.com")
	a2 := newInstance(t, dsn, smtpURL, "GATEHOUSE_SMTP_FROM=gatehouse@example.com")
	ctx := context.Background()

	ids := &identity.Service{Store: a1.Store, ClientDomain: "clients.id.example.com"}
	mkUser := func(name, email string, role string) {
		u, err := ids.CreateUser(ctx, identity.UserPatch{Username: &name, Email: &email})
		if err != nil {
			t.Fatal(err)
		}
		if role != "" {
			if err := ids.AddMember(ctx, role, u.Username); err != nil {
				t.Fatal(err)
			}
		}
	}
	clientsRole := "Client managers"
	scopes := []string{identity.ScopeClients}
	if _, err := ids.CreateRole(ctx, identity.RolePatch{Name: &clientsRole, Scopes: &scopes}); err != nil {
		t.Fatal(err)
	}
	mkUser("alice", "alice@example.com", store.AdministrationRole)
	mkUser("bob", "bob@example.com", clientsRole)
	mkUser("carol", "carol@example.com", "") // no admin scope: no mail
	mkUser("dave", "", store.AdministrationRole)

	svc := &clients.Service{Store: a1.Store, Hasher: a1.Hasher}
	today := time.Now().UTC()
	create := func(name string, daysLeft int) string {
		day := today.AddDate(0, 0, daysLeft).Format(clients.DateLayout)
		c, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: name, Scopes: []string{"a"}, SecretExpiresOn: day})
		if err != nil {
			t.Fatal(err)
		}
		return c.Client.ID
	}
	soon := create("soon", 3)
	edge := create("edge", 13)
	create("later", 30)
	create("much later", 200)

	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for _, a := range []*app.App{a1, a2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := a.Reminders.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}

	got := box.received()
	if len(got) != 2 {
		t.Fatalf("received %d mails, want 2 (one per expiring secret): %+v", len(got), got)
	}
	seen := map[string]bool{}
	for _, m := range got {
		to := append([]string{}, m.To...)
		slices.Sort(to)
		if !slices.Equal(to, []string{"alice@example.com", "bob@example.com"}) {
			t.Errorf("recipients %v", to)
		}
		if m.From != "gatehouse@example.com" {
			t.Errorf("from %q", m.From)
		}
		for _, id := range []string{soon, edge} {
			if strings.Contains(m.Data, id) {
				seen[id] = true
			}
		}
	}
	if !seen[soon] || !seen[edge] {
		t.Errorf("mails do not cover both expiring clients: %v", seen)
	}

	// Both are also listed as delivered notifications.
	list, total, err := a2.Store.ListNotifications(ctx, store.Page{Limit: 100})
	if err != nil || total != 2 {
		t.Fatalf("notifications: %d %v", total, err)
	}
	for _, n := range list {
		if !n.Delivered || n.Kind != reminders.Kind {
			t.Errorf("notification %+v", n)
		}
	}

	// A regenerated secret is a new secret: it gets its own reminder when due.
	if _, err := svc.RegenerateSecret(ctx, store.ClientTypeAPI, soon, today.AddDate(0, 0, 5).Format(clients.DateLayout), 0); err != nil {
		t.Fatal(err)
	}
	if n, err := a1.Reminders.RunOnce(ctx); err != nil || n != 1 {
		t.Errorf("after regeneration: sent %d, %v; want 1", n, err)
	}
}

// TestRemindersWithoutSMTP: the reminder is recorded, undelivered, once.
func TestRemindersWithoutSMTP(t *testing.T) {
	a := newInstance(t, sqltest.SQLiteDSN(t))
	ctx := context.Background()
	svc := &clients.Service{Store: a.Store, Hasher: a.Hasher}
	day := time.Now().UTC().AddDate(0, 0, 1).Format(clients.DateLayout)
	if _, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: "x", Scopes: []string{"a"}, SecretExpiresOn: day}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := a.Reminders.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := a.Store.ListNotifications(ctx, store.Page{Limit: 100})
	if err != nil || total != 1 || list[0].Delivered || !strings.Contains(list[0].Subject, day) {
		t.Fatalf("notifications %d %+v %v", total, list, err)
	}
}

// TestRemindersRetryAfterFailedDelivery: an unreachable SMTP server releases the claim.
func TestRemindersRetryAfterFailedDelivery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	a := newInstance(t, sqltest.SQLiteDSN(t), "GATEHOUSE_SMTP_URL=smtp://"+dead+"?starttls=none")
	ctx := context.Background()
	ids := &identity.Service{Store: a.Store, ClientDomain: "clients.id.example.com"}
	name, email := "alice", "alice@example.com"
	if _, err := ids.CreateUser(ctx, identity.UserPatch{Username: &name, Email: &email}); err != nil {
		t.Fatal(err)
	}
	if err := ids.AddMember(ctx, store.AdministrationRole, name); err != nil {
		t.Fatal(err)
	}
	svc := &clients.Service{Store: a.Store, Hasher: a.Hasher}
	day := time.Now().UTC().AddDate(0, 0, 2).Format(clients.DateLayout)
	c, err := svc.CreateAPI(ctx, clients.NewAPIClient{Name: "x", Scopes: []string{"a"}, SecretExpiresOn: day})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Reminders.RunOnce(ctx); n != 0 {
		t.Fatalf("sent %d through a dead server", n)
	}
	// The claim was released: a later run may claim it again.
	won, err := a.Store.ClaimReminder(ctx, c.Client.ID, c.Client.SecretCreatedAt.UnixMicro())
	if err != nil || !won {
		t.Fatalf("claim not released: %v %v", won, err)
	}
}
