package jifen

import (
	"testing"
	"time"
)

func TestEmployedIn(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	nov := PeriodOf(Month, time.Date(2026, 11, 15, 0, 0, 0, 0, loc), loc)
	for _, c := range []struct {
		name         string
		joined, left string
		want         bool
	}{
		{"no dates", "", "", true},
		{"joined before", "2025-01-01", "", true},
		{"joined on the last day", "2026-11-30", "", true},
		{"joined the day after", "2026-12-01", "", false},
		{"left on the first day", "", "2026-11-01", true},
		{"left the day before", "", "2026-10-31", false},
		{"left after", "2020-01-01", "2027-01-01", true},
	} {
		m := Member{ID: "x"}
		if c.joined != "" {
			m.Joined = date(c.joined)
		}
		if c.left != "" {
			m.Left = date(c.left)
		}
		if got := m.EmployedIn(nov, loc); got != c.want {
			t.Errorf("%s: EmployedIn(2026-11) = %v, want %v", c.name, got, c.want)
		}
	}
	if (Member{Bot: true}).EmployedIn(nov, loc) {
		t.Error("a bot counts as employed")
	}
	// Dates are days of the configured zone: 2026-11-30 16:30 UTC is
	// already December 1st in Shanghai.
	m := Member{Left: date("2026-11-30")}
	if !m.EmployedOn(time.Date(2026, 11, 30, 15, 59, 0, 0, time.UTC), loc) {
		t.Error("not employed on their last day")
	}
	if m.EmployedOn(time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC), loc) || !m.HasLeft(time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC), loc) {
		t.Error("still employed the day after their last day")
	}
	j := Member{Joined: date("2026-12-01")}
	if j.EmployedOn(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC), loc) || !j.EmployedOn(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), loc) {
		t.Error("joined date not read in the configured zone")
	}
}
