package bot

import (
	"strings"
	"testing"
)

// Issue 15, defect 5: after a 100-point award went to approval and a
// 10-point award applied, the receiver was told "你本月积分：110" while
// /score said 10. Every figure counts applied entries only; pending points
// are named apart, as pending.
func TestReceiverFiguresCountAppliedEntriesOnly(t *testing.T) {
	e := newEnv(t)
	if r := e.run("zhang", "/award @王芳 100 大单"); r.Reply.Kind != "approval" {
		t.Fatalf("not pending: %+v", r.Reply)
	}
	notice := func(r Response, to string) string {
		t.Helper()
		for _, n := range r.Notices {
			if n.To == to {
				return strings.Join(n.Message.Text, "\n")
			}
		}
		t.Fatalf("no notice to %s: %+v", to, r.Notices)
		return ""
	}
	for _, c := range []struct{ as, text, want string }{
		{"zhang", "/award @王芳 10 好评", "张伟 给你加了 10 分（客户好评）。你本月积分：10。\n另有 100 分待审批，批准后才计入。"},
		{"zhang", "/deduct @王芳 迟到", "张伟 给你扣了 5 分（迟到）。你本月积分：5。\n另有 100 分待审批，批准后才计入。"},
		{"li", "/thanks @王芳 2 帮我整理报价单", "李娜 感谢了你，+2 分（感谢）。你本月积分：7。\n另有 100 分待审批，批准后才计入。"},
	} {
		if got := notice(e.run(c.as, c.text), "wang"); got != c.want {
			t.Errorf("%s: notice\n%s\nwant\n%s", c.text, got, c.want)
		}
	}
	if e.month("wang") != 7 {
		t.Fatalf("/score month %d", e.month("wang"))
	}
	// The giver's allowance: 130, 10 used, 100 held by the request.
	fields := e.run("zhang", "/rules").Reply.Fields
	var allowance string
	for _, f := range fields {
		if strings.Contains(f.Label, "加分额度") {
			allowance = f.Value
		}
	}
	if allowance != "剩余 20 / 130 分（另有 100 分已被待审批的申请占用）" {
		t.Fatalf("allowance %q in %+v", allowance, fields)
	}
	// Once approved, the points count and nothing is pending.
	if got := notice(e.run("hr", "/approve A1"), "wang"); got != "张伟 给你加了 100 分（签约大单）。你本月积分：107。" {
		t.Fatalf("approved notice %q", got)
	}
}
