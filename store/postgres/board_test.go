package postgres

import (
	"context"
	"testing"
	"time"

	"jifen"
	"jifen/store"
)

func TestLeaderboardCountsTheMembersOfThePeriod(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	other := openAt(t, url)
	ctx := context.Background()
	left := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := s.PutMembers(ctx, []jifen.Member{
		{ID: "E1", Name: "a", Department: "研发", Role: jifen.RoleEmployee},
		{ID: "E2", Name: "b", Department: "研发", Role: jifen.RoleManager},
		{ID: "E3", Name: "c", Department: "销售", Role: jifen.RoleEmployee},
		{ID: "E4", Name: "d", Department: "销售", Role: jifen.RoleEmployee, Left: left},
		{ID: "BOT", Name: "bot", Role: jifen.RoleEmployee, Bot: true},
	}); err != nil {
		t.Fatal(err)
	}
	// Awards written through one replica rank on the other.
	for _, a := range []struct {
		to  string
		pts int64
		cat string
	}{{"E1", 10, "teamwork"}, {"E2", 10, "teamwork"}, {"E3", 5, "sales"}, {"E4", 20, "sales"}, {"E1", 4, "quality"}, {"E1", -4, "quality"}} {
		if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAdjust, Receiver: a.to, Points: a.pts, Category: a.cat})
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	top := other.Top(month, 10, "")
	if len(top) != 3 || top[0].Member.ID != "E1" || top[0].Rank != 1 || top[1].Member.ID != "E2" || top[1].Rank != 1 || top[2].Member.ID != "E3" || top[2].Rank != 3 {
		t.Fatalf("top %+v", top)
	}
	if r := other.RankOf("E3", month); r != (store.Rank{Points: 5, Rank: 3, Of: 3, DeptRank: 1, DeptOf: 1, RoleRank: 2, RoleOf: 2}) {
		t.Fatalf("E3's rank %+v", r)
	}
	if r := other.RankOf("E4", month); r.Ranked() || r.Points != 20 {
		t.Fatalf("a member who left is ranked: %+v", r)
	}
	if n := other.Headcount(month, "研发"); n != 2 {
		t.Fatalf("headcount %d", n)
	}
	if top := other.Top(month, 10, "销售"); len(top) != 1 || top[0].Member.ID != "E3" {
		t.Fatalf("top of a department %+v", top)
	}
	if avg := other.DepartmentAverages(month, "研发"); avg["teamwork"] != 10 || avg["quality"] != 0 {
		t.Fatalf("averages %+v", avg)
	}
	if d := other.Departments(); d["研发"] != 2 || d["销售"] != 2 || d[""] != 0 {
		t.Fatalf("departments %+v", d)
	}
	if n := other.DepartmentSize("销售"); n != 1 {
		t.Fatalf("department size %d", n)
	}
}
