package main

import (
	"fmt"
	"time"

	"jifen/store"
)

// Operations of the bbolt store that are not part of the store contract:
// a command reaches them through these interfaces and says what to use
// instead when the store has none.

type backuper interface {
	Backup(path string) (int64, error)
}

type memoryReleaser interface{ ReleaseMemory() }

type commitObserver interface {
	SetCommitObserver(fn func(writes int, took time.Duration))
}

// errNoBackup is what `jifen backup` and the backup job say of a store that
// keeps its own backups.
var errNoBackup = fmt.Errorf("this store is not a bbolt file: jifen backup copies bbolt stores only; back PostgreSQL up with its own tools (pg_dump, or point-in-time recovery)")

// backupTo writes a consistent copy of a bbolt store to path.
func backupTo(st store.Ledger, path string) (int64, error) {
	b, ok := st.(backuper)
	if !ok {
		return 0, errNoBackup
	}
	return b.Backup(path)
}
