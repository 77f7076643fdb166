package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"errors"
	"jifen"
	"jifen/store"
	"jifen/store/storetest"
)

// An export whose store could not be read writes nothing and fails: no
// table is made of what a failed read answered.
func TestExportOfAFailedReadWritesNothing(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clock := &settableClock{}
	clock.set(time.Date(2026, 12, 1, 9, 0, 0, 0, sh))
	a := scheduledApp(t, clock)
	ctx := context.Background()
	st := a.store.(*store.Store)
	giver, receiver := a.cfg.Members[0].ID, a.cfg.Members[1].ID
	if _, _, err := st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: giver, Receiver: receiver, Points: 5, Category: "teamwork", Reason: "帮忙"})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutRatings(ctx, []jifen.Rating{{Member: receiver, Period: "2026-11", Grade: "A"}}); err != nil {
		t.Fatal(err)
	}
	// The survey's first round starts at 10:00.
	js, err := newJobs(a, poster{}, slog.New(slog.DiscardHandler))
	if err != nil || js == nil {
		t.Fatal(js, err)
	}
	for _, at := range []time.Time{time.Date(2026, 12, 1, 9, 59, 50, 0, sh), time.Date(2026, 12, 1, 10, 0, 20, 0, sh)} {
		clock.set(at)
		js.look(ctx, clock.Now)
	}
	survey := a.cfg.Surveys[0].ID
	if len(st.Rounds(survey)) == 0 {
		t.Fatal("no round started")
	}
	exports := map[string]func(a *app, w *bytes.Buffer) error{
		"ledger csv":  func(a *app, w *bytes.Buffer) error { return exportLedger(ctx, a, w, "csv", time.Time{}, time.Time{}) },
		"ledger xlsx": func(a *app, w *bytes.Buffer) error { return exportLedger(ctx, a, w, "xlsx", time.Time{}, time.Time{}) },
		"members":     func(a *app, w *bytes.Buffer) error { return exportTable(ctx, a, "members", w, "csv") },
		"ratings":     func(a *app, w *bytes.Buffer) error { return exportTable(ctx, a, "ratings", w, "xlsx") },
		"survey":      func(a *app, w *bytes.Buffer) error { return exportSurvey(ctx, a, survey, "", w, "csv") },
	}
	failing := &app{cfg: a.cfg, store: &storetest.LostReads{Ledger: st}, bot: a.bot}
	for name, export := range exports {
		var ok, failed bytes.Buffer
		if err := export(a, &ok); err != nil || ok.Len() == 0 {
			t.Errorf("%s from a store that reads: %d bytes, %v", name, ok.Len(), err)
		}
		if err := export(failing, &failed); !errors.Is(err, storetest.ErrReadLost) {
			t.Errorf("%s of a failed read: %v, want the read's error", name, err)
		}
		if failed.Len() != 0 {
			t.Errorf("%s of a failed read wrote %d bytes", name, failed.Len())
		}
	}
}

// A scheduled personal-report or reminder job whose store could not be
// read queues nothing and fails, so it runs again.
func TestScheduledMessagesOfAFailedReadQueueNothing(t *testing.T) {
	clock := &settableClock{}
	clock.set(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	a := scheduledApp(t, clock)
	ctx := context.Background()
	st := a.store.(*store.Store)
	failing := &app{cfg: a.cfg, store: &storetest.LostReads{Ledger: st}, bot: a.bot}
	s := a.cfg.Schedules[0]
	s.Name, s.Job, s.Period = "personal", "personal", jifen.Month
	if n, err := personal(ctx, failing, poster{}, s, clock.Now(), true); err == nil || n != 0 {
		t.Errorf("personal reports of a failed read: %d queued, %v", n, err)
	}
	s.Name, s.Job = "reminders", "reminders"
	if n, err := reminders(ctx, failing, poster{}, s, clock.Now(), true); err == nil || n != 0 {
		t.Errorf("reminders of a failed read: %d queued, %v", n, err)
	}
	for _, job := range []string{"personal", "reminders"} {
		if !st.LastRun(job).IsZero() {
			t.Errorf("%s was claimed after a failed read", job)
		}
	}
}
