package rules

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"jifen"
)

func ptr(n int64) *int64 { return &n }

func testCatalog() *Catalog {
	return &Catalog{
		Categories: []Category{{ID: "sat", Name: "客户满意度"}, {ID: "att", Name: "考勤"}, {ID: "team", Name: "内部协作"}, {ID: "sales", Name: "销售业绩"}},
		Behaviors: []Behavior{
			{ID: "good_review", Name: "客户好评", Category: "sat", Aliases: []string{"好评", "表扬信"}, Tags: []string{"好评", "review"}, Min: 10, Max: 10,
				Limits: []BehaviorLimit{{Period: jifen.Month, Times: 3}}},
			{ID: "full_attendance", Name: "全勤", Category: "att", Tags: []string{"全勤"}, Min: 10, Max: 10,
				Limits: []BehaviorLimit{{Period: jifen.Month, Times: 1}}},
			{ID: "late", Name: "迟到", Category: "att", Min: -5, Max: -5},
			{ID: "complaint", Name: "客户投诉", Category: "sat", Aliases: []string{"投诉"}, Min: -20, Max: -5},
			{ID: "new_customer", Name: "开发新客户", Category: "sales", Aliases: []string{"新客户"}, Tags: []string{"拓客"}, Min: 5, Max: 20,
				Limits: []BehaviorLimit{{Period: jifen.Week, Points: 30}}},
			{ID: "big_deal", Name: "签大单", Category: "sales", Min: 30, Max: 100, Roles: []jifen.Role{jifen.RoleManager}},
			{ID: "peer_thanks", Name: "感谢", Category: "team", Min: 1, Max: 5, Roles: []jifen.Role{jifen.RoleEmployee, jifen.RoleManager}},
		},
		ReceiverLimits: []NetLimit{{Period: jifen.Month, Max: ptr(100), Min: ptr(-30)}},
		Allowances: map[jifen.Role]Allowance{
			jifen.RoleManager:  {Period: jifen.Month, Points: 100, PerMember: 10, MaxPerAward: 60},
			jifen.RoleEmployee: {Period: jifen.Month, Points: 0},
		},
		Thanks:            &Thanks{Behavior: "peer_thanks", Period: jifen.Month, Allowance: 10, MaxPerThanks: 5},
		ApprovalThreshold: 50,
	}
}

func TestMatch(t *testing.T) {
	c := testCatalog()
	tests := []struct {
		reason, want, note string
	}{
		{"客户好评", "good_review", ""},
		{"好评", "good_review", ""},
		{"表扬信 来自华为", "good_review", "来自华为"},
		{"#好评", "good_review", ""},
		{"＃好评", "good_review", ""},
		{"周五 加班 处理 #review", "good_review", "周五 加班 处理"},
		{"#REVIEW!", "good_review", ""},
		{"GOOD_REVIEW", "good_review", ""},
		{"谢谢你帮忙 #拓客", "new_customer", "谢谢你帮忙"},
		{"全勤", "full_attendance", ""},
		{"投诉 态度差", "complaint", "态度差"},
	}
	for _, tt := range tests {
		m, err := c.Match(tt.reason)
		if err != nil {
			t.Errorf("Match(%q): %v", tt.reason, err)
			continue
		}
		if m.Behavior.ID != tt.want || m.Note != tt.note {
			t.Errorf("Match(%q) = %s %q, want %s %q", tt.reason, m.Behavior.ID, m.Note, tt.want, tt.note)
		}
	}
}

func TestMatchUnknown(t *testing.T) {
	c := testCatalog()
	tests := []struct {
		reason string
		shown  string
		want   []string
	}{
		{"客户好", "客户好", []string{"客户好评"}},
		{"客服好评", "客服好评", []string{"客户好评"}},
		{"新客", "新客", []string{"开发新客户"}},
		{"#迟 今天", "#迟", []string{"迟到"}},
		{"出差补贴", "出差补贴", nil},
		{"#不存在 新客户", "#不存在", nil}, // an unknown tag is reported, not guessed around
		{"帮我搬家 辛苦了", "帮我搬家", nil},
	}
	for _, tt := range tests {
		_, err := c.Match(tt.reason)
		var e *jifen.Error
		if !errors.As(err, &e) || e.Key != "err.unknown_behavior" || e.Code != jifen.EINVALID {
			t.Errorf("Match(%q) err = %v, want err.unknown_behavior", tt.reason, err)
			continue
		}
		if e.Args[0] != tt.shown {
			t.Errorf("Match(%q) shows %q, want %q", tt.reason, e.Args[0], tt.shown)
		}
		if got := e.Args[1].([]string); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(%q) suggests %q, want %q", tt.reason, got, tt.want)
		}
	}
	if _, err := c.Match("  "); jifen.ErrorCode(err) != jifen.EINVALID || !strings.Contains(err.Error(), "reason_required") {
		t.Errorf("empty reason: %v", err)
	}
}

func TestSuggestLimit(t *testing.T) {
	c := testCatalog()
	got := c.Suggest("客户", 2) // contained in 客户好评, 客户投诉, 开发新客户
	if len(got) != 2 || got[0] != "客户好评" || got[1] != "客户投诉" {
		t.Errorf("Suggest(客户, 2) = %q", got)
	}
	if got := c.Suggest("", 3); got != nil {
		t.Errorf("Suggest(\"\") = %q", got)
	}
}

// fakeUsage is usage given per test.
type fakeUsage struct {
	net    map[string]int64 // member|periodkey
	times  map[string]int   // member|behavior|periodkey
	points map[string]int64
	giver  map[string]int64 // giver|pool|periodkey
}

func (u fakeUsage) Net(m string, p jifen.Period) int64 { return u.net[m+"|"+p.Key] }
func (u fakeUsage) BehaviorUse(m, b string, p jifen.Period) (int, int64) {
	return u.times[m+"|"+b+"|"+p.Key], u.points[m+"|"+b+"|"+p.Key]
}
func (u fakeUsage) GiverUse(g string, pool Pool, p jifen.Period) int64 {
	return u.giver[g+"|"+string(pool)+"|"+p.Key]
}

func TestCheck(t *testing.T) {
	c := testCatalog()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-11-30 23:30 in Shanghai is still November there, December in UTC+? no: UTC is 15:30 on the 30th.
	at := time.Date(2026, 11, 30, 15, 30, 0, 0, time.UTC)
	admin := jifen.Member{ID: "hr", Name: "李娜", Role: jifen.RoleAdmin}
	admin2 := jifen.Member{ID: "boss", Name: "赵强", Role: jifen.RoleAdmin}
	mgr := jifen.Member{ID: "zw", Name: "张伟", Role: jifen.RoleManager, Department: "销售部"}
	emp := jifen.Member{ID: "wf", Name: "王芳", Role: jifen.RoleEmployee}
	emp2 := jifen.Member{ID: "ly", Name: "刘洋", Role: jifen.RoleEmployee}
	b := c.Behavior
	none := fakeUsage{}

	tests := []struct {
		name     string
		r        Request
		u        fakeUsage
		key      string
		args     []any
		approval bool
	}{
		{name: "plain award", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10}},
		{name: "award with a deduction", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("late"), Points: 5},
			key: "err.use_deduct", args: []any{"迟到"}},
		{name: "deduct with an award", r: Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: -10},
			key: "err.use_award", args: []any{"客户好评"}},
		{name: "deduction", r: Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("complaint"), Points: -20}},
		{name: "deduction below range", r: Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("complaint"), Points: -25},
			key: "err.points_range", args: []any{"客户投诉", int64(5), int64(20), int64(25)}},
		{name: "award above range", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("new_customer"), Points: 21},
			key: "err.points_range", args: []any{"开发新客户", int64(5), int64(20), int64(21)}},
		{name: "award below range", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("new_customer"), Points: 4},
			key: "err.points_range", args: []any{"开发新客户", int64(5), int64(20), int64(4)}},
		{name: "employee may not award", r: Request{Kind: jifen.KindAward, Giver: emp, Receivers: []jifen.Member{emp2}, Behavior: b("good_review"), Points: 10},
			key: "err.behavior_role", args: []any{"客户好评", jifen.RoleEmployee}},
		{name: "role list excludes admin? admins may use everything", r: Request{Kind: jifen.KindAward, Giver: admin, Receivers: []jifen.Member{emp}, Behavior: b("big_deal"), Points: 80}},
		{name: "third review allowed", u: fakeUsage{times: map[string]int{"wf|good_review|2026-11": 2}},
			r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10}},
		{name: "fourth review refused", u: fakeUsage{times: map[string]int{"wf|good_review|2026-11": 3}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10},
			key: "err.behavior_times", args: []any{"客户好评", "王芳", 3, jifen.Month}},
		{name: "full attendance once a month", u: fakeUsage{times: map[string]int{"ly|full_attendance|2026-11": 1}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp, emp2}, Behavior: b("full_attendance"), Points: 10},
			key: "err.behavior_times", args: []any{"全勤", "刘洋", 1, jifen.Month}},
		{name: "last month's attendance does not count", u: fakeUsage{times: map[string]int{"wf|full_attendance|2026-10": 1}},
			r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("full_attendance"), Points: 10}},
		{name: "behavior points per week", u: fakeUsage{points: map[string]int64{"wf|new_customer|2026-W49": 15}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("new_customer"), Points: 20},
			key: "err.behavior_points", args: []any{"开发新客户", "王芳", int64(15), jifen.Week}},
		{name: "behavior points exactly used up", u: fakeUsage{points: map[string]int64{"wf|new_customer|2026-W49": 10}},
			r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("new_customer"), Points: 20}},
		{name: "receiver monthly cap", u: fakeUsage{net: map[string]int64{"wf|2026-11": 95}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10},
			key: "err.receiver_max", args: []any{"王芳", int64(5), jifen.Month}},
		{name: "receiver cap reached exactly", u: fakeUsage{net: map[string]int64{"wf|2026-11": 90}},
			r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10}},
		{name: "over the cap already: nothing left", u: fakeUsage{net: map[string]int64{"wf|2026-11": 120}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10},
			key: "err.receiver_max_reached", args: []any{"王芳", int64(100), jifen.Month, "2026-12-01"}},
		{name: "floor reached: says so and when it resets", u: fakeUsage{net: map[string]int64{"wf|2026-11": -30}},
			r:   Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("late"), Points: -5},
			key: "err.receiver_min_reached", args: []any{"王芳", int64(-30), jifen.Month, "2026-12-01"}},
		{name: "behavior points used up: says so", u: fakeUsage{points: map[string]int64{"wf|new_customer|2026-W49": 30}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("new_customer"), Points: 5},
			key: "err.behavior_points_reached", args: []any{"开发新客户", "王芳", int64(30), jifen.Week, "2026-12-07"}},
		{name: "fixed value: one number, not a range", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("full_attendance"), Points: 20},
			key: "err.points_fixed", args: []any{"全勤", int64(10), int64(20)}},
		{name: "deduction is not capped by max", u: fakeUsage{net: map[string]int64{"wf|2026-11": 120}},
			r: Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("late"), Points: -5}},
		{name: "receiver floor", u: fakeUsage{net: map[string]int64{"wf|2026-11": -28}},
			r:   Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("late"), Points: -5},
			key: "err.receiver_min", args: []any{"王芳", int64(2), jifen.Month}},
		{name: "max per award", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("big_deal"), Points: 70},
			key: "err.award_too_big", args: []any{int64(60)}},
		{name: "allowance grows with the team", u: fakeUsage{giver: map[string]int64{"zw|award|2026-11": 130}},
			r: Request{Kind: jifen.KindAward, Giver: mgr, GiverTeamSize: 5, Receivers: []jifen.Member{emp, emp2}, Behavior: b("good_review"), Points: 10}},
		{name: "allowance covers one of two: nobody", u: fakeUsage{giver: map[string]int64{"zw|award|2026-11": 140}},
			r:   Request{Kind: jifen.KindAward, Giver: mgr, GiverTeamSize: 5, Receivers: []jifen.Member{emp, emp2}, Behavior: b("good_review"), Points: 10},
			key: "err.allowance", args: []any{int64(10), int64(20), jifen.Month}},
		{name: "deductions use no allowance", u: fakeUsage{giver: map[string]int64{"zw|award|2026-11": 150}},
			r: Request{Kind: jifen.KindDeduct, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("late"), Points: -5}},
		{name: "admin has no allowance", u: fakeUsage{giver: map[string]int64{"hr|award|2026-11": 100000}},
			r: Request{Kind: jifen.KindAward, Giver: admin, Receivers: []jifen.Member{emp}, Behavior: b("good_review"), Points: 10}},
		{name: "above threshold needs approval", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("big_deal"), Points: 51},
			approval: true},
		{name: "at threshold does not", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: b("big_deal"), Points: 50}},
		{name: "admin above threshold does not", r: Request{Kind: jifen.KindAward, Giver: admin, Receivers: []jifen.Member{emp}, Behavior: b("big_deal"), Points: 80}},
		{name: "admin to admin above threshold needs approval", r: Request{Kind: jifen.KindAward, Giver: admin, Receivers: []jifen.Member{admin2}, Behavior: b("big_deal"), Points: 55},
			approval: true},
		{name: "admin to an employee and an admin above threshold needs approval", r: Request{Kind: jifen.KindAward, Giver: admin, GiverTeamSize: 2, Receivers: []jifen.Member{emp, admin2}, Behavior: b("big_deal"), Points: 55},
			approval: true},
		{name: "admin to admin takes the manager's allowance", u: fakeUsage{giver: map[string]int64{"hr|award|2026-11": 95}},
			r:   Request{Kind: jifen.KindAward, Giver: admin, Receivers: []jifen.Member{admin2}, Behavior: b("good_review"), Points: 10},
			key: "err.allowance", args: []any{int64(5), int64(10), jifen.Month}},
		{name: "admin to admin: the manager's largest award", r: Request{Kind: jifen.KindAward, Giver: admin, Receivers: []jifen.Member{admin2}, Behavior: b("big_deal"), Points: 70},
			key: "err.award_too_big", args: []any{int64(60)}},
		{name: "manager to admin above threshold needs approval", r: Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{admin}, Behavior: b("big_deal"), Points: 51},
			approval: true},
		{name: "thanks", r: Request{Kind: jifen.KindThanks, Giver: emp, Receivers: []jifen.Member{emp2}, Behavior: b("peer_thanks"), Points: 3}},
		{name: "thanks at the maximum", r: Request{Kind: jifen.KindThanks, Giver: emp, Receivers: []jifen.Member{emp2}, Behavior: b("peer_thanks"), Points: 5, At: at},
			u: fakeUsage{}},
		{name: "thanks allowance", u: fakeUsage{giver: map[string]int64{"wf|thanks|2026-11": 8}},
			r:   Request{Kind: jifen.KindThanks, Giver: emp, Receivers: []jifen.Member{emp2, mgr}, Behavior: b("peer_thanks"), Points: 2},
			key: "err.thanks_allowance", args: []any{int64(2), int64(4), jifen.Month}},
		{name: "thanks under another behavior", r: Request{Kind: jifen.KindThanks, Giver: emp, Receivers: []jifen.Member{emp2}, Behavior: b("good_review"), Points: 10},
			key: "err.thanks_disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.At, r.Loc = at, sh
			u := tt.u
			if u.net == nil && u.times == nil && u.points == nil && u.giver == nil {
				u = none
			}
			dec, err := c.Check(r, u)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if dec.NeedsApproval != tt.approval {
					t.Fatalf("NeedsApproval = %v, want %v", dec.NeedsApproval, tt.approval)
				}
				return
			}
			var e *jifen.Error
			if !errors.As(err, &e) || e.Key != tt.key {
				t.Fatalf("Check err = %v, want %s", err, tt.key)
			}
			if tt.args != nil && !reflect.DeepEqual(e.Args, tt.args) {
				t.Fatalf("args = %#v, want %#v", e.Args, tt.args)
			}
		})
	}
}

func TestCheckThanksTooBig(t *testing.T) {
	c := testCatalog()
	c.Thanks.MaxPerThanks = 3
	emp := jifen.Member{ID: "wf", Name: "王芳", Role: jifen.RoleEmployee}
	r := Request{Kind: jifen.KindThanks, Giver: emp, Receivers: []jifen.Member{{ID: "ly", Name: "刘洋"}}, Behavior: c.Behavior("peer_thanks"), Points: 4, At: time.Now()}
	_, err := c.Check(r, fakeUsage{})
	var e *jifen.Error
	if !errors.As(err, &e) || e.Key != "err.thanks_too_big" || e.Args[0] != int64(3) {
		t.Fatalf("err = %v", err)
	}
	c.Thanks = nil
	if _, err := c.Check(r, fakeUsage{}); jifen.ErrorCode(err) != jifen.EFORBIDDEN {
		t.Fatalf("thanks disabled: err = %v", err)
	}
}

// The period a limit counts in is the one of the configured zone: 23:30 on
// 30 November in Shanghai is still November, although 1 December has begun
// nowhere; 00:30 on 1 December in Shanghai is December, although UTC is
// still in November.
func TestCheckPeriodInZone(t *testing.T) {
	c := testCatalog()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	mgr := jifen.Member{ID: "zw", Name: "张伟", Role: jifen.RoleManager}
	emp := jifen.Member{ID: "wf", Name: "王芳", Role: jifen.RoleEmployee}
	u := fakeUsage{times: map[string]int{"wf|full_attendance|2026-11": 1}}
	r := Request{Kind: jifen.KindAward, Giver: mgr, Receivers: []jifen.Member{emp}, Behavior: c.Behavior("full_attendance"), Points: 10, Loc: sh}
	r.At = time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC) // 00:30 on 1 Dec in Shanghai
	if _, err := c.Check(r, u); err != nil {
		t.Errorf("December in Shanghai: %v", err)
	}
	r.At = time.Date(2026, 11, 30, 15, 30, 0, 0, time.UTC) // 23:30 on 30 Nov in Shanghai
	if _, err := c.Check(r, u); err == nil {
		t.Errorf("November in Shanghai: the second 全勤 was allowed")
	}
}

func TestValidate(t *testing.T) {
	if err := testCatalog().Validate(); err != nil {
		t.Fatalf("valid catalog: %v", err)
	}
	c := testCatalog()
	c.Behaviors[1].Aliases = []string{"好评"}                  // taken by good_review
	c.Behaviors[2].Min, c.Behaviors[2].Max = 5, -5           // empty range
	c.Behaviors[3].Max = 5                                   // mixed signs
	c.Behaviors[4].Category = "nope"                         // unknown category
	c.Behaviors[5].Limits = []BehaviorLimit{{Period: "day"}} // bad period, no values
	c.Thanks.Behavior = "late"                               // no such thanks: late is a deduction (and range broken)
	c.ReceiverLimits = append(c.ReceiverLimits, NetLimit{Period: jifen.Week})
	err := c.Validate()
	if err == nil {
		t.Fatal("broken catalog validated")
	}
	for _, want := range []string{`alias "好评"`, `range 5..-5 is empty`, "mixes awards and deductions", `unknown category "nope"`,
		`unknown period "day"`, "positive times or points", `thanks: behavior "late"`, "neither max nor min"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate misses %q in:\n%v", want, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, b := testCatalog(), testCatalog()
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("equal catalogs differ")
	}
	changes := []func(c *Catalog){
		func(c *Catalog) { c.Behaviors[0].Max = 11 },
		func(c *Catalog) { c.Behaviors[0].Aliases = append(c.Behaviors[0].Aliases, "赞") },
		func(c *Catalog) { c.Allowances[jifen.RoleManager] = Allowance{Period: jifen.Month, Points: 101} },
		func(c *Catalog) { c.ApprovalThreshold = 0 },
		func(c *Catalog) { *c.ReceiverLimits[0].Max = 99 },
		func(c *Catalog) { c.Thanks = nil },
	}
	for i, change := range changes {
		c := testCatalog()
		change(c)
		if c.Fingerprint() == a.Fingerprint() {
			t.Errorf("change %d kept the fingerprint", i)
		}
	}
}

func TestPolicyTargets(t *testing.T) {
	p := Policy{Behavior: "late", Behaviors: []string{"early", "late"}, Categories: []string{"safety"}}
	for _, tc := range []struct {
		name               string
		behavior, category string
		want               bool
	}{
		{"its behavior", "late", "attendance", true},
		{"one of its behaviors", "early", "attendance", true},
		{"any behavior of its category", "helmet", "safety", true},
		{"another behavior of another category", "full", "attendance", false},
		{"no behavior and no category", "", "", false},
	} {
		if got := p.Targets(tc.behavior, tc.category); got != tc.want {
			t.Errorf("%s: Targets(%q, %q) = %v, want %v", tc.name, tc.behavior, tc.category, got, tc.want)
		}
	}
	if got := p.TargetBehaviors(); !slices.Equal(got, []string{"late", "early"}) {
		t.Errorf("TargetBehaviors = %v", got)
	}
	if (Policy{}).Targeted() || !p.Targeted() {
		t.Error("Targeted: a policy targets something when it names a behavior or a category")
	}
}
