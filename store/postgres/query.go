package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"jifen"
)

// History returns a member's latest n entries (as receiver), newest first.
func (s *Store) History(member string, n int) []jifen.Entry {
	return collect(s, "history", "SELECT "+entryColumns+" FROM entries WHERE receiver = $1 ORDER BY id DESC LIMIT $2",
		func(r pgx.CollectableRow) (jifen.Entry, error) { return scanEntry(r) }, member, n)
}

// ForEachEntry calls fn for every entry in id order, in one consistent
// snapshot. It streams: memory does not grow with the ledger.
func (s *Store) ForEachEntry(fn func(e *jifen.Entry) error) error {
	return s.scan("SELECT "+entryColumns+" FROM entries ORDER BY id", fn)
}

// ScanEntries calls fn for every entry, in one consistent snapshot,
// ordered by receiver, then id, as the bbolt store's ScanEntries: every
// field is set (a revoke carries the reversed entry's effective time,
// category, behavior and quantity, with the points negated, and its own
// giver).
func (s *Store) ScanEntries(fn func(e *jifen.Entry) error) error {
	return s.scan("SELECT "+entryColumns+" FROM entries ORDER BY receiver, id", fn)
}

// scan streams the entries a query selects to fn, in a read-only
// snapshot.
func (s *Store) scan(q string, fn func(e *jifen.Entry) error) error {
	ctx := context.Background()
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// EntryCount is the number of entries in the ledger.
func (s *Store) EntryCount() int {
	ctx, cancel := s.readCtx()
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM entries").Scan(&n); err != nil {
		s.log.Error("store: count the entries", "err", err)
	}
	return n
}

// HasEntries reports whether the ledger holds any entry.
func (s *Store) HasEntries() bool {
	ctx, cancel := s.readCtx()
	defer cancel()
	var has bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM entries)").Scan(&has); err != nil {
		s.log.Error("store: read the entries", "err", err)
	}
	return has
}
