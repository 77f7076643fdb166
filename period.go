package jifen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PeriodKind is the length of a reporting period.
type PeriodKind string

const (
	Week    PeriodKind = "week" // ISO week, Monday first
	Month   PeriodKind = "month"
	Quarter PeriodKind = "quarter"
	Year    PeriodKind = "year"
	AllTime PeriodKind = "all"
)

// PeriodKinds lists every kind, shortest first.
var PeriodKinds = []PeriodKind{Week, Month, Quarter, Year, AllTime}

// Valid reports whether k is a known kind.
func (k PeriodKind) Valid() bool {
	for _, p := range PeriodKinds {
		if p == k {
			return true
		}
	}
	return false
}

// Period is a concrete period in a time zone: [Start, End).
// Key is its stable name: 2026-W47, 2026-11, 2026-Q4, 2026, all.
type Period struct {
	Kind  PeriodKind
	Key   string
	Start time.Time
	End   time.Time
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.Start) && t.Before(p.End)
}

// PeriodOf returns the period of the given kind that contains t, computed in
// loc. Times are stored in UTC; periods are always local.
func PeriodOf(kind PeriodKind, t time.Time, loc *time.Location) Period {
	lt := t.In(loc)
	y, m, d := lt.Date()
	switch kind {
	case Week:
		wd := (int(lt.Weekday()) + 6) % 7 // Monday = 0
		start := time.Date(y, m, d-wd, 0, 0, 0, 0, loc)
		iy, iw := start.ISOWeek()
		return Period{Kind: Week, Key: fmt.Sprintf("%04d-W%02d", iy, iw), Start: start, End: start.AddDate(0, 0, 7)}
	case Month:
		start := time.Date(y, m, 1, 0, 0, 0, 0, loc)
		return Period{Kind: Month, Key: fmt.Sprintf("%04d-%02d", y, int(m)), Start: start, End: start.AddDate(0, 1, 0)}
	case Quarter:
		q := (int(m)-1)/3 + 1
		start := time.Date(y, time.Month((q-1)*3+1), 1, 0, 0, 0, 0, loc)
		return Period{Kind: Quarter, Key: fmt.Sprintf("%04d-Q%d", y, q), Start: start, End: start.AddDate(0, 3, 0)}
	case Year:
		start := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		return Period{Kind: Year, Key: fmt.Sprintf("%04d", y), Start: start, End: start.AddDate(1, 0, 0)}
	default:
		return Period{Kind: AllTime, Key: "all", Start: time.Time{}, End: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
}

// Previous returns the period of the same kind just before p.
func (p Period) Previous(loc *time.Location) Period {
	if p.Kind == AllTime {
		return p
	}
	return PeriodOf(p.Kind, p.Start.Add(-time.Nanosecond), loc)
}

// ParsePeriod reads a period key: 2026-W47, 2026-11, 2026-Q4, 2026 or all.
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("period %q: want YYYY, YYYY-MM, YYYY-Qn, YYYY-Www or all", s)
	if s == "all" {
		return PeriodOf(AllTime, time.Time{}, loc), nil
	}
	year, rest, _ := strings.Cut(s, "-")
	y, err := strconv.Atoi(year)
	if err != nil || len(year) != 4 || y < 1970 {
		return Period{}, bad
	}
	switch {
	case rest == "":
		return PeriodOf(Year, time.Date(y, 1, 1, 0, 0, 0, 0, loc), loc), nil
	case strings.HasPrefix(rest, "Q"):
		q, err := strconv.Atoi(rest[1:])
		if err != nil || q < 1 || q > 4 {
			return Period{}, bad
		}
		return PeriodOf(Quarter, time.Date(y, time.Month((q-1)*3+1), 1, 0, 0, 0, 0, loc), loc), nil
	case strings.HasPrefix(rest, "W"):
		w, err := strconv.Atoi(rest[1:])
		if err != nil || w < 1 || w > 53 {
			return Period{}, bad
		}
		// ISO week 1 holds January 4th.
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
		p := PeriodOf(Week, jan4.AddDate(0, 0, 7*(w-1)), loc)
		if p.Key != s {
			return Period{}, bad
		}
		return p, nil
	default:
		m, err := strconv.Atoi(rest)
		if err != nil || m < 1 || m > 12 || len(rest) != 2 {
			return Period{}, bad
		}
		return PeriodOf(Month, time.Date(y, time.Month(m), 1, 0, 0, 0, 0, loc), loc), nil
	}
}

// Begun reports whether p has started at now.
func (p Period) Begun(now time.Time) bool { return !now.Before(p.Start) }

// Over reports whether p has ended at now. A period that has begun and is
// not over is the current one: its figures are "as of now".
func (p Period) Over(now time.Time) bool { return !now.Before(p.End) }

// AsOf is the part of p that has begun at now, in whole days of loc: p
// itself once it is over; for the current period, from its start to the end
// of the day that holds now (member dates are days, so someone who joins
// today counts today). A period that has not begun is returned as it is.
func (p Period) AsOf(now time.Time, loc *time.Location) Period {
	if p.Over(now) || !p.Begun(now) {
		return p
	}
	y, m, d := now.In(loc).Date()
	if end := time.Date(y, m, d+1, 0, 0, 0, 0, loc); end.Before(p.End) {
		p.End = end
	}
	return p
}
