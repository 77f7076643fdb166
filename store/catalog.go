package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CatalogVersion is one version of the rule catalog as the store recorded it.
type CatalogVersion struct {
	Version     int             `json:"version"`
	Fingerprint string          `json:"fingerprint"`
	Since       time.Time       `json:"since"`
	Catalog     json.RawMessage `json:"catalog"`
}

// RegisterCatalog returns the version number of the catalog with the given
// fingerprint, recording it as a new version (with its content, for the
// record) the first time it is seen. A catalog that comes back after a
// change keeps its old number.
func (s *Store) RegisterCatalog(ctx context.Context, fingerprint string, content any) (int, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return 0, err
	}
	res, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		meta := tx.tx.Bucket(bucketMeta)
		fk := []byte("catalog\x00" + fingerprint)
		if v := meta.Get(fk); v != nil {
			return append([]byte(nil), v...), nil
		}
		b := tx.tx.Bucket(bucketCatalogs)
		seq, err := b.NextSequence()
		if err != nil {
			return nil, err
		}
		cv, err := json.Marshal(CatalogVersion{Version: int(seq), Fingerprint: fingerprint, Since: tx.now, Catalog: raw})
		if err != nil {
			return nil, err
		}
		vk := binary.BigEndian.AppendUint32(nil, uint32(seq))
		if err := tx.put(bucketCatalogs, vk, cv); err != nil {
			return nil, err
		}
		return vk, tx.put(bucketMeta, fk, vk)
	})
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint32(res)), nil
}

// CatalogVersions lists every recorded version, oldest first.
func (s *Store) CatalogVersions() ([]CatalogVersion, error) {
	var out []CatalogVersion
	err := s.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketCatalogs).ForEach(func(_, v []byte) error {
			var cv CatalogVersion
			if err := json.Unmarshal(v, &cv); err != nil {
				return err
			}
			out = append(out, cv)
			return nil
		})
	})
	return out, err
}
