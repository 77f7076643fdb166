package bot

import "testing"

func TestScheduleInWords(t *testing.T) {
	zh, en := New(Options{Language: "zh"}), New(Options{Language: "en"})
	for _, tc := range []struct {
		name, spec, zh, en string
	}{
		{"monthly on a day", "0 10 25 * *", "每月 25 日 10:00", "monthly on the 25th at 10:00"},
		{"the first, second, third and eleventh", "30 9 1 * *", "每月 1 日 09:30", "monthly on the 1st at 09:30"},
		{"second", "0 9 2 * *", "每月 2 日 09:00", "monthly on the 2nd at 09:00"},
		{"twenty-third", "0 9 23 * *", "每月 23 日 09:00", "monthly on the 23rd at 09:00"},
		{"eleventh", "0 9 11 * *", "每月 11 日 09:00", "monthly on the 11th at 09:00"},
		{"daily", "0 18 * * *", "每天 18:00", "daily at 18:00"},
		{"weekly on a weekday", "0 17 * * 5", "每周五 17:00", "weekly on Friday at 17:00"},
		{"Sunday as 7", "0 8 * * 7", "每周日 08:00", "weekly on Sunday at 08:00"},
		{"on weekdays", "0 9 * * 1-5", "工作日每天 09:00", "on weekdays at 09:00"},
		{"steps fall back to cron", "*/15 9 * * *", "*/15 9 * * *", "*/15 9 * * *"},
		{"a month falls back", "0 10 1 1 *", "0 10 1 1 *", "0 10 1 1 *"},
		{"day and weekday both fall back", "0 10 1 * 1", "0 10 1 * 1", "0 10 1 * 1"},
		{"a list falls back", "0 10 1,15 * *", "0 10 1,15 * *", "0 10 1,15 * *"},
		{"a descriptor falls back", "@every 1h", "@every 1h", "@every 1h"},
		{"out of range falls back", "0 25 * * *", "0 25 * * *", "0 25 * * *"},
		{"empty stays empty", "", "", ""},
	} {
		if got := zh.scheduleInWords(tc.spec); got != tc.zh {
			t.Errorf("%s: zh %q, want %q", tc.name, got, tc.zh)
		}
		if got := en.scheduleInWords(tc.spec); got != tc.en {
			t.Errorf("%s: en %q, want %q", tc.name, got, tc.en)
		}
	}
}

// /survey list shows the schedule in words, not the cron spec.
func TestSurveyListSaysTheScheduleInWords(t *testing.T) {
	e := newSurveyEnv(t, false)
	e.bot.surveys[0].Schedule = "0 10 25 * *"
	msg := e.run("hr", "/survey list").Reply
	if msg.Table == nil || len(msg.Table.Rows) != 1 || msg.Table.Rows[0][2] != "每月 25 日 10:00" {
		t.Fatalf("/survey list: %+v", msg.Table)
	}
}
