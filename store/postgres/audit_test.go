package postgres

import (
	"context"
	"errors"
	"testing"

	"jifen/store"
)

// A write whose context carries an audit record writes it in its own
// transaction: not when the write fails, once however often it is replayed.
func TestAuditIsWrittenWithItsWrite(t *testing.T) {
	s, _ := newStore(t)
	ctx := store.WithAudit(context.Background(), store.AuditRecord{Actor: "hr", Action: "approval.approve", Object: "approval 7", Via: "slack"})
	if _, _, err := s.write(ctx, "k1", func(*Tx) ([]byte, error) { return nil, errors.New("refused") }); err == nil {
		t.Fatal("the failing write succeeded")
	}
	if got := s.AuditLog(store.AuditFilter{}); len(got) != 0 {
		t.Fatalf("a failed write left audit records: %+v", got)
	}
	for range 2 {
		if _, _, err := s.write(ctx, "k2", func(*Tx) ([]byte, error) { return []byte("ok"), nil }); err != nil {
			t.Fatal(err)
		}
	}
	got := s.AuditLog(store.AuditFilter{})
	if len(got) != 1 || got[0].Actor != "hr" || got[0].Action != "approval.approve" || got[0].Object != "approval 7" || got[0].Outcome != "ok" || got[0].Via != "slack" {
		t.Fatalf("audit = %+v", got)
	}
}
