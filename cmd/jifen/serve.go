package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"jifen"
	"jifen/admin"
	"jifen/config"

	"jifen/bot/feishu"
	slackbot "jifen/bot/slack"
	"jifen/locale"
	"jifen/metrics"
	"jifen/report"
	"jifen/roster"
	"jifen/store"
)

// serve runs `jifen serve`: the HTTP server (platform callbacks, health)
// and the platform connections, until ctx ends (SIGINT/SIGTERM in main).
func (m *Main) serve(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"unexpected arguments"}
	}
	m.serving = true
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	log := m.logger(slog.LevelInfo)

	met := metrics.New(func() float64 { return float64(pending(a)) })
	a.metrics = met
	if o, ok := a.store.(commitObserver); ok {
		o.SetCommitObserver(met.Committed)
	}
	a.bot.SetCommandObserver(met.Command)

	mux := http.NewServeMux()
	metricsHandler := met.Handler()
	if tok := a.cfg.HTTP.MetricsToken; tok != "" {
		metricsHandler = bearer(tok, metricsHandler)
	}
	if a.cfg.HTTP.MetricsListen == "" {
		mux.Handle("GET /metrics", metricsHandler)
		if a.cfg.HTTP.MetricsToken == "" {
			log.Warn("/metrics is served on the public address without a token: set http.metrics_listen (an internal address) or http.metrics_token")
		}
	}
	// The platforms' endpoints are served through a mux of their own,
	// each measured: acknowledgement latency, statuses, refusals.
	platforms := http.NewServeMux()
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events", "/feishu/events"} {
		mux.Handle(path, met.Wrap(path, platforms))
	}
	// /healthz says only that the process answers; /readyz whether it
	// can do its work (health.go).
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	ready := &readiness{store: a.store, started: time.Now()}
	mux.Handle("GET /readyz", ready)
	met.StoreReady(func() bool { ok, _ := ready.storeOK(); return ok })
	if base := a.cfg.HTTP.PublicURL; base != "" {
		keys := storeLinkKeys(a.store)
		if _, err := keys.get(ctx); err != nil {
			return err
		}
		a.bot.SetReportLink(func(period string) string {
			key, _ := keys.get(context.Background()) // read at start: a failure keeps it
			return report.Link(base, key, period, time.Now())
		})
		mux.Handle("GET /reports/{period}", m.reportHandler(a, keys, log))
	}
	g, ctx := errgroup.WithContext(ctx)
	// A store whose commit failed takes no more writes (Store.Err): serve
	// stops within its deadline and exits non-zero, for the supervisor to
	// start it again on the file as it is on disk.
	g.Go(func() error {
		select {
		case <-a.store.Failed():
			return fmt.Errorf("the store failed, restart jifen: %w", a.store.Err())
		case <-ctx.Done():
			return nil
		}
	})
	var posts poster
	// The adapters' background work still running at shutdown (Slack's
	// response_url answers and Home tab refreshes).
	var senders []interface{ Stop(context.Context) int }
	// Members with an email and no id on a platform are looked up there
	// in the background, so scheduled direct messages reach them before
	// their first command; start-up does not wait for it, and shutdown
	// cancels it.
	linkByEmail := func(platform string, l interface {
		LinkByEmail(context.Context) (int, error)
	}) {
		g.Go(func() error {
			if _, err := l.LinkByEmail(ctx); err != nil && ctx.Err() == nil {
				log.Warn("linking members by email failed", "platform", platform, "err", err)
			}
			return nil
		})
	}
	var slackTeam func(context.Context) (string, error) // the console's check of a Slack user's workspace
	if c := a.cfg.Slack; c.Enabled {
		sl, err := slackbot.New(slackbot.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log})
		if err != nil {
			return err
		}
		senders = append(senders, sl)
		posts.slack = sl
		ready.platforms = append(ready.platforms, platformCheck{"slack", sl.Health})
		met.PlatformConnected("slack", func() bool { ok, _ := sl.Health(); return ok })
		linkByEmail("slack", sl)
		slackTeam = sl.HomeTeamID
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
		posts.feishu = fb
		ready.platforms = append(ready.platforms, platformCheck{"feishu", fb.Health})
		met.PlatformConnected("feishu", func() bool { ok, _ := fb.Health(); return ok })
		linkByEmail("feishu", fb)
		if c.Mode == "websocket" {
			g.Go(func() error { return fb.RunWebsocket(ctx) })
		} else {
			fb.Register(platforms)
		}
	}

	if a.cfg.Admin.Enabled {
		console, err := admin.New(ctx, admin.Options{Store: a.store, Config: a.cfg, Language: a.bot.Language(),
			Logger: log, SlackTeam: slackTeam, Bot: a.bot,
			SyncPlan: func(ctx context.Context, from roster.Platform) (roster.Plan, error) {
				return planSync(ctx, a, posts, from)
			}})
		if err != nil {
			return err
		}
		mux.Handle("/admin/", console.Handler())
	}

	// Notices, scheduled posts and personal reports are queued in the
	// store's outbox, and sent from there by one sender per platform.
	a.bot.SetPlatforms(posts.platforms()...)
	for _, s := range posts.senders(a.store, log, met.Outbox) {
		g.Go(func() error { s.Run(ctx); return nil })
	}
	for _, pl := range posts.platforms() {
		met.OutboxPending(pl, func() int {
			n, err := a.store.OutboxLen(pl)
			if err != nil {
				log.Warn("outbox: count the messages waiting", "platform", pl, "err", err)
			}
			return n
		})
	}
	g.Go(func() error {
		err := runSchedules(ctx, a, posts, log, m.now, func(at time.Time) {
			ready.ticked(at)
			met.SchedulerTicked(at)
		})
		ready.idle.Store(true) // with no jobs it returns at once; at shutdown it no longer matters
		return err
	})
	// Pages of the store read by reports and first leaderboard loads need
	// not stay resident in the process (see Store.ReleaseMemory); writes
	// release them as they go, an idle bot once a minute. A store that is
	// not a file keeps no pages.
	if rm, ok := a.store.(memoryReleaser); ok {
		g.Go(func() error {
			tick := time.NewTicker(time.Minute)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
					rm.ReleaseMemory()
				}
			}
		})
	}

	timeout := a.cfg.HTTP.ShutdownTimeout
	if timeout <= 0 {
		timeout = config.DefaultShutdownTimeout
	}
	serveHTTP := func(srv *http.Server, ln net.Listener) {
		g.Go(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			return srv.Shutdown(shutdown)
		})
	}
	if addr := a.cfg.HTTP.MetricsListen; addr != "" {
		mln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		internal := http.NewServeMux()
		internal.Handle("GET /metrics", metricsHandler)
		log.Info("metrics serving", "addr", mln.Addr().String())
		if m.OnMetricsListen != nil {
			m.OnMetricsListen(mln.Addr().String())
		}
		serveHTTP(&http.Server{Handler: internal, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}, mln)
	}
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
	serveHTTP(srv, ln)
	return m.shutdown(ctx, g, a, senders, timeout, log)
}

// shutdown waits for serve to be asked to stop, then stops within timeout:
// the HTTP servers finish the requests they hold (every command's write is
// on disk before it is answered) and the outbox's senders stop (what they
// had not sent stays queued for the next start); the store is closed
// first, so that a restarted jifen can open it at once, and only then does
// the adapters' remaining background work (Slack's response_url answers,
// Home tab refreshes) get what is left of the time; what is still undone
// at the deadline is dropped and counted in the log.
func (m *Main) shutdown(ctx context.Context, g *errgroup.Group, a *app, senders []interface{ Stop(context.Context) int }, timeout time.Duration, log *slog.Logger) error {
	waited := make(chan error, 1)
	go func() { waited <- g.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-ctx.Done():
		deadline := time.Now().Add(timeout)
		log.Info("shutting down", "timeout", timeout)
		select {
		case err = <-waited:
		case <-time.After(time.Until(deadline)):
			log.Warn("shutdown: a connection was still running at the deadline")
		}
		if cerr := a.Close(); cerr != nil && err == nil {
			err = cerr
		}
		stop, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
		defer cancel()
		unsent := 0
		for _, s := range senders {
			unsent += s.Stop(stop)
		}
		if unsent > 0 {
			log.Warn("shutdown: background work not done by the deadline", "count", unsent, "timeout", timeout)
		}
		return err
	}
	return err
}

// bearer lets through only requests that carry the token as a bearer
// token, compared in constant time.
func bearer(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="jifen metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reportHandler serves a period's HTML report to whoever holds a signed,
// unexpired link (the /report card carries one).
func (m *Main) reportHandler(a *app, keys *linkKeys, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		period := r.PathValue("period")
		key, err := keys.get(r.Context())
		if err != nil {
			log.Error("report link key", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
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
		var s *report.Summary
		err = a.store.Read(r.Context(), func(rd store.Reader) error {
			s, err = report.AnalyzeSource(rd, p, a.cfg.Rules, t)
			return err
		})
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
	n := 0
	err := a.store.Read(context.Background(), func(r store.Reader) error {
		aps, err := r.OpenApprovals()
		if err != nil {
			return err
		}
		n = len(aps)
		for _, rd := range r.Redemptions("", 10_000) {
			if rd.Status == store.RedemptionPending {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0
	}
	return n
}
