package outbox

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"jifen/store"
)

// failingOutbox is a store whose outbox reads fail: the page of due
// messages is an error, and a message looked up again is not found.
type failingOutbox struct {
	store.Ledger
	due chan struct{} // told of each read of the due messages
}

func (f failingOutbox) OutboxDue(platform string, after uint64, now time.Time, limit int) ([]store.Outgoing, error) {
	select {
	case f.due <- struct{}{}:
	default:
	}
	return nil, errors.New("connection lost")
}

// gone finds every message of the page gone when looked up before its
// send, as a failed read answers.
type gone struct {
	store.Ledger
	looked chan struct{}
}

func (g gone) OutboxGet(platform string, id uint64) (store.Outgoing, bool) {
	select {
	case g.looked <- struct{}{}:
	default:
	}
	return store.Outgoing{}, false
}

// A sender whose outbox cannot be read sends nothing: neither from a page
// that failed nor a message it could not look up again.
func TestASenderSendsNothingItCouldNotRead(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "jifen.db"))
	defer st.Close()
	queue(t, st, 3)
	pageRead, lookedUp := make(chan struct{}), make(chan struct{})
	for _, c := range []struct {
		name   string
		ledger store.Ledger
		read   chan struct{}
	}{
		{"page", failingOutbox{st, pageRead}, pageRead},
		{"lookup", gone{st, lookedUp}, lookedUp},
	} {
		p := &platform{got: map[string]int{}}
		sent := make(chan struct{}, 3)
		deliver := func(ctx context.Context, o store.Outgoing) error {
			sent <- struct{}{}
			return p.deliver(ctx, o)
		}
		s := New(Options{Store: c.ledger, Platform: "feishu", Deliver: deliver})
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
		if n := st.OutboxLen("feishu"); n != 3 {
			t.Errorf("%s: %d messages left in the outbox, want 3", c.name, n)
		}
	}
}
