package store

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

// coldViewOf loads p's board from the file, as the first query after a
// start does, and puts the board the commits kept up to date back.
func coldViewOf(s *Store, p jifen.Period) boardView {
	s.mu.Lock()
	warm := s.boards.boards[p.Key]
	delete(s.boards.boards, p.Key)
	s.mu.Unlock()
	v := viewOf(s, p)
	s.mu.Lock()
	if warm != nil {
		s.boards.boards[p.Key] = warm
	}
	s.mu.Unlock()
	return v
}

// recordsViewOf loads p's board from the members' records, as a board
// without a month board does.
func recordsViewOf(t *testing.T, s *Store, p jifen.Period) boardView {
	t.Helper()
	var saved []byte
	if err := s.db.Update(func(btx *bolt.Tx) error {
		saved = append([]byte(nil), btx.Bucket(bucketMeta).Get(metaBoardsUpTo)...)
		return btx.Bucket(bucketMeta).Delete(metaBoardsUpTo)
	}); err != nil {
		t.Fatal(err)
	}
	v := coldViewOf(s, p)
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketMeta).Put(metaBoardsUpTo, saved)
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func boardsUpTo(t *testing.T, s *Store) uint64 {
	t.Helper()
	var upto uint64
	var ok bool
	_ = s.db.View(func(btx *bolt.Tx) error {
		upto, ok = s.boardsUpTo(btx)
		return nil
	})
	if !ok {
		t.Fatal("no month boards")
	}
	return upto
}

func setMonthBoardEvery(t *testing.T, n uint64) {
	old := monthBoardEvery
	monthBoardEvery = n
	t.Cleanup(func() { monthBoardEvery = old })
}

// A month's board loaded from the file equals the board the commits kept
// up to date, and the one read from the members' records, after every
// entry: just before and just after the committer rewrites the month
// boards, across the turn of a month, with entries effective in the month
// before, and with revokes of entries older than the last rewrite.
func TestColdMonthBoardEqualsWarmAfterEveryEntry(t *testing.T) {
	setMonthBoardEvery(t, 7)
	start := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	clock := &testClock{t: start}
	s := openTest(t, "", shanghai, clock)
	ms := members(24)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	nov := jifen.PeriodOf(jifen.Month, time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), shanghai)
	dec := jifen.PeriodOf(jifen.Month, time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), shanghai)
	for _, p := range []jifen.Period{nov, dec} {
		viewOf(s, p) // loaded now, kept warm by the commits below
	}
	rng := rand.New(rand.NewPCG(3, 4))
	cats := []string{"sales", "service", ""}
	var ids []uint64
	rewrites := map[uint64]bool{}
	for i := range 160 {
		now := start.Add(time.Duration(i) * 3 * time.Hour) // 25 November to 15 December
		clock.Set(now)
		r := ms[rng.IntN(len(ms))].ID
		switch n := rng.IntN(10); {
		case n < 5:
			ids = append(ids, appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: r,
				Points: 1 + rng.Int64N(30), Category: cats[rng.IntN(len(cats))], Behavior: "b"}))
		case n < 7:
			// Effective up to ten days back: in November while December runs.
			ids = append(ids, appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: r,
				Points: 1 + rng.Int64N(30), Category: "sales", Behavior: "b",
				Effective: now.Add(-time.Duration(rng.IntN(240)) * time.Hour)}))
		case n < 8:
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindDeduct, Giver: "m000", Receiver: r, Points: -5, Category: "attendance", Behavior: "late"})
		case n < 9 && len(ids) > 0:
			// The oldest standing entries: before the last rewrite.
			k := rng.IntN(min(len(ids), 5))
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "m000", Reverses: ids[k]})
			ids = append(ids[:k], ids[k+1:]...)
		default:
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindRedeem, Receiver: r, Points: -3, Behavior: RewardBehavior("mug"), Quantity: 1})
		}
		rewrites[boardsUpTo(t, s)] = true
		for _, p := range []jifen.Period{nov, dec} {
			warm, cold, recs := viewOf(s, p), coldViewOf(s, p), recordsViewOf(t, s, p)
			if !reflect.DeepEqual(warm, cold) || !reflect.DeepEqual(warm, recs) {
				t.Fatalf("entry %d, %s: kept up to date %+v\nloaded %+v\nfrom the records %+v", i, p.Key, warm, cold, recs)
			}
		}
	}
	// Every 7 entries at first, then every 24 or so (the members).
	if len(rewrites) < 6 {
		t.Errorf("the month boards were rewritten %d times, want at least 6", len(rewrites)-1)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// The month boards are rebuilt in the new zone when the zone changes, as
// the aggregates are, and a month's cold board then equals the one read
// from the records.
func TestZoneChangeRebuildsMonthBoards(t *testing.T) {
	setMonthBoardEvery(t, 5)
	path := filepath.Join(t.TempDir(), "jifen.db")
	clock := &testClock{t: time.Date(2026, 10, 31, 10, 0, 0, 0, time.UTC)}
	s := openTest(t, path, shanghai, clock)
	if err := s.SyncMembers(context.Background(), members(6)); err != nil {
		t.Fatal(err)
	}
	// Around midnight between October and November in Shanghai (16:00
	// UTC): entries change months with the zone.
	for i := range 23 {
		clock.Set(time.Date(2026, 10, 31, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour))
		appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: members(6)[i%6].ID, Points: int64(1 + i), Category: "sales"})
	}
	s.Close()
	s = openTest(t, path, time.UTC, clock)
	if got := boardsUpTo(t, s); got != 23 {
		t.Errorf("month boards rebuilt up to entry %d, want 23", got)
	}
	for _, at := range []time.Time{time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)} {
		p := jifen.PeriodOf(jifen.Month, at, time.UTC)
		if cold, recs := coldViewOf(s, p), recordsViewOf(t, s, p); !reflect.DeepEqual(cold, recs) {
			t.Errorf("%s: loaded %+v\nfrom the records %+v", p.Key, cold, recs)
		}
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// monthEffect gives what effects gives a month's earned points, in every
// zone, for every kind of entry.
func TestMonthEffectAgreesWithEffects(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	kinds := []jifen.EntryKind{jifen.KindAward, jifen.KindThanks, jifen.KindDeduct, jifen.KindRedeem}
	for _, loc := range []*time.Location{shanghai, time.UTC, mustZone("America/New_York"), mustZone("Pacific/Chatham")} {
		for range 500 {
			at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(3*365*24)) * time.Hour)
			orig := jifen.Entry{ID: 1, Kind: kinds[rng.IntN(len(kinds))], Receiver: "r", Giver: "g", Points: rng.Int64N(41) - 20,
				Category: []string{"", "sales"}[rng.IntN(2)], Effective: at, At: at}
			e, o := &orig, (*jifen.Entry)(nil)
			if rng.IntN(2) == 0 {
				e = &jifen.Entry{ID: 2, Kind: jifen.KindRevoke, Reverses: 1, Receiver: "r", Points: -orig.Points, Effective: at, At: at}
				o = &orig
			}
			want := monthDeltas{}
			for _, d := range effects(e, o, loc) {
				if !isMonth(d.period) {
					continue
				}
				switch d.kind {
				case aggTotal:
					want.figures(d.period, d.member).t += d.agg.Net
				case aggCategory:
					want.figures(d.period, d.member).addCat(d.cat, d.agg.Net)
				}
			}
			got := monthDeltas{}
			if month, member, cat, net, ok := monthEffect(e, o, loc); ok {
				got.add(month, member, cat, net)
			}
			if !reflect.DeepEqual(got, want) && !(len(want) == 0 && got.allZero()) {
				t.Fatalf("%s %+v (reverses %+v): monthEffect %v, effects %v", loc, e, o, got, want)
			}
		}
	}
}

func (d monthDeltas) allZero() bool {
	for _, mm := range d {
		for _, f := range mm {
			if !f.zero() {
				return false
			}
		}
	}
	return true
}

// A month board of more members than one value holds is split over
// several, and reads back whole and in order.
func TestMonthBoardChunks(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	var ms []monthFigures
	for i := range monthBoardChunk*2 + 3 {
		ms = append(ms, monthFigures{id: string(rune('a'+i%26)) + string(rune('A'+i/26%26)) + string(rune('0'+i/676)), t: int64(i)})
	}
	ms[5].cats = []catNet{{"sales", 3}, {"service", -2}}
	slices.SortFunc(ms, func(a, b monthFigures) int { return strings.Compare(a.id, b.id) })
	if err := s.db.Update(func(btx *bolt.Tx) error { return putMonthBoard(btx, "2026-11", ms) }); err != nil {
		t.Fatal(err)
	}
	var got []monthFigures
	_ = s.db.View(func(btx *bolt.Tx) error {
		if n := btx.Bucket(bucketMonthBoards).Stats().KeyN; n != 3 {
			t.Errorf("%d values, want 3", n)
		}
		return eachMonthFigures(btx, "2026-11", func(id []byte, v int64, cats []catNet) {
			got = append(got, monthFigures{id: string(id), t: v, cats: append([]catNet(nil), cats...)})
		})
	})
	for i := range ms {
		if len(ms[i].cats) == 0 {
			ms[i].cats = nil
		}
	}
	for i := range got {
		if len(got[i].cats) == 0 {
			got[i].cats = nil
		}
	}
	if !reflect.DeepEqual(got, ms) {
		t.Errorf("read back %d members, wrote %d; first %+v", len(got), len(ms), got[:min(3, len(got))])
	}
}

// BenchmarkRefreshMonthBoards is what the committer spends every
// monthBoardEvery entries: 5,000 awards of a month to members spread over
// 10,000, added to a month board of 10,000 members (then rolled back).
func BenchmarkRefreshMonthBoards(b *testing.B) {
	clock := &testClock{t: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
	s := openTestOpt(b, "", Options{Location: shanghai, Clock: clock, NoSync: true})
	ms := members(10_000)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		b.Fatal(err)
	}
	add := func(n, from int) {
		_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
			for i := range n {
				if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: ms[(from+i*7919)%len(ms)].ID,
					Points: int64(1 + i%20), Category: []string{"sales", "service", "collab"}[i%3], Behavior: "b"}); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	add(10_000, 0) // the month board: every member (one refresh)
	old := monthBoardEvery
	monthBoardEvery = 1 << 40
	b.Cleanup(func() { monthBoardEvery = old })
	add(5_000, 1)
	b.ResetTimer()
	for range b.N {
		btx, err := s.db.Begin(true)
		if err != nil {
			b.Fatal(err)
		}
		upto, _ := s.boardsUpTo(btx)
		if err := s.advanceMonthBoards(btx, upto, btx.Bucket(bucketEntries).Sequence()); err != nil {
			b.Fatal(err)
		}
		_ = btx.Rollback()
	}
}
