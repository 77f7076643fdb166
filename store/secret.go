package store

import (
	"context"
	"crypto/rand"
)

// LinkKey returns the store's key for signing links (to the HTML report),
// creating it on first use. It lives in the store, never in the config or
// the logs, so links survive restarts and die with the store.
func (s *Store) LinkKey(ctx context.Context) ([]byte, error) {
	res, _, err := s.Write(ctx, "", func(tx *Tx) ([]byte, error) {
		meta := tx.tx.Bucket(bucketMeta)
		if k := meta.Get([]byte("link_key")); len(k) == 32 {
			return append([]byte(nil), k...), nil
		}
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return k, tx.put(bucketMeta, []byte("link_key"), k)
	})
	return res, err
}
