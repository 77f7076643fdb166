package main

import (
	"fmt"
	"time"

	"jifen/config"
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
var errNoBackup = fmt.Errorf("this store is not a bbolt file: jifen backup copies bbolt stores only; " + postgresBackups)

// postgresBackups says what backs up a PostgreSQL store, and what moves a
// ledger between stores.
const postgresBackups = "back PostgreSQL up with its own tools: pg_dump (pg_restore to restore), or the server's continuous archiving for point-in-time recovery; to move a ledger between a bbolt file and PostgreSQL, use jifen store copy --from bbolt:PATH --to postgres://… (or back)"

// bboltOnly refuses a command that works on a bbolt file only (backup,
// restore) when the config's store is PostgreSQL, before anything is
// opened.
func bboltOnly(cfg *config.Config, command string) error {
	if cfg.Store.Driver != config.DriverPostgres {
		return nil
	}
	return fmt.Errorf("jifen %s works on a bbolt store file only, and this config's store is PostgreSQL (%s): %s", command, cfg.Store.Where(), postgresBackups)
}

// backupTo writes a consistent copy of a bbolt store to path.
func backupTo(st store.Ledger, path string) (int64, error) {
	b, ok := st.(backuper)
	if !ok {
		return 0, errNoBackup
	}
	return b.Backup(path)
}
