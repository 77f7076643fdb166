package slack

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/slack -run Golden -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

// TestBlockKitGolden renders a real reply of every kind, produced by the
// command core on the example company, as Block Kit.
func TestBlockKitGolden(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	as := func(id string) jifen.Member {
		m, ok := h.st.Member(id)
		if !ok {
			t.Fatalf("no member %s", id)
		}
		return m
	}
	run := func(who, text string) bot.Response {
		return h.a.bot.Handle(ctx, bot.Request{Caller: as(who), Text: text, Source: "slack"})
	}
	cases := []struct {
		name string
		msg  func() bot.Message
		cmd  string
		page int
	}{
		{name: "award", msg: func() bot.Message {
			return run("zhangwei", "/award @王芳 @刘洋 10 客户好评 华为来信表扬").Reply
		}},
		{name: "deduct", msg: func() bot.Message { return run("zhangwei", "/deduct @王芳 迟到").Reply }},
		{name: "thanks", msg: func() bot.Message { return run("wangfang", "/thanks @刘洋 3 帮我整理报价单").Reply }},
		{name: "score", msg: func() bot.Message { return run("wangfang", "/score").Reply }},
		{name: "leaderboard", msg: func() bot.Message { return run("zhangwei", "/leaderboard month").Reply }},
		{name: "history", msg: func() bot.Message { return run("wangfang", "/history").Reply }},
		{name: "rules-page1", cmd: "/rules", msg: func() bot.Message { return run("zhangwei", "/rules").Reply }},
		{name: "rules-page2", cmd: "/rules", page: 1, msg: func() bot.Message { return run("zhangwei", "/rules").Reply }},
		{name: "help", msg: func() bot.Message { return run("wangfang", "/help").Reply }},
		{name: "approval-card", msg: func() bot.Message {
			for _, n := range run("zhangwei", "/award @刘洋 80 签大单 中标某汽车零部件项目").Notices {
				if n.To == "hr_li" {
					return n.Message
				}
			}
			t.Fatal("no approval card for 李娜")
			return bot.Message{}
		}},
		{name: "revoke", msg: func() bot.Message { return run("hr_li", "/revoke 1 重复录入").Reply }},
		{name: "error", msg: func() bot.Message { return run("zhangwei", "/award @张伟 10 客户好评").Reply }},
	}
	for _, c := range cases {
		m := c.msg()
		if m.Kind == "error" && c.name != "error" {
			t.Fatalf("%s: %v", c.name, m.Text)
		}
		r := Render(m, c.cmd, c.page)
		raw, err := json.MarshalIndent(r.Blocks, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, append(raw, '\n'))
		// Slack's own types read the blocks back.
		var back slackapi.Blocks
		if err := json.Unmarshal(raw, &back); err != nil || len(back.BlockSet) != len(r.Blocks) {
			t.Errorf("%s: blocks do not round-trip: %v", c.name, err)
		}
		checkLimits(t, c.name, r)
	}
}

// checkLimits asserts Block Kit's limits on a rendered message.
func checkLimits(t *testing.T, name string, r Rendered) {
	t.Helper()
	if len(r.Blocks) > maxBlocks {
		t.Errorf("%s: %d blocks", name, len(r.Blocks))
	}
	for _, b := range r.Blocks {
		switch b := b.(type) {
		case *slackapi.HeaderBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > maxHeader {
				t.Errorf("%s: header of %d characters", name, n)
			}
		case *slackapi.SectionBlock:
			if b.Text != nil && utf8.RuneCountInString(b.Text.Text) > maxSectionText {
				t.Errorf("%s: section text of %d characters", name, utf8.RuneCountInString(b.Text.Text))
			}
			if len(b.Fields) > maxFields {
				t.Errorf("%s: %d fields", name, len(b.Fields))
			}
			for _, f := range b.Fields {
				if utf8.RuneCountInString(f.Text) > maxFieldText {
					t.Errorf("%s: field of %d characters", name, utf8.RuneCountInString(f.Text))
				}
			}
		case *slackapi.ActionBlock:
			if len(b.Elements.ElementSet) > maxButtons {
				t.Errorf("%s: %d buttons", name, len(b.Elements.ElementSet))
			}
		}
	}
}

func TestRenderStaysWithinLimits(t *testing.T) {
	long := strings.Repeat("很长的理由。", 2000)
	m := bot.Message{Kind: "info", Title: strings.Repeat("标题", 200)}
	for range 200 {
		m.Text = append(m.Text, long)
	}
	for i := range 30 {
		m.Fields = append(m.Fields, bot.Field{Label: "字段", Value: strings.Repeat("值", 3000+i)})
	}
	m.Table = &bot.Table{Columns: []string{"行为", "说明"}}
	for range 100 {
		m.Table.Rows = append(m.Table.Rows, []string{"客户好评", long[:300]})
	}
	for range 40 {
		m.Buttons = append(m.Buttons, bot.Button{Label: strings.Repeat("按钮", 100), ActionID: bot.ActionCommand, Value: "/approve 1"})
	}
	checkLimits(t, "huge", Render(m, "/rules", 3))
	if r := Render(m, "/rules", 3); len(r.Blocks) != maxBlocks {
		t.Errorf("huge message: %d blocks, want the cap %d", len(r.Blocks), maxBlocks)
	}
}

func TestEscapeEverywhere(t *testing.T) {
	evil := "<!channel> <@U123> <http://evil.example|click> & *x*"
	m := bot.Message{Kind: "award", Title: evil, Text: []string{evil}, Fields: []bot.Field{{Label: evil, Value: evil}},
		Table: &bot.Table{Columns: []string{evil}, Rows: [][]string{{evil}}}, Footer: evil,
		Buttons: []bot.Button{{Label: evil, ActionID: bot.ActionCommand, Value: "/approve 1"}}}
	r := Render(m, "/x", 0)
	raw, _ := json.Marshal(r.Blocks)
	all := strings.Join(append(jsonStrings(raw), r.Text), "\n")
	for _, bad := range []string{"<!channel>", "<@U123>", "<http"} {
		// Plain-text objects (the header, button labels) are never parsed
		// for mentions or links; every mrkdwn text must be escaped.
		for _, s := range jsonStringsOfType(raw, "mrkdwn") {
			if strings.Contains(s, bad) {
				t.Errorf("mrkdwn text contains %q: %s", bad, s)
			}
		}
		if strings.Contains(r.Text, bad) {
			t.Errorf("fallback text contains %q", bad)
		}
	}
	if !strings.Contains(all, "&lt;!channel&gt;") {
		t.Errorf("no escaped text in %s", all)
	}
}

// jsonStringsOfType returns the "text" of every text object of the type.
func jsonStringsOfType(raw []byte, typ string) []string {
	var v any
	_ = json.Unmarshal(raw, &v)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if x["type"] == typ {
				if s, ok := x["text"].(string); ok {
					out = append(out, s)
				}
			}
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func TestPagesAndActions(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		page int
	}{{"/rules", 0}, {"/rules 考勤", 3}, {"/history @王芳 50", 1}} {
		c, p, ok := DecodePage(EncodePage(tt.cmd, tt.page))
		if !ok || c != tt.cmd || p != tt.page {
			t.Errorf("round trip of %q %d: %q %d %v", tt.cmd, tt.page, c, p, ok)
		}
	}
	for _, bad := range []string{"", "!!!", EncodePage("rules", 1), EncodePage("/rules", -1), "eyJjIjoiL3J1bGVzIn0"[:10]} {
		if _, _, ok := DecodePage(bad); ok {
			t.Errorf("DecodePage(%q) accepted", bad)
		}
	}
	if !IsCommandAction(CommandActionID(3)) || IsCommandAction(ActionPage+":next") || IsCommandAction("jifen_commander") {
		t.Error("IsCommandAction")
	}
}
