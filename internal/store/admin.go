package store

import (
	"context"
	"time"
)

// Page selects a slice of a list.
type Page struct {
	Offset int
	Limit  int
}

// UserAdmin is the management side of users.
type UserAdmin interface {
	Users
	FindUser(ctx context.Context, id string) (*User, error)
	ListUsers(ctx context.Context, p Page) ([]User, int, error)
	// UpdateUser is read-modify-write in one transaction.
	UpdateUser(ctx context.Context, id string, update func(*User) error) error
	// DeleteUser removes the user and their role memberships.
	DeleteUser(ctx context.Context, id string) error
}

// RoleAdmin is the management side of roles.
type RoleAdmin interface {
	Roles
	CreateRole(ctx context.Context, r *Role) error
	ListRoles(ctx context.Context, p Page) ([]Role, int, error)
	UpdateRole(ctx context.Context, name string, update func(*Role) error) error
	DeleteRole(ctx context.Context, name string) error
	RemoveRoleMember(ctx context.Context, role, username string) error
	// RolesOf lists the roles username belongs to, by name.
	RolesOf(ctx context.Context, username string) ([]Role, error)
	// RemoveMemberships drops username from every role.
	RemoveMemberships(ctx context.Context, username string) error
	// UsersWithScopes lists enabled users holding any of scopes through a role.
	UsersWithScopes(ctx context.Context, scopes []string) ([]User, error)
}

// AuditEvent records one change.
type AuditEvent struct {
	ID         string
	OccurredAt time.Time
	Actor      string
	Action     string
	TargetType string
	TargetID   string
	Fields     []string
}

// Audit persists audit events.
type Audit interface {
	RecordAudit(ctx context.Context, e *AuditEvent) error
	ListAudit(ctx context.Context, p Page) ([]AuditEvent, int, error)
}

// Notification is a message to administrators.
type Notification struct {
	ID         string
	CreatedAt  time.Time
	Kind       string
	ClientID   string
	Recipients []string
	Subject    string
	Body       string
	Delivered  bool
}

// Notifications persists notifications and the reminder claims.
type Notifications interface {
	CreateNotification(ctx context.Context, n *Notification) error
	ListNotifications(ctx context.Context, p Page) ([]Notification, int, error)
	// ClaimReminder records that the reminder for this client secret is being
	// sent; it returns false when another process claimed it first.
	ClaimReminder(ctx context.Context, clientID string, secretVersion int64) (bool, error)
	// ReleaseReminder drops a claim whose sending failed, so it is retried.
	ReleaseReminder(ctx context.Context, clientID string, secretVersion int64) error
	// ClientsWithSecretExpiring lists enabled clients whose secret dies in [from, to).
	ClientsWithSecretExpiring(ctx context.Context, from, to time.Time) ([]Client, error)
}
