package store

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ClaimRun records that a scheduled job fired at fire, and reports whether
// this call claimed it: false when a run at or after fire is recorded
// already (by an earlier process, or one racing this one). A job is
// claimed before it posts, so a restart never posts twice.
func (s *Store) ClaimRun(ctx context.Context, name string, fire time.Time) (bool, error) {
	res, _, err := s.Write(ctx, "", func(tx *Tx) ([]byte, error) {
		b := tx.tx.Bucket(bucketRuns)
		if last := decodeU64(b.Get([]byte(name))); last != 0 && int64(last) >= fire.UnixMilli() {
			return []byte{0}, nil
		}
		return []byte{1}, tx.put(bucketRuns, []byte(name), encodeU64(uint64(fire.UnixMilli())))
	})
	return err == nil && len(res) == 1 && res[0] == 1, err
}

// LastRun is the fire time of a job's last claimed run (zero if none).
func (s *Store) LastRun(name string) time.Time {
	var t time.Time
	_ = s.view(func(btx *bolt.Tx) error {
		if v := decodeU64(btx.Bucket(bucketRuns).Get([]byte(name))); v != 0 {
			t = time.UnixMilli(int64(v)).UTC()
		}
		return nil
	})
	return t
}
