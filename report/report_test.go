package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jifen"
	"jifen/config"
	goldenfile "jifen/golden"
	"jifen/locale"
	"jifen/rules"
	"jifen/survey"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// fakeLedger is a ledger in memory.
type fakeLedger struct {
	members []jifen.Member
	entries []jifen.Entry
}

func (l *fakeLedger) Members() []jifen.Member { return l.members }
func (l *fakeLedger) ScanEntries(fn func(*jifen.Entry) error) error {
	for i := range l.entries {
		if err := fn(&l.entries[i]); err != nil {
			return err
		}
	}
	return nil
}

func (l *fakeLedger) add(e jifen.Entry) uint64 {
	e.ID = uint64(len(l.entries) + 1)
	if e.Effective.IsZero() {
		e.Effective = e.At
	}
	l.entries = append(l.entries, e)
	return e.ID
}

func (l *fakeLedger) revoke(id uint64, at time.Time) {
	o := l.entries[id-1]
	l.add(jifen.Entry{Kind: jifen.KindRevoke, At: at, Effective: o.Effective, Receiver: o.Receiver, Points: -o.Points,
		Category: o.Category, Behavior: o.Behavior, Quantity: o.Quantity, Reverses: id})
}

type fakeSurveys struct {
	rounds  []survey.Round
	answers map[string][]survey.Answer
}

func (f *fakeSurveys) Rounds(id string) []survey.Round { return f.rounds }
func (f *fakeSurveys) Answers(id string, n int) []survey.Answer {
	return f.answers[fmt.Sprintf("%s-%d", id, n)]
}

// december is a clock when November 2026 is over.
var december = time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)

func zh(key string, args ...any) string { return locale.T("zh", key, args...) }

func f64(x float64) *float64 { return &x }

// A small ledger whose every figure can be checked by hand.
func TestAnalyzeHandChecked(t *testing.T) {
	cat := &rules.Catalog{
		Categories: []rules.Category{{ID: "sales", Name: "销售业绩"}, {ID: "att", Name: "考勤"}},
		Behaviors: []rules.Behavior{
			{ID: "deal", Name: "签单", Category: "sales", Min: 10, Max: 50},
			{ID: "full", Name: "全勤", Category: "att", Min: 10, Max: 10, Limits: []rules.BehaviorLimit{{Period: jifen.Month, Times: 1}}},
			{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5},
			{ID: "idea", Name: "合理化建议", Category: "sales", Min: 5, Max: 5},
		},
		Rewards: []rules.Reward{{ID: "coffee", Name: "咖啡券", Cost: 30}},
		Targets: []rules.Target{
			{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: f64(150)},
			{ID: "part", Name: "参与率", Metric: rules.MetricParticipation, Min: f64(0.4), Max: f64(0.9)},
			{ID: "rev", Name: "销售额", Metric: rules.MetricKPI, KPI: "销售额", Min: f64(500)},
			{ID: "nps", Name: "满意度", Metric: rules.MetricKPI, KPI: "满意度", Min: f64(4)},
		},
		Policies: []rules.Policy{{ID: "late", Name: "迟到扣分", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), Behavior: "late"}},
	}
	d := func(day int) time.Time { return time.Date(2026, 11, day, 10, 0, 0, 0, shanghai) }
	o := func(day int) time.Time { return time.Date(2026, 10, day, 10, 0, 0, 0, shanghai) }
	l := &fakeLedger{members: []jifen.Member{
		{ID: "a", Name: "甲", Department: "销售部", Role: jifen.RoleEmployee, Level: "基层", Joined: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "b", Name: "乙", Department: "销售部", Role: jifen.RoleEmployee, Level: "基层", Joined: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "c", Name: "丙", Department: "生产部", Role: jifen.RoleEmployee, Level: "基层"},
		{ID: "m", Name: "丁", Department: "销售部", Role: jifen.RoleManager, Level: "中层"},
		{ID: "bot", Name: "机器人", Bot: true},
	}}
	// October: c leads. The ledger begins with October (the previous
	// period), so the two months compare.
	l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), Giver: "m", Receiver: "c", Points: 40, Category: "sales", Behavior: "deal"})
	l.add(jifen.Entry{Kind: jifen.KindAward, At: o(6), Giver: "m", Receiver: "a", Points: 10, Category: "sales", Behavior: "deal"})
	l.add(jifen.Entry{Kind: jifen.KindDeduct, At: o(20), Giver: "m", Receiver: "c", Points: -5, Category: "att", Behavior: "late"})
	// November.
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d(3), Giver: "m", Receiver: "a", Points: 50, Category: "sales", Behavior: "deal"})
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d(4), Giver: "m", Receiver: "a", Points: 30, Category: "sales", Behavior: "deal"})
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d(5), Giver: "m", Receiver: "b", Points: 20, Category: "sales", Behavior: "deal"})
	wrong := l.add(jifen.Entry{Kind: jifen.KindAward, At: d(6), Giver: "m", Receiver: "c", Points: 20, Category: "sales", Behavior: "deal"})
	l.revoke(wrong, d(7))
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d(28), Giver: "m", Receiver: "a", Points: 10, Category: "att", Behavior: "full"})
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d(28), Giver: "m", Receiver: "b", Points: 10, Category: "att", Behavior: "full"})
	l.add(jifen.Entry{Kind: jifen.KindDeduct, At: d(9), Giver: "m", Receiver: "b", Points: -5, Category: "att", Behavior: "late"})
	l.add(jifen.Entry{Kind: jifen.KindRedeem, At: d(10), Receiver: "a", Points: -60, Behavior: "reward:coffee", Quantity: 2})
	// December does not count.
	l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 12, 1, 0, 30, 0, 0, shanghai), Receiver: "c", Points: 50, Category: "sales", Behavior: "deal"})

	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, d(15), shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh,
		KPIs: []jifen.KPI{{Name: "销售额", Period: "2026-11", Value: 520}}})
	if err != nil {
		t.Fatal(err)
	}
	pf := s.Points
	// Awarded 50+30+20+20+10+10 = 140, less the revoked 20; deducted 5;
	// 8 entries less the revoked one, the revoke itself not counted.
	if s.Members != 4 || pf.Awarded != 120 || pf.Deducted != 5 || pf.Net != 115 || pf.PreviousNet != 45 || pf.Entries != 6 {
		t.Fatalf("totals: members %d %+v", s.Members, pf)
	}
	if pf.Change == nil || *pf.Change != 1.5556 {
		t.Errorf("change = %v, want 1.5556 (115 vs 45)", *pf.Change)
	}
	// Targets: 115 points / 4 members / 1 month = 28.75 against ≥ 150;
	// participation 0.5 within 0.4 to 0.9.
	if tg := s.Targets[0]; *tg.Actual != 28.75 || *tg.Met || *tg.Gap != -121.25 {
		t.Errorf("average target: %+v", tg)
	}
	if tg := s.Targets[1]; *tg.Actual != 0.5 || !*tg.Met {
		t.Errorf("participation target: %+v", tg)
	}
	// A KPI target reads the imported company-wide KPI; without one, no data.
	if tg := s.Targets[2]; tg.Actual == nil || *tg.Actual != 520 || !*tg.Met || *tg.Gap != 20 {
		t.Errorf("KPI target: %+v", tg)
	}
	if tg := s.Targets[3]; tg.Actual != nil || tg.Met != nil {
		t.Errorf("KPI target without data: %+v", tg)
	}
	// The policy of 1 November: the ledger starts in October, so "before"
	// is October alone (45 / 4), "after" November (115 / 4); c was late in
	// October and not since.
	if pe := s.Policies[0]; pe.Before != 11.25 || pe.After != 28.75 || pe.Months != [2]int{1, 1} ||
		*pe.Change != 1.5556 || len(pe.Stopped) != 1 || pe.Stopped[0].ID != "c" {
		t.Errorf("policy: %+v", pe)
	}
	// Shares are of awarded + deducted = 125: sales 100 → 0.8.
	if c := pf.ByCategory[0]; c.Points != 100 || c.Previous != 50 || c.Entries != 3 || c.Share != 0.8 {
		t.Errorf("sales: %+v", c)
	}
	if c := pf.ByCategory[1]; c.Points != 15 || c.Entries != 3 {
		t.Errorf("attendance: %+v", c)
	}
	if len(pf.Unused) != 1 || pf.Unused[0] != "合理化建议" {
		t.Errorf("unused: %v", pf.Unused)
	}
	// 全勤 once a month: both receivers reached it.
	if len(pf.CapsHit) != 1 || pf.CapsHit[0].Hits != 2 || pf.CapsHit[0].Share != 1 {
		t.Errorf("caps: %+v", pf.CapsHit)
	}
	// 签单 has 3 uses left once c's is revoked, under the threshold of 5.
	if len(pf.Concentrated) != 0 {
		t.Errorf("concentrated (4 net uses is under the threshold of 5): %+v", pf.Concentrated)
	}
	if pf.Spent != 60 || len(pf.Spending) != 1 || pf.Spending[0].Units != 2 || pf.Spending[0].Name != "咖啡券" {
		t.Errorf("spending: %d %+v", pf.Spent, pf.Spending)
	}
	// Departments: 销售部 a 90, b 25, m 0 → average 38.33; October 10/3.
	var sales Department
	for _, dd := range s.Departments {
		if dd.Name == "销售部" {
			sales = dd
		}
	}
	if sales.Members != 3 || sales.Total != 115 || sales.Average != 38.33 || sales.PrevAverage != 3.33 {
		t.Errorf("销售部: %+v", sales)
	}
	// Distribution over a 90, b 25, c 0, m 0: quartiles (0, 0, 12.5, 41.25, 90).
	want := Quartiles{Min: 0, Q1: 0, Median: 12.5, Q3: 41.25, Max: 90}
	if s.Distribution.Quartiles != want || s.Distribution.Participation != 0.5 {
		t.Errorf("distribution: %+v", s.Distribution)
	}
	// b joined in September: a newcomer at 25 against 30 for the others.
	if n := s.Distribution.NewMembers; n.Members != 1 || n.Average != 25 || s.Distribution.Others.Average != 30 {
		t.Errorf("tenure: %+v %+v", n, s.Distribution.Others)
	}
	// Ranks: October c 1, a 2, b and m 3; November a 1, b 2, c and m 3.
	// a and b both climbed one place; ties go by id.
	if len(s.Climbers) != 2 || s.Climbers[0].ID != "a" || s.Climbers[1].ID != "b" || s.Climbers[1].From != 3 || s.Climbers[1].To != 2 {
		t.Errorf("climbers: %+v", s.Climbers)
	}
	if len(s.Fallers) != 1 || s.Fallers[0].ID != "c" || s.Fallers[0].From != 1 || s.Fallers[0].To != 3 {
		t.Errorf("fallers: %+v", s.Fallers)
	}
	// Every suggestion cites a figure: here the unused rule, participation
	// 50%, and 生产部 with no 考勤 points. 全勤's cap of once a month is
	// reached by design and suggests nothing.
	kinds := map[string]bool{}
	for _, sg := range s.Suggestions {
		if sg.Figure == "" || sg.Text == "" {
			t.Errorf("suggestion without a figure: %+v", sg)
		}
		kinds[sg.Kind] = true
	}
	if kinds["cap"] {
		t.Errorf("a once-a-month cap suggested a change: %+v", s.Suggestions)
	}
	for _, k := range []string{"unused", "participation", "category_fit"} {
		if !kinds[k] {
			t.Errorf("no %s suggestion in %+v", k, s.Suggestions)
		}
	}
}

// A year of a synthetic company on the example config, rendered in every
// format and compared with the golden files.
func TestReportGolden(t *testing.T) {
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "x.db"))
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l := &fakeLedger{members: cfg.Members}
	rng := rand.New(rand.NewPCG(7, 11))
	var people []jifen.Member
	for _, m := range cfg.Members {
		if !m.Bot {
			people = append(people, m)
		}
	}
	start := time.Date(2026, 9, 1, 9, 0, 0, 0, shanghai)
	var ids []uint64
	for i := range 900 {
		at := start.Add(time.Duration(i) * 146 * time.Minute)
		m := people[rng.IntN(len(people))]
		b := cfg.Rules.Behaviors[rng.IntN(len(cfg.Rules.Behaviors))]
		pts := b.Min + rng.Int64N(b.Max-b.Min+1)
		kind := jifen.KindAward
		if pts < 0 {
			kind = jifen.KindDeduct
		}
		ids = append(ids, l.add(jifen.Entry{Kind: kind, At: at, Giver: "zhangwei", Receiver: m.ID, Points: pts, Category: b.Category, Behavior: b.ID}))
		if i%97 == 0 {
			l.revoke(ids[rng.IntN(len(ids))], at)
		}
		if i%61 == 0 {
			r := cfg.Rules.Rewards[rng.IntN(len(cfg.Rules.Rewards))]
			l.add(jifen.Entry{Kind: jifen.KindRedeem, At: at, Receiver: m.ID, Points: -r.Cost, Behavior: "reward:" + r.ID, Quantity: 1})
		}
	}
	var ratings []jifen.Rating
	for _, m := range people {
		g := "ABCD"[rng.IntN(4)]
		ratings = append(ratings, jifen.Rating{Member: m.ID, Period: "2026-11", Grade: string(g), Score: float64(4 - int(g-'A'))})
	}
	kpis := []jifen.KPI{{Name: "销售额（万元）", Period: "2026-11", Value: 532}, {Name: "客户满意度", Period: "2026-11", Department: "客服部", Value: 4.6}}
	prevKPIs := []jifen.KPI{{Name: "销售额（万元）", Period: "2026-10", Value: 480}}
	// Two rounds of the example survey, the second in the period: answers
	// drawn so that fairness scores drop and a small department hides.
	sv := &fakeSurveys{answers: map[string][]survey.Answer{}}
	for n, day := range []int{10, 11} {
		def := cfg.Surveys[0]
		r := survey.Round{Survey: def.ID, N: n + 1, Title: def.Title, Questions: def.Questions, Anonymous: true, MinGroup: def.MinGroup,
			Started: time.Date(2026, time.Month(day), 25, 10, 0, 0, 0, shanghai), Closed: time.Date(2026, time.Month(day), 28, 10, 0, 0, 0, shanghai)}
		r.Closes = r.Closed
		for _, m := range people {
			r.Audience = append(r.Audience, m.ID)
			if rng.IntN(10) < 2 {
				continue // did not answer
			}
			a := survey.Answer{Department: m.Department, Level: m.Level}
			for _, q := range def.Questions {
				v := ""
				switch q.Kind {
				case survey.Likert:
					v = fmt.Sprint(1 + rng.IntN(5-n))
				case survey.NPS:
					v = fmt.Sprint(rng.IntN(11))
				case survey.Multiple:
					v = fmt.Sprint(1 + rng.IntN(len(q.Choices)))
				case survey.Text:
					if rng.IntN(3) == 0 {
						v = "希望兑换更快 | 第" + fmt.Sprint(n+1) + "轮"
					}
				}
				if v != "" {
					if err := a.Apply(&q, v); err != nil {
						t.Fatal(err)
					}
				}
			}
			sv.answers[r.ID()] = append(sv.answers[r.ID()], a)
		}
		sv.rounds = append(sv.rounds, r)
	}
	nov := jifen.PeriodOf(jifen.Month, time.Date(2026, 11, 15, 0, 0, 0, 0, shanghai), shanghai)
	s, err := Analyze(l, nov,
		Options{Location: shanghai, Now: december, Catalog: cfg.Rules, T: zh, Ratings: ratings, KPIs: kpis, PreviousKPIs: prevKPIs, Surveys: SurveysIn(sv, nov),
			RatingsOf: func(p string) []jifen.Rating {
				if p == "2026-11" {
					return ratings
				}
				return nil
			}})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-2026-11.md", md.Bytes())
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-2026-11.json", append(raw, '\n'))
	var page bytes.Buffer
	if err := HTML(&page, s, zh, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-2026-11.html", page.Bytes())
	// The suggestions are never folded away; the survey's charts follow
	// its questions: the 1–5 questions, then NPS, then the choices.
	html := page.String()
	sug := strings.Index(html, "<h2>六、改进建议</h2>")
	if end := strings.Index(html[sug:], "</ol>"); sug < 0 || end < 0 || strings.Contains(html[sug:sug+end], "<details>") || len(s.Suggestions) <= 6 {
		t.Errorf("the %d suggestions are folded or missing", len(s.Suggestions))
	}
	likert, nps, choice := strings.Index(html, "积分制度满意度调查 · 1–5 分 · 答案分布"), strings.Index(html, "积分制度满意度调查 · NPS · 答案分布"),
		strings.Index(html, "积分制度满意度调查 · 你希望商城增加哪些兑换项？")
	if likert < 0 || nps < likert || choice < nps {
		t.Errorf("survey charts at %d (1–5), %d (NPS), %d (choice): want them in this order", likert, nps, choice)
	}
	checkXLSX(t, s)
	renderInChromium(t, page.Bytes())

	// The quarter as of 1 December: the sections a month has not — the
	// month-by-month table and the monthly chart (points, participation,
	// the month's rating), ratings combined from the months.
	q4 := jifen.PeriodOf(jifen.Quarter, nov.Start, shanghai)
	sq, err := Analyze(l, q4, Options{Location: shanghai, Now: december, Catalog: cfg.Rules, T: zh, Ratings: ratings, KPIs: kpis,
		PreviousKPIs: prevKPIs, Surveys: SurveysIn(sv, q4), RatingsOf: func(p string) []jifen.Rating {
			if p == "2026-11" {
				return ratings
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	md.Reset()
	if err := Markdown(&md, sq, zh); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-2026-Q4.md", md.Bytes())
	page.Reset()
	if err := HTML(&page, sq, zh, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-2026-Q4.html", page.Bytes())
	if !strings.Contains(md.String(), "### 月度趋势") || !strings.Contains(page.String(), "<figcaption>月度趋势</figcaption>") ||
		!strings.Contains(page.String(), "评级 ") {
		t.Error("the quarter lacks its month-by-month table or chart")
	}
}

// checkXLSX reads the workbook back: a sheet per table, numbers as numbers.
func checkXLSX(t *testing.T, s *Summary) {
	t.Helper()
	var buf bytes.Buffer
	if err := XLSX(&buf, s, zh); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if title, _ := f.GetCellValue(sheets[0], "A1"); len(sheets) < 8 || sheets[0] != "概览" || title != "积分小结 2026-11（对比 2026-10）" {
		t.Fatalf("sheets: %q", sheets)
	}
	rows, err := f.GetRows("各类别积分")
	if err != nil || len(rows) != 1+len(s.Points.ByCategory) || rows[0][0] != "类别" || rows[1][0] != s.Points.ByCategory[0].Name {
		t.Fatalf("category sheet: %q %v", rows, err)
	}
	typ, err := f.GetCellType("各类别积分", "B2")
	if err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("points stored as text (%v, %v)", typ, err)
	}
	// No table cell joins two figures: "27.86 (3)", "100.0% (7)",
	// "184 → 26", "1:9 2:24 3:43".
	joined := regexp.MustCompile(`^[-+]?\d+(\.\d+)?%? \(\d+\)$|^\d+ → \d+$|\d+:\d+ \d+:\d+`)
	for _, sh := range sheets {
		rows, _ := f.GetRows(sh)
		for i, r := range rows {
			for j, c := range r {
				if joined.MatchString(c) {
					t.Errorf("%s row %d column %d joins figures: %q", sh, i+1, j+1, c)
				}
			}
		}
	}
	// The ranks of the movers are two numbers; the policies' months are
	// a column of their own; the caps give members and share apart.
	for _, c := range []struct{ sheet, header string }{{"排名变化最大的成员", "上期排名"}, {"排名变化最大的成员", "本期排名"},
		{"激励政策前后对比（人均月积分）", "实施前月数"}, {"触达上限的规则", "触顶人数"}, {"触达上限的规则", "占获得者"}} {
		rows, _ := f.GetRows(c.sheet)
		if len(rows) < 2 {
			t.Errorf("%s: %d rows", c.sheet, len(rows))
			continue
		}
		col := slices.Index(rows[0], c.header)
		if col < 0 {
			t.Errorf("%s has no column %s: %q", c.sheet, c.header, rows[0])
			continue
		}
		name, _ := excelize.CoordinatesToCellName(col+1, 2)
		if typ, _ := f.GetCellType(c.sheet, name); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s %s is text", c.sheet, c.header)
		}
	}
	// The survey answers: a row an answer, whose counts add up to the
	// members who answered each scored question.
	rows, _ = f.GetRows("调查答案分布")
	if len(rows) < 2 || strings.Join(rows[0], "|") != "调查|轮次|题目|答案|人数|占作答人数" {
		t.Fatalf("answers sheet: %q", rows)
	}
	sums := map[string]int{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[4])
		if err != nil {
			t.Fatalf("count %q", r[4])
		}
		sums[r[1]+"|"+r[2]] += n
	}
	last := s.Surveys[len(s.Surveys)-1]
	checked := 0
	for _, it := range last.Items {
		if it.Kind == survey.Likert || it.Kind == survey.NPS {
			checked++
			if sums[last.Round+"|"+it.Text] != it.Answered {
				t.Errorf("answers to %q add up to %d, want %d", it.Text, sums[last.Round+"|"+it.Text], it.Answered)
			}
		}
	}
	if checked == 0 {
		t.Error("no scored question checked")
	}
}

// renderInChromium loads the page in headless Chromium when it is
// installed and checks the title and a table made it into the DOM.
func renderInChromium(t *testing.T, page []byte) {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Log("skipping the browser check: Chromium is not installed (apt-get install chromium)")
		return
	}
	path := filepath.Join(t.TempDir(), "r.html")
	if err := os.WriteFile(path, page, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://"+path).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !bytes.Contains(out, []byte("<h1>积分小结 2026-11（对比 2026-10）</h1>")) || !bytes.Contains(out, []byte("<table>")) || !bytes.Contains(out, []byte("<svg")) {
		t.Fatalf("the page did not render: %.500s", out)
	}
}

// Names and reasons are escaped in the page.
func TestHTMLEscapes(t *testing.T) {
	l := &fakeLedger{members: []jifen.Member{{ID: "x", Name: "<script>alert(1)</script>", Department: "<b>部</b>", Role: jifen.RoleEmployee}}}
	d := time.Date(2026, 11, 5, 10, 0, 0, 0, shanghai)
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d, Receiver: "x", Points: 10})
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, d, shanghai), Options{Location: shanghai, Now: december, Catalog: &rules.Catalog{}, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := HTML(&page, s, zh, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page.Bytes(), []byte("<script>")) || bytes.Contains(page.Bytes(), []byte("<b>部")) {
		t.Fatalf("unescaped user text in the page")
	}
	if !bytes.Contains(page.Bytes(), []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Fatalf("the name is missing")
	}
	// The previous period precedes the ledger: the band says so.
	if !bytes.Contains(page.Bytes(), []byte(`<div class="c ">不可比`)) || !bytes.Contains(page.Bytes(), []byte("&lt;b&gt;部&lt;/b&gt; 10.00")) {
		t.Fatalf("the band: %s", page.Bytes())
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// Ratings: the correlation and the high-points-average-rating list.
func TestRatingsCorrelation(t *testing.T) {
	l := &fakeLedger{}
	d := time.Date(2026, 11, 5, 10, 0, 0, 0, shanghai)
	var ratings []jifen.Rating
	// Ten members: points 10, 20 … 100; ratings follow the points except
	// the two at the top, rated C.
	for i := range 10 {
		id := fmt.Sprintf("m%d", i)
		l.members = append(l.members, jifen.Member{ID: id, Name: id, Department: "销售部", Role: jifen.RoleEmployee})
		l.add(jifen.Entry{Kind: jifen.KindAward, At: d, Receiver: id, Points: int64(10 * (i + 1))})
		score := float64(1 + i*3/10) // 1,1,1,1,2,2,2,3,3,3 by points
		if i >= 8 {
			score = 2
		}
		ratings = append(ratings, jifen.Rating{Member: id, Period: "2026-11", Score: score})
	}
	older := []jifen.Rating{{Member: "m0", Period: "2026-09", Score: 1}, {Member: "m1", Period: "2026-09", Score: 2}}
	l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 9, 3, 10, 0, 0, 0, shanghai), Receiver: "m0", Points: 40})
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, d, shanghai), Options{Location: shanghai, Now: december, Catalog: &rules.Catalog{}, T: zh, Ratings: ratings,
		RatingsOf: func(p string) []jifen.Rating {
			switch p {
			case "2026-11":
				return ratings
			case "2026-09":
				return older
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	var xs, ys []float64
	for i, r := range ratings {
		xs = append(xs, float64(10*(i+1)))
		ys = append(ys, r.Score)
	}
	want := round(Spearman(xs, ys))
	r := s.Ratings
	if r == nil || r.Rated != 10 || r.Spearman == nil || *r.Spearman != want {
		t.Fatalf("ratings: %+v (want ρ %v)", r, want)
	}
	// Q3 of points is 77.5: m7 (80, rated 3), m8 (90, 2), m9 (100, 2); the
	// median rating is 2, so m8 and m9 are listed, m9 first.
	if got := r.HighPointsAverageRating; len(got) != 2 || got[0].ID != "m9" || got[1].ID != "m8" {
		t.Fatalf("high points, average rating: %+v", got)
	}
	// Trend: September 40/10 = 4 points, rated 1.5 on average; October
	// nothing; November 550/10 = 55, rated 17/10 = 1.7.
	tr := r.Trend
	if len(tr) != 3 || tr[0].Period != "2026-09" || tr[0].Points != 4 || *tr[0].AvgRating != 1.5 || tr[1].AvgRating != nil ||
		tr[2].Points != 55 || *tr[2].AvgRating != 1.7 {
		t.Fatalf("trend: %+v", tr)
	}
}

// A policy's date is midnight in the configured zone: 23:30 on the eve in
// Shanghai counts before it, although it is the same UTC day as after.
func TestPolicyDateInZone(t *testing.T) {
	date := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)
	cat := &rules.Catalog{Behaviors: []rules.Behavior{{ID: "late", Name: "迟到", Min: -5, Max: -5}},
		Policies: []rules.Policy{{ID: "p", Name: "迟到扣分", Date: date, Behavior: "late"}}}
	l := &fakeLedger{members: []jifen.Member{{ID: "a", Name: "甲", Role: jifen.RoleEmployee}, {ID: "b", Name: "乙", Role: jifen.RoleEmployee}}}
	// 2026-10-31 23:30 Shanghai = 15:30 UTC on the 31st: before.
	l.add(jifen.Entry{Kind: jifen.KindDeduct, At: time.Date(2026, 10, 31, 15, 30, 0, 0, time.UTC), Receiver: "a", Points: -5, Behavior: "late"})
	// 2026-11-01 00:30 Shanghai = 16:30 UTC on 31 October: after.
	l.add(jifen.Entry{Kind: jifen.KindDeduct, At: time.Date(2026, 10, 31, 16, 30, 0, 0, time.UTC), Receiver: "b", Points: -5, Behavior: "late"})
	l.add(jifen.Entry{Kind: jifen.KindAward, At: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC), Receiver: "a", Points: 25})
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, date, shanghai), Options{Location: shanghai, Now: december, Catalog: cat, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	pe := s.Policies[0]
	// October: -5 over 2 members; November: 20 over 2.
	if pe.Before != -2.5 || pe.After != 10 || len(pe.Stopped) != 1 || pe.Stopped[0].ID != "a" {
		t.Fatalf("%+v", pe)
	}
}

// The comments of an anonymous round still open are not listed: whoever
// reads the report as they arrive could tell whose each is.
func TestOpenAnonymousRoundListsNoComments(t *testing.T) {
	r := &survey.Round{Survey: "pulse", N: 1, Title: "满意度", Anonymous: true, MinGroup: 3,
		Questions: []survey.Question{{ID: "note", Text: "其他意见", Kind: survey.Text}},
		Audience:  []string{"a", "b", "c", "d"}, Started: time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC), Closes: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}
	var answers []survey.Answer
	for i, text := range []string{"意见甲", "意见乙", "意见丙", "意见丁"} {
		answers = append(answers, survey.Answer{Department: fmt.Sprint(i), Values: map[string][]string{"note": {text}}})
	}
	for _, closed := range []bool{false, true} {
		if closed {
			r.Closed = r.Closes
		}
		s := &Summary{Period: "2026-11", Surveys: []survey.Results{survey.Tally(r, answers, nil)}}
		var b strings.Builder
		if err := Markdown(&b, s, zh); err != nil {
			t.Fatal(err)
		}
		md := b.String()
		if shown := strings.Contains(md, "意见甲"); shown != closed {
			t.Errorf("closed=%v: comments shown=%v:\n%s", closed, shown, md)
		}
		if !closed && !strings.Contains(md, "本轮尚未结束") {
			t.Errorf("an open round does not say why its comments wait:\n%s", md)
		}
	}
}
