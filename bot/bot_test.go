package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fixedClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

func i64(v int64) *int64 { return &v }

// testCatalog is a small but complete catalog: ranges, fixed values, a
// deduction, a once-a-month behavior, an approval threshold, allowances
// that grow with the team, peer thanks and a receiver cap.
func testCatalog() *rules.Catalog {
	return &rules.Catalog{
		Categories: []rules.Category{
			{ID: "sales", Name: "销售业绩"}, {ID: "service", Name: "客户满意度"},
			{ID: "attendance", Name: "考勤"}, {ID: "collab", Name: "内部协作"},
		},
		Behaviors: []rules.Behavior{
			{ID: "praise", Name: "客户好评", Category: "service", Aliases: []string{"好评"}, Tags: []string{"好评"}, Min: 5, Max: 20},
			{ID: "big_deal", Name: "签约大单", Category: "sales", Aliases: []string{"大单"}, Tags: []string{"大单"}, Min: 20, Max: 100},
			{ID: "full_attendance", Name: "全勤", Category: "attendance", Min: 10, Max: 10,
				Limits: []rules.BehaviorLimit{{Period: jifen.Month, Times: 1}}},
			{ID: "late", Name: "迟到", Category: "attendance", Min: -5, Max: -5},
			{ID: "help_peer", Name: "协助同事", Category: "collab", Min: 1, Max: 10,
				Roles: []jifen.Role{jifen.RoleManager, jifen.RoleEmployee}},
			{ID: "peer_thanks", Name: "感谢", Category: "collab", Min: 1, Max: 3, Roles: []jifen.Role{jifen.RoleEmployee, jifen.RoleManager}},
		},
		ReceiverLimits:    []rules.NetLimit{{Period: jifen.Month, Max: i64(150), Min: i64(-20)}},
		Allowances:        map[jifen.Role]rules.Allowance{jifen.RoleManager: {Period: jifen.Month, Points: 100, PerMember: 10}, jifen.RoleEmployee: {Period: jifen.Month, Points: 10}},
		Thanks:            &rules.Thanks{Behavior: "peer_thanks", Period: jifen.Week, Allowance: 5, MaxPerThanks: 3},
		ApprovalThreshold: 50,
		Rewards: []rules.Reward{
			{ID: "coffee", Name: "咖啡券", Cost: 30, Limit: &rules.RewardLimit{Period: jifen.Week, Units: 2}, Fulfiller: "li"},
			{ID: "training", Name: "培训课程", Cost: 100, Stock: 3, Approval: true},
			{ID: "mug", Name: "马克杯", Cost: 1, Stock: 5},
		},
	}
}

var testMembers = []jifen.Member{
	{ID: "hr", Name: "刘敏", Department: "人力资源部", Role: jifen.RoleAdmin},
	{ID: "zhang", Name: "张伟", Department: "销售部", Role: jifen.RoleManager},
	{ID: "wang", Name: "王芳", Department: "销售部", Role: jifen.RoleEmployee},
	{ID: "li", Name: "李娜", Department: "销售部", Role: jifen.RoleEmployee},
	{ID: "chen", Name: "陈静", Department: "客服部", Role: jifen.RoleEmployee},
	{ID: "zhao", Name: "赵强", Department: "客服部", Role: jifen.RoleManager},
	{ID: "robot", Name: "积分助手", Role: jifen.RoleEmployee, Bot: true},
}

type env struct {
	t     *testing.T
	bot   *Bot
	store *store.Store
	clock *fixedClock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := &fixedClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Location: shanghai, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Whatever a test did, the ledger still verifies: every aggregate
	// recomputed from the entries (cleanups run last first: before Close).
	t.Cleanup(func() {
		rep, err := st.Verify()
		if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
			return // the test closed it itself (a restart) and checks on its own
		}
		if err != nil || !rep.OK() {
			t.Errorf("verify after the test: %v %v", rep.Problems, err)
		}
	})
	if err := st.SyncMembers(context.Background(), testMembers); err != nil {
		t.Fatal(err)
	}
	cat := testCatalog()
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, bot: New(Options{Store: st, Catalog: cat, CatalogVersion: 1}), store: st, clock: clock}
}

func (e *env) member(id string) jifen.Member {
	m, ok := e.store.Member(id)
	if !ok {
		e.t.Fatalf("no member %s", id)
	}
	return m
}

// run executes a command and fails the test on an error reply.
func (e *env) run(as, text string) Response {
	e.t.Helper()
	resp, err := e.try(as, text, "")
	if err != nil {
		e.t.Fatalf("%s: %q: %v", as, text, err)
	}
	return resp
}

func (e *env) try(as, text, key string) (Response, error) {
	req := Request{Caller: e.member(as), Text: text, Source: "test", Key: key, Resolve: e.bot.ResolveName}
	cmd, err := Parse(text)
	if err != nil {
		return Response{}, err
	}
	return e.bot.execute(context.Background(), req, cmd)
}

func (e *env) month(member string) int64 {
	return e.store.Totals(member, jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai)).Net
}

func errKey(err error) string {
	var je *jifen.Error
	if errors.As(err, &je) {
		return je.Key
	}
	if err != nil {
		return "internal: " + err.Error()
	}
	return ""
}

func TestBadInputGetsItsOwnMessageAndWritesNothing(t *testing.T) {
	cases := []struct {
		name, as, text, key string
	}{
		{"unknown user", "zhang", "/award @nobody 10 客户好评", "err.unknown_member"},
		{"self award", "zhang", "/award @张伟 10 客户好评", "err.self_award"},
		{"self deduct", "zhang", "/deduct @zhang 5 迟到", "err.self_deduct"},
		{"self thanks", "wang", "/thanks @王芳 1 帮忙", "err.self_thanks"},
		{"award to a bot", "zhang", "/award @积分助手 10 客户好评", "err.receiver_bot"},
		{"same person twice", "zhang", "/award @王芳 @wang 10 客户好评", "err.duplicate_receiver"},
		{"no receiver", "zhang", "/award 10 客户好评", "err.receiver_required.award"},
		{"zero points", "zhang", "/award @王芳 0 客户好评", "err.points_zero"},
		{"negative award", "zhang", "/award @王芳 -5 客户好评", "err.points_negative"},
		{"non-numeric points", "zhang", "/award @王芳 1o 客户好评", "err.points_invalid"},
		{"huge points", "zhang", "/award @王芳 99999999999 客户好评", "err.points_huge"},
		{"points outside the range", "zhang", "/award @王芳 30 客户好评", "err.points_range"},
		{"range needs a number", "zhang", "/award @王芳 客户好评", "err.points_required"},
		{"behavior not in catalog", "zhang", "/award @王芳 10 客户很满意", "err.unknown_behavior"},
		{"no reason", "zhang", "/award @王芳 10", "err.reason_required"},
		{"deduction through award", "zhang", "/award @王芳 5 迟到", "err.use_deduct"},
		{"award through deduct", "zhang", "/deduct @王芳 10 客户好评", "err.use_award"},
		{"employee awards", "wang", "/award @李娜 10 客户好评", "err.behavior_role"},
		{"thanks above max", "wang", "/thanks @李娜 4 帮忙", "err.thanks_too_big"},
		{"revoke by non-admin", "zhang", "/revoke 1 错了", "err.admin_only"},
		{"revoke unknown entry", "hr", "/revoke 999 错了", "err.entry_not_found"},
		{"revoke without reason", "hr", "/revoke 1", "err.revoke_reason"},
		{"revoke bad id", "hr", "/revoke abc 错了", "err.bad_id"},
		{"approve by non-admin", "zhang", "/approve 1", "err.admin_only"},
		{"approve unknown", "hr", "/approve 7", "err.approval_not_found"},
		{"unknown command", "wang", "/frobnicate", "err.unknown_command"},
		{"private history", "wang", "/history @李娜", "err.private_history"},
		{"bad history count", "wang", "/history 500", "err.history_count"},
		{"bad leaderboard arg", "wang", "/leaderboard 火星部", "err.leaderboard_arg"},
		{"unknown category", "wang", "/rules 火星", "err.unknown_category"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.try(c.as, c.text, "k-"+c.name)
			if got := errKey(err); got != c.key {
				t.Fatalf("%q: got %q, want %q", c.text, got, c.key)
			}
			if n := e.store.EntryCount(); n != 0 {
				t.Fatalf("%d entries written", n)
			}
			if _, seen := e.store.Seen("k-" + c.name); seen {
				t.Fatal("a refused command recorded its idempotency key")
			}
			if aps, _ := e.store.OpenApprovals(); len(aps) != 0 {
				t.Fatal("approval written")
			}
			// Every refusal renders as a specific sentence, never the key.
			msg := e.bot.Handle(context.Background(), Request{Caller: e.member(c.as), Text: c.text}).Reply
			if msg.Kind != "error" || len(msg.Text) != 1 || strings.Contains(msg.Text[0], "err.") || strings.Contains(msg.Text[0], "%!") {
				t.Fatalf("reply %+v", msg)
			}
		})
	}
}

func TestLimitsRefuseWithWhatIsLeft(t *testing.T) {
	e := newEnv(t)
	// Once a month: the second 全勤 is refused.
	e.run("zhang", "/award @王芳 全勤")
	if _, err := e.try("zhang", "/award @王芳 全勤", ""); errKey(err) != "err.behavior_times" {
		t.Fatalf("second 全勤: %v", err)
	}
	// Next month it is allowed again.
	e.clock.Set(time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)) // Dec 1, 00:30 in Shanghai
	e.run("zhang", "/award @王芳 全勤")

	// The manager's allowance is 100 + 10 × 4 members of 销售部... (3 with
	// points: 张伟, 王芳, 李娜) = 130 a month; 10 are used this month.
	if _, err := e.try("zhang", "/award @王芳 @李娜 20 好评", ""); err != nil {
		t.Fatal(err)
	}
	used := e.store.GiverUsed("zhang", "award", jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai))
	if used != 50 {
		t.Fatalf("used %d", used)
	}
	for range 4 {
		e.run("zhang", "/award @王芳 @李娜 10 好评") // 80 more → 130
	}
	_, err := e.try("zhang", "/award @王芳 @李娜 5 好评", "")
	var je *jifen.Error
	if !errors.As(err, &je) || je.Key != "err.allowance" || je.Args[0] != int64(0) {
		t.Fatalf("over allowance: %#v", err)
	}
	// Deductions use no allowance.
	e.run("zhang", "/deduct @李娜 5 迟到")
}

func TestAllowanceIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	// 130 allowance: 6 × 20 = 120 used, 10 left; 2 × 10 = 20 needed.
	for range 3 {
		e.run("zhang", "/award @王芳 @李娜 20 好评")
	}
	before := e.store.EntryCount()
	_, err := e.try("zhang", "/award @王芳 @李娜 10 好评", "")
	if errKey(err) != "err.allowance" {
		t.Fatalf("got %v", err)
	}
	if e.store.EntryCount() != before {
		t.Fatal("partial award written")
	}
	e.run("zhang", "/award @王芳 10 好评") // one receiver still fits
}

func TestReceiverCapAndFloor(t *testing.T) {
	e := newEnv(t)
	e.run("hr", "/award @王芳 100 大单")
	_, err := e.try("hr", "/award @王芳 60 大单", "")
	var je *jifen.Error
	if !errors.As(err, &je) || je.Key != "err.receiver_max" || je.Args[1] != int64(50) {
		t.Fatalf("cap: %#v", err)
	}
	for range 4 {
		e.run("zhang", "/deduct @李娜 5 迟到")
	}
	if _, err := e.try("zhang", "/deduct @李娜 5 迟到", ""); errKey(err) != "err.receiver_min_reached" {
		t.Fatalf("floor: %v", err)
	}
}

func TestAwardAnnouncesAndNotifies(t *testing.T) {
	e := newEnv(t)
	resp := e.run("zhang", "/加分 @王芳 @李娜 10 #好评 上周帮客户解决退货问题")
	if !resp.Reply.Public || resp.Reply.Kind != "award" || len(resp.Notices) != 2 {
		t.Fatalf("%+v", resp)
	}
	if got := resp.Reply.Text[0]; got != "张伟 给 王芳、李娜 各加 10 分：客户好评" {
		t.Fatalf("text %q", got)
	}
	if e.month("wang") != 10 || e.month("li") != 10 {
		t.Fatal("points not recorded")
	}
	h := e.store.History("wang", 1)
	if h[0].Reason != "#好评 上周帮客户解决退货问题" || h[0].Behavior != "praise" || h[0].RuleVersion != 1 || h[0].Category != "service" {
		t.Fatalf("entry %+v", h[0])
	}
	// Feishu-style text without a slash, full-width space and digits.
	e.run("zhang", "加分　@王芳　１０分　客户好评")
	if e.month("wang") != 20 {
		t.Fatalf("month %d", e.month("wang"))
	}
}

func TestApprovalFlowAppliesOnce(t *testing.T) {
	e := newEnv(t)
	resp := e.run("zhang", "/award @王芳 80 大单")
	if resp.Reply.Kind != "approval" || e.month("wang") != 0 {
		t.Fatalf("not pending: %+v", resp)
	}
	if len(resp.Notices) != 1 || resp.Notices[0].To != "hr" || len(resp.Notices[0].Message.Buttons) != 2 {
		t.Fatalf("admin card: %+v", resp.Notices)
	}
	approve := resp.Notices[0].Message.Buttons[0].Value
	// The reservation counts against the cap while pending.
	if _, err := e.try("hr", "/award @王芳 80 大单", ""); errKey(err) != "err.receiver_max" {
		t.Fatalf("pending not reserved: %v", err)
	}
	// A double click arrives twice with different delivery ids, and with
	// the same one: it applies once either way.
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			_, err := e.try("hr", approve, fmt.Sprintf("click-%d", i%2))
			switch errKey(err) {
			case "":
				ok.Add(1)
			case "err.approval_decided":
				conflict.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Two keys: the first delivery of each key answers; replays of the
	// winning key repeat its success, the other key's are conflicts.
	if e.month("wang") != 80 || e.store.EntryCount() != 1 {
		t.Fatalf("applied: month %d, entries %d", e.month("wang"), e.store.EntryCount())
	}
	if ok.Load() < 1 || ok.Load()+conflict.Load() != 8 {
		t.Fatalf("ok %d conflict %d", ok.Load(), conflict.Load())
	}
	ap, _ := e.store.Approval(1)
	if ap.Status != store.Approved || ap.DecidedBy != "hr" || len(ap.Entries) != 1 {
		t.Fatalf("%+v", ap)
	}
	if _, err := e.try("hr", "/reject 1 不合适", ""); errKey(err) != "err.approval_decided" {
		t.Fatalf("reject after approve: %v", err)
	}
}

func TestRejectReleasesTheReservation(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 80 大单")
	resp := e.run("hr", "/reject A1 证据不足")
	if len(resp.Notices) != 1 || resp.Notices[0].To != "zhang" {
		t.Fatalf("%+v", resp)
	}
	if e.month("wang") != 0 {
		t.Fatal("rejected award applied")
	}
	e.run("hr", "/award @王芳 100 大单") // the cap is free again
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 全勤")
	resp := e.run("hr", "/撤销 #1 重复录入")
	if resp.Reply.Kind != "revoke" || e.month("wang") != 0 {
		t.Fatalf("%+v month %d", resp, e.month("wang"))
	}
	if _, err := e.try("hr", "/revoke 1 再来一次", ""); errKey(err) != "err.already_revoked" {
		t.Fatal(err)
	}
	if _, err := e.try("hr", "/revoke 2 撤销撤销", ""); errKey(err) != "err.revoke_revoke" {
		t.Fatal(err)
	}
	// The once-a-month slot is free again after the revoke.
	e.run("zhang", "/award @王芳 全勤")
	if rep, _ := e.store.Verify(); !rep.OK() {
		t.Fatal(rep.Problems)
	}
}

func TestReplayedDeliveryAppliesOnce(t *testing.T) {
	e := newEnv(t)
	first, err := e.try("zhang", "/award @王芳 10 好评", "slack:T1:trigger-42")
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.try("zhang", "/award @王芳 10 好评", "slack:T1:trigger-42")
	if err != nil {
		t.Fatal(err)
	}
	// The same answer, marked as a replay (its notices are not sent again).
	if first.Replayed || !again.Replayed {
		t.Errorf("replayed: first %v, again %v", first.Replayed, again.Replayed)
	}
	again.Replayed = false
	if e.month("wang") != 10 || fmt.Sprint(first) != fmt.Sprint(again) {
		t.Fatalf("month %d\n%+v\n%+v", e.month("wang"), first, again)
	}
}

// TestConcurrentAwardsRespectEveryLimit: 64 goroutines award at once; the
// allowance and the receiver cap hold exactly and nothing is lost.
func TestConcurrentAwardsRespectEveryLimit(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for i := range 64 {
		wg.Go(func() {
			to := []string{"@王芳", "@李娜"}[i%2]
			_, err := e.try("zhang", "/award "+to+" 7 好评", fmt.Sprintf("k%d", i))
			switch errKey(err) {
			case "":
				accepted.Add(1)
			case "err.allowance":
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	used := e.store.GiverUsed("zhang", "award", jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai))
	// 130 allowance / 7 = 18 awards.
	if accepted.Load() != 18 || used != 126 || e.month("wang")+e.month("li") != 126 {
		t.Fatalf("accepted %d used %d", accepted.Load(), used)
	}
}

func TestThanksAllowance(t *testing.T) {
	e := newEnv(t)
	e.run("wang", "/感谢 @李娜 3 帮我整理报价单")
	e.run("wang", "/thanks @陈静 帮我看了合同") // 1 point by default
	_, err := e.try("wang", "/thanks @李娜 2 再次感谢", "")
	var je *jifen.Error
	if !errors.As(err, &je) || je.Key != "err.thanks_allowance" || je.Args[0] != int64(1) {
		t.Fatalf("%#v", err)
	}
	// A new week brings a new allowance.
	e.clock.Add(7 * 24 * time.Hour)
	e.run("wang", "/thanks @李娜 2 再次感谢")
}

func TestScoreAndLeaderboard(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 20 好评")
	e.run("zhang", "/award @李娜 10 好评")
	e.run("zhang", "/deduct @李娜 5 迟到")
	e.run("zhao", "/award @陈静 15 好评")

	s := e.run("wang", "/score").Reply
	if s.Table == nil || !strings.Contains(strings.Join(s.Text, "\n"), "全公司第 1 / 6") {
		t.Fatalf("score %+v", s)
	}
	li := e.run("li", "/积分").Reply
	text := strings.Join(li.Text, "\n")
	if !strings.Contains(text, "全公司第 3 / 6") || !strings.Contains(text, "销售部第 2 / 3") {
		t.Fatalf("rank text %q", text)
	}
	// 李娜's weakest category: 考勤 (-5 against a department average of -5/3).
	if !strings.Contains(text, "最需加强：考勤") {
		t.Fatalf("weakest: %q", text)
	}
	// An employee may not see a colleague's score at all (the default
	// policy; see TestScoreVisibility).
	if other, err := e.try("chen", "/score @王芳", ""); errKey(err) != "err.score_private" || other.Reply.Table != nil {
		t.Fatalf("a colleague's score shown to an employee: %+v %v", other.Reply, err)
	}
	if mgr := e.run("zhang", "/score @王芳").Reply; mgr.Table == nil {
		t.Fatal("manager cannot see own team's breakdown")
	}
	lb := e.run("chen", "/排行").Reply
	if lb.Table == nil || len(lb.Table.Rows) != 3 || lb.Table.Rows[0][1] != "王芳" || lb.Table.Rows[1][1] != "陈静" {
		t.Fatalf("leaderboard %+v", lb.Table)
	}
	if !strings.Contains(lb.Footer, "第 2 / 6") {
		t.Fatalf("footer %q", lb.Footer)
	}
	dept := e.run("chen", "/leaderboard month 销售部").Reply
	if len(dept.Table.Rows) != 2 {
		t.Fatalf("dept leaderboard %+v", dept.Table)
	}
	if empty := e.run("chen", "/leaderboard 2025-01").Reply; empty.Table != nil {
		t.Fatal("empty period has a table")
	}
}

func TestEnglishCatalogRendersErrors(t *testing.T) {
	e := newEnv(t)
	e.bot.lang = "en"
	msg := e.bot.Handle(context.Background(), Request{Caller: e.member("zhang"), Text: "/award @王芳 30 好评"}).Reply
	if msg.Text[0] != "“客户好评” is worth 5 to 20 points; you wrote 30." {
		t.Fatalf("%q", msg.Text[0])
	}
}
