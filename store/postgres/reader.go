package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"jifen"
	"jifen/store"
)

// querier is what a reader queries through: the pool (a Store's own
// reads) or one read-only transaction (Read).
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// reader is a store.Reader. Its methods return no error: the first failed
// query is kept in err and the methods answer zero values from then on
// (inside a transaction PostgreSQL fails every later statement too); Read
// returns it, so nothing read from a failed transaction is acted upon.
type reader struct {
	s   *Store
	ctx context.Context
	q   querier
	err error
	// version and members are the boards' change counters, read before
	// the snapshot began, when versioned (see boardCache).
	version, members int64
	versioned        bool
	// d is the directory this Read uses, once it asked for one.
	d *directory
	// cursors counts the cursors scanSorted declared: each its own name,
	// so that a scan may run inside another's callback.
	cursors int
}

var _ store.Reader = (*reader)(nil)

// fail keeps the first failed read.
func (r *reader) fail(what string, err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("store: read %s: %w", what, err)
	}
}

// Read runs fn with a Reader bound to one read-only REPEATABLE READ
// transaction: everything fn reads comes from one snapshot, whatever the
// other replicas commit meanwhile. It returns the first read that failed,
// else fn's error.
func (s *Store) Read(ctx context.Context, fn func(store.Reader) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: begin a read: %w", err)
	}
	defer conn.Release()
	version, members, err := beginRead(ctx, conn.Conn())
	if err != nil {
		// The server may have restarted: what it counted is not known.
		s.boards.drop()
		s.dirs.drop()
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		return fmt.Errorf("store: begin a read: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if _, err := conn.Exec(rctx, "ROLLBACK"); err != nil {
			_ = conn.Conn().Close(rctx)
		}
		cancel()
	}()
	r := &reader{s: s, ctx: ctx, q: conn, version: version, members: members, versioned: true}
	ferr := fn(r)
	if r.err != nil {
		return r.err
	}
	return ferr
}

// beginRead reads the boards' change counters, then begins the read-only
// REPEATABLE READ transaction, in one round trip: the counter is read in
// a transaction of its own, which ends before the read's snapshot is
// taken (by its first statement).
func beginRead(ctx context.Context, conn *pgx.Conn) (version, members int64, err error) {
	pl := conn.PgConn().StartPipeline(ctx)
	pl.SendQueryParams(`SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM board_changes),
		(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM member_changes)`, nil, nil, nil, nil)
	pl.SendPipelineSync()
	pl.SendQueryParams("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", nil, nil, nil, nil)
	pl.SendPipelineSync()
	if err := pl.Flush(); err != nil {
		_ = pl.Close()
		return 0, 0, err
	}
	got := false
	for syncs := 0; syncs < 2 && err == nil; {
		var res any
		res, err = pl.GetResults()
		switch res := res.(type) {
		case *pgconn.ResultReader:
			for res.NextRow() {
				v := res.Values()
				version, err = strconv.ParseInt(string(v[0]), 10, 64)
				if err == nil {
					members, err = strconv.ParseInt(string(v[1]), 10, 64)
				}
				got = err == nil
			}
			if _, cerr := res.Close(); err == nil {
				err = cerr
			}
		case *pgconn.PipelineSync:
			syncs++
		case nil:
			if err == nil {
				err = errors.New("the read's pipeline ended early")
			}
		}
	}
	if cerr := pl.Close(); err == nil {
		err = cerr
	}
	if err == nil && !got {
		err = errors.New("the boards' change counter is missing")
	}
	return version, members, err
}

// Now is the store's clock (UTC).
func (r *reader) Now() time.Time { return r.s.Now() }

// Location is the zone periods are computed in.
func (r *reader) Location() *time.Location { return r.s.loc }

// History returns a member's latest n entries (as receiver), newest first.
func (r *reader) History(member string, n int) []jifen.Entry {
	return collect(r, "history", "SELECT "+entryColumns+" FROM entries WHERE receiver = $1 ORDER BY id DESC LIMIT $2",
		func(row pgx.CollectableRow) (jifen.Entry, error) { return scanEntry(row) }, member, n)
}

// scanChunk is how many entries a scan reads per query: fn may read
// through the same transaction between chunks.
const scanChunk = 1000

// ForEachEntry calls fn for every entry in id order.
func (r *reader) ForEachEntry(fn func(e *jifen.Entry) error) error {
	return r.scan(false, fn)
}

// ScanEntries calls fn for every entry ordered by receiver (byte order,
// as the bbolt store), then id, with the fields analyses read, as the
// bbolt store's ScanEntries: Reason, RuleVersion, Approval and Source are
// not set (a revoke carries the reversed entry's effective time,
// category, behavior and quantity, with the points negated, and its own
// giver).
func (r *reader) ScanEntries(fn func(e *jifen.Entry) error) error {
	return r.scan(true, fn)
}

// scan passes the entries to fn a chunk at a time, each chunk read whole
// before fn sees it, so that fn may read through the same transaction.
// Memory does not grow with the ledger.
func (r *reader) scan(byReceiver bool, fn func(e *jifen.Entry) error) error {
	if r.err != nil {
		return r.err
	}
	if byReceiver && r.versioned {
		return r.scanSorted(fn)
	}
	q := "SELECT " + entryColumns + " FROM entries WHERE id > $2 AND $1::text IS NOT NULL ORDER BY id LIMIT $3"
	if byReceiver {
		q = "SELECT " + entryColumns + ` FROM entries WHERE (receiver COLLATE "C", id) > ($1::text COLLATE "C", $2)
			ORDER BY receiver COLLATE "C", id LIMIT $3`
	}
	lastReceiver, lastID := "", int64(0)
	for {
		rows, err := r.q.Query(r.ctx, q, lastReceiver, lastID, scanChunk)
		if err != nil {
			r.fail("entries", err)
			return r.err
		}
		batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (jifen.Entry, error) { return scanEntry(row) })
		if err != nil {
			r.fail("entries", err)
			return r.err
		}
		for i := range batch {
			if byReceiver {
				indexFields(&batch[i])
			}
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		if len(batch) < scanChunk {
			return nil
		}
		last := batch[len(batch)-1]
		lastReceiver, lastID = last.Receiver, int64(last.ID)
	}
}

// indexFields keeps the fields ScanEntries passes.
func indexFields(e *jifen.Entry) {
	e.Reason, e.RuleVersion, e.Approval, e.Source = "", 0, 0, ""
}

// EntryCount is the number of entries in the ledger.
func (r *reader) EntryCount() int {
	var n int
	if err := r.q.QueryRow(r.ctx, "SELECT count(*) FROM entries").Scan(&n); err != nil {
		r.fail("the entry count", err)
	}
	return n
}

// HasEntries reports whether the ledger holds any entry.
func (r *reader) HasEntries() bool {
	var has bool
	if err := r.q.QueryRow(r.ctx, "SELECT EXISTS (SELECT 1 FROM entries)").Scan(&has); err != nil {
		r.fail("the entries", err)
	}
	return has
}

// Seen reports whether an idempotency key is recorded, and its result.
func (r *reader) Seen(key string) ([]byte, bool) {
	var res []byte
	err := r.q.QueryRow(r.ctx, "SELECT result FROM idempotency WHERE key = $1", key).Scan(&res)
	if err != nil {
		if !isNoRows(err) {
			r.fail("an idempotency key", err)
		}
		return nil, false
	}
	return res, true
}

// LedgerIDs returns the ids of the entries f selects, newest first.
func (r *reader) LedgerIDs(f store.LedgerFilter) ([]uint64, error) {
	if f.Receivers != nil && len(f.Receivers) == 0 {
		return nil, nil
	}
	var ids []uint64
	rows, err := r.q.Query(r.ctx, "SELECT "+entryColumns+" FROM entries WHERE $1::text[] IS NULL OR receiver = ANY ($1) ORDER BY id DESC",
		f.Receivers)
	if err != nil {
		r.fail("the ledger", err)
		return nil, r.err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			r.fail("the ledger", err)
			return nil, r.err
		}
		indexFields(&e)
		if f.Keep == nil || f.Keep(&e) {
			ids = append(ids, e.ID)
		}
	}
	if err := rows.Err(); err != nil {
		r.fail("the ledger", err)
		return nil, r.err
	}
	return slices.Compact(ids), nil
}

// LedgerRows reads the entries ids in the order given and calls fn with
// each and what became of it. An id that names no entry is skipped.
func (r *reader) LedgerRows(ids []uint64, fn func(row *store.LedgerRow) error) error {
	approvals := map[uint64]*store.Approval{}
	for _, id := range ids {
		e, rev, ok := r.Entry(id)
		if r.err != nil {
			return r.err
		}
		if !ok {
			continue
		}
		row := store.LedgerRow{Entry: e, ReversedBy: rev}
		if e.Approval != 0 {
			a, seen := approvals[e.Approval]
			if !seen {
				if ap, ok := r.Approval(e.Approval); ok {
					a = &ap
				}
				approvals[e.Approval] = a
			}
			row.Approval = a
		}
		if e.Kind == jifen.KindRedeem || e.Kind == jifen.KindRevoke {
			x, err := scanRedemption(r.q.QueryRow(r.ctx, "SELECT "+redemptionColumns+" FROM redemptions WHERE entry = $1 OR refund = $1 LIMIT 1", int64(id)))
			switch {
			case err == nil:
				row.Redemption = &x
			case !isNoRows(err):
				r.fail("a redemption", err)
			}
		}
		if r.err != nil {
			return r.err
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
	return nil
}

// The Store's own reads: each query its own snapshot, a failure logged.
// Callers that need one snapshot, or the failure, use Read.
