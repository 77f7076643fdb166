package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"jifen/store"
	"jifen/store/pgtest"
	"jifen/store/postgres"
)

// replicas opens n stores on one fresh PostgreSQL database, as n replicas
// of the bot would.
func replicas(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	url := pgtest.DB(t)
	var out []*postgres.Store
	for range n {
		st, err := postgres.Open(context.Background(), url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out = append(out, st)
	}
	return out
}

// sendLog records the sends of several senders: which message went when,
// and in which order each receiver got theirs.
type sendLog struct {
	mu    sync.Mutex
	count map[string]int // message key → sends
	order map[string][]int
	at    []time.Time
}

func (l *sendLog) deliver(ctx context.Context, o store.Outgoing) error {
	now := time.Now()
	var b struct{ N int }
	if err := json.Unmarshal(o.Body, &b); err != nil {
		return Permanent(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count[o.Key]++
	l.order[o.To] = append(l.order[o.To], b.N)
	l.at = append(l.at, now)
	return nil
}

func (l *sendLog) sends() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.at)
}

// queueTo queues n messages on Slack, to receivers receivers in turn; the
// body numbers them in the order they were queued.
func queueTo(t *testing.T, st store.Ledger, n, receivers int) {
	t.Helper()
	var msgs []store.Outgoing
	for i := range n {
		msgs = append(msgs, store.Outgoing{Platform: "slack", To: fmt.Sprintf("E%03d", i%receivers),
			Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Key: fmt.Sprintf("m%04d", i)})
	}
	if err := st.Enqueue(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// Three replicas' senders race over one outbox, one of them stopped half
// way: every message is sent exactly once, and each receiver gets theirs
// in the order they were queued.
func TestSendersOfSeveralReplicasSendEachMessageOnce(t *testing.T) {
	t.Parallel()
	stores := replicas(t, 3)
	const n = 500
	queueTo(t, stores[0], n, 40)
	l := &sendLog{count: map[string]int{}, order: map[string][]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	stops := make([]context.CancelFunc, len(stores))
	for i, st := range stores {
		sctx, stop := context.WithCancel(ctx)
		stops[i] = stop
		s := New(Options{Store: st, Platform: "slack", Deliver: l.deliver, Rate: 5000, Workers: 4})
		wg.Go(func() { s.Run(sctx) })
	}
	waitFor(t, "a third of the sends", func() bool { return l.sends() >= n/3 })
	stops[1]() // a replica stops while the others send: its claims are given back
	waitFor(t, "the outbox to empty", func() bool { return queued(t, stores[2], "slack") == 0 })
	cancel()
	wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range n {
		if c := l.count[fmt.Sprintf("m%04d", i)]; c != 1 {
			t.Errorf("message %d sent %d times, want once", i, c)
		}
	}
	for r, got := range l.order {
		if !slices.IsSorted(got) {
			t.Errorf("%s got their messages in the order %v", r, got)
		}
	}
}

// Two replicas' senders together keep the platform's pace: the send slots
// are the store's, shared by both, where each used to keep a pace of its
// own (and the two together sent at twice the rate).
func TestSendersOfSeveralReplicasShareThePace(t *testing.T) {
	t.Parallel()
	stores := replicas(t, 2)
	const (
		n        = 100
		rate     = 50.0 // a send every 20 ms
		window   = 500 * time.Millisecond
		inWindow = 25 // sends a window holds at the rate
		// slack allows for a send that started late on a busy machine
		// and so came close to the next one's slot.
		slack = 3
	)
	queueTo(t, stores[0], n, n)
	l := &sendLog{count: map[string]int{}, order: map[string][]int{}}
	drain(t, stores, Options{Platform: "slack", Deliver: l.deliver, Rate: rate, Workers: 8})
	l.mu.Lock()
	defer l.mu.Unlock()
	at := slices.SortedFunc(slices.Values(l.at), time.Time.Compare)
	if len(at) != n {
		t.Fatalf("%d sends, want %d", len(at), n)
	}
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < window {
			j++
		}
		if j-i > inWindow+slack {
			t.Fatalf("%d sends within %v from send %d: the two senders together went beyond %v a second", j-i, window, i, rate)
		}
	}
	if d, least := at[n-1].Sub(at[0]), time.Duration(n-1-slack)*time.Second/time.Duration(rate); d < least {
		t.Fatalf("%d sends took %v, at least %v at the platform's pace", n, d, least)
	}
}

// A 429 that one replica's sender meets holds every replica's senders for
// its Retry-After: the platform's limit is the app's.
func TestARetryAfterHoldsEveryReplica(t *testing.T) {
	t.Parallel()
	stores := replicas(t, 2)
	const n, hold = 60, time.Second
	queueTo(t, stores[0], n, n)
	l := &sendLog{count: map[string]int{}, order: map[string][]int{}}
	var mu sync.Mutex
	var limited time.Time // when the platform answered 429
	deliver := func(ctx context.Context, o store.Outgoing) error {
		mu.Lock()
		first := limited.IsZero() && l.sends() >= 10
		if first {
			limited = time.Now()
		}
		mu.Unlock()
		if first {
			return &RetryAfter{After: hold, Err: fmt.Errorf("429")}
		}
		return l.deliver(ctx, o)
	}
	drain(t, stores, Options{Platform: "slack", Deliver: deliver, Rate: 100, Workers: 4})
	l.mu.Lock()
	defer l.mu.Unlock()
	// A send or two whose slot was reserved before the hold may still go;
	// the rest wait for it.
	during := 0
	for _, at := range l.at {
		if at.After(limited.Add(100*time.Millisecond)) && at.Before(limited.Add(hold-50*time.Millisecond)) {
			during++
		}
	}
	if during > 2 {
		t.Fatalf("%d sends during the platform's Retry-After of %v", during, hold)
	}
	if len(l.count) != n {
		t.Fatalf("%d messages sent, want %d", len(l.count), n)
	}
}

// A sender stopped at any moment leaves no message claimed: what it had
// not sent can be claimed at once by another replica, not after a lease.
func TestAStoppedSenderLeavesNoClaim(t *testing.T) {
	t.Parallel()
	st := replicas(t, 1)[0]
	queueTo(t, st, 300, 300)
	l := &sendLog{count: map[string]int{}, order: map[string][]int{}}
	for i := range 16 {
		ctx, cancel := context.WithCancel(context.Background())
		s := New(Options{Store: st, Platform: "slack", Deliver: l.deliver, Rate: 2000, Workers: 4})
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(time.Duration(i%8) * 500 * time.Microsecond) // stops at varied points of its work
		cancel()
		<-done
		left := queued(t, st, "slack")
		got, err := st.OutboxClaim(context.Background(), "slack", time.Now(), 1000, time.Minute, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != left {
			t.Fatalf("stop %d: %d of the %d messages left could be claimed; the others were still claimed", i, len(got), left)
		}
		ids := make([]uint64, len(got))
		for j, o := range got {
			ids[j] = o.ID
		}
		if err := st.OutboxRelease(context.Background(), "slack", ids...); err != nil {
			t.Fatal(err)
		}
	}
}

// drain runs a sender with opt on each of stores (replicas sharing one
// database) until the outbox of opt.Platform is empty.
func drain(t *testing.T, stores []*postgres.Store, opt Options) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, st := range stores {
		o := opt
		o.Store = st
		s := New(o)
		wg.Go(func() { s.Run(ctx) })
	}
	waitFor(t, "the outbox to empty", func() bool { return queued(t, stores[1], opt.Platform) == 0 })
	cancel()
	wg.Wait()
}
