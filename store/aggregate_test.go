package store

import (
	"testing"
)

func TestRecordCodec(t *testing.T) {
	var r record
	r = r.add(subKey(aggTotal, "2026-11", ""), Agg{Net: 5, Plus: 5, Count: 1})
	r = r.add(subKey(aggCategory, "2026-11", "sales"), Agg{Net: 5, Plus: 5, Count: 1})
	r = r.add(subKey(aggTotal, "2026-W46", ""), Agg{Net: -3, Minus: 3, Count: 1})
	r = r.add(subKey(aggCategory, "2026-11", "attendance"), Agg{Net: -3, Minus: 3, Count: 1})
	got, err := decodeRecord(r.encode())
	if err != nil || len(got) != 4 {
		t.Fatalf("decode: %v %v", got, err)
	}
	if a := got.get(subKey(aggTotal, "2026-W46", "")); a != (Agg{Net: -3, Minus: 3, Count: 1}) {
		t.Errorf("week total = %+v", a)
	}
	cats := got.withPrefix(string(prefix(aggCategory, "2026-11")))
	if len(cats) != 2 || cats[0].sub != subKey(aggCategory, "2026-11", "attendance") || cats[1].agg.Net != 5 {
		t.Errorf("categories = %+v", cats)
	}
	// A figure brought back to zero disappears: a revoked award leaves no trace.
	got = got.add(subKey(aggTotal, "2026-11", ""), Agg{Net: -5, Plus: -5, Count: -1})
	if len(got) != 3 || got.get(subKey(aggTotal, "2026-11", "")) != (Agg{}) {
		t.Errorf("after revoke: %+v", got)
	}
	for _, bad := range [][]byte{{5}, {1, 200}, append(r.encode(), 0)} {
		if _, err := decodeRecord(bad); err == nil {
			t.Errorf("decodeRecord(%v) accepted a corrupt record", bad)
		}
	}
}

func TestRecordKeysGroupByYear(t *testing.T) {
	tests := []struct{ period, want string }{
		{"2026-W47", "m1|2026"}, {"2026-11", "m1|2026"}, {"2026-Q4", "m1|2026"}, {"2026", "m1|2026"}, {"all", "m1|all"},
	}
	for _, tt := range tests {
		if got := printable([]byte(recordKey("m1", tt.period))); got != tt.want {
			t.Errorf("recordKey(m1, %s) = %s, want %s", tt.period, got, tt.want)
		}
	}
}

// A year's key is a prefix of its months' keys: lookups must still find
// exactly the figure asked for.
func TestScanRecordFindsExactFigures(t *testing.T) {
	var r record
	for i, p := range []string{"2026", "2026-11", "2026-Q4", "2026-W47"} {
		r = r.add(subKey(aggTotal, p, ""), Agg{Net: int64(i + 1)})
		r = r.add(subKey(aggCategory, p, "sales"), Agg{Net: int64(10 * (i + 1))})
	}
	b := r.encode()
	for i, p := range []string{"2026", "2026-11", "2026-Q4", "2026-W47"} {
		sub := subKey(aggTotal, p, "")
		var got []int64
		_ = scanRecord(b, sub, func(s []byte, a Agg) bool {
			if string(s) == sub {
				got = append(got, a.Net)
			}
			return true
		})
		if len(got) != 1 || got[0] != int64(i+1) {
			t.Errorf("%s: got %v", p, got)
		}
	}
	var cats []int64
	_ = scanRecord(b, string(prefix(aggCategory, "2026")), func(_ []byte, a Agg) bool { cats = append(cats, a.Net); return true })
	if len(cats) != 1 || cats[0] != 10 {
		t.Errorf("categories of 2026: %v", cats)
	}
	if err := scanRecord(b[:len(b)-1], "z", func([]byte, Agg) bool { return true }); err == nil {
		t.Error("a truncated record scanned without error")
	}
}

// Every figure of a member, a month's earned points included, sits in the
// member's record of the year (or of all time), so that an award rewrites
// one place of the tree; none reads as a receiver index key.
func TestFiguresSitUnderTheMember(t *testing.T) {
	tests := []struct{ period, want string }{
		{"2026-W47", "m1|2026"}, {"2026-11", "m1|2026"}, {"2026-01", "m1|2026"}, {"2026-Q4", "m1|2026"},
		{"2026", "m1|2026"}, {"all", "m1|all"},
	}
	for _, tt := range tests {
		for _, kind := range []string{aggTotal, aggCategory, aggGiver, aggSpent} {
			rec, _ := figureOf(kind, tt.period, "m1", "x")
			got := printable([]byte(rec))
			if got != tt.want {
				t.Errorf("%s figures of %s in %s, want %s", kind, tt.period, got, tt.want)
			}
			if isRcvKey([]byte(rec)) {
				t.Errorf("%s reads as an index key", got)
			}
		}
	}
}
