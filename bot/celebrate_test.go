package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
)

// celebrating is the test company with anniversary (20) and birthday (10)
// behaviors, and, on today (2026-11-10 in Shanghai): 王芳 three years in
// the company, 张伟's birthday, 李娜 joined on 29 February 2024 (not today),
// 陈静 joined a year ago today but left last week, 赵强 joined today (no
// anniversary on the first day) and the bot's birthday (bots are never
// celebrated).
func celebrating(t *testing.T) *env {
	e := newEnv(t)
	cat := testCatalog()
	cat.Categories = append(cat.Categories, rules.Category{ID: "culture", Name: "企业文化"})
	cat.Behaviors = append(cat.Behaviors,
		rules.Behavior{ID: "anniversary", Name: "入职周年", Category: "culture", Min: 20, Max: 20},
		rules.Behavior{ID: "birthday", Name: "生日", Category: "culture", Min: 10, Max: 10})
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	e.bot = New(Options{Store: e.store, Catalog: cat, CatalogVersion: 1})
	e.setMembers(func(m *jifen.Member) {
		switch m.ID {
		case "wang":
			m.Joined = date(2023, 11, 10)
		case "zhang":
			m.Birthday = "11-10"
		case "li":
			m.Joined = date(2024, 2, 29)
		case "chen":
			m.Joined, m.Left = date(2025, 11, 10), date(2026, 11, 3)
		case "zhao":
			m.Joined = date(2026, 11, 10)
		case "robot":
			m.Birthday = "11-10"
		}
	})
	return e
}

func TestCelebrationsAwardOnceOnTheDay(t *testing.T) {
	e := celebrating(t)
	c := Celebrations{Anniversary: "anniversary", Birthday: "birthday"}
	now := e.clock.t
	msg, n, err := e.bot.Celebrate(context.Background(), now, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"祝贺王芳入职 3 周年！+20 分（入职周年）", "祝张伟生日快乐！+10 分（生日）"}
	if n != 2 || strings.Join(msg.Text, "\n") != strings.Join(want, "\n") || !msg.Public || msg.Title != "🎉 今日祝福（2026-11-10）" {
		t.Fatalf("first run: %d awards, %+v", n, msg)
	}
	month := jifen.PeriodOf(jifen.Month, now, shanghai)
	if got := e.store.Totals("wang", month).Net; got != 20 {
		t.Errorf("王芳 has %d points, want 20", got)
	}
	if got := e.store.Totals("zhang", month).Net; got != 10 {
		t.Errorf("张伟 has %d points, want 10", got)
	}
	entries := e.store.EntryCount()
	// A second run the same day (a restart, a catch-up, a second
	// schedule) gives nothing again and posts nothing.
	msg, n, err = e.bot.Celebrate(context.Background(), now.Add(3*time.Hour), c)
	if err != nil || n != 0 || len(msg.Text) != 0 || e.store.EntryCount() != entries {
		t.Fatalf("second run: %d awards, %+v, %v; entries %d → %d", n, msg, err, entries, e.store.EntryCount())
	}
	// The next day nobody is due.
	if due, _ := e.bot.Occasions(now.Add(24*time.Hour), c); len(due) != 0 {
		t.Errorf("the next day: %+v", due)
	}
}

// 29 February is celebrated on 28 February in a year without one, and only
// the occasions the schedule names are celebrated.
func TestCelebrationsLeapDayAndChosenOccasions(t *testing.T) {
	e := celebrating(t)
	feb28 := time.Date(2027, 2, 28, 9, 0, 0, 0, shanghai)
	due, err := e.bot.Occasions(feb28, Celebrations{Anniversary: "anniversary", Birthday: "birthday"})
	if err != nil || len(due) != 1 || due[0].Member.ID != "li" || due[0].Years != 3 || due[0].Kind != "anniversary" {
		t.Fatalf("2027-02-28: %+v %v", due, err)
	}
	if due, _ := e.bot.Occasions(e.clock.t, Celebrations{Birthday: "birthday"}); len(due) != 1 || due[0].Member.ID != "zhang" {
		t.Errorf("birthdays only: %+v", due)
	}
}

// A celebration is an award like any other: the behavior's limits hold (a
// once-a-month behavior is not given twice in a month by two occasions).
func TestCelebrationsKeepTheRules(t *testing.T) {
	e := celebrating(t)
	e.setMembers(func(m *jifen.Member) {
		switch m.ID {
		case "wang":
			m.Joined, m.Birthday = date(2023, 11, 10), "11-10"
		case "zhang":
			m.Birthday = "11-10"
		}
	})
	msg, n, err := e.bot.Celebrate(context.Background(), e.clock.t, Celebrations{Anniversary: "full_attendance", Birthday: "full_attendance"})
	if err != nil {
		t.Fatal(err)
	}
	// 王芳's anniversary takes the month's one 全勤; her birthday is
	// refused by the limit; 张伟's birthday is given.
	if n != 2 || !strings.Contains(msg.Text[0], "王芳") || !strings.Contains(msg.Text[1], "张伟") {
		t.Fatalf("%d awards: %q", n, msg.Text)
	}
	if got := e.store.Totals("wang", jifen.PeriodOf(jifen.Month, e.clock.t, shanghai)).Net; got != 10 {
		t.Errorf("王芳 has %d points, want 10 (once a month)", got)
	}
}
