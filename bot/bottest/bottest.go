// Package bottest sets up the command core on the example company of
// config.example.yaml for the tests of the adapters and commands, and runs
// their HTTP handlers. It is imported by tests only.
package bottest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/outbox"
	"jifen/store"
)

// Now is when the example tests run: 2026-11-10 10:00 in Shanghai.
var Now = time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)

// Example is the example company with a real store in a temporary file.
type Example struct {
	Config *config.Config
	Store  *store.Store
	Bot    *bot.Bot
}

// New loads configPath (the example config) with its store in a temporary
// directory and the clock stopped at Now, registers its members and rule
// catalog, and builds the bot. The store is closed when the test ends.
func New(t testing.TB, configPath string) Example {
	t.Helper()
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "jifen.db"))
	cfg, err := config.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Location: cfg.Location, Clock: jifen.ClockFunc(func() time.Time { return Now })})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Whatever a test did, the ledger still verifies (cleanups run last
	// first: before Close).
	t.Cleanup(func() {
		rep, err := st.Verify()
		if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
			return // the test closed it itself (a restart) and checks on its own
		}
		if err != nil || !rep.OK() {
			t.Errorf("verify after the test: %v %v", rep.Problems, err)
		}
	})
	ctx := context.Background()
	if err := st.SyncMembers(ctx, cfg.Members); err != nil {
		t.Fatal(err)
	}
	return Example{Config: cfg, Store: st, Bot: Replica(t, cfg, st)}
}

// Replica builds a bot of cfg on st: what each replica of the bot has
// of its own (its process's state) over the ledger they share.
func Replica(t testing.TB, cfg *config.Config, st store.Ledger) *bot.Bot {
	t.Helper()
	v, err := st.RegisterCatalog(context.Background(), cfg.Rules.Fingerprint(), cfg.Rules)
	if err != nil {
		t.Fatal(err)
	}
	return bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: v, Language: cfg.Language, Surveys: cfg.Surveys,
		ScoreVisibility: cfg.Privacy.ScoreVisibility})
}

// Serve runs req through h as a server would, and fails the test if the
// handler panics or does not answer within d; then it waits, at most 30
// seconds, for the adapter's background work (wait).
func Serve(t *testing.T, h http.Handler, req *http.Request, d time.Duration, wait func()) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	done := make(chan string, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Sprintf("%v\n%s", p, debug.Stack())
			}
		}()
		h.ServeHTTP(rec, req)
		done <- ""
	}()
	select {
	case p := <-done:
		if p != "" {
			t.Fatalf("%s panicked: %s", req.URL.Path, p)
		}
	case <-time.After(d):
		t.Fatalf("%s did not answer within %v", req.URL.Path, d)
	}
	waited := make(chan struct{})
	go func() { wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("background work did not end within 30s")
	}
	return rec
}

// RunOutbox sends the outbox of platform through deliver until the test
// ends, and has ex.Bot queue its notices there; it returns a function that
// waits until everything queued so far is sent.
func (ex Example) RunOutbox(t testing.TB, platform string, deliver outbox.Deliver) (drained func()) {
	t.Helper()
	ex.Bot.SetPlatforms(append(ex.Bot.Platforms(), platform)...)
	ctx, cancel := context.WithCancel(context.Background())
	s := outbox.New(outbox.Options{Store: ex.Store, Platform: platform, Deliver: deliver, Workers: 4})
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return func() {
		// A liveness bound, not a speed requirement: hundreds of replies
		// to one chat go one at a time, each removed by a commit of its
		// own, and a shared machine under the race detector is slow.
		deadline := time.Now().Add(2 * time.Minute)
		// Empty, and every send's outcome recorded (its commit done).
		left := func() int {
			n, err := ex.Store.OutboxLen(platform)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for left() > 0 || s.InFlight() > 0 {
			if time.Now().After(deadline) {
				t.Errorf("the outbox still holds %d messages after 2 minutes", left())
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// OutboxDown is a store whose Enqueue fails while Down is set: an
// adapter's answer that needs a write of its own cannot be queued.
type OutboxDown struct {
	store.Ledger
	Down *atomic.Bool
}

// Enqueue fails while Down is set.
func (s OutboxDown) Enqueue(ctx context.Context, msgs ...store.Outgoing) error {
	if s.Down.Load() {
		return errors.New("the outbox is down")
	}
	return s.Ledger.Enqueue(ctx, msgs...)
}
