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
	"jifen/store"
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
	ct  *connTx // tx, as the store made it
	s   *Store
	now time.Time
	// err is the first database error met by a read whose method returns
	// no error: the transaction is aborted then, and the write fails with
	// it (and is retried if it is a serialization failure).
	err error
	// heads holds the members locked by this transaction, with the
	// recording time of their last entry.
	heads map[string]time.Time
	// figs holds the figures of locked members read by the limits (see
	// figures), valid while the transaction writes nothing.
	figs map[string]*figures
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

// sendBatch sends the statements of b in one round trip, each noted as
// exec notes its statement (see Tx.track).
func (tx *Tx) sendBatch(b *pgx.Batch) error {
	for _, q := range b.QueuedQueries {
		tx.track(q.SQL)
	}
	var err error
	if tx.ct != nil {
		err = tx.ct.sendWithDeferred(tx.ctx, b)
	} else {
		err = tx.tx.SendBatch(tx.ctx, b).Close()
	}
	tx.note(err)
	return err
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
	return tx.lockAndRead(nil, members...)
}

// lockAndRead is lockMembers, reading with each member's lock (in the
// same round trip, by statements that start once the lock is held) the
// parts of their figures the limits ask for (see figures) that are not
// read yet. The members' locks (and figures) are sent in one round trip,
// in the members' order.
func (tx *Tx) lockAndRead(parts []part, members ...string) error {
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	type pending struct {
		m             string
		locked, found bool
		last          *time.Time
		f             *figures
		missing       []part
	}
	var ps []*pending
	b := &pgx.Batch{}
	for _, m := range slices.Compact(sorted) {
		if m == "" {
			continue
		}
		_, locked := tx.heads[m]
		f := tx.figs[m]
		if f == nil || f.gen != tx.ct.wrote {
			f = nil
		}
		var missing []part
		for _, pt := range parts {
			if (f == nil || !f.read[pt]) && !slices.Contains(missing, pt) {
				missing = append(missing, pt)
			}
		}
		if locked && len(missing) == 0 {
			continue
		}
		p := &pending{m: m, locked: locked, f: f, missing: missing}
		if !locked {
			// FOR UPDATE waits for a writer holding the row, then locks
			// its newest version; a member's first row is created after
			// (in round trips of its own, once per member).
			b.Queue("SELECT last_at FROM heads WHERE member = $1 FOR UPDATE", m).QueryRow(func(row pgx.Row) error {
				err := row.Scan(&p.last)
				if errors.Is(err, pgx.ErrNoRows) {
					return nil
				}
				p.found = err == nil
				return err
			})
		}
		if len(missing) > 0 {
			if p.f == nil {
				p.f = tx.newFigures()
			}
			tx.queueParts(b, m, p.f, missing)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil
	}
	if err := tx.sendBatch(b); err != nil {
		return err
	}
	for _, p := range ps {
		if !p.locked && !p.found {
			if _, err := tx.exec("INSERT INTO heads (member) VALUES ($1) ON CONFLICT (member) DO NOTHING", p.m); err != nil {
				return err
			}
			if _, err := tx.row("SELECT last_at FROM heads WHERE member = $1 FOR UPDATE", []any{p.m}, &p.last); err != nil {
				return err
			}
			if len(p.missing) > 0 {
				// Read again, after the lock (and the insert, which
				// made the figures read so far stale).
				b := &pgx.Batch{}
				p.f = tx.newFigures()
				tx.queueParts(b, p.m, p.f, parts)
				if err := tx.sendBatch(b); err != nil {
					return err
				}
			}
		}
		if tx.heads == nil {
			tx.heads = map[string]time.Time{}
			tx.figs = map[string]*figures{}
		}
		if !p.locked {
			tx.heads[p.m] = time.Time{}
			if p.last != nil {
				tx.heads[p.m] = p.last.UTC()
			}
		}
		if p.f != nil {
			tx.figs[p.m] = p.f
		}
	}
	return nil
}

// part names a part of a member's figures a limit reads: the aggregates
// of one kind in one period (all their extras), the per-behavior use in
// one period (kind partBehaviors), or the pending approvals the member
// gives or receives (kind partPending, no period).
type part struct{ kind, period string }

const (
	partBehaviors = "b"
	partPending   = "p"
)

// pendingPart is the member's pending approvals.
var pendingPart = part{kind: partPending}

// figures are what the limits read of one member: the parts asked for so
// far (a limit reads one or a few rows, not all the member's figures).
// Read under the member's lock, they cannot change but by this
// transaction, so each part is read once, in the round trip of the lock
// or in one of its own, and again only after the transaction writes
// something.
type figures struct {
	gen     int // the transaction's connTx.wrote when they were read
	read    map[part]bool
	aggs    map[aggKey]store.Agg
	behs    map[behKey]behUse
	pending []pendingShare
}

func (tx *Tx) newFigures() *figures {
	return &figures{gen: tx.ct.wrote, read: map[part]bool{}, aggs: map[aggKey]store.Agg{}, behs: map[behKey]behUse{}}
}

// pendingShare is a pending approval a member gives or receives.
type pendingShare struct {
	at        time.Time
	giver     string
	receivers []string
	points    int64
	behavior  string
}

// queueParts queues the statements that read parts of member m's figures
// into f.
func (tx *Tx) queueParts(b *pgx.Batch, m string, f *figures, parts []part) {
	for _, pt := range parts {
		switch pt.kind {
		case partPending:
			b.Queue(`SELECT created_at, giver, receivers, points, behavior FROM approvals
				WHERE status = 'pending' AND (giver = $1 OR $1 = ANY (receivers))`, m).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var a pendingShare
					if err := rows.Scan(&a.at, &a.giver, &a.receivers, &a.points, &a.behavior); err != nil {
						return err
					}
					a.at = a.at.UTC()
					f.pending = append(f.pending, a)
				}
				if err := rows.Err(); err != nil {
					return err
				}
				f.read[pt] = true
				return nil
			})
		case partBehaviors:
			b.Queue("SELECT behavior, times, points FROM behavior_use WHERE period = $1 AND member = $2",
				pt.period, m).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var beh string
					var u behUse
					if err := rows.Scan(&beh, &u.times, &u.points); err != nil {
						return err
					}
					f.behs[behKey{pt.period, m, beh}] = u
				}
				if err := rows.Err(); err != nil {
					return err
				}
				f.read[pt] = true
				return nil
			})
		default:
			b.Queue("SELECT extra, net, plus, minus, count FROM aggregates WHERE period = $1 AND kind = $2 AND member = $3",
				pt.period, pt.kind, m).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var extra string
					var a store.Agg
					if err := rows.Scan(&extra, &a.Net, &a.Plus, &a.Minus, &a.Count); err != nil {
						return err
					}
					f.aggs[aggKey{pt.period, pt.kind, m, extra}] = a
				}
				if err := rows.Err(); err != nil {
					return err
				}
				f.read[pt] = true
				return nil
			})
		}
	}
}

// figuresOf returns member m's figures with the given parts read, locking
// the member and reading them if needed; nil if the read failed.
func (tx *Tx) figuresOf(m string, parts ...part) *figures {
	if err := tx.lockAndRead(parts, m); err != nil {
		return nil
	}
	f := tx.figs[m]
	if f == nil || f.gen != tx.ct.wrote {
		return nil
	}
	for _, pt := range parts {
		if !f.read[pt] {
			return nil
		}
	}
	return f
}

// pendingIn sums the pending approvals of f in p that keep returns
// true for.
func (f *figures) pendingIn(p jifen.Period, keep func(a *pendingShare) bool) (n int64, points int64) {
	for i := range f.pending {
		a := &f.pending[i]
		if !a.at.Before(p.Start) && a.at.Before(p.End) && keep(a) {
			n++
			points += a.points
		}
	}
	return n, points
}

// Seen returns the result recorded under an idempotency key, if any.
func (tx *Tx) Seen(key string) ([]byte, bool) {
	var res []byte
	found, _ := tx.row("SELECT result FROM idempotency WHERE key = $1", []any{key}, &res)
	return res, found
}
