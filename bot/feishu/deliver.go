package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"jifen/bot"
	"jifen/outbox"
	"jifen/store"
)

// Address is where a message of the outbox goes on Feishu when it goes to
// no member: a chat (or a person) by id, or a reply to a message.
type Address struct {
	IDType   string `json:"receive_id_type,omitempty"` // chat_id, open_id
	ID       string `json:"receive_id,omitempty"`
	ReplyTo  string `json:"reply_to,omitempty"` // a message id
	InThread bool   `json:"in_thread,omitempty"`
}

// Outgoing is a message to addr, for the outbox.
func Outgoing(addr Address, m bot.Message, key string) (store.Outgoing, error) {
	a, err := json.Marshal(addr)
	if err != nil {
		return store.Outgoing{}, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return store.Outgoing{}, err
	}
	return store.Outgoing{Platform: "feishu", Address: a, Body: body, Key: key}, nil
}

// Deliver sends one message of the outbox (outbox.Deliver): a direct
// message to a member, a card to a chat, or a reply. The message's key
// is its uuid, so that Feishu drops a repeat sent after a restart (it
// remembers a uuid for an hour). A member who is not on Feishu, or is a
// bot, gets nothing, and the message is done.
func (a *Adapter) Deliver(ctx context.Context, o store.Outgoing) error {
	var m bot.Message
	if err := json.Unmarshal(o.Body, &m); err != nil {
		return outbox.Permanent(fmt.Errorf("message body: %w", err))
	}
	card := RenderCard(m).JSON()
	var to Address
	if o.To != "" {
		mb, ok := a.st.Member(o.To)
		if !ok || mb.FeishuOpenID == "" || mb.Bot {
			return nil
		}
		to = Address{IDType: "open_id", ID: mb.FeishuOpenID}
	} else if err := json.Unmarshal(o.Address, &to); err != nil || (to.ID == "" && to.ReplyTo == "") {
		return outbox.Permanent(fmt.Errorf("message address: %v", err))
	}
	var err error
	if to.ReplyTo != "" {
		_, err = a.replyOnce(ctx, to.ReplyTo, card, uuid(o.Key), to.InThread)
	} else {
		_, err = a.createOnce(ctx, to.IDType, to.ID, card, uuid(o.Key))
	}
	return deliveryError(err)
}

// deliveryError sorts an Open API error for the outbox: rate limited
// waits, a 5xx or a broken connection is tried again, and any other
// refusal (the bot is not in the chat, the user is gone) is final.
func deliveryError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errRateLimited) {
		return &outbox.RetryAfter{After: time.Second, Err: err}
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.Status < 500 {
		return outbox.Permanent(err)
	}
	return err
}
