package postgres

import (
	"context"
	"errors"
	"testing"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

func TestApprovalsReserveTheirPointsUntilDecided(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	other := openAt(t, url)
	ctx := context.Background()
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	var id uint64
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		var err error
		id, err = tx.AddApproval(&store.Approval{Giver: "M1", Receivers: []string{"E1", "E2"}, Points: 50, Behavior: "launch", Reason: "上线"})
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = other.write(ctx, "", func(tx *Tx) ([]byte, error) {
		u := tx.Usage()
		if n := u.Net("E2", month); n != 50 {
			t.Errorf("E2's usage %d, want the 50 reserved", n)
		}
		if n := u.GiverUse("M1", rules.PoolAward, month); n != 100 {
			t.Errorf("M1's award pool %d, want 100 reserved", n)
		}
		if times, pts := u.BehaviorUse("E1", "launch", month); times != 1 || pts != 50 {
			t.Errorf("behavior use %d, %d", times, pts)
		}
		if tx.Net("E2", month) != 0 {
			t.Error("a pending approval counts in the score")
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	open, err := other.OpenApprovals()
	if err != nil || len(open) != 1 || open[0].ID != id || open[0].Status != store.Pending || len(open[0].Receivers) != 2 || !open[0].CreatedAt.Equal(testNow) {
		t.Fatalf("open approvals %+v %v", open, err)
	}
	decide := func(st *Store) error {
		_, _, err := st.write(ctx, "", func(tx *Tx) ([]byte, error) {
			a, ok := tx.Approval(id)
			if !ok {
				return nil, errors.New("no approval")
			}
			for _, r := range a.Receivers {
				e, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: a.Giver, Receiver: r, Points: a.Points, Behavior: a.Behavior, Approval: a.ID})
				if err != nil {
					return nil, err
				}
				a.Entries = append(a.Entries, e)
			}
			a.Status, a.DecidedBy = store.Approved, "A1"
			return nil, tx.DecideApproval(&a)
		})
		return err
	}
	if err := decide(s); err != nil {
		t.Fatal(err)
	}
	if err := decide(other); err == nil {
		t.Fatal("an approval was decided twice")
	}
	if n := other.Totals("E2", month).Net; n != 50 {
		t.Fatalf("E2 has %d after approval, want 50", n)
	}
	a, ok := s.Approval(id)
	if !ok || a.Status != store.Approved || len(a.Entries) != 2 || a.DecidedBy != "A1" || !a.DecidedAt.Equal(testNow) {
		t.Fatalf("decided approval %+v", a)
	}
	if open, _ := s.OpenApprovals(); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	// The database refuses a rejected approval that names awards.
	if _, err := sqlConn(t, url).Exec(ctx, "UPDATE approvals SET status = 'rejected' WHERE id = $1", int64(id)); err == nil {
		t.Fatal("a rejected approval with entries was accepted")
	}
}

func TestRedemptionsAndRefunds(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	var r store.Redemption
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 100}); err != nil {
			return nil, err
		}
		e, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "E1", Points: -60, Behavior: store.RewardBehavior("mug"), Quantity: 2})
		if err != nil {
			return nil, err
		}
		r = store.Redemption{Member: "E1", Item: "mug", Quantity: 2, Points: 60, Entry: e, Status: store.RedemptionPending}
		_, err = tx.AddRedemption(&r)
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Balance("E1") != 40 || s.StockUsed("mug") != 2 {
		t.Fatalf("balance %d, stock %d", s.Balance("E1"), s.StockUsed("mug"))
	}
	if got := s.Redemptions("", 10); len(got) != 1 || got[0] != r {
		t.Fatalf("open redemptions %+v, want %+v", got, r)
	}
	// Its redeem entry is not revoked directly.
	_, _, err = s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Reverses: r.Entry, Receiver: "E1"})
		return nil, err
	})
	if err == nil {
		t.Fatal("a redemption's entry was revoked without refunding it")
	}
	_, _, err = s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		x, ok := tx.RedemptionOf(r.Entry)
		if !ok {
			return nil, errors.New("no redemption")
		}
		x.DecidedBy, x.Note = "A1", "缺货"
		_, err := tx.RefundRedemption(&x, store.RedemptionRejected, jifen.Entry{Giver: "A1", Reason: "缺货"})
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Balance("E1") != 100 || s.StockUsed("mug") != 0 {
		t.Fatalf("after the refund: balance %d, stock %d", s.Balance("E1"), s.StockUsed("mug"))
	}
	got := s.Redemptions("E1", 10)
	if len(got) != 1 || got[0].Status != store.RedemptionRejected || got[0].Refund == 0 || got[0].Note != "缺货" {
		t.Fatalf("refunded %+v", got)
	}
	if open := s.Redemptions("", 10); len(open) != 0 {
		t.Fatalf("still open %+v", open)
	}
	// The database refuses a refund without a closed redemption.
	if _, err := sqlConn(t, url).Exec(ctx, "UPDATE redemptions SET status = 'fulfilled'"); err == nil {
		t.Fatal("a fulfilled redemption with a refund was accepted")
	}
}
