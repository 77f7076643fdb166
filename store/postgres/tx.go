package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Tx is a write transaction handed to a WriteFunc.
type Tx struct {
	ctx context.Context
	tx  pgx.Tx
	s   *Store
	now time.Time
	// err is the first database error met by a read whose method returns
	// no error: the transaction is aborted then, and the write fails with
	// it (and is retried if it is a serialization failure).
	err error
	// refunding is the redeem entry a refund is reversing: the only redeem
	// entry of a redemption that Append lets a revoke reverse.
	refunding uint64
}

// Now is the time of the transaction (UTC).
func (tx *Tx) Now() time.Time { return tx.now }

// Location is the zone periods are computed in.
func (tx *Tx) Location() *time.Location { return tx.s.loc }

func (tx *Tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := tx.tx.Exec(tx.ctx, sql, args...)
	tx.note(err)
	return tag, err
}

// row runs a query expected to return at most one row and scans it;
// found is false when there is none.
func (tx *Tx) row(sql string, args []any, dest ...any) (found bool, err error) {
	err = tx.tx.QueryRow(tx.ctx, sql, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	tx.note(err)
	return err == nil, err
}

// note keeps the first database error (see Tx.err).
func (tx *Tx) note(err error) {
	if err != nil && tx.err == nil {
		tx.err = err
	}
}

// Seen returns the result recorded under an idempotency key, if any.
func (tx *Tx) Seen(key string) ([]byte, bool) {
	var res []byte
	found, _ := tx.row("SELECT result FROM idempotency WHERE key = $1", []any{key}, &res)
	return res, found
}
