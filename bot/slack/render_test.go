package slack

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"jifen/bot"
	"jifen/bot/bottest"
	goldenfile "jifen/golden"
	"jifen/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden.json"), got, *update)
}

// exampleBot is the command core on the example company.
func exampleBot(t *testing.T) (*bot.Bot, *store.Store) {
	ex := bottest.New(t, "../../config.example.yaml")
	return ex.Bot, ex.Store
}

// TestBlockKitGolden renders a real reply of every kind, produced by the
// command core on the example company, as Block Kit. The cases run in
// order on one store: the history and the revoke see the earlier awards.
func TestBlockKitGolden(t *testing.T) {
	b, st := exampleBot(t)
	ctx := context.Background()
	run := func(who, text string) bot.Response {
		t.Helper()
		m, ok := st.Member(who)
		if !ok {
			t.Fatalf("no member %s", who)
		}
		return b.Handle(ctx, bot.Request{Caller: m, Text: text, Source: "slack"})
	}
	cases := []struct {
		name string
		kind string
		msg  func() bot.Message
		cmd  string
		page int
	}{
		{name: "award", kind: "award", msg: func() bot.Message {
			return run("zhangwei", "/award @王芳 @刘洋 10 客户好评 华为来信表扬").Reply
		}},
		{name: "deduct", kind: "deduct", msg: func() bot.Message { return run("zhangwei", "/deduct @王芳 迟到").Reply }},
		{name: "thanks", kind: "thanks", msg: func() bot.Message { return run("wangfang", "/thanks @刘洋 3 帮我整理报价单").Reply }},
		{name: "score", kind: "score", msg: func() bot.Message { return run("wangfang", "/score").Reply }},
		{name: "leaderboard", kind: "leaderboard", msg: func() bot.Message { return run("zhangwei", "/leaderboard month").Reply }},
		{name: "history", kind: "history", msg: func() bot.Message { return run("wangfang", "/history").Reply }},
		{name: "rules-page1", kind: "rules", cmd: "/rules", msg: func() bot.Message { return run("zhangwei", "/rules").Reply }},
		{name: "rules-page2", kind: "rules", cmd: "/rules", page: 1, msg: func() bot.Message { return run("zhangwei", "/rules").Reply }},
		{name: "help", kind: "help", msg: func() bot.Message { return run("wangfang", "/help").Reply }},
		{name: "approval-card", kind: "approval", msg: func() bot.Message {
			for _, n := range run("zhangwei", "/award @刘洋 80 签大单 中标某汽车零部件项目").Notices {
				if n.To == "hr_li" {
					return n.Message
				}
			}
			t.Fatal("no approval card for 李娜")
			return bot.Message{}
		}},
		{name: "revoke", kind: "revoke", msg: func() bot.Message { return run("hr_li", "/revoke 1 重复录入").Reply }},
		{name: "error", kind: "error", msg: func() bot.Message { return run("zhangwei", "/award @张伟 10 客户好评").Reply }},
		{name: "survey-card", kind: "survey", msg: func() bot.Message {
			run("hr_li", "/survey start satisfaction")
			run("wangfang", "/survey answer satisfaction-1 fair 4")
			return run("wangfang", "/survey answer satisfaction-1 reward +2").Reply
		}},
		{name: "survey-results", kind: "survey", msg: func() bot.Message { return run("hr_li", "/survey results satisfaction").Reply }},
	}
	for _, c := range cases {
		m := c.msg()
		if m.Kind != c.kind {
			t.Fatalf("%s: a %q reply, want %q: %v", c.name, m.Kind, c.kind, m.Text)
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
		if r.Text == "" {
			t.Errorf("%s: no fallback text", c.name)
		}
	}
}

// checkLimits asserts Block Kit's limits on a rendered message, and that
// every mrkdwn text is non-empty, verbatim and well escaped (no raw < or >,
// every & starting an entity, none cut in half).
func checkLimits(t *testing.T, name string, r Rendered) {
	t.Helper()
	checkBlocks(t, name, r.Blocks, maxBlocks)
	if n := utf8.RuneCountInString(r.Text); n > maxSectionText {
		t.Errorf("%s: fallback of %d characters", name, n)
	}
	if !wellEscaped(r.Text) {
		t.Errorf("%s: fallback not escaped: %q", name, r.Text)
	}
}

// checkBlocks asserts Block Kit's limits on blocks of a message (at most
// maxBlocks) or a home view (maxHomeBlocks).
func checkBlocks(t *testing.T, name string, blocks []slackapi.Block, limit int) {
	t.Helper()
	if len(blocks) > limit {
		t.Errorf("%s: %d blocks", name, len(blocks))
	}
	ids, blockIDs := map[string]bool{}, map[string]bool{}
	checkButton := func(btn *slackapi.ButtonBlockElement) {
		if n := utf8.RuneCountInString(btn.Text.Text); n > maxButtonLabel || n == 0 {
			t.Errorf("%s: button label of %d characters", name, n)
		}
		if len(btn.Value) > maxButtonValue {
			t.Errorf("%s: button value of %d bytes", name, len(btn.Value))
		}
		if ids[btn.ActionID] {
			t.Errorf("%s: action id %s twice", name, btn.ActionID)
		}
		ids[btn.ActionID] = true
		if len(btn.ActionID) > maxActionID {
			t.Errorf("%s: action id of %d characters", name, len(btn.ActionID))
		}
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slackapi.HeaderBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > maxHeader || n == 0 {
				t.Errorf("%s: header of %d characters", name, n)
			}
		case *slackapi.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("%s: a section without text", name)
			}
			if b.Text != nil {
				checkMrkdwn(t, name, b.Text, maxSectionText)
			}
			if len(b.Fields) > maxFields {
				t.Errorf("%s: %d fields", name, len(b.Fields))
			}
			for _, f := range b.Fields {
				checkMrkdwn(t, name, f, maxFieldText)
			}
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				checkButton(b.Accessory.ButtonElement)
			}
		case *slackapi.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*slackapi.TextBlockObject); ok {
					checkMrkdwn(t, name, o, maxSectionText)
				}
			}
		case *slackapi.ActionBlock:
			if len(b.Elements.ElementSet) > maxButtons || len(b.Elements.ElementSet) == 0 {
				t.Errorf("%s: %d buttons", name, len(b.Elements.ElementSet))
			}
			for _, e := range b.Elements.ElementSet {
				checkButton(e.(*slackapi.ButtonBlockElement))
			}
		}
		if id := blockID(b); id != "" {
			if blockIDs[id] {
				t.Errorf("%s: block id %s twice", name, id)
			}
			blockIDs[id] = true
		}
	}
}

// blockID is a block's block_id, read back from its JSON.
func blockID(b slackapi.Block) string {
	raw, _ := json.Marshal(b)
	var v struct {
		ID string `json:"block_id"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.ID
}

func checkMrkdwn(t *testing.T, name string, o *slackapi.TextBlockObject, limit int) {
	t.Helper()
	if o.Type != slackapi.MarkdownType || !o.Verbatim {
		t.Errorf("%s: text object %+v is not verbatim mrkdwn", name, o)
	}
	if n := utf8.RuneCountInString(o.Text); n > limit || strings.TrimSpace(o.Text) == "" {
		t.Errorf("%s: mrkdwn text of %d characters (limit %d)", name, n, limit)
	}
	if !wellEscaped(o.Text) {
		t.Errorf("%s: mrkdwn text not escaped: %q", name, o.Text)
	}
}

// wellEscaped reports whether s could be Escape's output: no < or >, and
// every & begins a whole entity.
func wellEscaped(s string) bool {
	if strings.ContainsAny(s, "<>") {
		return false
	}
	for i := strings.IndexByte(s, '&'); i >= 0; i = strings.IndexByte(s, '&') {
		s = s[i:]
		if !strings.HasPrefix(s, "&amp;") && !strings.HasPrefix(s, "&lt;") && !strings.HasPrefix(s, "&gt;") {
			return false
		}
		s = s[1:]
	}
	return true
}

func TestRenderStaysWithinLimits(t *testing.T) {
	long := strings.Repeat("很长的理由 & <说明>。", 300) // 4,500 characters, 7,500 escaped
	prefix := func(n int) string { return string([]rune(long)[:n]) }
	table := func(rows int, cell string) *bot.Table {
		tb := &bot.Table{Columns: []string{"行为", "说明"}}
		for range rows {
			tb.Rows = append(tb.Rows, []string{"客户好评", cell})
		}
		return tb
	}
	fields := func(n int) []bot.Field {
		var fs []bot.Field
		for i := range n {
			fs = append(fs, bot.Field{Label: "字段", Value: strings.Repeat("&", 1000+i)})
		}
		return fs
	}
	buttons := func(n int) []bot.Button {
		var bs []bot.Button
		for range n {
			bs = append(bs, bot.Button{Label: strings.Repeat("按钮", 100), ActionID: bot.ActionCommand, Value: "/approve 1"})
		}
		return bs
	}
	questions := func(n int) []bot.Block {
		var bs []bot.Block
		for i := range n {
			bs = append(bs, bot.Block{Text: fmt.Sprintf("%d. 问题", i+1), Note: "当前回答：4", Buttons: []bot.Button{
				{Label: "4", ActionID: bot.ActionCommand, Value: "/survey answer s-1 q 4", Style: "primary"},
				{Label: "填写", ActionID: bot.ActionCommand, Value: "/survey answer s-1 t", Ask: "意见"}}})
		}
		return bs
	}
	everything := bot.Message{Kind: "info", Title: strings.Repeat("标题", 200), Fields: fields(30),
		Table: table(100, prefix(300)), Buttons: buttons(40), Footer: long}
	for range 200 {
		everything.Text = append(everything.Text, long)
	}
	for _, tt := range []struct {
		name   string
		m      bot.Message
		blocks int // the number of blocks, or -1 where the rule leaves it open
		check  func(t *testing.T, r Rendered)
	}{
		{name: "200 long paragraphs are cut at 50 blocks, the last saying so", m: bot.Message{Kind: "info", Text: everything.Text}, blocks: maxBlocks,
			check: func(t *testing.T, r Rendered) {
				last := r.Blocks[maxBlocks-1].(*slackapi.ContextBlock)
				if last.ContextElements.Elements[0].(*slackapi.TextBlockObject).Text != "…" {
					t.Error("the last block does not say the message was cut")
				}
			}},
		{name: "30 fields take three sections of ten", m: bot.Message{Kind: "score", Fields: fields(30)}, blocks: 3},
		{name: "a long header is cut to 150 characters", m: bot.Message{Kind: "info", Title: strings.Repeat("标题", 200)}, blocks: 1,
			check: func(t *testing.T, r Rendered) {
				if h := r.Blocks[0].(*slackapi.HeaderBlock).Text.Text; !strings.HasSuffix(h, "…") || utf8.RuneCountInString(h) != maxHeader {
					t.Errorf("header %q", h)
				}
			}},
		{name: "a table of wide rows is split into several code blocks", m: bot.Message{Kind: "rules", Table: table(15, prefix(900))}, blocks: -1,
			check: codeBlocks},
		{name: "a row longer than a section is cut mid-line", m: bot.Message{Kind: "history", Table: table(1, long)}, blocks: -1,
			check: codeBlocks},
		{name: "a huge table shows one page", m: bot.Message{Kind: "history", Table: table(1000, "x")}, blocks: 3},
		{name: "40 buttons keep the first 25", m: bot.Message{Kind: "approval", Buttons: buttons(40)}, blocks: 1,
			check: func(t *testing.T, r Rendered) {
				if n := len(r.Blocks[0].(*slackapi.ActionBlock).Elements.ElementSet); n != maxButtons {
					t.Errorf("%d buttons", n)
				}
			}},
		{name: "a button whose command does not fit is left out", m: bot.Message{Kind: "approval", Buttons: []bot.Button{
			{Label: "批准", ActionID: bot.ActionCommand, Value: "/approve " + strings.Repeat("1", maxButtonValue)},
			{Label: "驳回", ActionID: bot.ActionCommand, Value: "/reject 1"},
		}}, blocks: 1, check: func(t *testing.T, r Rendered) {
			els := r.Blocks[0].(*slackapi.ActionBlock).Elements.ElementSet
			if len(els) != 1 || els[0].(*slackapi.ButtonBlockElement).ActionID != CommandActionID(1) {
				t.Errorf("buttons %+v", els)
			}
		}},
		{name: "a block of 40 buttons keeps the first 25", m: bot.Message{Kind: "survey", Blocks: []bot.Block{{Text: "问题", Buttons: buttons(40)}}}, blocks: 2,
			check: func(t *testing.T, r Rendered) {
				if n := len(r.Blocks[1].(*slackapi.ActionBlock).Elements.ElementSet); n != maxButtons {
					t.Errorf("%d buttons", n)
				}
			}},
		{name: "a block's button whose command does not fit is left out, not cut", m: bot.Message{Kind: "survey", Blocks: []bot.Block{{Buttons: []bot.Button{
			{Label: "1", ActionID: bot.ActionCommand, Value: "/survey answer s-1 q " + strings.Repeat("1", maxButtonValue)},
			{Label: "2", ActionID: bot.ActionCommand, Value: "/survey answer s-1 q 2"},
		}}}}, blocks: 1, check: func(t *testing.T, r Rendered) {
			els := r.Blocks[0].(*slackapi.ActionBlock).Elements.ElementSet
			if len(els) != 1 || els[0].(*slackapi.ButtonBlockElement).ActionID != BlockActionID(0, 1) {
				t.Errorf("buttons %+v", els)
			}
		}},
		{name: "a block without text, note or buttons makes no block", m: bot.Message{Kind: "survey", Text: []string{"正文"}, Blocks: []bot.Block{{Text: " "}}}, blocks: 1},
		{name: "30 questions are cut at 50 blocks, the last saying so", m: bot.Message{Kind: "survey", Blocks: questions(30)}, blocks: maxBlocks},
		{name: "everything at once", m: everything, blocks: maxBlocks},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Render(tt.m, "/rules", 3)
			checkLimits(t, tt.name, r)
			if tt.blocks >= 0 && len(r.Blocks) != tt.blocks {
				t.Errorf("%d blocks, want %d", len(r.Blocks), tt.blocks)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			raw, _ := json.Marshal(r.Blocks)
			var back slackapi.Blocks
			if err := json.Unmarshal(raw, &back); err != nil || len(back.BlockSet) != len(r.Blocks) {
				t.Errorf("blocks do not round-trip: %v", err)
			}
		})
	}
}

// codeBlocks checks that a table took several sections, each one whole
// code block.
func codeBlocks(t *testing.T, r Rendered) {
	t.Helper()
	if len(r.Blocks) < 3 {
		t.Fatalf("%d blocks", len(r.Blocks))
	}
	for _, b := range r.Blocks {
		text := b.(*slackapi.SectionBlock).Text.Text
		if !strings.HasPrefix(text, "```") || !strings.HasSuffix(text, "```") || strings.Count(text, "```") != 2 {
			t.Errorf("not one code block: %.60q…", text)
		}
	}
}

func TestEscapeEverywhere(t *testing.T) {
	evil := "<!channel> <@U123> <http://evil.example|click> & *x*"
	m := bot.Message{Kind: "award", Title: evil, Text: []string{evil}, Fields: []bot.Field{{Label: evil, Value: evil}},
		Table: &bot.Table{Columns: []string{evil}, Rows: [][]string{{evil}}}, Footer: evil,
		Buttons: []bot.Button{{Label: evil, ActionID: bot.ActionCommand, Value: "/approve 1"}},
		Blocks:  []bot.Block{{Text: evil, Note: evil, Buttons: []bot.Button{{Label: evil, ActionID: bot.ActionCommand, Value: "/approve 1"}}}}}
	r := Render(m, "/x", 0)
	checkLimits(t, "evil", r)
	raw, _ := json.Marshal(r.Blocks)
	// Every mrkdwn text is escaped: the user's markup is shown, not run.
	mrkdwnTexts := textsOfType(raw, "mrkdwn")
	if len(mrkdwnTexts) != 6 { // the paragraph, the field, the table, the block's text and note, the footer
		t.Errorf("%d mrkdwn texts: %q", len(mrkdwnTexts), mrkdwnTexts)
	}
	for _, s := range append(mrkdwnTexts, r.Text) {
		for _, bad := range []string{"<!channel>", "<@U123>", "<http"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q survives in %q", bad, s)
			}
		}
		if !strings.Contains(s, "&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|click&gt; &amp; *x*") {
			t.Errorf("not shown as typed: %q", s)
		}
	}
	// Plain-text objects are never parsed for markup; escaping them would
	// show "&lt;" to the reader.
	for _, s := range textsOfType(raw, "plain_text") {
		if s != evil {
			t.Errorf("plain text changed: %q", s)
		}
	}
}

func TestTableCellCannotCloseTheCodeBlock(t *testing.T) {
	m := bot.Message{Kind: "history", Table: &bot.Table{Columns: []string{"理由", "分"}, Rows: [][]string{
		{"```*粗体* @here```", "10"},
		{"普通", "5"},
	}}}
	r := Render(m, "/history", 0)
	text := r.Blocks[0].(*slackapi.SectionBlock).Text.Text
	if strings.Count(text, "```") != 2 {
		t.Errorf("a cell closed the code block: %q", text)
	}
	// The look-alike is as wide as a backtick: the columns stay aligned.
	lines := strings.Split(strings.Trim(text, "`"), "\n")
	column := func(line, cell string) int { return bot.TextWidth(line[:strings.Index(line, cell)]) }
	if column(lines[2], "10") != column(lines[3], "5") {
		t.Errorf("columns not aligned:\n%s", text)
	}
}

func TestPagination(t *testing.T) {
	m := bot.Message{Kind: "rules", Table: &bot.Table{Columns: []string{"行为"}}}
	for range 33 {
		m.Table.Rows = append(m.Table.Rows, []string{"客户好评"})
	}
	nav := func(r Rendered) (context string, buttons map[string]string) {
		buttons = map[string]string{}
		for _, b := range r.Blocks {
			switch b := b.(type) {
			case *slackapi.ContextBlock:
				context = b.ContextElements.Elements[0].(*slackapi.TextBlockObject).Text
			case *slackapi.ActionBlock:
				for _, e := range b.Elements.ElementSet {
					btn := e.(*slackapi.ButtonBlockElement)
					buttons[btn.ActionID] = btn.Text.Text + " " + btn.Value
				}
			}
		}
		return context, buttons
	}
	for _, tt := range []struct {
		name, command, lang string
		page                int
		context             string
		buttons             map[string]string
	}{
		{"the first page has only Next", "/rules", "zh", 0, "第 1/3 页",
			map[string]string{"jifen_page:next": "下一页 " + EncodePage("/rules", 1)}},
		{"a middle page has both", "/rules 考勤", "zh", 1, "第 2/3 页",
			map[string]string{"jifen_page:prev": "上一页 " + EncodePage("/rules 考勤", 0), "jifen_page:next": "下一页 " + EncodePage("/rules 考勤", 2)}},
		{"a page past the end shows the last", "/rules", "en", 9, "Page 3 of 3",
			map[string]string{"jifen_page:prev": "Previous " + EncodePage("/rules", 1)}},
		{"an unknown language gets Chinese", "/rules", "fr", 0, "第 1/3 页",
			map[string]string{"jifen_page:next": "下一页 " + EncodePage("/rules", 1)}},
		{"without a command there are no buttons", "", "zh", 1, "第 2/3 页", map[string]string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := RenderLang(m, tt.command, tt.page, tt.lang)
			checkLimits(t, tt.name, r)
			context, buttons := nav(r)
			if context != tt.context {
				t.Errorf("context %q, want %q", context, tt.context)
			}
			if len(buttons) != len(tt.buttons) {
				t.Errorf("buttons %v, want %v", buttons, tt.buttons)
			}
			for id, want := range tt.buttons {
				if buttons[id] != want {
					t.Errorf("%s: %q, want %q", id, buttons[id], want)
				}
			}
		})
	}
}

func TestPageValues(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		page int
	}{{"/rules", 0}, {"/rules 考勤", 3}, {"/history @王芳 50", 1}, {`/award @王芳 10 客户好评 "引号" & <尖括号>`, 2}} {
		v := EncodePage(tt.cmd, tt.page)
		c, p, ok := DecodePage(v)
		if !ok || c != tt.cmd || p != tt.page {
			t.Errorf("round trip of %q %d: %q %d %v", tt.cmd, tt.page, c, p, ok)
		}
		if len(v) > maxButtonValue {
			t.Errorf("value of %d bytes", len(v))
		}
	}
	for name, bad := range map[string]string{
		"empty":              "",
		"not base64":         "!!!",
		"not a command":      EncodePage("rules", 1),
		"a negative page":    EncodePage("/rules", -1),
		"cut short":          EncodePage("/rules", 1)[:10],
		"not JSON":           "aGVsbG8",
		"a command's text":   "/rules",
		"padded base64":      EncodePage("/rules", 1) + "==",
		"JSON of other kind": "WzEsMl0", // [1,2]
	} {
		if c, p, ok := DecodePage(bad); ok {
			t.Errorf("%s: DecodePage(%q) accepted: %q %d", name, bad, c, p)
		}
	}
}

func TestCommandActionIDs(t *testing.T) {
	for i := range 30 {
		if !IsCommandAction(CommandActionID(i)) {
			t.Errorf("%s is not a command action", CommandActionID(i))
		}
	}
	for _, id := range []string{ActionPage + ":next", ActionPage + ":prev", "jifen_commander", "", "reject_modal"} {
		if IsCommandAction(id) {
			t.Errorf("%q is a command action", id)
		}
	}
	if !IsCommandAction(bot.ActionCommand) {
		t.Error("the bare ActionCommand is not a command action")
	}
}

// A button that asks for a text carries its prompt in its action id, cut
// to Slack's 255 characters, and stays a command button.
func TestAskActionIDs(t *testing.T) {
	long := strings.Repeat("请说明原因，", 100)
	for _, tt := range []struct {
		name, pos, prompt string
		want              string // the prompt read back
	}{
		{"a short prompt rides along", "3", "驳回理由", "驳回理由"},
		{"a block's button", "b12:0", "其他意见或建议", "其他意见或建议"},
		{"a long prompt is cut to fit", "b49:24", long, "…"},
		{"no prompt, no label", "0", "  ", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := AskActionID(tt.pos, tt.prompt)
			if !IsCommandAction(id) || !IsAskAction(id) || len(id) > maxActionID {
				t.Fatalf("%q (%d characters)", id, len(id))
			}
			got := AskPrompt(id)
			if tt.want == "…" {
				if !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) || len(got) < 100 {
					t.Errorf("cut prompt %q", got)
				}
			} else if got != tt.want {
				t.Errorf("prompt %q, want %q", got, tt.want)
			}
		})
	}
	for _, id := range []string{CommandActionID(1), BlockActionID(2, 3), "jifen_command:ask:5:0", "jifen_command:ask:1:p:!!", "jifen_command:ask:1:p:_w"} {
		if AskPrompt(id) != "" {
			t.Errorf("%q has a prompt: %q", id, AskPrompt(id))
		}
	}
	if IsAskAction(CommandActionID(1)) || IsAskAction(BlockActionID(0, 0)) {
		t.Error("a plain command button asks")
	}
	// Rendered, the buttons that ask say so, wherever they are.
	m := bot.Message{Kind: "approval",
		Buttons: []bot.Button{{Label: "批准", ActionID: bot.ActionCommand, Value: "/approve 1"}, {Label: "驳回", ActionID: bot.ActionCommand, Value: "/reject 1", Ask: "驳回理由"}},
		Blocks:  []bot.Block{{Text: "意见", Buttons: []bot.Button{{Label: "填写", ActionID: bot.ActionCommand, Value: "/survey answer s-1 t", Ask: "意见"}, {Label: "链接", URL: "https://example.com/s"}}}}}
	var got []string
	for _, b := range Render(m, "", 0).Blocks {
		if ab, ok := b.(*slackapi.ActionBlock); ok {
			for _, e := range ab.Elements.ElementSet {
				btn := e.(*slackapi.ButtonBlockElement)
				got = append(got, fmt.Sprintf("%v/%s/%s", IsAskAction(btn.ActionID), AskPrompt(btn.ActionID), btn.URL))
			}
		}
	}
	if want := []string{"false//", "true/驳回理由/", "true/意见/", "false//https://example.com/s"}; !slices.Equal(got, want) {
		t.Errorf("buttons %q, want %q", got, want)
	}
}

func TestEmptyPartsMakeNoBlocks(t *testing.T) {
	m := bot.Message{Kind: "info", Title: "  ", Text: []string{"", "正文", " "}, Fields: []bot.Field{}, Table: &bot.Table{Columns: []string{"a"}}, Footer: " "}
	r := Render(m, "", 0)
	checkLimits(t, "empty parts", r)
	if len(r.Blocks) != 1 {
		raw, _ := json.Marshal(r.Blocks)
		t.Errorf("%d blocks: %s", len(r.Blocks), raw)
	}
}

func TestCutsNeverSplitAnEntity(t *testing.T) {
	for n := 2990; n < 3010; n++ {
		s := strings.Repeat("x", n) + strings.Repeat("<&>", 10)
		for _, part := range split(Escape(s), maxSectionText) {
			if !wellEscaped(part) {
				t.Fatalf("split at %d: %q", n, part[len(part)-10:])
			}
		}
		if c := clipEscaped(Escape(s), maxSectionText); !wellEscaped(c) || utf8.RuneCountInString(c) > maxSectionText {
			t.Fatalf("clip at %d: %q", n, c[len(c)-10:])
		}
	}
}

// textsOfType returns the "text" of every text object of the type.
func textsOfType(raw []byte, typ string) []string {
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
