package postgres

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Rewriting tables: PostgreSQL keeps a row that a transaction deleted or
// replaced (a dead row, with its old values and its xmin) until a vacuum
// removes it, and a plain VACUUM leaves its bytes where they were. A
// write that must leave no copy of what it removed (the close of an
// anonymous survey round: the answers under their members' keys, in the
// order they came; the forgetting of a member) marks the tables it
// touched, in meta ("vacuum:TABLE" = its transaction id), in its own
// transaction. After its commit the table is rewritten by VACUUM FULL,
// and the mark removed once a rewrite kept no dead row. A snapshot older
// than the commit, in any database of the server, could still see the
// removed rows, and VACUUM FULL then copies them: so the rewrite waits for
// the older sessions it can see to end, and reads from VACUUM VERBOSE's
// report whether it had to keep dead rows all the same (sessions of
// other roles are hidden from it). A mark left by a replica that stopped
// in between, or that waited in vain, is taken up at the next Open, and
// by every replica's writes once a minute (maybePurge).

// vacuumable lists the tables a mark may name.
var vacuumable = map[string]bool{
	"survey_answers": true, "members": true, "entries": true, "feedback": true, "ratings": true, "idempotency": true,
	"outbox": true,
}

// vacuumWait bounds how long a write waits, after its commit, for the
// transactions older than it to end before it rewrites a table (tests
// shorten it: Store.vacuumWait).
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

// vacuumMarked rewrites every marked table, once no transaction older
// than its mark is seen (waiting up to wait), and removes the mark once
// the rewrite kept no dead row; a table that is not rewritten clean keeps
// its mark, and errVacuumWaits is returned.
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
		kept, err := s.vacuumFull(ctx, table)
		if err != nil {
			return err
		}
		if kept > 0 {
			// A transaction this role cannot see (another role's, in
			// any database of the server) still holds them.
			waits = errVacuumWaits
			continue
		}
		// A later mark (another close meanwhile) stays for its own turn.
		if _, err := s.pool.Exec(ctx, "DELETE FROM meta WHERE key = $1 AND value = $2", m.Key, m.Value); err != nil {
			return err
		}
	}
	return waits
}

// olderEnded waits, up to wait, until no session of the server that this
// role can see, but this one, holds a snapshot or a transaction id from
// before transaction xid (a full transaction id) ended: every later
// snapshot sees what xid removed as removed. Sessions of every database
// count: VACUUM FULL keeps a row that a snapshot in any of them might
// still see.
func (s *Store) olderEnded(ctx context.Context, xid uint64, wait time.Duration) (bool, error) {
	xid32 := strconv.FormatUint(xid%(1<<32), 10)
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		var clear bool
		err := s.pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND (
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

// deadKept finds, in the detail of VACUUM VERBOSE's report, how many dead
// rows it could not remove: "N dead row versions cannot be removed yet"
// (in a server speaking another language, the first number of the
// detail).
var deadKept = regexp.MustCompile(`(\d+) dead row versions cannot be removed yet`)
var firstNumber = regexp.MustCompile(`\d+`)

// vacuumFull rewrites table on a connection of its own, giving up if
// another session holds it for more than a few seconds, and returns how
// many dead rows the rewrite had to keep (a snapshot somewhere may still
// see them).
func (s *Store) vacuumFull(ctx context.Context, table string) (kept int, err error) {
	cfg := s.connCfg.Copy()
	var details []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if n.Detail != "" {
			details = append(details, n.Detail)
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SET lock_timeout = '5s'"); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "VACUUM (FULL, VERBOSE) "+pgx.Identifier{table}.Sanitize()); err != nil {
		return 0, err
	}
	for _, d := range details {
		m := deadKept.FindStringSubmatch(d)
		if m == nil {
			m = []string{"", firstNumber.FindString(d)}
		}
		if n, err := strconv.Atoi(m[1]); err == nil {
			kept += n
		}
	}
	return kept, nil
}

// afterCommit rewrites the tables the write marked (see vacuumMarked),
// trying again for up to vacuumWait while an older transaction is in the
// way; then the mark stays for the writes' tries once a minute
// (maybePurge) and the next Open. A failure is logged.
func (s *Store) afterCommit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.vacuumWait+time.Minute)
	defer cancel()
	deadline := time.Now().Add(s.vacuumWait)
	var err error
	for pause := 50 * time.Millisecond; ; pause = min(4*pause, 3*time.Second) {
		if err = s.vacuumMarked(ctx, max(0, time.Until(deadline))); !errors.Is(err, errVacuumWaits) || time.Until(deadline) < pause {
			break
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	s.logVacuum(err)
}

func (s *Store) logVacuum(err error) {
	switch {
	case err == nil || s.closed.Load():
	case errors.Is(err, errVacuumWaits):
		s.log.Warn("store: a table with removed rows waits for older transactions to end before it is rewritten; it will be tried again")
	default:
		s.log.Error("store: rewriting the tables a write removed rows from; it will be tried again", "err", err)
	}
}

// retryVacuum takes up, in the background, the tables still marked to be
// rewritten, if nothing older is in the way: a write that called it does
// not wait for a rewrite. One runs at a time; Close waits for it.
func (s *Store) retryVacuum() {
	if !s.vacuuming.CompareAndSwap(false, true) {
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer s.vacuuming.Store(false)
		ctx, cancel := context.WithTimeout(s.stop, vacuumWait+time.Minute)
		defer cancel()
		s.logVacuum(s.vacuumMarked(ctx, 0))
	}()
}
