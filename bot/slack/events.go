package slack

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

// callbackAsk is the callback id of the modal that asks for the text of
// an ask button (a survey's free-text answer); its private metadata is an
// askMeta.
const callbackAsk = "jifen_ask"

// askMeta is what an ask modal carries: the command to run with the text,
// and the response_url of the message whose button opened it, so the
// card can be replaced by the command's answer.
type askMeta struct {
	Command     string `json:"c"`
	ResponseURL string `json:"u,omitempty"`
}

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
		switch cb.View.CallbackID {
		case callbackAsk:
			return a.askSubmitted(ctx, cb)
		case callbackThanks:
			return a.thanksSubmitted(ctx, cb)
		}
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
	case strings.HasPrefix(act.ActionID, callbackThanks+":"):
		if cb.TriggerID != "" {
			_ = a.openThanksModal(ctx, cb.TriggerID)
		}
	case strings.HasPrefix(act.ActionID, bot.ActionHome+":"):
		a.homeOpened(cb.User.ID)
	case IsCommandAction(act.ActionID):
		// A button that asks for a text (a rejection's reason, a survey's
		// free-text answer) opens a modal; its submission runs the command
		// with the text. Reject buttons have a modal of their own, also for
		// cards sent before buttons said that they ask. Without a modal
		// (no trigger_id, views.open failed) the command runs as it is and
		// answers for itself.
		value := strings.TrimSpace(act.Value)
		if m := rejectCommand.FindStringSubmatch(value); m != nil && cb.TriggerID != "" {
			label := "A" + m[1]
			if m[1] == "" {
				label = "R" + m[2]
			}
			if err := a.openRejectModal(ctx, cb.TriggerID, value, label); err == nil {
				return
			}
		} else if IsAskAction(act.ActionID) && cb.TriggerID != "" {
			if err := a.openAskModal(ctx, cb, act); err == nil {
				return
			}
		}
		key := "slack:act:" + cb.TriggerID + ":" + act.ActionTs
		resp, err := a.run(ctx, cb.User.ID, act.Value, key)
		if err != nil {
			resp = a.bot.ErrorResponse(err)
		}
		r := RenderLang(resp.Reply, act.Value, 0, a.lang)
		msg := &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: r.Text, Blocks: slackapi.Blocks{BlockSet: r.Blocks}}
		if resp.Reply.Kind != "error" {
			msg.ReplaceOriginal = true
		}
		if cb.ResponseURL == "" && cb.View.Type == slackapi.VTHomeTab {
			// A button of the Home tab has no message to answer in: the
			// answer goes to the clicker as a direct message, and the
			// Home is published again (by run) when the command changed it.
			_ = a.queue(ctx, Address{Channel: cb.User.ID}, resp.Reply, key)
			return
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
// event_id) are dropped. It returns once the command has run; its replies
// are sent in the background. An error says the work did not run for
// something unexpected (the store, a deadline, Slack's API without an
// answer): the event is forgotten and must not be acknowledged, so that
// Slack delivers it again (its idempotency key makes that safe).
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || !a.events.First(cb.EventID) {
		return nil
	}
	err := a.eventOnce(ctx, ev, "slack:ev:"+cb.EventID)
	if err != nil {
		a.events.Forget(cb.EventID)
	}
	return err
}

// errNotRun says that a delivery's command did not run, for a reason the
// log already holds.
var errNotRun = errors.New("slack: the command did not run")

func (a *Adapter) eventOnce(ctx context.Context, ev slackevents.EventsAPIEvent, key string) error {
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" {
			return nil
		}
		return a.chat(ctx, e.Channel, e.ThreadTimeStamp, e.User, stripLeadingMention(e.Text), key, false)
	case *slackevents.MessageEvent:
		if e.BotID != "" || e.SubType != "" || e.User == "" {
			return nil
		}
		if e.ChannelType != "im" {
			return a.inline(ctx, e, key)
		}
		return a.chat(ctx, e.Channel, e.ThreadTimeStamp, e.User, e.Text, key, true)
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab == "home" && e.User != "" {
			a.homeOpened(e.User)
		}
	case *slackevents.ReactionAddedEvent:
		if !a.thanksReaction(e.Reaction, e.Item.Type) {
			return nil
		}
		giver, err := a.member(ctx, e.User)
		if err != nil {
			return internal(err)
		}
		receiver, err := a.member(ctx, e.ItemUser)
		if err != nil {
			return internal(err)
		}
		resp := a.bot.ReactionThanks(ctx, giver, receiver, reactionKey(e.Item, e.User, e.Reaction), "slack")
		if resp.Failed {
			return errNotRun
		}
		a.refreshHomes(giver, resp)
		if resp.Reply.Kind == "error" {
			return a.queue(ctx, Address{Channel: e.Item.Channel, Ephemeral: e.User}, resp.Reply, reactionKey(e.Item, e.User, e.Reaction))
		}
	case *slackevents.ReactionRemovedEvent:
		if !a.thanksReaction(e.Reaction, e.Item.Type) {
			return nil
		}
		giver, err := a.member(ctx, e.User)
		if err != nil {
			return internal(err)
		}
		resp := a.bot.UndoReactionThanks(ctx, giver, reactionKey(e.Item, e.User, e.Reaction), "slack")
		if resp.Failed {
			return errNotRun
		}
		a.refreshHomes(giver, resp)
	}
	return nil
}

// internal returns err when it is an unexpected failure (one a later try
// may not meet), nil for a refusal (an unknown or deleted user, a guest).
func internal(err error) error {
	if jifen.ErrorCode(err) == jifen.EINTERNAL {
		return err
	}
	return nil
}

// chat answers command text sent in a conversation: public replies in the
// conversation, private ones to the caller only (in a direct message the
// conversation is private anyway). A command typed in a thread (thread is
// the ts of its parent message) is answered in that thread; an
// announcement of points there also goes to the channel when
// slack.reply_broadcast is set.
// An error says the command did not run (see event).
func (a *Adapter) chat(ctx context.Context, channel, thread, user, text, key string, direct bool) error {
	text = strings.TrimSpace(text)
	if text == "" {
		text = "/help"
	}
	if !strings.HasPrefix(text, "/") {
		text = "/" + text // "@jifen score" reads as "/score"
	}
	address := func(resp bot.Response) Address {
		to := Address{Channel: channel, Thread: thread}
		if direct || resp.Reply.Public {
			to.Broadcast = a.cfg.ReplyBroadcast && !direct && resp.Reply.Public && len(resp.Entries) > 0
		} else {
			to.Ephemeral = user
		}
		return to
	}
	// A command that writes queues its answer in its own write: one
	// commit before the event is answered, not two.
	resp, err := a.runWith(ctx, user, text, key, func(resp bot.Response) ([]store.Outgoing, error) {
		o, err := Outgoing(address(resp), resp.Reply, key+"#reply")
		return []store.Outgoing{o}, err
	})
	if err != nil {
		resp = a.bot.ErrorResponse(err)
	}
	if resp.Queued {
		return nil
	}
	if resp.Failed {
		// The answer to the re-delivery is queued under a key of its own.
		key += "#failed"
	}
	if err := a.queue(ctx, address(resp), resp.Reply, key); err != nil {
		return err
	}
	if resp.Failed {
		return errNotRun
	}
	return nil
}

// inline runs a recognition written in an ordinary channel message
// ("+5 @王芳 #客户好评", slack.inline_recognition), answered in the message's
// thread. A message that is not one gets no answer; one that names the bot
// is its app_mention's, and the bot's own posts never count.
func (a *Adapter) inline(ctx context.Context, e *slackevents.MessageEvent, key string) error {
	if !a.cfg.InlineRecognition {
		return nil
	}
	text := e.Text // as Slack escapes it: run unescapes the command
	// Whether it reads as a recognition at all, before anyone is looked up.
	if _, ok := bot.Inline(jifen.Member{Role: jifen.RoleEmployee}, text); !ok {
		return nil
	}
	home, err := a.homeTeam(ctx)
	if err != nil || e.User == home.UserID || strings.Contains(text, "<@"+home.UserID) {
		return nil
	}
	caller, err := a.member(ctx, e.User)
	if err != nil {
		return internal(err)
	}
	cmd, ok := bot.Inline(caller, text)
	if !ok {
		return nil
	}
	thread := e.ThreadTimeStamp
	if thread == "" {
		thread = e.TimeStamp
	}
	return a.chat(ctx, e.Channel, thread, e.User, cmd, key, false)
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

// openAskModal opens the modal of an ask button: a multi-line input
// labelled with the button's prompt (carried in its action id, see
// AskActionID), in a modal titled with the button's label.
func (a *Adapter) openAskModal(ctx context.Context, cb slackapi.InteractionCallback, act *slackapi.BlockAction) error {
	meta, _ := json.Marshal(askMeta{Command: strings.TrimSpace(act.Value), ResponseURL: cb.ResponseURL})
	if len(meta) > 3000 { // Slack's limit on private_metadata
		meta, _ = json.Marshal(askMeta{Command: strings.TrimSpace(act.Value)})
	}
	title := a.bot.T("slack.ask_title")
	if strings.TrimSpace(act.Text.Text) != "" {
		title = act.Text.Text
	}
	input := slackapi.NewPlainTextInputBlockElement(slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.ask_placeholder"), false, false), "text")
	input.Multiline = true
	input.MaxLength = 2000
	label := AskPrompt(act.ActionID)
	if label == "" {
		label = a.bot.T("slack.ask_label")
	}
	block := slackapi.NewInputBlock("text", slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(label, maxInputLabel), false, false), nil, input)
	view := slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      callbackAsk,
		PrivateMetadata: string(meta),
		Title:           slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(title, 24), false, false),
		Submit:          slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.ask_submit"), false, false),
		Close:           slackapi.NewTextBlockObject(slackapi.PlainTextType, a.bot.T("slack.cancel"), false, false),
		Blocks:          slackapi.Blocks{BlockSet: []slackapi.Block{block}},
	}
	_, err := a.api.OpenViewContext(ctx, cb.TriggerID, view)
	if err != nil {
		a.log.Warn("views.open failed", "err", err)
	}
	return err
}

// maxInputLabel is Slack's limit on an input block's label.
const maxInputLabel = 2000

// askSubmitted runs an ask modal's command with the text typed. A problem
// is shown in the modal; on success the modal closes and the card that
// opened it is replaced by the command's answer.
func (a *Adapter) askSubmitted(ctx context.Context, cb slackapi.InteractionCallback) any {
	var meta askMeta
	if json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta) != nil || !strings.HasPrefix(meta.Command, "/") {
		return nil
	}
	text := ""
	if cb.View.State != nil {
		for _, blk := range cb.View.State.Values {
			for _, v := range blk {
				text = strings.TrimSpace(v.Value)
			}
		}
	}
	if text == "" {
		return slackapi.NewErrorsViewSubmissionResponse(map[string]string{"text": a.bot.T("slack.ask_empty")})
	}
	resp, err := a.run(ctx, cb.User.ID, meta.Command+" "+text, "slack:view:"+cb.View.ID+":"+cb.View.Hash)
	if err != nil {
		resp = a.bot.ErrorResponse(err)
	}
	if resp.Reply.Kind == "error" {
		return slackapi.NewErrorsViewSubmissionResponse(map[string]string{"text": plain(resp.Reply)})
	}
	if meta.ResponseURL != "" {
		r := RenderLang(resp.Reply, "", 0, a.lang)
		msg := &slackapi.Msg{ReplaceOriginal: true, Text: r.Text, Blocks: slackapi.Blocks{BlockSet: r.Blocks}}
		a.bg.Go(func(ctx context.Context) {
			if err := a.respond(ctx, meta.ResponseURL, msg); err != nil {
				a.log.Warn("response_url failed", "err", err)
			}
		})
	}
	return nil
}
