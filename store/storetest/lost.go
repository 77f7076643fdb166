package storetest

import (
	"context"
	"errors"
	"sync"

	"jifen/store"
)

// ErrReadLost is the failure LostReads gives a read.
var ErrReadLost = errors.New("the connection to the store was lost")

// LostReads is a Ledger whose reads fail, as a store's do when its
// connection is lost in the middle of one: the function handed to Read
// still runs and reads what the store holds, then Read returns
// ErrReadLost. So code that showed or acted on what a failed read gave
// would show real figures, or write. The zero value (around a Ledger)
// fails every read; Allow lets some through first. With Writes set, the
// reads a write makes through its transaction fail too: the write's
// function runs, then the write fails and commits nothing, as a store's
// transaction does when one of its reads failed.
type LostReads struct {
	store.Ledger
	Writes bool

	mu     sync.Mutex
	pass   int // reads still to let through
	reads  int // reads so far
	failed int // reads failed so far
}

// Read runs fn, then fails unless a read was still allowed.
func (l *LostReads) Read(ctx context.Context, fn func(store.Reader) error) error {
	l.mu.Lock()
	l.reads++
	ok := l.pass > 0
	if ok {
		l.pass--
	} else {
		l.failed++
	}
	l.mu.Unlock()
	err := l.Ledger.Read(ctx, fn)
	if !ok {
		return ErrReadLost
	}
	return err
}

// Write runs fn; with Writes set, the write then fails with ErrReadLost
// and nothing is committed.
func (l *LostReads) Write(ctx context.Context, key string, fn func(store.Txn) ([]byte, error)) ([]byte, bool, error) {
	if !l.Writes {
		return l.Ledger.Write(ctx, key, fn)
	}
	return l.Ledger.Write(ctx, key, func(tx store.Txn) ([]byte, error) {
		if _, err := fn(tx); err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.reads++
		l.failed++
		l.mu.Unlock()
		return nil, ErrReadLost
	})
}

// Allow lets the next n reads through and fails every one after them.
func (l *LostReads) Allow(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pass = n
}

// Reads is how many reads were made so far (a write whose reads failed
// counts as one).
func (l *LostReads) Reads() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads
}

// Failures is how many reads failed so far.
func (l *LostReads) Failures() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}
