package feishu

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"jifen/bot"
	goldenfile "jifen/golden"
	"jifen/outbox"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden.json"), got, *update)
}

// TestCardGolden renders a real reply of every kind, produced by the
// command core on the example company, as card JSON 2.0.
func TestCardGolden(t *testing.T) {
	h := newHarness(t, false)
	ctx := context.Background()
	run := func(who, text string) bot.Response {
		m, ok := h.st.Member(who)
		if !ok {
			t.Fatalf("no member %s", who)
		}
		return h.a.bot.Handle(ctx, bot.Request{Caller: m, Text: text, Source: "feishu"})
	}
	run("zhangwei", "/award @王芳 @刘洋 10 客户好评 华为来信表扬")
	cases := []struct {
		name string
		msg  func() bot.Message
	}{
		{"award", func() bot.Message { return run("zhangwei", "/award @周杰 10 客户好评 回访满意").Reply }},
		{"deduct", func() bot.Message { return run("zhangwei", "/deduct @王芳 迟到").Reply }},
		{"thanks", func() bot.Message { return run("wangfang", "/thanks @刘洋 3 帮我整理报价单").Reply }},
		{"score", func() bot.Message { return run("wangfang", "/score").Reply }},
		{"leaderboard", func() bot.Message { return run("zhangwei", "/leaderboard month").Reply }},
		{"history", func() bot.Message { return run("wangfang", "/history").Reply }},
		{"rules", func() bot.Message { return run("zhangwei", "/rules 考勤").Reply }},
		{"help", func() bot.Message { return run("wangfang", "/help").Reply }},
		{"approval-card", func() bot.Message {
			for _, n := range run("zhangwei", "/award @刘洋 80 签大单 中标某汽车零部件项目").Notices {
				if n.To == "hr_li" {
					return n.Message
				}
			}
			t.Fatal("no approval card for 李娜")
			return bot.Message{}
		}},
		{"revoke", func() bot.Message { return run("hr_li", "/revoke 1 重复录入").Reply }},
		{"error", func() bot.Message { return run("zhangwei", "/award @张伟 10 客户好评").Reply }},
		{"survey-card", func() bot.Message {
			run("hr_li", "/survey start satisfaction")
			run("wangfang", "/survey answer satisfaction-1 fair 4")
			return run("wangfang", "/survey answer satisfaction-1 reward +2").Reply
		}},
		{"survey-results", func() bot.Message { return run("hr_li", "/survey results satisfaction").Reply }},
	}
	for _, c := range cases {
		m := c.msg()
		if m.Kind == "error" && c.name != "error" {
			t.Fatalf("%s: %v", c.name, m.Text)
		}
		raw, err := json.MarshalIndent(RenderCard(m), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, append(raw, '\n'))
		if len(RenderCard(m).JSON()) > 30_000 {
			t.Errorf("%s: card over 30 KB", c.name)
		}
	}
}

// User text lands only in plain_text elements, which Feishu does not
// parse: it cannot @所有人, link, or alter the card.
func TestCardKeepsUserTextPlain(t *testing.T) {
	evil := `<at id=all></at> [点我](https://evil.example) **粗体** "},{"tag":"markdown","content":"x`
	m := bot.Message{Kind: "award", Title: evil, Text: []string{evil}, Fields: []bot.Field{{Label: evil, Value: evil}},
		Table: &bot.Table{Columns: []string{"a"}, Rows: [][]string{{evil}}}, Footer: evil,
		Buttons: []bot.Button{{Label: evil, ActionID: bot.ActionCommand, Value: "/approve 1"}}}
	raw := RenderCard(m).JSON()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("card JSON broken: %v", err)
	}
	if strings.Contains(raw, `"tag":"markdown"`) || strings.Contains(raw, `"lark_md"`) {
		t.Fatalf("a markdown element in %s", raw)
	}
	var walk func(any, string)
	walk = func(v any, parentTag string) {
		switch x := v.(type) {
		case map[string]any:
			tag, _ := x["tag"].(string)
			if c, ok := x["content"].(string); ok && strings.Contains(c, "<at") && tag != "plain_text" {
				t.Errorf("user text in a %q element", tag)
			}
			for _, e := range x {
				walk(e, tag)
			}
		case []any:
			for _, e := range x {
				walk(e, parentTag)
			}
		}
	}
	walk(v, "")
}

// Sends carry a uuid derived from their key, and a rate-limited send is
// tried again, with the same uuid.
func TestSendRetriesWhenRateLimited(t *testing.T) {
	h := newHarness(t, false)
	var calls atomic.Int32
	var uuids []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "tenant_access_token/internal") {
			fmt.Fprint(w, `{"code":0,"tenant_access_token":"t-fake","expire":7200}`)
			return
		}
		var body struct {
			UUID string `json:"uuid"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		uuids = append(uuids, body.UUID)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code":99991400,"msg":"request trigger frequency limit"}`)
			return
		}
		fmt.Fprint(w, `{"code":0,"data":{"message_id":"om_1"}}`)
	}))
	defer fake.Close()
	c := h.a.cfg
	c.BaseURL = fake.URL
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: c})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Outgoing(Address{IDType: "chat_id", ID: "oc_sales"}, bot.Message{Kind: "info", Text: []string{"月度排行榜"}}, "digest:2026-11")
	if err != nil {
		t.Fatal(err)
	}
	// A queue of its own: the harness's sender drains "feishu" through
	// the harness's adapter.
	o.Platform = "feishu-429"
	if err := h.st.Enqueue(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		outbox.New(outbox.Options{Store: h.st, Platform: o.Platform, Deliver: a.Deliver}).Run(ctx)
		close(done)
	}()
	for outboxLen(t, h.st, o.Platform) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if calls.Load() != 2 || len(uuids) != 2 || uuids[0] != uuids[1] || uuids[0] != uuid("digest:2026-11") {
		t.Fatalf("calls %d, uuids %v", calls.Load(), uuids)
	}
}
