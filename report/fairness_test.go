package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/locale"
	"jifen/rules"
)

// A company of five departments, a manager and two employees each, where
// only 销售部 and 市场部 can earn 销售业绩 (签单, 回款), November 2026:
//
//	every manager           协作 10                      5 × 10 = 50, 10.00 per head
//	employees of 销售/市场   签单 30 + 回款 10 = 40 each  4 × 40 = 160
//	employees of the others 协作 20 each                 6 × 20 = 120
//
// Employees: 280 / 10 = 28.00 per head, 2.8 times the managers'. 销售部 and
// 市场部: 90 / 3 = 30.00 per head; the others 50 / 3 = 16.67. 质量 has a
// bonus in 生产部 and a deduction in 研发部: it applies to both, so it is
// not restricted; 考勤 has only a deduction, in 销售部: nobody earns it.
func TestFairnessKnownCompany(t *testing.T) {
	l, cat, at := fairCompany()
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, at, shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	checkFairness(t, s)
}

// fairCompany is the company of TestFairnessKnownCompany: its ledger, its
// catalog, and the time of its entries.
func fairCompany() (*fakeLedger, *rules.Catalog, time.Time) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sales", Name: "销售业绩"}, {ID: "team", Name: "内部协作"}, {ID: "quality", Name: "质量"}, {ID: "att", Name: "考勤"}},
		Behaviors: []rules.Behavior{
			{ID: "deal", Name: "签单", Category: "sales", Min: 10, Max: 50},
			{ID: "help", Name: "协作", Category: "team", Min: 5, Max: 20},
			{ID: "collect", Name: "回款", Category: "sales", Min: 5, Max: 20},
			{ID: "qbonus", Name: "质量奖", Category: "quality", Min: 10, Max: 10},
			{ID: "qfault", Name: "质量事故", Category: "quality", Min: -5, Max: -5},
			{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5},
		},
	}
	l := &fakeLedger{}
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, shanghai)
	give := func(who, category, behavior string, pts int64) {
		kind := jifen.KindAward
		if pts < 0 {
			kind = jifen.KindDeduct
		}
		l.add(jifen.Entry{Kind: kind, At: at, Giver: "boss", Receiver: who, Points: pts, Category: category, Behavior: behavior})
	}
	depts := []string{"销售部", "市场部", "生产部", "研发部", "人事部"}
	for i, d := range depts {
		id := string(rune('a' + i))
		l.members = append(l.members,
			jifen.Member{ID: id + "m", Name: d + "经理", Department: d, Role: jifen.RoleManager},
			jifen.Member{ID: id + "1", Name: d + "甲", Department: d, Role: jifen.RoleEmployee},
			jifen.Member{ID: id + "2", Name: d + "乙", Department: d, Role: jifen.RoleEmployee})
		give(id+"m", "team", "help", 10)
		for _, e := range []string{id + "1", id + "2"} {
			if i < 2 {
				give(e, "sales", "deal", 30)
				give(e, "sales", "collect", 10)
			} else {
				give(e, "team", "help", 20)
			}
		}
	}
	give("c1", "quality", "qbonus", 10)
	give("c1", "team", "help", -10) // keeps 生产部 at 50
	give("d1", "quality", "qfault", -5)
	give("d2", "team", "help", 5) // keeps 研发部 at 50
	give("a1", "att", "late", -5)
	give("a2", "team", "help", 5) // keeps 销售部 at 90
	return l, cat, at
}

func checkFairness(t *testing.T, s *Summary) {
	t.Helper()
	f := s.Fairness
	wantRoles := []PerHead{{Name: "employee", Members: 10, Total: 280, PerHead: 28}, {Name: "manager", Members: 5, Total: 50, PerHead: 10}}
	if len(f.ByRole) != 2 || f.ByRole[0] != wantRoles[0] || f.ByRole[1] != wantRoles[1] {
		t.Errorf("by role = %+v, want %+v", f.ByRole, wantRoles)
	}
	if rs := f.RoleSpread; rs == nil || rs.High.Name != "employee" || rs.Low.Name != "manager" || rs.Spread != 18 || rs.Ratio == nil || *rs.Ratio != 2.8 {
		t.Errorf("role spread = %+v, want employees 28 against managers 10: 18, 2.8 times", rs)
	}
	// Ties: the highest is the first by name (市场部 before 销售部), the
	// lowest the last (研发部 after 人事部 and 生产部).
	if ds := f.DepartmentSpread; ds == nil || ds.High.Name != "市场部" || ds.High.PerHead != 30 || ds.Low.Name != "研发部" || ds.Low.PerHead != 16.67 ||
		ds.Spread != 13.33 || ds.Ratio == nil || *ds.Ratio != 1.8 {
		t.Errorf("department spread = %+v, want 市场部 30 against 研发部 16.67: 13.33, 1.8 times", ds)
	}
	if len(f.Restricted) != 1 {
		t.Fatalf("restricted = %+v, want 销售业绩 only", f.Restricted)
	}
	rc := f.Restricted[0]
	if rc.ID != "sales" || rc.Points != 160 || strings.Join(rc.Earning, ",") != "市场部,销售部" ||
		strings.Join(rc.Without, ",") != "人事部,生产部,研发部" || strings.Join(rc.Behaviors, ",") != "签单,回款" {
		t.Errorf("restricted = %+v", rc)
	}
	kinds := map[string][]Suggestion{}
	for _, sg := range s.Suggestions {
		kinds[sg.Kind] = append(kinds[sg.Kind], sg)
	}
	if r := kinds["category_restricted"]; len(r) != 1 || !strings.Contains(r[0].Text, "只有市场部、销售部能获得（规则：签单、回款）") ||
		r[0].Figure != "「销售业绩」类 160 分全部来自 2 / 5 个部门，人事部、生产部、研发部为 0" {
		t.Errorf("category_restricted suggestions = %+v", r)
	}
	// Employees earn 2.8 times the managers' points per head; departments
	// only 1.8 times: one spread suggestion.
	if sp := kinds["spread"]; len(sp) != 1 || sp[0].Figure != "经理人均 10.00，员工人均 28.00（2.80 倍）" {
		t.Errorf("spread suggestions = %+v", sp)
	}
	if len(kinds["category_fit"]) != 0 {
		t.Errorf("category_fit = %+v, want none: 销售业绩 is earned by two of five", kinds["category_fit"])
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| 角色 | 员工 | 10 | 280 | 28.00 |",
		"角色人均最高为员工（28.00），最低为经理（10.00），相差 18.00 分，前者是后者的 2.80 倍。",
		"| 销售业绩 | 160 | 市场部、销售部 | 人事部、生产部、研发部 | 签单、回款 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// A report without ratings, KPIs, targets, policies or surveys says so in
// each section.
func TestCoverageWithoutRatingsOrKPIs(t *testing.T) {
	l, cat, at := fairCompany()
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, at, shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	want := Coverage{Months: 1, Members: 15, PreviousMembers: 15, Departments: 5, Entries: 25} // 5 + 4 × 2 + 6 + 6
	if s.Coverage != want {
		t.Errorf("coverage = %+v, want %+v", s.Coverage, want)
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"## 一、目标回顾\n\n依据：配置的 0 项目标，本期 1 个月、15 名在职成员，未导入 KPI。\n",
		"\n依据：本期 1 个月的 25 条积分记录。\n",
		"\n依据：5 个部门的 15 名在职成员（上期 15 名）。\n",
		"\n依据：0 项政策，0 轮调查。\n",
		"\n依据：15 名在职成员；未导入评级，不做积分与绩效的关联分析；未导入 KPI。\n",
		"\n依据：以上各节的数据（未导入评级，不做积分与绩效的关联分析，未导入 KPI，0 轮调查）。\n",
	} {
		if !strings.Contains(md.String(), line) {
			t.Errorf("markdown lacks %q:\n%s", line, md.String())
		}
	}
	md.Reset()
	if err := Markdown(&md, s, func(key string, args ...any) string { return locale.T("en", key, args...) }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "Rests on: 15 members employed; no ratings imported, so no points-against-performance analysis; no KPIs imported.") {
		t.Errorf("English markdown lacks the analysis coverage:\n%s", md.String())
	}
}
