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
	Name    string `json:"name"`
	Members int    `json:"members"`
	// PreviousMembers: the department's members counted in the
	// previous period, over whom PrevAverage is taken.
	PreviousMembers int      `json:"previous_members"`
	Total           int64    `json:"total"`
	Average         float64  `json:"average"`
	PrevAverage     float64  `json:"previous_average"`
	Change          *float64 `json:"change"`
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
	// Monthly is the average of each member's points per 30 days employed
	// in the period (so far): it compares people who joined during the
	// period with those who were there throughout.
	Monthly float64 `json:"monthly"`
	// Participation: the share of the group's counted members who
	// received a positive entry in the period (not revoked), like
	// Distribution.Participation.
	Participation float64 `json:"participation"`
}

// Move is a member's rank change between the periods.
type Move struct {
	Person
	From int `json:"from"`
	To   int `json:"to"`
	// Drivers: the behaviors that moved the member most, at most two: for
	// a climber the largest gains, for a faller the largest losses.
	Drivers []Driver `json:"drivers"`
}

// Driver is a behavior's points of a member in the period against the
// previous one.
type Driver struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Points   int64  `json:"points"`
	Previous int64  `json:"previous"`
	Gained   int64  `json:"gained"` // points − previous
}

// analyzePeople fills the figures of people: departments, groups, the
// distribution and the rank movement. people are the members counted in the
// period, before those counted in the previous one; each period's figures
// use its own.
func analyzePeople(s *Summary, people, before []jifen.Member, cur, old *counters, cat *rules.Catalog, p jifen.Period, now time.Time, loc *time.Location) {
	person := func(m jifen.Member, pts int64) Person {
		return Person{ID: m.ID, Name: m.Name, Department: m.Department, Points: pts}
	}
	depts := map[string][]jifen.Member{}
	roles := map[string][]jifen.Member{}
	levels := map[string][]jifen.Member{}
	deptNames, roleNames, levelNames := []string{}, []string{}, []string{}
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
	prevDepts := map[string][]jifen.Member{}
	for _, m := range before {
		prevDepts[m.Department] = append(prevDepts[m.Department], m)
	}
	slices.Sort(deptNames)
	slices.Sort(roleNames)
	slices.Sort(levelNames)
	// mean is the unrounded average points of ms (0 for nobody).
	mean := func(ms []jifen.Member, c *counters) float64 {
		xs := make([]float64, len(ms))
		for i, m := range ms {
			xs[i] = float64(c.byMember[m.ID])
		}
		return Mean(xs)
	}
	avg := func(ms []jifen.Member, c *counters) float64 { return round2(mean(ms, c)) }
	group := func(name string, ms []jifen.Member) Group {
		g := Group{Name: name, Members: len(ms), Average: avg(ms, cur), Top: []Person{}, Bottom: []Person{}}
		pts := make([]int64, len(ms))
		for i, m := range ms {
			pts[i] = cur.byMember[m.ID]
		}
		// The order is by points, most first, then by id, then by place
		// in ms: a stable sort's. Only the three at each end are wanted.
		order := func(a, b int) int {
			return cmp.Or(cmp.Compare(pts[b], pts[a]), strings.Compare(ms[a].ID, ms[b].ID), cmp.Compare(a, b))
		}
		// Top and bottom never share a member: a group of four shows three
		// at the top and one at the bottom.
		top := firstInOrder(len(ms), 3, order)
		bottom := firstInOrder(len(ms), min(3, len(ms)-len(top)), func(a, b int) int { return order(b, a) })
		for _, i := range top {
			g.Top = append(g.Top, person(ms[i], pts[i]))
		}
		for _, i := range bottom {
			g.Bottom = append(g.Bottom, person(ms[i], pts[i]))
		}
		return g
	}
	s.Departments, s.ByDepartment, s.ByRole = []Department{}, []Group{}, []Group{}
	for _, d := range deptNames {
		ms := depts[d]
		var total int64
		for _, m := range ms {
			total += cur.byMember[m.ID]
		}
		a, pa := mean(ms, cur), mean(prevDepts[d], old)
		dp := Department{Name: d, Members: len(ms), PreviousMembers: len(prevDepts[d]), Total: total, Average: round2(a), PrevAverage: round2(pa)}
		if s.Comparison.Comparable {
			dp.Change = ratio(pa, a)
		}
		s.Departments = append(s.Departments, dp)
		s.ByDepartment = append(s.ByDepartment, group(d, ms))
	}
	for _, r := range roleNames {
		s.ByRole = append(s.ByRole, group(r, roles[r]))
	}
	// Department × category: every entry of the period, by its receiver's
	// department, for the departments of the counted members.
	s.Matrix = Matrix{Categories: []string{}, Departments: deptNames, Points: [][]int64{}}
	for _, c := range cat.Categories {
		s.Matrix.Categories = append(s.Matrix.Categories, c.Name)
	}
	for _, d := range deptNames {
		row := make([]int64, len(cat.Categories))
		for i, c := range cat.Categories {
			row[i] = cur.deptCat[deptCat{d, c.ID}]
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
	dist.Participation = round(perHead(float64(got), len(people)))
	// Points per 30 days employed in the period so far, member by member.
	asOf := p.AsOf(now, loc)
	monthly := func(ms []jifen.Member) float64 {
		var xs []float64
		for _, m := range ms {
			if days := m.DaysEmployed(asOf, loc); days > 0 {
				xs = append(xs, float64(cur.byMember[m.ID])*30/float64(days))
			}
		}
		return round2(Mean(xs))
	}
	level := func(name string, ms []jifen.Member) Level {
		got := 0
		for _, m := range ms {
			if cur.received[m.ID] > 0 {
				got++
			}
		}
		return Level{Name: name, Members: len(ms), Average: avg(ms, cur), Monthly: monthly(ms), Participation: round(perHead(float64(got), len(ms)))}
	}
	dist.ByLevel = []Level{}
	for _, l := range levelNames {
		dist.ByLevel = append(dist.ByLevel, level(l, levels[l]))
	}
	// New: joined (a local date) within the six months before the
	// period's end.
	cutoff := p.End.AddDate(0, -6, 0)
	var newcomers, others []jifen.Member
	for _, m := range people {
		if !m.Joined.IsZero() && time.Date(m.Joined.Year(), m.Joined.Month(), m.Joined.Day(), 0, 0, 0, 0, loc).After(cutoff) {
			newcomers = append(newcomers, m)
		} else {
			others = append(others, m)
		}
	}
	dist.NewMembers, dist.Others = level("new", newcomers), level("others", others)

	// Rank movement: competition ranks among each period's counted
	// members, for the members employed throughout both (so far): a total
	// of part of a period, before someone joined or after they left, says
	// nothing about how they moved.
	s.Climbers, s.Fallers = []Move{}, []Move{}
	ranks, then := competitionRanks(people, cur), competitionRanks(before, old)
	var moves []Move
	for _, m := range people {
		from, ok := then[m.ID]
		if !ok || cur.byMember[m.ID] == 0 && old.byMember[m.ID] == 0 ||
			!m.EmployedThroughout(p.Previous(loc), loc) || !m.EmployedThroughout(asOf, loc) {
			continue
		}
		moves = append(moves, Move{Person: person(m, cur.byMember[m.ID]), From: from, To: ranks[m.ID]})
	}
	slices.SortStableFunc(moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(b.From-b.To, a.From-a.To), strings.Compare(a.ID, b.ID))
	})
	for _, mv := range moves {
		if len(s.Climbers) < 3 && mv.From > mv.To {
			mv.Drivers = drivers(mv.ID, cur, old, cat, 1)
			s.Climbers = append(s.Climbers, mv)
		}
	}
	// Fallers: the largest falls first, ties by id like the climbers.
	slices.SortStableFunc(moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(b.To-b.From, a.To-a.From), strings.Compare(a.ID, b.ID))
	})
	for _, mv := range moves {
		if len(s.Fallers) < 3 && mv.To > mv.From {
			mv.Drivers = drivers(mv.ID, cur, old, cat, -1)
			s.Fallers = append(s.Fallers, mv)
		}
	}
}

// firstInOrder is the first k of 0…n-1 in order (a total order), in that
// order: what sorting them all and keeping k would give.
func firstInOrder(n, k int, order func(a, b int) int) []int {
	out := make([]int, 0, k+1)
	for i := range n {
		if len(out) == k && (k == 0 || order(i, out[k-1]) >= 0) {
			continue
		}
		j, _ := slices.BinarySearchFunc(out, i, order)
		out = slices.Insert(out, j, i)
		if len(out) > k {
			out = out[:k]
		}
	}
	return out
}

// competitionRanks gives each of people their competition rank by points:
// 1 + how many of people have strictly more, so 10, 0, 0, -5 rank 1, 2, 2,
// 4 (zeros above negatives, ties sharing a rank).
func competitionRanks(people []jifen.Member, c *counters) map[string]int {
	return jifen.CompetitionRanks(people, func(id string) int64 { return c.byMember[id] })
}

// drivers are the two behaviors whose points changed most for member id in
// the direction of sign (1: gains, largest first; −1: losses, largest
// first), ties by behavior id; behaviors that did not move that way are
// left out.
func drivers(id string, cur, old *counters, cat *rules.Catalog, sign int64) []Driver {
	var all []Driver
	nows, thens := cur.behaviorPoints(id), old.behaviorPoints(id)
	add := func(b string) {
		for _, d := range all {
			if d.ID == b {
				return
			}
		}
		now, then := nows[b], thens[b]
		if (now-then)*sign <= 0 {
			return
		}
		name := b
		if x := cat.Behavior(b); x != nil {
			name = x.Name
		}
		all = append(all, Driver{ID: b, Name: name, Points: now, Previous: then, Gained: now - then})
	}
	for b := range nows {
		add(b)
	}
	for b := range thens {
		add(b)
	}
	slices.SortFunc(all, func(a, b Driver) int {
		return cmp.Or(cmp.Compare(b.Gained*sign, a.Gained*sign), strings.Compare(a.ID, b.ID))
	})
	return append([]Driver{}, all[:min(2, len(all))]...)
}
