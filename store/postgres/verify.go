package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
)

const maxProblems = 100

// Verify recomputes every aggregate, per-behavior use, stock figure and
// member's last recording time from the entries alone and compares them
// with the stored ones, and checks approvals and redemptions against the
// entries, in one consistent snapshot (it may run while replicas write).
// What the database's constraints guarantee (an entry reversed at most
// once, effective never after recorded, stock within its limit) is not
// checked again. Problems name ids only, never what people wrote.
func (s *Store) Verify() (store.VerifyReport, error) {
	var rep store.VerifyReport
	ctx := context.Background()
	problem := func(format string, args ...any) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		}
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		aggs, behs, stock := map[aggKey]store.Agg{}, map[behKey]behUse{}, map[string]int64{}
		lastAt := map[string]time.Time{}
		// Entries are read in order, so the entry a revoke reverses was
		// read before it: the revoked ones (few) are kept by id until
		// their revoke comes.
		rows, err := tx.Query(ctx, "SELECT reverses FROM entries WHERE reverses IS NOT NULL")
		if err != nil {
			return err
		}
		revoked := map[uint64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			revoked[uint64(id)] = true
		}
		rows.Close()
		rows, err = tx.Query(ctx, "SELECT "+entryColumns+" FROM entries ORDER BY id")
		if err != nil {
			return err
		}
		byID := map[uint64]jifen.Entry{}
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				rows.Close()
				return err
			}
			rep.Entries++
			if e.At.Before(lastAt[e.Receiver]) {
				problem("entry %d: recorded at %s, before an earlier entry of member %s (%s): a member's recording times must not decrease",
					e.ID, e.At.Format(time.RFC3339Nano), e.Receiver, lastAt[e.Receiver].Format(time.RFC3339Nano))
			} else {
				lastAt[e.Receiver] = e.At
			}
			var orig *jifen.Entry
			if e.Kind == jifen.KindRevoke {
				o, ok := byID[e.Reverses]
				if !ok {
					problem("entry %d: reverses unknown entry %d", e.ID, e.Reverses)
					continue
				}
				if o.Points != -e.Points || o.Receiver != e.Receiver {
					problem("entry %d: reverses %d points of %s with %d points of %s", e.ID, o.Points, o.Receiver, e.Points, e.Receiver)
				}
				orig = &o
				delete(byID, o.ID)
			} else if revoked[e.ID] {
				byID[e.ID] = e
			}
			a, b := effects(&e, orig, s.loc)
			for k, v := range a {
				w := aggs[k]
				aggs[k] = store.Agg{Net: w.Net + v.Net, Plus: w.Plus + v.Plus, Minus: w.Minus + v.Minus, Count: w.Count + v.Count}
			}
			for k, v := range b {
				w := behs[k]
				behs[k] = behUse{w.times + v.times, w.points + v.points}
			}
			if item, units := store.StockDelta(&e); units != 0 {
				stock[item] += units
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		// Aggregates.
		rows, err = tx.Query(ctx, "SELECT period, kind, member, extra, net, plus, minus, count FROM aggregates")
		if err != nil {
			return err
		}
		for rows.Next() {
			var k aggKey
			var a store.Agg
			if err := rows.Scan(&k.period, &k.kind, &k.member, &k.extra, &a.Net, &a.Plus, &a.Minus, &a.Count); err != nil {
				rows.Close()
				return err
			}
			rep.Aggregates++
			if w := aggs[k]; w != a {
				problem("aggregate %s %s %s %s: stored %+v, entries give %+v", k.member, k.period, k.kind, k.extra, a, w)
			}
			delete(aggs, k)
		}
		rows.Close()
		for _, k := range sortedKeys(aggs) {
			if a := aggs[k]; !a.IsZero() {
				problem("aggregate %s %s %s %s: missing, entries give %+v", k.member, k.period, k.kind, k.extra, a)
			}
		}

		// Per-behavior use.
		rows, err = tx.Query(ctx, "SELECT period, member, behavior, times, points FROM behavior_use")
		if err != nil {
			return err
		}
		for rows.Next() {
			var k behKey
			var u behUse
			if err := rows.Scan(&k.period, &k.member, &k.behavior, &u.times, &u.points); err != nil {
				rows.Close()
				return err
			}
			if w := behs[k]; w != u {
				problem("behavior use %s %s %s: stored %d times %d points, entries give %d times %d points",
					k.member, k.period, k.behavior, u.times, u.points, w.times, w.points)
			}
			delete(behs, k)
		}
		rows.Close()
		for k, u := range behs {
			if u != (behUse{}) {
				problem("behavior use %s %s %s: missing, entries give %d times %d points", k.member, k.period, k.behavior, u.times, u.points)
			}
		}

		// Stock and the members' last recording times.
		rows, err = tx.Query(ctx, "SELECT item, used FROM stock")
		if err != nil {
			return err
		}
		for rows.Next() {
			var item string
			var used int64
			if err := rows.Scan(&item, &used); err != nil {
				rows.Close()
				return err
			}
			if used != stock[item] {
				problem("stock of %s: %d redeemed, entries give %d", item, used, stock[item])
			}
			delete(stock, item)
		}
		rows.Close()
		for item, n := range stock {
			if n != 0 {
				problem("stock of %s: missing, entries give %d redeemed", item, n)
			}
		}
		rows, err = tx.Query(ctx, "SELECT member, last_at FROM heads WHERE last_at IS NOT NULL")
		if err != nil {
			return err
		}
		for rows.Next() {
			var m string
			var at time.Time
			if err := rows.Scan(&m, &at); err != nil {
				rows.Close()
				return err
			}
			if !at.Equal(lastAt[m]) {
				problem("member %s: last entry recorded at %s, entries give %s", m, at.UTC().Format(time.RFC3339Nano), lastAt[m].Format(time.RFC3339Nano))
			}
		}
		rows.Close()

		// Approvals: an approved one names one award per receiver made
		// from it.
		rows, err = tx.Query(ctx, "SELECT "+approvalColumns+" FROM approvals ORDER BY id")
		if err != nil {
			return err
		}
		approvals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Approval, error) { return scanApproval(r) })
		if err != nil {
			return err
		}
		for _, a := range approvals {
			rep.Approvals++
			if a.Status == store.Pending {
				rep.Open++
			}
			if a.Status != store.Approved {
				continue
			}
			if len(a.Entries) != len(a.Receivers) {
				problem("approval A%d is approved for %d receivers but names %d entries", a.ID, len(a.Receivers), len(a.Entries))
			}
			for _, eid := range a.Entries {
				e, err := scanEntry(tx.QueryRow(ctx, "SELECT "+entryColumns+" FROM entries WHERE id = $1", int64(eid)))
				if err != nil || e.Kind != jifen.KindAward || e.Approval != a.ID || e.Giver != a.Giver || e.Points != a.Points || !slices.Contains(a.Receivers, e.Receiver) {
					problem("approval A%d: entry #%d is not an award it approved", a.ID, eid)
				}
			}
		}

		// Redemptions agree with their redeem entries and refunds.
		rows, err = tx.Query(ctx, `SELECT r.id, r.entry, r.member, r.item, r.quantity, r.points, r.status, coalesce(r.refund, 0),
				e.kind, e.receiver, e.behavior, e.quantity, e.points, coalesce(f.reverses, 0)
			FROM redemptions r JOIN entries e ON e.id = r.entry LEFT JOIN entries f ON f.id = r.refund ORDER BY r.id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, entry, qty, pts, refund, eqty, epts, reverses int64
			var member, item, status, kind, receiver, behavior string
			if err := rows.Scan(&id, &entry, &member, &item, &qty, &pts, &status, &refund, &kind, &receiver, &behavior, &eqty, &epts, &reverses); err != nil {
				rows.Close()
				return err
			}
			rep.Redemptions++
			if kind != string(jifen.KindRedeem) || receiver != member || behavior != store.RewardBehavior(item) || max(1, eqty) != max(1, qty) || -epts != pts {
				problem("redemption R%d: its entry is not its redeem entry", id)
			}
			if refund != 0 && reverses != entry {
				problem("redemption R%d: its refund does not reverse its entry", id)
			}
		}
		rows.Close()
		// Survey answers: an anonymous round's answers name no member and
		// no time; a named round's answer is filed under its member.
		rows, err = tx.Query(ctx, `SELECT a.survey, a.n, r.anonymous, a.respondent, coalesce(a.answer->>'member', ''), a.answer->>'at' IS NOT NULL
			FROM survey_answers a JOIN survey_rounds r USING (survey, n) ORDER BY a.survey, a.n`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid, respondent, member string
			var n int
			var anonymous, at bool
			if err := rows.Scan(&sid, &n, &anonymous, &respondent, &member, &at); err != nil {
				rows.Close()
				return err
			}
			switch {
			case anonymous && (member != "" || at):
				problem("survey round %s#%d is anonymous but an answer names its member or time", sid, n)
			case !anonymous && member != respondent:
				problem("survey round %s#%d: the answer of %s is filed under another member", sid, n, member)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []struct {
			n   *int
			sql string
		}{
			{&rep.Keys, "SELECT count(*) FROM idempotency"},
			{&rep.Rounds, "SELECT count(*) FROM survey_rounds"},
			{&rep.Answers, "SELECT count(*) FROM survey_answers"},
			{&rep.Outbox, "SELECT count(*) FROM outbox"},
		} {
			if err := tx.QueryRow(ctx, q.sql).Scan(q.n); err != nil {
				return err
			}
		}
		return nil
	})
	return rep, err
}

func sortedKeys(m map[aggKey]store.Agg) []aggKey {
	out := make([]aggKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b aggKey) int {
		for _, c := range [][2]string{{a.member, b.member}, {a.period, b.period}, {a.kind, b.kind}, {a.extra, b.extra}} {
			if c[0] != c[1] {
				if c[0] < c[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
	return out
}
