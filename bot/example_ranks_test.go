package bot_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jifen"
	"jifen/bot"
	"jifen/bot/bottest"
	"jifen/locale"
)

const examplePath = "../config.example.yaml"

// say runs text as the member with the given id on the example company.
func say(t *testing.T, ex bottest.Example, as, text string) bot.Message {
	t.Helper()
	m, ok := ex.Store.Member(as)
	if !ok {
		t.Fatalf("no member %s", as)
	}
	return ex.Bot.Handle(context.Background(), bot.Request{Caller: m, Text: text, Source: "test"}).Reply
}

func mustSay(t *testing.T, ex bottest.Example, as, text string) bot.Message {
	t.Helper()
	msg := say(t, ex, as, text)
	if msg.Kind == "error" {
		t.Fatalf("%s: %q: %v", as, text, msg.Text)
	}
	return msg
}

// rows is a leaderboard's rank and name columns, "🥇 王芳".
func rows(msg bot.Message) []string {
	if msg.Table == nil {
		return nil
	}
	var out []string
	for _, r := range msg.Table.Rows {
		out = append(out, r[0]+" "+r[1]+" "+r[3])
	}
	return out
}

// Issue 15, defect 1, exactly as reported on the example company (19
// members): 刘洋 at -5 must rank below the 17 members at 0, and nobody at 0
// or less gets a medal.
func TestNegativeScoreRanksBelowZero(t *testing.T) {
	ex := bottest.New(t, examplePath)
	mustSay(t, ex, "zhangwei", "/award @王芳 10 客户好评")
	mustSay(t, ex, "zhangwei", "/deduct @刘洋 迟到")

	lb := mustSay(t, ex, "chenjing", "/排行")
	if got := strings.Join(rows(lb), ","); got != "🥇 王芳 10" {
		t.Errorf("leaderboard rows %q, want only 王芳 with a medal (0 and below are not listed)", got)
	}
	if lb.Footer != "你的排名：第 2 / 19（0 分）" {
		t.Errorf("陈静's footer %q, want 第 2 / 19", lb.Footer)
	}
	if f := mustSay(t, ex, "liuyang", "/排行").Footer; f != "你的排名：第 19 / 19（-5 分）" {
		t.Errorf("刘洋's footer %q, want 第 19 / 19", f)
	}
	for _, who := range []string{"zhangwei", "zhaoqiang", "liuyang"} {
		text := strings.Join(mustSay(t, ex, who, "/积分 @刘洋").Text, "\n")
		if !strings.Contains(text, "全公司第 19 / 19，销售部第 4 / 4") {
			t.Errorf("/积分 @刘洋 by %s: %q, want 第 19 / 19 and 第 4 / 4 in 销售部", who, text)
		}
	}
	text := strings.Join(mustSay(t, ex, "zhoujie", "/积分").Text, "\n")
	if !strings.Contains(text, "全公司第 2 / 19，销售部第 2 / 4") {
		t.Errorf("/积分 of 周杰 at 0: %q, want 第 2 / 19", text)
	}
	// The personal report ranks the same way, among peers of the role too.
	liu, _ := ex.Store.Member("liuyang")
	month := jifen.PeriodOf(jifen.Month, bottest.Now, ex.Config.Location)
	pr := ex.Bot.PersonalReport(liu, month)
	fields := map[string]string{}
	for _, f := range pr.Fields {
		fields[f.Label] = f.Value
	}
	// Employees: 13 counted; 王芳 10, eleven at 0, 刘洋 -5.
	if fields["销售部排名"] != "4 / 4" || fields["同岗位（员工）排名"] != "13 / 13" {
		t.Errorf("personal report of 刘洋: %v", fields)
	}
}

// Ties share a rank (1, 2, 2, 4) on /score, /leaderboard and the footer
// alike, at 0 and below 0 too, and the medal follows the rank.
func TestTiesShareARank(t *testing.T) {
	ex := bottest.New(t, examplePath)
	mustSay(t, ex, "zhaoqiang", "/award @王芳 20 里程碑完成")
	mustSay(t, ex, "zhaoqiang", "/award @陈静 10 客户好评")
	mustSay(t, ex, "zhaoqiang", "/award @徐明 10 客户好评")
	mustSay(t, ex, "zhaoqiang", "/award @马亮 5 按期交付")
	mustSay(t, ex, "zhangwei", "/deduct @刘洋 迟到")
	mustSay(t, ex, "zhangwei", "/deduct @周杰 迟到")

	got := strings.Join(rows(mustSay(t, ex, "zhaoqiang", "/leaderboard")), ",")
	if want := "🥇 王芳 20,🥈 陈静 10,🥈 徐明 10,4 马亮 5"; got != want {
		t.Errorf("leaderboard %q, want %q", got, want)
	}
	for _, tc := range []struct{ who, rank string }{
		{"wangfang", "第 1 / 19"}, {"chenjing", "第 2 / 19"}, {"xuming", "第 2 / 19"}, {"maliang", "第 4 / 19"},
		{"songtao", "第 5 / 19"}, {"zhaoqiang", "第 5 / 19"}, // 13 at 0
		{"liuyang", "第 18 / 19"}, {"zhoujie", "第 18 / 19"}, // two at -5

	} {
		if text := strings.Join(mustSay(t, ex, tc.who, "/score").Text, "\n"); !strings.Contains(text, "全公司"+tc.rank) {
			t.Errorf("/score of %s: %q, want %s", tc.who, text, tc.rank)
		}
		if f := mustSay(t, ex, tc.who, "/leaderboard").Footer; !strings.Contains(f, tc.rank) {
			t.Errorf("leaderboard footer of %s: %q, want %s", tc.who, f, tc.rank)
		}
	}
}

// A period that has not begun has no leaderboard: refused in the caller's
// language, nothing written.
func TestLeaderboardOfAPeriodToComeIsRefused(t *testing.T) {
	ex := bottest.New(t, examplePath)
	before := ex.Store.EntryCount()
	msg := say(t, ex, "wangfang", "/leaderboard 2026-12")
	if want := locale.T("zh", "err.leaderboard_not_begun", "2026-12", "2026-11-10"); msg.Kind != "error" || msg.Text[0] != want {
		t.Errorf("zh: %+v, want %q", msg, want)
	}
	en := bot.New(bot.Options{Store: ex.Store, Catalog: ex.Config.Rules, Language: "en"})
	wang, _ := ex.Store.Member("wangfang")
	msg = en.Handle(context.Background(), bot.Request{Caller: wang, Text: "/leaderboard 2027"}).Reply
	if msg.Kind != "error" || msg.Text[0] != "2027 has not begun yet (today is 2026-11-10): there is no leaderboard to show." {
		t.Errorf("en: %+v", msg)
	}
	if ex.Store.EntryCount() != before {
		t.Error("a refused leaderboard wrote entries")
	}
	// The current period and past ones are shown.
	for _, text := range []string{"/leaderboard 2026-11", "/leaderboard 2026-W46", "/leaderboard 2026", "/leaderboard 2025-12"} {
		mustSay(t, ex, "wangfang", text)
	}
}

// Defect 7: whose score one may see is the config's privacy policy.
func TestScoreVisibility(t *testing.T) {
	refused := func(msg bot.Message) bool {
		return msg.Kind == "error" && msg.Table == nil && len(msg.Fields) == 0 && len(msg.Text) == 1 &&
			!strings.ContainsAny(msg.Text[0], "0123456789")
	}
	t.Run("defaults", func(t *testing.T) {
		ex := bottest.New(t, examplePath)
		mustSay(t, ex, "zhangwei", "/award @王芳 10 客户好评")
		for _, tc := range []struct {
			who, target string
			ok          bool
		}{
			{"wangfang", "@王芳", true},    // oneself, always
			{"liuyang", "@王芳", false},    // an employee, a colleague of the same department
			{"chenjing", "@王芳", false},   // an employee, another department
			{"zhangwei", "@王芳", true},    // the manager of 销售部, own department
			{"zhangwei", "@陈静", false},   // … another department
			{"wumin", "@王芳", false},      // the manager of 客服部
			{"zhaoqiang", "@王芳", true},   // an admin: everyone
			{"hr_li", "@宋涛", true},       // an admin: everyone
			{"zhaoqiang", "@积分助手", true}, // even a bot account
		} {
			msg := say(t, ex, tc.who, "/score "+tc.target)
			switch {
			case tc.ok && (msg.Kind != "score" || len(msg.Fields) == 0):
				t.Errorf("%s /score %s refused: %+v", tc.who, tc.target, msg)
			case !tc.ok && !refused(msg):
				t.Errorf("%s /score %s: %+v, want a refusal without figures", tc.who, tc.target, msg)
			}
		}
		msg := say(t, ex, "liuyang", "/score @王芳")
		if want := "你不能查看 王芳 的积分：按本公司的设置，员工只能查看自己的积分。"; msg.Text[0] != want {
			t.Errorf("refusal %q, want %q", msg.Text[0], want)
		}
		en := bot.New(bot.Options{Store: ex.Store, Catalog: ex.Config.Rules, Language: "en"})
		wu, _ := ex.Store.Member("wumin")
		msg = en.Handle(context.Background(), bot.Request{Caller: wu, Text: "/score @王芳"}).Reply
		if want := "You may not see the score of 王芳: this company lets each manager see the scores of their own department only."; msg.Text[0] != want {
			t.Errorf("en refusal %q, want %q", msg.Text[0], want)
		}
		// The public leaderboard is not governed by it.
		if lb := mustSay(t, ex, "chenjing", "/leaderboard"); len(rows(lb)) != 1 {
			t.Errorf("leaderboard %+v", lb.Table)
		}
	})
	t.Run("configured", func(t *testing.T) {
		data, err := os.ReadFile(examplePath)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.Replace(string(data), "    employee: self\n    manager: department\n", "    employee: everyone\n    manager: self\n", 1)
		if src == string(data) {
			t.Fatal("the example's privacy section has moved")
		}
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		ex := bottest.New(t, path)
		if msg := say(t, ex, "chenjing", "/score @王芳"); msg.Kind != "score" || msg.Table == nil {
			t.Errorf("employee with everyone: %+v", msg)
		}
		if msg := say(t, ex, "zhangwei", "/score @王芳"); !refused(msg) {
			t.Errorf("manager with self: %+v", msg)
		}
		if msg := say(t, ex, "zhangwei", "/score"); msg.Kind != "score" {
			t.Errorf("manager's own score: %+v", msg)
		}
	})
}
