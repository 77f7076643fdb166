package admin

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/admin/admintest"
	"jifen/bot"
	"jifen/config"
	"jifen/locale"
	"jifen/store"
)

// testNow is the tests' clock: sessions, login states and ID tokens are
// checked against it.
var testNow = time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)

// The test company: an HR admin, a manager of 销售部, an employee of 研发部,
// a member known only by email, one who has left and a bot.
var testMembers = []jifen.Member{
	{ID: "hr", Name: "王芳", Email: "hr@example.com", SlackID: "UHR", FeishuOpenID: "ou_hr", Department: "人力部", Role: jifen.RoleAdmin},
	{ID: "mgr", Name: "李雷", SlackID: "UMGR", FeishuOpenID: "ou_mgr", Department: "销售部", Role: jifen.RoleManager},
	{ID: "emp", Name: "张伟", SlackID: "UEMP", FeishuOpenID: "ou_emp", Department: "研发部", Role: jifen.RoleEmployee},
	{ID: "mail", Name: "赵敏", Email: "Zhao.Min@example.com", Department: "研发部", Role: jifen.RoleManager},
	{ID: "gone", Name: "钱进", SlackID: "UGONE", Department: "研发部", Role: jifen.RoleAdmin, Left: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)},
	{ID: "robot", Name: "机器人", SlackID: "UBOT", Role: jifen.RoleEmployee, Bot: true},
}

// testEnv is a console on a real store, with fake Slack and Feishu.
type testEnv struct {
	s      *Server
	st     *store.Store
	bot    *bot.Bot // the chat commands the console's decisions run
	cfg    *config.Config
	slack  *admintest.Slack
	feishu *admintest.Feishu
	now    time.Time
}

// newTestEnv builds the console; edit may change the config first.
func newTestEnv(t *testing.T, edit func(*config.Config)) *testEnv {
	t.Helper()
	e := &testEnv{now: testNow}
	clock := func() time.Time { return e.now }
	e.slack = admintest.NewSlack(clock)
	t.Cleanup(e.slack.Close)
	e.feishu = admintest.NewFeishu()
	t.Cleanup(e.feishu.Close)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{Location: loc, Clock: jifen.ClockFunc(clock), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutMembers(context.Background(), testMembers); err != nil {
		t.Fatal(err)
	}
	e.st = st
	e.cfg = &config.Config{
		Language: "zh",
		HTTP:     config.HTTP{PublicURL: "https://jifen.example.com"},
		Slack: config.Slack{Enabled: true, BotToken: "xoxb-1", SigningSecret: "s", ClientID: e.slack.ClientID,
			ClientSecret: e.slack.ClientSecret, OIDCIssuer: e.slack.URL},
		Feishu: config.Feishu{Enabled: true, AppID: e.feishu.AppID, AppSecret: e.feishu.AppSecret, BaseURL: e.feishu.URL},
		Admin:  config.Admin{Enabled: true, Employees: config.EmployeesRefuse},
	}
	example, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.Rules = example.Rules
	if edit != nil {
		edit(e.cfg)
	}
	e.bot = bot.New(bot.Options{Store: st, Catalog: e.cfg.Rules, CatalogVersion: 1, Language: locale.EN})
	e.s, err = New(context.Background(), Options{Store: st, Config: e.cfg, Language: locale.EN, Now: clock,
		SlackTeam: func(context.Context) (string, error) { return "THOME", nil }, Bot: e.bot})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// browser keeps cookies between requests to the console, as a browser
// does (paths are not told apart: the console's cookies do not clash).
type browser struct {
	t       testing.TB
	h       http.Handler
	cookies map[string]*http.Cookie
}

func (e *testEnv) browser(t testing.TB) *browser {
	return &browser{t: t, h: e.s.Handler(), cookies: map[string]*http.Cookie{}}
}

// do sends a request as from a page of the console itself (same origin).
func (b *browser) do(method, target string, header http.Header) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.serve(httptest.NewRequest(method, target, nil), header)
}

// serve sends r with the browser's cookies and header, and keeps the
// cookies the console sets.
func (b *browser) serve(r *http.Request, header http.Header) *httptest.ResponseRecorder {
	r.Host = "jifen.example.com"
	for k, v := range header {
		r.Header[k] = v
	}
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

func (b *browser) get(target string) *httptest.ResponseRecorder { return b.do("GET", target, nil) }

// post submits a form from a page of the console.
func (b *browser) post(target string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.send("POST", target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// upload submits a multipart form with one file (field "file") and the
// other fields of form, as a browser's file input does.
func (b *browser) upload(target string, form url.Values, filename string, content []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return b.send("POST", target, mw.FormDataContentType(), &body)
}

// send is do with a body, from the console's own origin.
func (b *browser) send(method, target, ctype string, body io.Reader) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.serve(httptest.NewRequest(method, target, body), http.Header{"Content-Type": {ctype},
		"Origin": {"https://jifen.example.com"}, "Sec-Fetch-Site": {"same-origin"}})
}

// signIn gives the browser a session for member, as if they had signed in
// on platform, without going through the platform. Tests of later pages
// use it to open them as a given member.
func (b *browser) signIn(s *Server, member string) {
	b.t.Helper()
	w := httptest.NewRecorder()
	s.startSession(w, member, platformSlack)
	for _, c := range w.Result().Cookies() {
		b.cookies[c.Name] = c
	}
}

// startLogin follows "Sign in with …" up to the platform's page and
// returns the state and nonce the console sent there.
func (b *browser) startLogin(platform, next string) (state, nonce string) {
	b.t.Helper()
	target := "/admin/login/" + platform
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	w := b.get(target)
	if w.Code != http.StatusFound {
		b.t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
	}
	to, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return to.Query().Get("state"), to.Query().Get("nonce")
}

// callback is the platform sending the browser back.
func (b *browser) callback(platform, code, state string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.get("/admin/login/" + platform + "/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
}

func mustContain(t *testing.T, w *httptest.ResponseRecorder, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("the page lacks %q:\n%s", want, w.Body)
		}
	}
}
