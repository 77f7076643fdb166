package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"jifen"
	"jifen/bot/bottest"
	"jifen/config"
	"jifen/store"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5" // a fixed fake signing secret

// fakeSlack records what the bot sends to the Slack API and to
// response_urls; slacktest keeps no record of posted messages.
type fakeSlack struct {
	*slacktest.Server
	mu    sync.Mutex
	posts []post
	users map[string]string // users.info answers by user id; others are slacktest's spengler
	// users.lookupByEmail answers by email as given; others are users_not_found.
	byEmail  map[string]string
	lookups  int // users.lookupByEmail calls
	throttle int // users.lookupByEmail calls still to refuse with a 429
	// usersDown is how many users.info calls are still to fail with a
	// 503, as when Slack is overloaded.
	usersDown int
	// onUserInfo, if set, runs before each users.info is answered.
	onUserInfo func()
}

type post struct {
	Path    string
	Channel string
	User    string
	Text    string
	Blocks  string
	Body    map[string]any // JSON bodies (response_url)
	Form    url.Values     // form bodies (chat.postMessage, chat.postEphemeral)
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{users: map[string]string{}, byEmail: map[string]string{}}
	record := func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.posts = append(f.posts, post{Path: r.URL.Path, Channel: r.FormValue("channel"), User: r.FormValue("user"),
			Text: r.FormValue("text"), Blocks: r.FormValue("blocks"), Form: r.PostForm})
		n := len(f.posts)
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d","message_ts":"1700000000.%06d"}`, r.FormValue("channel"), n, n)
	}
	f.Server = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/users.info", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			f.mu.Lock()
			user, ok := f.users[r.FormValue("user")]
			down := f.usersDown > 0
			if down {
				f.usersDown--
			}
			hook := f.onUserInfo
			f.mu.Unlock()
			if hook != nil {
				hook()
			}
			if down {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if !ok { // as slacktest answers, a member of its team
				user = `{"id":"W012A3CDE","team_id":"T024BE7LD","name":"spengler","real_name":"Egon Spengler","profile":{"real_name":"Egon Spengler","display_name":"spengler"}}`
			}
			fmt.Fprintf(w, `{"ok":true,"user":%s}`, user)
		})
		c.Handle("/users.lookupByEmail", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			f.mu.Lock()
			f.lookups++
			user, ok := f.byEmail[r.FormValue("email")]
			throttled := f.throttle > 0
			if throttled {
				f.throttle--
			}
			f.mu.Unlock()
			if throttled {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			if !ok {
				fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
				return
			}
			fmt.Fprintf(w, `{"ok":true,"user":%s}`, user)
		})
		c.Handle("/chat.postMessage", record)
		c.Handle("/chat.postEphemeral", record)
		c.Handle("/views.open", func(w http.ResponseWriter, r *http.Request) {
			var body map[string]any // slack-go sends views.open as JSON
			_ = json.NewDecoder(r.Body).Decode(&body)
			f.mu.Lock()
			f.posts = append(f.posts, post{Path: r.URL.Path, Body: body})
			f.mu.Unlock()
			fmt.Fprint(w, `{"ok":true,"view":{"id":"V1"}}`)
		})
		c.Handle("/views.publish", func(w http.ResponseWriter, r *http.Request) {
			var body map[string]any // slack-go sends views.publish as JSON
			_ = json.NewDecoder(r.Body).Decode(&body)
			f.mu.Lock()
			f.posts = append(f.posts, post{Path: r.URL.Path, User: fmt.Sprint(body["user_id"]), Body: body})
			f.mu.Unlock()
			fmt.Fprint(w, `{"ok":true,"view":{"id":"VHOME"}}`)
		})
		c.Handle("/response", func(w http.ResponseWriter, r *http.Request) {
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			f.mu.Lock()
			f.posts = append(f.posts, post{Path: r.URL.Path, Body: body})
			f.mu.Unlock()
			fmt.Fprint(w, "ok")
		})
	})
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

// lookupCount is how many times users.lookupByEmail was called.
func (f *fakeSlack) lookupCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

func (f *fakeSlack) sent() []post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]post(nil), f.posts...)
}

type harness struct {
	t     testing.TB
	cfg   *config.Config
	srv   *httptest.Server
	slack *fakeSlack
	a     *Adapter
	st    *store.Store
	// drained waits until the outbox has sent what was queued.
	drained func()
}

// wait waits for the adapter's background work and for the outbox.
func (h *harness) wait() {
	h.a.Wait()
	h.drained()
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith is newHarness with the adapter's store seen through
// wrap (the bot's own is not).
func newHarnessWith(t testing.TB, wrap func(store.Ledger) store.Ledger) *harness {
	t.Helper()
	ex := bottest.New(t, "../../config.example.yaml")
	cfg, st, b := ex.Config, ex.Store, ex.Bot
	fake := newFakeSlack(t)
	sc := config.Slack{Enabled: true, Mode: "http", BotToken: "xoxb-test-token", SigningSecret: testSecret,
		APIURL: fake.GetAPIURL(), ThanksReaction: "clap"}
	var ledger store.Ledger = st
	if wrap != nil {
		ledger = wrap(st)
	}
	a, err := New(Options{Bot: b, Store: ledger, Config: sc})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(a.Wait)
	drained := ex.RunOutbox(t, "slack", a.Deliver)
	return &harness{t: t, cfg: cfg, srv: srv, slack: fake, a: a, st: st, drained: drained}
}

// sign signs body the way Slack does, at time ts.
func sign(body string, ts time.Time) (stamp, sig string) {
	stamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(testSecret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	return stamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func (h *harness) post(path, contentType, body string, header map[string]string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	stamp, sig := sign(body, time.Now())
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", sig)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func commandForm(user, command, text, trigger string, responseURL string) string {
	return url.Values{"token": {"legacy"}, "team_id": {"T0001"}, "channel_id": {"C0SALES"}, "channel_name": {"sales"},
		"user_id": {user}, "user_name": {"x"}, "command": {command}, "text": {text}, "response_url": {responseURL},
		"trigger_id": {trigger}, "api_app_id": {"A0JIFEN"}}.Encode()
}

func (h *harness) command(user, command, text, trigger string) (int, slackapi.Msg) {
	h.t.Helper()
	code, body := h.post("/slack/commands", "application/x-www-form-urlencoded",
		commandForm(user, command, text, trigger, h.slack.GetAPIURL()+"response"), nil)
	var msg slackapi.Msg
	if code == 200 {
		if err := json.Unmarshal([]byte(body), &msg); err != nil {
			h.t.Fatalf("%s: %v", body, err)
		}
	}
	return code, msg
}

const (
	zhang = "U0123ABCD" // 张伟, sales manager
	wang  = "U0456EFGH" // 王芳
	lina  = "U02LINA01" // 李娜, HR admin
)

func TestSlashCommandAwardsAndAnnounces(t *testing.T) {
	h := newHarness(t)
	code, msg := h.command(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评 华为来信表扬", "1337.42.abc")
	if code != 200 || msg.ResponseType != "in_channel" || !strings.Contains(msg.Text, "王芳") {
		t.Fatalf("%d %+v", code, msg)
	}
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
	h.wait()
	var dm bool
	for _, p := range h.slack.sent() {
		if p.Path == "/chat.postMessage" && p.Channel == wang && strings.Contains(p.Text, "10") {
			dm = true
		}
	}
	if !dm {
		t.Fatalf("no direct message to 王芳: %+v", h.slack.sent())
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	h := newHarness(t)
	form := commandForm(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "t1", "")
	stale, staleSig := sign(form, time.Now().Add(-6*time.Minute))
	tests := []struct {
		name   string
		body   string
		header map[string]string
		want   int
	}{
		{"bad signature", form, map[string]string{"X-Slack-Signature": "v0=" + strings.Repeat("0", 64)}, 401},
		{"no signature", form, map[string]string{"X-Slack-Signature": ""}, 401},
		{"stale timestamp", form, map[string]string{"X-Slack-Request-Timestamp": stale, "X-Slack-Signature": staleSig}, 401},
		{"oversized body", form + "&pad=" + strings.Repeat("x", MaxBody), nil, 413},
		{"malformed form", "%zz=%%", nil, 400},
		{"not a command", url.Values{"text": {"hi"}}.Encode(), nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _ := h.post("/slack/commands", "application/x-www-form-urlencoded", tt.body, tt.header)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
		})
	}
	if code, _ := h.post("/slack/commands", "application/x-www-form-urlencoded", "ssl_check=1&token=x", nil); code != 200 {
		t.Errorf("ssl_check: %d", code)
	}
	for _, path := range []string{"/slack/interactions", "/slack/events"} {
		if code, _ := h.post(path, "application/x-www-form-urlencoded", "payload={", nil); code != 400 {
			t.Errorf("%s malformed: %d", path, code)
		}
	}
	if n := h.st.EntryCount(); n != 0 {
		t.Fatalf("entries = %d after bad requests", n)
	}
}

func TestRetriedDeliveriesApplyOnce(t *testing.T) {
	h := newHarness(t)
	_, first := h.command(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "trigger-1")
	_, again := h.command(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "trigger-1")
	if first.Text != again.Text || h.st.EntryCount() != 1 {
		t.Fatalf("replay: %q vs %q, %d entries", first.Text, again.Text, h.st.EntryCount())
	}
	// 王芳 is told of her points once, not once a delivery.
	h.wait()
	told := 0
	for _, p := range h.slack.sent() {
		if p.Path == "/chat.postMessage" && p.Channel == wang {
			told++
		}
	}
	if told != 1 {
		t.Fatalf("王芳 was told %d times of one award", told)
	}
	// The same event delivered three times, as Slack retries it.
	ev := `{"token":"x","team_id":"T0001","api_app_id":"A0JIFEN","type":"event_callback","event_id":"Ev0RETRY","event_time":1700000000,
		"event":{"type":"app_mention","user":"U0123ABCD","text":"<@U0BOT> /award <@U0456EFGH> 10 好评","ts":"1700000000.000100","channel":"C0SALES","event_ts":"1700000000.000100"}}`
	for i := range 3 {
		hdr := map[string]string{}
		if i > 0 {
			hdr["X-Slack-Retry-Num"] = strconv.Itoa(i)
			hdr["X-Slack-Retry-Reason"] = "http_timeout"
		}
		if code, _ := h.post("/slack/events", "application/json", ev, hdr); code != 200 {
			t.Fatalf("event delivery %d: %d", i, code)
		}
	}
	h.wait()
	if n := h.st.EntryCount(); n != 2 {
		t.Fatalf("entries = %d, want 2", n)
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t)
	code, body := h.post("/slack/events", "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil)
	if code != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("%d %q", code, body)
	}
}

func interactionForm(cb string) string { return url.Values{"payload": {cb}}.Encode() }

func TestDoubleClickedApprovalAppliesOnce(t *testing.T) {
	h := newHarness(t)
	if _, msg := h.command(zhang, "/award", "<@U0456EFGH|wangfang> 80 签大单 中标", "t-req"); !strings.Contains(msg.Text, "A1") {
		t.Fatalf("no pending approval: %+v", msg)
	}
	h.wait()
	if h.st.EntryCount() != 0 {
		t.Fatal("an award above the threshold was applied before approval")
	}
	click := func(trigger string) {
		cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":%q,"response_url":%q,"user":{"id":%q},
			"container":{"type":"message","message_ts":"1700000000.000001","channel_id":"D0LINA"},
			"actions":[{"type":"button","action_id":%q,"block_id":"b1","value":"/approve 1","action_ts":"1700000001.1"}]}`,
			trigger, h.slack.GetAPIURL()+"response", lina, CommandActionID(0))
		if code, _ := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil); code != 200 {
			t.Fatalf("click: %d", code)
		}
	}
	click("click-1")
	click("click-2")
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d after a double click", n)
	}
	var replaced, told int
	for _, p := range h.slack.sent() {
		if p.Path != "/response" {
			continue
		}
		if p.Body["replace_original"] == true {
			replaced++
			raw, _ := json.Marshal(p.Body["blocks"])
			if card := strings.Join(jsonStrings(raw), "\n"); !strings.Contains(card, "由 李娜 批准") {
				t.Errorf("the replaced card does not say who decided: %s", card)
			}
		} else if strings.Contains(fmt.Sprint(p.Body["text"]), "李娜") {
			told++
		}
	}
	if replaced != 1 || told != 1 {
		t.Fatalf("replaced %d, told %d: %+v", replaced, told, h.slack.sent())
	}
}

func TestRejectButtonAsksForAReason(t *testing.T) {
	h := newHarness(t)
	h.command(zhang, "/award", "<@U0456EFGH|wangfang> 80 签大单 中标", "t-req")
	cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-r","response_url":%q,"user":{"id":%q},
		"actions":[{"type":"button","action_id":%q,"block_id":"b1","value":"/reject 1","action_ts":"1.1"}]}`, h.slack.GetAPIURL()+"response", lina, CommandActionID(1))
	h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil)
	var opened bool
	for _, p := range h.slack.sent() {
		opened = opened || p.Path == "/views.open"
	}
	if !opened {
		t.Fatalf("no modal opened: %+v", h.slack.sent())
	}
	sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":"V1","hash":"h1","callback_id":%q,"private_metadata":"/reject 1",
		"state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"预算不足"}}}}}}`, lina, callbackReject)
	code, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(sub), nil)
	if code != 200 || body != "" {
		t.Fatalf("submission: %d %q", code, body)
	}
	a, ok := h.st.Approval(1)
	if !ok || a.Status != store.Rejected || a.Note != "预算不足" {
		t.Fatalf("approval: %+v", a)
	}
}

func TestReactionThanks(t *testing.T) {
	h := newHarness(t)
	reaction := func(kind, id string) {
		ev := fmt.Sprintf(`{"type":"event_callback","event_id":%q,"event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN",
			"event":{"type":%q,"user":"U0456EFGH","reaction":"clap","item_user":"U0123ABCD",
			"item":{"type":"message","channel":"C0SALES","ts":"1700000000.000200"},"event_ts":"1700000001.000100"}}`, id, kind)
		if code, _ := h.post("/slack/events", "application/json", ev, nil); code != 200 {
			t.Fatalf("%s: %d", kind, code)
		}
		h.wait()
	}
	reaction("reaction_added", "Ev1")
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries after reaction = %d", n)
	}
	reaction("reaction_removed", "Ev2")
	m, _ := h.st.Member("zhangwei")
	if n, net := h.st.EntryCount(), h.st.Totals(m.ID, jifen.PeriodOf(jifen.Month, h.st.Now(), h.st.Location())).Net; n != 2 || net != 0 {
		t.Fatalf("after removal: %d entries, net %d", n, net)
	}
}

func TestUnknownUserIsRegistered(t *testing.T) {
	h := newHarness(t)
	// slacktest's users.info answers for a user named spengler.
	code, msg := h.command("W012A3CDE", "/score", "", "t-new")
	if code != 200 || msg.ResponseType != "ephemeral" {
		t.Fatalf("%d %+v", code, msg)
	}
	m, ok := h.st.MemberBySlackID("W012A3CDE")
	if !ok || m.Role != jifen.RoleEmployee || m.Name == "" {
		t.Fatalf("registered member: %+v %v", m, ok)
	}
}

// Text a user types is escaped in everything sent to Slack: it can never
// ping the channel or forge a link.
func TestUserTextCannotMentionOrLink(t *testing.T) {
	h := newHarness(t)
	_, msg := h.command(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评 &lt;!channel&gt; &lt;http://evil.example|点我&gt;", "t-esc")
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	// Every string Slack will read, decoded from the JSON.
	texts := strings.Join(jsonStrings(raw), "\n")
	for _, bad := range []string{"<!channel>", "<http://evil"} {
		if strings.Contains(texts, bad) {
			t.Fatalf("reply contains %q: %s", bad, texts)
		}
	}
	if !strings.Contains(texts, "&lt;!channel&gt; &lt;http://evil.example|点我&gt;") {
		t.Fatalf("escaped reason missing: %s", texts)
	}
}

// jsonStrings returns every string value in a JSON document.
func jsonStrings(raw []byte) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func TestPageButtonShowsTheNextPage(t *testing.T) {
	h := newHarness(t)
	cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-p","response_url":%q,"user":{"id":%q},
		"actions":[{"type":"button","action_id":"jifen_page:next","block_id":"jifen_pages","value":%q,"action_ts":"1.1"}]}`,
		h.slack.GetAPIURL()+"response", wang, EncodePage("/rules", 1))
	if code, _ := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil); code != 200 {
		t.Fatalf("click: %d", code)
	}
	var page string
	for _, p := range h.slack.sent() {
		if p.Path == "/response" && p.Body["replace_original"] == true {
			raw, _ := json.Marshal(p.Body["blocks"])
			page = strings.Join(jsonStrings(raw), "\n")
		}
	}
	if !strings.Contains(page, "第 2/3 页") {
		t.Fatalf("page 2 not shown: %s", page)
	}
}

func TestRedemptionRejectAsksForAReason(t *testing.T) {
	h := newHarness(t)
	for i := range 2 {
		if _, msg := h.command(lina, "/award", "<@U0456EFGH|wangfang> 100 签大单 中标", fmt.Sprintf("t-a%d", i)); msg.ResponseType != "in_channel" {
			t.Fatalf("award: %+v", msg)
		}
	}
	if _, msg := h.command(wang, "/redeem", "半天调休", "t-redeem"); !strings.Contains(msg.Text+fmt.Sprint(msg.Blocks), "R1") {
		t.Fatalf("redeem: %+v", msg)
	}
	cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-rr","response_url":%q,"user":{"id":%q},
		"actions":[{"type":"button","action_id":%q,"block_id":"b1","value":"/redemptions reject R1","action_ts":"1.1"}]}`,
		h.slack.GetAPIURL()+"response", lina, CommandActionID(1))
	h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil)
	opened := false
	for _, p := range h.slack.sent() {
		opened = opened || p.Path == "/views.open"
	}
	if !opened {
		t.Fatal("no modal opened")
	}
	sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":"V2","hash":"h2","callback_id":%q,"private_metadata":"/redemptions reject R1",
		"state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"本月调休名额已满"}}}}}}`, lina, callbackReject)
	if code, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(sub), nil); code != 200 || body != "" {
		t.Fatalf("submission: %d %q", code, body)
	}
	rs := h.st.Redemptions("wangfang", 5)
	if len(rs) != 1 || rs[0].Status != store.RedemptionRejected || rs[0].Note != "本月调休名额已满" || h.st.Balance("wangfang") != 200 {
		t.Fatalf("redemption: %+v, balance %d", rs, h.st.Balance("wangfang"))
	}
}
