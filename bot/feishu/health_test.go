package feishu

import (
	"context"
	"log/slog"
	"testing"

	"jifen/bot"
)

// In webhook mode Health follows the Open API calls: a send that cannot
// reach Feishu marks it failed, the next one that does healthy again.
func TestHealthFollowsTheOpenAPI(t *testing.T) {
	h := newHarness(t, true)
	if ok, detail := h.a.Health(); !ok {
		t.Fatalf("before any call: %v %q", ok, detail)
	}
	msg := bot.Message{Kind: "info", Text: []string{"月度排行榜"}}
	if err := h.a.Send(context.Background(), "chat_id", "oc_sales", msg, "health:1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.a.Health(); !ok {
		t.Fatal("after a send that worked: unhealthy")
	}
	url := h.api.URL
	h.api.Close()
	cfg := h.a.cfg
	cfg.BaseURL = url
	dead, err := New(Options{Bot: h.a.bot, Store: h.st, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Send(context.Background(), "chat_id", "oc_sales", msg, "health:2"); err == nil {
		t.Fatal("a send to a closed server worked")
	}
	if ok, detail := dead.Health(); ok || detail == "" {
		t.Fatalf("after a failed send: %v %q", ok, detail)
	}
}

// The long connection's state is read from the SDK's log lines (v3.9.2's
// wording, with its conn_id suffix).
func TestHealthFollowsTheLongConnection(t *testing.T) {
	var health bot.Health
	l := wsLogger{sdkLogger{slog.New(slog.DiscardHandler)}, &health}
	ctx := context.Background()
	for _, step := range []struct {
		line   string
		info   bool
		wantOK bool
	}{
		{"connected to wss://open.feishu.cn/ws?device_id=1", true, true},
		{"disconnected to wss://open.feishu.cn/ws?device_id=1", true, false},
		{"trying to reconnect: 1", true, false},
		{"connected to wss://open.feishu.cn/ws?device_id=2", true, true},
		{"connection is closed, receive message loop exit", false, false},
		{"connected to wss://open.feishu.cn/ws?device_id=3", true, true},
		{"connect failed, err: dial tcp: refused", false, false},
	} {
		if step.info {
			l.Info(ctx, step.line, "[conn_id=c1]")
		} else {
			l.Error(ctx, step.line, "[conn_id=c1]")
		}
		if ok, detail := health.Get(); ok != step.wantOK {
			t.Fatalf("after %q: ok=%v (%q), want %v", step.line, ok, detail, step.wantOK)
		}
	}
}
