package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"jifen"
	"jifen/store"
)

// award is a write that gives 5 points to r and answers res.
func award(r string, res string, calls *atomic.Int32) func(tx store.Txn) ([]byte, error) {
	return func(tx store.Txn) ([]byte, error) {
		calls.Add(1)
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: r, Points: 5, Category: "c"}); err != nil {
			return nil, err
		}
		return []byte(res), nil
	}
}

// A key written twice runs its function once and replays the first
// result; a function's error writes nothing and records no key; a write
// without a key is never a replay.
func testIdempotency(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	var calls atomic.Int32

	res, replayed, err := e.st.Write(e.ctx, "k1", award("a", "first", &calls))
	if err != nil || replayed || string(res) != "first" {
		t.Fatalf("first write: %q replayed=%v %v", res, replayed, err)
	}
	e.clock.Add(time.Minute)
	res, replayed, err = e.st.Write(e.ctx, "k1", award("a", "second", &calls))
	if err != nil || !replayed || string(res) != "first" {
		t.Fatalf("same key again: %q replayed=%v %v; want the first result, replayed", res, replayed, err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the function ran %d times for one key, want 1", n)
	}
	// Platforms deliver again for hours (Feishu, about seven): a key is
	// remembered for a day at least.
	e.clock.Add(23 * time.Hour)
	if res, replayed, err := e.st.Write(e.ctx, "k1", award("a", "late", &calls)); err != nil || !replayed || string(res) != "first" {
		t.Fatalf("the same key 23 hours later: %q replayed=%v %v", res, replayed, err)
	}
	if n, bal := e.count(), e.balance("a"); n != 1 || bal != 5 {
		t.Fatalf("after a replay: %d entries, balance %d; want 1 and 5", n, bal)
	}
	e.read(func(r store.Reader) {
		if v, ok := r.Seen("k1"); !ok || string(v) != "first" {
			t.Errorf("Seen(k1) = %q %v", v, ok)
		}
		if v, ok := r.Seen("k-none"); ok || v != nil {
			t.Errorf("Seen of an unknown key = %q %v", v, ok)
		}
	})
	e.write(func(tx store.Txn) error {
		if v, ok := tx.Seen("k1"); !ok || string(v) != "first" {
			t.Errorf("Txn.Seen(k1) = %q %v", v, ok)
		}
		if _, ok := tx.Seen("k-none"); ok {
			t.Error("Txn.Seen of an unknown key reports it seen")
		}
		return nil
	})

	// An error after writing: nothing written, no key.
	_, _, err = e.st.Write(e.ctx, "k2", func(tx store.Txn) ([]byte, error) {
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "a", Points: 7}); err != nil {
			return nil, err
		}
		if err := tx.PutMember(jifen.Member{ID: "ghost", Name: "幽灵", Role: jifen.RoleEmployee}); err != nil {
			return nil, err
		}
		return []byte("never"), errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("a refusing write returned %v, want its error", err)
	}
	e.read(func(r store.Reader) {
		if _, ok := r.Seen("k2"); ok {
			t.Error("a failed write recorded its key")
		}
		if _, ok := r.Member("ghost"); ok {
			t.Error("a failed write left its member")
		}
		if n, bal := r.EntryCount(), r.Balance("a"); n != 1 || bal != 5 {
			t.Errorf("after a failed write: %d entries, balance %d; want 1 and 5", n, bal)
		}
	})
	// An application error before writing anything: likewise.
	_, _, err = e.st.Write(e.ctx, "k3", func(tx store.Txn) ([]byte, error) { return nil, limitErr() })
	if jifen.ErrorCode(err) != jifen.ELIMIT {
		t.Fatalf("a limit refusal returned %v, want its code kept", err)
	}
	// The key of a failed write runs when sent again.
	calls.Store(0)
	if res, replayed, err := e.st.Write(e.ctx, "k2", award("a", "retried", &calls)); err != nil || replayed || string(res) != "retried" || calls.Load() != 1 {
		t.Fatalf("the key of a failed write, again: %q replayed=%v %v (ran %d)", res, replayed, err, calls.Load())
	}
	// No key: every write runs.
	for range 2 {
		if _, replayed, err := e.st.Write(e.ctx, "", award("b", "x", &calls)); err != nil || replayed {
			t.Fatalf("write without a key: replayed=%v %v", replayed, err)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("ran %d times, want 3", n)
	}
	// A key whose result is empty is still recorded.
	if _, replayed, err := e.st.Write(e.ctx, "k-empty", func(store.Txn) ([]byte, error) { return nil, nil }); err != nil || replayed {
		t.Fatalf("empty result: replayed=%v %v", replayed, err)
	}
	res, replayed, err = e.st.Write(e.ctx, "k-empty", func(store.Txn) ([]byte, error) {
		t.Error("a recorded key with an empty result ran again")
		return []byte("x"), nil
	})
	if err != nil || !replayed || len(res) != 0 {
		t.Fatalf("empty result replayed: %q replayed=%v %v", res, replayed, err)
	}
	// A result is kept as it was, bytes and all.
	bin := []byte{0, 1, 2, 0xff, 0}
	if _, _, err := e.st.Write(e.ctx, "k-bin", func(store.Txn) ([]byte, error) { return bin, nil }); err != nil {
		t.Fatal(err)
	}
	if res, _, _ := e.st.Write(e.ctx, "k-bin", func(store.Txn) ([]byte, error) { return nil, nil }); !bytes.Equal(res, bin) {
		t.Fatalf("binary result replayed as %v, want %v", res, bin)
	}
	if n, a, b := e.count(), e.balance("a"), e.balance("b"); n != 4 || a != 10 || b != 10 {
		t.Fatalf("%d entries, balances %d and %d; want 4, 10, 10", n, a, b)
	}
}

// Thirty-two writers with the same key at once apply it once: one is
// told it applied, every other gets its result as a replay.
func testIdempotencyConcurrent(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	const n = 32
	type outcome struct {
		res      []byte
		replayed bool
		err      error
	}
	out := make([]outcome, n)
	together(n, func(i int) {
		res, replayed, err := e.st.Write(e.ctx, "same-delivery", func(tx store.Txn) ([]byte, error) {
			if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "a", Points: 1}); err != nil {
				return nil, err
			}
			return fmt.Appendf(nil, "writer %d", i), nil
		})
		out[i] = outcome{res, replayed, err}
	})
	applied := 0
	var first []byte
	for i, o := range out {
		if o.err != nil {
			t.Fatalf("writer %d: %v", i, o.err)
		}
		if !o.replayed {
			applied++
			first = o.res
		}
	}
	if applied != 1 {
		t.Fatalf("%d writers applied the key, want 1", applied)
	}
	for i, o := range out {
		if !bytes.Equal(o.res, first) {
			t.Errorf("writer %d got %q, want the result of the one that applied (%q)", i, o.res, first)
		}
	}
	if c, bal := e.count(), e.balance("a"); c != 1 || bal != 1 {
		t.Fatalf("%d entries, balance %d; want 1 and 1", c, bal)
	}
}

// The store's clock and zone, and a read's error.
func testReadAndClock(t *testing.T, open Opener) {
	start := utc(2026, 11, 10, 2, 3, 4)
	e := newEnv(t, open, start)
	if got := e.st.Now(); !got.Equal(start) || got.Location() != time.UTC {
		t.Errorf("Now = %v, want %v in UTC", got, start)
	}
	if got := e.st.Location(); got.String() != "Asia/Shanghai" {
		t.Errorf("Location = %v", got)
	}
	e.clock.Add(90 * time.Minute)
	e.write(func(tx store.Txn) error {
		if !tx.Now().Equal(start.Add(90*time.Minute)) || tx.Location().String() != "Asia/Shanghai" {
			t.Errorf("Txn: now %v, zone %v", tx.Now(), tx.Location())
		}
		return nil
	})
	e.read(func(r store.Reader) {
		if !r.Now().Equal(start.Add(90*time.Minute)) || r.Location().String() != "Asia/Shanghai" {
			t.Errorf("Reader: now %v, zone %v", r.Now(), r.Location())
		}
		if r.HasEntries() || r.EntryCount() != 0 {
			t.Error("a new store has entries")
		}
	})
	if err := e.st.Read(e.ctx, func(store.Reader) error { return errRefused }); !errors.Is(err, errRefused) {
		t.Errorf("Read returned %v, want fn's error", err)
	}
	if err := e.st.Ping(); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := e.st.Err(); err != nil {
		t.Errorf("Err: %v", err)
	}
	select {
	case <-e.st.Failed():
		t.Error("Failed is closed on a healthy store")
	default:
	}
}

// Closed, a store takes no write and fails its readiness check; closing
// it again is harmless.
func testClose(t *testing.T, open Opener) {
	c := &Clock{}
	c.Set(utc(2026, 11, 10, 2, 0, 0))
	st, _ := open(t, jifen.ClockFunc(c.Now), shanghai)
	ctx := context.Background()
	if _, _, err := st.Write(ctx, "before", func(store.Txn) ([]byte, error) { return []byte("ok"), nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ran := false
	if _, _, err := st.Write(ctx, "after", func(store.Txn) ([]byte, error) { ran = true; return nil, nil }); err == nil || ran {
		t.Errorf("a write after Close: ran %v, err %v; want an error and nothing run", ran, err)
	}
	if err := st.Ping(); err == nil {
		t.Error("Ping after Close reports the store ready")
	}
	if err := st.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
}

// Append's rules: defaults, recording order, effective time, revokes.
func testAppendRules(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	first := e.append(jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "a", Points: 5, Category: "c", Behavior: "b",
		Reason: "理由", RuleVersion: 3, Source: "slack"})[0]
	if first.ID == 0 || !first.At.Equal(now) || !first.Effective.Equal(now) {
		t.Fatalf("appended %+v: want an id, At and Effective the batch time", first)
	}
	// An entry given an older recording time than the ledger's last is
	// recorded now and keeps its effective time.
	e.clock.Add(time.Hour)
	old := now.Add(-48 * time.Hour)
	late := e.append(jifen.Entry{Kind: jifen.KindImport, Receiver: "a", Points: 2, At: old})[0]
	if late.ID <= first.ID || !late.At.Equal(now.Add(time.Hour)) || !late.Effective.Equal(old) {
		t.Fatalf("an entry recorded before the last: %+v; want At = now, Effective = its time", late)
	}
	// Effective after recording, an unknown kind, no receiver: refused.
	for name, bad := range map[string]jifen.Entry{
		"effective after recording": {Kind: jifen.KindAward, Receiver: "a", Points: 1, Effective: now.Add(2 * time.Hour)},
		"unknown kind":              {Kind: "gift", Receiver: "a", Points: 1},
		"no receiver":               {Kind: jifen.KindAward, Points: 1},
		"revoke of nothing":         {Kind: jifen.KindRevoke, Reverses: 999},
	} {
		_, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&bad)
			return nil, err
		})
		if err == nil {
			t.Errorf("%s: appended", name)
		}
	}
	// A revoke takes the reversed entry's figures and times, once.
	e.clock.Add(time.Hour)
	rv := e.append(jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: first.ID, Reason: "误操作"})[0]
	want := jifen.Entry{ID: rv.ID, Kind: jifen.KindRevoke, At: now.Add(2 * time.Hour), Effective: now, Giver: "admin", Receiver: "a",
		Points: -5, Category: "c", Behavior: "b", Reason: "误操作", Reverses: first.ID}
	if rv != want {
		t.Fatalf("revoke stored as %+v, want %+v", rv, want)
	}
	for name, again := range map[string]jifen.Entry{
		"a second revoke":    {Kind: jifen.KindRevoke, Reverses: first.ID},
		"a revoke of revoke": {Kind: jifen.KindRevoke, Reverses: rv.ID},
	} {
		_, _, err := e.st.Write(e.ctx, "", func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&again)
			return nil, err
		})
		if err == nil {
			t.Errorf("%s: appended", name)
		}
	}
	e.write(func(tx store.Txn) error {
		got, ok := tx.Entry(first.ID)
		if !ok || got != first || tx.ReversedBy(first.ID) != rv.ID || tx.ReversedBy(rv.ID) != 0 || tx.ReversedBy(late.ID) != 0 {
			t.Errorf("Txn: entry %+v %v, reversed by %d", got, ok, tx.ReversedBy(first.ID))
		}
		if _, ok := tx.Entry(9999); ok {
			t.Error("Txn.Entry of an unknown id")
		}
		// A write reads its own appends.
		id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "z", Points: 4})
		if err != nil {
			return err
		}
		if got, ok := tx.Entry(id); !ok || got.Points != 4 || tx.Balance("z") != 4 || tx.Net("z", jifen.PeriodOf(jifen.Month, tx.Now(), tx.Location())) != 4 {
			t.Errorf("a write does not see its own append: %+v %v, balance %d", got, ok, tx.Balance("z"))
		}
		return nil
	})
	e.read(func(r store.Reader) {
		got, by, ok := r.Entry(first.ID)
		if !ok || got != first || by != rv.ID {
			t.Errorf("Entry(%d) = %+v, reversed by %d, %v", first.ID, got, by, ok)
		}
		if _, _, ok := r.Entry(9999); ok {
			t.Error("Entry of an unknown id")
		}
		if r.EntryCount() != 4 || !r.HasEntries() {
			t.Errorf("%d entries, want 4", r.EntryCount())
		}
	})
}

// Sixty-four awards of 5 to one receiver at once, each checking a cap of 20
// a month inside its write: exactly four pass.
func testCapUnderConcurrency(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	e.put(jifen.Member{ID: "r", Name: "收", Role: jifen.RoleEmployee}, jifen.Member{ID: "g", Name: "给", Role: jifen.RoleManager})
	const n, cap, pts = 64, 20, 5
	errs := make([]error, n)
	together(n, func(i int) {
		_, _, errs[i] = e.st.Write(e.ctx, fmt.Sprintf("award-%d", i), func(tx store.Txn) ([]byte, error) {
			month := jifen.PeriodOf(jifen.Month, tx.Now(), tx.Location())
			if tx.Usage().Net("r", month)+pts > cap {
				return nil, limitErr()
			}
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: pts})
			return nil, err
		})
	})
	ok := 0
	for i, err := range errs {
		switch jifen.ErrorCode(err) {
		case "":
			ok++
		case jifen.ELIMIT:
		default:
			t.Errorf("award %d: %v", i, err)
		}
	}
	if ok != cap/pts {
		t.Fatalf("%d awards passed a cap of %d, want %d", ok, cap, cap/pts)
	}
	e.read(func(r store.Reader) {
		if got := r.Totals("r", e.period(jifen.Month)); got != (store.Agg{Net: cap, Plus: cap, Count: cap / pts}) {
			t.Errorf("totals %+v", got)
		}
		if r.EntryCount() != cap/pts {
			t.Errorf("%d entries", r.EntryCount())
		}
		if got := r.GiverUsed("g", "award", e.period(jifen.Month)); got != cap {
			t.Errorf("giver used %d, want %d", got, cap)
		}
	})
}

// redeem redeems units of item for member as the shop does: balance and
// stock checked inside the write, the redeem entry and its redemption
// written together.
func redeem(ctx context.Context, st store.Ledger, key, member, item string, cost, units, stock int64, status store.RedemptionStatus) (store.Redemption, error) {
	var out store.Redemption
	_, _, err := st.Write(ctx, key, func(tx store.Txn) ([]byte, error) {
		if bal := tx.Balance(member); bal < cost*units {
			return nil, jifen.Errorf(jifen.ELIMIT, "err.balance_low", item, units, cost*units, bal)
		}
		if stock > 0 {
			if left := stock - tx.StockUsed(item); left < units {
				return nil, jifen.Errorf(jifen.ELIMIT, "err.out_of_stock", item, max(left, 0))
			}
		}
		eid, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: member, Points: -cost * units,
			Behavior: store.RewardBehavior(item), Reason: item, Quantity: units, Source: "test"})
		if err != nil {
			return nil, err
		}
		out = store.Redemption{Member: member, Item: item, Quantity: units, Points: cost * units, Entry: eid, Status: status}
		_, err = tx.AddRedemption(&out)
		return nil, err
	})
	return out, err
}

// Forty redemptions of an item with 2 in stock at once: exactly two win.
func testStockUnderConcurrency(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	const n = 40
	for i := range n {
		e.append(jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: fmt.Sprintf("m%02d", i), Points: 100})
	}
	errs := make([]error, n)
	together(n, func(i int) {
		_, errs[i] = redeem(e.ctx, e.st, fmt.Sprintf("redeem-%d", i), fmt.Sprintf("m%02d", i), "mug", 30, 1, 2, store.RedemptionApproved)
	})
	var won []string
	for i, err := range errs {
		switch jifen.ErrorCode(err) {
		case "":
			won = append(won, fmt.Sprintf("m%02d", i))
		case jifen.ELIMIT:
		default:
			t.Errorf("redemption %d: %v", i, err)
		}
	}
	if len(won) != 2 {
		t.Fatalf("%d redemptions of a stock of 2 won, want 2", len(won))
	}
	e.read(func(r store.Reader) {
		if got := r.StockUsed("mug"); got != 2 {
			t.Errorf("stock used %d, want 2", got)
		}
		if got := r.Redemptions("", 100); len(got) != 2 {
			t.Errorf("%d open redemptions, want 2", len(got))
		}
		for i := range n {
			m := fmt.Sprintf("m%02d", i)
			want := int64(100)
			if m == won[0] || m == won[1] {
				want = 70
			}
			if got := r.Balance(m); got != want {
				t.Errorf("balance of %s: %d, want %d", m, got, want)
			}
		}
		if r.EntryCount() != n+2 {
			t.Errorf("%d entries, want %d", r.EntryCount(), n+2)
		}
	})
}

// Eight redemptions of 3 points at once by a member with 10: three pass.
func testBalanceUnderConcurrency(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	e.append(jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "a", Points: 10})
	errs := make([]error, 8)
	together(len(errs), func(i int) {
		_, errs[i] = redeem(e.ctx, e.st, fmt.Sprintf("r-%d", i), "a", "coffee", 3, 1, 0, store.RedemptionApproved)
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if jifen.ErrorCode(err) != jifen.ELIMIT {
			t.Errorf("redemption: %v", err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d redemptions passed, want 3", ok)
	}
	e.read(func(r store.Reader) {
		all := jifen.PeriodOf(jifen.AllTime, e.clock.Now(), e.loc)
		if r.Balance("a") != 1 || r.Spent("a", all) != 9 || r.StockUsed("coffee") != 3 || r.Totals("a", all).Net != 10 {
			t.Errorf("balance %d, spent %d, stock used %d, earned %d; want 1, 9, 3, 10",
				r.Balance("a"), r.Spent("a", all), r.StockUsed("coffee"), r.Totals("a", all).Net)
		}
	})
}
