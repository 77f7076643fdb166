package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connTx is the pgx.Tx of a write. It is begun by a BEGIN sent in one
// round trip with the caller's idempotency key, if any, and committed by
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
type connTx struct {
	conn    *pgx.Conn
	wrote   int
	boards  bool
	members bool
	final   *pgx.Batch
	after   string
	closed  bool
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

// Begin refuses: the store's writes use no savepoints.
func (t *connTx) Begin(context.Context) (pgx.Tx, error) {
	return nil, errors.New("store: nested transactions are not used")
}

// Commit sends the queued final statements, COMMIT and the after
// statement in one round trip. An error from a final statement means
// COMMIT was not run: the transaction is rolled back.
func (t *connTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	b := &pgx.Batch{}
	n := 0
	if t.final != nil {
		b.QueuedQueries = append(b.QueuedQueries, t.final.QueuedQueries...)
		n = t.final.Len()
	}
	b.Queue("COMMIT")
	if t.after != "" {
		b.Queue(t.after)
	}
	br := t.conn.SendBatch(ctx, b)
	var err error
	for range n {
		if _, err = br.Exec(); err != nil {
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
	if t.conn.IsClosed() {
		return nil
	}
	if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = t.conn.Close(ctx)
		return err
	}
	return nil
}

func (t *connTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	t.note("copy " + strings.Join(table, "."))
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		t.note(q.SQL)
	}
	return t.conn.SendBatch(ctx, b)
}

// LargeObjects is not used by the store.
func (t *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.note(sql)
	return t.conn.Exec(ctx, sql, args...)
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	t.note(sql)
	return t.conn.Query(ctx, sql, args...)
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	t.note(sql)
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *connTx) Conn() *pgx.Conn { return t.conn }
