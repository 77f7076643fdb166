package store

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"jifen"
)

// boardView is what a board shows: the standings of every scope, the
// headcounts and the department × category sums.
type boardView struct {
	All    []Score
	ByDept map[string][]Score
	ByRole map[jifen.Role][]Score
	Cats   map[string]map[string]int64
}

func viewOf(s *Store, p jifen.Period) boardView {
	b := s.board(p)
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := boardView{All: append([]Score(nil), b.all...), ByDept: map[string][]Score{}, ByRole: map[jifen.Role][]Score{},
		Cats: map[string]map[string]int64{}}
	for d, l := range b.byDept {
		v.ByDept[d] = append([]Score(nil), l...)
	}
	for r, l := range b.byRole {
		v.ByRole[r] = append([]Score(nil), l...)
	}
	for d, m := range b.cats {
		v.Cats[d] = map[string]int64{}
		for c, n := range m {
			if n != 0 {
				v.Cats[d][c] = n
			}
		}
	}
	return v
}

// A board loaded from the file (the first query after a start) equals the
// board kept up to date by the commits since it was loaded, for every
// period kind, through awards, deductions, revokes, redemptions and their
// refunds, a member hired later in the running month (on no board of it
// yet) and one who left (on the boards of the periods they worked in
// only), and equals the sums of the entries.
func TestColdBoardEqualsWarmBoard(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ms := members(30)
	ms[3].Role = jifen.RoleManager
	ms[7].Joined = time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	ms[8].Left = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	var periods []jifen.Period
	for _, kind := range jifen.PeriodKinds {
		periods = append(periods, jifen.PeriodOf(kind, time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), shanghai),
			jifen.PeriodOf(kind, time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC), shanghai))
	}
	for _, p := range periods {
		viewOf(s, p) // loaded now, kept warm by the commits below
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var ids []uint64
	cats := []string{"sales", "service", "collab"}
	for i := range 600 {
		clock.Set(time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 14 * time.Hour))
		r := ms[rng.IntN(len(ms))].ID
		switch n := rng.IntN(10); {
		case n < 6:
			ids = append(ids, appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: r,
				Points: 1 + rng.Int64N(50), Category: cats[rng.IntN(len(cats))], Behavior: "b"}))
		case n < 8:
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindDeduct, Giver: "m000", Receiver: r, Points: -5, Category: "attendance", Behavior: "late"})
		case n < 9 && len(ids) > 0:
			k := rng.IntN(len(ids))
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "m000", Reverses: ids[k]})
			ids = append(ids[:k], ids[k+1:]...)
		default:
			appendEntry(t, s, jifen.Entry{Kind: jifen.KindRedeem, Receiver: r, Points: -3, Behavior: RewardBehavior("mug"), Quantity: 1})
		}
	}
	clock.Set(time.Date(2026, 12, 15, 1, 0, 0, 0, time.UTC))
	for _, p := range periods {
		warm := viewOf(s, p)
		s.DropBoards()
		cold := viewOf(s, p)
		if !reflect.DeepEqual(warm, cold) {
			t.Errorf("%s: kept up to date %+v\nloaded %+v", p.Key, warm, cold)
		}
	}
	checkBoardsAgainstEntries(t, s)
	// Not counted: the member hired for later in December is on no board
	// of it yet, the one who left is on none after June.
	for _, p := range periods {
		s.DropBoards()
		b := s.board(p)
		_, hired := b.pointsOf("m007")
		_, left := b.pointsOf("m008")
		if hired {
			t.Errorf("%s: the member who starts on 20 December counted: %v", p.Key, hired)
		}
		if wantLeft := !p.Start.After(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)); left != wantLeft {
			t.Errorf("%s: the member who left in June counted: %v", p.Key, left)
		}
	}
}
