package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"jifen/store"
)

func TestEnqueueOncePerKeyAcrossReplicas(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	other := openAt(t, url)
	ctx := context.Background()
	body := json.RawMessage(`{"text":  "周报",  "b":1}`)
	msg := store.Outgoing{Platform: "feishu", To: "E1", Body: body, Key: "digest:2026-W47:E1"}
	for _, st := range []*Store{s, other, s} {
		if err := st.Enqueue(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := other.OutboxLen("feishu"); n != 1 || err != nil {
		t.Fatalf("%d messages queued for one key, want 1", n)
	}
	due, err := s.OutboxDue("feishu", 0, testNow, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %v", due, err)
	}
	if o := due[0]; string(o.Body) != string(body) || o.To != "E1" || o.Key != msg.Key || !o.Queued.Equal(testNow) {
		t.Fatalf("queued %+v (body %s)", o, o.Body)
	}
	// A message without a key gets one of its own.
	if err := s.Enqueue(ctx, store.Outgoing{Platform: "feishu", Address: json.RawMessage(`{"chat_id":"oc_1"}`), Body: body}); err != nil {
		t.Fatal(err)
	}
	due, _ = s.OutboxDue("feishu", due[0].ID, testNow, 10)
	if len(due) != 1 || due[0].Key != fmt.Sprintf("outbox:%d", due[0].ID) || string(due[0].Address) != `{"chat_id":"oc_1"}` {
		t.Fatalf("second message %+v", due)
	}
	if err := s.Enqueue(ctx, store.Outgoing{Platform: "feishu", Body: body}); err == nil {
		t.Fatal("a message to nobody was queued")
	}
}

// Three replicas claim from one outbox at once: every message is claimed
// by exactly one of them, and a receiver's second message only once the
// first is done.
func TestOutboxClaimsAreExclusiveAndKeepEachReceiversOrder(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	stores := []*Store{s, openAt(t, url), openAt(t, url)}
	ctx := context.Background()
	var msgs []store.Outgoing
	for i := range 60 {
		msgs = append(msgs, store.Outgoing{Platform: "slack", To: fmt.Sprintf("E%d", i%30), Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := s.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	claims := make([][]store.Outgoing, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() {
			for range 5 {
				got, err := st.OutboxClaim(ctx, "slack", testNow, 4, time.Minute, 0)
				if err != nil {
					t.Error(err)
				}
				claims[i] = append(claims[i], got...)
			}
		})
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for _, c := range claims {
		for _, o := range c {
			if seen[o.ID] {
				t.Fatalf("message %d claimed twice", o.ID)
			}
			seen[o.ID] = true
			var b struct{ N int }
			_ = json.Unmarshal(o.Body, &b)
			if b.N >= 30 {
				t.Fatalf("message %d (%s) claimed while an earlier one to %s waits", o.ID, o.Body, o.To)
			}
		}
	}
	if len(seen) != 30 {
		t.Fatalf("%d messages claimed, want the 30 first of each receiver", len(seen))
	}
	// Claimed messages are not claimed again while the lease runs; once
	// the first ones are done, the second ones are due.
	if got, _ := stores[1].OutboxClaim(ctx, "slack", testNow.Add(30*time.Second), 100, time.Minute, 0); len(got) != 0 {
		t.Fatalf("%d messages claimed again within the lease", len(got))
	}
	var ids []uint64
	for id := range seen {
		ids = append(ids, id)
	}
	if err := stores[2].OutboxDone(ctx, "slack", ids...); err != nil {
		t.Fatal(err)
	}
	got, _ := stores[0].OutboxClaim(ctx, "slack", testNow, 100, time.Minute, 0)
	if len(got) != 30 {
		t.Fatalf("%d second messages claimed, want 30", len(got))
	}
	// A failed send holds the message back and ends its claim; after the
	// lease a message a dead replica held is claimed again.
	if n, err := s.OutboxRetry(ctx, "slack", got[0].ID, testNow.Add(time.Hour)); n != 1 || err != nil {
		t.Fatalf("retry: %d %v", n, err)
	}
	again, _ := stores[1].OutboxClaim(ctx, "slack", testNow.Add(2*time.Minute), 100, time.Minute, 0)
	if len(again) != 29 {
		t.Fatalf("%d messages claimed after the lease, want 29 (one held back)", len(again))
	}
	if o, ok, err := s.OutboxGet("slack", got[0].ID); !ok || err != nil || o.Attempts != 1 || !o.NotBefore.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("held-back message %+v", o)
	}
}

// A replica's senders wake when another replica queues a message (or
// holds one back after a failure): they need not wait for their poll.
func TestOutboxChangedByAnotherReplica(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	other := openAt(t, url)
	ctx := context.Background()
	ch := s.OutboxChanged()
	s.listener.mu.Lock()
	listening := s.listener.listening
	s.listener.mu.Unlock()
	// A deadline only stops a hung test.
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(time.Minute):
			t.Fatalf("not woken by %s", what)
		}
	}
	wait(listening, "its LISTEN")
	if err := other.Enqueue(ctx, store.Outgoing{Platform: "slack", To: "E1", Body: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	wait(ch, "a message another replica queued")
	got, err := other.OutboxClaim(ctx, "slack", testNow, 1, time.Minute, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	ch = s.OutboxChanged()
	if err := other.OutboxRelease(ctx, "slack", got[0].ID); err != nil {
		t.Fatal(err)
	}
	wait(ch, "a message another replica released")
	ch = s.OutboxChanged()
	if _, err := other.OutboxRetry(ctx, "slack", got[0].ID, testNow); err != nil {
		t.Fatal(err)
	}
	wait(ch, "a message another replica held back")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// Replicas reserving send slots at once each get a slot of their own,
// interval apart; a hold moves the next slot for all of them.
func TestOutboxSlotsAreSharedByReplicas(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	stores := []*Store{s, openAt(t, url), openAt(t, url)}
	ctx := context.Background()
	const interval = 20 * time.Millisecond
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for _, st := range stores {
		wg.Go(func() {
			for range 40 {
				slot, err := st.OutboxSlot(ctx, "feishu", testNow, interval)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				slots = append(slots, slot)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(slots, time.Time.Compare)
	for i, slot := range slots {
		if want := testNow.Add(time.Duration(i) * interval); !slot.Equal(want) {
			t.Fatalf("slot %d at %v, want %v: the replicas' slots overlap or leave gaps", i, slot, want)
		}
	}
	hold := testNow.Add(time.Hour)
	if err := stores[1].OutboxHold(ctx, "feishu", hold); err != nil {
		t.Fatal(err)
	}
	if slot, err := stores[2].OutboxSlot(ctx, "feishu", testNow, interval); err != nil || !slot.Equal(hold) {
		t.Fatalf("slot after a hold: %v %v, want %v", slot, err, hold)
	}
	if slot, err := stores[0].OutboxSlot(ctx, "slack", testNow, interval); err != nil || !slot.Equal(testNow) {
		t.Fatalf("another platform's slot: %v %v", slot, err)
	}
}

// Removing a sent message writes nothing else: no key is recorded for it
// (a removal run twice removes nothing more), as every send of every
// replica removes one.
func TestOutboxDoneRecordsNothing(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	if err := s.Enqueue(ctx, store.Outgoing{Platform: "slack", To: "E1", Body: json.RawMessage(`{}`)},
		store.Outgoing{Platform: "slack", To: "E2", Body: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	due, err := s.OutboxDue("slack", 0, testNow, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due %v %v", due, err)
	}
	keys := sqlValue[int64](t, url, "SELECT count(*) FROM idempotency")
	for range 2 {
		if err := s.OutboxDone(ctx, "slack", due[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM idempotency"); n != keys {
		t.Fatalf("%d keys recorded after removing a sent message, were %d", n, keys)
	}
	if n, _ := s.OutboxLen("slack"); n != 1 {
		t.Fatalf("%d messages left, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxDone(ctx, "slack", due[1].ID); !errors.Is(err, ErrClosed) {
		t.Fatalf("removal after Close: %v, want ErrClosed", err)
	}
}
