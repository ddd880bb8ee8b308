// Package reminders warns administrators before client secrets expire
// (SPEC §6): fourteen days ahead, one message per secret to every user with
// an e-mail address who holds gatehouse:admin or gatehouse:clients. A claim
// row in the database makes each reminder go out exactly once, however many
// replicas run the job. Without SMTP the reminder is logged and kept as a
// notification (GET /api/v1/notifications); with SMTP it is kept too,
// marked delivered.
package reminders

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Window is how long before expiry the reminder goes out.
const Window = 14 * 24 * time.Hour

// Kind names reminder notifications.
const Kind = "secret_expiry_reminder"

// Store is what the job needs.
type Store interface {
	store.Notifications
	UsersWithScopes(ctx context.Context, scopes []string) ([]store.User, error)
}

// Mailer sends one message.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// Job finds secrets about to expire and reminds administrators.
type Job struct {
	Store  Store
	Mailer Mailer // nil: no SMTP configured
	Log    *slog.Logger
	Now    func() time.Time
	// Issuer names this server in the message.
	Issuer string
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now().UTC()
	}
	return time.Now().UTC()
}

// RunOnce sends every reminder that is due and returns how many it sent
// (or recorded). A failed delivery releases its claim so a later run retries.
func (j *Job) RunOnce(ctx context.Context) (int, error) {
	now := j.now()
	due, err := j.Store.ClientsWithSecretExpiring(ctx, now, now.Add(Window))
	if err != nil {
		return 0, err
	}
	sent := 0
	for i := range due {
		c := &due[i]
		version := c.SecretCreatedAt.UnixMicro()
		won, err := j.Store.ClaimReminder(ctx, c.ID, version)
		if err != nil {
			return sent, err
		}
		if !won {
			continue
		}
		if err := j.remind(ctx, c); err != nil {
			if rerr := j.Store.ReleaseReminder(ctx, c.ID, version); rerr != nil {
				j.Log.ErrorContext(ctx, "release reminder claim", "client_id", c.ID, "error", rerr)
			}
			j.Log.ErrorContext(ctx, "secret expiry reminder failed", "client_id", c.ID, "error", err)
			continue
		}
		sent++
	}
	return sent, nil
}

func (j *Job) remind(ctx context.Context, c *store.Client) error {
	users, err := j.Store.UsersWithScopes(ctx, []string{identity.ScopeAdmin, identity.ScopeClients})
	if err != nil {
		return err
	}
	var to []string
	for _, u := range users {
		if u.Email != "" {
			to = append(to, u.Email)
		}
	}
	day := clients.SecretExpiresOn(c.SecretExpiresAt)
	subject := fmt.Sprintf("Client secret of %q expires on %s", c.Name, day)
	body := fmt.Sprintf("The secret of client %q (client_id %s) on %s stops working after %s 23:59:59 UTC.\n\n"+
		"Regenerate it before then (POST /api/v1/configuration/%s-clients/%s/secret, or the console) "+
		"and give the new secret to the client's owner.\n",
		c.Name, c.ID, j.Issuer, day, c.Type, c.ID)
	n := &store.Notification{ID: newID(), Kind: Kind, ClientID: c.ID, Recipients: to, Subject: subject, Body: body}
	if j.Mailer != nil && len(to) > 0 {
		if err := j.Mailer.Send(ctx, to, subject, body); err != nil {
			return err
		}
		n.Delivered = true
	} else {
		j.Log.InfoContext(ctx, "secret expiry reminder", "client_id", c.ID, "expires_on", day,
			"recipients", len(to), "smtp", j.Mailer != nil)
	}
	return j.Store.CreateNotification(ctx, n)
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
