package postgres

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"jifen/store"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrOutcomeUnknown is returned when the connection was lost while COMMIT
// was in flight and the outcome could not be read back either (the server
// is unreachable): the write may have been recorded or not. A retry with
// the same idempotency key replays it if it was.
var ErrOutcomeUnknown = errors.New("the store did not confirm the write; it may have been recorded")

// WriteFunc is the body of a write. It runs inside one transaction (see
// Tx for what its reads lock); an error it returns rolls everything back.
// It may run more than once (a transaction the database aborted, or whose
// connection was lost, is run again), so it must act only through the Tx
// and the variables it sets.
// The result is what the caller gets back, and for an idempotent write
// what every replay of the same key gets back.
type WriteFunc func(tx *Tx) ([]byte, error)

// Write runs fn in a transaction and returns once it committed. With a
// non-empty key the write is idempotent: if the key was already recorded
// (within the idempotency window, by any replica) fn is not run and the
// first result is returned with replayed = true. An error returned by fn
// writes nothing and records no key. A ctx from store.WithAudit also
// writes its audit record in the transaction.
//
// Serialization failures, deadlocks and connections lost before COMMIT
// was sent are retried with backoff. A connection lost during COMMIT is
// resolved by looking the write's key up on another connection. So fn
// may run more than once, as a WriteFunc may.
func (s *Store) Write(ctx context.Context, key string, fn func(store.Txn) ([]byte, error)) (res []byte, replayed bool, err error) {
	return s.write(ctx, key, func(tx *Tx) ([]byte, error) { return fn(tx) })
}

// write is Write for the package's own writes, which use the Tx's methods
// beyond the contract.
func (s *Store) write(ctx context.Context, key string, fn WriteFunc) (res []byte, replayed bool, err error) {
	if s.closed.Load() {
		return nil, false, ErrClosed
	}
	// Every write records a key, so that a commit whose outcome is unknown
	// can be looked up; a write without one gets a random key that only
	// this call knows, kept as long as the others.
	ikey := key
	if ikey == "" {
		var b [16]byte
		_, _ = crand.Read(b[:])
		ikey = "write:" + hex.EncodeToString(b[:])
	}
	// mayHaveCommitted: an earlier attempt's COMMIT was in flight when its
	// connection was lost; finding the key then means that attempt
	// committed, so the result is this call's own, not a replay.
	mayHaveCommitted := false
	defer s.maybePurge()
	// A ctx from store.WithAudit has its audit record written with the
	// write, in the same transaction, when fn succeeds.
	if rec, ok := store.AuditFrom(ctx); ok {
		act := fn
		fn = func(tx *Tx) ([]byte, error) {
			res, err := act(tx)
			if err == nil {
				err = tx.Audit(rec)
			}
			return res, err
		}
	}
	for attempt := 1; ; attempt++ {
		res, replayed, err = s.attempt(ctx, ikey, key != "", fn)
		var amb *ambiguousCommit
		switch {
		case err == nil:
			if replayed && (mayHaveCommitted || key == "") {
				replayed = false
			}
			return res, replayed, nil
		case errors.As(err, &amb):
			mayHaveCommitted = true
			r, found, lerr := s.lookup(ctx, ikey)
			if lerr != nil {
				s.log.Error("store: a commit's outcome is unknown and could not be read back", "err", amb.err, "lookup_err", lerr)
				return nil, false, ErrOutcomeUnknown
			}
			if found {
				// It committed; whether it queued a message, or changed
				// a board, is not known here: a needless wake-up costs
				// one poll, a needless move of the boards' counter one
				// board read again.
				s.outbox.Notify()
				s.bumpBoards(ctx)
				return r, false, nil
			}
			// Not committed (or still in flight: then the next attempt
			// waits on the key's row and finds it). Try again.
			s.log.Warn("store: connection lost during commit; the write was not recorded, retrying", "err", amb.err)
		case !retryable(err):
			return nil, false, err
		}
		s.retries.Add(1)
		if attempt >= s.maxAttempts {
			return nil, false, fmt.Errorf("store: write gave up after %d attempts: %w", attempt, err)
		}
		if werr := backoff(ctx, attempt); werr != nil {
			return nil, false, werr
		}
	}
}

// ambiguousCommit wraps a failure of COMMIT after it may have reached the
// server.
type ambiguousCommit struct{ err error }

func (a *ambiguousCommit) Error() string { return "commit outcome unknown: " + a.err.Error() }
func (a *ambiguousCommit) Unwrap() error { return a.err }

// lostConn marks an error that ended the connection before COMMIT was
// sent: the transaction cannot have committed.
type lostConn struct{ err error }

func (l *lostConn) Error() string { return "connection lost: " + l.err.Error() }
func (l *lostConn) Unwrap() error { return l.err }

// retryable reports whether a failed attempt committed nothing and may be
// tried again: a serialization failure, a deadlock, a connection lost
// before COMMIT was sent, or a write's own key found recorded by an
// earlier attempt and then not found.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" || keyRecorded(err)
	}
	var lc *lostConn
	return errors.As(err, &lc)
}

// backoff waits before attempt+1: exponential with full jitter, from 1 ms
// up to 100 ms, so that racing writers spread out.
func backoff(ctx context.Context, attempt int) error {
	ceil := time.Millisecond << min(attempt, 7)
	d := time.Duration(rand.Int64N(int64(min(ceil, 100*time.Millisecond)))) + time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lookup reads the result recorded under key, on a connection of its
// own, even if the caller gave up: the answer must not stay "maybe".
func (s *Store) lookup(ctx context.Context, key string) (res []byte, found bool, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
	defer cancel()
	for try := 1; ; try++ {
		err = s.pool.QueryRow(ctx, "SELECT result FROM idempotency WHERE key = $1", key).Scan(&res)
		switch {
		case err == nil:
			return res, true, nil
		case errors.Is(err, pgx.ErrNoRows):
			return nil, false, nil
		case try >= 5:
			return nil, false, err
		}
		if werr := backoff(ctx, try+3); werr != nil {
			return nil, false, err
		}
	}
}

// attempt runs one transaction. Its errors are the write function's own,
// a *pgconn.PgError, a *lostConn or an *ambiguousCommit. callerKey tells a
// caller's idempotency key from one write drew for itself.
func (s *Store) attempt(ctx context.Context, key string, callerKey bool, fn WriteFunc) (res []byte, replayed bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, &lostConn{err}
	}
	defer conn.Release()
	now := s.Now()
	ptx := &connTx{conn: conn.Conn()}
	done := false
	defer func() {
		if !done {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = ptx.Rollback(rctx)
			cancel()
		}
	}()
	// A caller's key first, sent with BEGIN in one round trip: a
	// concurrent write of the same key (on any replica) makes this insert
	// wait for it to end; if it committed, nothing is inserted and its
	// result is replayed. A key of the write's own, which nothing else
	// knows, is recorded last, with the result, and with times that may
	// not be now (Tx.keyTimes).
	// Without a caller's key, BEGIN is sent with the write's first
	// statements (see connTx.deferBegin).
	if callerKey {
		b := &pgx.Batch{}
		b.Queue(beginWrite)
		b.Queue(`INSERT INTO idempotency (key, at, expires) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING`, key, now, now.Add(s.ttl))
		br := ptx.conn.SendBatch(ctx, b)
		_, err = br.Exec()
		var tag pgconn.CommandTag
		if err == nil {
			tag, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, false, s.beforeCommit(ctx, conn.Conn(), err)
		}
		if tag.RowsAffected() == 0 {
			return s.replay(ctx, conn.Conn(), ptx, key)
		}
	} else {
		ptx.deferBegin()
	}
	tx := &Tx{ctx: ctx, tx: ptx, ct: ptx, s: s, now: now}
	res, err = tx.call(fn)
	if err == nil && tx.err == nil {
		err = tx.anonymousOnly(callerKey, res)
	}
	if tx.err != nil {
		// A statement failed, and PostgreSQL aborted the transaction,
		// whatever fn made of it.
		err = tx.err
	}
	if err != nil {
		return nil, false, s.beforeCommit(ctx, conn.Conn(), err)
	}
	// The key's result is written in the round trip of COMMIT, and a
	// write that changed the boards bumps their counter once it is
	// durable (see Store.boards).
	stored := res
	switch {
	case !callerKey:
		// Without ON CONFLICT: an earlier attempt whose commit was in
		// flight when its connection was lost holds the key, or
		// committed it; this insert waits for it, and then fails (the
		// transaction, and the COMMIT after it, with it) if the key is
		// recorded: the result is then replayed (see keyRecorded).
		if stored == nil {
			stored = []byte{} // NULL is no result
		}
		at, expires := tx.keyTimes()
		ptx.final = &pgx.Batch{}
		ptx.final.Queue("INSERT INTO idempotency (key, at, expires, result) VALUES ($1, $2, $3, $4)", key, at, expires, stored)
	case len(stored) > 0:
		// The key's row holds an empty result already.
		ptx.final = &pgx.Batch{}
		ptx.final.Queue("UPDATE idempotency SET result = $2 WHERE key = $1", key, stored)
	}
	switch {
	case ptx.members:
		ptx.after = bumpMembers
	case ptx.boards:
		ptx.after = bumpBoards
	}
	done = true
	if err := s.commit(ctx, ptx); err != nil {
		var pe *pgconn.PgError
		switch {
		case keyRecorded(err):
			// The write's own key was recorded by an earlier attempt
			// of this write, which committed: this one was rolled
			// back.
			return s.replayKey(ctx, conn.Conn(), key, err)
		case errors.As(err, &pe) && !sessionEnded(pe):
			// The server refused the commit: the transaction did not
			// commit (a serialization failure is retried).
			return nil, false, pe
		case pgconn.SafeToRetry(err):
			// Nothing was sent: COMMIT never reached the server.
			return nil, false, &lostConn{err}
		}
		return nil, false, &ambiguousCommit{err}
	}
	if tx.queued {
		s.outbox.Notify()
	}
	if tx.vacuum {
		s.afterCommit(ctx)
	}
	return res, false, nil
}

// replay reads the result recorded under key, which an earlier write
// committed: this attempt writes nothing.
func (s *Store) replay(ctx context.Context, conn *pgx.Conn, ptx pgx.Tx, key string) ([]byte, bool, error) {
	var res []byte
	if err := ptx.QueryRow(ctx, "SELECT result FROM idempotency WHERE key = $1", key).Scan(&res); err != nil {
		return nil, false, s.beforeCommit(ctx, conn, err)
	}
	return res, true, nil
}

// keyRecorded reports whether err is the failure of a write's own key's
// insert: the key is recorded already.
func keyRecorded(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "idempotency_pkey"
}

// replayKey reads, after its attempt was rolled back, the result of a
// write's own key that an earlier attempt committed. A key not found
// (purged meanwhile) returns err, which is retried.
func (s *Store) replayKey(ctx context.Context, conn *pgx.Conn, key string, err error) ([]byte, bool, error) {
	var res []byte
	switch qerr := conn.QueryRow(ctx, "SELECT result FROM idempotency WHERE key = $1", key).Scan(&res); {
	case qerr == nil:
		return res, true, nil
	case errors.Is(qerr, pgx.ErrNoRows):
		return nil, false, err
	default:
		return nil, false, s.beforeCommit(ctx, conn, qerr)
	}
}

// beforeCommit classifies an error met before COMMIT was sent: the
// connection's loss (nothing was committed) is retried, the rest is
// returned as it is.
func (s *Store) beforeCommit(ctx context.Context, conn *pgx.Conn, err error) error {
	var pe *pgconn.PgError
	switch {
	case ctx.Err() != nil:
		return err
	case errors.As(err, &pe) && !sessionEnded(pe):
		return err
	case errors.As(err, &pe) || conn.IsClosed():
		return &lostConn{err}
	}
	return err
}

// sessionEnded reports whether the server ended the session with this
// error (it was shut down, the backend terminated, the connection broke)
// rather than refusing one statement. At COMMIT such an error may come
// after the commit was recorded: the outcome is unknown.
func sessionEnded(pe *pgconn.PgError) bool {
	return pe.Severity == "FATAL" || pe.Severity == "PANIC" ||
		strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
}

// call runs fn, turning a panic into an error.
func (tx *Tx) call(fn WriteFunc) (res []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}

// maybePurge forgets expired idempotency keys, at most once a minute per
// Store and a bounded number at a time, in a transaction of its own so
// that it never conflicts with a write.
func (s *Store) maybePurge() {
	now := s.Now()
	s.purgeMu.Lock()
	if now.Sub(s.lastPurge) < time.Minute {
		s.purgeMu.Unlock()
		return
	}
	s.lastPurge = now
	s.purgeMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE key IN
		(SELECT key FROM idempotency WHERE expires < $1 ORDER BY expires LIMIT 10000)`, now)
	if err != nil && !s.closed.Load() {
		s.log.Error("purge idempotency keys", "err", err)
	}
	// Tables left to rewrite (vacuum.go).
	s.retryVacuum()
}
