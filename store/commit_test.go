package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// liveness bounds how long a test waits for something that must happen
// at once before calling it stuck; it is no measure of speed.
const liveness = 30 * time.Second

// Every write after Close returns ErrClosed; none waits for a committer
// that has stopped.
func TestWritesAfterCloseReturnErrClosed(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make(chan error, n)
	for range n {
		go func() {
			_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) { return nil, nil })
			errs <- err
		}()
	}
	timeout := time.After(liveness)
	for i := range n {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("write %d after Close: %v", i, err)
			}
		case <-timeout:
			t.Fatalf("%d of %d writes after Close never returned", n-i, n)
		}
	}
}

// A write racing Close is either applied or refused with ErrClosed, and
// returns either way.
func TestWritesRacingCloseReturn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	s := openTest(t, path, shanghai, nil)
	const n = 200
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
				_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 1})
				return nil, err
			})
			errs <- err
		}()
	}
	close(start)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	timeout := time.After(liveness)
	applied := 0
	for i := range n {
		select {
		case err := <-errs:
			switch {
			case err == nil:
				applied++
			case !errors.Is(err, ErrClosed):
				t.Fatalf("write racing Close: %v", err)
			}
		case <-timeout:
			t.Fatalf("%d of %d writes racing Close never returned", n-i, n)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, shanghai, nil)
	if got := s.EntryCount(); got != applied {
		t.Fatalf("%d writes said applied, the file holds %d entries", applied, got)
	}
}

// errFsync stands for fdatasync failing after bbolt wrote the meta page:
// the commit is in the file, and the caller is told it failed.
var errFsync = errors.New("fdatasync: input/output error")

func commitThenFail(btx *bolt.Tx) error {
	if err := btx.Commit(); err != nil {
		return err
	}
	return errFsync
}

// A failed commit fails the store: the batch is told its outcome is
// unknown (not that it was refused), every later write is refused without
// running, readiness fails, and a reopen finds a consistent file holding
// what the failed commit wrote.
func TestCommitFailureFailsTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	s, err := Open(path, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SyncMembers(context.Background(), members(2)); err != nil {
		t.Fatal(err)
	}
	award := func(key string) (bool, error) {
		ran := false
		_, _, err := s.write(context.Background(), key, func(tx *Tx) ([]byte, error) {
			ran = true
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m001", Receiver: "m000", Points: 5, Category: "c"})
			return nil, err
		})
		return ran, err
	}
	if _, err := award("k1"); err != nil {
		t.Fatal(err)
	}
	if s.Err() != nil || s.Ping() != nil {
		t.Fatal("a healthy store reports a failure")
	}
	month := jifen.PeriodOf(jifen.Month, s.Now(), shanghai)
	before := s.RankOf("m000", month).Points

	s.commit = commitThenFail // set before the Write that hands the request to the committer
	_, err = award("k2")
	if !errors.Is(err, ErrOutcomeUnknown) || jifen.ErrorCode(err) != jifen.EINTERNAL {
		t.Fatalf("write of the failed batch: %v, want ErrOutcomeUnknown", err)
	}
	select {
	case <-s.Failed():
	default:
		t.Fatal("Failed is not closed after a failed commit")
	}
	if !errors.Is(s.Err(), ErrFailed) || !errors.Is(s.Err(), errFsync) {
		t.Fatalf("Err = %v", s.Err())
	}
	if err := s.Ping(); err == nil {
		t.Fatal("Ping succeeds on a failed store")
	}
	ran, err := award("k3")
	if ran || !errors.Is(err, ErrFailed) {
		t.Fatalf("write after the failure: ran %v, %v", ran, err)
	}
	// The in-memory board kept what was known to be committed.
	if after := s.RankOf("m000", month).Points; before != 5 || after != before {
		t.Fatalf("board gives %d points after a failed commit, %d before", after, before)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.EntryCount(); n != 2 {
		t.Fatalf("%d entries after reopening, want 2 (the failed commit reached the file)", n)
	}
	if _, ok := s.Seen("k2"); !ok {
		t.Fatal("the failed commit's idempotency key is not recorded: a retry would apply twice")
	}
	if got := s.RankOf("m000", month).Points; got != 10 {
		t.Fatalf("total %d after reopening, want 10", got)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify after reopening: %+v %v", rep, err)
	}
	ran, err = award("k2")
	if ran || err != nil {
		t.Fatalf("retry after the restart: ran %v, %v; want a replay", ran, err)
	}
}

// Writes queued behind a failed commit return, refused.
func TestWritesQueuedBehindAFailedCommitReturn(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	s.commit = commitThenFail
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
				_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 1})
				return nil, err
			})
			errs <- err
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(liveness):
		t.Fatal("writes behind a failed commit never returned")
	}
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrOutcomeUnknown) && !errors.Is(err, ErrFailed) {
			t.Fatalf("write behind a failed commit: %v", err)
		}
	}
}
