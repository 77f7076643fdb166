package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/rules"
)

// The clock of issue 15: Sunday 2026-11-29, 12:45 in Shanghai. 2026 and
// 2026-11 are current; 2026-10 is over; 2026-12 has not begun.
var nov29 = time.Date(2026, 11, 29, 12, 45, 0, 0, shanghai)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, shanghai) }

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func analyzeAt(t *testing.T, l *fakeLedger, period string, now time.Time, cat *rules.Catalog) *Summary {
	t.Helper()
	p, err := jifen.ParsePeriod(period, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if cat == nil {
		cat = &rules.Catalog{}
	}
	s, err := Analyze(l, p, Options{Location: shanghai, Now: now, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func award(l *fakeLedger, at time.Time, to string, pts int64, cat, beh string) {
	kind := jifen.KindAward
	if pts < 0 {
		kind = jifen.KindDeduct
	}
	l.add(jifen.Entry{Kind: kind, At: at, Receiver: to, Points: pts, Category: cat, Behavior: beh})
}

// The current year on 2026-11-29: a monthly average divides by the 11
// months begun, not by 12; the report says "截至 2026-11-29".
func TestCurrentYearPerMonthDividesByMonthsBegun(t *testing.T) {
	cat := &rules.Catalog{Targets: []rules.Target{{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: f64(20)}}}
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Role: jifen.RoleEmployee}, {ID: "b", Name: "乙", Role: jifen.RoleEmployee},
	}}
	// 2 × 11 × 25 = 550 points: 25 per member per month begun, which
	// divided by 12 would be 22.92.
	for m := time.January; m <= time.November; m++ {
		award(l, day(2026, m, 3), "a", 30, "", "")
		award(l, day(2026, m, 4), "b", 20, "", "")
	}
	s := analyzeAt(t, l, "2026", nov29, cat)
	if tg := s.Targets[0]; tg.Actual == nil || *tg.Actual != 25 || tg.Status != StatusMet {
		t.Errorf("average target: %v %s (want 25 = 550 / 2 / 11)", *tg.Actual, tg.Status)
	}
	if s.Complete || s.Months != 11 || !s.AsOf.Equal(nov29) {
		t.Errorf("complete %v, months %d, as of %v", s.Complete, s.Months, s.AsOf)
	}
	if s.Comparison != (Comparison{Reason: ReasonCurrent}) || s.Points.Change != nil {
		t.Fatalf("a current year compares: %+v %v", s.Comparison, s.Points.Change)
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"截至 2026-11-29", "按已开始的 11 个月", "不可比（本期尚未结束）"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md.String())
		}
	}
	var page, book bytes.Buffer
	if err := HTML(&page, s, zh, "zh-CN"); err != nil || !strings.Contains(page.String(), "截至 2026-11-29") {
		t.Errorf("the page does not say 截至 2026-11-29 (%v)", err)
	}
	if err := XLSX(&book, s, zh); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows, err := f.GetRows(f.GetSheetList()[0]); err != nil || !strings.Contains(fmt.Sprint(rows), "截至 2026-11-29") {
		t.Errorf("the workbook does not say 截至 2026-11-29: %v %v", rows, err)
	}
	// Over, the same year divides by 12 and says nothing of "截至".
	s = analyzeAt(t, l, "2026", time.Date(2027, 1, 2, 0, 0, 0, 0, shanghai), cat)
	if !s.Complete || s.Months != 12 || !s.AsOf.Equal(s.To) || *s.Targets[0].Actual != 22.92 {
		t.Fatalf("a year over: complete %v months %d as of %v target %v", s.Complete, s.Months, s.AsOf, *s.Targets[0].Actual)
	}
}

// A policy of October 1st, seen on 2026-11-29 in the 2026 report: its
// "after" window holds October and November, not a December that has not
// begun (which would count as zero).
func TestPolicyAfterWindowStopsAtTheCurrentMonth(t *testing.T) {
	cat := &rules.Catalog{Behaviors: []rules.Behavior{{ID: "late", Name: "迟到", Min: -5, Max: -5}},
		Policies: []rules.Policy{
			{ID: "late", Name: "迟到扣分", Date: time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), Behavior: "late"},
			{ID: "future", Name: "年终奖励", Date: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)},
		}}
	l := &fakeLedger{members: []jifen.Member{{ID: "a", Name: "甲", Role: jifen.RoleEmployee}, {ID: "b", Name: "乙", Role: jifen.RoleEmployee}}}
	for m := time.July; m <= time.November; m++ {
		award(l, day(2026, m, 5), "a", 40, "", "")
	}
	award(l, day(2026, 9, 20), "b", -5, "", "late")
	s := analyzeAt(t, l, "2026", nov29, cat)
	// Before: July 20, August 20, September 17.5 → 19.17; after: October
	// and November, 20 each.
	if len(s.Policies) != 1 {
		t.Fatalf("a policy whose month has not begun is reported: %+v", s.Policies)
	}
	pe := s.Policies[0]
	if pe.Months != [2]int{3, 2} || pe.Before != 19.17 || pe.After != 20 || pe.Change == nil || *pe.Change != 0.0435 {
		t.Fatalf("policy: %+v change %v", pe, *pe.Change)
	}
	if len(pe.Stopped) != 1 || pe.Stopped[0].ID != "b" {
		t.Fatalf("stopped: %+v", pe.Stopped)
	}
}

// A member joins on November 5th: before it they count nowhere, from the
// period that holds it on.
func TestLaterHiresAreNotCounted(t *testing.T) {
	cat := &rules.Catalog{Targets: []rules.Target{{ID: "part", Name: "参与率", Metric: rules.MetricParticipation, Min: f64(0.8)}}}
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2020, 1, 1)},
		{ID: "b", Name: "乙", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2021, 3, 1)},
		{ID: "c", Name: "丙", Department: "生产部", Role: jifen.RoleEmployee, Joined: date(2022, 5, 1)},
		{ID: "d", Name: "丁", Department: "生产部", Role: jifen.RoleEmployee},
		{ID: "e", Name: "戊", Department: "生产部", Role: jifen.RoleManager},
		{ID: "x", Name: "新甲", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2026, 11, 5)},
		{ID: "y", Name: "新乙", Department: "生产部", Role: jifen.RoleEmployee, Joined: date(2026, 11, 5)},
		{ID: "z", Name: "已离职", Department: "生产部", Role: jifen.RoleEmployee, Left: date(2026, 9, 30)},
		{ID: "bot", Name: "机器人", Bot: true},
	}}
	for i, id := range []string{"a", "b", "c", "d"} {
		award(l, day(2026, 10, 3+i), id, int64(10*(i+1)), "", "")
	}
	s := analyzeAt(t, l, "2026-10", nov29, cat)
	// Four of the five employed in October received points: 0.8, the
	// target met (counting x, y and z it would be 4 / 8 = 0.5).
	if s.Members != 5 || s.Distribution.Participation != 0.8 || s.Targets[0].Status != StatusMet {
		t.Fatalf("members %d, participation %v, target %+v", s.Members, s.Distribution.Participation, s.Targets[0])
	}
	// 100 points over 5: 20 each; 生产部 c, d, e (70 / 3).
	if s.Distribution.Average != 20 || s.Distribution.Quartiles.Min != 0 || s.Distribution.Quartiles.Median != 20 {
		t.Fatalf("distribution: %+v", s.Distribution)
	}
	for _, d := range s.Departments {
		if want := map[string]int{"销售部": 2, "生产部": 3}[d.Name]; d.Members != want {
			t.Errorf("%s has %d members, want %d", d.Name, d.Members, want)
		}
	}
	if s.Departments[0].Name != "生产部" || s.Departments[0].Average != 23.33 {
		t.Errorf("生产部: %+v", s.Departments[0])
	}
	// In November, x and y count (the current month); z does not.
	if s := analyzeAt(t, l, "2026-11", nov29, cat); s.Members != 7 || s.PreviousMembers != 5 {
		t.Fatalf("November: %d members, previous %d", s.Members, s.PreviousMembers)
	}
}

// A new hire with no points yet, joined after the period: no onboarding
// suggestion for the period.
func TestOnboardingSuggestionIgnoresLaterHires(t *testing.T) {
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Role: jifen.RoleEmployee, Joined: date(2020, 1, 1)},
		{ID: "b", Name: "乙", Role: jifen.RoleEmployee, Joined: date(2020, 1, 1)},
		{ID: "n", Name: "新人", Role: jifen.RoleEmployee, Joined: date(2026, 11, 10)},
	}}
	award(l, day(2026, 10, 3), "a", 30, "", "")
	award(l, day(2026, 10, 4), "b", 20, "", "")
	s := analyzeAt(t, l, "2026-10", nov29, nil)
	if s.Distribution.NewMembers.Members != 0 || s.Distribution.Others.Members != 2 {
		t.Fatalf("tenure: %+v %+v", s.Distribution.NewMembers, s.Distribution.Others)
	}
	for _, sg := range s.Suggestions {
		if sg.Kind == "onboarding" {
			t.Fatalf("onboarding suggested for a later hire: %+v", sg)
		}
	}
}

// Ranks move among the members counted in both periods: one who joined in
// November 2026 has no 2025 rank, and is no "faller" of 2026.
func TestFallerWhoJoinedLaterIsNotListed(t *testing.T) {
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Role: jifen.RoleEmployee, Joined: date(2020, 1, 1)},
		{ID: "b", Name: "乙", Role: jifen.RoleEmployee, Joined: date(2020, 1, 1)},
		{ID: "c", Name: "丙", Role: jifen.RoleEmployee, Joined: date(2020, 1, 1)},
		{ID: "d", Name: "丁", Role: jifen.RoleEmployee, Joined: date(2026, 11, 2)},
	}}
	award(l, day(2025, 6, 1), "c", 10, "", "")
	award(l, day(2026, 3, 1), "a", 30, "", "")
	award(l, day(2026, 3, 2), "b", 20, "", "")
	award(l, day(2026, 3, 3), "c", 10, "", "")
	award(l, day(2026, 11, 20), "d", -5, "", "")
	s := analyzeAt(t, l, "2026", nov29, nil)
	// 2025 (a, b, c): c 1, a and b 2. 2026 (a, b, c, d): a 1, b 2, c 3, d 4.
	if len(s.Climbers) != 1 || s.Climbers[0].ID != "a" || s.Climbers[0].From != 2 || s.Climbers[0].To != 1 {
		t.Errorf("climbers: %+v", s.Climbers)
	}
	if len(s.Fallers) != 1 || s.Fallers[0].ID != "c" || s.Fallers[0].From != 1 || s.Fallers[0].To != 3 {
		t.Errorf("fallers: %+v", s.Fallers)
	}
}

// Ranks are competition ranks with zeros above negatives: 10, 0, 0, -5
// rank 1, 2, 2, 4.
func TestCompetitionRanks(t *testing.T) {
	people := []jifen.Member{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}
	c := newCounters()
	c.byMember = map[string]int64{"a": 10, "d": -5}
	got := competitionRanks(people, c)
	if want := map[string]int{"a": 1, "b": 2, "c": 2, "d": 4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

// October 2026 against a September the ledger covers from the 20th only:
// not comparable. No change, a growth target with insufficient data, and
// no suggestion drawn from a change.
func TestPartialPreviousPeriodIsNotComparable(t *testing.T) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sat", Name: "客户满意度"}},
		Targets: []rules.Target{
			{ID: "growth", Name: "满意度积分增长", Metric: rules.MetricCategoryGrowth, Category: "sat", Min: f64(0.2)},
			{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: f64(1000)},
		},
	}
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "b", Name: "乙", Department: "生产部", Role: jifen.RoleEmployee},
	}}
	// September (from the 20th): 生产部 earns a lot; October: little.
	award(l, day(2026, 9, 20), "b", 100, "sat", "")
	award(l, day(2026, 9, 21), "a", 10, "sat", "")
	award(l, day(2026, 10, 5), "b", 10, "sat", "")
	award(l, day(2026, 10, 6), "a", 50, "sat", "")
	s := analyzeAt(t, l, "2026-10", nov29, cat)
	if s.Comparison != (Comparison{Reason: ReasonPreviousPartial}) || !s.Complete {
		t.Errorf("comparison: %+v complete %v", s.Comparison, s.Complete)
	}
	if s.Points.Change != nil || s.Points.PreviousNet != 110 {
		t.Errorf("points: change %v previous %d", s.Points.Change, s.Points.PreviousNet)
	}
	for _, d := range s.Departments {
		if d.Change != nil {
			t.Errorf("%s: change %v", d.Name, *d.Change)
		}
	}
	if tg := s.Targets[0]; tg.Status != StatusInsufficient || tg.Met != nil || tg.Actual != nil {
		t.Errorf("growth target: %+v", tg)
	}
	if tg := s.Targets[1]; tg.Status != StatusMissed || tg.Met == nil || *tg.Met {
		t.Errorf("average target: %+v", tg)
	}
	for _, sg := range s.Suggestions {
		if sg.Kind == "department_drop" || sg.Kind == "target" && strings.Contains(sg.Text, "满意度积分增长") {
			t.Errorf("a suggestion drawn from a change that is not comparable: %+v", sg)
		}
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"变化 不可比（账本只覆盖上期的一部分）", "| 数据不足 |", "| 不可比（账本只覆盖上期的一部分） |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md.String())
		}
	}
	// With September covered from its first day, the same months compare.
	l.entries[0].Effective = time.Date(2026, 9, 1, 0, 0, 0, 0, shanghai)
	s = analyzeAt(t, l, "2026-10", nov29, cat)
	if !s.Comparison.Comparable || s.Points.Change == nil || s.Targets[0].Status != StatusMissed {
		t.Fatalf("comparable: %+v %v %+v", s.Comparison, s.Points.Change, s.Targets[0])
	}
}

// A period that has not begun is refused, with the period and today's
// date; weeks and "all" are not summary periods.
func TestCheckPeriod(t *testing.T) {
	for _, tt := range []struct {
		period, key string
	}{{"2026-12", "err.report_not_begun"}, {"2027", "err.report_not_begun"}, {"2026-W48", "err.report_period"}, {"all", "err.report_period"},
		{"2026-11", ""}, {"2026-Q4", ""}, {"2026", ""}, {"2025-12", ""}} {
		p, err := jifen.ParsePeriod(tt.period, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckPeriod(p, nov29)
		var je *jifen.Error
		switch {
		case tt.key == "" && err != nil:
			t.Errorf("%s: %v", tt.period, err)
		case tt.key != "" && (!errors.As(err, &je) || je.Key != tt.key || je.Code != jifen.EINVALID):
			t.Errorf("%s: %v, want %s", tt.period, err, tt.key)
		}
	}
	p, _ := jifen.ParsePeriod("2026-12", shanghai)
	if _, err := Analyze(&fakeLedger{}, p, Options{Location: shanghai, Now: nov29}); err == nil {
		t.Fatal("Analyze accepted a period that has not begun")
	} else if got := zh(err.(*jifen.Error).Key, err.(*jifen.Error).Args...); !strings.Contains(got, "2026-12") || !strings.Contains(got, "2026-11-29") {
		t.Fatalf("message: %s", got)
	}
}

// Every list in the JSON is [] when empty, never null: walked along the
// Summary's type, on an empty ledger with and without members. Only
// "ratings" (no ratings imported) is null, as documented.
func TestEmptyListsAreArrays(t *testing.T) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sales", Name: "销售业绩"}},
		Behaviors:  []rules.Behavior{{ID: "deal", Name: "签单", Category: "sales", Min: 10, Max: 50}},
		Targets:    []rules.Target{{ID: "part", Name: "参与率", Metric: rules.MetricParticipation, Min: f64(0.8)}},
		Policies:   []rules.Policy{{ID: "p", Name: "新政", Date: time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), Behavior: "deal"}},
	}
	for _, members := range [][]jifen.Member{nil, {{ID: "a", Name: "甲", Role: jifen.RoleEmployee, Level: "基层"}}} {
		for _, c := range []*rules.Catalog{cat, {}} {
			s := analyzeAt(t, &fakeLedger{members: members}, "2026-10", nov29, c)
			if s.Comparison.Reason != ReasonNoData {
				t.Errorf("comparison of an empty ledger: %+v", s.Comparison)
			}
			raw, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			walkJSON(t, "", reflect.TypeOf(s), v)
			if m := v.(map[string]any); m["ratings"] != nil {
				t.Errorf("ratings without ratings: %v", m["ratings"])
			}
		}
	}
}

// walkJSON fails on a null where typ is a list, and walks into objects and
// lists along the Go type.
func walkJSON(t *testing.T, path string, typ reflect.Type, v any) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Slice:
		if v == nil {
			t.Errorf("%s is null, want []", path)
			return
		}
		for i, x := range v.([]any) {
			walkJSON(t, path+"["+string(rune('0'+i%10))+"]", typ.Elem(), x)
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return // time.Time, or a null pointer to a struct
		}
		var fields func(typ reflect.Type)
		fields = func(typ reflect.Type) {
			for i := range typ.NumField() {
				f := typ.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if f.Anonymous && name == "" {
					fields(f.Type)
					continue
				}
				if name == "-" || !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				if x, ok := obj[name]; ok {
					walkJSON(t, path+"."+name, f.Type, x)
				}
			}
		}
		fields(typ)
	}
}
