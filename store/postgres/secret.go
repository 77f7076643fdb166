package postgres

import (
	"context"
	"crypto/rand"
)

// LinkKey returns the store's key for signing links (to the HTML report),
// creating it on first use. Every replica reads the same key, so a link
// one of them signed opens on any other.
func (s *Store) LinkKey(ctx context.Context) ([]byte, error) {
	return s.secretKey(ctx, "link_key")
}

// SessionKey returns the store's key for signing the web console's session
// cookies, creating it on first use; shared by the replicas like the link
// key, and apart from it.
func (s *Store) SessionKey(ctx context.Context) ([]byte, error) {
	return s.secretKey(ctx, "session_key")
}

// secretKey returns the 32-byte key stored under name, creating it on
// first use. Replicas asking at once create one: the first insert wins and
// the others read it.
func (s *Store) secretKey(ctx context.Context, name string) ([]byte, error) {
	res, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		var out []byte
		_, err := tx.row(`INSERT INTO secrets (name, key) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET key = secrets.key RETURNING key`, []any{name, k}, &out)
		return out, err
	})
	return res, err
}

// RotateLinkKey replaces the link key with a new one: every link signed so
// far is refused from then on, by every replica.
func (s *Store) RotateLinkKey(ctx context.Context) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		_, err := tx.exec(`INSERT INTO secrets (name, key) VALUES ('link_key', $1)
			ON CONFLICT (name) DO UPDATE SET key = excluded.key`, k)
		return nil, err
	})
	return err
}
