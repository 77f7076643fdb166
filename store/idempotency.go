package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Idempotency keys name a request as the platform sent it (a Slack
// trigger_id, a Feishu event_id or message_id, a card click token). The key
// and the first result are written in the same transaction as the request's
// entries, so a replay finds either nothing (and applies once) or the result.

func idemGet(btx *bolt.Tx, k string) []byte {
	v := btx.Bucket(bucketIdem).Get([]byte(k))
	if v == nil {
		return nil
	}
	out := make([]byte, len(v)-8)
	copy(out, v[8:])
	return out
}

func idemPut(btx *bolt.Tx, k string, now time.Time, res []byte) error {
	ts := encodeU64(uint64(now.UnixMilli()))
	if err := btx.Bucket(bucketIdem).Put([]byte(k), append(ts, res...)); err != nil {
		return err
	}
	return btx.Bucket(bucketIdemExp).Put(append(ts, k...), nil)
}

// purgeIdempotency forgets keys older than the TTL, at most once a minute
// and a bounded number per commit so a backlog never makes one commit slow.
func (s *Store) purgeIdempotency(btx *bolt.Tx, now time.Time) error {
	if now.Sub(s.lastPurge) < time.Minute {
		return nil
	}
	s.lastPurge = now
	cutoff := uint64(now.Add(-s.ttl).UnixMilli())
	exp, idem := btx.Bucket(bucketIdemExp), btx.Bucket(bucketIdem)
	var old [][]byte
	c := exp.Cursor()
	for k, _ := c.First(); k != nil && len(old) < 10000; k, _ = c.Next() {
		if decodeU64(k[:8]) >= cutoff {
			break
		}
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		if err := idem.Delete(k[8:]); err != nil {
			return err
		}
		if err := exp.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Seen reports whether an idempotency key is recorded, and its result.
func (s *Store) Seen(k string) ([]byte, bool) {
	var res []byte
	_ = s.view(func(btx *bolt.Tx) error {
		res = idemGet(btx, k)
		return nil
	})
	return res, res != nil
}
