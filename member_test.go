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

func TestAsOfAndDaysEmployed(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	nov := PeriodOf(Month, time.Date(2026, 11, 15, 0, 0, 0, 0, loc), loc)
	now := time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC) // 13:00 in Shanghai
	asOf := nov.AsOf(now, loc)
	if want := time.Date(2026, 11, 30, 0, 0, 0, 0, loc); !asOf.End.Equal(want) || !asOf.Start.Equal(nov.Start) || asOf.Key != "2026-11" {
		t.Errorf("AsOf = %v – %v, want to %v", asOf.Start, asOf.End, want)
	}
	if oct := nov.Previous(loc); oct.AsOf(now, loc) != oct {
		t.Error("a period that is over changed")
	}
	// All time starts at the zero time, in UTC: the day is still loc's.
	all := PeriodOf(AllTime, now, loc).AsOf(time.Date(2026, 11, 29, 15, 59, 59, 0, time.UTC), loc)
	if want := time.Date(2026, 11, 30, 0, 0, 0, 0, loc); !all.End.Equal(want) {
		t.Errorf("all time as of 23:59:59 in Shanghai ends %v, want %v", all.End, want)
	}
	// Joins tomorrow: counted in November, not in November as of today.
	m := Member{Joined: date("2026-11-30")}
	if !m.EmployedIn(nov, loc) || m.EmployedIn(asOf, loc) {
		t.Error("a hire of tomorrow counts today")
	}
	for _, c := range []struct {
		m    Member
		p    Period
		days int
		all  bool
	}{
		{Member{}, nov, 30, true},
		{Member{Joined: date("2026-11-21")}, nov, 10, false},
		{Member{Left: date("2026-11-10")}, nov, 10, false},
		{Member{Joined: date("2026-11-03"), Left: date("2026-11-03")}, nov, 1, false},
		{Member{Joined: date("2026-12-01")}, nov, 0, false},
		{Member{Joined: date("2026-11-01"), Left: date("2026-11-30")}, nov, 30, true},
		{Member{}, asOf, 29, true},
		{Member{Bot: true}, nov, 0, false},
	} {
		if got := c.m.DaysEmployed(c.p, loc); got != c.days {
			t.Errorf("%+v: %d days, want %d", c.m, got, c.days)
		}
		if got := c.m.EmployedThroughout(c.p, loc); got != c.all {
			t.Errorf("%+v: throughout %v, want %v", c.m, got, c.all)
		}
	}
}

func TestCompetitionRanks(t *testing.T) {
	people := []Member{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}, {ID: "e"}}
	pts := map[string]int64{"a": 10, "b": 0, "c": 0, "d": -5, "e": 10}
	got := CompetitionRanks(people, func(id string) int64 { return pts[id] })
	want := map[string]int{"a": 1, "e": 1, "b": 3, "c": 3, "d": 5}
	for id, r := range want {
		if got[id] != r {
			t.Errorf("%s: rank %d, want %d", id, got[id], r)
		}
	}
}

func TestParseBirthday(t *testing.T) {
	for in, want := range map[string]string{"3-1": "03-01", "03-01": "03-01", " 12-31 ": "12-31", "02-29": "02-29"} {
		if got, err := ParseBirthday(in); err != nil || got != want {
			t.Errorf("ParseBirthday(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1990-03-01", "13-01", "02-30", "0301", "3/1"} {
		if got, err := ParseBirthday(in); err == nil {
			t.Errorf("ParseBirthday(%q) = %q, want an error", in, got)
		}
	}
}

// Dates that contradict each other — left before joined, which the config
// and imports refuse but a platform directory can bring about (a hire
// registered ahead, deactivated before their first day) — leave no day
// employed: such a member counts in no period and is employed on no day.
func TestLeftBeforeJoinedIsNeverEmployed(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	m := Member{ID: "m15", Joined: time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC), Left: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	for _, p := range []Period{PeriodOf(Quarter, time.Date(2026, 5, 1, 0, 0, 0, 0, sh), sh), PeriodOf(Year, time.Date(2026, 5, 1, 0, 0, 0, 0, sh), sh),
		PeriodOf(Month, time.Date(2026, 5, 3, 0, 0, 0, 0, sh), sh)} {
		if m.EmployedIn(p, sh) {
			t.Errorf("counted in %s", p.Key)
		}
	}
	for d := 1; d <= 10; d++ {
		if m.EmployedOn(time.Date(2026, 5, d, 12, 0, 0, 0, sh), sh) {
			t.Errorf("employed on May %d", d)
		}
	}
	// The day before joining as the last day is the same: no day.
	m.Left = time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC)
	if m.EmployedOn(time.Date(2026, 5, 5, 12, 0, 0, 0, sh), sh) || m.EmployedOn(time.Date(2026, 5, 6, 12, 0, 0, 0, sh), sh) {
		t.Error("employed around the contradiction")
	}
	// Joined and left the same day: that day.
	m.Left = m.Joined
	if !m.EmployedOn(time.Date(2026, 5, 6, 12, 0, 0, 0, sh), sh) {
		t.Error("not employed on the one day")
	}
}
