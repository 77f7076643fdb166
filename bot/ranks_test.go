package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"jifen"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// withMembers adds members to the test company.
func (e *env) withMembers(ms ...jifen.Member) {
	e.t.Helper()
	if err := e.store.SyncMembers(context.Background(), ms); err != nil {
		e.t.Fatal(err)
	}
}

// A member hired after a period, or gone before it, is not counted in it:
// not in "第 N / M", and without a rank of their own ("—").
func TestRanksCountOnlyMembersEmployedInThePeriod(t *testing.T) {
	e := newEnv(t)
	e.withMembers(
		jifen.Member{ID: "xin", Name: "新人", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2026, 12, 1)},
		jifen.Member{ID: "gone", Name: "老员工", Department: "销售部", Role: jifen.RoleEmployee, Left: date(2026, 10, 31)},
	)
	e.clock.Set(time.Date(2026, 10, 20, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @老员工 10 好评")
	e.clock.Set(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	e.run("zhang", "/award @王芳 20 好评")
	e.run("zhang", "/deduct @李娜 5 迟到")

	// November counts the six of the test company: not the hire of
	// December, not the leaver of October.
	for _, tc := range []struct{ who, want string }{
		{"wang", "全公司第 1 / 6，销售部第 1 / 3"},
		{"zhang", "全公司第 2 / 6，销售部第 2 / 3"},
		{"li", "全公司第 6 / 6，销售部第 3 / 3"},
		{"xin", "全公司第 — / 6，销售部第 — / 3"},
		{"gone", "全公司第 — / 6，销售部第 — / 3"},
	} {
		if text := strings.Join(e.run(tc.who, "/score").Reply.Text, "\n"); !strings.Contains(text, tc.want) {
			t.Errorf("/score of %s: %q, want %q", tc.who, text, tc.want)
		}
	}
	if f := e.run("gone", "/leaderboard").Reply.Footer; f != "你不参与 本月（2026-11） 的排名：这段时间你不在职。" {
		t.Errorf("footer of a leaver: %q", f)
	}
	if f := e.run("xin", "/leaderboard month 销售部").Reply.Footer; !strings.HasPrefix(f, "你不参与") {
		t.Errorf("footer of a hire to come: %q", f)
	}
	// October counts the leaver, who ranks first; the hire is not there.
	oct := e.run("wang", "/leaderboard 2026-10").Reply
	if oct.Table == nil || len(oct.Table.Rows) != 1 || oct.Table.Rows[0][1] != "老员工" || oct.Footer != "你的排名：第 2 / 7（0 分）" {
		t.Errorf("October: %+v, footer %q", oct.Table, oct.Footer)
	}
	pr := e.bot.PersonalReport(e.member("xin"), jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai))
	if got := fmt.Sprint(pr.Fields[1].Value, " ", pr.Fields[2].Value); got != "— / 3 — / 3" {
		t.Errorf("personal report of a hire to come: %q", got)
	}
}

// The scheduled leaderboard's movement: a member at 0 last period had a
// rank (zeros included) and moves from it; only a member not counted last
// period is new.
func TestLeaderboardPostMovementCountsZerosAndHires(t *testing.T) {
	e := newEnv(t)
	e.withMembers(jifen.Member{ID: "xin", Name: "新人", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2026, 11, 2)})
	// October: 王芳 30, 李娜 20, then four at 0 (张伟, 陈静, 刘敏, 赵强) at 3.
	e.clock.Set(time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @王芳 30 大单")
	e.run("hr", "/award @李娜 20 大单")
	e.clock.Set(time.Date(2026, 11, 15, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @陈静 40 大单")
	e.run("hr", "/award @新人 30 大单")
	e.run("hr", "/award @李娜 20 大单")
	e.run("hr", "/award @王芳 10 好评")
	nov := jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai)
	for _, tc := range []struct {
		dept string
		want []string
	}{
		{"", []string{"🥇 陈静 ↑2", "🥈 新人 新上榜", "🥉 李娜 ↓1", "4 王芳 ↓3"}},
		// 销售部 in October: 王芳 1, 李娜 2, 张伟 3 (at 0).
		{"销售部", []string{"🥇 新人 新上榜", "🥈 李娜 —", "🥉 王芳 ↓2"}},
	} {
		m := e.bot.LeaderboardPost(nov, tc.dept, 10)
		var got []string
		for _, r := range m.Table.Rows {
			got = append(got, r[0]+" "+r[1]+" "+r[4])
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %v, want %v", tc.dept, got, tc.want)
		}
	}
}
