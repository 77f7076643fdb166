package store

import (
	"encoding/binary"
	"fmt"
	"time"

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

func (a Agg) encode() []byte {
	b := make([]byte, 0, 16)
	b = binary.AppendVarint(b, a.Net)
	b = binary.AppendVarint(b, a.Plus)
	b = binary.AppendVarint(b, a.Minus)
	b = binary.AppendVarint(b, a.Count)
	return b
}

func decodeAgg(b []byte) (Agg, error) {
	var a Agg
	for _, p := range []*int64{&a.Net, &a.Plus, &a.Minus, &a.Count} {
		v, n := binary.Varint(b)
		if n <= 0 {
			return Agg{}, fmt.Errorf("corrupt aggregate value")
		}
		*p = v
		b = b[n:]
	}
	return a, nil
}

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

// Aggregate key prefixes.
const (
	aggTotal    = "t" // t \0 period \0 member
	aggCategory = "c" // c \0 period \0 member \0 category
	aggGiver    = "g" // g \0 period \0 giver \0 pool
	aggSpent    = "s" // s \0 period \0 member
)

// Pools of a giver's allowance.
const (
	poolAward  = "award"
	poolThanks = "thanks"
)

// aggDelta is one change to one aggregate key.
type aggDelta struct {
	key    string
	period string
	member string
	cat    string // for category deltas
	kind   string // aggTotal, aggCategory, aggGiver, aggSpent
	agg    Agg
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
		parts := []string{kind, p.Key, member}
		if extra != "" {
			parts = append(parts, extra)
		}
		out = append(out, aggDelta{key: string(key(parts...)), period: p.Key, member: member, cat: extra, kind: kind, agg: a})
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
