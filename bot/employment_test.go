package bot

import (
	"context"
	"slices"
	"strings"
	"testing"

	"jifen"
	"jifen/locale"
)

// setMembers changes members in the directory as a config reload would.
func (e *env) setMembers(change func(m *jifen.Member)) {
	e.t.Helper()
	ms := slices.Clone(testMembers)
	for i := range ms {
		change(&ms[i])
	}
	if err := e.store.SyncMembers(context.Background(), ms); err != nil {
		e.t.Fatal(err)
	}
}

// Issue 15, defect 2 (commands): a member who has left neither gives,
// receives nor spends points; one who has not joined yet receives none.
// Every refusal says why, in both languages, and writes nothing.
func TestLeaversAndFutureHiresGetNoPoints(t *testing.T) {
	// Now is 2026-11-10 in Shanghai. 李娜 left on 11-05, 陈静 joins on 12-01,
	// 赵强 leaves today (today is still his).
	setup := func(t *testing.T) *env {
		e := newEnv(t)
		e.give("li", 40) // before she left
		e.setMembers(func(m *jifen.Member) {
			switch m.ID {
			case "li":
				m.Left = date(2026, 11, 5)
			case "chen":
				m.Joined = date(2026, 12, 1)
			case "zhao":
				m.Left = date(2026, 11, 10)
			}
		})
		return e
	}
	cases := []struct{ name, as, text, key string }{
		{"award to a leaver", "zhang", "/award @李娜 10 好评", "err.receiver_left"},
		{"award to several, one left", "zhang", "/award @王芳 @李娜 10 好评", "err.receiver_left"},
		{"deduct from a leaver", "zhang", "/deduct @李娜 迟到", "err.receiver_left"},
		{"thanks to a leaver", "wang", "/thanks @李娜 1 帮我整理报价单", "err.receiver_left"},
		{"thanks by a leaver", "li", "/thanks @王芳 1 帮我整理报价单", "err.giver_left"},
		{"redeem by a leaver", "li", "/redeem 马克杯", "err.redeem_left"},
		{"award to a future hire", "zhang", "/award @陈静 10 好评", "err.receiver_not_joined"},
		{"thanks by a future hire", "chen", "/thanks @王芳 1 帮我整理报价单", "err.giver_not_joined"},
		{"redeem by a future hire", "chen", "/redeem 马克杯", "err.redeem_not_joined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			entries := e.store.EntryCount()
			_, err := e.try(c.as, c.text, "")
			if got := errKey(err); got != c.key {
				t.Fatalf("%q: got %q, want %q", c.text, got, c.key)
			}
			if e.store.EntryCount() != entries {
				t.Fatal("a refusal wrote")
			}
			for _, lang := range []string{locale.ZH, locale.EN} {
				msg := locale.Error(lang, err)
				if strings.Contains(msg, "%!") || !strings.Contains(msg, "2026-1") {
					t.Fatalf("%s: %q", lang, msg)
				}
			}
		})
	}
	t.Run("last day still counts", func(t *testing.T) {
		e := setup(t)
		e.run("zhang", "/award @赵强 10 好评")
		e.run("zhao", "/thanks @王芳 1 帮我整理报价单")
	})
	t.Run("reaction thanks", func(t *testing.T) {
		e := setup(t)
		entries := e.store.EntryCount()
		e.bot.ReactionThanks(context.Background(), e.member("wang"), e.member("li"), "r1", "test")
		e.bot.ReactionThanks(context.Background(), e.member("li"), e.member("wang"), "r2", "test")
		e.bot.ReactionThanks(context.Background(), e.member("wang"), e.member("chen"), "r3", "test")
		if e.store.EntryCount() != entries {
			t.Fatal("reaction thanks written")
		}
	})
	t.Run("revoking a leaver's past entry", func(t *testing.T) {
		e := setup(t)
		e.run("hr", "/revoke 1 录入错误")
	})
}

// A request decided after its receiver left is refused, and can still be
// rejected; a redemption of a leaver is not approved either.
func TestApprovalAfterTheReceiverLeft(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 80 大单")
	e.give("li", 150)
	e.run("li", "/redeem 培训课程")
	e.setMembers(func(m *jifen.Member) {
		if m.ID == "wang" || m.ID == "li" {
			m.Left = date(2026, 11, 9)
		}
	})
	entries := e.store.EntryCount()
	if _, err := e.try("hr", "/approve A1", ""); errKey(err) != "err.approval_receiver_left" {
		t.Fatalf("approve: %v", err)
	}
	if _, err := e.try("hr", "/redemptions approve R1", ""); errKey(err) != "err.redemption_member_left" {
		t.Fatalf("approve redemption: %v", err)
	}
	if e.store.EntryCount() != entries {
		t.Fatal("written")
	}
	e.run("hr", "/reject A1 已离职")
	e.run("hr", "/redemptions reject R1 已离职")
	e.verify()
}
