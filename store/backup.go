package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store to path while the store
// stays in use: a read transaction's snapshot, written to a temporary file,
// fsynced, then renamed into place (so a crash never leaves half a backup
// under the final name). The file gets mode 0600.
//
// The copy is compacted: every bucket and key of the snapshot written
// anew into a fresh file, with their sequences. A copy of the file as it
// is would carry its free pages, and with them what was deleted or
// replaced (the old record of a forgotten member, stale versions of an
// open survey round's answers and of who answered it); this one holds
// the snapshot's data and nothing else.
func (s *Store) Backup(path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jifen-backup-*")
	if err != nil {
		return 0, err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	n, err := s.compactTo(name)
	if err == nil {
		err = os.Chmod(name, 0o600)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}

// compactBatch bounds the bytes of keys and values one transaction of
// the copy writes, so a large store is not held in memory whole.
const compactBatch = 32 << 20

// compactTo copies a snapshot of the store into a new bbolt file at path
// and returns its size. Each transaction of the copy appends keys in
// order to fresh pages; the pages it frees (the few the next transaction
// rewrites) hold only data of the same snapshot.
func (s *Store) compactTo(path string) (int64, error) {
	dst, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, err
	}
	err = s.view(func(src *bolt.Tx) error {
		out, err := dst.Begin(true)
		if err != nil {
			return err
		}
		defer func() { _ = out.Rollback() }()
		size := 0
		// flush commits what is written so far and reopens the buckets
		// along path in a new transaction.
		flush := func(path [][]byte) (*bolt.Bucket, error) {
			if err := out.Commit(); err != nil {
				return nil, err
			}
			if out, err = dst.Begin(true); err != nil {
				return nil, err
			}
			size = 0
			b := out.Bucket(path[0])
			for _, name := range path[1:] {
				b = b.Bucket(name)
			}
			b.FillPercent = 1
			return b, nil
		}
		var copyBucket func(from *bolt.Bucket, to *bolt.Bucket, path [][]byte) error
		copyBucket = func(from, to *bolt.Bucket, path [][]byte) error {
			to.FillPercent = 1
			if err := to.SetSequence(from.Sequence()); err != nil {
				return err
			}
			c := from.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					child, err := to.CreateBucket(k)
					if err != nil {
						return err
					}
					sub := append(path[:len(path):len(path)], k)
					if err := copyBucket(from.Bucket(k), child, sub); err != nil {
						return err
					}
					// The child may have flushed: reopen this bucket.
					if to = out.Bucket(path[0]); len(path) > 1 {
						for _, name := range path[1:] {
							to = to.Bucket(name)
						}
					}
					to.FillPercent = 1
					continue
				}
				if len(path) == 1 && bytes.Equal(path[0], bucketMeta) && backupOmits(k) {
					continue // a backup's holder must not be able to sign links or sessions
				}
				if size += len(k) + len(v); size > compactBatch {
					if to, err = flush(path); err != nil {
						return err
					}
					size = len(k) + len(v)
				}
				if err := to.Put(k, v); err != nil {
					return err
				}
			}
			return nil
		}
		err = src.ForEach(func(name []byte, b *bolt.Bucket) error {
			to, err := out.CreateBucket(name)
			if err != nil {
				return err
			}
			return copyBucket(b, to, [][]byte{name})
		})
		if err != nil {
			return err
		}
		return out.Commit()
	})
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
