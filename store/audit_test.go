package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"jifen"
)

// An audited write records its action in the same transaction: a write
// that fails records nothing, a replayed one nothing more.
func TestAuditIsWrittenWithItsAction(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", nil, clock)
	ctx := context.Background()
	if err := s.PutMembers(ctx, members(3)); err != nil {
		t.Fatal(err)
	}
	rec := AuditRecord{Actor: "hr", Action: "approval.approve", Object: "approval 7", Via: "slack"}
	actx := WithAudit(ctx, rec)

	if _, _, err := s.write(actx, "k1", func(tx *Tx) ([]byte, error) {
		return nil, errors.New("refused")
	}); err == nil {
		t.Fatal("the failing write succeeded")
	}
	if got := s.AuditLog(AuditFilter{}); len(got) != 0 {
		t.Fatalf("a failed write left audit records: %+v", got)
	}
	for range 2 { // the second is a replay of the first
		if _, _, err := s.write(actx, "k2", func(tx *Tx) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m1", Receiver: "m2", Points: 5, Behavior: "help"})
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	got := s.AuditLog(AuditFilter{})
	if len(got) != 1 {
		t.Fatalf("audit records = %d, want 1: %+v", len(got), got)
	}
	r := got[0]
	if r.Actor != "hr" || r.Action != "approval.approve" || r.Object != "approval 7" || r.Outcome != "ok" || r.Via != "slack" || !r.At.Equal(clock.Now()) || r.ID == 0 {
		t.Errorf("record = %+v", r)
	}
}

// AuditLog lists newest first, pages with Before and filters by actor,
// action prefix and time.
func TestAuditLogFilters(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", nil, clock)
	ctx := context.Background()
	add := func(actor, action string) {
		t.Helper()
		if err := s.Audit(ctx, AuditRecord{Actor: actor, Action: action}); err != nil {
			t.Fatal(err)
		}
		clock.Set(clock.Now().Add(time.Hour))
	}
	add("hr", "sign_in")             // 1 at 02:00
	add("hr", "import.ratings")      // 2 at 03:00
	add("mgr", "sign_in")            // 3 at 04:00
	add("hr", "imports")             // 4 at 05:00: not an "import" action
	add("hr", "approval.approve")    // 5 at 06:00
	add("mgr", "redemption.approve") // 6 at 07:00

	ids := func(rs []AuditRecord) (out []uint64) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	base := time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		f    AuditFilter
		want []uint64
	}{
		{"all", AuditFilter{}, []uint64{6, 5, 4, 3, 2, 1}},
		{"limit", AuditFilter{Limit: 2}, []uint64{6, 5}},
		{"page", AuditFilter{Before: 5, Limit: 2}, []uint64{4, 3}},
		{"page past the end", AuditFilter{Before: 99, Limit: 1}, []uint64{6}},
		{"actor", AuditFilter{Actor: "mgr"}, []uint64{6, 3}},
		{"action prefix", AuditFilter{Action: "import"}, []uint64{2}},
		{"exact action", AuditFilter{Action: "sign_in"}, []uint64{3, 1}},
		{"since", AuditFilter{Since: base.Add(3 * time.Hour)}, []uint64{6, 5, 4}},
		{"until", AuditFilter{Until: base.Add(2 * time.Hour)}, []uint64{2, 1}},
	} {
		if got := ids(s.AuditLog(c.f)); !slices.Equal(got, c.want) {
			t.Errorf("%s: ids = %v, want %v", c.name, got, c.want)
		}
	}
}
