package bot_test

import (
	"context"
	"errors"
	"testing"

	"jifen"
	"jifen/bot"
	"jifen/bot/bottest"
)

// A response says Failed when its command hit something unexpected (here
// a deadline already past), so an adapter has the platform deliver it
// again; a refusal (a rule, an unknown name) is an answer, not a failure.
func TestResponseFailedOnlyForTheUnexpected(t *testing.T) {
	ex := bottest.New(t, examplePath)
	if r := ex.Bot.ErrorResponse(errors.New("store: closed")); !r.Failed || r.Reply.Kind != "error" {
		t.Fatalf("unexpected error: %+v", r)
	}
	if r := ex.Bot.ErrorResponse(jifen.Errorf(jifen.EINVALID, "err.unknown_member", "@nobody")); r.Failed {
		t.Fatalf("a refusal marked failed: %+v", r)
	}
	zhang, _ := ex.Store.Member("zhangwei")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := ex.Bot.Handle(ctx, bot.Request{Caller: zhang, Text: "/award @王芳 10 客户好评 华为来信表扬", Source: "test", Key: "failed:1"})
	if n := ex.Store.EntryCount(); n == 0 && !r.Failed {
		t.Fatalf("an award not written is not marked failed: %+v", r)
	}
	if r := ex.Bot.Handle(context.Background(), bot.Request{Caller: zhang, Text: "/award @王芳 10000 客户好评 太多", Source: "test", Key: "failed:2"}); r.Failed {
		t.Fatalf("a refused award marked failed: %+v", r)
	}
}
