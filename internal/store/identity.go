package store

import (
	"context"
	"time"
)

// AdministrationRole is the built-in role that holds gatehouse:admin.
const AdministrationRole = "Administration"

// User is a person who signs in.
type User struct {
	ID           string
	Username     string
	Email        string
	Name         string
	PasswordHash string
	Enabled      bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Users persists users.
type Users interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	CountUsers(ctx context.Context) (int, error)
}

// Role grants scopes to its members (users or API clients, by username).
type Role struct {
	Name        string
	Description string
	Scopes      []string
	Builtin     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Roles persists roles and their members.
type Roles interface {
	FindRole(ctx context.Context, name string) (*Role, error)
	AddRoleMember(ctx context.Context, role, username string) error
	RoleMembers(ctx context.Context, role string) ([]string, error)
}
