package outbox

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"jifen/store"
)

// failingOutbox is a store whose claims fail.
type failingOutbox struct {
	store.Ledger
	read chan struct{} // told of each claim
}

func (f failingOutbox) OutboxClaim(ctx context.Context, platform string, now time.Time, limit int, lease, spacing time.Duration) ([]store.Outgoing, error) {
	select {
	case f.read <- struct{}{}:
	default:
	}
	return nil, errors.New("connection lost")
}

// noSlot is a shared store whose send slots cannot be reserved: the
// message claimed for a send is given back.
type noSlot struct {
	store.Ledger
	read chan struct{} // told of each reservation
}

func (n noSlot) OutboxSlot(ctx context.Context, platform string, now time.Time, interval time.Duration) (time.Time, error) {
	select {
	case n.read <- struct{}{}:
	default:
	}
	return time.Time{}, errors.New("connection lost")
}

func (n noSlot) OutboxHold(ctx context.Context, platform string, until time.Time) error { return nil }

// A sender whose outbox cannot be read sends nothing: neither from a claim
// that failed nor a message it could not reserve a slot for, which it
// gives back.
func TestASenderSendsNothingItCouldNotRead(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "jifen.db"))
	defer st.Close()
	queue(t, st, 3)
	claimed, reserved := make(chan struct{}), make(chan struct{})
	for _, c := range []struct {
		name   string
		ledger store.Ledger
		read   chan struct{}
	}{
		{"claim", failingOutbox{st, claimed}, claimed},
		{"slot", noSlot{st, reserved}, reserved},
	} {
		p := &platform{got: map[string]int{}}
		sent := make(chan struct{}, 3)
		deliver := func(ctx context.Context, o store.Outgoing) error {
			sent <- struct{}{}
			return p.deliver(ctx, o)
		}
		s := New(Options{Store: c.ledger, Platform: "feishu", Deliver: deliver, Rate: 1000})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		// Two reads: the first one's outcome was acted on. A send ends
		// the wait at once.
		for reads := 0; reads < 2; {
			select {
			case <-c.read:
				reads++
			case <-sent:
				reads = 2
			}
		}
		cancel()
		<-done
		p.mu.Lock()
		calls := p.calls
		p.mu.Unlock()
		if calls != 0 {
			t.Errorf("%s: %d sends of messages that could not be read", c.name, calls)
		}
		if n := queued(t, st, "feishu"); n != 3 {
			t.Errorf("%s: %d messages left in the outbox, want 3", c.name, n)
		}
		// Nothing is left claimed: every message can be claimed at once.
		if got, err := st.OutboxClaim(context.Background(), "feishu", time.Now(), 10, time.Minute, 0); err != nil || len(got) != 3 {
			t.Errorf("%s: %d messages claimable after the sender stopped, want 3 (%v)", c.name, len(got), err)
		}
		for _, id := range []uint64{1, 2, 3} {
			_ = st.OutboxRelease(context.Background(), "feishu", id)
		}
	}
}
