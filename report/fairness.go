package report

import (
	"cmp"
	"slices"
	"strings"

	"jifen"
	"jifen/rules"
)

// Fairness is the method's 规则公平性: whether every role and department
// can earn points alike.
type Fairness struct {
	// ByDepartment and ByRole: points per head of each department (members
	// without a department are in none) and of each role.
	ByDepartment []PerHead `json:"by_department"`
	ByRole       []PerHead `json:"by_role"`
	// DepartmentSpread and RoleSpread: the highest against the lowest per
	// head; null with fewer than two groups.
	DepartmentSpread *Spread `json:"department_spread"`
	RoleSpread       *Spread `json:"role_spread"`
	// Restricted: the categories only some departments earn in.
	Restricted []RestrictedCategory `json:"restricted"`
}

// PerHead is a group's points shared over its counted members.
type PerHead struct {
	Name    string  `json:"name"`
	Members int     `json:"members"`
	Total   int64   `json:"total"`
	PerHead float64 `json:"per_head"`
}

// Spread is the gap between the groups with the most and the fewest points
// per head.
type Spread struct {
	High   PerHead  `json:"high"`
	Low    PerHead  `json:"low"`
	Spread float64  `json:"spread"` // high − low per head
	Ratio  *float64 `json:"ratio"`  // high / low per head; null when low ≤ 0
}

// RestrictedCategory is a category with points in fewer than half the
// departments while the others have none.
type RestrictedCategory struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Points int64  `json:"points"` // the earning departments' net points of it
	// Earning: the departments with positive net points in it, by name;
	// Without: the others.
	Earning   []string `json:"earning"`
	Without   []string `json:"without"`
	Behaviors []string `json:"behaviors"` // the category's rules, config order
}

// fairness computes points per head by department and role, their spread,
// and the categories only some departments earn in, over the counted
// members of the period.
func fairness(people []jifen.Member, cur *counters, cat *rules.Catalog) Fairness {
	f := Fairness{ByDepartment: []PerHead{}, ByRole: []PerHead{}, Restricted: []RestrictedCategory{}}
	group := func(key func(jifen.Member) string) []PerHead {
		idx := map[string]int{}
		out := []PerHead{}
		for _, m := range people {
			k := key(m)
			if k == "" {
				continue
			}
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, PerHead{Name: k})
			}
			out[i].Members++
			out[i].Total += cur.byMember[m.ID]
		}
		slices.SortFunc(out, func(a, b PerHead) int { return strings.Compare(a.Name, b.Name) })
		for i := range out {
			out[i].PerHead = round2(perHead(float64(out[i].Total), out[i].Members))
		}
		return out
	}
	f.ByDepartment = group(func(m jifen.Member) string { return m.Department })
	f.ByRole = group(func(m jifen.Member) string { return string(m.Role) })
	f.DepartmentSpread, f.RoleSpread = spreadOf(f.ByDepartment), spreadOf(f.ByRole)

	// A category is restricted when at least one department earns in it
	// (positive net points), fewer than half do, and every other one has
	// no points in it at all (net 0): a department with deductions in it
	// is subject to its rules. It is the complement of the category_fit
	// suggestion, which asks why a department misses a category most
	// departments earn in.
	n := len(f.ByDepartment)
	for _, c := range cat.Categories {
		rc := RestrictedCategory{ID: c.ID, Name: c.Name, Earning: []string{}, Without: []string{}, Behaviors: []string{}}
		applies := false // a department other than the earning ones has points in it
		for _, d := range f.ByDepartment {
			switch v := cur.deptCat[deptCat{d.Name, c.ID}]; {
			case v > 0:
				rc.Earning = append(rc.Earning, d.Name)
				rc.Points += v
			case v < 0:
				applies = true
			default:
				rc.Without = append(rc.Without, d.Name)
			}
		}
		if applies || len(rc.Earning) == 0 || 2*len(rc.Earning) >= n {
			continue
		}
		for _, b := range cat.Behaviors {
			if b.Category == c.ID {
				rc.Behaviors = append(rc.Behaviors, b.Name)
			}
		}
		f.Restricted = append(f.Restricted, rc)
	}
	return f
}

// spreadOf is the highest against the lowest per head (ties: the highest
// is the first by name, the lowest the last, so two equal groups are both
// named); nil with fewer than two groups. Spread and ratio are computed from
// the unrounded per-head figures.
func spreadOf(gs []PerHead) *Spread {
	if len(gs) < 2 {
		return nil
	}
	exact := func(g PerHead) float64 { return perHead(float64(g.Total), g.Members) }
	hi := slices.MaxFunc(gs, func(a, b PerHead) int {
		return cmp.Or(cmp.Compare(exact(a), exact(b)), strings.Compare(b.Name, a.Name))
	})
	lo := slices.MinFunc(gs, func(a, b PerHead) int {
		return cmp.Or(cmp.Compare(exact(a), exact(b)), strings.Compare(b.Name, a.Name))
	})
	s := &Spread{High: hi, Low: lo, Spread: round2(exact(hi) - exact(lo))}
	if exact(lo) > 0 {
		r := round2(exact(hi) / exact(lo))
		s.Ratio = &r
	}
	return s
}
