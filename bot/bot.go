// Package bot is the platform-neutral command core: it parses a command's
// text, authorizes the caller, executes it against the store and the rule
// catalog, and answers with the neutral message model (message.go). The
// adapters (bot/slack, bot/feishu, bot/console) turn platform requests into
// Requests and render Responses; nothing here knows any platform.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/locale"
	"jifen/rules"
	"jifen/store"
	"jifen/survey"
)

// Options configure a Bot.
type Options struct {
	Store          store.Ledger
	Catalog        *rules.Catalog
	CatalogVersion int    // the store's version number of Catalog
	Language       string // zh-CN (default) or en
	Logger         *slog.Logger
	// ReportLink, if set, gives the signed address of a period's HTML
	// report (jifen serve sets it when http.public_url is configured).
	ReportLink func(period string) string
	// Surveys are the configured surveys (/survey).
	Surveys []survey.Survey
	// ScoreVisibility says whose score each role may see with /score
	// @someone (config privacy.score_visibility); nil or a role left out:
	// the defaults (employee self, manager department, admin everyone).
	ScoreVisibility jifen.ScoreVisibility
	// Platforms are where notices go: each notice is queued in the store's
	// outbox once for each platform, in the transaction of the command
	// that causes it, and sent from there to the members who are on it.
	// None (jifen chat): notices are only in the Response.
	Platforms []string
}

// Bot executes commands. It is safe for concurrent use.
type Bot struct {
	st      store.Ledger
	cat     *rules.Catalog
	version int
	lang    string
	log     *slog.Logger

	reportLink func(period string) string
	surveys    []survey.Survey
	observe    func(source, command, outcome string)
	scores     jifen.ScoreVisibility
	platforms  []string
}

// New returns a Bot.
func New(opt Options) *Bot {
	if opt.Language == "" || !locale.Supported(opt.Language) {
		opt.Language = locale.ZH
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Bot{st: opt.Store, cat: opt.Catalog, version: opt.CatalogVersion, lang: opt.Language, log: opt.Logger, reportLink: opt.ReportLink, surveys: opt.Surveys,
		scores: opt.ScoreVisibility, platforms: opt.Platforms}
}

// SetCommandObserver has fn called for every command handled, with its
// source, its canonical name ("unknown" if it did not parse) and its
// outcome ("ok" or the error class); call it before handling requests.
func (b *Bot) SetCommandObserver(fn func(source, command, outcome string)) { b.observe = fn }

// SetReportLink sets Options.ReportLink; call it before handling requests.
func (b *Bot) SetReportLink(f func(period string) string) { b.reportLink = f }

// Language is the language replies are written in.
func (b *Bot) Language() string { return b.lang }

// CatalogVersion is the rule catalog version entries are recorded under.
func (b *Bot) CatalogVersion() int { return b.version }

// Request is one command as an adapter delivered it.
type Request struct {
	Caller jifen.Member
	Text   string
	Source string // console (jifen chat), web (the web console), slack, feishu
	// Key identifies the delivery (a Slack trigger_id, a Feishu event or
	// message id, a button click). A write with a key already seen returns
	// the first response and applies nothing again.
	Key string
	// Resolve maps a mention token to a member; nil resolves @name and @id
	// through the directory (ResolveName).
	Resolve func(token string) (jifen.Member, error)
	// Reply, if set, gives the messages that answer the command, for a
	// command that writes: they are queued in its write, with its notices
	// (one commit, not two), and the response says so (Response.Queued).
	// A command that writes nothing, or is refused, is answered by the
	// caller as it would without Reply.
	Reply func(Response) ([]store.Outgoing, error)
}

// Handle runs one command and returns its response. Errors are part of the
// response (a Message of kind "error" for the caller only): bad input gets a
// specific message and writes nothing; unexpected failures are logged and
// shown as an internal error.
func (b *Bot) Handle(ctx context.Context, req Request) Response {
	if req.Resolve == nil {
		req.Resolve = func(token string) (jifen.Member, error) { return b.resolve(ctx, token) }
	}
	start := time.Now()
	cmd, err := Parse(req.Text)
	var resp Response
	if err == nil {
		resp, err = b.execute(ctx, req, cmd)
	}
	name, outcome := cmd.Name, "ok"
	if name == "" {
		name = "unknown"
	}
	if err != nil {
		outcome = string(jifen.ErrorCode(err))
	}
	if b.observe != nil {
		b.observe(req.Source, name, outcome)
	}
	// One line per command for the operator: where it came from, which
	// command and how it ended. Never its text, a reason or the reply:
	// those are what people wrote, and stay out of every log.
	b.log.LogAttrs(ctx, slog.LevelDebug, "command", slog.String("source", req.Source), slog.String("command", name),
		slog.String("outcome", outcome), slog.Duration("latency", time.Since(start)))
	if err != nil {
		return b.errorResponse(req, err)
	}
	return resp
}

func (b *Bot) errorResponse(req Request, err error) Response {
	var e *jifen.Error
	if !errors.As(err, &e) {
		// The command's name only: its text holds reasons and other
		// words people typed, which stay out of the logs.
		command, _, _ := strings.Cut(strings.TrimSpace(req.Text), " ")
		b.log.Error("command failed", "caller", req.Caller.ID, "source", req.Source, "command", command, "err", err)
	}
	return Response{Reply: Message{Kind: "error", Text: []string{locale.Error(b.lang, err)}}, Failed: jifen.ErrorCode(err) == jifen.EINTERNAL,
		Code: jifen.ErrorCode(err)}
}

// ErrorResponse is the reply for an error outside a command (an adapter
// that could not identify the caller, say): the error's message in the
// bot's language, or "internal error" for anything unexpected (logged).
func (b *Bot) ErrorResponse(err error) Response { return b.errorResponse(Request{}, err) }

// T translates a message key into the bot's language, for adapters' own
// texts (button labels, placeholders).
func (b *Bot) T(key string, args ...any) string { return b.t(key, args...) }

// execute runs a parsed command.
func (b *Bot) execute(ctx context.Context, req Request, cmd Command) (Response, error) {
	switch cmd.Name {
	case "award":
		return b.award(ctx, req, cmd, jifen.KindAward)
	case "deduct":
		return b.award(ctx, req, cmd, jifen.KindDeduct)
	case "thanks":
		return b.award(ctx, req, cmd, jifen.KindThanks)
	case "score":
		return b.score(ctx, req, cmd)
	case "leaderboard":
		return b.leaderboard(ctx, req, cmd)
	case "history":
		return b.history(ctx, req, cmd)
	case "rules":
		return b.rules(ctx, req, cmd)
	case "revoke":
		return b.revoke(ctx, req, cmd)
	case "report":
		return b.report(ctx, req, cmd)
	case "feedback":
		return b.feedback(ctx, req, cmd)
	case "shop":
		return b.shop(ctx, req)
	case "redeem":
		return b.redeem(ctx, req, cmd)
	case "redemptions":
		return b.redemptions(ctx, req, cmd)
	case "approve":
		return b.decide(ctx, req, cmd, true)
	case "reject":
		return b.decide(ctx, req, cmd, false)
	case "survey":
		return b.survey(ctx, req, cmd)
	case "help":
		return b.help(cmd), nil
	}
	return Response{}, jifen.Errorf(jifen.EINVALID, "err.unknown_command", cmd.Name)
}

// ResolveName resolves "@王芳" or "@wangfang" (id first, then name). A name
// shared by several members is ambiguous and must be given as an id.
func (b *Bot) ResolveName(token string) (jifen.Member, error) {
	return b.resolve(context.Background(), token)
}

// resolve is ResolveName in a Read of its own.
func (b *Bot) resolve(ctx context.Context, token string) (jifen.Member, error) {
	var m jifen.Member
	err := b.st.Read(ctx, func(r store.Reader) error {
		var err error
		m, err = resolveName(r, token)
		return err
	})
	return m, err
}

// directory is what reads members by id and by name.
type directory interface {
	Member(id string) (jifen.Member, bool)
	MembersByName(name string) []jifen.Member
}

// resolveName is ResolveName in r.
func resolveName(r directory, token string) (jifen.Member, error) {
	name := strings.TrimLeft(token, "@＠")
	if name == "" {
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", token)
	}
	if m, ok := r.Member(name); ok {
		return m, nil
	}
	ms := r.MembersByName(name)
	switch len(ms) {
	case 0:
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", token)
	case 1:
		return ms[0], nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	slices.Sort(ids)
	return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.ambiguous_member", token, ids)
}

// write runs fn as one idempotent store write and decodes its response.
// The response is what the store keeps for the idempotency key, so a replay
// answers exactly as the first delivery did. reply, if not nil, gives the
// messages answering the command, queued in the write (Request.Reply).
func (b *Bot) write(ctx context.Context, key string, reply func(Response) ([]store.Outgoing, error), fn func(tx store.Txn) (Response, error)) (Response, error) {
	raw, replayed, err := b.st.Write(ctx, key, func(tx store.Txn) ([]byte, error) {
		resp, err := fn(tx)
		if err != nil {
			return nil, err
		}
		if err := b.queue(tx, key, resp.Notices); err != nil {
			return nil, err
		}
		if reply != nil {
			msgs, err := reply(resp)
			if err != nil {
				return nil, err
			}
			for _, o := range msgs {
				if _, err := tx.Enqueue(o); err != nil {
					return nil, err
				}
			}
			resp.Queued = len(msgs) > 0
		}
		return json.Marshal(resp)
	})
	if err != nil {
		return Response{}, err
	}
	var resp Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return Response{}, err
	}
	resp.Replayed = replayed
	return resp, nil
}

// queue writes notices to the outbox in tx, once for each platform. key,
// the delivery's, names each message for the platform's duplicate check.
func (b *Bot) queue(tx store.Txn, key string, ns []Notice) error {
	for i, n := range ns {
		body, err := json.Marshal(n.Message)
		if err != nil {
			return err
		}
		k := ""
		if key != "" {
			k = fmt.Sprintf("%s#notice%d", key, i)
		}
		for _, p := range b.platforms {
			if _, err := tx.Enqueue(store.Outgoing{Platform: p, To: n.To, Body: body, Key: k}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetPlatforms sets Options.Platforms; call it before handling requests.
func (b *Bot) SetPlatforms(ps ...string) { b.platforms = ps }

// Outgoing is a direct message to member on platform, for the outbox.
func Outgoing(platform, member string, m Message, key string) (store.Outgoing, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return store.Outgoing{}, err
	}
	return store.Outgoing{Platform: platform, To: member, Body: body, Key: key}, nil
}

// OutgoingAt is a message to address (a conversation in the platform's
// own terms, as JSON) on platform, for the outbox.
func OutgoingAt(platform string, address any, m Message, key string) (store.Outgoing, error) {
	a, err := json.Marshal(address)
	if err != nil {
		return store.Outgoing{}, err
	}
	o, err := Outgoing(platform, "", m, key)
	o.Address = a
	return o, err
}

// Platforms are the platforms notices are queued for.
func (b *Bot) Platforms() []string { return b.platforms }

// now is the store's clock.
func (b *Bot) now() time.Time { return b.st.Now() }

func (b *Bot) t(key string, args ...any) string { return locale.T(b.lang, key, args...) }

// canSeePrivate reports whether viewer may see target's history:
// themselves, an admin, or the manager of target's department — the
// default score visibility, whatever the config says of /score.
func canSeePrivate(viewer, target jifen.Member) bool {
	return jifen.DefaultScoreVisibility().MaySee(viewer, target)
}

// admins lists the members who decide approvals: those with the admin
// role who still work here.
func admins(r interface {
	Now() time.Time
	Location() *time.Location
	Members() []jifen.Member
}) []jifen.Member {
	var out []jifen.Member
	now, loc := r.Now(), r.Location()
	for _, m := range r.Members() {
		if m.Role == jifen.RoleAdmin && !m.Bot && !m.HasLeft(now, loc) {
			out = append(out, m)
		}
	}
	return out
}

// memberReader reads a member by id: a Reader in a Read, a Txn in a Write.
type memberReader interface {
	Member(id string) (jifen.Member, bool)
}

// memberName is a member's name as r sees it, or the id of a member it
// does not know.
func memberName(r memberReader, id string) string {
	if m, ok := r.Member(id); ok && m.Name != "" {
		return m.Name
	}
	return id
}

func (b *Bot) behaviorName(id string) string {
	if bh := b.cat.Behavior(id); bh != nil {
		return bh.Name
	}
	return id
}

func (b *Bot) categoryName(id string) string {
	if c := b.cat.Category(id); c != nil {
		return c.Name
	}
	return id
}
