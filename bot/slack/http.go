package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"jifen/bot"
)

// MaxBody is the largest request body accepted from Slack.
const MaxBody = 1 << 20

// ackBudget is how long a slash command may run before it is acknowledged
// with a placeholder and answered later through response_url. Slack allows
// three seconds for the whole round trip.
const ackBudget = 2 * time.Second

// Register adds the HTTP endpoints (slack.mode: http) to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/commands", a.verified(a.handleCommand))
	mux.HandleFunc("POST /slack/interactions", a.verified(a.handleInteraction))
	mux.HandleFunc("POST /slack/events", a.verified(a.handleEvents))
}

// verified reads at most MaxBody bytes and checks Slack's signature and
// timestamp (v0 HMAC-SHA256, at most five minutes old) before next sees
// the body. Anything else gets a 4xx and changes nothing.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		sv, err := slackapi.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			a.log.Warn("rejected request", "path", r.URL.Path, "reason", verifyReason(err))
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	}
}

// verifyReason names a verification failure for the log without echoing
// anything the sender controls.
func verifyReason(err error) string {
	switch {
	case errors.Is(err, slackapi.ErrExpiredTimestamp):
		return "stale or future timestamp"
	case errors.Is(err, slackapi.ErrMissingHeaders):
		return "missing signature headers"
	default:
		return "bad signature"
	}
}

func (a *Adapter) handleCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("ssl_check") == "1" {
		// Slack checks the certificate of a command URL now and then.
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil || form.Get("user_id") == "" || form.Get("command") == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	cmd := slackapi.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id"),
	}
	writeJSON(w, a.command(r.Context(), cmd))
}

// command runs a slash command and returns the immediate answer. A command
// that takes longer than ackBudget is acknowledged at once and answered
// through response_url when it is done.
func (a *Adapter) command(ctx context.Context, cmd slackapi.SlashCommand) *slackapi.Msg {
	key := ""
	if cmd.TriggerID != "" {
		key = "slack:cmd:" + cmd.TriggerID
	}
	text := commandText(cmd.Command, cmd.Text)
	type result struct {
		resp bot.Response
		err  error
	}
	done := make(chan result, 1)
	// The work must not die with the request's context when it outlives
	// the acknowledgement.
	work := context.WithoutCancel(ctx)
	go func() {
		resp, err := a.run(work, cmd.UserID, text, key)
		done <- result{resp, err}
	}()
	select {
	case res := <-done:
		return a.commandReply(res.resp, res.err, text, cmd)
	case <-time.After(ackBudget):
		a.bg.Go(func(ctx context.Context) {
			res := <-done
			msg := a.commandReply(res.resp, res.err, text, cmd)
			if cmd.ResponseURL == "" {
				return
			}
			if err := a.respond(ctx, cmd.ResponseURL, msg); err != nil {
				a.log.Warn("response_url failed", "err", err)
			}
		})
		return &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: a.bot.T("slack.working")}
	}
}

// commandReply turns a response into a slash-command answer: public
// messages in the channel, the rest to the caller only; notices go out as
// direct messages.
func (a *Adapter) commandReply(resp bot.Response, err error, text string, cmd slackapi.SlashCommand) *slackapi.Msg {
	if err != nil {
		resp = a.bot.ErrorResponse(err)
	}
	r := RenderLang(resp.Reply, text, 0, a.lang)
	msg := &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: r.Text, Blocks: slackapi.Blocks{BlockSet: r.Blocks}}
	if resp.Reply.Public {
		msg.ResponseType = slackapi.ResponseTypeInChannel
	}
	return msg
}

// respond posts to a response_url (an interaction's or a command's).
func (a *Adapter) respond(ctx context.Context, responseURL string, msg *slackapi.Msg) error {
	return retryWebhook(ctx, func() error {
		return slackapi.PostWebhookCustomHTTPContext(ctx, responseURL, a.httpClient(), &slackapi.WebhookMessage{
			ResponseType: msg.ResponseType, Text: msg.Text, Blocks: &msg.Blocks,
			ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal,
		})
	})
}

func (a *Adapter) handleInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	ack := a.interaction(r.Context(), cb)
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, ack)
}

func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "malformed challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(ch.Challenge))
		return
	}
	// The command runs (and its write is on disk) before the answer: an
	// event answered 200 is not delivered again, so answering first would
	// lose an award if the bot stopped in between. Replies to the chat go
	// out afterwards, in the background. Commands take milliseconds;
	// Slack allows three seconds, and a re-delivery is deduplicated by
	// event_id and by the command's idempotency key.
	if err := a.event(context.WithoutCancel(r.Context()), ev); err != nil {
		// Not run: Slack delivers an event not answered 200 again.
		a.log.Warn("event not handled; Slack will deliver it again", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
