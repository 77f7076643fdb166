package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"jifen/rules"
)

// reportReply runs /report as 张伟 (a manager) through Handle, as a chat
// platform does: errors come back as text in the bot's language.
func (e *env) reportReply(text string) Message {
	e.t.Helper()
	return e.bot.Handle(context.Background(), Request{Caller: e.member("zhang"), Text: text, Source: "test", Resolve: e.bot.ResolveName}).Reply
}

// On 2026-11-29 December has not begun: /report 2026-12 is refused,
// naming the period and today's date, in the bot's language.
func TestReportRefusesPeriodNotBegun(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Date(2026, 11, 29, 4, 45, 0, 0, time.UTC))
	e.run("zhang", "/award @王芳 10 好评")
	if _, err := e.try("zhang", "/report 2026-12", ""); errKey(err) != "err.report_not_begun" {
		t.Fatalf("2026-12: %v", err)
	}
	if _, err := e.try("zhang", "/小结 2027", ""); errKey(err) != "err.report_not_begun" {
		t.Fatalf("2027: %v", err)
	}
	r := e.reportReply("/report 2026-12")
	if got := strings.Join(r.Text, "\n"); r.Kind != "error" || !strings.Contains(got, "2026-12") || !strings.Contains(got, "还没有开始") || !strings.Contains(got, "2026-11-29") {
		t.Fatalf("zh: %+v", r)
	}
	e.bot.lang = "en"
	r = e.reportReply("/report 2026-12")
	if got := strings.Join(r.Text, "\n"); !strings.Contains(got, "2026-12 has not begun (today is 2026-11-29)") {
		t.Fatalf("en: %+v", r)
	}
	// The current month is reported as of today.
	e.bot.lang = "zh-CN"
	if r := e.reportReply("/report 2026-11"); r.Title != "积分小结 2026-11（截至 2026-11-29）" {
		t.Fatalf("current month: %+v", r)
	}
}

// /report with no period on a new install: last month holds nothing, so
// the current month as of now; once the ledger reaches back into last
// month, last month. The targets line accounts for every configured target.
func TestReportDefaultOnNewInstall(t *testing.T) {
	e := newEnv(t)
	e.bot.cat.Targets = []rules.Target{
		{ID: "avg", Name: "人均月积分", Metric: rules.MetricAvgMonthlyPoints, Min: ptr(50.0)},
		{ID: "part", Name: "参与率", Metric: rules.MetricParticipation, Min: ptr(0.1)},
		{ID: "growth", Name: "好评增长", Metric: rules.MetricCategoryGrowth, Category: "service", Min: ptr(0.2)},
	}
	e.clock.Set(time.Date(2026, 11, 29, 4, 45, 0, 0, time.UTC))
	field := func(m Message, label string) string {
		for _, f := range m.Fields {
			if f.Label == label {
				return f.Value
			}
		}
		return ""
	}
	r := e.reportReply("/report")
	if r.Title != "积分小结 2026-11（截至 2026-11-29）" {
		t.Fatalf("an empty ledger: %+v", r)
	}
	// No data at all: two targets decided (missed), growth not.
	if got := field(r, "目标达成"); got != "0 / 2（1 项数据不足）" {
		t.Fatalf("targets: %q", got)
	}
	e.run("zhang", "/award @王芳 10 好评")
	r = e.reportReply("/report")
	if r.Title != "积分小结 2026-11（截至 2026-11-29）" || field(r, "净积分") != "10（环比 不可比）" || field(r, "目标达成") != "1 / 2（1 项数据不足）" {
		t.Fatalf("entries this month only: %+v", r)
	}
	e.bot.lang = "en"
	if got := field(e.reportReply("/report"), "Targets met"); got != "1 of 2 (1 with insufficient data)" {
		t.Fatalf("en targets: %q", got)
	}
	e.bot.lang = "zh-CN"
	// An entry in October: October is the last complete month with data.
	e.clock.Set(time.Date(2026, 10, 20, 2, 0, 0, 0, time.UTC))
	e.run("zhang", "/award @李娜 10 好评")
	e.clock.Set(time.Date(2026, 11, 29, 4, 45, 0, 0, time.UTC))
	if r := e.reportReply("/report"); r.Title != "积分小结 2026-10" {
		t.Fatalf("with October entries: %+v", r)
	}
	// Only insufficient data: said so, never "0 / 0".
	e.bot.cat.Targets = e.bot.cat.Targets[2:]
	if got := field(e.reportReply("/report"), "目标达成"); got != "1 项均数据不足" {
		t.Fatalf("only growth: %q", got)
	}
}

func ptr[T any](v T) *T { return &v }
