package postgres

import (
	"context"
	"strings"
	"testing"

	"jifen"
	"jifen/store"
)

func TestVerifyFindsWhatTheEntriesDoNotGive(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	var award uint64
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		var err error
		if award, err = tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "M1", Receiver: "E1", Points: 10, Category: "c", Behavior: "b"}); err != nil {
			return nil, err
		}
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindThanks, Giver: "E2", Receiver: "E1", Points: 2, Behavior: "thx"}); err != nil {
			return nil, err
		}
		e, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "E1", Points: -5, Behavior: store.RewardBehavior("pen"), Quantity: 1})
		if err != nil {
			return nil, err
		}
		r := store.Redemption{Member: "E1", Item: "pen", Quantity: 1, Points: 5, Entry: e, Status: store.RedemptionPending}
		if _, err := tx.AddRedemption(&r); err != nil {
			return nil, err
		}
		_, err = tx.RefundRedemption(&r, store.RedemptionRejected, jifen.Entry{Giver: "A1"})
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Reverses: award, Receiver: "E1"})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify()
	if err != nil || !rep.OK() || rep.Entries != 5 || rep.Redemptions != 1 || rep.Aggregates == 0 || rep.Keys != 2 {
		t.Fatalf("verify of a consistent store: %+v %v", rep, err)
	}
	c := sqlConn(t, url)
	for _, q := range []string{
		"UPDATE aggregates SET net = net + 1, plus = plus + 1 WHERE kind = 't' AND period = 'all'",
		"UPDATE behavior_use SET times = times + 1",
		"UPDATE stock SET used = used + 1",
		"DELETE FROM aggregates WHERE kind = 'g'",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rep.Problems, "\n")
	for _, want := range []string{"aggregate E1 all t : stored", "behavior use E1", "stock of pen: 1 redeemed, entries give 0", "aggregate E2 2026-11 g thanks: missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("verify does not report %q in:\n%s", want, got)
		}
	}
}
