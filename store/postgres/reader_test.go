package postgres

import (
	"context"
	"errors"
	"testing"

	"jifen"
	"jifen/store"
)

// A read that fails inside Read is returned by Read, even when fn ignores
// it, and the reads after it answer zero values.
func TestReadReturnsAFailedRead(t *testing.T) {
	s, _ := newStore(t)
	if err := s.PutMembers(context.Background(), []jifen.Member{{ID: "li", Name: "李雷", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before, after int
	err := s.Read(ctx, func(r store.Reader) error {
		before = len(r.Members())
		cancel() // the connection's reads now fail
		// The members are kept in memory by then: a read of the database
		// fails.
		_, _, _ = r.Entry(1)
		after = len(r.Members())
		if _, ok := r.Member("li"); ok {
			t.Error("a read after a failed one found a member")
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Read returned %v, want the failed read's error", err)
	}
	if before != 1 || after != 0 {
		t.Errorf("members before the failure %d, after %d; want 1 and 0", before, after)
	}
}

// Everything read in one Read comes from one snapshot: a write committed
// meanwhile is not seen.
func TestReadIsOneSnapshot(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	award := func() {
		if _, _, err := s.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "li", Points: 2})
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	award()
	err := s.Read(ctx, func(r store.Reader) error {
		first := r.Balance("li")
		award()
		if got := r.Balance("li"); got != first || r.EntryCount() != 1 {
			t.Errorf("balance %d then %d, %d entries: the read saw a later commit", first, got, r.EntryCount())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Balance("li"); got != 4 {
		t.Errorf("balance after the read %d, want 4", got)
	}
}
