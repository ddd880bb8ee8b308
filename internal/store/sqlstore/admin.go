package sqlstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var (
	_ store.UserAdmin     = (*Store)(nil)
	_ store.RoleAdmin     = (*Store)(nil)
	_ store.Audit         = (*Store)(nil)
	_ store.Notifications = (*Store)(nil)
)

func (r *userRow) toUser() *store.User {
	return &store.User{ID: r.ID, Username: r.Username, Email: r.Email, Name: r.Name,
		PasswordHash: r.PasswordHash, Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func toUserRow(u *store.User) userRow {
	return userRow{ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name,
		PasswordHash: u.PasswordHash, Enabled: u.Enabled, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

func (r *roleRow) toRole() *store.Role {
	return &store.Role{Name: r.Name, Description: r.Description, Scopes: nonNil(r.Scopes), Builtin: r.Builtin,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// FindUser loads one user by id.
func (s *Store) FindUser(ctx context.Context, id string) (*store.User, error) {
	var r userRow
	if err := s.conn(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("find user %q: %w", id, mapErr(err))
	}
	return r.toUser(), nil
}

// ListUsers pages users by username.
func (s *Store) ListUsers(ctx context.Context, p store.Page) ([]store.User, int, error) {
	var total int64
	if err := s.conn(ctx).Model(&userRow{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count users: %w", mapErr(err))
	}
	var rows []userRow
	if err := page(s.conn(ctx).Order("username"), p).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list users: %w", mapErr(err))
	}
	out := make([]store.User, len(rows))
	for i := range rows {
		out[i] = *rows[i].toUser()
	}
	return out, int(total), nil
}

// UpdateUser is read-modify-write in one transaction. A changed username
// carries the user's role memberships along.
func (s *Store) UpdateUser(ctx context.Context, id string, update func(*store.User) error) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		var row userRow
		q := s.conn(ctx).Where("id = ?", id)
		if s.dialect == Postgres {
			q = q.Clauses(forUpdate)
		}
		if err := q.Take(&row).Error; err != nil {
			return fmt.Errorf("update user %q: %w", id, mapErr(err))
		}
		u := row.toUser()
		oldName := u.Username
		if err := update(u); err != nil {
			return err
		}
		if u.ID != id {
			return fmt.Errorf("update user %q: the id cannot change", id)
		}
		u.UpdatedAt = s.now()
		row = toUserRow(u)
		if err := mapErr(s.conn(ctx).Select("*").Save(&row).Error); err != nil {
			return fmt.Errorf("update user %q: %w", id, err)
		}
		if u.Username != oldName {
			return mapErr(s.conn(ctx).Model(&roleMemberRow{}).Where("username = ?", oldName).
				Update("username", u.Username).Error)
		}
		return nil
	})
}

// DeleteUser removes the user and their memberships.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		u, err := s.FindUser(ctx, id)
		if err != nil {
			return err
		}
		if err := mapErr(s.conn(ctx).Where("id = ?", id).Delete(&userRow{}).Error); err != nil {
			return fmt.Errorf("delete user %q: %w", id, err)
		}
		for _, m := range []any{&loginSessionRow{}, &consentRow{}} {
			if err := mapErr(s.conn(ctx).Where("user_id = ?", id).Delete(m).Error); err != nil {
				return fmt.Errorf("delete user %q sessions and consents: %w", id, err)
			}
		}
		return s.RemoveMemberships(ctx, u.Username)
	})
}

// CreateRole inserts r; a taken name is store.ErrConflict.
func (s *Store) CreateRole(ctx context.Context, r *store.Role) error {
	now := s.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt, r.UpdatedAt = now, now
	}
	row := roleRow{Name: r.Name, Description: r.Description, Scopes: nonNil(r.Scopes), Builtin: r.Builtin,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := mapErr(s.conn(ctx).Create(&row).Error); err != nil {
		return fmt.Errorf("create role %q: %w", r.Name, err)
	}
	return nil
}

// ListRoles pages roles by name.
func (s *Store) ListRoles(ctx context.Context, p store.Page) ([]store.Role, int, error) {
	var total int64
	if err := s.conn(ctx).Model(&roleRow{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count roles: %w", mapErr(err))
	}
	var rows []roleRow
	if err := page(s.conn(ctx).Order("name"), p).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list roles: %w", mapErr(err))
	}
	out := make([]store.Role, len(rows))
	for i := range rows {
		out[i] = *rows[i].toRole()
	}
	return out, int(total), nil
}

// UpdateRole is read-modify-write in one transaction; the name is the key
// and cannot change.
func (s *Store) UpdateRole(ctx context.Context, name string, update func(*store.Role) error) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		var row roleRow
		q := s.conn(ctx).Where("name = ?", name)
		if s.dialect == Postgres {
			q = q.Clauses(forUpdate)
		}
		if err := q.Take(&row).Error; err != nil {
			return fmt.Errorf("update role %q: %w", name, mapErr(err))
		}
		r := row.toRole()
		if err := update(r); err != nil {
			return err
		}
		if r.Name != name {
			return fmt.Errorf("update role %q: the name cannot change", name)
		}
		r.UpdatedAt = s.now()
		row = roleRow{Name: r.Name, Description: r.Description, Scopes: nonNil(r.Scopes), Builtin: r.Builtin,
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
		if err := mapErr(s.conn(ctx).Select("*").Save(&row).Error); err != nil {
			return err
		}
		return s.clientChanged(ctx, "*") // members' effective scopes changed
	})
}

// DeleteRole removes the role and its memberships.
func (s *Store) DeleteRole(ctx context.Context, name string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := mapErr(s.conn(ctx).Where("role_name = ?", name).Delete(&roleMemberRow{}).Error); err != nil {
			return err
		}
		res := s.conn(ctx).Where("name = ?", name).Delete(&roleRow{})
		if res.Error != nil {
			return fmt.Errorf("delete role %q: %w", name, mapErr(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete role %q: %w", name, store.ErrNotFound)
		}
		return s.clientChanged(ctx, "*")
	})
}

// RemoveRoleMember drops one membership.
func (s *Store) RemoveRoleMember(ctx context.Context, role, username string) error {
	res := s.conn(ctx).Where("role_name = ? AND username = ?", role, username).Delete(&roleMemberRow{})
	if res.Error != nil {
		return fmt.Errorf("remove %q from role %q: %w", username, role, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("remove %q from role %q: %w", username, role, store.ErrNotFound)
	}
	return s.clientChanged(ctx, "*")
}

// RemoveMemberships drops username from every role.
func (s *Store) RemoveMemberships(ctx context.Context, username string) error {
	if err := mapErr(s.conn(ctx).Where("username = ?", username).Delete(&roleMemberRow{}).Error); err != nil {
		return err
	}
	return s.clientChanged(ctx, "*")
}

// RolesOf lists the roles username belongs to.
func (s *Store) RolesOf(ctx context.Context, username string) ([]store.Role, error) {
	var rows []roleRow
	err := s.conn(ctx).Table("roles").
		Joins("JOIN role_members ON role_members.role_name = roles.name").
		Where("role_members.username = ?", username).Order("roles.name").
		Select("roles.*").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("roles of %q: %w", username, mapErr(err))
	}
	out := make([]store.Role, len(rows))
	for i := range rows {
		out[i] = *rows[i].toRole()
	}
	return out, nil
}

// UsersWithScopes lists enabled users holding any of scopes through a role.
func (s *Store) UsersWithScopes(ctx context.Context, scopes []string) ([]store.User, error) {
	var roles []roleRow
	if err := s.conn(ctx).Find(&roles).Error; err != nil {
		return nil, fmt.Errorf("users with scopes: %w", mapErr(err))
	}
	var names []string
	for _, r := range roles {
		for _, sc := range r.Scopes {
			if contains(scopes, sc) {
				names = append(names, r.Name)
				break
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	var rows []userRow
	err := s.conn(ctx).Where("enabled = ? AND username IN (?)", true,
		s.conn(ctx).Model(&roleMemberRow{}).Select("username").Where("role_name IN ?", names)).
		Order("username").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("users with scopes: %w", mapErr(err))
	}
	out := make([]store.User, len(rows))
	for i := range rows {
		out[i] = *rows[i].toUser()
	}
	return out, nil
}

type auditRow struct {
	ID         string    `gorm:"column:id;primaryKey"`
	OccurredAt time.Time `gorm:"column:occurred_at"`
	Actor      string    `gorm:"column:actor"`
	Action     string    `gorm:"column:action"`
	TargetType string    `gorm:"column:target_type"`
	TargetID   string    `gorm:"column:target_id"`
	Fields     []string  `gorm:"column:fields;serializer:json"`
}

func (auditRow) TableName() string { return "audit_events" }

// RecordAudit appends an event (in the caller's transaction, if any).
func (s *Store) RecordAudit(ctx context.Context, e *store.AuditEvent) error {
	if e.OccurredAt.IsZero() {
		e.OccurredAt = s.now()
	}
	row := auditRow{ID: e.ID, OccurredAt: e.OccurredAt.UTC(), Actor: e.Actor, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, Fields: nonNil(e.Fields)}
	return mapErr(s.conn(ctx).Create(&row).Error)
}

// ListAudit pages events, newest first.
func (s *Store) ListAudit(ctx context.Context, p store.Page) ([]store.AuditEvent, int, error) {
	var total int64
	if err := s.conn(ctx).Model(&auditRow{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit events: %w", mapErr(err))
	}
	var rows []auditRow
	if err := page(s.conn(ctx).Order("occurred_at DESC, id DESC"), p).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit events: %w", mapErr(err))
	}
	out := make([]store.AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = store.AuditEvent{ID: r.ID, OccurredAt: r.OccurredAt.UTC(), Actor: r.Actor, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, Fields: nonNil(r.Fields)}
	}
	return out, int(total), nil
}

type notificationRow struct {
	ID         string    `gorm:"column:id;primaryKey"`
	CreatedAt  time.Time `gorm:"column:created_at;autoCreateTime:false"`
	Kind       string    `gorm:"column:kind"`
	ClientID   string    `gorm:"column:client_id"`
	Recipients []string  `gorm:"column:recipients;serializer:json"`
	Subject    string    `gorm:"column:subject"`
	Body       string    `gorm:"column:body"`
	Delivered  bool      `gorm:"column:delivered"`
}

func (notificationRow) TableName() string { return "notifications" }

// CreateNotification stores n.
func (s *Store) CreateNotification(ctx context.Context, n *store.Notification) error {
	if n.CreatedAt.IsZero() {
		n.CreatedAt = s.now()
	}
	row := notificationRow{ID: n.ID, CreatedAt: n.CreatedAt.UTC(), Kind: n.Kind, ClientID: n.ClientID,
		Recipients: nonNil(n.Recipients), Subject: n.Subject, Body: n.Body, Delivered: n.Delivered}
	return mapErr(s.conn(ctx).Create(&row).Error)
}

// ListNotifications pages notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, p store.Page) ([]store.Notification, int, error) {
	var total int64
	if err := s.conn(ctx).Model(&notificationRow{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count notifications: %w", mapErr(err))
	}
	var rows []notificationRow
	if err := page(s.conn(ctx).Order("created_at DESC, id DESC"), p).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", mapErr(err))
	}
	out := make([]store.Notification, len(rows))
	for i, r := range rows {
		out[i] = store.Notification{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), Kind: r.Kind, ClientID: r.ClientID,
			Recipients: nonNil(r.Recipients), Subject: r.Subject, Body: r.Body, Delivered: r.Delivered}
	}
	return out, int(total), nil
}

type reminderRow struct {
	ClientID      string    `gorm:"column:client_id;primaryKey"`
	SecretVersion int64     `gorm:"column:secret_version;primaryKey"`
	ClaimedAt     time.Time `gorm:"column:claimed_at"`
}

func (reminderRow) TableName() string { return "secret_reminders" }

// ClaimReminder inserts the claim row; the primary key lets exactly one
// process win, whatever the number of replicas.
func (s *Store) ClaimReminder(ctx context.Context, clientID string, secretVersion int64) (bool, error) {
	res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&reminderRow{ClientID: clientID, SecretVersion: secretVersion, ClaimedAt: s.now()})
	if res.Error != nil {
		return false, fmt.Errorf("claim reminder: %w", mapErr(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// ReleaseReminder deletes a claim.
func (s *Store) ReleaseReminder(ctx context.Context, clientID string, secretVersion int64) error {
	return mapErr(s.conn(ctx).Where("client_id = ? AND secret_version = ?", clientID, secretVersion).
		Delete(&reminderRow{}).Error)
}

// ClientsWithSecretExpiring lists enabled clients whose secret dies in [from, to).
func (s *Store) ClientsWithSecretExpiring(ctx context.Context, from, to time.Time) ([]store.Client, error) {
	var rows []clientRow
	err := s.conn(ctx).Where("enabled = ? AND secret_hash <> '' AND secret_expires_at >= ? AND secret_expires_at < ?",
		true, from.UTC(), to.UTC()).Order("secret_expires_at, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("clients with expiring secrets: %w", mapErr(err))
	}
	out := make([]store.Client, len(rows))
	for i := range rows {
		out[i] = *rows[i].toClient()
	}
	return out, nil
}

func page(q *gorm.DB, p store.Page) *gorm.DB {
	q = q.Offset(p.Offset)
	if p.Limit > 0 {
		q = q.Limit(p.Limit)
	}
	return q
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
