package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
	"jifen/survey"
)

// The PostgreSQL side of a copy between stores (store.Dumper,
// store.Loader). Dump reads everything in one REPEATABLE READ snapshot;
// Load writes a batch in one transaction of its own (not through Write,
// whose bookkeeping key would be a record of its own), entries with COPY
// and their figures in a few statements per batch.

var (
	_ store.Dumper = (*Store)(nil)
	_ store.Loader = (*Store)(nil)
)

// writeKeyPrefix starts the keys Write records for writes without one
// (see write): bookkeeping of this store only, not copied.
const writeKeyPrefix = "write:"

// serials are the tables numbered by a sequence, by sequence name.
var serials = map[string]string{"entries": "entries", "approvals": "approvals", "redemptions": "redemptions",
	"outbox": "outbox", "audit": "audit", "feedback": "feedback"}

// CheckDump refuses a database that holds an unfinished copy, or an open
// anonymous survey round (its answers are filed under the answer key, and
// could not be moved without linking them to members).
func (s *Store) CheckDump(ctx context.Context) error {
	if err := unfinishedCopy(ctx, s.pool); err != nil {
		return err
	}
	return s.checkRounds(ctx)
}

// unfinishedCopy is *store.ErrUnfinishedCopy when the database holds the
// mark of a copy that did not finish.
func unfinishedCopy(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) error {
	var raw string
	switch err := q.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'copy_unfinished'").Scan(&raw); {
	case err == nil:
		var u store.UnfinishedCopy
		_ = json.Unmarshal([]byte(raw), &u)
		return &store.ErrUnfinishedCopy{UnfinishedCopy: u}
	case !isNoRows(err):
		return err
	}
	return nil
}

// checkRounds refuses a copy while an anonymous survey round is open.
func (s *Store) checkRounds(ctx context.Context) error {
	var raw string
	err := s.pool.QueryRow(ctx, `SELECT round::text FROM survey_rounds WHERE anonymous AND closed IS NULL
		ORDER BY survey COLLATE "C", n LIMIT 1`).Scan(&raw)
	switch {
	case isNoRows(err):
		return nil
	case err != nil:
		return err
	}
	var r survey.Round
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return fmt.Errorf("survey round: %w", err)
	}
	return &store.ErrOpenAnonymousRound{Round: r.ID(), Survey: r.Survey, Closes: r.Closes}
}

// Dump passes every record (store.Dumper), in one snapshot. Text is
// ordered byte-wise (COLLATE "C"), as the bbolt store orders its keys.
func (s *Store) Dump(ctx context.Context, fn func(store.Record) error) error {
	// Not CheckDump: a copy dumps its target, marked still, to compare.
	if err := s.checkRounds(ctx); err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		each := func(q string, scan func(pgx.Rows) (store.Record, error)) error {
			rows, err := tx.Query(ctx, q)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				r, err := scan(rows)
				if err != nil {
					return err
				}
				if r.Kind() == "" {
					continue
				}
				if err := fn(r); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		steps := []struct {
			q    string
			scan func(pgx.Rows) (store.Record, error)
		}{
			{`SELECT name, key FROM secrets ORDER BY name COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				var k store.KeyRecord
				return store.Record{Key: &k}, r.Scan(&k.Name, &k.Key)
			}},
			{"SELECT version, fingerprint, since, catalog::text FROM catalogs ORDER BY version", func(r pgx.Rows) (store.Record, error) {
				var cv store.CatalogVersion
				var raw string
				err := r.Scan(&cv.Version, &cv.Fingerprint, &cv.Since, &raw)
				cv.Since, cv.Catalog = cv.Since.UTC(), json.RawMessage(raw)
				return store.Record{Catalog: &cv}, err
			}},
			{"SELECT " + memberColumns + ` FROM members ORDER BY id COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				m, err := scanMember(r)
				return store.Record{Member: &m}, err
			}},
			{"SELECT " + entryColumns + " FROM entries ORDER BY id", func(r pgx.Rows) (store.Record, error) {
				e, err := scanEntry(r)
				return store.Record{Entry: &e}, err
			}},
			{"SELECT " + approvalColumns + " FROM approvals ORDER BY id", func(r pgx.Rows) (store.Record, error) {
				a, err := scanApproval(r)
				return store.Record{Approval: &a}, err
			}},
			{"SELECT " + redemptionColumns + " FROM redemptions ORDER BY id", func(r pgx.Rows) (store.Record, error) {
				x, err := scanRedemption(r)
				return store.Record{Redemption: &x}, err
			}},
			{`SELECT round::text FROM survey_rounds ORDER BY survey COLLATE "C", n`, func(r pgx.Rows) (store.Record, error) {
				var raw string
				if err := r.Scan(&raw); err != nil {
					return store.Record{}, err
				}
				var x survey.Round
				return store.Record{Round: &x}, json.Unmarshal([]byte(raw), &x)
			}},
			{`SELECT survey, n, respondent, answer::text FROM survey_answers ORDER BY survey COLLATE "C", n, respondent COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				var a store.AnswerRecord
				var raw string
				if err := r.Scan(&a.Survey, &a.N, &a.Respondent, &raw); err != nil {
					return store.Record{}, err
				}
				return store.Record{Answer: &a}, json.Unmarshal([]byte(raw), &a.Answer)
			}},
			{`SELECT period, member, grade, score FROM ratings ORDER BY period COLLATE "C", member COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				x, err := scanRating(r)
				return store.Record{Rating: &x}, err
			}},
			{`SELECT period, name, department, value FROM kpis ORDER BY period COLLATE "C", name COLLATE "C", department COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				x, err := scanKPI(r)
				return store.Record{KPI: &x}, err
			}},
			{`SELECT id, member, author, text, at FROM feedback ORDER BY member COLLATE "C", id`, func(r pgx.Rows) (store.Record, error) {
				var f store.FeedbackRecord
				var id int64
				err := r.Scan(&id, &f.Member, &f.From, &f.Text, &f.At)
				f.Seq, f.At = uint64(id), f.At.UTC()
				return store.Record{Feedback: &f}, err
			}},
			{`SELECT key, at, expires, result FROM idempotency WHERE NOT starts_with(key, '` + writeKeyPrefix + `') ORDER BY key COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				var k store.IdempotencyRecord
				err := r.Scan(&k.Key, &k.At, &k.Expires, &k.Result)
				k.At, k.Expires = k.At.UTC(), k.Expires.UTC()
				return store.Record{Idempotency: &k}, err
			}},
			{`SELECT name, last_fire, first_seen FROM runs ORDER BY name COLLATE "C"`, func(r pgx.Rows) (store.Record, error) {
				var x store.RunRecord
				var last, first *time.Time
				err := r.Scan(&x.Name, &last, &first)
				if last != nil {
					x.LastFire = last.UTC()
				}
				if first != nil {
					x.FirstSeen = first.UTC()
				}
				return store.Record{Run: &x}, err
			}},
			{"SELECT " + outboxColumns + ` FROM outbox ORDER BY platform COLLATE "C", id`, func(r pgx.Rows) (store.Record, error) {
				o, err := scanOutgoing(r)
				return store.Record{Outgoing: &o}, err
			}},
			{"SELECT id, at, actor, action, object, outcome, via FROM audit ORDER BY id", func(r pgx.Rows) (store.Record, error) {
				var a store.AuditRecord
				var id int64
				err := r.Scan(&id, &a.At, &a.Actor, &a.Action, &a.Object, &a.Outcome, &a.Via)
				a.ID, a.At = uint64(id), a.At.UTC()
				return store.Record{Audit: &a}, err
			}},
		}
		for _, st := range steps {
			if err := each(st.q, st.scan); err != nil {
				return err
			}
		}
		for _, name := range store.SequenceNames {
			var last int64
			if err := tx.QueryRow(ctx, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "+serials[name]+"_id_seq").Scan(&last); err != nil {
				return err
			}
			if last == 0 {
				continue
			}
			if err := fn(store.Record{Sequence: &store.SequenceRecord{Name: name, Last: uint64(last)}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// BeginLoad checks the database is empty and marks it (store.Loader).
func (s *Store) BeginLoad(ctx context.Context, what string) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// One copy at a time: a second waits here, then finds the mark.
		if _, err := tx.Exec(ctx, "LOCK TABLE meta IN EXCLUSIVE MODE"); err != nil {
			return err
		}
		if err := unfinishedCopy(ctx, tx); err != nil {
			return err
		}
		for _, t := range []string{"secrets", "members", "entries", "heads", "aggregates", "behavior_use", "approvals",
			"redemptions", "stock", "catalogs", "ratings", "kpis", "runs", "feedback", "survey_rounds",
			"survey_answers", "outbox", "audit"} {
			var found bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t+")").Scan(&found); err != nil {
				return err
			}
			if found {
				return &store.NotEmptyError{What: t + " records"}
			}
		}
		// Keys Write recorded for itself are bookkeeping, not content.
		var keys bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM idempotency WHERE NOT starts_with(key, '"+writeKeyPrefix+"'))").Scan(&keys); err != nil {
			return err
		}
		if keys {
			return &store.NotEmptyError{What: "idempotency records"}
		}
		b, err := json.Marshal(store.UnfinishedCopy{From: what, Started: s.Now()})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('copy_unfinished', $1)", string(b))
		return err
	})
}

// FinishLoad removes the mark (store.Loader).
func (s *Store) FinishLoad(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM meta WHERE key = 'copy_unfinished'")
	return err
}

// RaisesRecordingTimes is false: only a member's recording times never
// decrease with the id here.
func (s *Store) RaisesRecordingTimes() bool { return false }

// Load writes a batch of records in one transaction (store.Loader).
func (s *Store) Load(ctx context.Context, batch []store.Record) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(ptx pgx.Tx) error {
		tx := &Tx{ctx: ctx, tx: ptx, s: s, now: s.Now()}
		var entries []jifen.Entry
		flush := func() error {
			if len(entries) == 0 {
				return nil
			}
			err := tx.loadEntries(entries)
			entries = entries[:0]
			return err
		}
		for _, r := range batch {
			if r.Entry != nil {
				entries = append(entries, *r.Entry)
				continue
			}
			if err := flush(); err != nil {
				return err
			}
			if err := tx.load(r); err != nil {
				return fmt.Errorf("load %s: %w", r.Kind(), err)
			}
			if tx.err != nil {
				return tx.err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return tx.err
	})
}

func (tx *Tx) load(r store.Record) error {
	var err error
	switch {
	case r.Key != nil:
		_, err = tx.exec("INSERT INTO secrets (name, key) VALUES ($1, $2)", r.Key.Name, r.Key.Key)
	case r.Catalog != nil:
		cv := r.Catalog
		_, err = tx.exec("INSERT INTO catalogs (version, fingerprint, since, catalog) VALUES ($1, $2, $3, $4::json)",
			cv.Version, cv.Fingerprint, cv.Since.UTC(), string(cv.Catalog))
	case r.Member != nil:
		err = tx.PutMember(*r.Member)
	case r.Approval != nil:
		a := r.Approval
		entries := make([]int64, len(a.Entries))
		for i, e := range a.Entries {
			entries[i] = int64(e)
		}
		_, err = tx.exec(`INSERT INTO approvals (id, created_at, giver, receivers, points, category, behavior, reason,
			rule_version, source, status, decided_by, decided_at, note, entries)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			int64(a.ID), a.CreatedAt.UTC(), a.Giver, a.Receivers, a.Points, a.Category, a.Behavior, a.Reason,
			a.RuleVersion, a.Source, string(a.Status), a.DecidedBy, nullTime(a.DecidedAt), a.Note, entries)
	case r.Redemption != nil:
		x := r.Redemption
		_, err = tx.exec(`INSERT INTO redemptions (id, created_at, member, item, quantity, points, entry, status,
			decided_by, decided_at, note, fulfilled_by, fulfilled_at, cancelled_by, cancelled_at, refund)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			int64(x.ID), x.CreatedAt.UTC(), x.Member, x.Item, x.Quantity, x.Points, int64(x.Entry), string(x.Status),
			x.DecidedBy, nullTime(x.DecidedAt), x.Note, x.FulfilledBy, nullTime(x.FulfilledAt), x.CancelledBy,
			nullTime(x.CancelledAt), nullID(x.Refund))
	case r.Round != nil:
		x := r.Round
		if x.Anonymous && x.Closed.IsZero() {
			return &store.ErrOpenAnonymousRound{Round: x.ID(), Survey: x.Survey, Closes: x.Closes}
		}
		err = tx.PutRound(x)
	case r.Answer != nil:
		a := r.Answer
		raw, merr := json.Marshal(a.Answer)
		if merr != nil {
			return merr
		}
		_, err = tx.exec("INSERT INTO survey_answers (survey, n, respondent, answer) VALUES ($1, $2, $3, $4::json)",
			a.Survey, a.N, a.Respondent, string(raw))
	case r.Rating != nil:
		err = tx.PutRating(*r.Rating)
	case r.KPI != nil:
		err = tx.PutKPI(*r.KPI)
	case r.Feedback != nil:
		f := r.Feedback
		_, err = tx.exec("INSERT INTO feedback (id, member, author, text, at) VALUES ($1, $2, $3, $4, $5)",
			int64(f.Seq), f.Member, f.From, f.Text, f.At.UTC())
	case r.Idempotency != nil:
		k := r.Idempotency
		res := k.Result
		if res == nil {
			res = []byte{}
		}
		_, err = tx.exec("INSERT INTO idempotency (key, at, expires, result) VALUES ($1, $2, $3, $4)",
			k.Key, k.At.UTC(), k.Expires.UTC(), res)
	case r.Run != nil:
		_, err = tx.exec("INSERT INTO runs (name, last_fire, first_seen) VALUES ($1, $2, $3)",
			r.Run.Name, nullTime(r.Run.LastFire), nullTime(r.Run.FirstSeen))
	case r.Outgoing != nil:
		o := r.Outgoing
		var addr any
		if len(o.Address) > 0 {
			addr = string(o.Address)
		}
		_, err = tx.exec(`INSERT INTO outbox (id, platform, key, lane, member, address, receiver, body, queued, attempts, not_before)
			VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8::json, $9, $10, $11)`,
			int64(o.ID), o.Platform, o.Key, o.Lane, o.To, addr, o.Receiver(), string(o.Body), o.Queued.UTC(), o.Attempts, nullTime(o.NotBefore))
	case r.Audit != nil:
		a := r.Audit
		_, err = tx.exec("INSERT INTO audit (id, at, actor, action, object, outcome, via) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			int64(a.ID), a.At.UTC(), a.Actor, a.Action, a.Object, a.Outcome, a.Via)
	case r.Sequence != nil:
		t, ok := serials[r.Sequence.Name]
		if !ok {
			return fmt.Errorf("no sequence %q", r.Sequence.Name)
		}
		err = tx.setSequence(t, int64(r.Sequence.Last))
	default:
		err = errors.New("an empty record")
	}
	return err
}

// setSequence makes table's sequence give numbers after last and after
// every id the table holds.
func (tx *Tx) setSequence(table string, last int64) error {
	var max int64
	if _, err := tx.row("SELECT coalesce(max(id), 0) FROM "+table, nil, &max); err != nil {
		return err
	}
	last = maxInt(last, max)
	if last == 0 {
		return nil
	}
	_, err := tx.exec("SELECT setval('"+table+"_id_seq', $1)", last)
	return err
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// loadEntries writes entries with their ids (COPY), then their figures:
// the aggregates, the per-behavior use, the stock and each receiver's
// last recording time, added up over the batch and written a statement
// per table.
func (tx *Tx) loadEntries(es []jifen.Entry) error {
	rows := make([][]any, len(es))
	byID := make(map[uint64]*jifen.Entry, len(es))
	var missing []int64
	for i := range es {
		e := &es[i]
		e.At, e.Effective = e.At.UTC().Truncate(time.Microsecond), e.Effective.UTC().Truncate(time.Microsecond)
		rows[i] = []any{int64(e.ID), string(e.Kind), e.At, e.Effective, e.Giver, e.Receiver, e.Points, e.Category,
			e.Behavior, e.Reason, int32(e.RuleVersion), nullID(e.Reverses), nullID(e.Approval), e.Source, e.Quantity}
		byID[e.ID] = e
		if e.Kind == jifen.KindRevoke {
			if _, ok := byID[e.Reverses]; !ok {
				missing = append(missing, int64(e.Reverses))
			}
		}
	}
	if _, err := tx.tx.CopyFrom(tx.ctx, pgx.Identifier{"entries"}, []string{"id", "kind", "at", "effective", "giver",
		"receiver", "points", "category", "behavior", "reason", "rule_version", "reverses", "approval", "source", "quantity"},
		pgx.CopyFromRows(rows)); err != nil {
		tx.note(err)
		return err
	}
	// The entries revokes of this batch reverse in earlier batches.
	if len(missing) > 0 {
		rs, err := tx.tx.Query(tx.ctx, "SELECT "+entryColumns+" FROM entries WHERE id = ANY ($1)", missing)
		if err != nil {
			tx.note(err)
			return err
		}
		for rs.Next() {
			e, err := scanEntry(rs)
			if err != nil {
				rs.Close()
				tx.note(err)
				return err
			}
			byID[e.ID] = &e
		}
		rs.Close()
	}
	aggs, behs := map[aggKey]store.Agg{}, map[behKey]behUse{}
	stock, heads := map[string]int64{}, map[string]time.Time{}
	for i := range es {
		e := &es[i]
		var orig *jifen.Entry
		if e.Kind == jifen.KindRevoke {
			if orig = byID[e.Reverses]; orig == nil {
				return fmt.Errorf("entry %d reverses entry %d, which is not in the ledger", e.ID, e.Reverses)
			}
		}
		a, b := effects(e, orig, tx.s.loc)
		for k, v := range a {
			o := aggs[k]
			aggs[k] = store.Agg{Net: o.Net + v.Net, Plus: o.Plus + v.Plus, Minus: o.Minus + v.Minus, Count: o.Count + v.Count}
		}
		for k, v := range b {
			o := behs[k]
			behs[k] = behUse{o.times + v.times, o.points + v.points}
		}
		if item, units := store.StockDelta(e); units != 0 {
			stock[item] += units
		}
		if e.At.After(heads[e.Receiver]) {
			heads[e.Receiver] = e.At
		}
	}
	return tx.addFigures(aggs, behs, stock, heads)
}

// addFigures adds deltas to the figures. A figure that grows (an entry's
// contribution: a positive count, no negative part) is upserted; one
// that shrinks (a revoke's, in a batch without its entry) updates its
// row, which exists, and is deleted if it is back to zero. An upsert
// would not do for those: PostgreSQL checks a new row's constraints
// before it finds the conflict.
func (tx *Tx) addFigures(aggs map[aggKey]store.Agg, behs map[behKey]behUse, stock map[string]int64, heads map[string]time.Time) error {
	keys := make([]aggKey, 0, len(aggs))
	for k := range aggs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return strings.Join([]string{a.period, a.kind, a.member, a.extra}, "\x00") < strings.Join([]string{b.period, b.kind, b.member, b.extra}, "\x00")
	})
	type aggCols struct {
		periods, kinds, members, extras []string
		nets, pluses, minuses, counts   []int64
	}
	var grow, shrink aggCols
	for _, k := range keys {
		a := aggs[k]
		c := &grow
		if a.Count <= 0 || a.Plus < 0 || a.Minus < 0 {
			c = &shrink
		}
		c.periods, c.kinds, c.members, c.extras = append(c.periods, k.period), append(c.kinds, k.kind), append(c.members, k.member), append(c.extras, k.extra)
		c.nets, c.pluses, c.minuses, c.counts = append(c.nets, a.Net), append(c.pluses, a.Plus), append(c.minuses, a.Minus), append(c.counts, a.Count)
	}
	if len(grow.periods) > 0 {
		if _, err := tx.exec(`INSERT INTO aggregates AS a (period, kind, member, extra, net, plus, minus, count)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[])
			ON CONFLICT (period, kind, member, extra) DO UPDATE SET net = a.net + excluded.net,
				plus = a.plus + excluded.plus, minus = a.minus + excluded.minus, count = a.count + excluded.count`,
			grow.periods, grow.kinds, grow.members, grow.extras, grow.nets, grow.pluses, grow.minuses, grow.counts); err != nil {
			return err
		}
	}
	if c := shrink; len(c.periods) > 0 {
		tag, err := tx.exec(addToAggregates,
			c.periods, c.kinds, c.members, c.extras, c.nets, c.pluses, c.minuses, c.counts)
		if err != nil {
			return err
		}
		if n := tag.RowsAffected(); n != int64(len(c.periods)) {
			// An entry and its revoke in one batch add up to zero: such a
			// figure has no row yet, and needs none.
			for i := range c.periods {
				if c.nets[i] != 0 || c.pluses[i] != 0 || c.minuses[i] != 0 || c.counts[i] != 0 {
					continue
				}
				n++
			}
			if n < int64(len(c.periods)) {
				return fmt.Errorf("a revoke's figures are missing %d of %d aggregates", int64(len(c.periods))-n, len(c.periods))
			}
		}
		if _, err := tx.exec(`DELETE FROM aggregates WHERE (period, kind, member, extra) IN
			(SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))
			AND net = 0 AND plus = 0 AND minus = 0 AND count = 0`, c.periods, c.kinds, c.members, c.extras); err != nil {
			return err
		}
	}
	type behCols struct {
		periods, members, behaviors []string
		times, points               []int64
	}
	var bgrow, bshrink behCols
	for k, u := range behs {
		c := &bgrow
		if u.times <= 0 || u.points < 0 {
			c = &bshrink
		}
		c.periods, c.members, c.behaviors = append(c.periods, k.period), append(c.members, k.member), append(c.behaviors, k.behavior)
		c.times, c.points = append(c.times, u.times), append(c.points, u.points)
	}
	if c := bgrow; len(c.periods) > 0 {
		if _, err := tx.exec(`INSERT INTO behavior_use AS b (period, member, behavior, times, points)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[])
			ON CONFLICT (period, member, behavior) DO UPDATE SET times = b.times + excluded.times, points = b.points + excluded.points`,
			c.periods, c.members, c.behaviors, c.times, c.points); err != nil {
			return err
		}
	}
	if c := bshrink; len(c.periods) > 0 {
		if _, err := tx.exec(`UPDATE behavior_use AS b SET times = b.times + d.times, points = b.points + d.points
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[]) AS d (period, member, behavior, times, points)
			WHERE b.period = d.period AND b.member = d.member AND b.behavior = d.behavior`,
			c.periods, c.members, c.behaviors, c.times, c.points); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM behavior_use WHERE (period, member, behavior) IN
			(SELECT * FROM unnest($1::text[], $2::text[], $3::text[])) AND times = 0 AND points = 0`,
			c.periods, c.members, c.behaviors); err != nil {
			return err
		}
	}
	for item, n := range stock {
		var err error
		if n >= 0 {
			_, err = tx.exec(`INSERT INTO stock AS s (item, used) VALUES ($1, $2)
				ON CONFLICT (item) DO UPDATE SET used = s.used + excluded.used`, item, n)
		} else {
			_, err = tx.exec("UPDATE stock SET used = used + $2 WHERE item = $1", item, n)
		}
		if err != nil {
			return err
		}
	}
	var hm []string
	var ht []time.Time
	for m, at := range heads {
		hm, ht = append(hm, m), append(ht, at)
	}
	if len(hm) > 0 {
		if _, err := tx.exec(`INSERT INTO heads AS h (member, last_at) SELECT * FROM unnest($1::text[], $2::timestamptz[])
			ON CONFLICT (member) DO UPDATE SET last_at = greatest(h.last_at, excluded.last_at)`, hm, ht); err != nil {
			return err
		}
	}
	return nil
}

// Zone is the time zone the figures of the database at url are computed
// in ("" for a database jifen has not used), read without migrating it.
// Its errors never hold the URL.
func Zone(ctx context.Context, url string) (string, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", errors.New("not a valid PostgreSQL connection URL")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("connect to the store: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('meta') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return "", err
	}
	var zone string
	err = conn.QueryRow(ctx, "SELECT coalesce(max(value), '') FROM meta WHERE key = 'zone'").Scan(&zone)
	return zone, err
}
