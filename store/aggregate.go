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

// Aggregates are kept in two kinds of record, each one value holding
// several figures (sub key → Agg), so that an award rewrites a few values
// instead of a dozen keys scattered over the bucket.
//
// A member's earned points (t) and their split by category (c), which the
// ranking boards, /score and the caps read, are kept per period, and the
// period comes first in the key: every member's figures of one period are
// next to one another, in member order, so a board's first load is one
// cursor scan over a few pages (one record per member with points in the
// period), not one lookup per member of the directory.
//
// What a member gave from an allowance (g) and spent on rewards (s), read
// for one member at a time, stay in one record per member per year, under
// the member's id next to the member's index records: a giver's figures
// for every period of a year in one value.
//
//	agg bucket:  \0 period \0 member  →  record of t and c \0 category
//	             member \0 group        →  record of (kind \0 period [\0 pool])
//	group:       "2026" (the year of the period key) or "all"
//	record:      sorted (sub, Agg) pairs
const (
	aggTotal    = "t" // a member's earned points
	aggCategory = "c" // the same by category (not for weeks)
	aggGiver    = "g" // g \0 period \0 pool     what a giver gave
	aggSpent    = "s" // s \0 period            what a member redeemed
)

// recordKey is the key of the member record holding member's giver and
// spent figures for period.
func recordKey(member, period string) string {
	group := period
	if period != string(jifen.AllTime) && len(period) >= 4 {
		group = period[:4]
	}
	return string(key(member, group))
}

// periodPrefix starts the keys of a period's records of earned points;
// the member's id follows. No member id is empty or starts with NUL, so
// these keys sort before every member's and never read as an index key
// (isRcvKey).
func periodPrefix(period string) []byte {
	return append(append([]byte{0}, period...), 0)
}

// periodKey is the key of member's record of earned points in period.
func periodKey(period, member string) string {
	return string(append(periodPrefix(period), member...))
}

// memberKeys is where the member keys start, after every period record:
// a scan of the members' index records seeks to it.
var memberKeys = []byte{1}

// figureOf names the record and the sub key of one figure.
func figureOf(kind, period, member, extra string) (rec, sub string) {
	switch kind {
	case aggTotal:
		return periodKey(period, member), aggTotal
	case aggCategory:
		return periodKey(period, member), string(key(aggCategory, extra))
	}
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
	if len(b) == 0 {
		return nil, nil
	}
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("corrupt aggregate record")
	}
	b = b[w:]
	r := make(record, 0, n)
	for range n {
		l, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < l {
			return nil, fmt.Errorf("corrupt aggregate record")
		}
		sub := string(b[w : w+int(l)])
		b = b[w+int(l):]
		var a Agg
		for _, p := range []*int64{&a.Net, &a.Plus, &a.Minus, &a.Count} {
			v, w := binary.Varint(b)
			if w <= 0 {
				return nil, fmt.Errorf("corrupt aggregate record")
			}
			*p, b = v, b[w:]
		}
		r = append(r, recItem{sub, a})
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("corrupt aggregate record")
	}
	return r, nil
}

func (r record) encode() []byte {
	b := make([]byte, 0, 8+len(r)*24)
	b = binary.AppendUvarint(b, uint64(len(r)))
	for _, it := range r {
		b = binary.AppendUvarint(b, uint64(len(it.sub)))
		b = append(b, it.sub...)
		b = binary.AppendVarint(b, it.agg.Net)
		b = binary.AppendVarint(b, it.agg.Plus)
		b = binary.AppendVarint(b, it.agg.Minus)
		b = binary.AppendVarint(b, it.agg.Count)
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
// starts with pre, in order, without decoding the rest: queries read one or
// a few figures of a record that holds a year of them. fn returns false to
// stop. The sub slice aliases b.
func scanRecord(b []byte, pre string, fn func(sub []byte, a Agg) bool) error {
	if len(b) == 0 {
		return nil
	}
	n, w := binary.Uvarint(b)
	if w <= 0 {
		return fmt.Errorf("corrupt aggregate record")
	}
	b = b[w:]
	for range n {
		l, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < l {
			return fmt.Errorf("corrupt aggregate record")
		}
		sub := b[w : w+int(l)]
		b = b[w+int(l):]
		var a Agg
		for _, p := range []*int64{&a.Net, &a.Plus, &a.Minus, &a.Count} {
			v, w := binary.Varint(b)
			if w <= 0 {
				return fmt.Errorf("corrupt aggregate record")
			}
			*p, b = v, b[w:]
		}
		switch c := strings.Compare(string(sub[:min(len(sub), len(pre))]), pre); {
		case c < 0:
			continue
		case c > 0:
			return nil // sorted: nothing further can match
		}
		if !fn(sub, a) {
			return nil
		}
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
