package postgres

import (
	"context"
	"time"
)

// ClaimRun records that a scheduled job fired at fire, and reports whether
// this call claimed it: false when a run at or after fire is recorded
// already (by this replica, another one, or one before a restart). Two
// replicas claiming the same fire at once update the same row: one of
// them is retried and then finds the run claimed.
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

// ClaimRun is Store.ClaimRun inside a transaction, so that a job claims
// its run in the same commit as its own writes. When it reports false
// nothing is written, and the caller should write nothing either. Fire
// times are kept to the millisecond, as in the bbolt store.
func (tx *Tx) ClaimRun(name string, fire time.Time) (bool, error) {
	fire = time.UnixMilli(fire.UnixMilli()).UTC()
	tag, err := tx.exec(`INSERT INTO runs (name, last_fire) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET last_fire = excluded.last_fire
		WHERE runs.last_fire IS NULL OR runs.last_fire < excluded.last_fire`, name, fire)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// LastRun is the fire time of a job's last claimed run (zero if none).
func (r *reader) LastRun(name string) time.Time {
	ctx := r.ctx
	var t *time.Time
	if err := r.q.QueryRow(ctx, "SELECT last_fire FROM runs WHERE name = $1", name).Scan(&t); err != nil || t == nil {
		if err != nil && !isNoRows(err) {
			r.fail("a run", err)
		}
		return time.Time{}
	}
	return t.UTC()
}

// FirstSeen is when the scheduler first looked for job name's fires (by
// any replica); the first call records now. If the store cannot record it,
// it is now.
func (s *Store) FirstSeen(name string, now time.Time) time.Time {
	now = time.UnixMilli(now.UnixMilli()).UTC()
	var seen time.Time
	_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		_, err := tx.row(`INSERT INTO runs (name, first_seen) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET first_seen = coalesce(runs.first_seen, excluded.first_seen)
			RETURNING first_seen`, []any{name, now}, &seen)
		return nil, err
	})
	if err != nil || seen.IsZero() {
		return now
	}
	return seen.UTC()
}
