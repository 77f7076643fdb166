package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"jifen"

	"jifen/bot/feishu"
	slackbot "jifen/bot/slack"
	"jifen/locale"
	"jifen/metrics"
	"jifen/report"
	"jifen/store"
)

// serve runs `jifen serve`: the HTTP server (platform callbacks, health)
// and the platform connections, until ctx ends (SIGINT/SIGTERM in main).
func (m *Main) serve(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"unexpected arguments"}
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	log := m.logger(slog.LevelInfo)

	met := metrics.New(func() float64 { return float64(pending(a)) })
	a.metrics = met
	a.store.SetCommitObserver(met.Committed)
	a.bot.SetCommandObserver(met.Command)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", met.Handler())
	// The platforms' endpoints are served through a mux of their own,
	// each measured: acknowledgement latency, statuses, refusals.
	platforms := http.NewServeMux()
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events", "/feishu/events"} {
		mux.Handle(path, met.Wrap(path, platforms))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	if base := a.cfg.HTTP.PublicURL; base != "" {
		key, err := a.store.LinkKey(ctx)
		if err != nil {
			return err
		}
		a.bot.SetReportLink(func(period string) string { return report.Link(base, key, period, time.Now()) })
		mux.Handle("GET /reports/{period}", m.reportHandler(a, key, log))
	}
	g, ctx := errgroup.WithContext(ctx)
	var posts poster
	if c := a.cfg.Slack; c.Enabled {
		sl, err := slackbot.New(slackbot.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log})
		if err != nil {
			return err
		}
		defer sl.Wait()
		posts.slack = sl
		if c.Mode == "socket" {
			g.Go(func() error { return sl.RunSocket(ctx) })
		} else {
			sl.Register(platforms)
		}
	}

	if c := a.cfg.Feishu; c.Enabled {
		fb, err := feishu.New(feishu.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log})
		if err != nil {
			return err
		}
		defer fb.Wait()
		posts.feishu = fb
		if c.Mode == "websocket" {
			g.Go(func() error { return fb.RunWebsocket(ctx) })
		} else {
			fb.Register(platforms)
		}
	}

	g.Go(func() error { return runSchedules(ctx, a, posts, log, m.now) })
	// Pages of the store read by reports and first leaderboard loads need
	// not stay resident in the process (see Store.ReleaseMemory); writes
	// release them as they go, an idle bot once a minute.
	g.Go(func() error {
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				a.store.ReleaseMemory()
			}
		}
	})

	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	a.bot.CheckDuties() // warns when fewer than two admins can check each other
	log.Info("jifen serving", "addr", ln.Addr().String(), "slack", a.cfg.Slack.Enabled, "feishu", a.cfg.Feishu.Enabled)
	if m.OnListen != nil {
		m.OnListen(ln.Addr().String())
	}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	})
	return g.Wait()
}

// reportHandler serves a period's HTML report to whoever holds a signed,
// unexpired link (the /report card carries one).
func (m *Main) reportHandler(a *app, key []byte, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		period := r.PathValue("period")
		if !report.CheckLink(key, period, r.URL.Query().Get("exp"), r.URL.Query().Get("sig"), time.Now()) {
			http.Error(w, "this link is invalid or has expired; ask the bot for /report again", http.StatusForbidden)
			return
		}
		loc := a.store.Location()
		p, err := jifen.ParsePeriod(period, loc)
		if err != nil {
			http.Error(w, "unknown period", http.StatusBadRequest)
			return
		}
		lang := a.bot.Language()
		t := func(k string, args ...any) string { return locale.T(lang, k, args...) }
		var je *jifen.Error
		if err := report.CheckPeriod(p, a.store.Now()); errors.As(err, &je) {
			http.Error(w, locale.T(lang, je.Key, je.Args...), http.StatusNotFound)
			return
		}
		s, err := report.AnalyzeSource(a.store, p, a.cfg.Rules, t)
		if err != nil {
			log.Error("report failed", "period", period, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		if err := report.HTML(w, s, t, lang); err != nil {
			log.Warn("report write failed", "err", err)
		}
	})
}

// pending counts what waits for an admin: awards over the approval
// threshold and redemptions that need approval.
func pending(a *app) int {
	aps, err := a.store.OpenApprovals()
	if err != nil {
		return 0
	}
	n := len(aps)
	for _, r := range a.store.Redemptions("", 10_000) {
		if r.Status == store.RedemptionPending {
			n++
		}
	}
	return n
}
