package slack

import (
	"context"
	"errors"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocket serves slash commands, interactions and events over Socket
// Mode (slack.mode: socket) until ctx ends: no public URL needed. Each
// request is acknowledged with the same answer the HTTP endpoints give.
func (a *Adapter) RunSocket(ctx context.Context) error {
	if a.cfg.AppToken == "" {
		return errors.New("slack: socket mode needs slack.app_token")
	}
	client := socketmode.New(a.api)
	// The event loop has ended before RunSocket returns: otherwise it could
	// still hand work to a.bg while the caller waits for a.bg, and that
	// work would be neither waited for nor stopped.
	loop, stop := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-loop }()
	go func() {
		defer close(loop)
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				a.socketEvent(ctx, client, evt)
			}
		}
	}()
	err := client.RunContext(ctx)
	a.health.Set(false, "socket mode stopped")
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (a *Adapter) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slackapi.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		// Commands run one by one off the event loop, so a slow one does
		// not hold up the others' acknowledgements.
		a.bg.Go(func(context.Context) {
			a.ack(client, *evt.Request, a.command(ctx, cmd))
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		a.bg.Go(func(context.Context) {
			if ack := a.interaction(ctx, cb); ack != nil {
				a.ack(client, *evt.Request, ack)
				return
			}
			a.ack(client, *evt.Request, nil)
		})
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		// Acknowledged once the command's write is done (see handleEvents);
		// not acknowledged when it did not run, so that Slack delivers it
		// again.
		a.bg.Go(func(context.Context) {
			if err := a.event(ctx, ev); err != nil {
				a.log.Warn("event not handled; Slack will deliver it again", "err", err)
				return
			}
			a.ack(client, *evt.Request, nil)
		})
	case socketmode.EventTypeConnecting:
		a.health.Set(false, "socket mode connecting")
	case socketmode.EventTypeConnected:
		a.health.Set(true, "")
	case socketmode.EventTypeDisconnect:
		a.health.Set(false, "socket mode disconnected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		a.health.Set(false, "socket mode "+string(evt.Type))
		a.log.Warn("socket mode connection problem", "type", evt.Type)
	}
}

// ackTimeout bounds an acknowledgement. The client queues it for its
// connection's writer; with the connection gone (a drop, the end of
// RunSocket) nothing takes it, and an acknowledgement without a bound
// would hold its goroutine, and shutdown, for ever.
var ackTimeout = 5 * time.Second

// ack acknowledges a request with payload (nil for none). A failure is
// logged: Slack delivers an unacknowledged request again.
func (a *Adapter) ack(client *socketmode.Client, req socketmode.Request, payload any) {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		a.log.Warn("socket mode acknowledgement failed", "type", req.Type, "err", err)
	}
}
