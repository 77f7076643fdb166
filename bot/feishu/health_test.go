package feishu

import (
	"context"
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
