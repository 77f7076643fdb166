package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/store"
)

func (e *env) balance(member string) int64 { return e.store.Balance(member) }

// give awards points through the admin, in steps the receiver cap allows.
func (e *env) give(member string, points int64) {
	e.t.Helper()
	for points > 0 {
		n := min(points, 100)
		if n < 20 {
			n = 20 // the smallest 签约大单
		}
		e.run("hr", fmt.Sprintf("/award @%s %d 大单", member, n))
		points -= n
	}
}

func TestRedeemChecksBalanceStockAndLimit(t *testing.T) {
	e := newEnv(t)
	e.give("wang", 100)
	earned := e.store.Totals("wang", jifen.PeriodOf(jifen.AllTime, e.clock.Now(), shanghai)).Net

	// Each refusal has its own message and writes nothing.
	entries := e.store.EntryCount()
	for _, tt := range []struct{ text, key string }{
		{"/redeem", "err.item_required"},
		{"/redeem 飞机", "err.unknown_reward"},
		{"/redeem 咖啡券 0", "err.quantity"},
		{"/redeem 咖啡券 101", "err.quantity"},
		{"/redeem 咖啡券 4", "err.balance_low"},  // 120 > 100
		{"/redeem 马克杯 6", "err.out_of_stock"}, // 5 in stock
		{"/redeem 咖啡券 3", "err.balance_low"},  // 90 ≤ 100, but … balance first: 90 is fine
	} {
		_, err := e.try("wang", tt.text, "")
		if tt.text == "/redeem 咖啡券 3" {
			// Affordable, but over the weekly limit of 2.
			tt.key = "err.redeem_limit"
		}
		if got := errKey(err); got != tt.key {
			t.Errorf("%q: %s, want %s", tt.text, got, tt.key)
		}
	}
	if e.store.EntryCount() != entries || e.balance("wang") != 100 {
		t.Fatalf("refusals wrote: %d entries, balance %d", e.store.EntryCount()-entries, e.balance("wang"))
	}

	resp := e.run("wang", "/兑换 咖啡券 2")
	if resp.Reply.Kind != "redeem" || e.balance("wang") != 40 {
		t.Fatalf("redeem: %+v, balance %d", resp.Reply, e.balance("wang"))
	}
	// Spending lowers the balance, never the earned total used for rankings.
	if got := e.store.Totals("wang", jifen.PeriodOf(jifen.AllTime, e.clock.Now(), shanghai)).Net; got != earned {
		t.Fatalf("earned total changed from %d to %d", earned, got)
	}
	// The fulfiller is asked to hand it out.
	if len(resp.Notices) != 1 || resp.Notices[0].To != "li" {
		t.Fatalf("notices: %+v", resp.Notices)
	}
	if _, err := e.try("wang", "/redeem coffee", ""); errKey(err) != "err.redeem_limit" {
		t.Fatalf("third coffee this week: %v", err)
	}
	if _, err := e.try("wang", "/redemptions fulfil R1", ""); errKey(err) != "err.not_fulfiller" {
		t.Fatalf("self-fulfil: %v", err)
	}
	e.run("li", "/redemptions fulfil R1")
	if _, err := e.try("li", "/redemptions fulfil R1", ""); errKey(err) != "err.redemption_not_open" {
		t.Fatalf("fulfil twice: %v", err)
	}
	if rs := e.store.Redemptions("wang", 10); len(rs) != 1 || rs[0].Status != store.RedemptionFulfilled {
		t.Fatalf("redemptions: %+v", rs)
	}
	if rep, err := e.store.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestRejectedRedemptionRefundsExactly(t *testing.T) {
	e := newEnv(t)
	e.give("wang", 150)
	e.run("wang", "/redeem 培训课程")
	if e.balance("wang") != 50 || e.store.StockUsed("training") != 1 {
		t.Fatalf("held: balance %d, stock used %d", e.balance("wang"), e.store.StockUsed("training"))
	}
	resp := e.run("hr", "/redemptions reject R1 本季度预算已用完")
	if e.balance("wang") != 150 || e.store.StockUsed("training") != 0 {
		t.Fatalf("after rejection: balance %d, stock used %d", e.balance("wang"), e.store.StockUsed("training"))
	}
	if len(resp.Notices) != 1 || resp.Notices[0].To != "wang" {
		t.Fatalf("notices: %+v", resp.Notices)
	}
	if rep, err := e.store.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestDoubleClickedRedemptionApprovalAppliesOnce(t *testing.T) {
	e := newEnv(t)
	e.give("wang", 150)
	e.run("wang", "/redeem training")
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]Response, 2)
	for i := range 2 {
		wg.Go(func() {
			results[i] = e.bot.Handle(ctx, Request{Caller: e.member("hr"), Text: "/redemptions approve R1", Source: "test", Key: fmt.Sprintf("click-%d", i)})
		})
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		if r.Reply.Kind == "redeem" {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d approvals applied: %+v", ok, results)
	}
	// A reject after the approval is refused (cancel is the way, until it
	// is handed out), and nothing is refunded.
	if _, err := e.try("hr", "/redemptions reject R1", ""); errKey(err) != "err.redemption_approved" {
		t.Fatalf("reject after approve: %v", err)
	}
	if e.balance("wang") != 50 {
		t.Fatalf("balance %d", e.balance("wang"))
	}
}

// 64 concurrent redemptions of the last 5 items: exactly 5 succeed, the
// stock never goes negative, and every balance adds up.
func TestConcurrentRedemptionsNeverOversell(t *testing.T) {
	e := newEnv(t)
	buyers := []string{"wang", "li", "chen", "zhang", "zhao"}
	for _, m := range buyers {
		e.give(m, 20)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[string]int64{}
	for i := range 64 {
		wg.Go(func() {
			m := buyers[i%len(buyers)]
			r := e.bot.Handle(ctx, Request{Caller: e.member(m), Text: "/redeem 马克杯", Source: "test", Key: fmt.Sprintf("mug-%d", i)})
			if r.Reply.Kind == "redeem" {
				mu.Lock()
				won[m]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := int64(0)
	for _, m := range buyers {
		total += won[m]
		if got, want := e.balance(m), 20-won[m]; got != want {
			t.Errorf("%s: balance %d, want %d", m, got, want)
		}
	}
	if total != 5 || e.store.StockUsed("mug") != 5 {
		t.Fatalf("%d redeemed, stock used %d", total, e.store.StockUsed("mug"))
	}
	if rep, err := e.store.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestShopListsWhatTheCallerCanAfford(t *testing.T) {
	e := newEnv(t)
	e.give("wang", 40)
	resp := e.run("wang", "/商城")
	if resp.Reply.Table == nil || len(resp.Reply.Table.Rows) != 3 {
		t.Fatalf("%+v", resp.Reply)
	}
	if row := resp.Reply.Table.Rows[1]; row[0] != "培训课程" || row[2] != "3" || row[4] != "需审批、余额不足" {
		t.Fatalf("training row: %q", row)
	}
}

func TestReportDigest(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 10 好评")
	if _, err := e.try("wang", "/report", ""); errKey(err) != "err.report_role" {
		t.Fatalf("employee: %v", err)
	}
	if _, err := e.try("zhang", "/小结 2026-W46", ""); errKey(err) != "err.report_period" {
		t.Fatalf("week: %v", err)
	}
	// November is the current month on the clock (2026-11-10): as of
	// today, and not compared with October.
	r := e.run("zhang", "/小结 2026-11").Reply
	if r.Kind != "report" || r.Title != "积分小结 2026-11（截至 2026-11-10）" || len(r.Fields) < 4 || r.Fields[0].Value != "10（环比 不可比）" {
		t.Fatalf("%+v", r)
	}
}

func TestLeaderboardPostShowsMovement(t *testing.T) {
	e := newEnv(t)
	// Last month: 王芳 first, 李娜 second, 陈静 third.
	e.clock.Set(time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @王芳 30 大单")
	e.run("hr", "/award @李娜 20 大单")
	e.run("hr", "/award @陈静 10 好评")
	// This month: 李娜 first, 陈静 second, 王芳 third, 张伟 fourth as he
	// was last month at 0 (counted then, so not new).
	e.clock.Set(time.Date(2026, 11, 15, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @李娜 50 大单")
	e.run("hr", "/award @陈静 40 大单")
	e.run("hr", "/award @王芳 30 大单")
	e.run("hr", "/award @张伟 20 大单")
	m := e.bot.LeaderboardPost(jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai), "", 10)
	var got []string
	for _, r := range m.Table.Rows {
		got = append(got, r[1]+" "+r[4])
	}
	want := []string{"李娜 ↑1", "陈静 ↑1", "王芳 ↓2", "张伟 —"}
	if fmt.Sprint(got) != fmt.Sprint(want) || !m.Public {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestFeedbackAndPersonalReport(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 15 好评")
	e.run("zhang", "/award @李娜 20 好评")
	e.run("zhang", "/deduct @王芳 迟到")
	for _, tt := range []struct{ who, text, key string }{
		{"wang", "/feedback @李娜 不错", "err.feedback_role"},
		{"zhang", "/反馈 @陈静 很好", "err.feedback_department"},
		{"zhang", "/feedback @张伟 自评", "err.feedback_target"},
		{"zhang", "/feedback @王芳", "err.usage"},
	} {
		if _, err := e.try(tt.who, tt.text, ""); errKey(err) != tt.key {
			t.Errorf("%s %q: %v, want %s", tt.who, tt.text, err, tt.key)
		}
	}
	e.run("zhang", "/反馈 @王芳 客户回访做得很细，注意准时到岗")
	m := e.bot.PersonalReport(e.member("wang"), jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai))
	text := fmt.Sprint(m.Fields, m.Text)
	// 王芳 has 10 (15 − 5): second of three in 销售部 behind 李娜, and
	// second of the three employees.
	for _, want := range []string{"{本期积分 10}", "{销售部排名 2 / 3}", "{同岗位（员工）排名 2 / 3}", "最需加强：考勤", "张伟 的反馈：客户回访做得很细，注意准时到岗", "/rules 考勤"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in %s", want, text)
		}
	}
}

func TestReminders(t *testing.T) {
	e := newEnv(t)
	// 张伟's budget is 100 + 10 × 3 (销售部) = 130; he used 80: no reminder.
	e.run("zhang", "/award @王芳 40 大单")
	e.run("zhang", "/award @李娜 40 大单")
	// An approval waiting for two days.
	e.run("zhao", "/award @陈静 60 大单")
	e.clock.Add(48 * time.Hour)
	ns, err := e.bot.Reminders()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range ns {
		got[n.To] = strings.Join(n.Message.Text, " ")
	}
	// 赵强 (客服部, budget 100 + 10 × 2 = 120) has 60 held by the pending
	// approval, counted as used: 60 left of 120 is exactly half, no nudge.
	if _, ok := got["zhang"]; ok || len(got) != 1 || !strings.Contains(got["hr"], "A1") {
		t.Fatalf("%v", got)
	}
	e.clock.Add(31 * 24 * time.Hour) // a new month: both managers have everything left
	ns, _ = e.bot.Reminders()
	got = map[string]string{}
	for _, n := range ns {
		got[n.To] = strings.Join(n.Message.Text, " ")
	}
	if !strings.Contains(got["zhang"], "还剩 130 分") || !strings.Contains(got["zhao"], "还剩 120 分") {
		t.Fatalf("%v", got)
	}
}
