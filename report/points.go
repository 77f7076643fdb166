package report

import (
	"cmp"
	"slices"
	"strings"

	"jifen/rules"
)

// PointsFigures is how points were given and spent.
type PointsFigures struct {
	Awarded      int64         `json:"awarded"`  // sum of positive points
	Deducted     int64         `json:"deducted"` // sum of deductions, positive
	Net          int64         `json:"net"`
	PreviousNet  int64         `json:"previous_net"`
	Change       *float64      `json:"change"` // net vs previous, fraction; null when undefined
	Entries      int           `json:"entries"`
	ByCategory   []Share       `json:"by_category"`
	ByBehavior   []Share       `json:"by_behavior"`
	Spent        int64         `json:"spent"`
	Spending     []Spending    `json:"spending"`
	Unused       []string      `json:"unused_rules"` // behavior names with no entry
	CapsHit      []CapHit      `json:"caps_hit"`
	Concentrated []Concentrate `json:"concentrated"`
}

// Share is one category's or behavior's points and their share of all.
type Share struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Points   int64   `json:"points"`
	Share    float64 `json:"share"` // of the absolute points of the period
	Previous int64   `json:"previous"`
	Entries  int     `json:"entries"`
}

// Spending is what one reward took.
type Spending struct {
	Item   string `json:"item"`
	Name   string `json:"name"`
	Units  int64  `json:"units"`
	Points int64  `json:"points"`
}

// CapHit is a behavior limit that receivers reached.
type CapHit struct {
	Behavior  string  `json:"behavior"`
	Name      string  `json:"name"`
	Period    string  `json:"period"`
	Times     int     `json:"times,omitempty"`
	Points    int64   `json:"points,omitempty"`
	Hits      int     `json:"hits"` // receiver × limit-period slots at the cap
	Receivers int     `json:"receivers"`
	Share     float64 `json:"share"` // of the behavior's receivers who hit it
}

// Concentrate is a behavior whose points come mostly from one department.
type Concentrate struct {
	Behavior   string  `json:"behavior"`
	Name       string  `json:"name"`
	Department string  `json:"department"`
	Share      float64 `json:"share"`
}

// pointsFigures fills s.Points from the period's and the previous period's
// counters: ledger totals over every entry, whoever received it.
func pointsFigures(s *Summary, cur, old *counters, cat *rules.Catalog) {
	pf := &s.Points
	pf.Awarded, pf.Deducted, pf.Net, pf.PreviousNet, pf.Entries = cur.plus, cur.minus, cur.net, old.net, cur.entries
	if s.Comparison.Comparable {
		pf.Change = ratio(float64(old.net), float64(cur.net))
	}
	absTotal := float64(cur.plus + cur.minus)
	share := func(v int64) float64 {
		if absTotal == 0 {
			return 0
		}
		return round(float64(abs(v)) / absTotal)
	}
	pf.ByCategory, pf.ByBehavior, pf.Spending, pf.Unused, pf.CapsHit, pf.Concentrated =
		[]Share{}, []Share{}, []Spending{}, []string{}, []CapHit{}, []Concentrate{}
	for _, c := range cat.Categories {
		pf.ByCategory = append(pf.ByCategory, Share{ID: c.ID, Name: c.Name, Points: cur.byCat[c.ID], Share: share(cur.byCat[c.ID]),
			Previous: old.byCat[c.ID], Entries: cur.catN[c.ID]})
	}
	for _, b := range cat.Behaviors {
		if cur.behN[b.ID] == 0 {
			pf.Unused = append(pf.Unused, b.Name)
			continue
		}
		pf.ByBehavior = append(pf.ByBehavior, Share{ID: b.ID, Name: b.Name, Points: cur.byBeh[b.ID], Share: share(cur.byBeh[b.ID]),
			Previous: old.byBeh[b.ID], Entries: cur.behN[b.ID]})
	}
	slices.SortStableFunc(pf.ByBehavior, func(a, b Share) int { return cmp.Compare(abs(b.Points), abs(a.Points)) })
	pf.Spent = cur.spent
	for _, sp := range cur.spend {
		if sp.Units != 0 {
			pf.Spending = append(pf.Spending, *sp)
		}
	}
	slices.SortFunc(pf.Spending, func(a, b Spending) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), strings.Compare(a.Item, b.Item))
	})

	// Caps: receiver × limit-period slots that reached a behavior's limit
	// (the scan counts the slots of the first behavior of an id, and the
	// catalog's ids are unique). The slots come by receiver, so the last
	// receiver counted tells whether one is counted already.
	type caps struct {
		hits, hit int   // slots at the cap, and their receivers
		last      int32 // the last receiver counted in hit
	}
	var limits []limitRef
	if cur.names != nil {
		limits = cur.names.limits
	}
	reached := make([]caps, len(limits))
	users := make([]int, len(cat.Behaviors)) // receivers with a use left
	lastUser := make([]int32, len(cat.Behaviors))
	for i := range reached {
		reached[i].last = -1
	}
	for i := range lastUser {
		lastUser[i] = -1
	}
	for i, uses := range cur.slots {
		ref, r := limits[i%len(limits)], int32(i/len(limits))
		lim := cat.Behaviors[ref.behavior].Limits[ref.limit]
		for _, u := range uses {
			if u.times > 0 && lastUser[ref.behavior] != r {
				users[ref.behavior]++
				lastUser[ref.behavior] = r
			}
			if (lim.Times > 0 && u.times >= int64(lim.Times)) || (lim.Points > 0 && u.points >= lim.Points) {
				c := &reached[ref.n]
				c.hits++
				if c.last != r {
					c.hit++
					c.last = r
				}
			}
		}
	}
	for _, ref := range limits {
		b, c := cat.Behaviors[ref.behavior], reached[ref.n]
		if lim := b.Limits[ref.limit]; c.hits > 0 {
			pf.CapsHit = append(pf.CapsHit, CapHit{Behavior: b.ID, Name: b.Name, Period: string(lim.Period), Times: lim.Times,
				Points: lim.Points, Hits: c.hits, Receivers: users[ref.behavior],
				Share: round(float64(c.hit) / float64(max(1, users[ref.behavior])))})
		}
	}
	// Concentration: a behavior used at least five times whose points come
	// 80% or more from one department.
	for _, b := range cat.Behaviors {
		if cur.behN[b.ID] < 5 {
			continue
		}
		var total, best int64
		bestDept := ""
		for d, v := range cur.behDept[b.ID] {
			total += v
			if v > best || v == best && d < bestDept {
				best, bestDept = v, d
			}
		}
		if total > 0 && float64(best)/float64(total) >= 0.8 && bestDept != "" {
			pf.Concentrated = append(pf.Concentrated, Concentrate{Behavior: b.ID, Name: b.Name, Department: bestDept, Share: round(float64(best) / float64(total))})
		}
	}
}
