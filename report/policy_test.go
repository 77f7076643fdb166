package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
)

// A policy that halves late arrivals exactly: ten members; in the three
// months before 迟到扣分 (2026-10-01) L1–L4 and L5 are late twice a month
// (10 a month, 1.0 per member); after it L1–L4 once a month and L6, never
// late before, once a month (5 a month, 0.5 per member). L5 stops.
func TestPolicyHalvesLateArrivals(t *testing.T) {
	date := time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai)
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "att", Name: "考勤"}, {ID: "sales", Name: "销售业绩"}},
		Behaviors: []rules.Behavior{
			{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5},
			{ID: "deal", Name: "签单", Category: "sales", Min: 10, Max: 50},
		},
		Policies: []rules.Policy{
			{ID: "late_deduction", Name: "迟到扣分", Date: date, Behaviors: []string{"late"}},
			{ID: "sales_push", Name: "销售激励", Date: date},
			{ID: "attendance", Name: "考勤整顿", Date: date, Categories: []string{"att"}},
		},
	}
	l := &fakeLedger{}
	for i := 1; i <= 10; i++ {
		l.members = append(l.members, jifen.Member{ID: fmt.Sprintf("m%02d", i), Name: fmt.Sprintf("L%d", i), Department: "生产部", Role: jifen.RoleEmployee})
	}
	late := func(who int, month time.Month, day int) uint64 {
		return l.add(jifen.Entry{Kind: jifen.KindDeduct, At: time.Date(2026, month, day, 9, 0, 0, 0, shanghai), Giver: "boss",
			Receiver: fmt.Sprintf("m%02d", who), Points: -5, Category: "att", Behavior: "late"})
	}
	for mo := time.July; mo <= time.September; mo++ {
		for who := 1; who <= 5; who++ {
			late(who, mo, 3)
			late(who, mo, 17)
		}
		// A deal is not lateness, and a revoked late arrival did not happen.
		l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, mo, 5, 9, 0, 0, 0, shanghai), Giver: "boss", Receiver: "m07", Points: 20, Category: "sales", Behavior: "deal"})
		l.revoke(late(8, mo, 20), time.Date(2026, mo, 21, 9, 0, 0, 0, shanghai))
	}
	for mo := time.October; mo <= time.December; mo++ {
		for _, who := range []int{1, 2, 3, 4, 6} {
			late(who, mo, 10)
		}
	}
	s, err := Analyze(l, mustPeriod(t, "2026-Q4"), Options{Location: shanghai, Now: time.Date(2027, 1, 5, 9, 0, 0, 0, shanghai), Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Policies) != 3 {
		t.Fatalf("policies: %+v", s.Policies)
	}
	for _, pe := range []PolicyEffect{s.Policies[0], s.Policies[2]} {
		if pe.RateBefore == nil || *pe.RateBefore != 1 || pe.RateAfter == nil || *pe.RateAfter != 0.5 ||
			pe.RateChange == nil || *pe.RateChange != -0.5 || pe.Occurrences != [2]int{30, 15} || pe.Months != [2]int{3, 3} {
			t.Errorf("%s: rate %v → %v (%v), occurrences %v over %v, want 1 → 0.5 (−50%%), [30 15] over [3 3]",
				pe.ID, fmtPtr(pe.RateBefore), fmtPtr(pe.RateAfter), fmtPtr(pe.RateChange), pe.Occurrences, pe.Months)
		}
		if pe.StoppedCount != 1 || len(pe.Stopped) != 1 || pe.Stopped[0].ID != "m05" {
			t.Errorf("%s: stopped %d %+v, want L5", pe.ID, pe.StoppedCount, pe.Stopped)
		}
		// L5 changed by 2 a month; L1–L4 and L6 by 1, ties by id.
		want := []PolicyCase{{ID: "m05", Name: "L5", Department: "生产部", Before: 6, After: 0},
			{ID: "m01", Name: "L1", Department: "生产部", Before: 6, After: 3}, {ID: "m02", Name: "L2", Department: "生产部", Before: 6, After: 3}}
		if fmt.Sprint(pe.Cases) != fmt.Sprint(want) {
			t.Errorf("%s: cases %+v, want %+v", pe.ID, pe.Cases, want)
		}
	}
	// Points: −5 a late arrival, the deals before (+20 a month).
	if pe := s.Policies[0]; pe.Before != -3 || pe.After != -2.5 {
		t.Errorf("points per member per month %v → %v, want −3 → −2.5", pe.Before, pe.After)
	}
	if pe := s.Policies[2]; len(pe.Targets) != 1 || pe.Targets[0] != (PolicyTarget{Kind: "category", ID: "att", Name: "考勤"}) {
		t.Errorf("category policy targets %+v", pe.Targets)
	}
	if pe := s.Policies[1]; pe.RateBefore != nil || pe.RateAfter != nil || pe.RateChange != nil || len(pe.Targets) != 0 ||
		pe.Targets == nil || pe.Cases == nil || pe.StoppedCount != 0 {
		t.Errorf("a policy that targets nothing has no rates: %+v", pe)
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| 迟到扣分 | 迟到 | 1.00 (3) | 0.50 (3) | -50.0% | 1 |",
		"- L5：政策前 3 个月迟到 6 次，之后 3 个月 0 次\n",
		"- L1：政策前 3 个月迟到 6 次，之后 3 个月 3 次\n",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

func fmtPtr(x *float64) string {
	if x == nil {
		return "null"
	}
	return fmt.Sprint(*x)
}

func mustPeriod(t *testing.T, key string) jifen.Period {
	t.Helper()
	p, err := jifen.ParsePeriod(key, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
