package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"jifen"
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
	// Privately: an answer only the member with this open_id sees: a card
	// only they see in the group Chat (of ChatType), or, where Feishu has
	// no such card (a topic group) or refuses it, a direct message.
	Privately string `json:"privately,omitempty"`
	Chat      string `json:"chat,omitempty"`
	ChatType  string `json:"chat_type,omitempty"`
	// Home: the member's personal card, made when it is sent (for a
	// message to a member, Outgoing.To).
	Home bool `json:"home,omitempty"`
}

// Outgoing is a message to addr, for the outbox.
func Outgoing(addr Address, m bot.Message, key string) (store.Outgoing, error) {
	return bot.OutgoingAt("feishu", addr, m, key)
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
	var to Address
	if len(o.Address) > 0 {
		if err := json.Unmarshal(o.Address, &to); err != nil {
			return outbox.Permanent(fmt.Errorf("message address: %w", err))
		}
	}
	card := RenderCard(m)
	if o.To != "" {
		mb, ok, err := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.Member(o.To) })
		if err != nil {
			return err // tried again later
		}
		if !ok || mb.FeishuOpenID == "" || mb.Bot {
			return nil
		}
		if to.Home {
			card = a.homeCard(ctx, mb)
		}
		to = Address{IDType: "open_id", ID: mb.FeishuOpenID}
	}
	var err error
	switch {
	case to.ReplyTo != "":
		_, err = a.replyOnce(ctx, to.ReplyTo, card.JSON(), uuid(o.Key), to.InThread)
	case to.Privately != "":
		if to.ChatType == "group" && to.Chat != "" {
			// Ephemeral cards take no uuid: one in flight at a crash may
			// show twice, to its one reader.
			if _, err = a.ephemeralOnce(ctx, to.Chat, to.Privately, card); err == nil {
				return nil
			}
			if errors.Is(err, errRateLimited) {
				return deliveryError(err)
			}
			a.log.Info("ephemeral card not sent; answering in a direct message", "err", err)
		}
		_, err = a.createOnce(ctx, "open_id", to.Privately, card.JSON(), uuid(o.Key))
	case to.ID != "":
		_, err = a.createOnce(ctx, to.IDType, to.ID, card.JSON(), uuid(o.Key))
	default:
		return outbox.Permanent(errors.New("message address: no receiver"))
	}
	return deliveryError(err)
}

// queue puts a reply in the outbox (its key, the delivery's, also names
// it for Feishu's uuid); the sender sends it at Feishu's pace. A reply
// queued before, for a delivery Feishu sent again, is not queued twice.
func (a *Adapter) queue(ctx context.Context, to Address, member string, m bot.Message, key string) error {
	if member == "" && to.ID == "" && to.ReplyTo == "" && to.Privately == "" {
		return nil // an event that names nobody to answer
	}
	o, err := Outgoing(to, m, key)
	if err != nil {
		return err
	}
	o.To = member
	if err := a.st.Enqueue(ctx, o); err != nil {
		a.log.Warn("reply not queued", "err", err)
		return errNotRun
	}
	return nil
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
