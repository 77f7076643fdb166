package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"jifen/bot"
	"jifen/config"
)

// RunWebsocket receives the same events and card callbacks over the SDK's
// long connection (feishu.mode: websocket), for deployments with no public
// address, until ctx ends. The connection is authenticated by the app
// credentials; each event still has its verification token checked.
func (a *Adapter) RunWebsocket(ctx context.Context) error {
	base := a.cfg.BaseURL
	if base == "" {
		base = config.DefaultFeishu
	}
	cli := larkws.NewClient(a.cfg.AppID, a.cfg.AppSecret, larkws.WithEventHandler(a.wsDispatcher()),
		larkws.WithDomain(strings.TrimSuffix(base, "/")), larkws.WithLogger(wsLogger{sdkLogger{a.log}, a.health}))
	err := cli.Start(ctx)
	a.health.Set(false, "long connection stopped")
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// wsDispatcher routes the long connection's frames (plain JSON: the
// connection itself is authenticated) into the same handling as webhook
// deliveries, token check included.
func (a *Adapter) wsDispatcher() *dispatcher.EventDispatcher {
	d := dispatcher.NewEventDispatcher(a.cfg.VerificationToken, a.cfg.EncryptKey)
	handle := func(ctx context.Context, req *larkevent.EventReq) error {
		_, status, reason := a.dispatch(ctx, req.Body, true)
		if status != 0 {
			return errors.New(reason)
		}
		return nil
	}
	for _, t := range []string{"im.message.receive_v1", "application.bot.menu_v6",
		"im.message.reaction.created_v1", "im.message.reaction.deleted_v1"} {
		d.OnCustomizedEvent(t, handle)
	}
	d.OnP2CardActionTrigger(func(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
		if ev.EventReq == nil {
			return nil, errors.New("card callback without body")
		}
		resp, status, reason := a.dispatch(ctx, ev.EventReq.Body, true)
		if status != 0 {
			return nil, errors.New(reason)
		}
		raw, err := json.Marshal(resp)
		if err != nil {
			return nil, err
		}
		var out callback.CardActionTriggerResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		return &out, nil
	})
	return d
}

// wsLogger reads the long connection's state from the SDK's log lines:
// its client has no other way to tell (v3.9.2 logs "connected to …",
// "disconnected to …", "trying to reconnect", "connect failed" and "the
// receive message loop exit" as the connection comes and goes).
type wsLogger struct {
	sdkLogger
	health *bot.Health
}

func (l wsLogger) Info(ctx context.Context, args ...any) {
	l.observe(fmt.Sprint(args...))
	l.sdkLogger.Info(ctx, args...)
}

func (l wsLogger) Error(ctx context.Context, args ...any) {
	l.observe(fmt.Sprint(args...))
	l.sdkLogger.Error(ctx, args...)
}

func (l wsLogger) observe(line string) {
	switch {
	case strings.Contains(line, "connected to "):
		// "disconnected to" also contains "connected to"
		if strings.Contains(line, "disconnected to ") {
			l.health.Set(false, "long connection disconnected")
		} else {
			l.health.Set(true, "")
		}
	case strings.Contains(line, "trying to reconnect"):
		l.health.Set(false, "long connection reconnecting")
	case strings.Contains(line, "connect failed"), strings.Contains(line, "receive message loop exit"):
		l.health.Set(false, "long connection failed")
	}
}
