package store

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Scrubbing: bbolt writes every change to new pages and frees the old
// ones without clearing them, so what a transaction deletes or replaces
// stays readable on a free page of the file until that page happens to be
// reused. A scrub zeroes every free page of the file. It runs after a
// commit that must leave no copy of what it removed: the closing of an
// anonymous survey round (the set of who answered, the stale versions of
// the answers) and the forgetting of a member (their old record).
//
// A free page may still be read by a read transaction that began before
// the commit that freed it (bbolt keeps such pages "pending" until those
// readers end, but reports them free all the same). So the store counts
// its readers by the commit they see (readers, below), and the committer
// scrubs only when every open reader sees the latest commit: such readers,
// and any that begin later, reach no free page. The scrub runs in the
// committer's goroutine inside a write transaction of its own, before that
// transaction changes anything, so no page it zeroes is being allocated.
//
// A commit that calls for a scrub also sets meta "scrub", in the same
// transaction; the scrub clears it in its own. A crash in between leaves
// the mark, and the next Open scrubs before anything else.

var metaScrub = []byte("scrub")

// readers tracks the store's open read transactions by the last commit
// each of them may see.
type readers struct {
	mu   sync.Mutex
	next uint64
	open map[uint64]uint64 // reader → the txid its snapshot has at least
	// committed is the txid of the last commit the committer made; a
	// read transaction begun after that sees it or a later one.
	committed uint64
}

func (r *readers) enter() (id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	if r.open == nil {
		r.open = map[uint64]uint64{}
	}
	r.open[r.next] = r.committed
	return r.next
}

// seen raises a reader's floor to the txid of the snapshot it got.
func (r *readers) seen(id, txid uint64) {
	r.mu.Lock()
	if txid > r.open[id] {
		r.open[id] = txid
	}
	r.mu.Unlock()
}

func (r *readers) leave(id uint64) {
	r.mu.Lock()
	delete(r.open, id)
	r.mu.Unlock()
}

func (r *readers) setCommitted(txid uint64) {
	r.mu.Lock()
	r.committed = txid
	r.mu.Unlock()
}

// allSee reports whether every open reader sees commit txid or a later one.
func (r *readers) allSee(txid uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, seen := range r.open {
		if seen < txid {
			return false
		}
	}
	return true
}

// view runs fn in a read transaction known to the scrubber. Every read of
// the store goes through it, never through s.db.View directly.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	id := s.readers.enter()
	defer s.readers.leave(id)
	return s.db.View(func(btx *bolt.Tx) error {
		s.readers.seen(id, uint64(btx.ID()))
		return fn(btx)
	})
}

// scrubState is what the committer and the callers waiting for a scrub
// share: a scrub completed serves every request made before it began.
type scrubState struct {
	mu        sync.Mutex
	requested uint64
	completed uint64
	done      chan struct{} // closed, and replaced, when a scrub completes
	kick      chan struct{}
}

func newScrubState() *scrubState {
	return &scrubState{done: make(chan struct{}), kick: make(chan struct{}, 1)}
}

// request asks for a scrub and returns its number.
func (sc *scrubState) request() uint64 {
	sc.mu.Lock()
	sc.requested++
	n := sc.requested
	sc.mu.Unlock()
	select {
	case sc.kick <- struct{}{}:
	default:
	}
	return n
}

func (sc *scrubState) due() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.completed < sc.requested
}

// Scrub asks for the free pages of the file to be zeroed and waits until
// they are (or ctx ends; the scrub then still happens, later). The
// commits that need one ask for it themselves; Scrub is for a caller that
// must know it has happened before it answers.
func (s *Store) Scrub(ctx context.Context) error {
	n := s.scrubs.request()
	for {
		s.scrubs.mu.Lock()
		if s.scrubs.completed >= n {
			s.scrubs.mu.Unlock()
			return nil
		}
		ch := s.scrubs.done
		s.scrubs.mu.Unlock()
		select {
		case <-ch:
		case <-s.stopped:
			// Close scrubs what is due before it returns.
			s.scrubs.mu.Lock()
			ok := s.scrubs.completed >= n
			s.scrubs.mu.Unlock()
			if !ok {
				return ErrClosed
			}
			return nil
		case <-s.failed:
			return s.Err()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryScrub runs a due scrub if no reader is in the way; the committer
// calls it, and calls it again a little later while it is still due.
func (s *Store) tryScrub() {
	s.scrubs.mu.Lock()
	target := s.scrubs.requested
	due := s.scrubs.completed < target
	s.scrubs.mu.Unlock()
	if !due {
		return
	}
	ok, err := s.scrub()
	if err != nil {
		s.log.Error("zeroing the free pages of the store", "err", err)
		return
	}
	if !ok {
		return
	}
	s.scrubs.mu.Lock()
	if target > s.scrubs.completed {
		s.scrubs.completed = target
	}
	close(s.scrubs.done)
	s.scrubs.done = make(chan struct{})
	s.scrubs.mu.Unlock()
}

// scrub zeroes every free page of the file, unless a reader may still
// read one (then it reports false, and nothing is done). It must run in
// the committer's goroutine (or before it starts).
func (s *Store) scrub() (bool, error) {
	btx, err := s.db.Begin(true)
	if err != nil {
		return false, err
	}
	defer func() { _ = btx.Rollback() }()
	if !s.readers.allSee(uint64(btx.ID()) - 1) {
		return false, nil
	}
	if err := zeroFreePages(s.db, btx); err != nil {
		return false, err
	}
	if btx.Bucket(bucketMeta).Get(metaScrub) != nil {
		if err := btx.Bucket(bucketMeta).Delete(metaScrub); err != nil {
			return false, err
		}
		txid := uint64(btx.ID())
		if err := s.commit(btx); err != nil {
			s.fail(fmt.Errorf("commit: %w", err))
			return false, err
		}
		s.readers.setCommitted(txid)
		// That commit freed the pages it rewrote, which hold the state
		// after the removal and nothing older: zero them too when no
		// reader is in the way, for a file whose free pages are all zeros.
		if again, err := s.db.Begin(true); err == nil {
			if s.readers.allSee(txid) {
				err = zeroFreePages(s.db, again)
			}
			_ = again.Rollback()
			if err != nil {
				return false, err
			}
		}
	}
	// The scrub read a header of every page.
	s.ReleaseMemory()
	return true, nil
}

// zeroFreePages writes zeros over every page btx, a write transaction
// that has changed nothing yet, reports free, and syncs the file.
func zeroFreePages(db *bolt.DB, btx *bolt.Tx) error {
	f, err := os.OpenFile(db.Path(), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	ps := int64(db.Info().PageSize)
	pages := int(btx.Size() / ps)
	zeros := make([]byte, 256*ps)
	// Runs of free pages are zeroed with one write each.
	flush := func(first, n int) error {
		for n > 0 {
			k := min(n, len(zeros)/int(ps))
			if _, err := f.WriteAt(zeros[:int64(k)*ps], int64(first)*ps); err != nil {
				return fmt.Errorf("zero pages %d+%d: %w", first, k, err)
			}
			first, n = first+k, n-k
		}
		return nil
	}
	run, runLen := 0, 0
	for id := 2; id < pages; id++ {
		info, err := btx.Page(id)
		if err != nil {
			return err
		}
		if info != nil && info.Type == "free" {
			if runLen == 0 {
				run = id
			}
			runLen++
			continue
		}
		if err := flush(run, runLen); err != nil {
			return err
		}
		runLen = 0
		if info != nil && info.OverflowCount > 0 {
			id += info.OverflowCount // the rest of a page in use
		}
	}
	if err := flush(run, runLen); err != nil {
		return err
	}
	return f.Sync()
}

// finishScrub, at Close, runs a scrub still due, waiting a while for the
// readers in its way.
func (s *Store) finishScrub() {
	deadline := time.Now().Add(10 * time.Second)
	for s.scrubs.due() && time.Now().Before(deadline) {
		s.tryScrub()
		if s.scrubs.due() {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if s.scrubs.due() {
		s.log.Error("the store closed before its free pages could be zeroed; the next open will")
	}
}

// needScrub marks the transaction as one whose removals must leave no
// copy in the file: a scrub follows its commit.
func (tx *Tx) needScrub() error {
	if err := tx.put(bucketMeta, metaScrub, []byte{1}); err != nil {
		return err
	}
	tx.after = append(tx.after, func(uint64) { tx.s.scrubs.request() })
	return nil
}
