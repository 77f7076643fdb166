package store

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapping drops the process's pages of the first size bytes of the
// file mapping (MADV_DONTNEED). The mapping is read-only and shared: the
// data stays in the page cache and nothing is lost. The caller holds a
// read transaction, so the mapping is not replaced meanwhile.
func releaseMapping(db *bolt.DB, size int64) {
	info := db.Info()
	if info == nil || info.Data == 0 || size <= 0 {
		return
	}
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, info.Data, uintptr(size), unix.MADV_DONTNEED)
}
