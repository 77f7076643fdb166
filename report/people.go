package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// Department is one department's points.
type Department struct {
	Name        string   `json:"name"`
	Members     int      `json:"members"`
	Total       int64    `json:"total"`
	Average     float64  `json:"average"`
	PrevAverage float64  `json:"previous_average"`
	Change      *float64 `json:"change"`
}

// Matrix is department × category totals.
type Matrix struct {
	Categories  []string  `json:"categories"`
	Departments []string  `json:"departments"`
	Points      [][]int64 `json:"points"` // [department][category]
}

// Group is a department's or a role's members at the top and the bottom.
type Group struct {
	Name    string   `json:"name"`
	Members int      `json:"members"`
	Average float64  `json:"average"`
	Top     []Person `json:"top"`
	Bottom  []Person `json:"bottom"`
}

// Person is a member's points in the period.
type Person struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department,omitempty"`
	Points     int64  `json:"points"`
}

// Distribution is how the points spread over the members.
type Distribution struct {
	Quartiles     Quartiles `json:"quartiles"`
	Participation float64   `json:"participation"` // share of members who received points
	Average       float64   `json:"average"`
	ByLevel       []Level   `json:"by_level"`
	NewMembers    Level     `json:"new_members"` // joined within six months of the period's end
	Others        Level     `json:"others"`
}

// Level is an average over a group of members.
type Level struct {
	Name    string  `json:"name"`
	Members int     `json:"members"`
	Average float64 `json:"average"`
}

// Move is a member's rank change between the periods.
type Move struct {
	Person
	From int `json:"from"`
	To   int `json:"to"`
}

func analyzePeople(s *Summary, people []jifen.Member, cur, old *counters, cat *rules.Catalog, p jifen.Period, loc *time.Location) {
	person := func(m jifen.Member, pts int64) Person {
		return Person{ID: m.ID, Name: m.Name, Department: m.Department, Points: pts}
	}
	depts := map[string][]jifen.Member{}
	roles := map[string][]jifen.Member{}
	levels := map[string][]jifen.Member{}
	var deptNames, roleNames, levelNames []string
	for _, m := range people {
		if _, ok := depts[m.Department]; !ok {
			deptNames = append(deptNames, m.Department)
		}
		depts[m.Department] = append(depts[m.Department], m)
		r := string(m.Role)
		if _, ok := roles[r]; !ok {
			roleNames = append(roleNames, r)
		}
		roles[r] = append(roles[r], m)
		if m.Level != "" {
			if _, ok := levels[m.Level]; !ok {
				levelNames = append(levelNames, m.Level)
			}
			levels[m.Level] = append(levels[m.Level], m)
		}
	}
	slices.Sort(deptNames)
	slices.Sort(roleNames)
	slices.Sort(levelNames)
	avg := func(ms []jifen.Member, c *counters) float64 {
		xs := make([]float64, len(ms))
		for i, m := range ms {
			xs[i] = float64(c.byMember[m.ID])
		}
		return round2(Mean(xs))
	}
	group := func(name string, ms []jifen.Member) Group {
		g := Group{Name: name, Members: len(ms), Average: avg(ms, cur)}
		sorted := slices.Clone(ms)
		slices.SortStableFunc(sorted, func(a, b jifen.Member) int {
			return cmp.Or(cmp.Compare(cur.byMember[b.ID], cur.byMember[a.ID]), strings.Compare(a.ID, b.ID))
		})
		// Top and bottom never share a member: a group of four shows three
		// at the top and one at the bottom.
		n := min(3, len(sorted))
		for _, m := range sorted[:n] {
			g.Top = append(g.Top, person(m, cur.byMember[m.ID]))
		}
		for i := len(sorted) - 1; i >= max(n, len(sorted)-3); i-- {
			g.Bottom = append(g.Bottom, person(sorted[i], cur.byMember[sorted[i].ID]))
		}
		return g
	}
	for _, d := range deptNames {
		ms := depts[d]
		var total int64
		for _, m := range ms {
			total += cur.byMember[m.ID]
		}
		a, pa := avg(ms, cur), avg(ms, old)
		s.Departments = append(s.Departments, Department{Name: d, Members: len(ms), Total: total, Average: a, PrevAverage: pa, Change: ratio(pa, a)})
		s.ByDepartment = append(s.ByDepartment, group(d, ms))
	}
	for _, r := range roleNames {
		s.ByRole = append(s.ByRole, group(r, roles[r]))
	}
	// Department × category.
	for _, c := range cat.Categories {
		s.Matrix.Categories = append(s.Matrix.Categories, c.Name)
	}
	s.Matrix.Departments = deptNames
	for _, d := range deptNames {
		row := make([]int64, len(cat.Categories))
		for i, c := range cat.Categories {
			row[i] = cur.deptCat[d+"|"+c.ID]
		}
		s.Matrix.Points = append(s.Matrix.Points, row)
	}
	// Distribution.
	xs := make([]float64, len(people))
	got := 0
	for i, m := range people {
		xs[i] = float64(cur.byMember[m.ID])
		if cur.received[m.ID] > 0 {
			got++
		}
	}
	dist := &s.Distribution
	dist.Quartiles = QuartilesOf(xs)
	dist.Average = round2(Mean(xs))
	if len(people) > 0 {
		dist.Participation = round(float64(got) / float64(len(people)))
	}
	for _, l := range levelNames {
		dist.ByLevel = append(dist.ByLevel, Level{Name: l, Members: len(levels[l]), Average: avg(levels[l], cur)})
	}
	cutoff := p.End.AddDate(0, -6, 0)
	var newcomers, others []jifen.Member
	for _, m := range people {
		if !m.Joined.IsZero() && m.Joined.After(cutoff) {
			newcomers = append(newcomers, m)
		} else {
			others = append(others, m)
		}
	}
	dist.NewMembers = Level{Name: "new", Members: len(newcomers), Average: avg(newcomers, cur)}
	dist.Others = Level{Name: "others", Members: len(others), Average: avg(others, cur)}

	// Rank movement: competition ranks over everyone, this period vs the last.
	{
		now, before := rankFast(people, cur), rankFast(people, old)
		var moves []Move
		for _, m := range people {
			if cur.byMember[m.ID] == 0 && old.byMember[m.ID] == 0 {
				continue
			}
			moves = append(moves, Move{Person: person(m, cur.byMember[m.ID]), From: before[m.ID], To: now[m.ID]})
		}
		slices.SortStableFunc(moves, func(a, b Move) int {
			return cmp.Or(cmp.Compare(b.From-b.To, a.From-a.To), strings.Compare(a.ID, b.ID))
		})
		for _, mv := range moves {
			if len(s.Climbers) < 3 && mv.From > mv.To {
				s.Climbers = append(s.Climbers, mv)
			}
		}
		for i := len(moves) - 1; i >= 0 && len(s.Fallers) < 3; i-- {
			if moves[i].To > moves[i].From {
				s.Fallers = append(s.Fallers, moves[i])
			}
		}
	}
}

// rankFast gives competition ranks (1 + how many have more) by sorting.
func rankFast(people []jifen.Member, c *counters) map[string]int {
	pts := make([]int64, len(people))
	for i, m := range people {
		pts[i] = c.byMember[m.ID]
	}
	sorted := slices.Clone(pts)
	slices.SortFunc(sorted, func(a, b int64) int { return cmp.Compare(b, a) })
	out := make(map[string]int, len(people))
	for i, m := range people {
		// the first index holding a value ≤ pts[i] is how many have more
		n, _ := slices.BinarySearchFunc(sorted, pts[i], func(a, b int64) int { return cmp.Compare(b, a) })
		out[m.ID] = n + 1
	}
	return out
}
