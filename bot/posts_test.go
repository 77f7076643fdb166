package bot

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"jifen"
	"jifen/golden"
	"jifen/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestScheduledPostsGolden fixes the content of every scheduled post: the
// public leaderboard with movement, the digest, a personal report and the
// reminders, as the neutral messages the adapters render.
func TestScheduledPostsGolden(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @王芳 30 大单")
	e.run("hr", "/award @李娜 20 大单")
	e.run("zhang", "/deduct @王芳 迟到")
	e.clock.Set(time.Date(2026, 11, 15, 2, 0, 0, 0, time.UTC))
	e.run("hr", "/award @李娜 50 大单")
	e.run("hr", "/award @王芳 20 大单")
	e.run("zhao", "/award @陈静 10 好评")
	e.run("zhang", "/feedback @王芳 十一月进步明显")
	e.run("zhao", "/award @陈静 60 大单") // waits for approval
	e.clock.Set(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	nov := jifen.PeriodOf(jifen.Month, time.Date(2026, 11, 15, 0, 0, 0, 0, shanghai), shanghai)

	s, err := report.Analyze(e.store, nov, report.Options{Location: shanghai, Now: e.clock.Now(), Catalog: e.bot.cat, T: e.bot.t})
	if err != nil {
		t.Fatal(err)
	}
	reminders, err := e.bot.Reminders()
	if err != nil {
		t.Fatal(err)
	}
	posts := map[string]any{
		"leaderboard":      e.bot.LeaderboardPost(nov, "", 10),
		"leaderboard_dept": e.bot.LeaderboardPost(nov, "销售部", 10),
		"digest":           Digest(s, e.bot.t),
		"personal":         e.bot.PersonalReport(e.member("wang"), nov),
		"reminders":        reminders,
	}
	got, err := json.MarshalIndent(posts, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "scheduled-posts.golden.json"), append(got, '\n'), *update)
}
