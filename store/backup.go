package store

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store to path while the store
// stays in use: a read transaction's snapshot, written to a temporary file,
// fsynced, then renamed into place (so a crash never leaves half a backup
// under the final name). The file gets mode 0600.
func (s *Store) Backup(path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jifen-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	var n int64
	err = s.db.View(func(btx *bolt.Tx) error {
		var err error
		n, err = btx.WriteTo(tmp)
		return err
	})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}
