package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/survey"
)

// A company whose 销售业绩 stays at 100 points from October to November
// (a growth target of 10% missed) while the KPI 销售业绩 rises from 100 to
// 120, and whose November points come mostly from 全勤 (200) and 感谢
// (150): 77.8% of the 450, against 22.2% for 销售业绩. Its survey repeats
// "审批太慢" three times in different spellings and "咖啡券不够" twice; a
// hidden round's comments are not read.
func TestCauses(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sales", Name: "销售业绩"}, {ID: "att", Name: "考勤"}, {ID: "thanks", Name: "感谢"}},
		Behaviors: []rules.Behavior{
			{ID: "deal", Name: "签单", Category: "sales", Min: 10, Max: 100},
			{ID: "full", Name: "全勤", Category: "att", Min: 10, Max: 100},
			{ID: "thx", Name: "同事感谢", Category: "thanks", Min: 10, Max: 100},
		},
		Rewards: []rules.Reward{{ID: "coffee", Name: "咖啡券", Cost: 30}},
		Targets: []rules.Target{
			{ID: "growth", Name: "销售业绩增长", Metric: rules.MetricCategoryGrowth, Category: "sales", Min: f(0.1)},
			{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: f(1000)},
		},
	}
	l := &fakeLedger{members: []jifen.Member{{ID: "a", Name: "甲", Department: "销售部"}, {ID: "b", Name: "乙", Department: "生产部"}}}
	give := func(at time.Time, who, c, b string, pts int64) {
		l.add(jifen.Entry{Kind: jifen.KindAward, At: at, Giver: "boss", Receiver: who, Points: pts, Category: c, Behavior: b})
	}
	oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 11, 10, 9, 0, 0, 0, shanghai)
	give(oct, "a", "sales", "deal", 100)
	give(nov, "a", "sales", "deal", 100)
	give(nov, "a", "att", "full", 100)
	give(nov, "b", "att", "full", 100)
	give(nov, "b", "thanks", "thx", 150)
	rounds := []survey.Results{
		{Survey: "s", Round: "s-1", Items: []survey.Item{{ID: "c", Text: "意见", Kind: survey.Text,
			Comments: []string{"审批太慢", "咖啡券不够", "审批太慢！", "其他", " 审批  太慢。", "咖啡券 不够"}}}},
		{Survey: "t", Round: "t-1", CommentsHidden: true, Items: []survey.Item{{ID: "c", Text: "意见", Kind: survey.Text,
			Comments: []string{"不该出现", "不该出现"}}}},
	}
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, nov, shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh,
		KPIs:         []jifen.KPI{{Name: "销售业绩", Period: "2026-11", Value: 120}},
		PreviousKPIs: []jifen.KPI{{Name: "销售业绩", Period: "2026-10", Value: 100}},
		Surveys:      rounds})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.RecurringComments) != 2 {
		t.Fatalf("recurring comments = %+v, want 审批太慢 ×3 and 咖啡券不够 ×2", s.RecurringComments)
	}
	if c := s.RecurringComments[0]; c.Text != "审批太慢" || c.Count != 3 || c.Round != "s-1" || len(c.Mentions) != 0 {
		t.Errorf("first recurring comment = %+v, want 审批太慢 ×3", c)
	}
	if c := s.RecurringComments[1]; c.Text != "咖啡券不够" || c.Count != 2 || strings.Join(c.Mentions, ",") != "咖啡券" {
		t.Errorf("second recurring comment = %+v, want 咖啡券不够 ×2 about 咖啡券", c)
	}
	if len(s.Contradictions) != 1 {
		t.Fatalf("contradictions = %+v, want 销售业绩", s.Contradictions)
	}
	if c := s.Contradictions[0]; c.Category != "销售业绩" || c.KPI != "销售业绩" || c.KPIChange != 0.2 || c.Growth == nil || *c.Growth != 0 {
		t.Errorf("contradiction = %+v", c)
	}
	got := map[string][]Suggestion{}
	for _, sg := range s.Suggestions {
		got[sg.Kind] = append(got[sg.Kind], sg)
	}
	want := map[string][]string{
		"survey_comments": {"员工反复提到：审批太慢 ×3、咖啡券不够 ×2，涉及咖啡券，建议规则评审小组复核这些规则或兑换项，并在全员会上说明处理结果。",
			"s-1「意见」中 5 条意见为 2 种重复意见"},
		"contradiction": {"「销售业绩」类积分增长未达目标，而业务指标「销售业绩」在上升：积分规则可能没有奖励真正推动该指标的行为，建议复核该类规则的分值与覆盖面。",
			"「销售业绩」积分增长 +0.0%，KPI「销售业绩」变化 +20.0%"},
	}
	for kind, w := range want {
		if len(got[kind]) != 1 || got[kind][0].Text != w[0] || got[kind][0].Figure != w[1] {
			t.Errorf("%s suggestions = %+v, want %q (%q)", kind, got[kind], w[0], w[1])
		}
	}
	// Both targets missed: the growth target names its own category, the
	// points target the smallest share.
	if tg := got["target"]; len(tg) != 2 ||
		tg[0].Text != "目标「销售业绩增长」未达成：积分主要来自「考勤」、「感谢」，而「销售业绩」占比很低，建议调整分值或资源，引导更多积分流向「销售业绩」相关的行为。" ||
		tg[0].Figure != "「销售业绩增长」实际 +0.0%，要求 ≥ 10.0%；「考勤」、「感谢」占积分的 77.8%，「销售业绩」占 22.2%" ||
		!strings.Contains(tg[1].Text, "而「销售业绩」占比很低") {
		t.Errorf("target suggestions = %+v", tg)
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "- 审批太慢 ×3\n- 咖啡券不够 ×2\n- 其他\n") {
		t.Errorf("markdown does not merge the comments:\n%s", md.String())
	}
}
