package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/rules"
)

// coachCompany is a company whose coaching answer is known, November 2026.
// Four departments, 14 members, all with a department:
//
//	销售部, 市场部 (4 each)  协作 20 + 质量奖 10 each            120 each, 30.00 per head
//	生产部 (4)              丙一..丙三 协作 20; 丙四 协作 5, 迟到 −5 × 2
//	                        (a third 迟到 revoked)              55, 13.75 per head
//	小组 (2)                小组甲 nothing; 小组乙 质量事故 −10, 迟到 −5   −15
//
// The company: 280 / 14 = 20.00 per head, so 生产部 (13.75, under 15) is
// behind; 小组 is further behind but too small to be named. 生产部's widest
// gap is 质量: 0 per head against the company's 70 / 14 = 5.00 (内部协作:
// 16.25 against 16.07, none; 考勤: −2.50 against −1.07, a gap of 1.43).
// Members with negative net: 小组乙 −15 (质量事故 −10 the most), 丙四 −5
// (迟到 −10).
func coachCompany() (*fakeLedger, *rules.Catalog, time.Time) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "team", Name: "内部协作"}, {ID: "quality", Name: "质量"}, {ID: "att", Name: "考勤"}},
		Behaviors: []rules.Behavior{
			{ID: "help", Name: "协作", Category: "team", Min: 5, Max: 20},
			{ID: "qbonus", Name: "质量奖", Category: "quality", Min: 10, Max: 10},
			{ID: "qfault", Name: "质量事故", Category: "quality", Min: -10, Max: -10},
			{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5},
		},
	}
	l := &fakeLedger{}
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, shanghai)
	give := func(who, behavior string, pts int64) uint64 {
		kind := jifen.KindAward
		if pts < 0 {
			kind = jifen.KindDeduct
		}
		return l.add(jifen.Entry{Kind: kind, At: at, Giver: "boss", Receiver: who, Points: pts, Category: cat.Behavior(behavior).Category, Behavior: behavior})
	}
	member := func(id, name, dept string) {
		l.members = append(l.members, jifen.Member{ID: id, Name: name, Department: dept, Role: jifen.RoleEmployee})
	}
	for _, d := range []struct{ prefix, name string }{{"s", "销售部"}, {"m", "市场部"}} {
		for i := 1; i <= 4; i++ {
			id := fmt.Sprintf("%s%d", d.prefix, i)
			member(id, fmt.Sprintf("%s%d", d.name, i), d.name)
			give(id, "help", 20)
			give(id, "qbonus", 10)
		}
	}
	for i, name := range []string{"丙一", "丙二", "丙三", "丙四"} {
		member(fmt.Sprintf("p%d", i+1), name, "生产部")
	}
	for _, id := range []string{"p1", "p2", "p3"} {
		give(id, "help", 20)
	}
	give("p4", "help", 5)
	give("p4", "late", -5)
	give("p4", "late", -5)
	l.revoke(give("p4", "late", -5), at.Add(time.Hour))
	member("g1", "小组甲", "小组")
	member("g2", "小组乙", "小组")
	give("g2", "qfault", -10)
	give("g2", "late", -5)
	return l, cat, at
}

func TestCoachingKnownCompany(t *testing.T) {
	l, cat, at := coachCompany()
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, at, shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Coaching
	if c.CompanyPerHead != 20 {
		t.Errorf("company per head = %v, want 20", c.CompanyPerHead)
	}
	want := []DepartmentGap{{Name: "生产部", Members: 4, PerHead: 13.75, Category: "quality", CategoryName: "质量", CategoryPerHead: 0, CompanyCategory: 5}}
	if fmt.Sprint(c.Departments) != fmt.Sprint(want) {
		t.Errorf("departments = %+v, want %+v", c.Departments, want)
	}
	wantM := []MemberGap{
		{ID: "g2", Name: "小组乙", Department: "小组", Net: -15, Behavior: "qfault", BehaviorName: "质量事故", Points: -10},
		{ID: "p4", Name: "丙四", Department: "生产部", Net: -5, Behavior: "late", BehaviorName: "迟到", Points: -10},
	}
	if fmt.Sprint(c.Members) != fmt.Sprint(wantM) {
		t.Errorf("members = %+v, want %+v", c.Members, wantM)
	}
	got := map[string]Suggestion{}
	for _, sg := range s.Suggestions {
		if strings.HasPrefix(sg.Kind, "coaching") {
			if _, dup := got[sg.Kind]; dup {
				t.Errorf("two %s suggestions: %+v", sg.Kind, s.Suggestions)
			}
			got[sg.Kind] = sg
		}
	}
	d := got["coaching_department"]
	if d.Text != "生产部人均积分低于全公司，差距最大在「质量」：建议围绕「质量」相关行为安排培训，由部门负责人定期辅导并在下期复盘。" ||
		d.Figure != "生产部 4 人，人均 13.75，全公司 20.00；「质量」人均 0.00，全公司 5.00" {
		t.Errorf("department suggestion = %+v", d)
	}
	m := got["coaching_members"]
	if m.Text != "2 名成员本期净积分为负，主要扣分来自「质量事故」（1 人）、「迟到」（1 人）：建议由直属上级一对一辅导，明确改进目标并在下期跟进。" ||
		m.Figure != "小组乙 -15（「质量事故」-10）、丙四 -5（「迟到」-10）" {
		t.Errorf("members suggestion = %+v", m)
	}

	// The same in every format: the suggestions list in Markdown and
	// HTML, the suggestions sheet of the workbook, and JSON.
	var md, page, book bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&page, s, zh, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if err := XLSX(&book, s, zh); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&book)
	if err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for _, r := range rows {
			cells = append(cells, r...)
		}
	}
	raw, _ := json.Marshal(s)
	for name, out := range map[string]string{"markdown": md.String(), "html": page.String(), "xlsx": strings.Join(cells, "\n"), "json": string(raw)} {
		for _, want := range []string{"差距最大在「质量」", "小组乙 -15（「质量事故」-10）"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}

// More than five members below zero: the five lowest are named, and the
// count says how many there are; the causes are ranked by how many
// members each is the main cause of.
func TestCoachingNamesFiveAndCounts(t *testing.T) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "att", Name: "考勤"}},
		Behaviors:  []rules.Behavior{{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5}, {ID: "absent", Name: "旷工", Category: "att", Min: -20, Max: -20}},
	}
	l := &fakeLedger{}
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, shanghai)
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("u%d", i)
		l.members = append(l.members, jifen.Member{ID: id, Name: fmt.Sprintf("员工%d", i)})
		beh, pts := "late", int64(-5*i)
		if i > 5 {
			beh, pts = "absent", -20
		}
		l.add(jifen.Entry{Kind: jifen.KindDeduct, At: at, Receiver: id, Points: pts, Category: "att", Behavior: beh})
	}
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, at, shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	var m Suggestion
	for _, sg := range s.Suggestions {
		if sg.Kind == "coaching_members" {
			m = sg
		}
	}
	if !strings.HasPrefix(m.Text, "7 名成员本期净积分为负，主要扣分来自「迟到」（5 人）、「旷工」（2 人）：") {
		t.Errorf("text = %q", m.Text)
	}
	if m.Figure != "员工5 -25（「迟到」-25）、员工4 -20（「迟到」-20）、员工6 -20（「旷工」-20）、员工7 -20（「旷工」-20）、员工3 -15（「迟到」-15）等 7 人" {
		t.Errorf("figure = %q", m.Figure)
	}
	if len(s.Coaching.Departments) != 0 {
		t.Errorf("departments = %+v, want none: nobody has a department", s.Coaching.Departments)
	}
}
