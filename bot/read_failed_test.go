package bot

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"jifen"
	"jifen/store"
	"jifen/store/storetest"
)

// A command whose Read fails answers the internal error (marked failed,
// so the platform delivers it again) and writes nothing: no entry, no
// redemption, no outbox message, no idempotency record.
func TestFailedReadAnswersInternalErrorAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	// /award and /redeem read in their write: that write's reads fail too.
	lost := &storetest.LostReads{Ledger: e.store, Writes: true}
	b := New(Options{Store: lost, Catalog: e.bot.cat, CatalogVersion: 1, Platforms: []string{"slack"}, Logger: slog.New(slog.DiscardHandler)})
	internal := b.ErrorResponse(storetest.ErrReadLost).Reply
	// 王芳 has points to redeem with, so /redeem reaches its write.
	if _, _, err := e.store.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "hr", Receiver: "wang", Points: 10, Behavior: "good_review", Category: "客户满意度"})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	entries := e.store.EntryCount()
	for _, c := range []struct{ as, text string }{
		{"wang", "/score"},
		{"zhang", "/score @王芳"},
		{"wang", "/leaderboard"},
		{"wang", "/history"},
		{"wang", "/shop"},
		{"zhang", "/rules"},
		{"hr", "/report"},
		{"zhang", "/award @王芳 10 好评"},
		{"wang", "/redeem 马克杯"},
	} {
		key := "lost:" + c.text
		before := lost.Reads()
		// The mention is resolved by a resolver that reads: what fails is
		// the command's own Read.
		resp := b.Handle(context.Background(), Request{Caller: e.member(c.as), Text: c.text, Source: "test", Key: key,
			Resolve: e.bot.ResolveName})
		if lost.Reads() == before {
			t.Errorf("%s: no Read", c.text)
		}
		if !resp.Failed || resp.Code != jifen.EINTERNAL || resp.Reply.Kind != "error" || !slices.Equal(resp.Reply.Text, internal.Text) {
			t.Errorf("%s: %+v, want the internal error %q", c.text, resp, internal.Text)
		}
		if _, ok := e.store.Seen(key); ok {
			t.Errorf("%s: its key was recorded", c.text)
		}
	}
	if n := e.store.EntryCount(); n != entries {
		t.Errorf("entries: %d, want %d", n, entries)
	}
	if rs := e.store.Redemptions("", 10); len(rs) != 0 {
		t.Errorf("redemptions: %+v", rs)
	}
	if n, err := e.store.OutboxLen("slack"); n != 0 || err != nil {
		t.Errorf("outbox: %d messages", n)
	}
	// The home page says so too, with none of the figures read.
	if v := b.Home(context.Background(), e.member("wang")); len(v.Fields) != 0 || len(v.Sections) != 0 || !slices.Equal(v.Text, internal.Text) {
		t.Errorf("home: %+v", v)
	}
}
