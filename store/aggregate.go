package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// Agg is an aggregate figure: Net is the signed sum, Plus the sum of the
// positive entries, Minus the sum of the negative ones as a positive number,
// Count the number of entries. A revoke subtracts the reversed entry from all
// four, so a revoked award disappears from the figures while both entries stay
// in the ledger.
type Agg struct {
	Net, Plus, Minus, Count int64
}

func (a Agg) add(o Agg) Agg {
	return Agg{a.Net + o.Net, a.Plus + o.Plus, a.Minus + o.Minus, a.Count + o.Count}
}

// IsZero reports whether every figure is zero.
func (a Agg) IsZero() bool { return a == Agg{} }

// aggOf is the contribution of one entry of the given points; sign is -1
// when a revoke takes that contribution back.
func aggOf(points int64, sign int64) Agg {
	a := Agg{Net: points, Count: 1}
	if points > 0 {
		a.Plus = points
	} else {
		a.Minus = -points
	}
	return Agg{a.Net * sign, a.Plus * sign, a.Minus * sign, a.Count * sign}
}

// Aggregates are kept in records, each one value holding several figures
// (sub key → Agg), so that an award rewrites a few values instead of a
// dozen keys scattered over the bucket. Every figure of a member is kept
// under the member's id, next to the member's index records, in one record
// per member per year (the weeks, months, quarters and the year itself)
// and one for all time: an award rewrites one or two neighbouring values,
// one place of the tree. With receivers spread over 10,000 members that is
// what decides how many pages a group commit writes.
//
// A board loads its period's figures with one lookup per member, in id
// order; a month's board, the one /score ranks on, reads the month board
// instead (monthboard.go), a derived copy of a month's earned points that
// the committer rewrites every few thousand entries.
//
//	agg bucket:  member \0 group  →  record
//	group:       "2026" (the year of the period key) or "all"
//	record:      sorted (sub, Agg) pairs, sub = kind \0 period [\0 extra]
const (
	aggTotal    = "t" // t \0 period            a member's earned points
	aggCategory = "c" // c \0 period \0 category (not for weeks)
	aggGiver    = "g" // g \0 period \0 pool     what a giver gave
	aggSpent    = "s" // s \0 period            what a member redeemed
)

// groupOf is the record group of a period key: its year, or "all".
func groupOf(period string) string {
	if period != string(jifen.AllTime) && len(period) >= 4 {
		return period[:4]
	}
	return period
}

// recordKey is the key of the record holding member's figures for period.
func recordKey(member, period string) string {
	return string(key(member, groupOf(period)))
}

// isMonth tells a month's period key ("2026-11") from the others
// ("2026-W47", "2026-Q4", "2026", "all").
func isMonth(period string) bool {
	return len(period) == 7 && period[4] == '-' && period[5] >= '0' && period[5] <= '9'
}

// figureOf names the record and the sub key of one figure.
func figureOf(kind, period, member, extra string) (rec, sub string) {
	return recordKey(member, period), subKey(kind, period, extra)
}

// Pools of a giver's allowance.
const (
	poolAward  = "award"
	poolThanks = "thanks"
)

// subKey names one figure inside a record.
func subKey(kind, period, extra string) string {
	if extra == "" {
		return string(key(kind, period))
	}
	return string(key(kind, period, extra))
}

// aggDelta is one change to one figure.
type aggDelta struct {
	rec    string // record key
	sub    string // figure within the record
	period string
	member string
	cat    string // for category deltas
	kind   string // aggTotal, aggCategory, aggGiver, aggSpent
	agg    Agg
}

// record is the decoded value of a record key: figures sorted by sub key.
type record []recItem

type recItem struct {
	sub string
	agg Agg
}

func decodeRecord(b []byte) (record, error) {
	var r record
	err := eachItem(b, "", func(sub []byte, a Agg) bool {
		r = append(r, recItem{string(sub), a})
		return true
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Encoded, a record is its number of figures and then each figure: its
// length in bytes (so that a scan skips it unread), the sub key's length
// and the sub key, and the four varints of its Agg.
func (r record) encode() []byte {
	b := make([]byte, 0, 8+len(r)*24)
	b = binary.AppendUvarint(b, uint64(len(r)))
	var item []byte
	for _, it := range r {
		item = binary.AppendUvarint(item[:0], uint64(len(it.sub)))
		item = append(item, it.sub...)
		item = binary.AppendVarint(item, it.agg.Net)
		item = binary.AppendVarint(item, it.agg.Plus)
		item = binary.AppendVarint(item, it.agg.Minus)
		item = binary.AppendVarint(item, it.agg.Count)
		b = binary.AppendUvarint(b, uint64(len(item)))
		b = append(b, item...)
	}
	return b
}

func (r record) find(sub string) (int, bool) {
	return slices.BinarySearchFunc(r, sub, func(it recItem, s string) int { return strings.Compare(it.sub, s) })
}

// get returns one figure (zero when absent).
func (r record) get(sub string) Agg {
	if i, ok := r.find(sub); ok {
		return r[i].agg
	}
	return Agg{}
}

// add adds a to a figure; a figure that becomes zero is dropped, so a
// revoked award leaves no trace in the aggregates.
func (r record) add(sub string, a Agg) record {
	i, ok := r.find(sub)
	switch {
	case !ok:
		return slices.Insert(r, i, recItem{sub, a})
	case r[i].agg.add(a).IsZero():
		return slices.Delete(r, i, i+1)
	default:
		r[i].agg = r[i].agg.add(a)
		return r
	}
}

// withPrefix returns the figures whose sub key starts with pre.
func (r record) withPrefix(pre string) []recItem {
	i, _ := r.find(pre)
	j := i
	for j < len(r) && strings.HasPrefix(r[j].sub, pre) {
		j++
	}
	return r[i:j]
}

// scanRecord calls fn for each figure of an encoded record whose sub key
// starts with pre, in order, skipping the others unread: queries and
// boards read one or a few figures of a record that holds a year of
// them. fn returns false to stop. The sub slice aliases b.
func scanRecord(b []byte, pre string, fn func(sub []byte, a Agg) bool) error {
	return eachItem(b, pre, fn)
}

var errCorruptRecord = fmt.Errorf("corrupt aggregate record")

// comparePrefix compares sub, cut to the length of pre, with pre.
func comparePrefix(sub []byte, pre string) int {
	for i := range min(len(sub), len(pre)) {
		if sub[i] != pre[i] {
			if sub[i] < pre[i] {
				return -1
			}
			return 1
		}
	}
	if len(sub) < len(pre) {
		return -1
	}
	return 0
}

// eachItem walks an encoded record; with pre empty it decodes every
// figure and checks the whole record.
func eachItem(b []byte, pre string, fn func(sub []byte, a Agg) bool) error {
	if len(b) == 0 {
		return nil
	}
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return errCorruptRecord
	}
	b = b[w:]
	for range n {
		l, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < l {
			return errCorruptRecord
		}
		item := b[w : w+int(l)]
		b = b[w+int(l):]
		sl, w := binary.Uvarint(item)
		if w <= 0 || uint64(len(item)-w) < sl {
			return errCorruptRecord
		}
		sub := item[w : w+int(sl)]
		switch c := comparePrefix(sub, pre); {
		case c < 0:
			continue
		case c > 0:
			return nil // sorted: nothing further can match
		}
		item = item[w+int(sl):]
		var a Agg
		for _, p := range []*int64{&a.Net, &a.Plus, &a.Minus, &a.Count} {
			v, w := binary.Varint(item)
			if w <= 0 {
				return errCorruptRecord
			}
			*p, item = v, item[w:]
		}
		if len(item) != 0 {
			return errCorruptRecord
		}
		if !fn(sub, a) {
			return nil
		}
	}
	if pre == "" && len(b) != 0 {
		return errCorruptRecord
	}
	return nil
}

// readAgg reads one figure from the agg bucket.
func readAgg(b *bolt.Bucket, kind, period, member, extra string) Agg {
	rec, sub := figureOf(kind, period, member, extra)
	var out Agg
	_ = scanRecord(b.Get([]byte(rec)), sub, func(s []byte, a Agg) bool {
		if len(s) == len(sub) {
			out = a
		}
		return len(s) != len(sub) // a longer sub shares the prefix: keep looking
	})
	return out
}

// effects lists the aggregate changes of entry e. For a revoke, orig is the
// entry it reverses (required). The same function serves writes and Verify,
// so the two can never disagree about what an entry means.
func effects(e *jifen.Entry, orig *jifen.Entry, loc *time.Location) []aggDelta {
	src, sign := e, int64(1)
	if e.Kind == jifen.KindRevoke {
		if orig == nil {
			return nil
		}
		src, sign = orig, -1
	}
	var out []aggDelta
	add := func(kind string, p jifen.Period, member, extra string, a Agg) {
		rec, sub := figureOf(kind, p.Key, member, extra)
		out = append(out, aggDelta{rec: rec, sub: sub, period: p.Key, member: member, cat: extra, kind: kind, agg: a})
	}
	a := aggOf(src.Points, sign)
	for _, kind := range jifen.PeriodKinds {
		p := jifen.PeriodOf(kind, src.Effective, loc)
		if src.Kind == jifen.KindRedeem {
			add(aggSpent, p, src.Receiver, "", aggOf(-src.Points, sign))
			continue
		}
		add(aggTotal, p, src.Receiver, "", a)
		if kind != jifen.Week && src.Category != "" {
			add(aggCategory, p, src.Receiver, src.Category, a)
		}
		if pool := poolOf(src.Kind); pool != "" && src.Giver != "" {
			add(aggGiver, p, src.Giver, pool, Agg{Net: src.Points * sign, Plus: src.Points * sign, Count: sign})
		}
	}
	return out
}

// poolOf names the allowance pool an entry kind draws from, if any.
func poolOf(k jifen.EntryKind) string {
	switch k {
	case jifen.KindAward:
		return poolAward
	case jifen.KindThanks:
		return poolThanks
	}
	return ""
}
