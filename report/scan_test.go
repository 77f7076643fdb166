package report

import (
	"math/rand/v2"
	"testing"
	"time"

	"jifen"
)

// The scan's period look-up gives the key PeriodOf gives (the figures key
// months and limit periods by it), for every kind, in zones with daylight
// saving (some of it starting at midnight, where a period's start moves
// off midnight), a skipped day and half-hour shifts: at random instants met
// in random order and a millisecond either side of each bound.
func TestPeriodIndexAgreesWithPeriodOf(t *testing.T) {
	zones := []string{"UTC", "Asia/Shanghai", "America/New_York", "America/Sao_Paulo", "America/Havana",
		"America/Santiago", "Europe/London", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Tehran"}
	rng := rand.New(rand.NewPCG(1, 2))
	from, to := time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Logf("%s: %v (skipped)", name, err)
			continue
		}
		for _, kind := range jifen.PeriodKinds {
			x := newPeriodIndex(kind, loc)
			check := func(ms int64) {
				t.Helper()
				at := time.UnixMilli(ms).UTC()
				got, want := x.list[x.of(at, ms)], jifen.PeriodOf(kind, at, loc)
				if got.Key != want.Key {
					t.Fatalf("%s %s at %v: %s, want %s", name, kind, at.In(loc), got.Key, want.Key)
				}
			}
			for range 2_000 {
				ms := from + rng.Int64N(to-from)
				check(ms)
				p := jifen.PeriodOf(kind, time.UnixMilli(ms), loc)
				for _, b := range []time.Time{p.Start, p.End} {
					if kind != jifen.AllTime {
						check(b.UnixMilli() - 1)
						check(b.UnixMilli())
					}
				}
			}
		}
	}
}
