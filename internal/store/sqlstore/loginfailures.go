package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var _ store.LoginFailures = (*Store)(nil)

type loginFailureRow struct {
	ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
	Key       string    `gorm:"column:throttle_key"`
	Pending   bool      `gorm:"column:pending"`
	FailedAt  time.Time `gorm:"column:failed_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (loginFailureRow) TableName() string { return "login_failures" }

// TakeLoginAttempt records an attempt and counts its place, in one
// transaction that attempts of the same key take in turn: on PostgreSQL
// under an advisory lock on the key (the two-key form, a space apart from
// the migration lock's), on SQLite because write transactions already
// queue (BEGIN IMMEDIATE). Without the turn, an attempt counting while an
// earlier one is still uncommitted would miss it, and both could pass.
func (s *Store) TakeLoginAttempt(ctx context.Context, key string, at, expires, since time.Time) (int64, int, int, error) {
	var id, place, failures int64
	err := s.InTx(ctx, func(ctx context.Context) error {
		if s.dialect == Postgres {
			if err := s.conn(ctx).Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", loginThrottleLockClass, key).Error; err != nil {
				return err
			}
		}
		row := loginFailureRow{Key: key, Pending: true, FailedAt: at.UTC(), ExpiresAt: expires.UTC()}
		if err := s.conn(ctx).Create(&row).Error; err != nil {
			return err
		}
		id = row.ID
		window := s.conn(ctx).Model(&loginFailureRow{}).Where("throttle_key = ? AND failed_at > ?", key, since.UTC())
		if err := window.Session(&gorm.Session{}).Where("id <= ?", id).Count(&place).Error; err != nil {
			return err
		}
		return window.Session(&gorm.Session{}).Where("pending = ?", false).Count(&failures).Error
	})
	if err != nil {
		return 0, 0, 0, mapErr(err)
	}
	return id, int(place), int(failures), nil
}

// SettleLoginFailure marks a pending attempt as failed.
func (s *Store) SettleLoginFailure(ctx context.Context, id int64) error {
	return mapErr(s.conn(ctx).Model(&loginFailureRow{}).Where("id = ?", id).Update("pending", false).Error)
}

// loginThrottleLockClass is the first key of the advisory locks that put
// attempts of one throttle key in turn.
const loginThrottleLockClass = 7241002

// OldestLoginFailure is the earliest settled failure of key after since.
func (s *Store) OldestLoginFailure(ctx context.Context, key string, since time.Time) (time.Time, error) {
	var rows []loginFailureRow
	err := s.conn(ctx).Where("throttle_key = ? AND failed_at > ? AND pending = ?", key, since.UTC(), false).
		Order("failed_at").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return time.Time{}, mapErr(err)
	}
	return rows[0].FailedAt.UTC(), nil
}

// DeleteLoginFailure forgets one attempt (it succeeded, or was refused).
func (s *Store) DeleteLoginFailure(ctx context.Context, id int64) error {
	return mapErr(s.conn(ctx).Where("id = ?", id).Delete(&loginFailureRow{}).Error)
}

// ClearLoginFailures forgets the failures of key (after a successful sign-in).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return mapErr(s.conn(ctx).Where("throttle_key = ?", key).Delete(&loginFailureRow{}).Error)
}
