package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/store"
	"jifen/store/storetest"
)

// A scheduled leaderboard or summary whose store could not be read is an
// error for the job (which then runs again), never a post of the error's
// text to a channel.
func TestScheduledPostOfAFailedReadIsAnError(t *testing.T) {
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Location: cfg.Location, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutMembers(context.Background(), []jifen.Member{{ID: "hr", Name: "人事", Role: jifen.RoleAdmin, Department: "人力部"}}); err != nil {
		t.Fatal(err)
	}
	failing := &storetest.LostReads{Ledger: st}
	b := bot.New(bot.Options{Store: failing, Catalog: cfg.Rules, CatalogVersion: 1, Language: cfg.Language})
	now := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	for _, job := range []string{"leaderboard", "digest"} {
		s := config.Schedule{Name: job, Job: job, Period: jifen.Month, Top: 10}
		if msg, err := post(context.Background(), b, failing, s, now, cfg.Location); err == nil {
			t.Errorf("%s: a failed read gave a post: %+v", job, msg)
		}
		if msg, err := post(context.Background(), bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: 1, Language: cfg.Language}), st, s, now, cfg.Location); err != nil || msg.Kind == "error" {
			t.Errorf("%s on a store that reads: %+v, %v", job, msg, err)
		}
	}
}
