// Package feishu connects the command core to Feishu (Lark): commands typed
// in chats (Feishu has no slash commands), card buttons (card.action.trigger),
// the bot menu, reactions as peer thanks, over an event subscription
// (webhook) or the SDK's long connection, and card JSON 2.0 rendering.
// Nothing Feishu-specific lives outside this package.
//
// Every delivery carries an idempotency key derived from what Feishu sends
// (event_id, message_id, a card callback's token), so Feishu's re-deliveries
// (after 15 s, 5 min, 1 h and 6 h) never apply twice. Replies, notices and
// scheduled posts are queued in the store's outbox and sent from there
// (Deliver), each with a uuid derived from its key, so a message sent
// again after a failure or a restart is not delivered twice.
package feishu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/store"
)

// Options configure an Adapter.
type Options struct {
	Bot    *bot.Bot
	Store  store.Ledger
	Config config.Feishu
	Logger *slog.Logger
	// HTTPClient is used for the Open API; nil is a client with a timeout.
	HTTPClient *http.Client
}

// Adapter is jifen's Feishu app.
type Adapter struct {
	bot    *bot.Bot
	st     store.Ledger
	cfg    config.Feishu
	log    *slog.Logger
	api    *lark.Client
	seen   *bot.Recent
	now    func() time.Time
	window challengeWindow // the request-URL check's (webhook.go)

	selfMu sync.Mutex
	self   string // the bot's own open_id (bot/v3/info), asked once

	// health is the long connection's state (ws.go) or, in webhook mode,
	// the outcome of the last Open API call (tenant token included).
	health *bot.Health
}

// dedupWindow is how long event and message ids are remembered, so that
// Feishu's re-deliveries (the last six hours after the first) are dropped;
// a token-only webhook refuses events older than this.
const dedupWindow = 8 * time.Hour

// New builds the adapter. The SDK client fetches and caches the tenant
// access token itself.
func New(opt Options) (*Adapter, error) {
	if opt.Bot == nil || opt.Store == nil {
		return nil, errors.New("feishu: Bot and Store are required")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	base := opt.Config.BaseURL
	if base == "" {
		base = config.DefaultFeishu
	}
	health := new(bot.Health)
	if opt.Config.Mode == "websocket" {
		health.Set(false, "long connection not connected")
	} else {
		health.Set(true, "") // until an Open API call fails
		wrapped := *hc
		wrapped.Transport = health.Transport(hc.Transport)
		hc = &wrapped
	}
	log = log.With("platform", "feishu")
	api := lark.NewClient(opt.Config.AppID, opt.Config.AppSecret, lark.WithOpenBaseUrl(strings.TrimSuffix(base, "/")),
		lark.WithHttpClient(hc), lark.WithLogger(sdkLogger{log}), lark.WithLogLevel(larkcore.LogLevelWarn))
	return &Adapter{bot: opt.Bot, st: opt.Store, cfg: opt.Config, log: log, api: api,
		seen: bot.NewRecent(dedupWindow), now: time.Now, health: health}, nil
}

// Health says whether Feishu is reachable: with the long connection
// whether it is up, with webhooks whether the last Open API call (a tenant
// token refresh or a send) succeeded.
func (a *Adapter) Health() (ok bool, detail string) { return a.health.Get() }

// user is a Feishu user as an event names them: the open_id, the tenant
// they belong to (tenant_key) when the event says, and the name it shows.
type user struct {
	OpenID string
	Tenant string
	Name   string
}

// member returns the member with the open_id, registering an unknown
// sender from the contact API (name, department) as an employee — unless
// they belong to another tenant than home, the tenant the event was
// delivered for (the app's own), and feishu.guests does not allow them.
func (a *Adapter) member(ctx context.Context, who user, home string) (jifen.Member, error) {
	openID := who.OpenID
	if openID == "" {
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", "?")
	}
	if m, ok, err := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.MemberByFeishuOpenID(openID) }); err != nil || ok {
		return m, err
	}
	if who.Tenant != "" && home != "" && who.Tenant != home && !a.cfg.Guests.External {
		// Nothing is asked of the contact API, nothing written.
		a.log.Info("refused a user of another tenant", "open_id", openID, "setting", "feishu.guests.external")
		name := strings.TrimPrefix(strings.TrimSpace(who.Name), "@")
		if name == "" {
			name = openID
		}
		return jifen.Member{}, jifen.Errorf(jifen.EFORBIDDEN, "err.guest_member", name)
	}
	resp, err := a.api.Contact.V3.User.Get(ctx, larkcontact.NewGetUserReqBuilder().UserId(openID).UserIdType("open_id").
		DepartmentIdType("open_department_id").Build())
	if err != nil || !resp.Success() || resp.Data == nil || resp.Data.User == nil {
		a.log.Warn("contact user lookup failed", "open_id", openID, "err", apiErr(err, resp))
		if err != nil || unreachable(nil, resp.ApiResp) {
			// Not an unknown user: Feishu did not answer. The delivery
			// fails, so that Feishu delivers it again.
			return jifen.Member{}, fmt.Errorf("feishu: contact lookup: %w", apiErr(err, resp))
		}
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", openID)
	}
	u := resp.Data.User
	// A member of the config or of an imported sheet with this email
	// becomes this user, with their id (工号), role and department.
	for _, email := range []string{deref(u.Email), deref(u.EnterpriseEmail)} {
		if m, ok, err := a.byEmail(ctx, email, openID); err != nil || ok {
			return m, err
		}
	}
	// A profile name is user input too: no control, bidi or zero-width
	// characters reach the directory.
	name := strings.Join(strings.Fields(bot.CleanText(deref(u.Name))), "")
	if name == "" {
		name = openID
	}
	suffix := openID
	if len(suffix) > 6 {
		suffix = suffix[len(suffix)-6:]
	}
	m := jifen.Member{Name: strings.NewReplacer("@", "", "#", "").Replace(name), FeishuOpenID: openID, Role: jifen.RoleEmployee}
	if len(u.DepartmentIds) > 0 {
		m.Department = a.departmentName(ctx, u.DepartmentIds[0])
	}
	// The id (the open_id's last six characters, or all of it when those
	// are taken) and the name (with the last four added when another
	// member has it) are chosen inside the write: another delivery may be
	// registering someone else of the same name and suffix at this moment.
	m, err = a.st.RegisterNewMember(ctx, m, []string{"feishu-" + suffix, "feishu-" + strings.TrimPrefix(openID, "ou_")},
		suffix[max(0, len(suffix)-4):]) // an open_id may be shorter than four
	if err != nil {
		return jifen.Member{}, err
	}
	a.log.Info("registered Feishu user", "member", m.ID, "department", m.Department)
	return m, nil
}

// byEmail links the member with the email (the contact API gives it with
// contact:user.email:readonly) to the Feishu user, when that member has no
// open_id yet. A member who already has another open_id stays as they are.
// A store that cannot be read is an error: the user is not registered
// anew on a failed read.
func (a *Adapter) byEmail(ctx context.Context, email, openID string) (jifen.Member, bool, error) {
	m, ok, err := store.FindMember(ctx, a.st, func(r store.Reader) (jifen.Member, bool) { return r.MemberByEmail(email) })
	if err != nil {
		return jifen.Member{}, false, err
	}
	if !ok || m.Bot || (m.FeishuOpenID != "" && m.FeishuOpenID != openID) {
		return jifen.Member{}, false, nil
	}
	linked, err := a.st.LinkMember(ctx, m.ID, jifen.Member{FeishuOpenID: openID})
	if err != nil {
		a.log.Warn("linking a member by email failed", "open_id", openID, "member", m.ID, "err", err)
		return jifen.Member{}, false, nil
	}
	a.log.Info("linked Feishu user by email", "open_id", openID, "member", m.ID)
	return linked, true, nil
}

func (a *Adapter) departmentName(ctx context.Context, id string) string {
	resp, err := a.api.Contact.V3.Department.Get(ctx, larkcontact.NewGetDepartmentReqBuilder().DepartmentId(id).
		DepartmentIdType("open_department_id").Build())
	if err != nil || !resp.Success() || resp.Data == nil || resp.Data.Department == nil {
		return ""
	}
	return deref(resp.Data.Department.Name)
}

// run runs command text for a Feishu user; mentions resolves @_user_N
// placeholders of the message to users; home is the app's tenant.
// reply, if not nil, gives the answer to queue with the command's write
// (bot.Request.Reply).
func (a *Adapter) run(ctx context.Context, who user, home, text, key string, mentions map[string]user, reply func(bot.Response) ([]store.Outgoing, error)) bot.Response {
	caller, err := a.member(ctx, who, home)
	if err != nil {
		return a.bot.ErrorResponse(asCaller(err))
	}
	resolve := func(tok string) (jifen.Member, error) {
		if u, ok := mentions[tok]; ok {
			return a.member(ctx, u, home)
		}
		return a.bot.ResolveName(tok)
	}
	return a.bot.Handle(ctx, bot.Request{Caller: caller, Text: text, Source: "feishu", Key: key, Resolve: resolve, Reply: reply})
}

// asCaller turns the refusal of a user of another tenant into the words
// for the one who typed the command.
func asCaller(err error) error {
	var e *jifen.Error
	if errors.As(err, &e) && e.Key == "err.guest_member" {
		return jifen.Errorf(jifen.EFORBIDDEN, "err.guest_caller")
	}
	return err
}

// uuid derives a send's deduplication id (Feishu keeps it an hour) from
// its key.
func uuid(cause string) string {
	sum := sha256.Sum256([]byte(cause))
	return hex.EncodeToString(sum[:16])
}

// replyOnce makes one attempt at answering a message in its chat, as a
// reply to it; inThread keeps the answer in the message's thread
// (reply_in_thread): for a message in a thread, or in a topic group.
func (a *Adapter) replyOnce(ctx context.Context, messageID, card, id string, inThread bool) (string, error) {
	body := larkim.NewReplyMessageReqBodyBuilder().MsgType("interactive").Content(card).Uuid(id)
	if inThread {
		body = body.ReplyInThread(true)
	}
	resp, err := a.api.Im.V1.Message.Reply(ctx, larkim.NewReplyMessageReqBuilder().MessageId(messageID).Body(body.Build()).Build())
	if err != nil {
		return "", err
	}
	return rateCode(resp.Success(), resp.Code, resp.Msg, resp.StatusCode)
}

// ephemeralPath sends a card only one member of a group sees (仅对你可见);
// Feishu offers it in ordinary groups only, not in topic groups.
const ephemeralPath = "/open-apis/ephemeral/v1/send"

// ephemeralOnce makes one attempt at showing a card to one member of a
// group chat, marked 仅对你可见. The API takes no uuid.
func (a *Adapter) ephemeralOnce(ctx context.Context, chatID, openID string, card Card) (string, error) {
	body := map[string]any{"chat_id": chatID, "open_id": openID, "msg_type": "interactive", "card": card}
	resp, err := a.api.Post(ctx, ephemeralPath, body, larkcore.AccessTokenTypeTenant)
	if err != nil {
		return "", err
	}
	var out struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	if err := json.Unmarshal(resp.RawBody, &out); err != nil {
		return "", fmt.Errorf("feishu: ephemeral: HTTP %d, %w", resp.StatusCode, err)
	}
	return rateCode(out.Code == 0 && resp.StatusCode == http.StatusOK, out.Code, out.Msg, resp.StatusCode)
}

// createOnce makes one attempt at sending a card to a chat (chat_id) or a
// person (open_id).
func (a *Adapter) createOnce(ctx context.Context, idType, id, card, key string) (string, error) {
	resp, err := a.api.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType(idType).
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(id).MsgType("interactive").Content(card).Uuid(key).Build()).Build())
	if err != nil {
		return "", err
	}
	return rateCode(resp.Success(), resp.Code, resp.Msg, resp.StatusCode)
}

// errRateLimited marks an answer that asks to slow down.
var errRateLimited = errors.New("feishu: rate limited")

func rateCode(ok bool, code int, msg string, status int) (string, error) {
	switch {
	case ok:
		return "", nil
	case status == http.StatusTooManyRequests || code == 99991400 || code == 230020:
		return "", errRateLimited
	default:
		return "", &apiError{Code: code, Msg: msg, Status: status}
	}
}

// apiError is an Open API answer that is not a success.
type apiError struct {
	Code   int
	Msg    string
	Status int
}

func (e *apiError) Error() string { return fmt.Sprintf("feishu: code %d: %s", e.Code, e.Msg) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// unreachable reports whether an Open API call failed for want of an
// answer (a transport error, a timeout, a 5xx), which a later try may well
// get, rather than being refused.
func unreachable(err error, api *larkcore.ApiResp) bool {
	return err != nil || api != nil && api.StatusCode >= http.StatusInternalServerError
}

func apiErr(err error, resp interface{ Success() bool }) error {
	if err != nil {
		return err
	}
	return errors.New("unsuccessful answer")
}

// sdkLogger sends the SDK's logs to slog.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Debug(ctx context.Context, args ...any) {}
func (l sdkLogger) Info(ctx context.Context, args ...any)  {}
func (l sdkLogger) Warn(ctx context.Context, args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l sdkLogger) Error(ctx context.Context, args ...any) { l.log.Error(fmt.Sprint(args...)) }
