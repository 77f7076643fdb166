// Package outbox sends the messages queued in the store's outbox: one
// Sender per platform in each process, at the platform's pace, a few sends
// in flight at a time, in the order they were queued for each receiver. A
// sender claims each message before it sends it (store.Ledger's
// OutboxClaim), so several processes sharing one store send each message
// once, and one receiver's messages one at a time, in order; a store
// shared by several processes keeps the platform's pace too
// (store.OutboxPacer), so together they keep to it. A message leaves the
// outbox only once the platform took it (or refused it for good), so a
// restart or a crash loses none; what was in flight at a crash is sent
// again once its claim lapses (Feishu drops the repeat by the message's
// uuid). Memory does not grow with the backlog: a sender holds only what
// it claimed.
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
	// Rate is the sends a second across all receivers: of this Sender,
	// or of every process's Senders of the platform when the store keeps
	// the pace (store.OutboxPacer). Burst is how many may go at once after
	// a quiet spell (default 1; a shared pace has none).
	Rate  float64
	Burst int
	// PerReceiver is the least time between two claims of messages to one
	// receiver (and so, near enough, between their sends), kept by the
	// store for every process.
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
	opt   Options
	lim   *rate.Limiter
	pacer store.OutboxPacer // the store's shared pace, if it keeps one

	mu       sync.Mutex
	inflight int       // sends started and not yet recorded
	pause    time.Time // the platform asked to wait until then
	done     chan struct{}
}

// Lease is how long a claim lasts: a message whose sender died is claimed
// again by another after it. It is well above a send's longest run (the
// platforms' HTTP clients give up after 30 s), so a live sender's claim
// does not lapse, and short enough that a replica killed mid-send delays
// its messages by minutes, not hours.
const Lease = 2 * time.Minute

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
	s := &Sender{opt: opt, lim: lim, done: make(chan struct{}, 1)}
	if p, ok := opt.Store.(store.OutboxPacer); ok && opt.Rate > 0 {
		s.pacer = p
	}
	return s
}

// Run sends until ctx ends, then waits for the sends in flight (which end
// with ctx too: what they did not finish stays queued, its claim given
// back) and returns.
func (s *Sender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, s.opt.Workers)
	// While nothing can be claimed (every message held back after a
	// failure, the platform down, or waiting for its receiver's spacing),
	// the outbox is looked at again at doubling intervals, up to half a
	// minute, rather than at every spacing: a long outage with a large
	// backlog costs little. A new message, a release or a send's end
	// resets it.
	base := time.Second
	if s.opt.PerReceiver > 0 {
		base = min(base, max(s.opt.PerReceiver, 10*time.Millisecond))
	}
	idle := base
	for ctx.Err() == nil {
		changed := s.opt.Store.OutboxChanged()
		if wait := s.paused(); wait > 0 {
			if !sleep(ctx, wait) {
				return
			}
		}
		// As many as there are workers free: a claim waits for no worker,
		// only for the platform's next slot (a few slots at most).
		free := s.opt.Workers - s.InFlight()
		if free <= 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.done:
			}
			continue
		}
		got, err := s.claim(ctx, free)
		if err != nil || len(got) == 0 {
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.opt.Logger.Error("outbox: claim", "platform", s.opt.Platform, "err", err)
				if !sleep(ctx, time.Second) {
					return
				}
				continue
			}
			// Nothing to send now: wait for a new message, a send to end
			// (its receiver may have more), or the poll.
			t := time.NewTimer(idle)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-changed:
				idle = base
			case <-s.done:
				idle = base
			case <-t.C:
				idle = min(2*idle, 30*time.Second)
			}
			t.Stop()
			continue
		}
		idle = base
		for i, o := range got {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.release(got[i:]...)
				return
			}
			// The claimed message waits for the platform's next slot; one
			// that would wait beyond half its lease is given back (another
			// sender, or this one later, takes it then), with the rest.
			if err := s.slot(ctx, o); err != nil {
				<-sem
				s.release(got[i:]...)
				break
			}
			s.start()
			wg.Add(1)
			go func(o store.Outgoing) {
				defer wg.Done()
				defer func() { <-sem }()
				s.send(ctx, o)
			}(o)
		}
	}
}

// claim claims up to limit messages. The claim is not cut short by ctx: a
// claim whose statement the database ran while its caller gave up would
// hold its messages for a whole lease; once it is back, the claims are
// given back if ctx ended meanwhile.
func (s *Sender) claim(ctx context.Context, limit int) ([]store.Outgoing, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	got, err := s.opt.Store.OutboxClaim(cctx, s.opt.Platform, s.opt.Now(), limit, Lease, s.opt.PerReceiver)
	if err == nil && ctx.Err() != nil {
		if len(got) > 0 {
			s.release(got...)
		}
		return nil, ctx.Err()
	}
	return got, err
}

// errTooLate: the platform's next slot is beyond half a claim's lease.
var errTooLate = errors.New("the next send slot is too far off")

// slot waits for the platform's next send slot: the store's, shared by
// every process, when it keeps one; the Sender's own limiter otherwise.
func (s *Sender) slot(ctx context.Context, o store.Outgoing) error {
	if s.pacer == nil {
		r := s.lim.Reserve()
		if d := r.Delay(); d > Lease/2 {
			r.Cancel()
			return errTooLate // (no rate allows a wait so long)
		} else if !sleep(ctx, d) {
			r.Cancel() // the slot goes back: a later sender is not held up
			return ctx.Err()
		}
		return nil
	}
	now := s.opt.Now()
	at, err := s.pacer.OutboxSlot(ctx, s.opt.Platform, now, time.Duration(float64(time.Second)/s.opt.Rate))
	if err != nil {
		s.opt.Logger.Error("outbox: reserve a send slot", "platform", s.opt.Platform, "err", err)
		sleep(ctx, time.Second)
		return err
	}
	if d := at.Sub(now); d > Lease/2 {
		// Another process was told to wait: so does this one, once it
		// gave the message back.
		s.mu.Lock()
		if at.After(s.pause) {
			s.pause = at
		}
		s.mu.Unlock()
		return errTooLate
	} else if !sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}

func (s *Sender) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight++
}

// InFlight is how many sends have started and not yet recorded their
// outcome.
func (s *Sender) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

func (s *Sender) finish() {
	s.mu.Lock()
	s.inflight--
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

// release gives back the claims of messages this sender did not send.
func (s *Sender) release(msgs ...store.Outgoing) {
	ids := make([]uint64, len(msgs))
	for i, o := range msgs {
		ids[i] = o.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.opt.Store.OutboxRelease(ctx, s.opt.Platform, ids...); err != nil {
		s.opt.Logger.Warn("outbox: giving messages back", "platform", s.opt.Platform, "ids", ids, "err", err)
	}
}

// send makes one attempt at o and records its outcome in the outbox.
func (s *Sender) send(ctx context.Context, o store.Outgoing) {
	defer s.finish()
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
		// Stopped: the message stays queued, and its claim is given back
		// so that another process (a rolling restart's next replica)
		// sends it without waiting for the lease.
		s.release(o)
		return
	}
	var ra *RetryAfter
	wait := backoff(o.Attempts)
	if errors.As(err, &ra) {
		wait = max(ra.After, time.Second)
		until := s.opt.Now().Add(wait)
		s.mu.Lock()
		if until.After(s.pause) {
			s.pause = until
		}
		s.mu.Unlock()
		if s.pacer != nil {
			if err := s.pacer.OutboxHold(rec, s.opt.Platform, until); err != nil {
				s.opt.Logger.Warn("outbox: holding the platform's sends", "platform", s.opt.Platform, "err", err)
			}
		}
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
