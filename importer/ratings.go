package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"jifen"
)

// Directory finds members by id or name.
type Directory interface {
	Member(id string) (jifen.Member, bool)
	MembersByName(name string) []jifen.Member
}

func findMember(dir Directory, s string) (jifen.Member, string) {
	if m, ok := dir.Member(s); ok {
		return m, ""
	}
	switch ms := dir.MembersByName(s); len(ms) {
	case 1:
		return ms[0], ""
	case 0:
		return jifen.Member{}, fmt.Sprintf("no member %q", shown(s))
	default:
		return jifen.Member{}, fmt.Sprintf("%q names %d members; use the id", shown(s), len(ms))
	}
}

var grades = map[string]float64{"A": 4, "B": 3, "C": 2, "D": 1}

// Ratings validates a ratings sheet: member (id or name), period
// (2026-10, 2026-Q4, 2026), and grade (A–D) or score (a number).
func Ratings(t *Table, dir Directory, loc *time.Location) ([]jifen.Rating, error) {
	idx, err := t.columns([]column{
		{[]string{"member", "成员", "姓名", "id"}, true},
		{[]string{"period", "周期", "期间"}, true},
		{[]string{"grade", "等级", "评级"}, false},
		{[]string{"score", "分数", "得分"}, false},
	})
	if err != nil {
		return nil, err
	}
	var out []jifen.Rating
	var bad Errors
	seen := map[string]int{}
	for _, r := range t.Rows {
		m, why := findMember(dir, get(r, idx, "member"))
		if why != "" {
			bad = append(bad, RowError{r.Number, why})
			continue
		}
		p, err := jifen.ParsePeriod(get(r, idx, "period"), loc)
		if err != nil || p.Kind == jifen.Week || p.Kind == jifen.AllTime {
			bad = append(bad, RowError{r.Number, fmt.Sprintf("period %q: want 2026-10, 2026-Q4 or 2026", shown(get(r, idx, "period")))})
			continue
		}
		rt := jifen.Rating{Member: m.ID, Period: p.Key}
		grade, score := strings.ToUpper(get(r, idx, "grade")), get(r, idx, "score")
		switch {
		case grade != "":
			v, ok := grades[grade]
			if !ok {
				bad = append(bad, RowError{r.Number, fmt.Sprintf("grade %q: want A, B, C or D", shown(grade))})
				continue
			}
			rt.Grade, rt.Score = grade, v
		case score != "":
			v, err := strconv.ParseFloat(score, 64)
			if err != nil {
				bad = append(bad, RowError{r.Number, fmt.Sprintf("score %q is not a number", shown(score))})
				continue
			}
			rt.Score = v
		default:
			bad = append(bad, RowError{r.Number, "neither a grade nor a score"})
			continue
		}
		key := rt.Member + "|" + rt.Period
		if first, dup := seen[key]; dup {
			bad = append(bad, RowError{r.Number, fmt.Sprintf("%s already has a rating for %s on row %d", m.Name, rt.Period, first)})
			continue
		}
		seen[key] = r.Number
		out = append(out, rt)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// KPIs validates a KPI sheet: name, period, value, optional department.
func KPIs(t *Table, loc *time.Location) ([]jifen.KPI, error) {
	idx, err := t.columns([]column{
		{[]string{"name", "指标", "名称"}, true},
		{[]string{"period", "周期", "期间"}, true},
		{[]string{"value", "数值", "值"}, true},
		{[]string{"department", "部门"}, false},
	})
	if err != nil {
		return nil, err
	}
	var out []jifen.KPI
	var bad Errors
	for _, r := range t.Rows {
		k := jifen.KPI{Name: get(r, idx, "name"), Department: get(r, idx, "department")}
		if k.Name == "" {
			bad = append(bad, RowError{r.Number, "no KPI name"})
			continue
		}
		p, err := jifen.ParsePeriod(get(r, idx, "period"), loc)
		if err != nil || p.Kind == jifen.Week || p.Kind == jifen.AllTime {
			bad = append(bad, RowError{r.Number, fmt.Sprintf("period %q: want 2026-10, 2026-Q4 or 2026", shown(get(r, idx, "period")))})
			continue
		}
		k.Period = p.Key
		v, err := strconv.ParseFloat(strings.ReplaceAll(get(r, idx, "value"), ",", ""), 64)
		if err != nil {
			bad = append(bad, RowError{r.Number, fmt.Sprintf("value %q is not a number", shown(get(r, idx, "value")))})
			continue
		}
		k.Value = v
		out = append(out, k)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}
