package storetest

import (
	"slices"
	"testing"

	"jifen"
	"jifen/store"
)

// The ledger search reads only the receivers it is given (a member whose
// id begins another's is not mixed up with it), asks Keep of each entry
// with its giver, kind and behavior, and gives the ids newest first; the
// rows come with the revoke that reversed them, their approval and their
// redemption.
func testLedgerSearch(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	e.put(jifen.Member{ID: "a", Name: "甲", Role: jifen.RoleAdmin}, jifen.Member{ID: "ab", Name: "乙", Role: jifen.RoleEmployee},
		jifen.Member{ID: "c", Name: "丙", Role: jifen.RoleEmployee})
	first := e.append(
		jifen.Entry{Kind: jifen.KindAward, Giver: "a", Receiver: "ab", Points: 50, Behavior: "deal", Reason: "签单"},
		jifen.Entry{Kind: jifen.KindAward, Giver: "ab", Receiver: "a", Points: 5, Behavior: "help"},
		jifen.Entry{Kind: jifen.KindAward, Giver: "a", Receiver: "c", Points: 7, Behavior: "deal"})
	e1, e2, e3 := first[0].ID, first[1].ID, first[2].ID
	e4 := e.append(jifen.Entry{Kind: jifen.KindRevoke, Giver: "a", Reverses: e3, Reason: "错了"})[0].ID
	ap := store.Approval{Giver: "c", Receivers: []string{"ab"}, Points: 80, Behavior: "deal"}
	var r store.Redemption
	var e5, e6, e7 uint64
	e.write(func(tx store.Txn) error {
		if _, err := tx.AddApproval(&ap); err != nil {
			return err
		}
		var err error
		if e5, err = tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "c", Receiver: "ab", Points: 80, Behavior: "deal", Approval: ap.ID}); err != nil {
			return err
		}
		ap.Status, ap.DecidedBy, ap.Entries = store.Approved, "a", []uint64{e5}
		if err := tx.DecideApproval(&ap); err != nil {
			return err
		}
		if e6, err = tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "ab", Points: -30, Behavior: store.RewardBehavior("mug"), Quantity: 1}); err != nil {
			return err
		}
		r = store.Redemption{Member: "ab", Item: "mug", Quantity: 1, Points: 30, Entry: e6, Status: store.RedemptionPending}
		_, err = tx.AddRedemption(&r)
		return err
	})
	e.write(func(tx store.Txn) error {
		var err error
		e7, err = tx.RefundRedemption(&r, store.RedemptionRejected, jifen.Entry{Giver: "a"})
		return err
	})

	e.read(func(rd store.Reader) {
		ids := func(f store.LedgerFilter) []uint64 {
			t.Helper()
			got, err := rd.LedgerIDs(f)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got, want := ids(store.LedgerFilter{}), []uint64{e7, e6, e5, e4, e3, e2, e1}; !slices.Equal(got, want) {
			t.Errorf("everything = %v, want %v", got, want)
		}
		if got, want := ids(store.LedgerFilter{Receivers: []string{"a"}}), []uint64{e2}; !slices.Equal(got, want) {
			t.Errorf("received by a = %v, want %v", got, want)
		}
		if got, want := ids(store.LedgerFilter{Receivers: []string{"ab", "c", "ab"}}), []uint64{e7, e6, e5, e4, e3, e1}; !slices.Equal(got, want) {
			t.Errorf("received by ab and c = %v, want %v", got, want)
		}
		if got := ids(store.LedgerFilter{Receivers: []string{}}); len(got) != 0 {
			t.Errorf("no receivers = %v", got)
		}
		byA := func(e *jifen.Entry) bool { return e.Giver == "a" && e.Behavior == "deal" }
		if got, want := ids(store.LedgerFilter{Keep: byA}), []uint64{e4, e3, e1}; !slices.Equal(got, want) {
			t.Errorf("deals given by a = %v, want %v", got, want)
		}

		rows := map[uint64]store.LedgerRow{}
		var order []uint64
		if err := rd.LedgerRows([]uint64{e7, e6, e5, 999, e3, e1}, func(r *store.LedgerRow) error {
			rows[r.Entry.ID] = *r
			order = append(order, r.Entry.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := []uint64{e7, e6, e5, e3, e1}; !slices.Equal(order, want) {
			t.Errorf("rows in order %v, want %v", order, want)
		}
		if rows[e1].Entry.Reason != "签单" || rows[e1].ReversedBy != 0 || rows[e1].Approval != nil || rows[e1].Redemption != nil {
			t.Errorf("plain award row = %+v", rows[e1])
		}
		if rows[e3].ReversedBy != e4 {
			t.Errorf("revoked row = %+v", rows[e3])
		}
		if a := rows[e5].Approval; a == nil || a.ID != ap.ID || a.DecidedBy != "a" {
			t.Errorf("approved row = %+v", rows[e5])
		}
		for _, id := range []uint64{e6, e7} {
			if rd := rows[id].Redemption; rd == nil || rd.ID != r.ID || rd.Status != store.RedemptionRejected {
				t.Errorf("row %d of the redemption = %+v", id, rows[id])
			}
		}
		if rows[e6].ReversedBy != e7 {
			t.Errorf("refunded redeem row = %+v", rows[e6])
		}
	})
}
