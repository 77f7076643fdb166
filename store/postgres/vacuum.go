package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rewriting tables: PostgreSQL keeps a row that a transaction deleted or
// replaced (a dead row, with its old values and its xmin) until a vacuum
// removes it, and a plain VACUUM leaves its bytes where they were. A
// write that must leave no copy of what it removed (the close of an
// anonymous survey round: the answers under their members' keys, in the
// order they came; the forgetting of a member) marks the tables it
// touched, in meta ("vacuum:TABLE" = its transaction id), in its own
// transaction. After its commit, once no transaction that began before it
// is still running (such a transaction could still see the removed rows,
// and VACUUM FULL would copy them), the table is rewritten by VACUUM FULL
// and the mark removed. A mark left by a replica that stopped in between,
// or that waited in vain, is taken up at the next Open, and by every
// replica's writes once a minute (maybePurge).

// vacuumable lists the tables a mark may name.
var vacuumable = map[string]bool{
	"survey_answers": true, "members": true, "entries": true, "feedback": true, "ratings": true, "idempotency": true,
}

// vacuumWait bounds how long a write waits, after its commit, for the
// transactions older than it to end before it rewrites a table.
const vacuumWait = 30 * time.Second

// errVacuumWaits says a marked table could not be rewritten yet: an older
// transaction still runs.
var errVacuumWaits = errors.New("store: a table to rewrite waits for an older transaction to end")

// vacuumAfter marks tables to be rewritten once the transaction commits.
func (tx *Tx) vacuumAfter(tables ...string) error {
	for _, t := range tables {
		if !vacuumable[t] {
			return errors.New("store: no such table to rewrite: " + t)
		}
		if _, err := tx.exec(`INSERT INTO meta (key, value) VALUES ($1, pg_current_xact_id()::text)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, "vacuum:"+t); err != nil {
			return err
		}
	}
	tx.vacuum = true
	return nil
}

// vacuumMarked rewrites every marked table, waiting up to wait for the
// transactions older than its mark to end; a table still waiting keeps
// its mark and errVacuumWaits is returned.
func (s *Store) vacuumMarked(ctx context.Context, wait time.Duration) error {
	rows, err := s.pool.Query(ctx, "SELECT key, value FROM meta WHERE starts_with(key, 'vacuum:') ORDER BY key")
	if err != nil {
		return err
	}
	marks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Key, Value string }])
	if err != nil {
		return err
	}
	var waits error
	for _, m := range marks {
		table := strings.TrimPrefix(m.Key, "vacuum:")
		xid, err := strconv.ParseUint(m.Value, 10, 64)
		if !vacuumable[table] || err != nil {
			s.log.Error("store: a mark to rewrite a table names none", "mark", m.Key)
			continue
		}
		clear, err := s.olderEnded(ctx, xid, wait)
		if err != nil {
			return err
		}
		if !clear {
			waits = errVacuumWaits
			continue
		}
		if err := s.vacuumFull(ctx, table); err != nil {
			return err
		}
		// A later mark (another close meanwhile) stays for its own turn.
		if _, err := s.pool.Exec(ctx, "DELETE FROM meta WHERE key = $1 AND value = $2", m.Key, m.Value); err != nil {
			return err
		}
	}
	return waits
}

// olderEnded waits, up to wait, until no session of the database but
// this one holds a snapshot or a transaction id from before transaction
// xid (a full transaction id) ended: every later snapshot sees what xid
// removed as removed.
func (s *Store) olderEnded(ctx context.Context, xid uint64, wait time.Duration) (bool, error) {
	xid32 := strconv.FormatUint(xid%(1<<32), 10)
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		var clear bool
		err := s.pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND (
				(backend_xmin IS NOT NULL AND age(backend_xmin) >= age($1::text::xid)) OR
				(backend_xid IS NOT NULL AND age(backend_xid) >= age($1::text::xid))))`, xid32).Scan(&clear)
		if err != nil || clear || !time.Now().Before(deadline) {
			return clear, err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// vacuumFull rewrites table on a connection of its own, giving up if
// another session holds it for more than a few seconds (the mark stays).
func (s *Store) vacuumFull(ctx context.Context, table string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET lock_timeout = '5s'"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM (FULL) "+pgx.Identifier{table}.Sanitize())
	if _, rerr := conn.Exec(ctx, "RESET lock_timeout"); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// afterCommit rewrites the tables the write marked (see vacuumMarked): a
// failure or a long wait is logged, and the mark stays for a later try.
func (s *Store) afterCommit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), vacuumWait+time.Minute)
	defer cancel()
	if err := s.vacuumMarked(ctx, vacuumWait); err != nil {
		s.log.Error("store: rewriting the tables a write removed rows from; it will be tried again", "err", err)
	}
}
