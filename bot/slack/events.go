package slack

import (
	"context"
	"regexp"
	"strings"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"jifen/bot"
)

// callbackReject is the callback id of the modal that asks an admin for
// the reason of a rejection.
const callbackReject = "jifen_reject"

// rejectCommand matches the value of a Reject button: an award's
// ("/reject 12") or a redemption's ("/redemptions reject R3"). The modal
// asks for the reason, then runs the command with it.
var rejectCommand = regexp.MustCompile(`^(?:/reject\s+#?A?(\d+)|/redemptions\s+reject\s+#?R?(\d+))$`)

// interaction handles a button click or a modal submission and returns
// the immediate answer (nil for a plain 200).
func (a *Adapter) interaction(ctx context.Context, cb slackapi.InteractionCallback) any {
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			a.blockAction(ctx, cb, act)
		}
		return nil
	case slackapi.InteractionTypeViewSubmission:
		if cb.View.CallbackID != callbackReject {
			return nil
		}
		reason := ""
		if cb.View.State != nil { // absent from a submission without inputs
			for _, blk := range cb.View.State.Values {
				for _, v := range blk {
					reason = strings.TrimSpace(v.Value)
				}
			}
		}
		command := cb.View.PrivateMetadata
		if rejectCommand.FindStringSubmatch(command) == nil {
			// Older modals carried the approval id alone.
			command = "/reject " + command
		}
		resp, err := a.run(ctx, cb.User.ID, command+" "+reason, "slack:view:"+cb.View.ID+":"+cb.View.Hash)
		if err != nil {
			resp = a.bot.ErrorResponse(err)
		}
		a.sendNotices(resp)
		if resp.Reply.Kind == "error" {
			// Show the problem in the modal rather than closing it.
			return slackapi.NewErrorsViewSubmissionResponse(map[string]string{"reason": plain(resp.Reply)})
		}
		return nil
	}
	return nil
}

// blockAction runs one clicked button. Command buttons (approve, reject)
// go through the same parsing, authorization and idempotency as the typed
// command; a decision replaces the card, so everyone who sees it sees who
// decided. A second click is told who decided first, privately.
func (a *Adapter) blockAction(ctx context.Context, cb slackapi.InteractionCallback, act *slackapi.BlockAction) {
	switch {
	case IsCommandAction(act.ActionID):
		if m := rejectCommand.FindStringSubmatch(strings.TrimSpace(act.Value)); m != nil && cb.TriggerID != "" {
			label := "A" + m[1]
			if m[1] == "" {
				label = "R" + m[2]
			}
			if err := a.openRejectModal(ctx, cb.TriggerID, strings.TrimSpace(act.Value), label); err == nil {
				return
			}
		}
		resp, err := a.run(ctx, cb.User.ID, act.Value, "slack:act:"+cb.TriggerID+":"+act.ActionTs)
		if err != nil {
			resp = a.bot.ErrorResponse(err)
		}
		a.sendNotices(resp)
		r := RenderLang(resp.Reply, act.Value, 0, a.lang)
		msg := &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: r.Text, Blocks: slackapi.Blocks{BlockSet: r.Blocks}}
		if resp.Reply.Kind != "error" {
			msg.ReplaceOriginal = true
		}
		a.reply(ctx, cb, msg)
	case strings.HasPrefix(act.ActionID, ActionPage):
		command, page, ok := DecodePage(act.Value)
		if !ok {
			return
		}
		resp, err := a.run(ctx, cb.User.ID, command, "")
		if err != nil {
			resp = a.bot.ErrorResponse(err)
		}
		r := RenderLang(resp.Reply, command, page, a.lang)
		a.reply(ctx, cb, &slackapi.Msg{ReplaceOriginal: true, Text: r.Text, Blocks: slackapi.Blocks{BlockSet: r.Blocks}})
	}
}

// reply answers an interaction through its response_url.
func (a *Adapter) reply(ctx context.Context, cb slackapi.InteractionCallback, msg *slackapi.Msg) {
	if cb.ResponseURL == "" {
		return
	}
	if err := a.respond(ctx, cb.ResponseURL, msg); err != nil {
		a.log.Warn("response_url failed", "err", err)
	}
}

func (a *Adapter) openRejectModal(ctx context.Context, triggerID, command, label string) error {
	input := slackapi.NewPlainTextInputBlockElement(slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.reject_placeholder"), false, false), "reason")
	input.Multiline = true
	block := slackapi.NewInputBlock("reason", slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.reject_label"), false, false), nil, input)
	view := slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      callbackReject,
		PrivateMetadata: command,
		Title:           slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(a.bot.T("slack.reject_title", label), 24), false, false),
		Submit:          slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.reject_submit"), false, false),
		Close:           slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.cancel"), false, false),
		Blocks:          slackapi.Blocks{BlockSet: []slackapi.Block{block}},
	}
	_, err := a.api.OpenViewContext(ctx, triggerID, view)
	if err != nil {
		a.log.Warn("views.open failed", "err", err)
	}
	return err
}

// event handles one Events API callback: a mention or a direct message
// carrying a command, or a reaction that thanks. Redelivered events (same
// event_id) are dropped.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || !a.events.First(cb.EventID) {
		return
	}
	key := "slack:ev:" + cb.EventID
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" {
			return
		}
		a.chat(ctx, e.Channel, e.User, stripLeadingMention(e.Text), key, false)
	case *slackevents.MessageEvent:
		if e.ChannelType != "im" || e.BotID != "" || e.SubType != "" || e.User == "" {
			return
		}
		a.chat(ctx, e.Channel, e.User, e.Text, key, true)
	case *slackevents.ReactionAddedEvent:
		if !a.thanksReaction(e.Reaction, e.Item.Type) {
			return
		}
		giver, err1 := a.member(ctx, e.User)
		receiver, err2 := a.member(ctx, e.ItemUser)
		if err1 != nil || err2 != nil {
			return
		}
		resp := a.bot.ReactionThanks(ctx, giver, receiver, reactionKey(e.Item, e.User, e.Reaction), "slack")
		a.sendNotices(resp)
		if resp.Reply.Kind == "error" {
			_ = a.postEphemeral(ctx, e.Item.Channel, e.User, resp.Reply)
		}
	case *slackevents.ReactionRemovedEvent:
		if !a.thanksReaction(e.Reaction, e.Item.Type) {
			return
		}
		giver, err := a.member(ctx, e.User)
		if err != nil {
			return
		}
		a.bot.UndoReactionThanks(ctx, giver, reactionKey(e.Item, e.User, e.Reaction), "slack")
	}
}

// chat answers command text sent in a conversation: public replies in the
// conversation, private ones to the caller only (in a direct message the
// conversation is private anyway).
func (a *Adapter) chat(ctx context.Context, channel, user, text, key string, direct bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		text = "/help"
	}
	if !strings.HasPrefix(text, "/") {
		text = "/" + text // "@jifen score" reads as "/score"
	}
	resp, err := a.run(ctx, user, text, key)
	if err != nil {
		resp = a.bot.ErrorResponse(err)
	}
	a.sendNotices(resp)
	if direct || resp.Reply.Public {
		err = a.Post(ctx, channel, resp.Reply)
	} else {
		err = a.postEphemeral(ctx, channel, user, resp.Reply)
	}
	if err != nil {
		a.log.Warn("reply failed", "err", err)
	}
}

func (a *Adapter) thanksReaction(reaction, itemType string) bool {
	want := strings.Trim(a.cfg.ThanksReaction, ":")
	return want != "" && reaction == want && itemType == "message"
}

func reactionKey(item slackevents.Item, user, reaction string) string {
	return "slack:react:" + item.Channel + ":" + item.Timestamp + ":" + user + ":" + reaction
}

// leadingMention is the bot's own mention at the start of an app_mention.
var leadingMention = regexp.MustCompile(`^\s*<@[UWB][A-Z0-9]+(?:\|[^>]*)?>\s*`)

func stripLeadingMention(s string) string { return leadingMention.ReplaceAllString(s, "") }

// plain is a message's text as one line, for places that take plain text.
func plain(m bot.Message) string {
	return truncate(strings.Join(append([]string{m.Title}, m.Text...), " "), 2000)
}

func truncate(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
