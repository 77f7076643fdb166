package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connTx is the pgx.Tx of a write. It is begun by a BEGIN sent in one
// round trip with the caller's idempotency key, if any (else with the
// write's first statements, see deferBegin), and committed by
// a COMMIT sent in one round trip with the statements queued in final
// (the caller's key's result, or the write's own key with its result)
// and followed by after (the boards' change counter, bumped once the
// commit is durable): a write costs up to two round trips fewer than
// BEGIN, …, COMMIT sent one by one.
//
// It also watches the statements sent through it: wrote counts those
// that may change data (anything but a SELECT), so that figures a Tx read
// stay cached only while nothing was written; boards is set once a
// statement wrote the entries, the aggregates or the members, which the
// leaderboards are computed from, and members once it wrote the members.
//
// BEGIN may be deferred (see deferBegin): it is then sent before the
// next statement sent through it, in the round trip of a batch of
// Tx.sendBatch or of COMMIT, or in one of its own before a single
// statement.
type connTx struct {
	conn     *pgx.Conn
	wrote    int
	boards   bool
	members  bool
	final    *pgx.Batch
	after    string
	closed   bool
	deferred []*pgx.QueuedQuery
	// unbegun is set while BEGIN waits in deferred: nothing was sent.
	unbegun bool
}

// beginWrite begins a write's transaction.
const beginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED"

// deferBegin defers BEGIN to the transaction's first round trip.
func (t *connTx) deferBegin() {
	b := &pgx.Batch{}
	b.Queue(beginWrite)
	t.deferred = append(b.QueuedQueries, t.deferred...)
	t.unbegun = true
}

var _ pgx.Tx = (*connTx)(nil)

// isRead reports whether a statement only reads (a SELECT, locking or not).
func isRead(sql string) bool {
	s := strings.TrimLeft(sql, " \t\r\n(")
	return len(s) >= 6 && strings.EqualFold(s[:6], "select")
}

// touchesBoards reports whether a writing statement may change what the
// leaderboards are computed from, and whether it may change members.
func touchesBoards(sql string) (boards, members bool) {
	members = strings.Contains(sql, "members")
	return members || strings.Contains(sql, "entries") || strings.Contains(sql, "aggregates"), members
}

func (t *connTx) note(sql string) {
	if isRead(sql) {
		return
	}
	t.wrote++
	boards, members := touchesBoards(sql)
	t.boards = t.boards || boards
	t.members = t.members || members
}

// flush sends the deferred statements, if any, in a round trip of their
// own.
func (t *connTx) flush(ctx context.Context) error {
	if len(t.deferred) == 0 {
		return nil
	}
	b := &pgx.Batch{QueuedQueries: t.deferred}
	t.deferred, t.unbegun = nil, false
	return t.conn.SendBatch(ctx, b).Close()
}

// sendWithDeferred sends the deferred statements and then those of b in
// one round trip, and reads the results of all by their callbacks.
func (t *connTx) sendWithDeferred(ctx context.Context, b *pgx.Batch) error {
	for _, q := range b.QueuedQueries {
		t.note(q.SQL)
	}
	all := &pgx.Batch{QueuedQueries: append(t.deferred, b.QueuedQueries...)}
	t.deferred, t.unbegun = nil, false
	return t.conn.SendBatch(ctx, all).Close()
}

// Begin refuses: the store's writes use no savepoints.
func (t *connTx) Begin(context.Context) (pgx.Tx, error) {
	return nil, errors.New("store: nested transactions are not used")
}

// Commit sends the deferred statements, the queued final statements,
// COMMIT and the after statement in one round trip. An error from a
// deferred or final statement means COMMIT was not run: the transaction
// is rolled back.
func (t *connTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	b := &pgx.Batch{QueuedQueries: t.deferred}
	t.deferred, t.unbegun = nil, false
	if t.final != nil {
		b.QueuedQueries = append(b.QueuedQueries, t.final.QueuedQueries...)
	}
	n := b.Len()
	b.Queue("COMMIT")
	if t.after != "" {
		b.Queue(t.after)
	}
	br := t.conn.SendBatch(ctx, b)
	var err error
	for _, q := range b.QueuedQueries[:n] {
		if q.Fn != nil {
			err = q.Fn(br)
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		if err == nil && tag.String() == "ROLLBACK" {
			err = pgx.ErrTxCommitRollback
		}
		// The after statement's failure (the commit stands) is not
		// the write's: a board may then be served a little longer.
	}
	cerr := br.Close()
	if err == nil {
		return nil
	}
	_ = cerr
	if !t.conn.IsClosed() && t.conn.PgConn().TxStatus() != 'I' {
		if _, rerr := t.conn.Exec(ctx, "ROLLBACK"); rerr != nil {
			_ = t.conn.Close(ctx)
		}
	}
	return err
}

// Rollback ends the transaction; a connection that cannot is closed.
func (t *connTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	unbegun := t.unbegun
	t.deferred, t.unbegun = nil, false
	if unbegun || t.conn.IsClosed() {
		return nil
	}
	if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = t.conn.Close(ctx)
		return err
	}
	return nil
}

func (t *connTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	t.note("copy " + strings.Join(table, "."))
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		t.note(q.SQL)
	}
	if err := t.flush(ctx); err != nil {
		return errBatch{err}
	}
	return t.conn.SendBatch(ctx, b)
}

// errBatch is the result of a batch not sent: every result is err.
type errBatch struct{ err error }

func (e errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errBatch) Query() (pgx.Rows, error)         { return nil, e.err }
func (e errBatch) QueryRow() pgx.Row                { return errRow(e) }
func (e errBatch) Close() error                     { return e.err }
func (e errBatch) Tx() pgx.Tx                       { return nil }

// errRow is a row not read: its Scan returns err.
type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }

// LargeObjects is not used by the store.
func (t *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	t.note(sql)
	return t.conn.Exec(ctx, sql, args...)
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	t.note(sql)
	return t.conn.Query(ctx, sql, args...)
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.flush(ctx); err != nil {
		return errRow{err}
	}
	t.note(sql)
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *connTx) Conn() *pgx.Conn { return t.conn }
