package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"jifen/store"
)

// outboxLen is OutboxLen for the suite: a failed read fails the test.
func (e *env) outboxLen(platform string) int {
	e.t.Helper()
	n, err := e.st.OutboxLen(platform)
	if err != nil {
		e.t.Fatalf("OutboxLen(%s): %v", platform, err)
	}
	return n
}

// outboxGet is OutboxGet for the suite: a failed read fails the test.
func (e *env) outboxGet(platform string, id uint64) (store.Outgoing, bool) {
	e.t.Helper()
	o, ok, err := e.st.OutboxGet(platform, id)
	if err != nil {
		e.t.Fatalf("OutboxGet(%s, %d): %v", platform, id, err)
	}
	return o, ok
}

func (e *env) claim(platform string, now time.Time, limit int, lease, spacing time.Duration) []uint64 {
	e.t.Helper()
	got, err := e.st.OutboxClaim(e.ctx, platform, now, limit, lease, spacing)
	if err != nil {
		e.t.Fatalf("OutboxClaim: %v", err)
	}
	return outIDs(got)
}

// Claims: a claimed message is handed out once until its lease ends or it
// is released, retried or done; a receiver's later message only once the
// earlier one left the outbox, and not within the spacing of the claim
// before it.
func testOutboxClaim(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	if err := e.st.Enqueue(e.ctx, outgoing("slack", "a", "a1"), outgoing("slack", "a", "a2"), outgoing("slack", "b", "b1"),
		store.Outgoing{Platform: "slack", Address: json.RawMessage(`{"channel":"C1"}`), Body: json.RawMessage(`{}`), Key: "c1"},
		outgoing("feishu", "a", "fa1")); err != nil {
		t.Fatal(err)
	}
	due, err := e.st.OutboxDue("slack", 0, now, 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("due %v %v", due, err)
	}
	a1, a2, b1, c1 := due[0].ID, due[1].ID, due[2].ID, due[3].ID
	lease := time.Minute
	if got := e.claim("slack", now, 1, lease, 0); !slices.Equal(got, []uint64{a1}) {
		t.Fatalf("first claim %v, want [%d]", got, a1)
	}
	// a2 waits for a1; a1 is claimed.
	if got := e.claim("slack", now, 10, lease, 0); !slices.Equal(got, []uint64{b1, c1}) {
		t.Fatalf("second claim %v, want [%d %d]", got, b1, c1)
	}
	if got := e.claim("slack", now, 10, lease, 0); len(got) != 0 {
		t.Fatalf("claimed %v twice", got)
	}
	// A claim whose sender died is taken over once its lease ended.
	if got := e.claim("slack", now.Add(lease), 10, lease, 0); !slices.Equal(got, []uint64{a1, b1, c1}) {
		t.Fatalf("after the lease: %v", got)
	}
	// Released, a message is claimed again at once.
	if err := e.st.OutboxRelease(e.ctx, "slack", b1); err != nil {
		t.Fatal(err)
	}
	if got := e.claim("slack", now.Add(lease), 10, lease, 0); !slices.Equal(got, []uint64{b1}) {
		t.Fatalf("after the release: %v", got)
	}
	// Done, the receiver's next message comes, though not within the
	// spacing of a1's claim.
	later := now.Add(2 * lease)
	if got := e.claim("slack", later, 10, lease, 10*time.Second); !slices.Equal(got, []uint64{a1, b1, c1}) {
		t.Fatalf("claim with spacing: %v", got)
	}
	if err := e.st.OutboxDone(e.ctx, "slack", a1, c1); err != nil {
		t.Fatal(err)
	}
	if got := e.claim("slack", later.Add(5*time.Second), 10, lease, 10*time.Second); len(got) != 0 {
		t.Fatalf("claimed %v within the receiver's spacing", got)
	}
	if got := e.claim("slack", later.Add(10*time.Second), 10, lease, 10*time.Second); !slices.Equal(got, []uint64{a2}) {
		t.Fatalf("after the spacing: %v", got)
	}
	// Retried, a message is held back and keeps its receiver's later
	// messages back with it.
	if err := e.st.Enqueue(e.ctx, outgoing("slack", "b", "b2")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.OutboxRetry(e.ctx, "slack", b1, later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := e.claim("slack", later.Add(time.Minute), 10, lease, 0); len(got) != 0 {
		t.Fatalf("claimed %v while b's first message is held back", got)
	}
	if got := e.claim("slack", later.Add(time.Hour), 10, lease, 0); !slices.Equal(got, []uint64{a2, b1}) {
		t.Fatalf("once the hold ended: %v", got)
	}
	if got := e.claim("feishu", now, 10, lease, 0); len(got) != 1 {
		t.Fatalf("another platform's claim: %v", got)
	}
}

// OutboxChanged is closed by a retry and by a release too: a sender
// waiting for work learns of a message it may take again.
func testOutboxChangedOnRetry(t *testing.T, open Opener) {
	now := utc(2026, 11, 10, 2, 0, 0)
	e := newEnv(t, open, now)
	if err := e.st.Enqueue(e.ctx, outgoing("slack", "a", "a1")); err != nil {
		t.Fatal(err)
	}
	ids := e.claim("slack", now, 1, time.Minute, 0)
	ch := e.st.OutboxChanged()
	if _, err := e.st.OutboxRetry(e.ctx, "slack", ids[0], now); err != nil {
		t.Fatal(err)
	}
	if !closed(ch) {
		t.Fatal("not closed by a retry")
	}
	ids = e.claim("slack", now, 1, time.Minute, 0)
	ch = e.st.OutboxChanged()
	if err := e.st.OutboxRelease(e.ctx, "slack", ids...); err != nil {
		t.Fatal(err)
	}
	if !closed(ch) {
		t.Fatal("not closed by a release")
	}
}
