package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"jifen/bot"
	"jifen/config"
	"jifen/store"
)

// settableClock is a clock the test moves; the store's committer reads it
// from its own goroutine.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *settableClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// scheduledApp is the example config's app with no post schedule enabled
// and its survey started every day at 10:00, open for an hour.
func scheduledApp(t *testing.T, clock *settableClock) *app {
	t.Helper()
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "unused.db"))
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Schedules {
		cfg.Schedules[i].Enabled = false
	}
	cfg.Surveys = cfg.Surveys[:1]
	cfg.Surveys[0].Schedule, cfg.Surveys[0].OpenFor, cfg.Surveys[0].RemindAfter = "0 10 * * *", time.Hour, 0
	st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Location: cfg.Location, Clock: clock, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.SyncMembers(ctx, cfg.Members); err != nil {
		t.Fatal(err)
	}
	version, err := st.RegisterCatalog(ctx, cfg.Rules.Fingerprint(), cfg.Rules)
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: version, Language: cfg.Language, Surveys: cfg.Surveys})
	return &app{cfg: cfg, store: st, bot: b}
}

// A survey scheduled every day, with no post schedule enabled, starts a
// round each day, not only the first (its job has the default grace of a
// post, not none).
func TestScheduledSurveyStartsEveryDay(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clock := &settableClock{}
	a := scheduledApp(t, clock)
	js, err := newJobs(a, poster{}, slog.New(slog.DiscardHandler))
	if err != nil || js == nil {
		t.Fatal(js, err)
	}
	id := a.cfg.Surveys[0].ID
	// serve looks every 30 s; here a look at 09:59:50 and one at 10:00:20
	// on each of five days.
	for day := 1; day <= 5; day++ {
		for _, at := range []time.Time{time.Date(2026, 12, day, 9, 59, 50, 0, sh), time.Date(2026, 12, day, 10, 0, 20, 0, sh)} {
			clock.set(at)
			js.look(context.Background(), clock.Now)
		}
		if n := len(a.store.(*store.Store).Rounds(id)); n != day {
			t.Fatalf("day %d: %d rounds started, want %d", day, n, day)
		}
	}
	for _, r := range a.store.(*store.Store).Rounds(id) {
		if r.Started.In(sh).Hour() != 10 {
			t.Errorf("round %d started at %v", r.N, r.Started.In(sh))
		}
	}
}
