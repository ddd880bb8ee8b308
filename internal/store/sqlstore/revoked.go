package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const tableRevoked = "oauth_revoked_tokens"

var _ store.RevokedTokens = (*Store)(nil)

type revokedRow struct {
	JTI       string    `gorm:"column:jti;primaryKey"`
	ClientID  string    `gorm:"column:client_id"`
	RevokedAt time.Time `gorm:"column:revoked_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (revokedRow) TableName() string { return tableRevoked }

// RevokeTokenID puts a stateless token on the denylist until it expires.
// Revoking it twice is not an error (RFC 7009 §2.2).
func (s *Store) RevokeTokenID(ctx context.Context, jti, clientID string, expiresAt time.Time) error {
	row := revokedRow{JTI: jti, ClientID: clientID, RevokedAt: s.now(), ExpiresAt: expiresAt.UTC()}
	return fositeErr(s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error)
}

// TokenIDRevoked reports whether jti is on the denylist. Outside a
// transaction concurrent lookups share one query; each still starts after
// its caller asked, so a revocation committed before the question is
// always seen, on every replica.
func (s *Store) TokenIDRevoked(ctx context.Context, jti string) (bool, error) {
	if inTx(ctx) {
		var n int64
		err := s.conn(ctx).Model(&revokedRow{}).Where("jti = ?", jti).Count(&n).Error
		return n > 0, fositeErr(err)
	}
	return s.revokedCheck.do(ctx, jti)
}

// checkRevoked is the group read behind TokenIDRevoked.
func (s *Store) checkRevoked(batch []*call[string, bool]) {
	ids := make([]string, len(batch))
	for i, c := range batch {
		ids[i] = c.in
	}
	ctx, cancel := s.batchContext()
	defer cancel()
	var found []string
	err := fositeErr(s.db.WithContext(ctx).Model(&revokedRow{}).Where("jti IN ?", ids).Pluck("jti", &found).Error)
	revoked := make(map[string]bool, len(found))
	for _, id := range found {
		revoked[id] = true
	}
	for _, c := range batch {
		c.out, c.err = revoked[c.in], err
	}
}
