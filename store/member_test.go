package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

// Backups do not carry the key that signs report links, and rotating it
// makes every link signed before refused.
func TestLinkKeyStaysOutOfBackupsAndRotates(t *testing.T) {
	s := openTest(t, "", shanghai, &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)})
	ctx := context.Background()
	key, err := s.LinkKey(ctx)
	if err != nil || len(key) != 32 {
		t.Fatalf("key %x, %v", key, err)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := s.Backup(backup); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, key) || bytes.Contains(raw, linkKeyName) {
		t.Error("the backup holds the link key")
	}
	if err := s.RotateLinkKey(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.LinkKey(ctx); bytes.Equal(again, key) || len(again) != 32 {
		t.Errorf("after rotation the key is %x (was %x)", again, key)
	}
}

// The config wins where it says something; what a platform filled in
// where it says nothing stays (issue 18): platform ids, email, department,
// and a leaving date a platform gave — not one the config gave and then
// took back.
func TestSyncMembersKeepsWhatPlatformsFilledIn(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	cfg := []jifen.Member{
		{ID: "a", Name: "甲", Role: jifen.RoleEmployee},
		{ID: "b", Name: "乙", Role: jifen.RoleEmployee, Left: day},
	}
	if err := s.SyncMembers(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Member("a")
	a.SlackID, a.FeishuOpenID, a.Email, a.Department, a.Left, a.LeftFrom = "U0A", "ou_a", "a@example.com", "销售部", day, "feishu"
	if err := s.PutMembers(ctx, []jifen.Member{a}); err != nil {
		t.Fatal(err)
	}
	cfg[1].Left = time.Time{} // the config no longer says 乙 has left
	if err := s.SyncMembers(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Member("a"); got != a {
		t.Errorf("a: %+v, want %+v", got, a)
	}
	if got, _ := s.Member("b"); !got.Left.IsZero() {
		t.Errorf("b still left on %v", got.Left)
	}
	// What the config says wins.
	cfg[0].Department = "客服部"
	if err := s.SyncMembers(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MemberBySlackID("U0A"); got.Department != "客服部" || got.ID != "a" {
		t.Errorf("a: %+v", got)
	}
	if got, ok := s.MemberByEmail("A@Example.COM"); !ok || got.ID != "a" {
		t.Errorf("by email: %+v %v", got, ok)
	}
}

// The console's session key is its own, stays the same across calls and
// stays out of backups like the link key.
func TestSessionKeyStaysOutOfBackups(t *testing.T) {
	s := openTest(t, "", shanghai, &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)})
	ctx := context.Background()
	key, err := s.SessionKey(ctx)
	if err != nil || len(key) != 32 {
		t.Fatalf("key %x, %v", key, err)
	}
	link, _ := s.LinkKey(ctx)
	if again, _ := s.SessionKey(ctx); !bytes.Equal(again, key) || bytes.Equal(key, link) {
		t.Errorf("session key %x then %x, link key %x: want one stable key apart from the link key", key, again, link)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := s.Backup(backup); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, key) || bytes.Contains(raw, sessionKeyName) {
		t.Error("the backup holds the session key")
	}
}
