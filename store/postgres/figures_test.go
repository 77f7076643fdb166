package postgres

import (
	"context"
	"testing"

	"jifen"
	"jifen/rules"
)

// A limit reads under the member's lock only the figures it checks: the
// giver's allowance reads the giver's pool figures of its period, not the
// member's points, nor other periods, nor the per-behavior use. The other
// figures, read next under the same lock, are as the entries left them.
func TestALimitReadsOnlyItsFigures(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.PutMembers(ctx, []jifen.Member{
		{ID: "G", Name: "g", Role: jifen.RoleManager}, {ID: "R", Name: "r", Role: jifen.RoleManager}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, e := range []jifen.Entry{
			{Kind: jifen.KindAward, Giver: "G", Receiver: "R", Points: 5, Category: "teamwork", Behavior: "help"},
			{Kind: jifen.KindAward, Giver: "R", Receiver: "G", Points: 3, Category: "teamwork", Behavior: "help"},
		} {
			if _, err := tx.Append(&e); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	year := jifen.PeriodOf(jifen.Year, testNow, shanghai)
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		u := tx.Usage()
		if got := u.GiverUse("G", rules.PoolAward, month); got != 5 {
			t.Errorf("G gave %d in the month, want 5", got)
		}
		f := tx.figs["G"]
		if f == nil || len(f.aggs) != 1 || len(f.behs) != 0 {
			t.Errorf("the allowance read %d aggregates and %d per-behavior figures of G, want 1 and 0", len(f.aggs), len(f.behs))
		}
		if got := u.Net("G", month); got != 3 {
			t.Errorf("G has %d points in the month, want 3", got)
		}
		if times, points := u.BehaviorUse("G", "help", month); times != 1 || points != 3 {
			t.Errorf("G's use of help is %d times, %d points, want 1, 3", times, points)
		}
		if got := u.GiverUse("G", rules.PoolAward, year); got != 5 {
			t.Errorf("G gave %d in the year, want 5", got)
		}
		if got := tx.Balance("G"); got != 3 {
			t.Errorf("G's balance is %d, want 3", got)
		}
		// After a write, the figures are read again.
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "G", Receiver: "R", Points: 2, Category: "teamwork", Behavior: "help"}); err != nil {
			return nil, err
		}
		if got := u.GiverUse("G", rules.PoolAward, month); got != 7 {
			t.Errorf("G gave %d in the month after a third award, want 7", got)
		}
		if got := u.Net("R", month); got != 7 {
			t.Errorf("R has %d points in the month, want 7", got)
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
}
