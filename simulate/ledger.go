package simulate

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"jifen"
)

// Ledger is what a simulation reads: the entries, from the compact index
// (ID, Kind, At, Effective, Giver, Receiver, Points, Category, Behavior
// and Reverses are all it needs; store.ScanEntries sets them), in any
// order, and the members.
type Ledger interface {
	ScanEntries(fn func(e *jifen.Entry) error) error
	Members() []jifen.Member
}

// row is what the replay reads of one entry, kept for every entry of the
// ledger until they are sorted into recording order: 64 bytes, the
// strings as indexes into ledgerRows.names.
type row struct {
	id, reverses  uint64
	at, effective int64 // Unix milliseconds, the index's precision
	points        int64
	kind, giver   int32
	receiver      int32
	category      int32
	behavior      int32
}

type ledgerRows struct {
	rows  []row
	names []string
	index map[string]int32
}

func (l *ledgerRows) name(s string) int32 {
	i, ok := l.index[s]
	if !ok {
		i = int32(len(l.names))
		l.names = append(l.names, s)
		l.index[s] = i
	}
	return i
}

// readLedger reads the entries the replay of a period ending at end can
// use (effective before it, not spending), in recording order (id order).
func readLedger(l Ledger, end time.Time) (*ledgerRows, error) {
	lr := &ledgerRows{index: map[string]int32{}}
	endMs := end.UnixMilli()
	err := l.ScanEntries(func(e *jifen.Entry) error {
		eff := e.Effective.UnixMilli()
		if eff >= endMs || e.Kind == jifen.KindRedeem || strings.HasPrefix(e.Behavior, "reward:") {
			return nil
		}
		lr.rows = append(lr.rows, row{id: e.ID, reverses: e.Reverses, at: e.At.UnixMilli(), effective: eff, points: e.Points,
			kind: lr.name(string(e.Kind)), giver: lr.name(e.Giver), receiver: lr.name(e.Receiver), category: lr.name(e.Category),
			behavior: lr.name(e.Behavior)})
		return nil
	})
	slices.SortFunc(lr.rows, func(a, b row) int { return cmp.Compare(a.id, b.id) })
	return lr, err
}

// each calls fn with every row as an entry, in id order. The entry is
// one variable, reused: fn must not keep it.
func (l *ledgerRows) each(fn func(e *jifen.Entry) error) error {
	var e jifen.Entry
	for i := range l.rows {
		w := &l.rows[i]
		e = jifen.Entry{ID: w.id, Reverses: w.reverses, Kind: jifen.EntryKind(l.names[w.kind]),
			At: time.UnixMilli(w.at).UTC(), Effective: time.UnixMilli(w.effective).UTC(), Points: w.points,
			Giver: l.names[w.giver], Receiver: l.names[w.receiver], Category: l.names[w.category], Behavior: l.names[w.behavior]}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}
