package postgres

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// The kinds of aggregate figure (see the aggregates table).
const (
	aggTotal    = "t"
	aggCategory = "c"
	aggGiver    = "g"
	aggSpent    = "s"
)

// ErrOutOfStock is returned by Append when a redemption would hand out
// more units of an item than its stock (the stock table's limit).
var ErrOutOfStock = errors.New("out of stock")

const entryColumns = `id, kind, at, effective, giver, receiver, points, category, behavior, reason,
	rule_version, coalesce(reverses, 0), coalesce(approval, 0), source, quantity`

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEntry(r scanner) (jifen.Entry, error) {
	var e jifen.Entry
	var kind string
	var rv int32
	var rev, appr int64
	err := r.Scan(&e.ID, &kind, &e.At, &e.Effective, &e.Giver, &e.Receiver, &e.Points, &e.Category,
		&e.Behavior, &e.Reason, &rv, &rev, &appr, &e.Source, &e.Quantity)
	e.Kind, e.RuleVersion, e.Reverses, e.Approval = jifen.EntryKind(kind), int(rv), uint64(rev), uint64(appr)
	e.At, e.Effective = e.At.UTC(), e.Effective.UTC()
	return e, err
}

// nullID is an id column's value: NULL for 0.
func nullID(id uint64) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

// Append adds e to the ledger with the next id, updating the aggregates,
// the per-behavior use and the stock in the same transaction. Kind,
// Receiver and Points must be set; At defaults to the transaction's time
// and Effective to At; both are kept to the microsecond, as PostgreSQL
// does. A revoke must name an entry that exists, is not a revoke and is
// not reversed yet; its Points, Effective, Category, Behavior, Receiver
// and Quantity are taken from that entry. The redeem entry of a redemption
// is reversed only by a refund of the redemption.
//
// A member's recording times never decrease with the id (the per-behavior
// limits rely on it, as in the bbolt store): an entry whose At is before
// the receiver's last entry's is recorded at the transaction's time, or at
// that entry's time if it is later still, keeping its Effective time.
// Across members, ids follow the order in which transactions took them,
// which concurrent replicas do not order by time.
func (tx *Tx) Append(e *jifen.Entry) (uint64, error) {
	if !e.Kind.Valid() {
		return 0, fmt.Errorf("append: invalid kind %q", e.Kind)
	}
	if e.At.IsZero() {
		e.At = tx.now
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	var orig *jifen.Entry
	if e.Kind == jifen.KindRevoke {
		// Locked, so that a concurrent revoke of the same entry waits and
		// then finds it reversed.
		o, ok := tx.entry(e.Reverses, true)
		if !ok {
			return 0, fmt.Errorf("append: revoke of unknown entry %d", e.Reverses)
		}
		if o.Kind == jifen.KindRevoke || tx.ReversedBy(o.ID) != 0 {
			return 0, fmt.Errorf("append: entry %d cannot be reversed again", o.ID)
		}
		if o.Kind == jifen.KindRedeem && tx.refunding != o.ID {
			var rid int64
			if found, err := tx.row("SELECT id FROM redemptions WHERE entry = $1 FOR UPDATE", []any{int64(o.ID)}, &rid); err != nil {
				return 0, err
			} else if found {
				return 0, fmt.Errorf("append: entry %d is the redeem entry of redemption R%d; refund it with RefundRedemption", o.ID, rid)
			}
		}
		orig = &o
		e.Points, e.Effective, e.Category, e.Behavior, e.Receiver = -o.Points, o.Effective, o.Category, o.Behavior, o.Receiver
		e.Quantity = o.Quantity
	}
	if e.Receiver == "" {
		return 0, fmt.Errorf("append: no receiver")
	}
	if e.Effective.IsZero() {
		e.Effective = e.At
	}
	e.Effective = e.Effective.UTC().Truncate(time.Microsecond)
	// The receiver's and the giver's figures change: lock both (the
	// receiver's row holds the time of its last entry).
	if err := tx.lockMembers(e.Receiver, e.Giver); err != nil {
		return 0, err
	}
	last := tx.heads[e.Receiver]
	if e.At.Before(last) {
		e.At = last.UTC()
		if tx.now.After(last) {
			e.At = tx.now.Truncate(time.Microsecond)
		}
	}
	if e.Effective.After(e.At) {
		return 0, fmt.Errorf("append: effective time %s is after the recording time", e.Effective)
	}
	var id int64
	// One statement for the entry and the receiver's last recording
	// time; for an entry that is not a revoke, its figures are added by
	// a second statement sent in the same round trip.
	b := &pgx.Batch{}
	b.Queue(`WITH h AS (UPDATE heads SET last_at = $2 WHERE member = $5)
		INSERT INTO entries (kind, at, effective, giver, receiver, points, category, behavior,
		reason, rule_version, reverses, approval, source, quantity)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		string(e.Kind), e.At, e.Effective, e.Giver, e.Receiver, e.Points, e.Category, e.Behavior,
		e.Reason, e.RuleVersion, nullID(e.Reverses), nullID(e.Approval), e.Source, e.Quantity).QueryRow(func(row pgx.Row) error {
		return row.Scan(&id)
	})
	var fx *effectRows
	if orig == nil {
		fx = effectsOf(e, nil, tx.s.loc)
		fx.queueAdd(b)
	}
	if err := tx.sendBatch(b); err != nil {
		return 0, err
	}
	e.ID = uint64(id)
	tx.heads[e.Receiver] = e.At
	if orig != nil {
		if err := tx.applyEffects(e, orig); err != nil {
			return 0, err
		}
	}
	if err := tx.applyStock(e); err != nil {
		return 0, err
	}
	return e.ID, nil
}

// aggKey names one aggregate figure.
type aggKey struct{ period, kind, member, extra string }

// behKey names one per-behavior use figure.
type behKey struct{ period, member, behavior string }

type behUse struct{ times, points int64 }

// effects lists the aggregate and per-behavior changes of entry e. For a
// revoke, orig is the entry it reverses. They are the bbolt store's
// figures: see store/aggregate.go.
func effects(e, orig *jifen.Entry, loc *time.Location) (map[aggKey]store.Agg, map[behKey]behUse) {
	aggs, behs := map[aggKey]store.Agg{}, map[behKey]behUse{}
	src, sign := e, int64(1)
	if e.Kind == jifen.KindRevoke {
		if orig == nil {
			return aggs, behs
		}
		src, sign = orig, -1
	}
	add := func(k aggKey, a store.Agg) {
		o := aggs[k]
		aggs[k] = store.Agg{Net: o.Net + a.Net, Plus: o.Plus + a.Plus, Minus: o.Minus + a.Minus, Count: o.Count + a.Count}
	}
	a := aggOf(src.Points, sign)
	for _, kind := range jifen.PeriodKinds {
		p := jifen.PeriodOf(kind, src.Effective, loc)
		if src.Behavior != "" {
			k := behKey{p.Key, src.Receiver, src.Behavior}
			u := behs[k]
			u.times += sign * max(1, src.Quantity)
			u.points += sign * abs(src.Points)
			behs[k] = u
		}
		if src.Kind == jifen.KindRedeem {
			add(aggKey{p.Key, aggSpent, src.Receiver, ""}, aggOf(-src.Points, sign))
			continue
		}
		add(aggKey{p.Key, aggTotal, src.Receiver, ""}, a)
		if kind != jifen.Week && src.Category != "" {
			add(aggKey{p.Key, aggCategory, src.Receiver, src.Category}, a)
		}
		if pool := poolOf(src.Kind); pool != "" && src.Giver != "" {
			add(aggKey{p.Key, aggGiver, src.Giver, pool}, store.Agg{Net: src.Points * sign, Plus: src.Points * sign, Count: sign})
		}
	}
	return aggs, behs
}

// aggOf is the contribution of one entry of the given points; sign is -1
// when a revoke takes it back.
func aggOf(points, sign int64) store.Agg {
	a := store.Agg{Net: points, Count: 1}
	if points > 0 {
		a.Plus = points
	} else {
		a.Minus = -points
	}
	return store.Agg{Net: a.Net * sign, Plus: a.Plus * sign, Minus: a.Minus * sign, Count: a.Count * sign}
}

func poolOf(k jifen.EntryKind) string {
	switch k {
	case jifen.KindAward:
		return string(rules.PoolAward)
	case jifen.KindThanks:
		return string(rules.PoolThanks)
	}
	return ""
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// effectRows are an entry's figure changes as the columns of the
// statements that apply them, in a fixed order of rows (so that two
// transactions lock them in the same order).
type effectRows struct {
	periods, kinds, members, extras []string
	nets, pluses, minuses, counts   []int64
	bperiods, bmembers, bbehaviors  []string
	times, points                   []int64
}

func effectsOf(e, orig *jifen.Entry, loc *time.Location) *effectRows {
	aggs, behs := effects(e, orig, loc)
	keys := make([]aggKey, 0, len(aggs))
	for k := range aggs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return strings.Join([]string{a.period, a.kind, a.member, a.extra}, "\x00") <
			strings.Join([]string{b.period, b.kind, b.member, b.extra}, "\x00")
	})
	r := &effectRows{}
	for _, k := range keys {
		a := aggs[k]
		r.periods, r.kinds, r.members, r.extras = append(r.periods, k.period), append(r.kinds, k.kind), append(r.members, k.member), append(r.extras, k.extra)
		r.nets, r.pluses, r.minuses, r.counts = append(r.nets, a.Net), append(r.pluses, a.Plus), append(r.minuses, a.Minus), append(r.counts, a.Count)
	}
	bkeys := make([]behKey, 0, len(behs))
	for k := range behs {
		bkeys = append(bkeys, k)
	}
	sort.Slice(bkeys, func(i, j int) bool { return bkeys[i].period < bkeys[j].period })
	for _, k := range bkeys {
		u := behs[k]
		r.bperiods, r.bmembers, r.bbehaviors = append(r.bperiods, k.period), append(r.bmembers, k.member), append(r.bbehaviors, k.behavior)
		r.times, r.points = append(r.times, u.times), append(r.points, u.points)
	}
	return r
}

// queueAdd queues the statement that adds the figures of an entry that
// is not a revoke: both tables in one statement.
func (r *effectRows) queueAdd(b *pgx.Batch) {
	if len(r.periods)+len(r.bperiods) == 0 {
		return
	}
	b.Queue(`WITH a AS (
			INSERT INTO aggregates AS a (period, kind, member, extra, net, plus, minus, count)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[])
			ON CONFLICT (period, kind, member, extra) DO UPDATE SET net = a.net + excluded.net,
				plus = a.plus + excluded.plus, minus = a.minus + excluded.minus, count = a.count + excluded.count)
		INSERT INTO behavior_use AS b (period, member, behavior, times, points)
		SELECT * FROM unnest($9::text[], $10::text[], $11::text[], $12::int8[], $13::int8[])
		ON CONFLICT (period, member, behavior) DO UPDATE SET times = b.times + excluded.times,
			points = b.points + excluded.points`,
		r.periods, r.kinds, r.members, r.extras, r.nets, r.pluses, r.minuses, r.counts,
		r.bperiods, r.bmembers, r.bbehaviors, r.times, r.points)
}

// addToAggregates adds deltas to aggregate rows that exist (a revoke's
// take-back: an upsert would not do, as PostgreSQL checks a row's
// constraints before it finds the conflict, and the deltas are negative).
const addToAggregates = `UPDATE aggregates AS a SET net = a.net + d.net, plus = a.plus + d.plus,
		minus = a.minus + d.minus, count = a.count + d.count
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[])
		AS d (period, kind, member, extra, net, plus, minus, count)
	WHERE a.period = d.period AND a.kind = d.kind AND a.member = d.member AND a.extra = d.extra`

// applyEffects takes back the figures of the entry orig that the revoke
// e reverses, and deletes the figures it brought back to zero.
func (tx *Tx) applyEffects(e, orig *jifen.Entry) error {
	r := effectsOf(e, orig, tx.s.loc)
	// A revoke takes back figures its entry made, which exist.
	if n := len(r.periods); n > 0 {
		tag, err := tx.exec(addToAggregates,
			r.periods, r.kinds, r.members, r.extras, r.nets, r.pluses, r.minuses, r.counts)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(n) {
			return fmt.Errorf("append: the figures of entry %d are missing %d of %d aggregates", e.Reverses, int64(n)-tag.RowsAffected(), n)
		}
	}
	if n := len(r.bperiods); n > 0 {
		tag, err := tx.exec(`UPDATE behavior_use AS b SET times = b.times + d.times, points = b.points + d.points
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[]) AS d (period, member, behavior, times, points)
			WHERE b.period = d.period AND b.member = d.member AND b.behavior = d.behavior`,
			r.bperiods, r.bmembers, r.bbehaviors, r.times, r.points)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(n) {
			return fmt.Errorf("append: the per-behavior use of entry %d is missing", e.Reverses)
		}
	}
	// A revoked award leaves no trace in the figures.
	if _, err := tx.exec(`DELETE FROM aggregates WHERE (period, kind, member, extra) IN
		(SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))
		AND net = 0 AND plus = 0 AND minus = 0 AND count = 0`, r.periods, r.kinds, r.members, r.extras); err != nil {
		return err
	}
	_, err := tx.exec(`DELETE FROM behavior_use WHERE (period, member, behavior) IN
		(SELECT * FROM unnest($1::text[], $2::text[], $3::text[])) AND times = 0 AND points = 0`,
		r.bperiods, r.bmembers, r.bbehaviors)
	return err
}

func (tx *Tx) applyStock(e *jifen.Entry) error {
	item, units := store.StockDelta(e)
	if units == 0 {
		return nil
	}
	var err error
	if units > 0 {
		_, err = tx.exec(`INSERT INTO stock AS s (item, used) VALUES ($1, $2)
			ON CONFLICT (item) DO UPDATE SET used = s.used + excluded.used`, item, units)
	} else {
		// A refund: the row exists, and an upsert's negative row would
		// fail its check before the conflict is found.
		var tag pgconn.CommandTag
		tag, err = tx.exec("UPDATE stock SET used = used + $2 WHERE item = $1", item, units)
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("stock of %q would go below zero", item)
			tx.err = err
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23514" {
		if pe.ConstraintName == "stock_used_check" {
			err = fmt.Errorf("stock of %q would go below zero: %w", item, err)
		} else {
			err = fmt.Errorf("%w: %q", ErrOutOfStock, item)
		}
		tx.err = err
	}
	return err
}

// SetStockLimit sets how many units of an item can be handed out in all
// (its stock; negative for no limit). A limit below what is redeemed
// already is refused.
func (tx *Tx) SetStockLimit(item string, limit int64) error {
	var lim any
	if limit >= 0 {
		lim = limit
	}
	_, err := tx.exec(`INSERT INTO stock AS s (item, lim) VALUES ($1, $2)
		ON CONFLICT (item) DO UPDATE SET lim = excluded.lim`, item, lim)
	return err
}

// StockUsed is how many units of an item are redeemed (net of refunds), as
// of this point of the transaction.
func (tx *Tx) StockUsed(item string) int64 {
	var n int64
	// Locks the item's row (creating it) until the transaction ends.
	_, _ = tx.row(`INSERT INTO stock (item) VALUES ($1)
		ON CONFLICT (item) DO UPDATE SET item = excluded.item RETURNING used`, []any{item}, &n)
	return n
}

// Entry returns the entry with the given id.
func (tx *Tx) Entry(id uint64) (jifen.Entry, bool) { return tx.entry(id, false) }

func (tx *Tx) entry(id uint64, lock bool) (jifen.Entry, bool) {
	q := "SELECT " + entryColumns + " FROM entries WHERE id = $1"
	if lock {
		q += " FOR UPDATE"
		tx.track(q)
	}
	e, err := scanEntry(tx.tx.QueryRow(tx.ctx, q, int64(id)))
	if err != nil {
		if !isNoRows(err) {
			tx.note(err)
		}
		return jifen.Entry{}, false
	}
	return e, true
}

// ReversedBy returns the id of the revoke that reversed entry id, or 0.
func (tx *Tx) ReversedBy(id uint64) uint64 {
	var rev int64
	_, _ = tx.row("SELECT id FROM entries WHERE reverses = $1", []any{int64(id)}, &rev)
	return uint64(rev)
}

// agg reads one figure inside the transaction, under the member's lock,
// with the other parts of the member's figures the caller reads next (in
// the same round trip).
func (tx *Tx) agg(kind, period, member, extra string, with ...part) store.Agg {
	if f := tx.figuresOf(member, append([]part{{kind, period}}, with...)...); f != nil {
		return f.aggs[aggKey{period, kind, member, extra}]
	}
	return store.Agg{}
}

// pending reads a member's pending approvals in p that keep selects,
// under the member's lock: how many, and their points.
func (tx *Tx) pending(member string, p jifen.Period, keep func(a *pendingShare) bool) (n, points int64) {
	if f := tx.figuresOf(member, pendingPart); f != nil {
		return f.pendingIn(p, keep)
	}
	return 0, 0
}

// Net is the member's net points effective in p, as of this point of the
// transaction: what /score shows. Pending approvals are not in it (Usage
// counts them).
func (tx *Tx) Net(member string, p jifen.Period) int64 {
	return tx.agg(aggTotal, p.Key, member, "").Net
}

// Balance is what a member can spend, as of this point of the transaction.
func (tx *Tx) Balance(member string) int64 {
	all := string(jifen.AllTime)
	return tx.agg(aggTotal, all, member, "", part{aggSpent, all}).Net - tx.agg(aggSpent, all, member, "").Net
}

// Usage returns the usage figures the rule catalog checks limits against,
// as of this point of the transaction, including pending approvals.
func (tx *Tx) Usage() rules.Usage { return txUsage{tx} }

type txUsage struct{ tx *Tx }

func (u txUsage) Net(member string, p jifen.Period) int64 {
	return u.tx.agg(aggTotal, p.Key, member, "", pendingPart).Net + u.tx.PendingPoints(member, p)
}

// PendingPoints is what the member's pending approvals requested in p would
// add if approved.
func (tx *Tx) PendingPoints(member string, p jifen.Period) int64 {
	_, pts := tx.pending(member, p, func(a *pendingShare) bool { return slices.Contains(a.receivers, member) })
	return pts
}

func (u txUsage) BehaviorUse(member, behavior string, p jifen.Period) (int, int64) {
	var times, points int64
	if f := u.tx.figuresOf(member, part{partBehaviors, p.Key}, pendingPart); f != nil {
		b := f.behs[behKey{p.Key, member, behavior}]
		times, points = b.times, b.points
	}
	var ppoints int64
	ptimes, _ := u.tx.pending(member, p, func(a *pendingShare) bool {
		if a.behavior == behavior && slices.Contains(a.receivers, member) {
			ppoints += abs(a.points)
			return true
		}
		return false
	})
	return int(times + ptimes), points + ppoints
}

func (u txUsage) GiverUse(giver string, pool rules.Pool, p jifen.Period) int64 {
	if pool != rules.PoolAward {
		return u.tx.agg(aggGiver, p.Key, giver, string(pool)).Net
	}
	n := u.tx.agg(aggGiver, p.Key, giver, string(pool), pendingPart).Net
	u.tx.pending(giver, p, func(a *pendingShare) bool {
		if a.giver == giver {
			n += a.points * int64(len(a.receivers))
		}
		return false
	})
	return n
}

// getAgg reads one figure.
func (r *reader) getAgg(kind, period, member, extra string) store.Agg {
	ctx := r.ctx
	var a store.Agg
	err := r.q.QueryRow(ctx, `SELECT net, plus, minus, count FROM aggregates
		WHERE period = $1 AND kind = $2 AND member = $3 AND extra = $4`,
		period, kind, member, extra).Scan(&a.Net, &a.Plus, &a.Minus, &a.Count)
	if err != nil && !isNoRows(err) {
		r.fail("an aggregate", err)
	}
	return a
}

// Totals is a member's earned points in a period (redemptions excluded).
func (r *reader) Totals(member string, p jifen.Period) store.Agg {
	return r.getAgg(aggTotal, p.Key, member, "")
}

// Spent is what a member spent on rewards in a period.
func (r *reader) Spent(member string, p jifen.Period) int64 {
	return r.getAgg(aggSpent, p.Key, member, "").Net
}

// Balance is what a member can spend: everything earned minus everything
// spent, read in one statement.
func (r *reader) Balance(member string) int64 {
	ctx := r.ctx
	var n int64
	err := r.q.QueryRow(ctx, `SELECT coalesce(sum(CASE kind WHEN 't' THEN net ELSE -net END), 0)
		FROM aggregates WHERE period = 'all' AND kind IN ('t', 's') AND member = $1 AND extra = ''`, member).Scan(&n)
	if err != nil {
		r.fail("a balance", err)
	}
	return n
}

// GiverUsed is what a giver has given from an allowance pool ("award" or
// "thanks") in a period.
func (r *reader) GiverUsed(giver, pool string, p jifen.Period) int64 {
	return r.getAgg(aggGiver, p.Key, giver, pool).Net
}

// Categories is a member's earned points by category in a period. Weeks
// have no category figures.
func (r *reader) Categories(member string, p jifen.Period) map[string]store.Agg {
	ctx := r.ctx
	out := map[string]store.Agg{}
	rows, err := r.q.Query(ctx, `SELECT extra, net, plus, minus, count FROM aggregates
		WHERE period = $1 AND kind = 'c' AND member = $2`, p.Key, member)
	if err != nil {
		r.fail("categories", err)
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var a store.Agg
		if err := rows.Scan(&c, &a.Net, &a.Plus, &a.Minus, &a.Count); err != nil {
			r.fail("categories", err)
			return out
		}
		out[c] = a
	}
	return out
}

// StockUsed is how many units of an item are redeemed, net of refunds.
func (r *reader) StockUsed(item string) int64 {
	ctx := r.ctx
	var n int64
	if err := r.q.QueryRow(ctx, "SELECT used FROM stock WHERE item = $1", item).Scan(&n); err != nil && !isNoRows(err) {
		r.fail("stock", err)
	}
	return n
}

// Entry returns an entry and the id of the revoke that reversed it (0 if
// none).
func (r *reader) Entry(id uint64) (e jifen.Entry, reversedBy uint64, ok bool) {
	ctx := r.ctx
	e, err := scanEntry(r.q.QueryRow(ctx, "SELECT "+entryColumns+" FROM entries WHERE id = $1", int64(id)))
	if err != nil {
		if !isNoRows(err) {
			r.fail("an entry", err)
		}
		return jifen.Entry{}, 0, false
	}
	var rev int64
	if err := r.q.QueryRow(ctx, "SELECT id FROM entries WHERE reverses = $1", int64(id)).Scan(&rev); err != nil && !isNoRows(err) {
		r.fail("an entry", err)
	}
	return e, uint64(rev), true
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
