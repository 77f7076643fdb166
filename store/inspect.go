package store

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"jifen"
)

// Facts say what a store file holds, for an operator about to replace one
// store with another (restore).
type Facts struct {
	Schema  int
	Entries int
	Members int
	// First and Last are the earliest and latest effective times of the
	// entries; zero without entries.
	First, Last time.Time
}

// Periods names the months the entries cover, "2025-12 – 2026-11", in loc;
// "none" without entries.
func (f Facts) Periods(loc *time.Location) string {
	if f.Entries == 0 {
		return "none"
	}
	return jifen.PeriodOf(jifen.Month, f.First, loc).Key + " – " + jifen.PeriodOf(jifen.Month, f.Last, loc).Key
}

func (f Facts) String() string {
	return fmt.Sprintf("%d entries, %d members", f.Entries, f.Members)
}

// Inspect reads a store file without changing it and says what it holds.
// It refuses anything that is not a jifen store this version can open: an
// empty or foreign file, a bbolt file without jifen's buckets, a newer
// schema, or a damaged file (bbolt panics on some damage; that becomes an
// error here).
func Inspect(path string) (f Facts, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return f, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return f, fmt.Errorf("%s is empty or not a regular file: not a jifen store", path)
	}
	// A damaged page makes bbolt panic, or read through a wild pointer:
	// both become an error here, never a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s is damaged: %v", path, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if err == bolterrors.ErrTimeout {
			return f, ErrLocked
		}
		return f, fmt.Errorf("%s is not a jifen store: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		// A truncated copy: its pages end before the last one in use.
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%s is truncated: %d bytes of %d", path, fi.Size(), tx.Size())
		}
		// Every page and every key, as bbolt's own check reads them.
		// The check runs in its own goroutine: read every error it sends,
		// so it is done before the transaction ends.
		var damage error
		for cerr := range tx.Check() {
			if damage == nil {
				damage = fmt.Errorf("%s is damaged: %w", path, cerr)
			}
		}
		if damage != nil {
			return damage
		}
		for _, b := range [][]byte{bucketMeta, bucketEntries, bucketAgg, bucketMembers} {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("%s is not a jifen store: it has no %q bucket", path, b)
			}
		}
		raw := tx.Bucket(bucketMeta).Get([]byte("schema"))
		if len(raw) != 8 {
			return fmt.Errorf("%s is not a jifen store: it has no schema version", path)
		}
		f.Schema = int(decodeU64(raw))
		if f.Schema < 1 || f.Schema > SchemaVersion {
			return fmt.Errorf("%s has store schema version %d; this jifen reads 1 to %d", path, f.Schema, SchemaVersion)
		}
		f.Members = tx.Bucket(bucketMembers).Stats().KeyN
		return tx.Bucket(bucketEntries).ForEach(func(_, v []byte) error {
			var e jifen.Entry
			if err := decodeEntry(v, &e); err != nil {
				return fmt.Errorf("%s is damaged: an entry does not read: %w", path, err)
			}
			f.Entries++
			if f.First.IsZero() || e.Effective.Before(f.First) {
				f.First = e.Effective
			}
			if e.Effective.After(f.Last) {
				f.Last = e.Effective
			}
			return nil
		})
	})
	return f, err
}
