package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/bot"
	"jifen/outbox"
	"jifen/store"
)

// Address is where a message of the outbox goes on Slack when it goes to
// no member: a conversation, and a thread in it.
type Address struct {
	Channel   string `json:"channel"`
	Thread    string `json:"thread_ts,omitempty"`
	Broadcast bool   `json:"broadcast,omitempty"`
	// Ephemeral: shown to this user alone, in the conversation.
	Ephemeral string `json:"ephemeral,omitempty"`
}

// Outgoing is a message to the conversation at addr, for the outbox.
func Outgoing(addr Address, m bot.Message, key string) (store.Outgoing, error) {
	return bot.OutgoingAt("slack", addr, m, key)
}

// Deliver sends one message of the outbox (outbox.Deliver): a direct
// message to a member, or a message to a conversation. A member who is
// not on Slack, or is a bot, gets nothing, and the message is done.
// Slack has no key to drop a repeated message by: a message that was in
// flight when the process stopped may arrive twice.
func (a *Adapter) Deliver(ctx context.Context, o store.Outgoing) error {
	var m bot.Message
	if err := json.Unmarshal(o.Body, &m); err != nil {
		return outbox.Permanent(fmt.Errorf("message body: %w", err))
	}
	var to Address
	if o.To != "" {
		mb, ok, err := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.Member(o.To) })
		if err != nil {
			return err // tried again later
		}
		if !ok || mb.SlackID == "" || mb.Bot {
			return nil
		}
		to.Channel = mb.SlackID
	} else if err := json.Unmarshal(o.Address, &to); err != nil || to.Channel == "" {
		return outbox.Permanent(fmt.Errorf("message address: %v", err))
	}
	if to.Ephemeral != "" {
		return deliveryError(a.postEphemeral(ctx, to.Channel, to.Thread, to.Ephemeral, m))
	}
	return deliveryError(a.post(ctx, to.Channel, to.Thread, to.Broadcast, m))
}

// queue puts a reply in the outbox; the sender sends it at Slack's pace.
// key, the delivery's, keeps a reply to a delivery Slack sent again from
// being queued twice.
func (a *Adapter) queue(ctx context.Context, to Address, m bot.Message, key string) error {
	o, err := Outgoing(to, m, key+"#reply")
	if err != nil {
		return err
	}
	if err := a.st.Enqueue(ctx, o); err != nil {
		a.log.Warn("reply not queued", "err", err)
		return errNotRun
	}
	return nil
}

// deliveryError sorts a Web API error for the outbox: a 429 waits, a 5xx
// or a broken connection is tried again, and an answer of ok:false (the
// channel is gone, the app was removed from it) is final.
func deliveryError(err error) error {
	if err == nil {
		return nil
	}
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return &outbox.RetryAfter{After: max(rl.RetryAfter, time.Second), Err: err}
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Retryable() {
			return err
		}
		return outbox.Permanent(err)
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return err
		}
		return outbox.Permanent(err)
	}
	return err
}
