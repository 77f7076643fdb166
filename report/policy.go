package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// PolicyEffect is a dated policy's effect: the average monthly points per
// member before and after it and, when the policy names the behaviors or
// categories it targets, how often those occur per member per month before
// and after, who stopped, and who changed most.
type PolicyEffect struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Date        time.Time `json:"date"`
	Description string    `json:"description,omitempty"`
	Before      float64   `json:"before"` // mean of the months' points per counted member, up to 3 months before
	After       float64   `json:"after"`  // the same from the policy's month, up to 3 months, within the period and begun
	Months      [2]int    `json:"months"` // how many months each average covers
	Change      *float64  `json:"change"` // after against before; not a change between periods
	// Targets: the behaviors and categories the policy names ([] when
	// none; then the rates are null and nobody stopped or changed).
	Targets []PolicyTarget `json:"targets"`
	// RateBefore, RateAfter: mean over the same months as Before and
	// After of each month's uses of the targeted behaviors (net of
	// revokes, whoever received them) per counted member of that month.
	RateBefore *float64 `json:"rate_before"`
	RateAfter  *float64 `json:"rate_after"`
	RateChange *float64 `json:"rate_change"`
	// Occurrences: the uses in the before and the after months.
	Occurrences [2]int `json:"occurrences"`
	// StoppedCount: counted members who incurred a targeted behavior in
	// the three months before the date and not since; Stopped lists the
	// first MaxStopped of them by id.
	StoppedCount int      `json:"stopped_count"`
	Stopped      []Person `json:"stopped"`
	// Cases: the counted members whose monthly uses changed most between
	// the before and the after months (典型案例), at most three.
	Cases []PolicyCase `json:"cases"`
}

// PolicyTarget is a behavior or a category a policy targets.
type PolicyTarget struct {
	Kind string `json:"kind"` // behavior or category
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PolicyCase is a member's uses of the targeted behaviors in the months
// before a policy and in the months after it (PolicyEffect.Months).
type PolicyCase struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department,omitempty"`
	Before     int    `json:"before"`
	After      int    `json:"after"`
}

// MaxStopped caps the names listed under a policy's stopped members.
const MaxStopped = 20

// policies compares, for each dated policy whose month has begun and which
// starts before the period's end, the points per member per month before
// and after it. Each month's figure is its net points over the members
// counted in that month; the window's average is the mean of its months.
// The "before" window leaves out months that end before the ledger's first
// entry; the "after" window stops at the period's end and at the current
// month (included). The rates of the targeted behaviors use the same months.
func policies(staff *roster, people []jifen.Member, sc *scan, cur *counters, p jifen.Period, now time.Time, loc *time.Location, cat *rules.Catalog) []PolicyEffect {
	inPeriod := map[string]jifen.Member{}
	for _, m := range people {
		inPeriod[m.ID] = m
	}
	heads := map[string]int{}
	headsOf := func(m jifen.Period) int {
		n, ok := heads[m.Key]
		if !ok {
			n = staff.count(m)
			heads[m.Key] = n
		}
		return n
	}
	out := []PolicyEffect{}
	for i, pol := range cat.Policies {
		month := jifen.PeriodOf(jifen.Month, pol.Date, loc)
		if !pol.Date.Before(p.End) || !month.Begun(now) {
			continue
		}
		var before, after []jifen.Period
		m := month
		for range 3 {
			m = m.Previous(loc)
			if m.End.After(sc.first) {
				before = append(before, m)
			}
		}
		for m, n := month, 0; n < 3 && m.Start.Before(p.End) && m.Begun(now); m, n = jifen.PeriodOf(jifen.Month, m.End, loc), n+1 {
			after = append(after, m)
		}
		points := func(ms []jifen.Period) float64 {
			var xs []float64
			for _, m := range ms {
				xs = append(xs, perHead(float64(sc.monthNet[m.Key]), headsOf(m)))
			}
			return Mean(xs)
		}
		b, a := points(before), points(after)
		pe := PolicyEffect{ID: pol.ID, Name: pol.Name, Date: pol.Date, Description: pol.Description,
			Before: round2(b), After: round2(a), Months: [2]int{len(before), len(after)}, Change: ratio(b, a),
			Targets: policyTargets(pol, cat), Stopped: []Person{}, Cases: []PolicyCase{}}
		if pol.Targeted() {
			use := sc.policyUse[i]
			rate := func(ms []jifen.Period) (float64, int) {
				var xs []float64
				total := 0
				for _, m := range ms {
					n := 0
					for _, k := range use.months[m.Key] {
						n += k
					}
					total += n
					xs = append(xs, perHead(float64(n), headsOf(m)))
				}
				return Mean(xs), total
			}
			rb, nb := rate(before)
			ra, na := rate(after)
			pe.RateBefore, pe.RateAfter = ptr(round(rb)), ptr(round(ra))
			pe.RateChange, pe.Occurrences = ratio(rb, ra), [2]int{nb, na}
			pe.Cases = policyCases(people, use, before, after)
		}
		for id, n := range sc.policyUse[i].before {
			if n > 0 && sc.policyUse[i].after[id] <= 0 {
				if mm, ok := inPeriod[id]; ok {
					pe.Stopped = append(pe.Stopped, Person{ID: mm.ID, Name: mm.Name, Department: mm.Department, Points: cur.byMember[id]})
				}
			}
		}
		slices.SortFunc(pe.Stopped, func(a, b Person) int { return strings.Compare(a.ID, b.ID) })
		pe.StoppedCount = len(pe.Stopped)
		pe.Stopped = pe.Stopped[:min(len(pe.Stopped), MaxStopped)]
		out = append(out, pe)
	}
	return out
}

// policyTargets names what a policy targets: its behaviors, then its
// categories, as configured.
func policyTargets(pol rules.Policy, cat *rules.Catalog) []PolicyTarget {
	out := []PolicyTarget{}
	for _, id := range pol.TargetBehaviors() {
		name := id
		if b := cat.Behavior(id); b != nil {
			name = b.Name
		}
		out = append(out, PolicyTarget{Kind: "behavior", ID: id, Name: name})
	}
	for _, id := range pol.Categories {
		name := id
		if c := cat.Category(id); c != nil {
			name = c.Name
		}
		out = append(out, PolicyTarget{Kind: "category", ID: id, Name: name})
	}
	return out
}

// policyCases picks the three counted members whose uses per month changed
// most (by absolute difference) between the before and the after months;
// ties by id. Nobody changes when either window is empty.
func policyCases(people []jifen.Member, use policyWindow, before, after []jifen.Period) []PolicyCase {
	out := []PolicyCase{}
	if len(before) == 0 || len(after) == 0 {
		return out
	}
	sum := func(id string, ms []jifen.Period) int {
		n := 0
		for _, m := range ms {
			n += use.months[m.Key][id]
		}
		return n
	}
	type scored struct {
		c    PolicyCase
		diff float64
	}
	var all []scored
	for _, m := range people {
		b, a := sum(m.ID, before), sum(m.ID, after)
		d := math.Abs(float64(b)/float64(len(before)) - float64(a)/float64(len(after)))
		if d == 0 {
			continue
		}
		all = append(all, scored{PolicyCase{ID: m.ID, Name: m.Name, Department: m.Department, Before: b, After: a}, d})
	}
	slices.SortFunc(all, func(x, y scored) int { return cmp.Or(cmp.Compare(y.diff, x.diff), strings.Compare(x.c.ID, y.c.ID)) })
	for _, s := range all[:min(3, len(all))] {
		out = append(out, s.c)
	}
	return out
}

func ptr(x float64) *float64 { return &x }
