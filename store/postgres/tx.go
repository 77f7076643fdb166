package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"jifen"
	"jifen/survey"
)

// Tx is a write transaction handed to a WriteFunc. It runs at READ
// COMMITTED, and every read of a figure a limit is checked against locks
// what it reads until the transaction ends: a member's figures (points,
// allowance pools, per-behavior use, pending approvals, balance) through
// the member's row in heads, an item's stock through its row, an entry,
// approval or redemption through its own row. Every write of those figures
// takes the same locks. So a write that checks a limit and then writes
// runs after every write it could race with has committed, and sees it,
// on whichever replica each runs: no two can both pass a cap.
type Tx struct {
	ctx context.Context
	tx  pgx.Tx
	s   *Store
	now time.Time
	// err is the first database error met by a read whose method returns
	// no error: the transaction is aborted then, and the write fails with
	// it (and is retried if it is a serialization failure).
	err error
	// heads holds the members locked by this transaction, with the
	// recording time of their last entry.
	heads map[string]time.Time
	// refunding is the redeem entry a refund is reversing: the only redeem
	// entry of a redemption that Append lets a revoke reverse.
	refunding uint64
	// queued is set when the transaction queues an outgoing message.
	queued bool
	// anonymous holds the rounds the transaction answered anonymously:
	// it may write nothing else (anonymousOnly).
	anonymous []survey.Round
	// writes names the statements of the transaction that write or lock
	// rows (each marks them with the transaction's id), but for the
	// answers of PutAnswer.
	writes []string
	// vacuum is set when the transaction marked tables to be rewritten
	// after its commit (vacuumAfter).
	vacuum bool
}

// reader reads through the transaction; a failed read fails the write.
func (tx *Tx) reader() *reader { return &reader{s: tx.s, ctx: tx.ctx, q: tx.tx} }

// Members is the directory, as the transaction sees it.
func (tx *Tx) Members() []jifen.Member {
	r := tx.reader()
	out := r.Members()
	tx.note(r.err)
	return out
}

// MembersByName finds members by name (case folded, whole), as the
// transaction sees them.
func (tx *Tx) MembersByName(name string) []jifen.Member {
	r := tx.reader()
	out := r.MembersByName(name)
	tx.note(r.err)
	return out
}

// DepartmentSize counts a department's members today, as the transaction
// sees them.
func (tx *Tx) DepartmentSize(dept string) int {
	r := tx.reader()
	n := r.DepartmentSize(dept)
	tx.note(r.err)
	return n
}

// Now is the time of the transaction (UTC).
func (tx *Tx) Now() time.Time { return tx.now }

// Location is the zone periods are computed in.
func (tx *Tx) Location() *time.Location { return tx.s.loc }

func (tx *Tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	tx.track(sql)
	tag, err := tx.tx.Exec(tx.ctx, sql, args...)
	tx.note(err)
	return tag, err
}

// row runs a query expected to return at most one row and scans it;
// found is false when there is none.
func (tx *Tx) row(sql string, args []any, dest ...any) (found bool, err error) {
	tx.track(sql)
	err = tx.tx.QueryRow(tx.ctx, sql, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	tx.note(err)
	return err == nil, err
}

// track notes a statement that writes or locks rows (see Tx.writes). The
// package writes its SQL keywords in capitals.
func (tx *Tx) track(sql string) {
	sql = strings.TrimSpace(sql)
	verb, rest := sql, ""
	if i := strings.IndexFunc(sql, unicode.IsSpace); i > 0 {
		verb, rest = sql[:i], sql[i:]
	}
	switch verb {
	case "INSERT", "UPDATE", "DELETE", "WITH", "MERGE":
		head := strings.Fields(sql)
		tx.writes = append(tx.writes, strings.Join(head[:min(3, len(head))], " "))
	case "SELECT":
		if strings.Contains(rest, "FOR UPDATE") || strings.Contains(rest, "FOR SHARE") ||
			strings.Contains(rest, "FOR NO KEY UPDATE") || strings.Contains(rest, "FOR KEY SHARE") {
			tx.writes = append(tx.writes, "a row lock")
		}
	}
}

// note keeps the first database error (see Tx.err).
func (tx *Tx) note(err error) {
	if err != nil && tx.err == nil {
		tx.err = err
	}
}

// lockMembers locks the members' rows in heads (creating them), in
// order, once per transaction.
func (tx *Tx) lockMembers(members ...string) error {
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	for _, m := range slices.Compact(sorted) {
		if _, ok := tx.heads[m]; ok || m == "" {
			continue
		}
		var last *time.Time
		// FOR UPDATE waits for a writer holding the row, then locks its
		// newest version; a member's first row is created first.
		found, err := tx.row("SELECT last_at FROM heads WHERE member = $1 FOR UPDATE", []any{m}, &last)
		if err != nil {
			return err
		}
		if !found {
			if _, err := tx.exec("INSERT INTO heads (member) VALUES ($1) ON CONFLICT (member) DO NOTHING", m); err != nil {
				return err
			}
			if _, err := tx.row("SELECT last_at FROM heads WHERE member = $1 FOR UPDATE", []any{m}, &last); err != nil {
				return err
			}
		}
		if tx.heads == nil {
			tx.heads = map[string]time.Time{}
		}
		tx.heads[m] = time.Time{}
		if last != nil {
			tx.heads[m] = last.UTC()
		}
	}
	return nil
}

// lock is lockMembers for a read whose method returns no error (the
// error is kept in tx.err).
func (tx *Tx) lock(members ...string) { _ = tx.lockMembers(members...) }

// Seen returns the result recorded under an idempotency key, if any.
func (tx *Tx) Seen(key string) ([]byte, bool) {
	var res []byte
	found, _ := tx.row("SELECT result FROM idempotency WHERE key = $1", []any{key}, &res)
	return res, found
}
