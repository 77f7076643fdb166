package bot

import (
	"context"
	"testing"
	"time"

	"jifen"
)

func TestReactionThanks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wang, chen := e.member("wang"), e.member("chen")
	thanks := func() int64 {
		return e.store.GiverUsed("wang", "thanks", jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai))
	}

	resp := e.bot.ReactionThanks(ctx, wang, chen, "r:C1:1700.1:wang:clap", "slack")
	if resp.Reply.Kind != "thanks" || len(resp.Entries) != 1 || e.month("chen") != 1 || thanks() != 1 {
		t.Fatalf("reaction: %+v, chen %d, used %d", resp, e.month("chen"), thanks())
	}
	// A redelivered event, then a reaction to oneself and to a bot: nothing more.
	e.bot.ReactionThanks(ctx, wang, chen, "r:C1:1700.1:wang:clap", "slack")
	e.bot.ReactionThanks(ctx, wang, wang, "r:C1:1700.2:wang:clap", "slack")
	e.bot.ReactionThanks(ctx, wang, e.member("robot"), "r:C1:1700.3:wang:clap", "slack")
	if e.month("chen") != 1 || e.month("wang") != 0 || e.store.EntryCount() != 1 {
		t.Fatalf("after no-ops: chen %d wang %d entries %d", e.month("chen"), e.month("wang"), e.store.EntryCount())
	}

	// Someone else removing a reaction takes nothing back.
	if r := e.bot.UndoReactionThanks(ctx, e.member("li"), "r:C1:1700.1:wang:clap", "slack"); len(r.Entries) != 0 {
		t.Fatalf("undo by another member: %+v", r)
	}
	// Removing it within ten minutes takes the point back and refunds the allowance, once.
	e.clock.Add(9 * time.Minute)
	if r := e.bot.UndoReactionThanks(ctx, wang, "r:C1:1700.1:wang:clap", "slack"); len(r.Entries) != 1 {
		t.Fatalf("undo: %+v", r)
	}
	e.bot.UndoReactionThanks(ctx, wang, "r:C1:1700.1:wang:clap", "slack")
	if e.month("chen") != 0 || thanks() != 0 || e.store.EntryCount() != 2 {
		t.Fatalf("after undo: chen %d used %d entries %d", e.month("chen"), thanks(), e.store.EntryCount())
	}

	// After ten minutes the thanks stand.
	e.bot.ReactionThanks(ctx, wang, chen, "r:C1:1800.1:wang:clap", "slack")
	e.clock.Add(11 * time.Minute)
	if r := e.bot.UndoReactionThanks(ctx, wang, "r:C1:1800.1:wang:clap", "slack"); len(r.Entries) != 0 || e.month("chen") != 1 {
		t.Fatalf("late undo: %+v, chen %d", r, e.month("chen"))
	}
}

// Reaction thanks draw on the same allowance as /thanks: when it is spent,
// the reactor is told, and nothing is written.
func TestReactionThanksRespectsTheAllowance(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wang, chen := e.member("wang"), e.member("chen")
	limit := e.bot.cat.Thanks.Allowance
	for i := range limit {
		if r := e.bot.ReactionThanks(ctx, wang, chen, "r:"+string(rune('a'+i)), "slack"); r.Reply.Kind != "thanks" {
			t.Fatalf("reaction %d: %+v", i, r.Reply)
		}
	}
	r := e.bot.ReactionThanks(ctx, wang, chen, "r:over", "slack")
	if r.Reply.Kind != "error" || e.month("chen") != limit {
		t.Fatalf("over the allowance: %+v, chen %d", r.Reply, e.month("chen"))
	}
}
