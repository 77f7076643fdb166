package store

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ClaimRun records that a scheduled job fired at fire, and reports whether
// this call claimed it: false when a run at or after fire is recorded
// already (by an earlier process, or one racing this one). A job is
// claimed just before it runs, so a restart never runs it twice.
func (s *Store) ClaimRun(ctx context.Context, name string, fire time.Time) (bool, error) {
	res, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		ok, err := tx.ClaimRun(name, fire)
		if !ok || err != nil {
			return []byte{0}, err
		}
		return []byte{1}, nil
	})
	return err == nil && len(res) == 1 && res[0] == 1, err
}

// ClaimRun is Store.ClaimRun inside a transaction, so a job can claim its
// run in the same commit as its own writes: the run is recorded if and
// only if they are. When it reports false nothing is written, and the
// caller should write nothing either.
func (tx *Tx) ClaimRun(name string, fire time.Time) (bool, error) {
	if last := decodeU64(tx.tx.Bucket(bucketRuns).Get([]byte(name))); last != 0 && int64(last) >= fire.UnixMilli() {
		return false, nil
	}
	return true, tx.put(bucketRuns, []byte(name), encodeU64(uint64(fire.UnixMilli())))
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

// FirstSeen is when the scheduler first looked for job name's fires; the
// first call records now. A job that never ran is due from then on, so
// that a new job posts nothing of the past, and a first run that a
// restart cut short is still due afterwards. If the store cannot record
// it, it is now.
func (s *Store) FirstSeen(name string, now time.Time) time.Time {
	key := []byte("first_seen\x00" + name)
	var seen time.Time
	_ = s.view(func(btx *bolt.Tx) error {
		if v := decodeU64(btx.Bucket(bucketRuns).Get(key)); v != 0 {
			seen = time.UnixMilli(int64(v)).UTC()
		}
		return nil
	})
	if !seen.IsZero() {
		return seen
	}
	res, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		if v := tx.tx.Bucket(bucketRuns).Get(key); v != nil {
			return bytes.Clone(v), nil
		}
		v := encodeU64(uint64(now.UnixMilli()))
		return v, tx.put(bucketRuns, key, v)
	})
	if err != nil || len(res) != 8 {
		return now
	}
	return time.UnixMilli(int64(decodeU64(res))).UTC()
}
