package store

import (
	"context"
	"crypto/rand"
)

// linkKeyName is the meta key of the link key. Backups leave it out (see
// compactTo): whoever holds a backup cannot sign links, and a restored
// store signs with a new key.
var linkKeyName = []byte("link_key")

// LinkKey returns the store's key for signing links (to the HTML report),
// creating it on first use. It lives in the store, never in the config, the
// logs or the backups, so links survive restarts and die with the store (or
// with RotateLinkKey).
func (s *Store) LinkKey(ctx context.Context) ([]byte, error) {
	res, _, err := s.Write(ctx, "", func(tx *Tx) ([]byte, error) {
		meta := tx.tx.Bucket(bucketMeta)
		if k := meta.Get(linkKeyName); len(k) == 32 {
			return append([]byte(nil), k...), nil
		}
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return k, tx.put(bucketMeta, linkKeyName, k)
	})
	return res, err
}

// RotateLinkKey replaces the link key with a new one: every link signed so
// far is refused from then on.
func (s *Store) RotateLinkKey(ctx context.Context) error {
	_, _, err := s.Write(ctx, "", func(tx *Tx) ([]byte, error) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return nil, tx.put(bucketMeta, linkKeyName, k)
	})
	return err
}
