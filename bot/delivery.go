package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Recent remembers delivery ids (event ids, message ids) for a while, for
// adapters: platforms redeliver when an answer is slow, and a read-only
// command must not be answered twice. Writes are protected anyway by the
// store's idempotency keys, which survive restarts; this set does not.
type Recent struct {
	mu   sync.Mutex
	ttl  time.Duration
	keys map[string]time.Time
}

// NewRecent remembers ids for ttl.
func NewRecent(ttl time.Duration) *Recent { return &Recent{ttl: ttl, keys: map[string]time.Time{}} }

// First records key and reports whether it was not seen within the ttl.
// An empty key is always new.
func (r *Recent) First(key string) bool {
	if key == "" {
		return true
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.keys[key]; ok && now.Sub(t) < r.ttl {
		return false
	}
	if len(r.keys) > 50_000 {
		for k, t := range r.keys {
			if now.Sub(t) >= r.ttl {
				delete(r.keys, k)
			}
		}
	}
	r.keys[key] = now
	return true
}

// Forget drops key, so that its next delivery is new again: an adapter
// records a delivery with First before its work runs, and forgets it when
// the work failed, so the platform's re-delivery is not dropped.
func (r *Recent) Forget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.keys, key)
}

// Background runs an adapter's work that outlives a request (notices,
// delayed replies) and lets the adapter wait for it on shutdown, for a
// bounded time. The zero value is ready to use.
type Background struct {
	wg      sync.WaitGroup
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	running atomic.Int64
}

func (b *Background) init() {
	b.once.Do(func() { b.ctx, b.cancel = context.WithCancel(context.Background()) })
}

// Go runs fn with a context of its own, limited to two minutes: the
// request's context may already be done. Stop cancels it sooner.
func (b *Background) Go(fn func(ctx context.Context)) {
	b.init()
	b.wg.Add(1)
	b.running.Add(1)
	go func() {
		defer b.wg.Done()
		defer b.running.Add(-1)
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
		defer cancel()
		fn(ctx)
	}()
}

// Wait blocks until every piece of background work is done.
func (b *Background) Wait() { b.wg.Wait() }

// Stop waits for the background work until ctx ends, then cancels what is
// left and returns how many pieces of work (a reply, a set of notices)
// were still running: those may not have been sent. Work started after
// Stop has a cancelled context.
func (b *Background) Stop(ctx context.Context) int {
	b.init()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		b.cancel()
		return 0
	case <-ctx.Done():
	}
	left := int(b.running.Load())
	b.cancel()
	return left
}
