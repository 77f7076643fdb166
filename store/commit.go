package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"jifen"
)

// maxBatch bounds how many queued requests one transaction applies.
const maxBatch = 1024

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("store is closed")

// ErrFailed is returned, wrapping the cause, for every write after a
// commit failed (see Err).
var ErrFailed = errors.New("store failed; jifen must be restarted")

// ErrOutcomeUnknown is what each write of a batch whose commit failed gets
// back: bbolt may have written the transaction's meta page before the
// failure (a failed fdatasync), so the write may be on disk and visible
// after a restart, or not. It is not a refusal: the user is told the store
// failed and the request may have been recorded; a retry with the same
// idempotency key after the restart replays it if it was.
var ErrOutcomeUnknown = jifen.Errorf(jifen.EINTERNAL, "err.store_failed")

// writeFunc is the body of a write. It runs inside the committer's
// transaction, after every request queued before it. It must check
// everything first and write only when it will succeed: a writeFunc that
// returns an error after writing makes the whole batch roll back and re-run
// one request per transaction, so its partial writes are never committed.
// The result is what the caller gets back, and for an idempotent write what
// every replay of the same key gets back.
type writeFunc func(tx *Tx) ([]byte, error)

type writeReq struct {
	key      string
	fn       writeFunc
	res      []byte
	replayed bool
	err      error
	done     chan struct{}
}

// Write runs fn in the next group commit and returns once the transaction
// is durable on disk (Ledger.Write; write says how).
func (s *Store) Write(ctx context.Context, key string, fn func(Txn) ([]byte, error)) (res []byte, replayed bool, err error) {
	return s.write(ctx, key, func(tx *Tx) ([]byte, error) { return fn(tx) })
}

// write runs fn in the next group commit and returns once the transaction is
// durable on disk. With a non-empty key the write is idempotent: if the key
// was already recorded (within the idempotency window, across restarts) fn is
// not run and the first result is returned with replayed = true. An error
// returned by fn writes nothing and records no key. A ctx made by
// WithAudit also appends its audit record in the same transaction.
//
// After Close it returns ErrClosed; after a failed commit, ErrFailed. A
// write of the batch whose commit failed returns ErrOutcomeUnknown.
func (s *Store) write(ctx context.Context, key string, fn writeFunc) (res []byte, replayed bool, err error) {
	if err := s.Err(); err != nil {
		return nil, false, err
	}
	if rec := auditOf(ctx); rec != nil {
		act := fn
		fn = func(tx *Tx) ([]byte, error) {
			res, err := act(tx)
			if err == nil {
				err = tx.Audit(*rec)
			}
			return res, err
		}
	}
	r := &writeReq{key: key, fn: fn, done: make(chan struct{})}
	// Queued under the gate: Close waits for a request being queued, and
	// once it has closed the gate nothing is queued that the committer's
	// last drain would not see.
	s.gate.RLock()
	if s.closed {
		s.gate.RUnlock()
		return nil, false, ErrClosed
	}
	select {
	case s.reqs <- r:
		s.gate.RUnlock()
	case <-ctx.Done():
		s.gate.RUnlock()
		return nil, false, ctx.Err()
	}
	// Once queued the request will be applied; wait for the outcome even if
	// the caller gives up, so the answer is never "maybe".
	<-r.done
	return r.res, r.replayed, r.err
}

// commitLoop is the single writer. It blocks for one request, then takes
// whatever else is queued (natural group commit: no timer, so a lone writer
// is never delayed and a busy store fills its batches by itself).
func (s *Store) commitLoop() {
	defer close(s.stopped)
	for {
		var first *writeReq
		// A scrub still due waits for readers of older snapshots to end:
		// try again shortly.
		var retry <-chan time.Time
		if s.scrubs.due() && s.Err() == nil {
			s.tryScrub()
			if s.scrubs.due() {
				retry = time.After(5 * time.Millisecond)
			}
		}
		select {
		case first = <-s.reqs:
		case <-s.scrubs.kick:
			continue
		case <-retry:
			continue
		case <-s.stop:
			// Drain what was queued before Close.
			for {
				select {
				case r := <-s.reqs:
					s.runBatch([]*writeReq{r})
				default:
					if s.Err() == nil {
						s.finishScrub()
					}
					return
				}
			}
		}
		batch := []*writeReq{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.runBatch(batch)
	}
}

func (s *Store) runBatch(batch []*writeReq) {
	finish := func(err error) {
		for _, r := range batch {
			if err != nil && r.err == nil {
				r.res, r.replayed, r.err = nil, false, err
			}
			close(r.done)
		}
	}
	// After a failed commit nothing more is written: the file may hold
	// that commit or not, and only a reopen tells.
	if err := s.Err(); err != nil {
		finish(err)
		return
	}
	btx, err := s.db.Begin(true)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	now := s.Now()
	tx := &Tx{tx: btx, s: s, now: now}
	for _, r := range batch {
		if r.key != "" {
			if v := idemGet(btx, r.key); v != nil {
				r.res, r.replayed = v, true
				continue
			}
		}
		tx.writes = 0
		mark := len(tx.after)
		res, err := tx.call(r.fn)
		if err != nil {
			if tx.writes > 0 || tx.err != nil {
				// Partial writes cannot be undone inside a bbolt transaction:
				// drop the batch and give each request a transaction of its own.
				_ = btx.Rollback()
				if len(batch) == 1 {
					r.err = err
					close(r.done)
					return
				}
				for _, r := range batch {
					r.res, r.replayed, r.err = nil, false, nil
					s.runBatch([]*writeReq{r})
				}
				return
			}
			tx.after = tx.after[:mark]
			r.err = err
			continue
		}
		if r.key != "" {
			if err := idemPut(btx, r.key, now, res); err != nil {
				_ = btx.Rollback()
				finish(err)
				return
			}
		}
		r.res = res
	}
	if err := s.purgeIdempotency(btx, now); err != nil {
		s.log.Error("purge idempotency keys", "err", err)
	}
	if err := s.refreshMonthBoards(btx); err != nil {
		// The month boards may be half written: without their meta key
		// boards read the records, and the next Open builds them again.
		s.log.Error("store: rewriting the month boards", "err", err)
		if err := btx.Bucket(bucketMeta).Delete(metaBoardsUpTo); err != nil {
			s.log.Error("store: dropping the month boards", "err", err)
		}
	}
	// The id must be read before Commit: a closed transaction reports -1.
	txid := uint64(btx.ID())
	start := time.Now()
	if err := s.commit(btx); err != nil {
		// The store fails for good, as etcd's backend does: bbolt may
		// have written the meta page before the error, so this
		// transaction may be visible to later ones and on disk, or not.
		// The in-memory views are not updated (a reopen rebuilds them
		// from the file), no later write is taken, and the batch's
		// writes are told the outcome is unknown, not that they failed.
		s.fail(fmt.Errorf("commit: %w", err))
		for _, r := range batch {
			if r.err == nil && !r.replayed {
				r.res, r.err = nil, ErrOutcomeUnknown
			}
			close(r.done)
		}
		return
	}
	s.readers.setCommitted(txid)
	if fn := s.onCommit.Load(); fn != nil {
		(*fn)(len(batch), time.Since(start))
	}
	// Each commit writes its pages to new places in the file (copy on
	// write), and the next transactions read them through the mapping,
	// where every page fault maps up to 16 pages around it: under a steady
	// stream of writes the process would soon hold a good part of the
	// file. Released at most twenty times a second, it holds about its
	// working set; a release takes 10 to 50 µs on a 700 MB file.
	if time.Since(s.lastRelease) >= 50*time.Millisecond {
		s.lastRelease = time.Now()
		s.ReleaseMemory()
	}
	s.applyAfterCommit(txid, tx.after)
	finish(nil)
}

// Err is nil while the store takes writes. Once a commit has failed it is
// ErrFailed wrapping the cause, for good: the store refuses every write,
// Ping fails, and the process should exit so that a restart reopens the
// file, which then holds the failed commit or not, consistently (see
// Failed).
func (s *Store) Err() error {
	if p := s.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// Failed is closed when a commit fails (see Err). A server selects on it
// beside its shutdown signal: it stops taking requests, closes the store
// and exits non-zero, for its supervisor to restart it.
func (s *Store) Failed() <-chan struct{} { return s.failed }

// fail records the first commit failure.
func (s *Store) fail(cause error) {
	s.failOnce.Do(func() {
		err := fmt.Errorf("%w: %w", ErrFailed, cause)
		s.failure.Store(&err)
		s.log.Error("store failed: a commit did not complete; every write is refused until jifen restarts", "err", cause)
		close(s.failed)
	})
}

// call runs fn, turning a panic into an error that poisons the batch.
func (tx *Tx) call(fn writeFunc) (res []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			tx.err = fmt.Errorf("write panicked: %v\n%s", p, debug.Stack())
			err = tx.err
		}
	}()
	res, err = fn(tx)
	if err == nil && tx.err != nil {
		err = tx.err
	}
	return res, err
}

// applyAfterCommit updates the in-memory views with what a committed
// transaction changed. Views loaded from a snapshot that already includes
// txid skip it, so nothing is counted twice.
func (s *Store) applyAfterCommit(txid uint64, after []afterCommit) {
	if len(after) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range after {
		a(txid)
	}
	s.boards.committed(txid)
}

type afterCommit func(txid uint64)

// SetCommitObserver has fn called after every commit with the number of
// writes committed together and the time the commit (with its fsync)
// took; for metrics.
func (s *Store) SetCommitObserver(fn func(writes int, took time.Duration)) {
	s.onCommit.Store(&fn)
}
