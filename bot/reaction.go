package bot

import (
	"context"
	"encoding/json"
	"time"

	"jifen"
	"jifen/store"
)

// ReactionUndoWindow is how long after a reaction-thanks removing the
// reaction takes the point back. Later, the thanks stand: people read the
// announcement meanwhile.
const ReactionUndoWindow = 10 * time.Minute

// ReactionThanks gives receiver one peer-thanks point from giver's
// allowance because giver reacted to receiver's message with the
// configured emoji. key names the reaction (conversation, message, reactor,
// emoji), so a redelivered event applies once. Reactions to oneself or to a
// bot, or with thanks disabled, do nothing and say nothing: a reaction is not
// a command, and the reactor may not even know it counts.
func (b *Bot) ReactionThanks(ctx context.Context, giver, receiver jifen.Member, key, source string) Response {
	if b.cat.Thanks == nil || giver.Bot || receiver.Bot || giver.ID == "" || receiver.ID == "" || giver.ID == receiver.ID {
		return Response{}
	}
	plan := awardPlan{kind: jifen.KindThanks, giver: giver, receivers: []jifen.Member{receiver},
		behavior: b.cat.Behavior(b.cat.Thanks.Behavior), points: 1, reason: b.t("reaction.reason"), source: source}
	resp, err := b.apply(ctx, key, nil, plan)
	if err != nil {
		return b.errorResponse(Request{Caller: giver, Key: key, Source: source}, err)
	}
	return resp
}

// UndoReactionThanks takes back the thanks given under key when the
// reaction is removed within ReactionUndoWindow, with a revoke entry (the
// ledger keeps both). Anything else does nothing: no thanks under key, a
// different giver, already taken back, or too late.
func (b *Bot) UndoReactionThanks(ctx context.Context, giver jifen.Member, key, source string) Response {
	// No idempotency key of its own: an entry is reversed at most once, so a
	// redelivered removal finds nothing left to take back.
	resp, err := b.write(ctx, "", nil, func(tx store.Txn) (Response, error) {
		raw, ok := tx.Seen(key)
		if !ok {
			return Response{}, nil
		}
		var first Response
		if err := json.Unmarshal(raw, &first); err != nil {
			return Response{}, err
		}
		var ids []uint64
		for _, id := range first.Entries {
			e, ok := tx.Entry(id)
			if !ok || e.Kind != jifen.KindThanks || e.Giver != giver.ID || tx.ReversedBy(id) != 0 ||
				tx.Now().Sub(e.At) > ReactionUndoWindow {
				continue
			}
			rid, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: giver.ID, Reverses: id,
				Reason: b.t("reaction.undo_reason"), RuleVersion: b.version, Source: source})
			if err != nil {
				return Response{}, err
			}
			ids = append(ids, rid)
		}
		if len(ids) == 0 {
			return Response{}, nil
		}
		return Response{Reply: Message{Kind: "revoke", Text: []string{b.t("reaction.undone", entryIDs(first.Entries))}}, Entries: ids}, nil
	})
	if err != nil {
		return b.errorResponse(Request{Caller: giver, Key: key, Source: source}, err)
	}
	return resp
}
