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
	msg, err := Outgoing(Address{IDType: "chat_id", ID: "oc_sales"}, bot.Message{Kind: "info", Text: []string{"月度排行榜"}}, "health:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.a.Deliver(context.Background(), msg); err != nil {
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
	if err := dead.Deliver(context.Background(), msg); err == nil {
		t.Fatal("a send to a closed server worked")
	}
	if ok, detail := dead.Health(); ok || detail == "" {
		t.Fatalf("after a failed send: %v %q", ok, detail)
	}
}
