package report

import (
	"cmp"
	"slices"
	"strings"

	"jifen"
	"jifen/rules"
)

// Coaching says where training or coaching would help most (改进建议:
// 培训与辅导): the departments furthest behind in points per head, each
// with the category it falls furthest behind in, and the members whose
// net points are negative, each with the behavior that cost them most.
type Coaching struct {
	// CompanyPerHead: the net points per counted member with a department,
	// the yardstick of Departments.
	CompanyPerHead float64         `json:"company_per_head"`
	Departments    []DepartmentGap `json:"departments"`
	Members        []MemberGap     `json:"members"`
}

// DepartmentGap is a department earning under three quarters of the
// company's points per head, and the category where the gap is widest.
type DepartmentGap struct {
	Name    string  `json:"name"`
	Members int     `json:"members"`
	PerHead float64 `json:"per_head"`
	// Category: the category, among those the whole company can earn in
	// (not a restricted one), where the department's points per head fall
	// furthest below the company's; empty when it is behind in none.
	Category        string  `json:"category"`
	CategoryName    string  `json:"category_name"`
	CategoryPerHead float64 `json:"category_per_head"`
	CompanyCategory float64 `json:"company_category_per_head"`
}

// MemberGap is a member with negative net points in the period, and the
// behavior with the most negative points for them.
type MemberGap struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Department   string `json:"department"`
	Net          int64  `json:"net"`
	Behavior     string `json:"behavior"`
	BehaviorName string `json:"behavior_name"`
	Points       int64  `json:"points"` // the behavior's net points for the member
}

// coachingBehind is the share of the company's points per head under
// which a department is named; coachingMinMembers is the smallest
// department named, so that a figure is never one person's.
const (
	coachingBehind     = 0.75
	coachingMinMembers = 3
	coachingMaxDepts   = 3
)

// coaching computes the departments and members to coach from the
// period's counters, over the counted members. f is the period's
// fairness: its restricted categories are a rule matter, not a skill one.
func coaching(people []jifen.Member, cur *counters, cat *rules.Catalog, f Fairness) Coaching {
	c := Coaching{Departments: []DepartmentGap{}, Members: []MemberGap{}}
	// The company: the counted members with a department, as fairness
	// grouped them.
	var total int64
	staffed := 0
	for _, d := range f.ByDepartment {
		total += d.Total
		staffed += d.Members
	}
	if staffed > 0 && len(f.ByDepartment) >= 2 {
		company := float64(total) / float64(staffed)
		c.CompanyPerHead = round2(company)
		restricted := map[string]bool{}
		for _, rc := range f.Restricted {
			restricted[rc.ID] = true
		}
		for _, d := range f.ByDepartment {
			exact := perHead(float64(d.Total), d.Members)
			if d.Members < coachingMinMembers || company <= 0 || exact >= coachingBehind*company {
				continue
			}
			g := DepartmentGap{Name: d.Name, Members: d.Members, PerHead: d.PerHead}
			gap := 0.0
			for _, k := range cat.Categories {
				if restricted[k.ID] {
					continue
				}
				var all int64
				for _, o := range f.ByDepartment {
					all += cur.deptCat[deptCat{o.Name, k.ID}]
				}
				own := perHead(float64(cur.deptCat[deptCat{d.Name, k.ID}]), d.Members)
				whole := float64(all) / float64(staffed)
				if whole-own > gap+1e-9 {
					gap = whole - own
					g.Category, g.CategoryName = k.ID, k.Name
					g.CategoryPerHead, g.CompanyCategory = round2(own), round2(whole)
				}
			}
			c.Departments = append(c.Departments, g)
		}
		slices.SortStableFunc(c.Departments, func(a, b DepartmentGap) int {
			return cmp.Or(cmp.Compare(a.PerHead, b.PerHead), strings.Compare(a.Name, b.Name))
		})
		c.Departments = c.Departments[:min(coachingMaxDepts, len(c.Departments))]
	}
	for _, m := range people {
		net := cur.byMember[m.ID]
		if net >= 0 {
			continue
		}
		g := MemberGap{ID: m.ID, Name: m.Name, Department: m.Department, Net: net}
		for b, v := range cur.behaviorPoints(m.ID) {
			if v < g.Points || v == g.Points && v < 0 && b < g.Behavior {
				g.Behavior, g.Points = b, v
			}
		}
		g.BehaviorName = g.Behavior
		if b := cat.Behavior(g.Behavior); b != nil {
			g.BehaviorName = b.Name
		}
		c.Members = append(c.Members, g)
	}
	slices.SortFunc(c.Members, func(a, b MemberGap) int {
		return cmp.Or(cmp.Compare(a.Net, b.Net), strings.Compare(a.ID, b.ID))
	})
	return c
}

// coachingMaxNamed is how many members a coaching suggestion names.
const coachingMaxNamed = 5

// coachingSuggestions turns the coaching figures into suggestions: one a
// department behind, one for the members with negative net points.
func coachingSuggestions(c Coaching, t func(string, ...any) string) []Suggestion {
	var out []Suggestion
	for _, d := range c.Departments {
		fig := t("report.figure.coaching_department", d.Name, d.Members, d.PerHead, c.CompanyPerHead)
		if d.Category == "" {
			out = append(out, Suggestion{Kind: "coaching_department", Text: t("report.suggest.coaching_department_plain", d.Name), Figure: fig})
			continue
		}
		out = append(out, Suggestion{Kind: "coaching_department", Text: t("report.suggest.coaching_department", d.Name, d.CategoryName),
			Figure: fig + t("report.figure.coaching_category", d.CategoryName, d.CategoryPerHead, d.CompanyCategory)})
	}
	if len(c.Members) == 0 {
		return out
	}
	// The behaviors that cost them most, by how many members each is the
	// main one of, then by name.
	type count struct {
		name string
		n    int
	}
	var by []count
	for _, m := range c.Members {
		name := m.BehaviorName
		if m.Behavior == "" {
			name = t("report.coaching.unnamed")
		}
		i := slices.IndexFunc(by, func(x count) bool { return x.name == name })
		if i < 0 {
			i = len(by)
			by = append(by, count{name: name})
		}
		by[i].n++
	}
	slices.SortStableFunc(by, func(a, b count) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.name, b.name)) })
	var causes, named []string
	for _, x := range by[:min(3, len(by))] {
		causes = append(causes, t("report.coaching.behavior_count", x.name, x.n))
	}
	for _, m := range c.Members[:min(coachingMaxNamed, len(c.Members))] {
		who := cmp.Or(m.Name, m.ID)
		if m.Behavior == "" {
			named = append(named, t("report.coaching.member_plain", who, m.Net))
			continue
		}
		named = append(named, t("report.coaching.member", who, m.Net, m.BehaviorName, m.Points))
	}
	fig := strings.Join(named, t("report.sep"))
	if len(c.Members) > coachingMaxNamed {
		fig += t("report.coaching.more", len(c.Members))
	}
	out = append(out, Suggestion{Kind: "coaching_members", Text: t("report.suggest.coaching_members", len(c.Members), strings.Join(causes, t("report.sep"))), Figure: fig})
	return out
}
