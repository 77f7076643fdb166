package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"jifen/bot"
	slackbot "jifen/bot/slack"
	"jifen/config"
	"jifen/store"
	"jifen/store/pgtest"
	"jifen/store/postgres"
)

// replicaApps are n apps of the example config on one PostgreSQL
// database, as n replicas of serve would be, with Slack enabled and two
// jobs due every day at 10:00: a leaderboard post and the personal
// reports.
func replicaApps(t *testing.T, n int, clock *settableClock) ([]*app, []poster) {
	t.Helper()
	url := pgtest.DB(t)
	var apps []*app
	var posters []poster
	for range n {
		cfg, err := config.Load("../../config.example.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range cfg.Schedules {
			cfg.Schedules[i].Enabled = s.Name == "weekly_leaderboard" || s.Name == "personal_monthly"
			cfg.Schedules[i].Cron, cfg.Schedules[i].SlackChannel = "0 10 * * *", "C0ALL"
		}
		cfg.Surveys = nil
		st, err := postgres.Open(context.Background(), url, postgres.Options{Location: cfg.Location, Clock: clock})
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
		b := bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: version, Language: cfg.Language})
		b.SetPlatforms("slack")
		sl, err := slackbot.New(slackbot.Options{Bot: b, Store: st, Config: config.Slack{Enabled: true, Mode: "http",
			BotToken: "xoxb-test-token", SigningSecret: "test-secret", APIURL: "http://127.0.0.1:1/"}})
		if err != nil {
			t.Fatal(err)
		}
		apps, posters = append(apps, &app{cfg: cfg, store: st, bot: b}), append(posters, poster{slack: sl})
	}
	return apps, posters
}

// Two replicas look at the schedule at the same moments: the jobs due
// while both run are run once (each message queued once); with one
// replica down, the other runs the next day's alone.
func TestScheduledJobsOverTwoReplicas(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clock := &settableClock{}
	apps, posters := replicaApps(t, 2, clock)
	var looks []*jobs
	for i, a := range apps {
		js, err := newJobs(a, posters[i], slog.New(slog.DiscardHandler))
		if err != nil || js == nil {
			t.Fatal(js, err)
		}
		looks = append(looks, js)
	}
	look := func(at time.Time, replicas ...*jobs) {
		clock.set(at)
		var wg sync.WaitGroup
		for _, js := range replicas {
			wg.Go(func() { js.look(context.Background(), clock.Now) })
		}
		wg.Wait()
	}
	queued := func() int {
		n, err := apps[0].store.OutboxLen("slack")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	runs := func() (n int) {
		err := apps[1].store.Read(context.Background(), func(r store.Reader) error {
			for _, job := range []string{"weekly_leaderboard", "personal_monthly"} {
				if !r.LastRun(job).IsZero() {
					n++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	members := 0
	for _, m := range apps[0].cfg.Members {
		if m.SlackID != "" && !m.Bot {
			members++
		}
	}

	// serve looks every 30 s: the jobs are first seen before 10:00.
	look(time.Date(2026, 12, 1, 9, 59, 50, 0, sh), looks...)
	look(time.Date(2026, 12, 1, 10, 0, 20, 0, sh), looks...)
	first := queued()
	if first != members+1 || runs() != 2 {
		t.Fatalf("both replicas running: %d messages queued, want the post and %d reports; %d jobs claimed", first, members, runs())
	}
	look(time.Date(2026, 12, 1, 10, 0, 50, 0, sh), looks...)
	if n := queued(); n != first {
		t.Fatalf("a later look queued %d more", n-first)
	}
	// The first replica is down: the second runs the next day's jobs.
	look(time.Date(2026, 12, 2, 10, 0, 20, 0, sh), looks[1])
	if n := queued() - first; n != first {
		t.Errorf("one replica running: %d messages queued, want %d", n, first)
	}
}
