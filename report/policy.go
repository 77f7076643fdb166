package report

import (
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// PolicyEffect is the average monthly points per member before and after a
// dated policy, and the members who stopped incurring its behavior.
type PolicyEffect struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Date        time.Time `json:"date"`
	Description string    `json:"description,omitempty"`
	Before      float64   `json:"before"`  // mean of the months' points per counted member, up to 3 months before
	After       float64   `json:"after"`   // the same from the policy's month, up to 3 months, within the period and begun
	Months      [2]int    `json:"months"`  // how many months each average covers
	Change      *float64  `json:"change"`  // after against before; not a change between periods
	Stopped     []Person  `json:"stopped"` // counted members who incurred the behavior before, not since
}

// policies compares, for each dated policy whose month has begun and which
// starts before the period's end, the points per member per month before
// and after it. Each month's figure is its net points over the members
// counted in that month; the window's average is the mean of its months.
// The "before" window leaves out months that end before the ledger's first
// entry; the "after" window stops at the period's end and at the current
// month (included).
func policies(members, people []jifen.Member, sc *scan, cur *counters, p jifen.Period, now time.Time, loc *time.Location, cat *rules.Catalog) []PolicyEffect {
	inPeriod := map[string]jifen.Member{}
	for _, m := range people {
		inPeriod[m.ID] = m
	}
	monthly := func(m jifen.Period) float64 {
		return perHead(float64(sc.monthNet[m.Key]), len(counted(members, m, now, loc)))
	}
	out := []PolicyEffect{}
	for i, pol := range cat.Policies {
		month := jifen.PeriodOf(jifen.Month, pol.Date, loc)
		if !pol.Date.Before(p.End) || !month.Begun(now) {
			continue
		}
		var before, after []float64
		m := month
		for range 3 {
			m = m.Previous(loc)
			if m.End.After(sc.first) {
				before = append(before, monthly(m))
			}
		}
		for m, n := month, 0; n < 3 && m.Start.Before(p.End) && m.Begun(now); m, n = jifen.PeriodOf(jifen.Month, m.End, loc), n+1 {
			after = append(after, monthly(m))
		}
		b, a := Mean(before), Mean(after)
		pe := PolicyEffect{ID: pol.ID, Name: pol.Name, Date: pol.Date, Description: pol.Description,
			Before: round2(b), After: round2(a), Months: [2]int{len(before), len(after)}, Change: ratio(b, a), Stopped: []Person{}}
		for id, n := range sc.policyUse[i].before {
			if n > 0 && sc.policyUse[i].after[id] <= 0 {
				if mm, ok := inPeriod[id]; ok {
					pe.Stopped = append(pe.Stopped, Person{ID: mm.ID, Name: mm.Name, Department: mm.Department, Points: cur.byMember[id]})
				}
			}
		}
		slices.SortFunc(pe.Stopped, func(a, b Person) int { return strings.Compare(a.ID, b.ID) })
		out = append(out, pe)
	}
	return out
}
