package store

import (
	"context"
	"testing"
	"time"

	"jifen"
)

// A manager's allowance is sized by who works in the department today:
// not by people who have left, nor by hires who start next week.
func TestDepartmentSizeCountsWhoWorksHereToday(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)} // 23:00 in Shanghai
	s := openTest(t, "", shanghai, clock)
	date := func(v string) time.Time { d, _ := time.Parse(time.DateOnly, v); return d }
	ms := []jifen.Member{
		{ID: "a", Name: "甲", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "b", Name: "乙", Department: "销售部", Role: jifen.RoleEmployee, Left: date("2026-10-31")},
		{ID: "c", Name: "丙", Department: "销售部", Role: jifen.RoleEmployee, Joined: date("2026-11-30")},
		{ID: "d", Name: "丁", Department: "销售部", Role: jifen.RoleEmployee, Left: date("2026-11-29")},
		{ID: "bot", Name: "助手", Department: "销售部", Role: jifen.RoleEmployee, Bot: true},
	}
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	if got := s.DepartmentSize("销售部"); got != 2 {
		t.Errorf("on 11-29: %d, want 2 (甲, and 丁 on their last day)", got)
	}
	clock.Set(time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC)) // 11-30 00:00 in Shanghai
	if got := s.DepartmentSize("销售部"); got != 2 {
		t.Errorf("on 11-30: %d, want 2 (甲 and 丙, who starts today)", got)
	}
	ms[0].Left = date("2026-11-29")
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	if got := s.DepartmentSize("销售部"); got != 1 {
		t.Errorf("after 甲's leaving date was recorded: %d, want 1", got)
	}
}
