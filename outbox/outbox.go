// Package outbox sends the messages queued in the store's outbox: one
// Sender per platform, at the platform's pace, a few sends in flight at a
// time, in the order they were queued for each receiver. A message leaves
// the outbox only once the platform took it (or refused it for good), so a
// restart or a crash loses none; what was in flight at a crash is sent
// again (Feishu drops the repeat by the message's uuid). Memory does not
// grow with the backlog: the sender reads the outbox a page at a time.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"jifen/store"
)

// Deliver sends one message. It returns an error made by Permanent when a
// retry cannot help (the receiver does not exist, the bot may not write to
// them), a *RetryAfter when the platform asks to slow down, and any other
// error for a failure worth another try.
type Deliver func(ctx context.Context, o store.Outgoing) error

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one no retry will cure: the message is dropped.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// RetryAfter is the platform asking the sender to wait before the next
// send (HTTP 429 and its kin).
type RetryAfter struct {
	After time.Duration
	Err   error
}

func (r *RetryAfter) Error() string { return "rate limited: " + r.Err.Error() }
func (r *RetryAfter) Unwrap() error { return r.Err }

// Options configure a Sender.
type Options struct {
	Store    store.Ledger
	Platform string
	Deliver  Deliver
	// Rate is the sends a second across all receivers; Burst how many may
	// go at once after a quiet spell (default 1).
	Rate  float64
	Burst int
	// PerReceiver is the least time between two sends to one receiver.
	PerReceiver time.Duration
	// Workers is how many sends may be in flight (default 8): at a 150 ms
	// round trip, 8 keep 50 sends a second going.
	Workers int
	// MaxAttempts is how many failed attempts a message gets before it is
	// dropped (default 12, about three hours of backoff).
	MaxAttempts int
	Logger      *slog.Logger
	// Observe, if set, is told the outcome of each attempt: sent, retry,
	// dropped.
	Observe func(outcome string)
	// Now is the clock for hold-backs; default time.Now.
	Now func() time.Time
}

// Sender drains one platform's outbox.
type Sender struct {
	opt Options
	lim *rate.Limiter

	mu       sync.Mutex
	inflight int            // sends started and not yet recorded
	busy     map[string]int // receivers with a send in flight
	nextTo   map[string]time.Time
	pause    time.Time // the platform asked to wait until then
	done     chan struct{}
}

// New returns a Sender; Run starts it.
func New(opt Options) *Sender {
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	if opt.Burst <= 0 {
		opt.Burst = 1
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 12
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	lim := rate.NewLimiter(rate.Inf, 0)
	if opt.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(opt.Rate), opt.Burst)
	}
	return &Sender{opt: opt, lim: lim, busy: map[string]int{},
		nextTo: map[string]time.Time{}, done: make(chan struct{}, 1)}
}

// page is how many messages the sender reads at a time.
const page = 256

// Run sends until ctx ends, then waits for the sends in flight (which end
// with ctx too: what they did not finish stays queued) and returns.
func (s *Sender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, s.opt.Workers)
	var after uint64
	skipped := map[string]bool{} // receivers passed over in this pass: later messages to them wait too
	sentInPass := false
	// While nothing is due (every message held back after a failure, the
	// platform down), the outbox is read again at doubling intervals, up
	// to half a minute, rather than every second: a long outage with a
	// large backlog costs little. A new message resets it.
	idle := time.Second
	for ctx.Err() == nil {
		changed := s.opt.Store.OutboxChanged()
		if wait := s.paused(); wait > 0 {
			if !sleep(ctx, wait) {
				return
			}
		}
		batch, err := s.opt.Store.OutboxDue(s.opt.Platform, after, s.opt.Now(), page)
		if err != nil {
			s.opt.Logger.Error("outbox: read", "platform", s.opt.Platform, "err", err)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		if len(batch) == 0 {
			if after != 0 && sentInPass {
				after, sentInPass = 0, false
				clear(skipped)
				continue
			}
			// Nothing to send now: wait for a new message, a send to end
			// (its receiver may have more), a receiver's spacing to pass,
			// or a held-back message to come due.
			poll := time.Second
			switch {
			case len(skipped) > 0 && s.opt.PerReceiver > 0:
				poll = min(poll, s.opt.PerReceiver)
			case len(skipped) == 0 && s.InFlight() == 0:
				poll, idle = idle, min(2*idle, 30*time.Second)
			}
			after, sentInPass = 0, false
			clear(skipped)
			t := time.NewTimer(poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-changed:
				idle = time.Second
			case <-s.done:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		for _, o := range batch {
			after = o.ID
			r := o.Receiver()
			if skipped[r] || !s.ready(r) {
				skipped[r] = true
				continue
			}
			if err := s.lim.Wait(ctx); err != nil {
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			// The page may be older than a send that ended meanwhile:
			// take the message as it is now, if it is still queued and
			// due (a message leaves the outbox before it leaves the
			// sends in flight, so one not in flight and still there was
			// not sent).
			cur, ok := s.opt.Store.OutboxGet(s.opt.Platform, o.ID)
			if !ok || cur.NotBefore.After(s.opt.Now()) {
				<-sem
				continue
			}
			o = cur
			s.start(r)
			sentInPass, idle = true, time.Second
			wg.Add(1)
			go func(o store.Outgoing) {
				defer wg.Done()
				defer func() { <-sem }()
				s.send(ctx, o)
			}(o)
		}
	}
}

// ready reports whether a message to receiver may go now: the receiver
// has no send in flight (so neither has the message) and was not sent to
// too recently.
func (s *Sender) ready(receiver string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[receiver] > 0 {
		return false
	}
	return !s.nextTo[receiver].After(s.opt.Now())
}

func (s *Sender) start(receiver string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight++
	s.busy[receiver]++
	now := s.opt.Now()
	s.nextTo[receiver] = now.Add(s.opt.PerReceiver)
	if len(s.nextTo) > 10_000 {
		for k, t := range s.nextTo {
			if !t.After(now) && s.busy[k] == 0 {
				delete(s.nextTo, k)
			}
		}
	}
}

// InFlight is how many sends have started and not yet recorded their
// outcome.
func (s *Sender) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

func (s *Sender) finish(receiver string) {
	s.mu.Lock()
	s.inflight--
	if s.busy[receiver]--; s.busy[receiver] <= 0 {
		delete(s.busy, receiver)
	}
	s.mu.Unlock()
	select {
	case s.done <- struct{}{}:
	default:
	}
}

func (s *Sender) paused() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pause.Sub(s.opt.Now())
}

// send makes one attempt at o and records its outcome in the outbox.
func (s *Sender) send(ctx context.Context, o store.Outgoing) {
	r := o.Receiver()
	defer s.finish(r)
	err := s.opt.Deliver(ctx, o)
	// The outcome is recorded even when ctx ended meanwhile: a message the
	// platform took must leave the outbox if the store still takes writes.
	rec := context.WithoutCancel(ctx)
	if err == nil {
		s.observe("sent")
		if err := s.opt.Store.OutboxDone(rec, s.opt.Platform, o.ID); err != nil {
			s.opt.Logger.Warn("outbox: removing a sent message", "platform", s.opt.Platform, "id", o.ID, "err", err)
		}
		return
	}
	if ctx.Err() != nil {
		return // stopped: the message stays queued for the next start
	}
	var ra *RetryAfter
	wait := backoff(o.Attempts)
	if errors.As(err, &ra) {
		wait = max(ra.After, time.Second)
		s.mu.Lock()
		if until := s.opt.Now().Add(wait); until.After(s.pause) {
			s.pause = until
		}
		s.mu.Unlock()
	}
	if IsPermanent(err) || o.Attempts+1 >= s.opt.MaxAttempts {
		s.observe("dropped")
		s.opt.Logger.Warn("outbox: message dropped", "platform", s.opt.Platform, "id", o.ID, "receiver", logReceiver(o),
			"attempts", o.Attempts+1, "err", err)
		if err := s.opt.Store.OutboxDone(rec, s.opt.Platform, o.ID); err != nil {
			s.opt.Logger.Warn("outbox: removing a dropped message", "platform", s.opt.Platform, "id", o.ID, "err", err)
		}
		return
	}
	s.observe("retry")
	s.opt.Logger.Info("outbox: send failed, will retry", "platform", s.opt.Platform, "id", o.ID, "in", wait, "err", err)
	if _, err := s.opt.Store.OutboxRetry(rec, s.opt.Platform, o.ID, s.opt.Now().Add(wait)); err != nil {
		s.opt.Logger.Warn("outbox: holding a message back", "platform", s.opt.Platform, "id", o.ID, "err", err)
	}
}

func (s *Sender) observe(outcome string) {
	if s.opt.Observe != nil {
		s.opt.Observe(outcome)
	}
}

// logReceiver names the receiver for the log: a member id, or "conversation"
// (a channel or chat id is not needed to act on the line).
func logReceiver(o store.Outgoing) string {
	if o.To != "" {
		return o.To
	}
	return "conversation"
}

// backoff is the wait after a message's attempts-th failure: 2 s, 4 s, …
// up to 30 minutes.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 0; i < attempts && d < 30*time.Minute; i++ {
		d *= 2
	}
	return min(d, 30*time.Minute)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
