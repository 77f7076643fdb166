// Package slack connects the command core to Slack: slash commands,
// buttons and modals, the Events API (mentions, direct messages, reactions
// as peer thanks) over HTTP or Socket Mode, and Block Kit rendering of the
// neutral message model. Nothing Slack-specific lives outside this package.
//
// Every delivery carries an idempotency key derived from what Slack sends
// (a slash command's trigger_id, an event's event_id, a reaction's message
// and reactor), so a retried delivery never applies twice.
package slack

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/store"
)

// Options configure an Adapter.
type Options struct {
	Bot    *bot.Bot
	Store  store.Ledger
	Config config.Slack
	Logger *slog.Logger
	// Client overrides the Slack API client (tests); nil builds one from
	// Config.BotToken and Config.APIURL that retries (apiRetry). A client
	// given here retries only as its own options say.
	Client *slackapi.Client
	// HTTPClient posts to response_url; nil is a client with a timeout.
	HTTPClient *http.Client
}

// Adapter is jifen's Slack app.
type Adapter struct {
	bot    *bot.Bot
	st     store.Ledger
	cfg    config.Slack
	log    *slog.Logger
	api    *slackapi.Client
	hc     *http.Client
	lang   string
	events *bot.Recent // Events API event_ids recently handled

	bg    bot.Background // notices and delayed replies
	homes homeViews      // the Home tabs opened (home.go)

	lookupPace time.Duration // between users.lookupByEmail calls (link.go)

	homeMu sync.Mutex
	home   *slackapi.AuthTestResponse // the app's own workspace, from auth.test (guests.go)

	// health is the Socket Mode connection's state (socket.go) or, in
	// HTTP mode, the outcome of the last Web API call.
	health *bot.Health
}

// New builds the adapter.
func New(opt Options) (*Adapter, error) {
	if opt.Bot == nil || opt.Store == nil {
		return nil, errors.New("slack: Bot and Store are required")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	health := new(bot.Health)
	if opt.Config.Mode == "socket" {
		health.Set(false, "socket mode not connected")
	} else {
		health.Set(true, "") // until a Web API call fails
	}
	api := opt.Client
	if api == nil {
		var o []slackapi.Option
		if opt.Config.APIURL != "" {
			o = append(o, slackapi.OptionAPIURL(strings.TrimSuffix(opt.Config.APIURL, "/")+"/"))
		}
		if opt.Config.AppToken != "" {
			o = append(o, slackapi.OptionAppLevelToken(opt.Config.AppToken))
		}
		// The retry wrapper goes around the HTTP client, so it comes after it.
		hc := &http.Client{Timeout: 15 * time.Second}
		if opt.Config.Mode != "socket" { // in Socket Mode the connection's events tell
			hc.Transport = health.Transport(nil)
		}
		o = append(o, slackapi.OptionHTTPClient(hc), slackapi.OptionRetryConfig(apiRetry()))
		api = slackapi.New(opt.Config.BotToken, o...)
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Adapter{bot: opt.Bot, st: opt.Store, cfg: opt.Config, log: log.With("platform", "slack"),
		api: api, hc: hc, lang: opt.Bot.Language(), events: bot.NewRecent(time.Hour), lookupPace: lookupPace, health: health}, nil
}

// Health says whether Slack is reachable: in Socket Mode whether the
// connection is up, in HTTP mode whether the last Web API call succeeded.
func (a *Adapter) Health() (ok bool, detail string) { return a.health.Get() }

func (a *Adapter) httpClient() *http.Client { return a.hc }

// Wait blocks until background work (notices, delayed replies) is done.
func (a *Adapter) Wait() { a.bg.Wait() }

// Stop waits for background work until ctx ends, cancels what is left, and
// returns how many pieces of work (replies, notices) may not have been sent.
func (a *Adapter) Stop(ctx context.Context) int { return a.bg.Stop(ctx) }

// mention is a user mention as Slack escapes it: <@U123> or <@U123|name>.
var mention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

// member returns the member with the Slack user id, registering a real
// workspace user unknown to jifen as an employee from users.info: people
// should not need HR to edit a file before they can be thanked.
func (a *Adapter) member(ctx context.Context, userID string) (jifen.Member, error) {
	if m, ok, err := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.MemberBySlackID(userID) }); err != nil || ok {
		return m, err
	}
	u, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		a.log.Warn("users.info failed", "user", userID, "err", err)
		var refused slackapi.SlackErrorResponse
		if !errors.As(err, &refused) {
			// Not an unknown user: Slack did not answer (a transport
			// error, a timeout, a 5xx). The delivery fails, so that
			// Slack delivers it again.
			return jifen.Member{}, fmt.Errorf("slack: users.info: %w", err)
		}
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", "<@"+userID+">")
	}
	if u.Deleted {
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", "<@"+userID+">")
	}
	if err := a.admit(ctx, userID, u); err != nil {
		return jifen.Member{}, err
	}
	// A member of the config or of an imported sheet with this email
	// becomes this user, with their id (工号), role and department.
	if m, ok, err := a.byEmail(ctx, u.Profile.Email, userID); err != nil || ok {
		return m, err
	}
	m := jifen.Member{ID: "slack-" + strings.ToLower(userID), Name: displayName(u), SlackID: userID,
		Role: jifen.RoleEmployee, Bot: u.IsBot || u.ID == "USLACKBOT"}
	// The profile's title is the closest standard field to a level; the
	// department stays empty until HR imports it (jifen import members).
	m.Level = strings.TrimSpace(u.Profile.Title)
	// Names are how people mention each other in chat and must be unique:
	// one another member has gets the id's last four characters (a
	// delivery may name a shorter id), checked inside the write, since
	// another delivery may be registering someone of the same name.
	m, err = a.st.RegisterNewMember(ctx, m, []string{m.ID}, strings.ToLower(userID[max(0, len(userID)-4):]))
	if err != nil {
		return jifen.Member{}, err
	}
	a.log.Info("registered Slack user", "user", userID, "member", m.ID)
	return m, nil
}

// byEmail links the member with the email (users.info gives it with the
// users:read.email scope) to the Slack user, when that member has no Slack
// id yet. A member who already has another Slack id stays as they are.
// A store that cannot be read is an error: the user is not registered
// anew on a failed read.
func (a *Adapter) byEmail(ctx context.Context, email, userID string) (jifen.Member, bool, error) {
	m, ok, err := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.MemberByEmail(email) })
	if err != nil {
		return jifen.Member{}, false, err
	}
	if !ok || m.Bot || (m.SlackID != "" && m.SlackID != userID) {
		return jifen.Member{}, false, nil
	}
	linked, err := a.st.LinkMember(ctx, m.ID, jifen.Member{SlackID: userID})
	if err != nil {
		a.log.Warn("linking a member by email failed", "user", userID, "member", m.ID, "err", err)
		return jifen.Member{}, false, nil
	}
	a.log.Info("linked Slack user by email", "user", userID, "member", m.ID)
	return linked, true, nil
}

func displayName(u *slackapi.User) string {
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		// A profile name is user input too: no control, bidi or
		// zero-width characters reach the directory.
		if n = strings.Join(strings.Fields(bot.CleanText(n)), ""); n != "" {
			return strings.NewReplacer("@", "", "#", "").Replace(n)
		}
	}
	return u.ID
}

// resolver resolves mention tokens in command text: Slack user mentions by
// id, and @name/@id as the core does.
func (a *Adapter) resolver(ctx context.Context) func(string) (jifen.Member, error) {
	return func(tok string) (jifen.Member, error) {
		if m := mention.FindStringSubmatch(tok); m != nil {
			return a.member(ctx, m[1])
		}
		return a.bot.ResolveName(tok)
	}
}

// run runs command text for a Slack user.
func (a *Adapter) run(ctx context.Context, userID, text, key string) (bot.Response, error) {
	return a.runWith(ctx, userID, text, key, nil)
}

// runWith is run with the answer to queue in the command's write, for a
// command that writes (bot.Request.Reply).
func (a *Adapter) runWith(ctx context.Context, userID, text, key string, reply func(bot.Response) ([]store.Outgoing, error)) (bot.Response, error) {
	caller, err := a.member(ctx, userID)
	if err != nil {
		return bot.Response{}, asCaller(err)
	}
	// Slack escapes &, < and > typed by users; mentions stay <@U…|name>.
	text = html.UnescapeString(strings.TrimSpace(text))
	resp := a.bot.Handle(ctx, bot.Request{Caller: caller, Text: text, Source: "slack", Key: key, Resolve: a.resolver(ctx), Reply: reply})
	a.refreshHomes(caller, resp)
	return resp, nil
}

// commandText joins a slash command and its text: "/award" + "@a 10 好评".
// Commands registered under another name (/points, /jf) take the first
// word of the text as the command.
func commandText(command, text string) string {
	command = strings.TrimSpace(command)
	text = strings.TrimSpace(text)
	if text == "" {
		return command
	}
	return command + " " + text
}

// apiRetry is how Web API calls are retried, by slack-go itself: after a
// 429 (waiting Retry-After), a 5xx or a broken connection, with backoff,
// up to four times; anything else (a 400, ok:false) is not retried.
// A message of the outbox that still fails after them is held back by the
// outbox's own backoff (a 429 pauses the whole platform there).
func apiRetry() slackapi.RetryConfig {
	c := slackapi.DefaultRetryConfig()
	c.MaxRetries = 4
	c.RetryAfterDuration = 5 * time.Second // a 429 without Retry-After
	c.RetryAfterJitter = 500 * time.Millisecond
	c.BackoffInitial = 250 * time.Millisecond
	c.BackoffMax = 8 * time.Second
	c.Handlers = append(slackapi.AllBuiltinRetryHandlers(c), slackapi.NewServerErrorRetryHandler(c))
	return c
}

// post sends a message to a conversation, in the thread of the message
// whose ts is thread when it is set; broadcast also shows the reply in
// the channel.
func (a *Adapter) post(ctx context.Context, channel, thread string, broadcast bool, m bot.Message) error {
	r := RenderLang(m, "", 0, a.lang)
	opts := []slackapi.MsgOption{slackapi.MsgOptionBlocks(r.Blocks...), slackapi.MsgOptionText(r.Text, false)}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
		if broadcast {
			opts = append(opts, slackapi.MsgOptionBroadcast())
		}
	}
	_, _, err := a.api.PostMessageContext(ctx, channel, opts...)
	return err
}

// postEphemeral shows a message to one user in a conversation, in the
// thread of the message whose ts is thread when it is set.
func (a *Adapter) postEphemeral(ctx context.Context, channel, thread, user string, m bot.Message) error {
	r := RenderLang(m, "", 0, a.lang)
	opts := []slackapi.MsgOption{slackapi.MsgOptionBlocks(r.Blocks...), slackapi.MsgOptionText(r.Text, false)}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	_, err := a.api.PostEphemeralContext(ctx, channel, user, opts...)
	return err
}

// retryWebhook retries a post to a response_url, which slack-go sends
// with a plain HTTP client and does not retry: after Retry-After on a 429,
// with backoff on a 5xx, up to three times.
func retryWebhook(ctx context.Context, fn func() error) error {
	backoff := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt == 3 {
			return err
		}
		var rl *slackapi.RateLimitedError
		var sc slackapi.StatusCodeError
		wait := time.Duration(0)
		switch {
		case errors.As(err, &rl):
			wait = max(rl.RetryAfter, time.Second)
		case errors.As(err, &sc) && (sc.Code == http.StatusTooManyRequests || sc.Code >= 500):
			wait, backoff = backoff, backoff*2
		default:
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}
