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

// Aggregates are packed: one record per member per year holds every figure
// of that member for the periods of that year (weeks, months, quarters and
// the year itself), and one more record holds the member's all-time figures.
// Both records sit under the member's id, next to each other in the tree, so
// an award rewrites one or two neighbouring values instead of a dozen keys
// scattered over the bucket: with receivers spread over 10,000 members that
// is what decides how many pages a group commit writes.
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

// Pools of a giver's allowance.
const (
	poolAward  = "award"
	poolThanks = "thanks"
)

// recordKey is the key of the record holding member's figures for period.
func recordKey(member, period string) string {
	group := period
	if period != string(jifen.AllTime) && len(period) >= 4 {
		group = period[:4]
	}
	return string(key(member, group))
}

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
	sub := subKey(kind, period, extra)
	var out Agg
	_ = scanRecord(b.Get([]byte(recordKey(member, period))), sub, func(s []byte, a Agg) bool {
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
		out = append(out, aggDelta{rec: recordKey(member, p.Key), sub: subKey(kind, p.Key, extra),
			period: p.Key, member: member, cat: extra, kind: kind, agg: a})
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
