package store

import (
	"context"
	"strings"
	"testing"

	"jifen"
)

// A redemption's redeem entry is reversed only by RefundRedemption, which
// closes the redemption in the same transaction: a plain revoke is refused,
// so no item can be handed out for points that were given back.
func TestRedemptionPointsComeBackOnlyWithTheRedemption(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	if err := s.SyncMembers(ctx, members(2)); err != nil {
		t.Fatal(err)
	}
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m001", Receiver: "m000", Points: 50})
	var r Redemption
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		id, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "m000", Points: -30, Behavior: RewardBehavior("mug"), Quantity: 1})
		if err != nil {
			return nil, err
		}
		r = Redemption{Member: "m000", Item: "mug", Quantity: 1, Points: 30, Entry: id, Status: RedemptionApproved}
		_, err = tx.AddRedemption(&r)
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: "m001", Reverses: r.Entry})
		return nil, err
	})
	if err == nil || !strings.Contains(err.Error(), "RefundRedemption") {
		t.Fatalf("plain revoke of a redemption's entry: %v", err)
	}
	if s.Balance("m000") != 20 {
		t.Fatalf("balance %d", s.Balance("m000"))
	}
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.RefundRedemption(&r, RedemptionCancelled, jifen.Entry{Giver: "m001", Reason: "取消"})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	got := s.Redemptions("m000", 1)[0]
	if got.Status != RedemptionCancelled || got.Refund == 0 || s.Balance("m000") != 50 || s.StockUsed("mug") != 0 {
		t.Fatalf("%+v balance %d", got, s.Balance("m000"))
	}
	// A closed redemption is not refunded twice.
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.RefundRedemption(&got, RedemptionRejected, jifen.Entry{Giver: "m001"})
		return nil, err
	}); err == nil {
		t.Fatal("refunded twice")
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
