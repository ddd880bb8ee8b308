package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

type signingKeyRow struct {
	KID         string    `gorm:"column:kid;primaryKey"`
	Algorithm   string    `gorm:"column:algorithm"`
	PublicJWK   string    `gorm:"column:public_jwk"`
	PrivateSeal []byte    `gorm:"column:private_seal"`
	CreatedAt   time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ActivatesAt time.Time `gorm:"column:activates_at"`
}

func (signingKeyRow) TableName() string { return "signing_keys" }

// CreateSigningKey stores a new key pair.
func (s *Store) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	row := signingKeyRow{
		KID: k.KID, Algorithm: k.Algorithm, PublicJWK: string(k.PublicJWK), PrivateSeal: k.PrivateSeal,
		CreatedAt: k.CreatedAt.UTC(), ActivatesAt: k.ActivatesAt.UTC(),
	}
	if err := mapErr(s.conn(ctx).Create(&row).Error); err != nil {
		return fmt.Errorf("create signing key %q: %w", k.KID, err)
	}
	return nil
}

// ListSigningKeys returns every stored key, oldest activation first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var rows []signingKeyRow
	if err := s.conn(ctx).Order("activates_at, kid").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list signing keys: %w", mapErr(err))
	}
	out := make([]store.SigningKey, len(rows))
	for i, r := range rows {
		out[i] = store.SigningKey{
			KID: r.KID, Algorithm: r.Algorithm, PublicJWK: []byte(r.PublicJWK), PrivateSeal: r.PrivateSeal,
			CreatedAt: r.CreatedAt.UTC(), ActivatesAt: r.ActivatesAt.UTC(),
		}
	}
	return out, nil
}
