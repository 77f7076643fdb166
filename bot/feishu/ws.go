package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"jifen/config"
)

// RunWebsocket receives the same events and card callbacks over the SDK's
// long connection (feishu.mode: websocket), for deployments with no public
// address, until ctx ends. The connection is authenticated by the app
// credentials; each event still has its verification token checked.
//
// The SDK's Client.Start never returns once it has tried to connect (its
// reconnect loop does not watch the context), so it runs on its own: when
// ctx ends, the client is closed, frames that arrive from then on are
// refused unhandled, and RunWebsocket returns once the frames being
// handled are done, so nothing is written after it returns. A reconnection
// the SDK had already begun may still open a connection; its frames are
// refused too (Feishu delivers them again).
func (a *Adapter) RunWebsocket(ctx context.Context) error {
	base := a.cfg.BaseURL
	if base == "" {
		base = config.DefaultFeishu
	}
	var frames gate
	// The connection's state comes from the SDK's callbacks, called as
	// the connection comes (ready, reconnected) and goes.
	up := func() { a.health.Set(true, "") }
	down := func(detail string) func() { return func() { a.health.Set(false, detail) } }
	cli := larkws.NewClient(a.cfg.AppID, a.cfg.AppSecret, larkws.WithEventHandler(a.wsDispatcher(&frames)),
		larkws.WithDomain(strings.TrimSuffix(base, "/")), larkws.WithLogger(sdkLogger{a.log}),
		larkws.WithOnReady(up), larkws.WithOnReconnected(up),
		larkws.WithOnDisconnected(down("long connection disconnected")),
		larkws.WithOnReconnecting(down("long connection reconnecting")),
		larkws.WithOnError(func(error) { a.health.Set(false, "long connection failed") }))
	started := make(chan error, 1)
	// Frames being handled at the end finish their writes: the context
	// they are handled with does not end with ctx.
	go func() { started <- cli.Start(context.WithoutCancel(ctx)) }()
	var err error
	select {
	case err = <-started: // the SDK gave up: credentials refused, or retries spent
	case <-ctx.Done():
	}
	cli.Close()
	frames.close()
	a.health.Set(false, "long connection stopped")
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// gate lets frames be handled until it is closed, and close waits for
// those being handled. The zero value is open.
type gate struct {
	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

// enter reports whether a frame may be handled; if so, leave must follow.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.running.Add(1)
	return true
}

func (g *gate) leave() { g.running.Done() }

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.running.Wait()
}

// errStopped refuses a frame that arrives once the connection is being
// closed: the SDK answers it as failed and Feishu delivers it again.
var errStopped = errors.New("long connection stopping")

// wsDispatcher routes the long connection's frames (plain JSON: the
// connection itself is authenticated) into the same handling as webhook
// deliveries, token check included.
func (a *Adapter) wsDispatcher(frames *gate) *dispatcher.EventDispatcher {
	d := dispatcher.NewEventDispatcher(a.cfg.VerificationToken, a.cfg.EncryptKey)
	// Its log goes where jifen's goes, warnings and errors only (at debug
	// it would log each event's body: what people wrote).
	d.InitConfig(larkevent.WithLogger(sdkLogger{a.log}), larkevent.WithLogLevel(larkcore.LogLevelWarn))
	handle := func(ctx context.Context, req *larkevent.EventReq) error {
		if !frames.enter() {
			return errStopped
		}
		defer frames.leave()
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
		if !frames.enter() {
			return nil, errStopped
		}
		defer frames.leave()
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
