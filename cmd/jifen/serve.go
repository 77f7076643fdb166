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

	"jifen/bot/feishu"
	slackbot "jifen/bot/slack"
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

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	g, ctx := errgroup.WithContext(ctx)
	if c := a.cfg.Slack; c.Enabled {
		sl, err := slackbot.New(slackbot.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log})
		if err != nil {
			return err
		}
		defer sl.Wait()
		if c.Mode == "socket" {
			g.Go(func() error { return sl.RunSocket(ctx) })
		} else {
			sl.Register(mux)
		}
	}

	if c := a.cfg.Feishu; c.Enabled {
		fb, err := feishu.New(feishu.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log})
		if err != nil {
			return err
		}
		defer fb.Wait()
		if c.Mode == "websocket" {
			g.Go(func() error { return fb.RunWebsocket(ctx) })
		} else {
			fb.Register(mux)
		}
	}

	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
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
