package store

import (
	"bytes"
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
	return s.secretKey(ctx, linkKeyName)
}

// sessionKeyName is the meta key of the console's session key; backups
// leave it out like the link key, so a backup's holder cannot forge a
// console session.
var sessionKeyName = []byte("session_key")

// SessionKey returns the store's key for signing the web console's session
// cookies, creating it on first use. It is kept like the link key (in the
// store only, never in backups) but apart from it, so that rotating one
// does not end the other's sessions or links.
func (s *Store) SessionKey(ctx context.Context) ([]byte, error) {
	return s.secretKey(ctx, sessionKeyName)
}

// backupOmits reports whether a meta key is a secret that backups leave out.
func backupOmits(key []byte) bool {
	return bytes.Equal(key, linkKeyName) || bytes.Equal(key, sessionKeyName)
}

// secretKey returns the 32-byte key stored under name in the meta bucket,
// creating it on first use.
func (s *Store) secretKey(ctx context.Context, name []byte) ([]byte, error) {
	res, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		meta := tx.tx.Bucket(bucketMeta)
		if k := meta.Get(name); len(k) == 32 {
			return append([]byte(nil), k...), nil
		}
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return k, tx.put(bucketMeta, name, k)
	})
	return res, err
}

// RotateLinkKey replaces the link key with a new one: every link signed so
// far is refused from then on.
func (s *Store) RotateLinkKey(ctx context.Context) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		return nil, tx.put(bucketMeta, linkKeyName, k)
	})
	return err
}
