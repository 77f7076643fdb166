package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jifen/store"
)

var (
	flagCount = flag.Int("outbox.count", 10_000, "messages in TestEveryMessageArrivesOnceAcrossARestart")
	flagRate  = flag.Float64("outbox.rate", 2_000, "sends a second in TestEveryMessageArrivesOnceAcrossARestart (the platform's 50 makes it a 200 s run)")
)

// platform is a fake messaging API: it takes a message once per key, as
// Feishu does with a message's uuid, and counts what it was sent.
type platform struct {
	mu       sync.Mutex
	got      map[string]int // key → deliveries the API accepted (repeats included)
	inFlight int
	peak     int
	latency  time.Duration
	// failEvery makes every n-th call fail with a transient error.
	failEvery int
	calls     int
	// refuse names receivers the platform refuses for good.
	refuse map[string]bool
}

func (p *platform) deliver(ctx context.Context, o store.Outgoing) error {
	p.mu.Lock()
	p.calls++
	n := p.calls
	p.inFlight++
	p.peak = max(p.peak, p.inFlight)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	if p.latency > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.latency):
		}
	}
	if p.refuse[o.To] {
		return Permanent(errors.New("no such user"))
	}
	if p.failEvery > 0 && n%p.failEvery == 0 {
		return errors.New("connection reset")
	}
	p.mu.Lock()
	p.got[o.Key]++
	p.mu.Unlock()
	return nil
}

func (p *platform) delivered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func queue(t testing.TB, st *store.Store, n int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"kind": "report", "text": []string{"本月积分 120，排名第 3"}})
	for lo := 0; lo < n; lo += 1000 {
		var msgs []store.Outgoing
		for i := lo; i < min(n, lo+1000); i++ {
			msgs = append(msgs, store.Outgoing{Platform: "feishu", To: fmt.Sprintf("m%05d", i), Body: body,
				Key: fmt.Sprintf("schedule:personal:1764000000:m%05d", i)})
		}
		if err := st.Enqueue(context.Background(), msgs...); err != nil {
			t.Fatal(err)
		}
	}
}

// queued is how many messages of platform wait in st.
func queued(t testing.TB, st store.Ledger, platform string) int {
	t.Helper()
	n, err := st.OutboxLen(platform)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds; a deadline far above any normal run
// only stops a hung test.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The personal reports of 10,000 members all arrive, each once, though the
// process stops in the middle and starts again, and the sender's memory
// does not grow with the backlog.
func TestEveryMessageArrivesOnceAcrossARestart(t *testing.T) {
	n := *flagCount
	path := filepath.Join(t.TempDir(), "jifen.db")
	st := openStore(t, path)
	queue(t, st, n)
	p := &platform{got: map[string]int{}, latency: 5 * time.Millisecond, failEvery: 97}
	var heapPeak atomic.Uint64
	sample := func(ctx context.Context) {
		var ms runtime.MemStats
		for ctx.Err() == nil {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > heapPeak.Load() {
				heapPeak.Store(ms.HeapInuse)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	run := func(st *store.Store, until func() bool) {
		ctx, cancel := context.WithCancel(context.Background())
		s := New(Options{Store: st, Platform: "feishu", Deliver: p.deliver, Rate: *flagRate, Burst: 1,
			PerReceiver: 200 * time.Millisecond, Workers: 8})
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		go sample(ctx)
		waitFor(t, "the sends", until)
		cancel()
		<-done
	}
	// First life: stopped with about half sent, sends in flight.
	run(st, func() bool { return p.delivered() >= n/2 })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	left := 0
	st = openStore(t, path)
	defer st.Close()
	left = queued(t, st, "feishu")
	if left == 0 || left >= n {
		t.Fatalf("after the stop %d of %d messages wait; the test needs a stop in the middle", left, n)
	}
	run(st, func() bool { return queued(t, st, "feishu") == 0 })
	if got := p.delivered(); got != n {
		t.Fatalf("%d of %d messages arrived", got, n)
	}
	repeats := 0
	for _, c := range p.got {
		repeats += c - 1
	}
	// Only what was in flight when the first life stopped can have gone
	// twice (the platform drops the repeat by its key).
	if repeats > 8 {
		t.Errorf("%d messages were sent twice; at most the 8 in flight may be", repeats)
	}
	t.Logf("%d messages, %d left at the stop, %d sent twice, %d calls, peak heap in use %.1f MB",
		n, left, repeats, p.calls, float64(heapPeak.Load())/(1<<20))
}

// A message the platform refuses for good is dropped, and the others
// still go; one that fails for a while is tried again.
func TestRefusedMessagesAreDroppedAndFailuresRetried(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "jifen.db"))
	defer st.Close()
	queue(t, st, 20)
	p := &platform{got: map[string]int{}, refuse: map[string]bool{"m00003": true}, failEvery: 4}
	var outcomes sync.Map
	ctx, cancel := context.WithCancel(context.Background())
	s := New(Options{Store: st, Platform: "feishu", Deliver: p.deliver, Workers: 2,
		Observe: func(o string) {
			v, _ := outcomes.LoadOrStore(o, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}})
	// Retries are held back by seconds: let the clock run ahead.
	var skew atomic.Int64
	s.opt.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "the outbox to empty", func() bool {
		skew.Add(int64(time.Minute))
		return queued(t, st, "feishu") == 0
	})
	cancel()
	<-done
	if got := p.delivered(); got != 19 {
		t.Fatalf("%d messages arrived, want the 19 the platform takes", got)
	}
	if p.got["schedule:personal:1764000000:m00003"] != 0 {
		t.Fatal("the refused message arrived")
	}
	count := func(o string) int64 {
		v, ok := outcomes.Load(o)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}
	if count("dropped") != 1 || count("retry") == 0 {
		t.Fatalf("dropped %d, retried %d; want 1 dropped and some retried", count("dropped"), count("retry"))
	}
}

// Messages to one receiver go one at a time, in the order they were
// queued, spaced by PerReceiver.
func TestOneReceiverInOrder(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "jifen.db"))
	defer st.Close()
	var msgs []store.Outgoing
	for i := range 6 {
		msgs = append(msgs, store.Outgoing{Platform: "slack", To: "m1", Body: json.RawMessage(`{}`), Key: fmt.Sprint(i)})
	}
	if err := st.Enqueue(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var at []time.Time
	ctx, cancel := context.WithCancel(context.Background())
	s := New(Options{Store: st, Platform: "slack", Workers: 4, PerReceiver: 20 * time.Millisecond,
		Deliver: func(ctx context.Context, o store.Outgoing) error {
			mu.Lock()
			order = append(order, o.Key)
			at = append(at, time.Now())
			mu.Unlock()
			return nil
		}})
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "the outbox to empty", func() bool { return queued(t, st, "slack") == 0 })
	cancel()
	<-done
	if fmt.Sprint(order) != "[0 1 2 3 4 5]" {
		t.Fatalf("sent in the order %v", order)
	}
	for i := 1; i < len(at); i++ {
		if d := at[i].Sub(at[i-1]); d < 20*time.Millisecond {
			t.Fatalf("two sends to one receiver %v apart", d)
		}
	}
}

// A sender that stops while a send waits for the rate limiter gives the
// slot back: a later sender is not held up by waits nobody makes.
func TestStoppingGivesBackTheWait(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "jifen.db"))
	defer st.Close()
	queue(t, st, 50)
	p := &platform{got: map[string]int{}}
	s := New(Options{Store: st, Platform: "feishu", Deliver: p.deliver, Rate: 1, Burst: 1})
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		s.Run(ctx)
		cancel()
	}
	// Five lives of 20 ms each sent at most one message each; the
	// limiter did not book a slot for every wait given up.
	r := s.lim.Reserve()
	defer r.Cancel()
	if d := r.Delay(); d > 1100*time.Millisecond {
		t.Fatalf("the next send is booked %v out, as if abandoned waits kept their slots", d)
	}
}
