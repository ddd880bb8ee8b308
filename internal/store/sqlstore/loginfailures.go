package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var _ store.LoginFailures = (*Store)(nil)

type loginFailureRow struct {
	ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
	Key       string    `gorm:"column:throttle_key"`
	FailedAt  time.Time `gorm:"column:failed_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (loginFailureRow) TableName() string { return "login_failures" }

// RecordLoginFailure remembers one failed sign-in of key.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at, expires time.Time) error {
	return mapErr(s.conn(ctx).Create(&loginFailureRow{Key: key, FailedAt: at.UTC(), ExpiresAt: expires.UTC()}).Error)
}

// RecentLoginFailures returns up to limit failures of key after since, oldest first.
func (s *Store) RecentLoginFailures(ctx context.Context, key string, since time.Time, limit int) ([]time.Time, error) {
	var rows []loginFailureRow
	err := s.conn(ctx).Where("throttle_key = ? AND failed_at > ?", key, since.UTC()).
		Order("failed_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]time.Time, len(rows))
	for i, r := range rows {
		out[i] = r.FailedAt.UTC()
	}
	return out, nil
}

// ClearLoginFailures forgets the failures of key (after a successful sign-in).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return mapErr(s.conn(ctx).Where("throttle_key = ?", key).Delete(&loginFailureRow{}).Error)
}
