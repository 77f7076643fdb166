package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

type userID struct {
	OpenID string `json:"open_id"`
}

type messageEvent struct {
	Sender struct {
		SenderID   userID `json:"sender_id"`
		SenderType string `json:"sender_type"`
		TenantKey  string `json:"tenant_key"`
	} `json:"sender"`
	Message struct {
		MessageID   string    `json:"message_id"`
		ThreadID    string    `json:"thread_id"` // set for a message in a thread (话题)
		ChatID      string    `json:"chat_id"`
		ChatType    string    `json:"chat_type"`
		MessageType string    `json:"message_type"`
		Content     string    `json:"content"`
		Mentions    []mention `json:"mentions"`
	} `json:"message"`
}

// mentionsOf maps a message's placeholders (@_user_1) to the users they
// name.
func mentionsOf(ms []mention) map[string]user {
	out := map[string]user{}
	for _, mt := range ms {
		out[mt.Key] = user{OpenID: mt.ID.OpenID, Tenant: mt.TenantKey, Name: mt.Name}
	}
	return out
}

// mention is one @mention of a message: its placeholder key (@_user_1).
type mention struct {
	Key       string `json:"key"`
	ID        userID `json:"id"`
	Name      string `json:"name"`
	TenantKey string `json:"tenant_key"`
}

type cardEvent struct {
	Operator struct {
		OpenID    string `json:"open_id"`
		TenantKey string `json:"tenant_key"`
	} `json:"operator"`
	Token  string `json:"token"`
	Action struct {
		Value     json.RawMessage `json:"value"`
		Tag       string          `json:"tag"`
		FormValue map[string]any  `json:"form_value"`
	} `json:"action"`
	Context struct {
		MessageID string `json:"open_message_id"`
		ChatID    string `json:"open_chat_id"`
	} `json:"context"`
}

type menuEvent struct {
	Operator struct {
		OperatorID userID `json:"operator_id"`
	} `json:"operator"`
	EventKey string `json:"event_key"`
}

type reactionEvent struct {
	MessageID    string `json:"message_id"`
	ReactionType struct {
		EmojiType string `json:"emoji_type"`
	} `json:"reaction_type"`
	OperatorType string `json:"operator_type"`
	UserID       userID `json:"user_id"`
}

// MenuCommands maps the bot menu's event keys to commands; the README
// shows how to set the menu up with these keys.
var MenuCommands = map[string]string{
	"score": "/score", "leaderboard": "/leaderboard", "rules": "/rules", "shop": "/shop", "help": "/help",
}

// event handles one verified event and returns the answer: the toast and
// card of a card callback, or {} for events once their command has run
// (Feishu re-delivers events not answered within three seconds). An event
// whose work failed for something unexpected (the store, a deadline, an
// Open API call without an answer) returns an error and is forgotten, so
// that Feishu's re-delivery runs it: it must not be answered 200.
func (a *Adapter) event(ctx context.Context, env envelope) (any, error) {
	if env.Header.EventType == "card.action.trigger" {
		var ev cardEvent
		if json.Unmarshal(env.Event, &ev) != nil {
			return toast("error", a.bot.T("feishu.bad_action")), nil
		}
		return a.card(ctx, ev, env.Header.EventID, env.Header.TenantKey), nil
	}
	if !a.seen.First(env.Header.EventID) {
		return struct{}{}, nil
	}
	raw := env.Event
	id := env.Header.EventID
	home := env.Header.TenantKey // the tenant the app serves
	// The command runs (and its write is on disk) before the answer: an
	// event answered 200 is not delivered again, so answering first would
	// lose an award if the bot stopped in between. Replies go out in the
	// background. Commands take milliseconds; Feishu allows three seconds.
	ctx = context.WithoutCancel(ctx)
	var err error
	switch env.Header.EventType {
	case "im.message.receive_v1":
		var ev messageEvent
		if json.Unmarshal(raw, &ev) == nil {
			err = a.message(ctx, ev, home)
		}
	case "application.bot.menu_v6":
		var ev menuEvent
		if json.Unmarshal(raw, &ev) == nil {
			err = a.menu(ctx, ev, id, home)
		}
	case "im.message.reaction.created_v1", "im.message.reaction.deleted_v1":
		var ev reactionEvent
		added := env.Header.EventType == "im.message.reaction.created_v1"
		if json.Unmarshal(raw, &ev) == nil {
			// Finding the message's author asks the Open API: bounded, so
			// the answer stays within Feishu's three seconds.
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = a.reaction(rctx, ev, added, home)
			cancel()
		}
	}
	if err != nil {
		a.seen.Forget(id)
		return nil, err
	}
	return struct{}{}, nil
}

// placeholder is a mention placeholder in message text: @_user_1.
var placeholder = regexp.MustCompile(`^@_user_\d+$`)

// message runs the command in a text message: in a direct chat, or in a
// group where the bot was @mentioned. The leading mentions (the bot's own)
// are dropped; the others resolve through the message's mentions.
// An error says the command did not run (see event).
func (a *Adapter) message(ctx context.Context, ev messageEvent, home string) error {
	m := ev.Message
	if ev.Sender.SenderType != "user" || m.MessageType != "text" || !a.seen.First("msg:"+m.MessageID) {
		return nil
	}
	var content struct {
		Text string `json:"text"`
	}
	if json.Unmarshal([]byte(m.Content), &content) != nil {
		return nil
	}
	// With the permission to read every group message, a group message
	// that does not name the bot is no command: at most a recognition
	// written inline (feishu.inline_recognition).
	var err error
	if m.ChatType != "p2p" && a.cfg.InlineRecognition && !a.namesSelf(ctx, m.Mentions) {
		err = a.inline(ctx, ev, content.Text, home)
	} else {
		err = a.command(ctx, ev, content.Text, home)
	}
	if err != nil {
		a.seen.Forget("msg:" + m.MessageID)
	}
	return err
}

// errNotRun says that a delivery's command did not run, for a reason the
// log already holds.
var errNotRun = errors.New("feishu: the command did not run")

// command runs the command of a message to the bot and answers it.
func (a *Adapter) command(ctx context.Context, ev messageEvent, text, home string) error {
	m := ev.Message
	words := strings.Fields(text)
	for len(words) > 0 && placeholder.MatchString(words[0]) {
		words = words[1:]
	}
	if len(words) == 0 {
		words = []string{"/help"}
	}
	mentions := mentionsOf(m.Mentions)
	key := "feishu:msg:" + m.MessageID
	sender := user{OpenID: ev.Sender.SenderID.OpenID, Tenant: ev.Sender.TenantKey}
	lane := "open_id:" + sender.OpenID
	// A message in a thread, or in a topic group (where every message
	// is in a topic), is answered in its thread. A reply that merely
	// quotes another (root_id without thread_id) is not in a thread.
	inThread := m.ThreadID != "" || m.ChatType == "topic_group"
	answer := func(resp bot.Response, cause string) (store.Outgoing, error) {
		to := Address{ReplyTo: m.MessageID, InThread: inThread}
		if m.ChatType != "p2p" && !resp.Reply.Public {
			// A group sees public replies only; the rest is for the caller.
			to = Address{Privately: sender.OpenID, Chat: m.ChatID, ChatType: m.ChatType}
		}
		o, err := Outgoing(to, resp.Reply, cause)
		o.Lane = lane
		return o, err
	}
	// A member's first direct message to the bot is answered with their
	// personal card too, before the command's answer: a member already
	// known is looked up before the command runs (one who is not is
	// registered by it, and looked up after).
	var first *jifen.Member
	known := false
	findFirst := func() {
		// A failed read only leaves out the welcome card.
		me, ok, _ := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.MemberByFeishuOpenID(sender.OpenID) })
		known = ok
		if ok && !me.Bot && a.firstContact(ctx, me) {
			first = &me
		}
	}
	if m.ChatType == "p2p" {
		findFirst()
	}
	// Without a card to go first, a command that writes queues its
	// answer in its own write: one commit before the event is answered,
	// not two.
	var reply func(bot.Response) ([]store.Outgoing, error)
	if first == nil && (known || m.ChatType != "p2p") {
		reply = func(resp bot.Response) ([]store.Outgoing, error) {
			o, err := answer(resp, key)
			return []store.Outgoing{o}, err
		}
	}
	resp := a.run(ctx, sender, home, strings.Join(words, " "), key, mentions, reply)
	if resp.Queued {
		return nil
	}
	cause := key
	if resp.Failed {
		// The answer to the re-delivery must not be taken for a repeat
		// of this one (the uuid).
		cause = key + "#failed"
	}
	if m.ChatType == "p2p" && !known {
		findFirst()
	}
	// The card and the answer are queued in the outbox together, in
	// that order for the caller.
	var msgs []store.Outgoing
	if first != nil {
		o, err := Outgoing(Address{Home: true}, bot.Message{}, key+"#home")
		if err != nil {
			return err
		}
		o.To, o.Lane = first.ID, lane
		msgs = append(msgs, o)
	}
	o, err := answer(resp, cause)
	if err != nil {
		return err
	}
	if err := a.st.Enqueue(ctx, append(msgs, o)...); err != nil {
		a.log.Warn("reply not queued", "err", err)
		return errNotRun
	}
	if resp.Failed {
		return errNotRun
	}
	return nil
}

// inline runs a recognition written in an ordinary group message ("+5
// @王芳 #客户好评") as the command it stands for, answered in the message's
// thread; a private answer (a refusal) goes to its author alone. A message
// that is not one gets no answer.
func (a *Adapter) inline(ctx context.Context, ev messageEvent, text, home string) error {
	m := ev.Message
	if _, ok := bot.Inline(jifen.Member{Role: jifen.RoleEmployee}, text); !ok {
		return nil
	}
	sender := user{OpenID: ev.Sender.SenderID.OpenID, Tenant: ev.Sender.TenantKey}
	caller, err := a.member(ctx, sender, home)
	if err != nil {
		if jifen.ErrorCode(err) == jifen.EINTERNAL {
			return err
		}
		return nil
	}
	cmd, ok := bot.Inline(caller, text)
	if !ok {
		return nil
	}
	mentions := mentionsOf(m.Mentions)
	key := "feishu:msg:" + m.MessageID
	address := func(resp bot.Response) Address {
		if !resp.Reply.Public {
			return Address{Privately: sender.OpenID, Chat: m.ChatID, ChatType: m.ChatType}
		}
		return Address{ReplyTo: m.MessageID, InThread: true}
	}
	// The answer of a recognition that was written is queued in its
	// write (see command).
	resp := a.run(ctx, sender, home, cmd, key, mentions, func(resp bot.Response) ([]store.Outgoing, error) {
		o, err := Outgoing(address(resp), resp.Reply, key)
		return []store.Outgoing{o}, err
	})
	if resp.Queued {
		return nil
	}
	cause := key
	if resp.Failed {
		cause = key + "#failed" // see command
	}
	if err := a.queue(ctx, address(resp), "", resp.Reply, cause); err != nil {
		return err
	}
	if resp.Failed {
		return errNotRun
	}
	return nil
}

// namesSelf reports whether a message's mentions name the bot itself
// (its open_id from bot/v3/info, asked once). When the bot's id cannot be
// learned, every message is taken to name it: the adapter then works as
// it does without the permission to read every group message.
func (a *Adapter) namesSelf(ctx context.Context, mentions []mention) bool {
	self := a.selfID(ctx)
	if self == "" {
		return true
	}
	for _, mt := range mentions {
		if mt.ID.OpenID == self {
			return true
		}
	}
	return false
}

func (a *Adapter) selfID(ctx context.Context) string {
	a.selfMu.Lock()
	defer a.selfMu.Unlock()
	if a.self != "" {
		return a.self
	}
	resp, err := a.api.Get(ctx, "/open-apis/bot/v3/info", nil, larkcore.AccessTokenTypeTenant)
	if err != nil {
		a.log.Warn("bot info failed", "err", err)
		return ""
	}
	var out struct {
		Code int `json:"code"`
		Bot  struct {
			OpenID string `json:"open_id"`
		} `json:"bot"`
	}
	if json.Unmarshal(resp.RawBody, &out) != nil || out.Code != 0 {
		a.log.Warn("bot info refused", "status", resp.StatusCode, "code", out.Code)
		return ""
	}
	a.self = out.Bot.OpenID
	return a.self
}

// card handles a button click: the command in the button's value runs for
// the operator, with the callback's token as idempotency key. The answer is
// a toast and, when the command succeeded, the card replaced by its result
// (an approval card then shows who decided). A second click is told who
// decided first, and the card stays.
func (a *Adapter) card(ctx context.Context, ev cardEvent, eventID, home string) any {
	var value struct {
		Command string `json:"command"`
		Ask     string `json:"ask"`
		Home    string `json:"home"` // a button of the personal card (home.go)
		Form    string `json:"form"`
	}
	if json.Unmarshal(ev.Action.Value, &value) != nil || !strings.HasPrefix(value.Command, "/") && value.Home == "" {
		return toast("error", a.bot.T("feishu.bad_action"))
	}
	// The form's text input is named "text", or FORM_text when a card has
	// several forms (input names are unique in a card).
	for name, v := range ev.Action.FormValue {
		text, _ := v.(string)
		if value.Ask != "" && (name == "text" || strings.HasSuffix(name, "_text")) && strings.TrimSpace(text) != "" {
			value.Command += " " + strings.Join(strings.Fields(text), " ")
			break
		}
	}
	key := "feishu:card:" + ev.Token
	if ev.Token == "" {
		key = "feishu:card:" + eventID
	}
	if value.Home != "" {
		if value.Command != "" && !strings.HasPrefix(value.Command, "/") {
			return toast("error", a.bot.T("feishu.bad_action"))
		}
		return a.homeAction(ctx, ev, value.Command, value.Form, key, home)
	}
	resp := a.run(ctx, user{OpenID: ev.Operator.OpenID, Tenant: ev.Operator.TenantKey}, home, value.Command, key, nil, nil)
	if resp.Reply.Kind == "error" {
		return toast("error", strings.Join(resp.Reply.Text, " "))
	}
	out := toast("success", firstLine(resp.Reply))
	out["card"] = map[string]any{"type": "raw", "data": RenderCard(resp.Reply)}
	return out
}

func toast(kind, text string) map[string]any {
	return map[string]any{"toast": map[string]string{"type": kind, "content": text}}
}

func firstLine(m bot.Message) string {
	if len(m.Text) > 0 {
		return m.Text[0]
	}
	return m.Title
}

// menu runs a bot menu entry for the member who clicked, answered in a
// direct message.
// An error says the entry's command did not run (see event).
func (a *Adapter) menu(ctx context.Context, ev menuEvent, eventID, home string) error {
	open := ev.Operator.OperatorID.OpenID
	key := "feishu:ev:" + eventID
	if ev.EventKey == MenuHome {
		m, err := a.member(ctx, user{OpenID: open}, home)
		if err != nil {
			if err := internal(err); err != nil {
				return err // no answer to the lookup: Feishu delivers it again
			}
			resp := a.bot.ErrorResponse(asCaller(err))
			return a.queue(ctx, Address{IDType: "open_id", ID: open}, "", resp.Reply, key)
		}
		return a.queue(ctx, Address{Home: true}, m.ID, bot.Message{}, key)
	}
	command, ok := MenuCommands[ev.EventKey]
	if !ok {
		command = "/help"
	}
	// The menu event does not name the operator's tenant.
	resp := a.run(ctx, user{OpenID: open}, home, command, key, nil, nil)
	if resp.Failed {
		// The answer to the re-delivery is queued under a key of its own.
		_ = a.queue(ctx, Address{IDType: "open_id", ID: open}, "", resp.Reply, key+"#failed")
		return errNotRun
	}
	return a.queue(ctx, Address{IDType: "open_id", ID: open}, "", resp.Reply, key)
}

// reaction turns the configured reaction into peer thanks for the
// message's author, and its removal within ten minutes into taking them
// back. An error says the thanks were not written for want of an answer
// (the Open API, the store): see event.
func (a *Adapter) reaction(ctx context.Context, ev reactionEvent, added bool, home string) error {
	want := a.cfg.ThanksReaction
	if want == "" || !strings.EqualFold(ev.ReactionType.EmojiType, want) || ev.OperatorType != "user" {
		return nil
	}
	// The reaction event does not name the reactor's tenant.
	giver, err := a.member(ctx, user{OpenID: ev.UserID.OpenID}, home)
	if err != nil {
		return internal(err)
	}
	key := "feishu:react:" + ev.MessageID + ":" + ev.UserID.OpenID + ":" + strings.ToUpper(want)
	if !added {
		if a.bot.UndoReactionThanks(ctx, giver, key, "feishu").Failed {
			return errNotRun
		}
		return nil
	}
	author, ok, err := a.author(ctx, ev.MessageID)
	if err != nil || !ok {
		return err
	}
	receiver, err := a.member(ctx, author, home)
	if err != nil {
		return internal(err)
	}
	resp := a.bot.ReactionThanks(ctx, giver, receiver, key, "feishu")
	if resp.Failed {
		return errNotRun
	}
	if resp.Reply.Kind == "error" {
		return a.queue(ctx, Address{IDType: "open_id", ID: giver.FeishuOpenID}, "", resp.Reply, key)
	}
	return nil
}

// internal returns err when it is an unexpected failure (one a later try
// may not meet), nil for a refusal (an unknown user, a guest).
func internal(err error) error {
	if jifen.ErrorCode(err) == jifen.EINTERNAL {
		return err
	}
	return nil
}

// author is a message's sender, with their tenant, when a person sent it;
// an error when the Open API did not answer.
func (a *Adapter) author(ctx context.Context, messageID string) (user, bool, error) {
	resp, err := a.api.Im.V1.Message.Get(ctx, larkim.NewGetMessageReqBuilder().MessageId(messageID).Build())
	if err != nil || !resp.Success() || resp.Data == nil || len(resp.Data.Items) == 0 || resp.Data.Items[0].Sender == nil {
		a.log.Warn("message lookup failed", "message", messageID, "err", apiErr(err, resp))
		if err != nil || unreachable(nil, resp.ApiResp) {
			return user{}, false, fmt.Errorf("feishu: message lookup: %w", apiErr(err, resp))
		}
		return user{}, false, nil
	}
	s := resp.Data.Items[0].Sender
	if deref(s.SenderType) != "user" || deref(s.IdType) != "open_id" {
		return user{}, false, nil
	}
	return user{OpenID: deref(s.Id), Tenant: deref(s.TenantKey), Name: deref(s.SenderName)}, true, nil
}
