package feishu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/bot/bottest"
	"jifen/bot/feishu/feishutest"
	"jifen/config"
	"jifen/store"
)

// Fixed fake credentials.
const (
	testToken      = "vtoken-fake-0001"
	testEncryptKey = "fake-encrypt-key-0001"
)

// Open IDs of the example company's members.
const (
	zhang = "ou_3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f" // 张伟, sales manager
	wang  = "ou_5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b" // 王芳
	lina  = "ou_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d" // 李娜, HR admin
	botID = "ou_b0t000000000000000000000000000"

	outsider = "ou_0the70rg000000000000000000000a" // a user of another tenant (t-other; the app's is t1)
)

// fakeOpenAPI answers the tenant token, message sends and replies, message
// lookups and the contact API, and records what the bot sent.
type fakeOpenAPI struct {
	*httptest.Server
	mu        sync.Mutex
	sent      []sent
	ephemeral int               // calls of the ephemeral API, refused ones too
	users     map[string]string // contact users by open_id; others are 赵新 of 市场部
	// batch_get_id answers by email (as asked): the user's open_id and
	// whether they resigned; other emails come back without a user_id.
	byEmail map[string]emailUser
	batches []int // emails per batch_get_id call
	// hold, if set, keeps each message send waiting until it is closed
	// (Feishu not answering).
	hold chan struct{}
	// onDepartment, if set, runs before each department lookup is answered.
	onDepartment func()
	// lookupsDown is how many message and contact user lookups are still
	// to fail with a 503, as when the Open API is overloaded.
	lookupsDown int
	// ws is the long connection, on the same base URL as the SDK expects.
	ws *feishutest.LongConnection
}

type emailUser struct {
	OpenID   string
	Resigned bool
}

type sent struct {
	Path, IDType, ReceiveID, MsgType, UUID string
	Content                                map[string]any
	InThread                               bool   // reply_in_thread
	ChatID, OpenID                         string // an ephemeral card's
}

func newFakeOpenAPI(t testing.TB) *fakeOpenAPI {
	f := &fakeOpenAPI{users: map[string]string{}, byEmail: map[string]emailUser{}, ws: feishutest.New()}
	mux := http.NewServeMux()
	f.ws.Register(mux)
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-fake","expire":7200}`)
	})
	record := func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		hold := f.hold
		f.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		if r.Header.Get("Authorization") != "Bearer t-fake" {
			http.Error(w, `{"code":99991663,"msg":"invalid token"}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			ReceiveID string `json:"receive_id"`
			MsgType   string `json:"msg_type"`
			Content   string `json:"content"`
			UUID      string `json:"uuid"`
			InThread  bool   `json:"reply_in_thread"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		var content map[string]any
		_ = json.Unmarshal([]byte(body.Content), &content)
		f.mu.Lock()
		f.sent = append(f.sent, sent{Path: r.URL.Path, IDType: r.URL.Query().Get("receive_id_type"), ReceiveID: body.ReceiveID,
			MsgType: body.MsgType, UUID: body.UUID, Content: content, InThread: body.InThread})
		f.mu.Unlock()
		fmt.Fprint(w, `{"code":0,"msg":"success","data":{"message_id":"om_sent"}}`)
	}
	// Cards only one member sees: refused in topic groups, as Feishu
	// does, and in the chats named oc_refuses… (a bot removed from the group).
	mux.HandleFunc("POST /open-apis/ephemeral/v1/send", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t-fake" {
			http.Error(w, `{"code":99991663,"msg":"invalid token"}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			ChatID  string         `json:"chat_id"`
			OpenID  string         `json:"open_id"`
			MsgType string         `json:"msg_type"`
			Card    map[string]any `json:"card"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.ephemeral++
		f.mu.Unlock()
		if strings.HasPrefix(body.ChatID, "oc_refuses") || strings.HasPrefix(body.ChatID, "oc_topic") {
			fmt.Fprint(w, `{"code":230002,"msg":"bot not in chat or chat mode not supported"}`)
			return
		}
		f.mu.Lock()
		f.sent = append(f.sent, sent{Path: r.URL.Path, ChatID: body.ChatID, OpenID: body.OpenID, MsgType: body.MsgType, Content: body.Card})
		f.mu.Unlock()
		fmt.Fprint(w, `{"code":0,"msg":"ok","data":{"message_id":"om_ephemeral"}}`)
	})
	mux.HandleFunc("GET /open-apis/bot/v3/info", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"code":0,"msg":"ok","bot":{"activate_status":2,"app_name":"jifen","open_id":%q}}`, botID)
	})
	mux.HandleFunc("POST /open-apis/im/v1/messages", record)
	mux.HandleFunc("POST /open-apis/im/v1/messages/{id}/reply", record)
	mux.HandleFunc("GET /open-apis/im/v1/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		if f.down(w) {
			return
		}
		if r.PathValue("id") == "om_by_outsider" { // a message of someone of another tenant
			fmt.Fprintf(w, `{"code":0,"data":{"items":[{"message_id":"om_by_outsider","sender":{"id":%q,"id_type":"open_id","sender_type":"user","tenant_key":"t-other"}}]}}`, outsider)
			return
		}
		fmt.Fprintf(w, `{"code":0,"data":{"items":[{"message_id":%q,"sender":{"id":%q,"id_type":"open_id","sender_type":"user","tenant_key":"t1"}}]}}`, r.PathValue("id"), zhang)
	})
	mux.HandleFunc("GET /open-apis/contact/v3/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if f.down(w) {
			return
		}
		f.mu.Lock()
		u, ok := f.users[r.PathValue("id")]
		f.mu.Unlock()
		if ok {
			fmt.Fprintf(w, `{"code":0,"data":{"user":%s}}`, u)
			return
		}
		fmt.Fprint(w, `{"code":0,"data":{"user":{"name":"赵 新","open_id":"x","department_ids":["od-market"]}}}`)
	})
	mux.HandleFunc("POST /open-apis/contact/v3/users/batch_get_id", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Emails []string `json:"emails"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if len(body.Emails) > 50 || r.URL.Query().Get("user_id_type") != "open_id" {
			t.Errorf("batch_get_id: %d emails, %s", len(body.Emails), r.URL.RawQuery)
		}
		f.mu.Lock()
		f.batches = append(f.batches, len(body.Emails))
		list := []map[string]any{}
		for _, e := range body.Emails {
			item := map[string]any{"email": e}
			if u, ok := f.byEmail[e]; ok {
				item["user_id"] = u.OpenID
				item["status"] = map[string]bool{"is_resigned": u.Resigned}
			}
			list = append(list, item)
		}
		f.mu.Unlock()
		raw, _ := json.Marshal(map[string]any{"code": 0, "msg": "success", "data": map[string]any{"user_list": list}})
		w.Write(raw)
	})
	mux.HandleFunc("GET /open-apis/contact/v3/departments/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		hook := f.onDepartment
		f.mu.Unlock()
		if hook != nil {
			hook()
		}
		fmt.Fprint(w, `{"code":0,"data":{"department":{"name":"市场部"}}}`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Logf("fake: unhandled %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8") // the SDK insists
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// down answers a lookup with a 503 while lookupsDown says so.
func (f *fakeOpenAPI) down(w http.ResponseWriter) bool {
	f.mu.Lock()
	down := f.lookupsDown > 0
	if down {
		f.lookupsDown--
	}
	f.mu.Unlock()
	if down {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"code":99991400,"msg":"service unavailable"}`)
	}
	return down
}

func (f *fakeOpenAPI) messages() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

type harness struct {
	t   testing.TB
	cfg *config.Config
	api *fakeOpenAPI
	a   *Adapter
	st  *store.Store
	srv *httptest.Server
	// drained waits until the outbox has sent what was queued.
	drained func()
}

// wait waits until the outbox has sent what the deliveries queued.
func (h *harness) wait() { h.drained() }

func newHarness(t testing.TB, encrypt bool) *harness {
	t.Helper()
	return newHarnessWith(t, encrypt, nil)
}

// newHarnessWith is newHarness with the adapter's store seen through wrap
// (the bot's own is not).
func newHarnessWith(t testing.TB, encrypt bool, wrap func(store.Ledger) store.Ledger) *harness {
	t.Helper()
	ex := bottest.New(t, "../../config.example.yaml")
	cfg, st, b := ex.Config, ex.Store, ex.Bot
	api := newFakeOpenAPI(t)
	fc := config.Feishu{Enabled: true, Mode: "webhook", AppID: "cli_fake", AppSecret: "fake-app-secret",
		VerificationToken: testToken, BaseURL: api.URL, ThanksReaction: "THUMBSUP"}
	if encrypt {
		fc.EncryptKey = testEncryptKey
	}
	var ledger store.Ledger = st
	if wrap != nil {
		ledger = wrap(st)
	}
	a, err := New(Options{Bot: b, Store: ledger, Config: fc})
	if err != nil {
		t.Fatal(err)
	}
	if !encrypt {
		// Unsigned events are refused once older than dedupWindow: the
		// clock stands a minute after the events' create_time.
		a.now = func() time.Time { return testCreated.Add(time.Minute) }
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	drained := ex.RunOutbox(t, "feishu", a.Deliver)
	return &harness{t: t, cfg: cfg, api: api, a: a, st: st, srv: srv, drained: drained}
}

// sealed encrypts and signs a plain body as Feishu does.
func sealed(plain string, at time.Time) (body string, header http.Header) {
	iv := []byte("0123456789abcdef")
	raw, _ := json.Marshal(map[string]string{"encrypt": encrypt(testEncryptKey, []byte(plain), iv)})
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("X-Lark-Request-Timestamp", ts)
	h.Set("X-Lark-Request-Nonce", "nonce-1")
	h.Set("X-Lark-Signature", signature(ts, "nonce-1", testEncryptKey, raw))
	return string(raw), h
}

func (h *harness) post(body string, header http.Header) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/feishu/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		h.t.Errorf("answer content type %q", ct)
	}
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// send posts an event, sealed when the adapter has an encrypt key.
func (h *harness) send(plain string) (int, map[string]any) {
	if h.a.cfg.EncryptKey == "" {
		return h.post(plain, nil)
	}
	body, hdr := sealed(plain, time.Now())
	return h.post(body, hdr)
}

// testCreated is the create_time of the events the tests send.
var testCreated = time.UnixMilli(1700000000000)

func event(id, typ, token, ev string) string {
	return eventAt(id, typ, token, ev, testCreated)
}

func eventAt(id, typ, token, ev string, created time.Time) string {
	return fmt.Sprintf(`{"schema":"2.0","header":{"event_id":%q,"event_type":%q,"create_time":"%d","token":%q,"app_id":"cli_fake","tenant_key":"t1"},"event":%s}`,
		id, typ, created.UnixMilli(), token, ev)
}

func textMessage(messageID, chatType, sender, text string, mentions ...[2]string) string {
	content, _ := json.Marshal(map[string]string{"text": text})
	var ms []string
	for i, m := range mentions {
		ms = append(ms, fmt.Sprintf(`{"key":"@_user_%d","id":{"open_id":%q},"name":%q}`, i+1, m[0], m[1]))
	}
	return fmt.Sprintf(`{"sender":{"sender_id":{"open_id":%q},"sender_type":"user"},"message":{"message_id":%q,"chat_id":"oc_sales","chat_type":%q,"message_type":"text","content":%q,"mentions":[%s]}}`,
		sender, messageID, chatType, content, strings.Join(ms, ","))
}

func TestDecryptPlatformSample(t *testing.T) {
	got, err := decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")
	if err != nil || string(got) != "hello world" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := decrypt("wrong key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="); err == nil {
		t.Error("a wrong key decrypted")
	}
	sealed := encrypt("k", []byte(`{"a":1}`), []byte("0123456789abcdef"))
	if got, err := decrypt("k", sealed); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("round trip: %q %v", got, err)
	}
}

func TestChallenge(t *testing.T) {
	for _, enc := range []bool{false, true} {
		h := newHarness(t, enc)
		code, out := h.send(fmt.Sprintf(`{"challenge":"ajls384kdjx98XX","token":%q,"type":"url_verification"}`, testToken))
		if code != 200 || out["challenge"] != "ajls384kdjx98XX" {
			t.Fatalf("encrypted=%v: %d %v", enc, code, out)
		}
		code, _ = h.send(`{"challenge":"x","token":"wrong","type":"url_verification"}`)
		if code != 401 {
			t.Fatalf("encrypted=%v wrong token: %d", enc, code)
		}
	}
}

func TestGroupCommandWithMentions(t *testing.T) {
	h := newHarness(t, true)
	msg := textMessage("om_award1", "group", zhang, "@_user_1 /award @_user_2 10 客户好评 华为来信表扬",
		[2]string{botID, "jifen"}, [2]string{wang, "王芳"})
	if code, _ := h.send(event("ev-1", "im.message.receive_v1", testToken, msg)); code != 200 {
		t.Fatalf("status %d", code)
	}
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
	var reply, dm bool
	for _, s := range h.api.messages() {
		if s.Path == "/open-apis/im/v1/messages/om_award1/reply" && s.MsgType == "interactive" && strings.Contains(fmt.Sprint(s.Content), "王芳") {
			reply = s.UUID != ""
		}
		if s.Path == "/open-apis/im/v1/messages" && s.IDType == "open_id" && s.ReceiveID == wang {
			dm = true
		}
	}
	if !reply || !dm {
		t.Fatalf("reply %v, dm %v: %+v", reply, dm, h.api.messages())
	}
}

func TestChineseCommandWithoutSlashInDirectChat(t *testing.T) {
	h := newHarness(t, false)
	msg := textMessage("om_p2p", "p2p", zhang, "加分 @_user_1 10 客户好评", [2]string{wang, "王芳"})
	h.send(event("ev-p2p", "im.message.receive_v1", testToken, msg))
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
}

func TestBadDeliveriesChangeNothing(t *testing.T) {
	h := newHarness(t, true)
	plain := event("ev-bad", "im.message.receive_v1", testToken, textMessage("om_bad", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"}))
	good, hdr := sealed(plain, time.Now())
	stale, staleHdr := sealed(plain, time.Now().Add(-6*time.Minute))
	badSig := hdr.Clone()
	badSig.Set("X-Lark-Signature", strings.Repeat("0", 64))
	wrongToken, wrongHdr := sealed(strings.Replace(plain, testToken, "not-the-token", 1), time.Now())
	undecryptable := `{"encrypt":"` + strings.Repeat("A", 64) + `"}`
	ts := hdr.Get("X-Lark-Request-Timestamp")
	undHdr := http.Header{}
	undHdr.Set("X-Lark-Request-Timestamp", ts)
	undHdr.Set("X-Lark-Request-Nonce", "nonce-1")
	undHdr.Set("X-Lark-Signature", signature(ts, "nonce-1", testEncryptKey, []byte(undecryptable)))
	tests := []struct {
		name   string
		body   string
		header http.Header
		want   int
	}{
		{"bad signature", good, badSig, 401},
		{"stale timestamp", stale, staleHdr, 401},
		{"wrong token", wrongToken, wrongHdr, 401},
		{"undecryptable body", undecryptable, undHdr, 401}, // every refusal alike: see TestNoPaddingOracle
		{"not encrypted", plain, nil, 401},
		{"unsigned event", good, nil, 401},
		{"oversized body", `{"encrypt":"` + strings.Repeat("A", MaxBody) + `"}`, nil, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := h.post(tt.body, tt.header); code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
		})
	}
	h.wait()
	if n := h.st.EntryCount(); n != 0 || len(h.api.messages()) != 0 {
		t.Fatalf("bad deliveries wrote %d entries, sent %d messages", n, len(h.api.messages()))
	}
	// And without an encrypt key, the token is checked on events too.
	h2 := newHarness(t, false)
	if code, _ := h2.send(strings.Replace(plain, testToken, "not-the-token", 1)); code != 401 {
		t.Fatalf("plain wrong token: %d", code)
	}
}

func TestRedeliveriesApplyOnce(t *testing.T) {
	h := newHarness(t, true)
	msg := textMessage("om_dup", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"})
	for range 3 {
		h.send(event("ev-dup", "im.message.receive_v1", testToken, msg)) // the same event_id
	}
	h.send(event("ev-dup-2", "im.message.receive_v1", testToken, msg)) // the same message_id, a new event_id
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
	replies := 0
	for _, s := range h.api.messages() {
		if strings.HasSuffix(s.Path, "/om_dup/reply") {
			replies++
		}
	}
	if replies != 1 {
		t.Fatalf("%d replies", replies)
	}
}

func cardCallback(token, operator, command string) string {
	return fmt.Sprintf(`{"operator":{"open_id":%q},"token":%q,"action":{"value":{"command":%q},"tag":"button"},"context":{"open_message_id":"om_card","open_chat_id":"oc_dm"}}`,
		operator, token, command)
}

func TestApprovalButtonAppliesOnceAndUpdatesTheCard(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-req", "im.message.receive_v1", testToken,
		textMessage("om_req", "p2p", zhang, "/award @_user_1 80 签大单 中标", [2]string{wang, "王芳"})))
	h.wait()
	if h.st.EntryCount() != 0 {
		t.Fatal("applied before approval")
	}
	code, out := h.send(event("ev-click-1", "card.action.trigger", testToken, cardCallback("c-tok-1", lina, "/approve 1")))
	if code != 200 || fmt.Sprint(out["toast"]) == "" || out["card"] == nil {
		t.Fatalf("first click: %d %v", code, out)
	}
	card, _ := json.Marshal(out["card"])
	if !strings.Contains(string(card), "由 李娜 批准") {
		t.Fatalf("the updated card does not say who decided: %s", card)
	}
	// A double click: another callback for the same button.
	code, out = h.send(event("ev-click-2", "card.action.trigger", testToken, cardCallback("c-tok-2", lina, "/approve 1")))
	toast, _ := out["toast"].(map[string]any)
	if code != 200 || out["card"] != nil || toast["type"] != "error" || !strings.Contains(fmt.Sprint(toast["content"]), "李娜") {
		t.Fatalf("second click: %d %v", code, out)
	}
	// A re-delivered first callback (same token) replays.
	h.send(event("ev-click-1", "card.action.trigger", testToken, cardCallback("c-tok-1", lina, "/approve 1")))
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
	if code, out := h.send(event("ev-click-3", "card.action.trigger", testToken, `{"operator":{"open_id":"x"},"token":"t","action":{"value":"junk"}}`)); code != 200 || out["card"] != nil {
		t.Fatalf("junk value: %d %v", code, out)
	}
}

func TestBotMenuAnswersInADirectMessage(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-menu", "application.bot.menu_v6", testToken, fmt.Sprintf(`{"operator":{"operator_id":{"open_id":%q}},"event_key":"score","timestamp":1700000000}`, wang)))
	h.wait()
	ms := h.api.messages()
	if len(ms) != 1 || ms[0].IDType != "open_id" || ms[0].ReceiveID != wang || !strings.Contains(fmt.Sprint(ms[0].Content), "王芳") {
		t.Fatalf("%+v", ms)
	}
}

func TestReactionThanks(t *testing.T) {
	h := newHarness(t, true)
	reaction := func(id, typ string) {
		h.send(event(id, typ, testToken, fmt.Sprintf(`{"message_id":"om_by_zhang","reaction_type":{"emoji_type":"THUMBSUP"},"operator_type":"user","user_id":{"open_id":%q},"action_time":"1700000000000"}`, wang)))
		h.wait()
	}
	reaction("ev-r1", "im.message.reaction.created_v1")
	month := jifen.PeriodOf(jifen.Month, h.st.Now(), h.st.Location())
	if n, net := h.st.EntryCount(), h.st.Totals("zhangwei", month).Net; n != 1 || net != 1 {
		t.Fatalf("after reaction: %d entries, net %d", n, net)
	}
	reaction("ev-r2", "im.message.reaction.deleted_v1")
	if n, net := h.st.EntryCount(), h.st.Totals("zhangwei", month).Net; n != 2 || net != 0 {
		t.Fatalf("after removal: %d entries, net %d", n, net)
	}
}

func TestUnknownSenderIsRegistered(t *testing.T) {
	h := newHarness(t, false)
	h.send(event("ev-new", "im.message.receive_v1", testToken, textMessage("om_new", "p2p", "ou_newcomer000000000000000001", "/score")))
	h.wait()
	m, ok := h.st.MemberByFeishuOpenID("ou_newcomer000000000000000001")
	if !ok || m.Name != "赵新" || m.Department != "市场部" || m.Role != jifen.RoleEmployee {
		t.Fatalf("%+v %v", m, ok)
	}
}

// Issue 18, item 1: a member of the config with an email and no open_id
// becomes the Feishu user with that email (contact:user.email:readonly),
// keeping their id (工号), role and department; no duplicate is made.
func TestUnknownSenderIsMatchedByEmail(t *testing.T) {
	h := newHarness(t, false)
	zhao := jifen.Member{ID: "E1024", Name: "赵敏", Email: "zhao.min@example.com", Department: "销售部", Role: jifen.RoleManager}
	if err := h.st.SyncMembers(t.Context(), []jifen.Member{zhao}); err != nil {
		t.Fatal(err)
	}
	const open = "ou_zhaomin0000000000000000000001"
	h.api.users[open] = `{"name":"赵敏","open_id":"` + open + `","enterprise_email":"Zhao.Min@Example.com","department_ids":["od-market"]}`
	before := len(h.st.Members())
	h.send(event("ev-email", "im.message.receive_v1", testToken, textMessage("om_email", "p2p", open, "/score")))
	h.wait()
	m, ok := h.st.MemberByFeishuOpenID(open)
	if !ok || m.ID != "E1024" || m.Role != jifen.RoleManager || m.Department != "销售部" || m.Name != "赵敏" {
		t.Fatalf("%+v %v", m, ok)
	}
	if n := len(h.st.Members()); n != before {
		t.Fatalf("members %d → %d: a duplicate was registered", before, n)
	}
}

// The approval card is a form: the reason typed beside 驳回 comes back in
// form_value and goes with the rejection.
func TestRejectWithAReasonFromTheCardForm(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-req2", "im.message.receive_v1", testToken,
		textMessage("om_req2", "p2p", zhang, "/award @_user_1 80 签大单 中标", [2]string{wang, "王芳"})))
	h.wait()
	var card string
	for _, s := range h.api.messages() {
		if s.ReceiveID == lina {
			raw, _ := json.Marshal(s.Content)
			card = string(raw)
		}
	}
	if !strings.Contains(card, `"tag":"form"`) || !strings.Contains(card, `"tag":"input"`) || !strings.Contains(card, `"ask":"1"`) {
		t.Fatalf("approval card without a form: %s", card)
	}
	cb := fmt.Sprintf(`{"operator":{"open_id":%q},"token":"rj-1","action":{"value":{"command":"/reject 1","ask":"1"},"tag":"button","name":"button_1","form_value":{"text":"预算 不足"}},"context":{"open_message_id":"om_card"}}`, lina)
	code, out := h.send(event("ev-rj", "card.action.trigger", testToken, cb))
	if code != 200 || out["card"] == nil {
		t.Fatalf("%d %v", code, out)
	}
	a, ok := h.st.Approval(1)
	if !ok || a.Status != store.Rejected || a.Note != "预算 不足" {
		t.Fatalf("%+v", a)
	}
}
