package bot

import (
	"context"
	"fmt"
	"testing"

	"jifen"
	"jifen/store"
)

// appendRaw writes an entry as an import or the operator would, outside any
// command.
func (e *env) appendRaw(entry jifen.Entry) uint64 {
	e.t.Helper()
	var id uint64
	if _, _, err := e.store.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		var err error
		id, err = tx.Append(&entry)
		return nil, err
	}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// lastEntry is the id of the newest entry.
func (e *env) lastEntry() uint64 { return uint64(e.store.EntryCount()) }

func (e *env) verify() {
	e.t.Helper()
	if rep, err := e.store.Verify(); err != nil || !rep.OK() {
		e.t.Fatalf("verify: %+v %v", rep, err)
	}
}

// What /revoke does with each kind of entry: awards, deductions, thanks,
// imports and adjustments are reversed once; revokes (a refund included)
// never; a redeem entry never, with a message naming what to do instead.
func TestRevokeEveryKindOfEntry(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env) uint64 // returns the entry to revoke
		key   string              // "" when the revoke applies
	}{
		{"award", func(e *env) uint64 { e.run("zhang", "/award @王芳 10 好评"); return e.lastEntry() }, ""},
		{"deduction", func(e *env) uint64 { e.run("zhang", "/deduct @王芳 迟到"); return e.lastEntry() }, ""},
		{"thanks", func(e *env) uint64 { e.run("wang", "/thanks @李娜 2 帮我整理报价单"); return e.lastEntry() }, ""},
		{"import", func(e *env) uint64 {
			return e.appendRaw(jifen.Entry{Kind: jifen.KindImport, Receiver: "wang", Points: 30, Category: "sales", Behavior: "big_deal", Source: "import"})
		}, ""},
		{"adjustment", func(e *env) uint64 {
			return e.appendRaw(jifen.Entry{Kind: jifen.KindAdjust, Giver: "hr", Receiver: "wang", Points: -3, Reason: "更正"})
		}, ""},
		{"award approved from a request", func(e *env) uint64 {
			e.run("zhang", "/award @王芳 80 大单")
			e.run("hr", "/approve A1")
			return e.lastEntry()
		}, ""},
		{"revoke", func(e *env) uint64 {
			e.run("zhang", "/award @王芳 10 好评")
			e.run("hr", "/revoke 1 重复")
			return 2
		}, "err.revoke_revoke"},
		{"already revoked", func(e *env) uint64 {
			e.run("zhang", "/award @王芳 10 好评")
			e.run("hr", "/revoke 1 重复")
			return 1
		}, "err.already_revoked"},
		{"pending redemption", func(e *env) uint64 {
			e.give("wang", 150)
			e.run("wang", "/redeem 培训课程")
			return e.lastEntry()
		}, "err.revoke_redeem_pending"},
		{"approved redemption", func(e *env) uint64 {
			e.give("wang", 150)
			e.run("wang", "/redeem 培训课程")
			e.run("hr", "/redemptions approve R1")
			return e.lastEntry()
		}, "err.revoke_redeem_approved"},
		{"redemption without approval, not handed out", func(e *env) uint64 {
			e.give("wang", 20)
			e.run("wang", "/redeem 马克杯")
			return e.lastEntry()
		}, "err.revoke_redeem_approved"},
		{"handed-out redemption", func(e *env) uint64 {
			e.give("wang", 150)
			e.run("wang", "/redeem 培训课程")
			e.run("hr", "/redemptions approve R1")
			e.run("hr", "/redemptions fulfil R1")
			return e.lastEntry()
		}, "err.revoke_redeem_fulfilled"},
		{"rejected redemption", func(e *env) uint64 {
			e.give("wang", 150)
			e.run("wang", "/redeem 培训课程")
			id := e.lastEntry()
			e.run("hr", "/redemptions reject R1 预算不足")
			return id
		}, "err.already_revoked"},
		{"refund of a rejected redemption", func(e *env) uint64 {
			e.give("wang", 150)
			e.run("wang", "/redeem 培训课程")
			e.run("hr", "/redemptions reject R1 预算不足")
			return e.lastEntry()
		}, "err.revoke_refund"},
		{"imported redemption", func(e *env) uint64 {
			e.give("wang", 20)
			return e.appendRaw(jifen.Entry{Kind: jifen.KindRedeem, Receiver: "wang", Points: -1, Behavior: store.RewardBehavior("mug"), Quantity: 1, Source: "import"})
		}, "err.revoke_redeem_imported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			id := c.setup(e)
			entries, balance := e.store.EntryCount(), e.balance("wang")
			rs := e.store.Redemptions("wang", 10)
			_, err := e.try("hr", fmt.Sprintf("/revoke %d 测试", id), "")
			if got := errKey(err); got != c.key {
				t.Fatalf("revoke #%d: got %q, want %q", id, got, c.key)
			}
			if c.key == "" {
				if e.store.EntryCount() != entries+1 {
					t.Fatal("no revoke written")
				}
			} else {
				if e.store.EntryCount() != entries || e.balance("wang") != balance {
					t.Fatal("a refused revoke wrote")
				}
				if got := e.store.Redemptions("wang", 10); fmt.Sprint(got) != fmt.Sprint(rs) {
					t.Fatalf("redemptions changed: %+v", got)
				}
				// The refusal is a sentence, never the internal error.
				msg := e.bot.Handle(context.Background(), Request{Caller: e.member("hr"), Text: fmt.Sprintf("/revoke %d 测试", id)}).Reply
				if msg.Kind != "error" || msg.Text[0] == e.bot.t("err.internal") {
					t.Fatalf("reply %+v", msg)
				}
			}
			e.verify()
		})
	}
}

// Issue 15, defect 6: /redeem (pending), /revoke of its entry, approve,
// fulfil, then reject. Revoking refunded the points and the item was still
// handed out; the reject then failed with an internal error. Now the revoke
// is refused, the item is paid for, and the reject is told why not.
func TestRevokedRedemptionIsNeverHandedOutFree(t *testing.T) {
	e := newEnv(t)
	e.give("wang", 150)
	e.run("wang", "/redeem 培训课程") // needs approval, like 半天调休 in the demo
	entry := e.lastEntry()
	if e.balance("wang") != 50 {
		t.Fatalf("held: %d", e.balance("wang"))
	}
	if _, err := e.try("hr", fmt.Sprintf("/revoke %d 撤销兑换", entry), ""); errKey(err) != "err.revoke_redeem_pending" {
		t.Fatalf("revoke: %v", err)
	}
	e.run("hr", "/redemptions approve R1")
	e.run("hr", "/redemptions fulfil R1")
	if e.balance("wang") != 50 {
		t.Fatalf("handed out, balance %d", e.balance("wang"))
	}
	for text, key := range map[string]string{
		"/redemptions reject R1 太晚了":        "err.redemption_decided",
		"/redemptions cancel R1 太晚了":        "err.redemption_fulfilled",
		fmt.Sprintf("/revoke %d 再试", entry): "err.revoke_redeem_fulfilled",
	} {
		if _, err := e.try("hr", text, ""); errKey(err) != key {
			t.Fatalf("%s: %v, want %s", text, err, key)
		}
	}
	if e.balance("wang") != 50 || e.store.StockUsed("training") != 1 {
		t.Fatalf("balance %d, stock used %d", e.balance("wang"), e.store.StockUsed("training"))
	}
	e.verify()
}

func TestRejectedOrCancelledRedemptionIsNeverHandedOut(t *testing.T) {
	t.Run("reject, then approve and fulfil", func(t *testing.T) {
		e := newEnv(t)
		e.give("wang", 150)
		e.run("wang", "/redeem 培训课程")
		e.run("hr", "/redemptions reject R1 预算不足")
		if e.balance("wang") != 150 {
			t.Fatalf("balance %d", e.balance("wang"))
		}
		if _, err := e.try("hr", "/redemptions approve R1", ""); errKey(err) != "err.redemption_decided" {
			t.Fatal(err)
		}
		if _, err := e.try("hr", "/redemptions fulfil R1", ""); errKey(err) != "err.redemption_not_open" {
			t.Fatal(err)
		}
		e.verify()
	})
	t.Run("approved, cancelled before it is handed out", func(t *testing.T) {
		e := newEnv(t)
		e.give("wang", 150)
		e.run("wang", "/redeem 培训课程")
		e.run("hr", "/redemptions approve R1")
		if _, err := e.try("hr", "/redemptions reject R1 不要了", ""); errKey(err) != "err.redemption_approved" {
			t.Fatalf("reject after approval: %v", err)
		}
		resp := e.run("hr", "/redemptions cancel R1 员工改主意了")
		if len(resp.Notices) != 1 || resp.Notices[0].To != "wang" || len(resp.Entries) != 1 {
			t.Fatalf("%+v", resp)
		}
		if e.balance("wang") != 150 || e.store.StockUsed("training") != 0 {
			t.Fatalf("balance %d, stock used %d", e.balance("wang"), e.store.StockUsed("training"))
		}
		r := e.store.Redemptions("wang", 1)[0]
		if r.Status != store.RedemptionCancelled || r.CancelledBy != "hr" || r.DecidedBy != "hr" || r.Refund != resp.Entries[0] {
			t.Fatalf("%+v", r)
		}
		for text, key := range map[string]string{
			"/redemptions fulfil R1":    "err.redemption_not_open",
			"/redemptions cancel R1 再来": "err.redemption_decided",
			"/redemptions approve R1":   "err.redemption_decided",
		} {
			if _, err := e.try("hr", text, ""); errKey(err) != key {
				t.Fatalf("%s: %v, want %s", text, err, key)
			}
		}
		if _, err := e.try("wang", "/redemptions cancel R1", ""); errKey(err) != "err.admin_only" {
			t.Fatal(err)
		}
		e.verify()
	})
}

// A ledger written before /revoke refused redeem entries may hold a
// pending redemption whose entry was revoked: it can no longer be approved
// or handed out, and rejecting it closes it without a second refund.
func TestRedemptionRevokedByAnOlderVersion(t *testing.T) {
	e := newEnv(t)
	e.give("wang", 150)
	var entry, refund uint64
	if _, _, err := e.store.Write(context.Background(), "", func(tx store.Txn) ([]byte, error) {
		var err error
		if entry, err = tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "wang", Points: -100,
			Behavior: store.RewardBehavior("training"), Reason: "培训课程", Quantity: 1}); err != nil {
			return nil, err
		}
		if refund, err = tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: "hr", Reverses: entry, Reason: "旧版撤销"}); err != nil {
			return nil, err
		}
		_, err = tx.AddRedemption(&store.Redemption{Member: "wang", Item: "training", Quantity: 1, Points: 100,
			Entry: entry, Status: store.RedemptionPending})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	if rep, _ := e.store.Verify(); rep.OK() {
		t.Fatal("verify misses a pending redemption whose points were refunded")
	}
	if _, err := e.try("hr", "/redemptions approve R1", ""); errKey(err) != "err.redemption_refunded" {
		t.Fatalf("approve: %v", err)
	}
	entries := e.store.EntryCount()
	e.run("hr", "/redemptions reject R1 已退分")
	if e.store.EntryCount() != entries || e.balance("wang") != 150 {
		t.Fatalf("second refund: %d entries, balance %d", e.store.EntryCount()-entries, e.balance("wang"))
	}
	if r := e.store.Redemptions("wang", 1)[0]; r.Status != store.RedemptionRejected || r.Refund != refund {
		t.Fatalf("%+v", r)
	}
	e.verify()
}
