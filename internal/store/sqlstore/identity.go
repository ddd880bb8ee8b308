package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var (
	_ store.Users = (*Store)(nil)
	_ store.Roles = (*Store)(nil)
)

type userRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	Username     string    `gorm:"column:username"`
	Email        string    `gorm:"column:email"`
	Name         string    `gorm:"column:name"`
	PasswordHash string    `gorm:"column:password_hash"`
	Enabled      bool      `gorm:"column:enabled"`
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt    time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

type roleRow struct {
	Name        string    `gorm:"column:name;primaryKey"`
	Description string    `gorm:"column:description"`
	Scopes      []string  `gorm:"column:scopes;serializer:json"`
	Builtin     bool      `gorm:"column:builtin"`
	CreatedAt   time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (roleRow) TableName() string { return "roles" }

type roleMemberRow struct {
	RoleName  string    `gorm:"column:role_name;primaryKey"`
	Username  string    `gorm:"column:username;primaryKey"`
	CreatedAt time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (roleMemberRow) TableName() string { return "role_members" }

// CreateUser inserts u; a taken username is store.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	now := s.now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt, u.UpdatedAt = now, now
	}
	row := userRow{ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name,
		PasswordHash: u.PasswordHash, Enabled: u.Enabled, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
	if err := mapErr(s.conn(ctx).Create(&row).Error); err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, err)
	}
	return nil
}

// FindUserByUsername loads one user.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (*store.User, error) {
	var r userRow
	if err := s.conn(ctx).Where("username = ?", username).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("find user %q: %w", username, mapErr(err))
	}
	return &store.User{ID: r.ID, Username: r.Username, Email: r.Email, Name: r.Name,
		PasswordHash: r.PasswordHash, Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// CountUsers counts every user.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int64
	if err := s.conn(ctx).Model(&userRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", mapErr(err))
	}
	return int(n), nil
}

// FindRole loads one role.
func (s *Store) FindRole(ctx context.Context, name string) (*store.Role, error) {
	var r roleRow
	if err := s.conn(ctx).Where("name = ?", name).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("find role %q: %w", name, mapErr(err))
	}
	return &store.Role{Name: r.Name, Description: r.Description, Scopes: r.Scopes, Builtin: r.Builtin,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// AddRoleMember adds username to role; adding twice is store.ErrConflict.
func (s *Store) AddRoleMember(ctx context.Context, role, username string) error {
	row := roleMemberRow{RoleName: role, Username: username, CreatedAt: s.now()}
	if err := mapErr(s.conn(ctx).Create(&row).Error); err != nil {
		return fmt.Errorf("add %q to role %q: %w", username, role, err)
	}
	return s.clientChanged(ctx, "*")
}

// RoleMembers lists a role's members by username.
func (s *Store) RoleMembers(ctx context.Context, role string) ([]string, error) {
	var names []string
	if err := s.conn(ctx).Model(&roleMemberRow{}).Where("role_name = ?", role).Order("username").Pluck("username", &names).Error; err != nil {
		return nil, fmt.Errorf("members of role %q: %w", role, mapErr(err))
	}
	return names, nil
}
