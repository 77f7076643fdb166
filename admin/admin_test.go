package admin

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/admin/admintest"
	"jifen/config"
	"jifen/locale"
)

// Sign in with Slack: the console sends the browser to Slack with the
// app's client id, the callback URL, the OpenID scopes, a state and a
// nonce; the ID token Slack signs names the user, who gets a session
// and lands where they were going.
func TestSlackSignIn(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	w := b.get("/admin/login/slack?next=" + url.QueryEscape("/admin/?tab=1"))
	if w.Code != http.StatusFound {
		t.Fatalf("start: %d", w.Code)
	}
	to, _ := url.Parse(w.Header().Get("Location"))
	q := to.Query()
	if got := to.Scheme + "://" + to.Host + to.Path; got != e.slack.URL+"/openid/connect/authorize" {
		t.Errorf("sent to %s", got)
	}
	if q.Get("client_id") != e.slack.ClientID || q.Get("redirect_uri") != "https://jifen.example.com/admin/login/slack/callback" ||
		q.Get("scope") != "openid profile email" || q.Get("response_type") != "code" || len(q.Get("state")) < 40 || len(q.Get("nonce")) < 40 {
		t.Errorf("authorize query: %v", q)
	}
	login := b.cookies[loginCookie]
	if login == nil || !login.HttpOnly || !login.Secure || login.Path != "/admin/login/" || login.SameSite != http.SameSiteLaxMode {
		t.Fatalf("login cookie: %+v", login)
	}

	w = b.callback("slack", e.slack.Issue("UHR", "THOME", "hr@example.com", q.Get("nonce")), q.Get("state"))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/?tab=1" {
		t.Fatalf("callback: %d → %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	c := b.cookies[sessionCookie]
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin/" || c.MaxAge != int(SessionTTL/time.Second) {
		t.Fatalf("session cookie: %+v", c)
	}
	if _, ok := b.cookies[loginCookie]; ok {
		t.Error("the login cookie outlived its callback")
	}
	w = b.get("/admin/")
	if w.Code != http.StatusOK {
		t.Fatalf("overview: %d", w.Code)
	}
	mustContain(t, w, "王芳", "admin", "everyone&#39;s figures", "Slack", `action="/admin/logout"`)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

// A Slack user the directory knows only by email is matched by the email
// Slack verified, compared without case.
func TestSlackSignInByEmail(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	state, nonce := b.startLogin("slack", "")
	w := b.callback("slack", e.slack.Issue("UZHAO", "THOME", "zhao.min@EXAMPLE.com", nonce), state)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/" {
		t.Fatalf("callback: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	mustContain(t, b.get("/admin/"), "赵敏", "研发部")
}

// Feishu's web login: the authorize page with the app id, then the code
// exchanged for the user's token and their info, matched by open_id.
func TestFeishuSignIn(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	w := b.get("/admin/login/feishu")
	to, _ := url.Parse(w.Header().Get("Location"))
	q := to.Query()
	if w.Code != http.StatusFound || to.Scheme+"://"+to.Host+to.Path != e.feishu.URL+"/open-apis/authen/v1/authorize" ||
		q.Get("app_id") != e.feishu.AppID || q.Get("redirect_uri") != "https://jifen.example.com/admin/login/feishu/callback" || q.Get("state") == "" {
		t.Fatalf("start: %d %s", w.Code, to)
	}
	w = b.callback("feishu", e.feishu.Issue("ou_mgr", "tenant-home", ""), q.Get("state"))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/" {
		t.Fatalf("callback: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	w = b.get("/admin/")
	mustContain(t, w, "李雷", "manager", "销售部", "Feishu")
}

// Every way a sign-in can go wrong ends on a refusal page, with no
// session.
func TestSignInRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*config.Config)
		run    func(e *testEnv, b *browser) int // the callback's status
		status int
		text   string
	}{
		{name: "wrong state", status: http.StatusBadRequest, text: "expired or was already used",
			run: func(e *testEnv, b *browser) int {
				_, nonce := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("UHR", "THOME", "", nonce), "forged-state").Code
			}},
		{name: "no login cookie", status: http.StatusBadRequest, text: "expired or was already used",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				delete(b.cookies, loginCookie)
				return b.callback("slack", e.slack.Issue("UHR", "THOME", "", nonce), state).Code
			}},
		{name: "state of the other platform", status: http.StatusBadRequest, text: "expired or was already used",
			run: func(e *testEnv, b *browser) int {
				state, _ := b.startLogin("feishu", "")
				return b.callback("slack", e.slack.Issue("UHR", "THOME", "", ""), state).Code
			}},
		{name: "login state expired", status: http.StatusBadRequest, text: "expired or was already used",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				e.now = e.now.Add(loginTTL + time.Second)
				return b.callback("slack", e.slack.Issue("UHR", "THOME", "", nonce), state).Code
			}},
		{name: "callback replayed with its cookie", status: http.StatusBadRequest, text: "expired or was already used",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				login := b.cookies[loginCookie]
				code := e.slack.Issue("UHR", "THOME", "", nonce)
				if w := b.callback("slack", code, state); w.Code != http.StatusSeeOther {
					b.t.Errorf("the first callback: %d", w.Code)
				}
				delete(b.cookies, sessionCookie)
				other := e.browser(b.t)
				other.cookies[loginCookie] = login
				w := other.callback("slack", code, state)
				b.cookies = other.cookies
				return w.Code
			}},
		{name: "Slack code replayed with a fresh state", status: http.StatusForbidden, text: "did not confirm",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				code := e.slack.Issue("UHR", "THOME", "", nonce)
				b.callback("slack", code, state)
				b2 := e.browser(b.t)
				state, _ = b2.startLogin("slack", "")
				w := b2.callback("slack", code, state)
				b.cookies = b2.cookies
				return w.Code
			}},
		{name: "Feishu code replayed with a fresh state", status: http.StatusForbidden, text: "did not confirm",
			run: func(e *testEnv, b *browser) int {
				state, _ := b.startLogin("feishu", "")
				code := e.feishu.Issue("ou_hr", "tenant-home", "")
				b.callback("feishu", code, state)
				b2 := e.browser(b.t)
				state, _ = b2.startLogin("feishu", "")
				w := b2.callback("feishu", code, state)
				b.cookies = b2.cookies
				return w.Code
			}},
		{name: "ID token for another nonce", status: http.StatusForbidden, text: "did not confirm",
			run: func(e *testEnv, b *browser) int {
				state, _ := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("UHR", "THOME", "", "another-nonce"), state).Code
			}},
		{name: "unknown Slack user", status: http.StatusForbidden, text: "not a member",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("USTRANGER", "THOME", "stranger@example.com", nonce), state).Code
			}},
		{name: "unknown Feishu user", status: http.StatusForbidden, text: "not a member",
			run: func(e *testEnv, b *browser) int {
				state, _ := b.startLogin("feishu", "")
				return b.callback("feishu", e.feishu.Issue("ou_stranger", "tenant-home", ""), state).Code
			}},
		{name: "email of a member with another Slack account", status: http.StatusForbidden, text: "not a member",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("UOTHER", "THOME", "hr@example.com", nonce), state).Code
			}},
		{name: "member who has left", status: http.StatusForbidden, text: "not a member",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("UGONE", "THOME", "", nonce), state).Code
			}},
		{name: "bot account", status: http.StatusForbidden, text: "not a member",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("UBOT", "THOME", "", nonce), state).Code
			}},
		{name: "Slack user of another workspace", status: http.StatusForbidden, text: "another workspace",
			run: func(e *testEnv, b *browser) int {
				state, nonce := b.startLogin("slack", "")
				return b.callback("slack", e.slack.Issue("UHR", "TOTHER", "", nonce), state).Code
			}},
		{name: "Feishu user of another tenant", status: http.StatusForbidden, text: "another workspace",
			run: func(e *testEnv, b *browser) int {
				state, _ := b.startLogin("feishu", "")
				return b.callback("feishu", e.feishu.Issue("ou_hr", "tenant-other", ""), state).Code
			}},
		{name: "cancelled on the platform", status: http.StatusForbidden, text: "cancelled",
			run: func(e *testEnv, b *browser) int {
				state, _ := b.startLogin("feishu", "")
				return b.get("/admin/login/feishu/callback?error=access_denied&state=" + state).Code
			}},
		{name: "Slack sign-in not configured", status: http.StatusNotFound, text: "not set up",
			edit: func(c *config.Config) { c.Slack.ClientID, c.Slack.ClientSecret = "", "" },
			run:  func(e *testEnv, b *browser) int { return b.get("/admin/login/slack").Code }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, tc.edit)
			b := e.browser(t)
			if got := tc.run(e, b); got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if _, ok := b.cookies[sessionCookie]; ok {
				t.Error("a session was started")
			}
			w := b.get("/admin/")
			if w.Code != http.StatusFound {
				t.Errorf("after the refusal /admin/ answers %d, want 302 to sign in", w.Code)
			}
		})
	}
}

// The refusal page says why, in the configured language.
func TestRefusalPageSaysWhy(t *testing.T) {
	e := newTestEnv(t, nil)
	e.s.lang = "zh-CN"
	b := e.browser(t)
	state, nonce := b.startLogin("slack", "")
	w := b.callback("slack", e.slack.Issue("UHR", "TOTHER", "", nonce), state)
	mustContain(t, w, "登录失败", "其他工作区", `href="/admin/login"`)
}

// A sign-in sends the browser back only to a page of the console.
func TestNoOpenRedirect(t *testing.T) {
	for next, want := range map[string]string{
		"/admin/":                       "/admin/",
		"/admin/reports?period=2026-10": "/admin/reports?period=2026-10",
		"":                              "/admin/",
		"//evil.example/admin/":         "/admin/",
		"/\\evil.example/admin/":        "/admin/",
		"/admin//evil.example":          "/admin/",
		"/admin/\\\\evil.example":       "/admin/",
		"https://evil.example/admin/":   "/admin/",
		"http:/admin/":                  "/admin/",
		"/admin/../logout":              "/admin/",
		"/admin/%2e%2e/x":               "/admin/",
		"/reports/2026-10":              "/admin/",
		"/admin/\r\nLocation: x":        "/admin/",
		"javascript:alert(1)":           "/admin/",
		"/admin@evil.example":           "/admin/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	// End to end: the next given to the sign-in page is not followed off-site.
	e := newTestEnv(t, nil)
	b := e.browser(t)
	state, nonce := b.startLogin("slack", "//evil.example/")
	w := b.callback("slack", e.slack.Issue("UHR", "THOME", "", nonce), state)
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/admin/" {
		t.Errorf("callback: %d → %q", w.Code, loc)
	}
	w = b.get("/admin/login?next=" + url.QueryEscape("https://evil.example/"))
	if strings.Contains(w.Body.String(), "evil") {
		t.Errorf("the sign-in page carries the foreign next:\n%s", w.Body)
	}
}

// routeCases are every console route with what each viewer gets: signed
// out, an employee, a manager of 销售部 (another department than the
// employee's) and an admin.
var routeCases = []struct {
	method, path string
	want         [4]int
	employees    string // admin.employees; refuse when empty
}{
	{"GET", "/admin/", [4]int{302, 403, 200, 200}, ""},
	{"GET", "/admin/", [4]int{302, 200, 200, 200}, config.EmployeesPage},
	{"HEAD", "/admin/", [4]int{302, 403, 200, 200}, ""},
	{"POST", "/admin/", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/login", [4]int{200, 200, 200, 200}, ""},
	{"POST", "/admin/logout", [4]int{303, 303, 303, 303}, ""},
	{"GET", "/admin/logout", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/login/slack", [4]int{302, 302, 302, 302}, ""},
	{"GET", "/admin/login/feishu", [4]int{302, 302, 302, 302}, ""},
	{"GET", "/admin/login/slack/callback?code=x&state=y", [4]int{400, 400, 400, 400}, ""},
	{"GET", "/admin/login/feishu/callback?code=x&state=y", [4]int{400, 400, 400, 400}, ""},
	{"GET", "/admin/no-such-page", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/reports", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/reports", [4]int{302, 403, 403, 200}, config.EmployeesPage},
	{"GET", "/admin/reports?period=2026-10", [4]int{302, 403, 403, 303}, ""},
	{"GET", "/admin/reports/2026-10", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/reports/2026-10/download?format=md", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/reports/2026-10/download?format=xlsx", [4]int{302, 403, 403, 200}, config.EmployeesPage},
	{"POST", "/admin/reports", [4]int{404, 404, 404, 404}, ""},
	{"POST", "/admin/reports/2026-10/download?format=md", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/audit", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/audit?before=1&action=import&actor=hr", [4]int{302, 403, 403, 200}, ""},
	{"POST", "/admin/audit", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/rules", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/rules", [4]int{302, 403, 403, 200}, config.EmployeesPage},
	{"POST", "/admin/rules/simulate", [4]int{403, 403, 403, 400}, ""},
	{"GET", "/admin/decisions", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/decisions", [4]int{302, 403, 403, 200}, config.EmployeesPage},
	{"POST", "/admin/decisions/approvals/1/approve", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/decisions/approvals/1/reject", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/decisions/redemptions/1/approve", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/decisions/redemptions/1/reject", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/decisions/redemptions/1/cancel", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/decisions/redemptions/1/fulfil", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/decisions/redemptions/1/delete", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/members", [4]int{302, 403, 200, 200}, ""},
	{"GET", "/admin/members", [4]int{302, 403, 200, 200}, config.EmployeesPage},
	{"GET", "/admin/members?department=" + url.QueryEscape("研发部"), [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/members?left=1&page=1", [4]int{302, 403, 200, 200}, ""},
	{"GET", "/admin/members/sync", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/members/sync?from=slack", [4]int{302, 403, 403, 503}, ""},
	{"POST", "/admin/members/sync", [4]int{403, 403, 403, 400}, ""},
	{"GET", "/admin/surveys", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/surveys/satisfaction/1", [4]int{302, 403, 403, 404}, ""},
	{"GET", "/admin/surveys/satisfaction/x", [4]int{302, 403, 403, 404}, ""},
	{"GET", "/admin/ledger", [4]int{302, 403, 200, 200}, ""},
	{"GET", "/admin/ledger", [4]int{302, 403, 200, 200}, config.EmployeesPage},
	{"GET", "/admin/ledger?department=" + url.QueryEscape("研发部"), [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/ledger?member=emp&period=2026-11", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/ledger/1", [4]int{302, 403, 404, 404}, ""},
	{"GET", "/admin/ledger/export?format=csv", [4]int{302, 403, 200, 200}, ""},
	{"GET", "/admin/ledger/export?format=xlsx&member=emp", [4]int{302, 403, 403, 200}, ""},
	{"POST", "/admin/ledger", [4]int{404, 404, 404, 404}, ""},
	{"GET", "/admin/imports", [4]int{302, 403, 403, 200}, ""},
	{"GET", "/admin/imports", [4]int{302, 403, 403, 200}, config.EmployeesPage},
	{"POST", "/admin/imports/preview", [4]int{403, 403, 403, 400}, ""},
	{"POST", "/admin/imports/confirm", [4]int{403, 403, 403, 400}, ""},
	{"GET", "/admin/imports/confirm", [4]int{404, 404, 404, 404}, ""},
}

// routeTable is "METHOD path" of every row of routeCases.
var routeTable = func() (out []string) {
	for _, tc := range routeCases {
		out = append(out, tc.method+" "+tc.path)
	}
	return out
}()

// Every console route, signed out, as an employee, as a manager of another
// department and as an admin, answers exactly what each may get.
func TestRoutesByRole(t *testing.T) {
	viewers := []string{"", "emp", "mgr", "hr"} // signed out, employee, manager of 销售部, admin
	for _, tc := range routeCases {
		for i, who := range viewers {
			e := newTestEnv(t, func(c *config.Config) {
				if tc.employees != "" {
					c.Admin.Employees = tc.employees
				}
			})
			b := e.browser(t)
			if who != "" {
				b.signIn(e.s, who)
			}
			w := b.do(tc.method, tc.path, nil)
			if w.Code != tc.want[i] {
				t.Errorf("%s %s as %q (employees: %q): %d, want %d", tc.method, tc.path, who, tc.employees, w.Code, tc.want[i])
			}
			if w.Code == http.StatusFound && tc.path == "/admin/" && !strings.HasPrefix(w.Header().Get("Location"), "/admin/login?next=") {
				t.Errorf("signed out, /admin/ sends to %q", w.Header().Get("Location"))
			}
		}
	}
}

// The table above covers every page the console registers: a page added
// without a row fails here. Every POST page refuses a form from another
// origin, whoever is signed in.
func TestRoutesByRoleCoversEveryPage(t *testing.T) {
	e := newTestEnv(t, nil)
	covered := map[string]bool{}
	for _, path := range routeTable {
		method, target, _ := strings.Cut(path, " ")
		mux := http.NewServeMux()
		for _, p := range e.s.pages {
			mux.HandleFunc(p.pattern, func(http.ResponseWriter, *http.Request) {})
		}
		if _, pattern := mux.Handler(httptest.NewRequest(method, target, nil)); pattern != "" {
			covered[pattern] = true
		}
	}
	for _, p := range e.s.pages {
		if !covered[p.pattern] {
			t.Errorf("%s (least role %s) has no row in TestRoutesByRole", p.pattern, p.min)
		}
		method, target, _ := strings.Cut(p.pattern, " ")
		if method != "POST" {
			continue
		}
		target = strings.NewReplacer("{period}", "2026-10", "{id}", "1", "{n}", "1", "{$}", "").Replace(target)
		b := e.browser(t)
		b.signIn(e.s, "hr")
		if w := b.do("POST", target, http.Header{"Origin": {"https://evil.example"}}); w.Code != http.StatusForbidden {
			t.Errorf("a cross-origin POST %s: %d, want 403", target, w.Code)
		}
	}
}

// A form posted from another site is refused before it reaches the
// console; the same form from the console itself goes through.
func TestCrossOriginPostRefused(t *testing.T) {
	e := newTestEnv(t, nil)
	for name, h := range map[string]http.Header{
		"foreign Origin":            {"Origin": {"https://evil.example"}},
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site": {"same-site"}},
	} {
		b := e.browser(t)
		b.signIn(e.s, "hr")
		if w := b.do("POST", "/admin/logout", h); w.Code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, w.Code)
		}
		if w := b.get("/admin/"); w.Code != http.StatusOK {
			t.Errorf("%s: the refused sign-out ended the session (%d)", name, w.Code)
		}
	}
	b := e.browser(t)
	b.signIn(e.s, "hr")
	// Behind a proxy that passes its own Host, the public address's
	// origin is still this site.
	r := httptest.NewRequest("POST", "/admin/logout", nil)
	r.Host = "127.0.0.1:8080"
	r.Header.Set("Origin", "https://jifen.example.com")
	r.AddCookie(b.cookies[sessionCookie])
	proxied := httptest.NewRecorder()
	if e.s.Handler().ServeHTTP(proxied, r); proxied.Code != http.StatusSeeOther {
		t.Errorf("sign-out from the public origin through a proxy: %d", proxied.Code)
	}
	b.signIn(e.s, "hr")
	w := b.do("POST", "/admin/logout", http.Header{"Origin": {"https://jifen.example.com"}, "Sec-Fetch-Site": {"same-origin"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("same-origin sign-out: %d", w.Code)
	}
	if w := b.get("/admin/"); w.Code != http.StatusFound {
		t.Errorf("after signing out /admin/ answers %d", w.Code)
	}
}

// Signing out ends the session for good: a copy of its cookie kept
// elsewhere is refused too.
func TestSignOutEndsTheSession(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	copied := *b.cookies[sessionCookie]
	if w := b.do("POST", "/admin/logout", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/login" {
		t.Fatalf("sign-out: %d %q", w.Code, w.Header().Get("Location"))
	}
	other := e.browser(t)
	other.cookies[sessionCookie] = &copied
	if w := other.get("/admin/"); w.Code != http.StatusFound {
		t.Errorf("the signed-out session's cookie still opens /admin/: %d", w.Code)
	}
	b.signIn(e.s, "hr")
	if w := b.get("/admin/"); w.Code != http.StatusOK {
		t.Errorf("a new session after signing out: %d", w.Code)
	}
	// After a restart, or on another replica of the same store, the
	// signed-out session stays refused.
	restarted, err := New(context.Background(), Options{Store: e.st, Config: e.cfg, Language: locale.EN, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	again := &browser{t: t, h: restarted.Handler(), cookies: map[string]*http.Cookie{sessionCookie: &copied}}
	if w := again.get("/admin/"); w.Code != http.StatusFound {
		t.Errorf("after a restart the signed-out session's cookie opens /admin/: %d", w.Code)
	}
	again.cookies[sessionCookie] = b.cookies[sessionCookie]
	if w := again.get("/admin/"); w.Code != http.StatusOK {
		t.Errorf("after a restart the live session is refused: %d", w.Code)
	}
}

// The session names the member only: each request reads them again, so a
// demotion or a leaving date takes effect at once, and a session ends
// after SessionTTL or when its cookie is tampered with.
func TestSessionFollowsTheStore(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	b := e.browser(t)
	b.signIn(e.s, "mgr")
	if w := b.get("/admin/"); w.Code != http.StatusOK {
		t.Fatalf("manager: %d", w.Code)
	}
	mgr := testMembers[1]
	mgr.Role = jifen.RoleEmployee
	if err := e.st.PutMembers(ctx, []jifen.Member{mgr}); err != nil {
		t.Fatal(err)
	}
	if w := b.get("/admin/"); w.Code != http.StatusForbidden {
		t.Errorf("demoted: %d, want 403", w.Code)
	}
	mgr.Role, mgr.Left = jifen.RoleManager, time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	if err := e.st.PutMembers(ctx, []jifen.Member{mgr}); err != nil {
		t.Fatal(err)
	}
	if w := b.get("/admin/"); w.Code != http.StatusFound {
		t.Errorf("left: %d, want 302 to sign in", w.Code)
	}

	b = e.browser(t)
	b.signIn(e.s, "hr")
	e.now = e.now.Add(SessionTTL - time.Second)
	if w := b.get("/admin/"); w.Code != http.StatusOK {
		t.Errorf("within the session: %d", w.Code)
	}
	e.now = e.now.Add(time.Second)
	if w := b.get("/admin/"); w.Code != http.StatusFound {
		t.Errorf("after %s: %d, want 302", SessionTTL, w.Code)
	}

	b = e.browser(t)
	b.signIn(e.s, "emp")
	c := b.cookies[sessionCookie]
	value, sig, _ := strings.Cut(c.Value, ".")
	forged := strings.Replace(string(mustDecode(t, value)), `"emp"`, `"hr"`, 1)
	c.Value = b64([]byte(forged)) + "." + sig
	if w := b.get("/admin/"); w.Code != http.StatusFound {
		t.Errorf("a session edited to name the admin: %d, want 302", w.Code)
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := decodeB64(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// What a viewer may see: admins everyone, managers their department (and
// themselves), employees themselves only.
func TestViewerCanSee(t *testing.T) {
	byID := map[string]jifen.Member{}
	for _, m := range testMembers {
		byID[m.ID] = m
	}
	for _, tc := range []struct {
		viewer, member string
		want           bool
	}{
		{"hr", "emp", true},
		{"hr", "mgr", true},
		{"mgr", "mgr", true},
		{"mgr", "emp", false}, // 销售部's manager, 研发部's employee
		{"mail", "emp", true}, // 研发部's manager
		{"mail", "hr", false},
		{"emp", "emp", true},
		{"emp", "mail", false},
	} {
		v := &Viewer{Member: byID[tc.viewer]}
		if got := v.CanSee(byID[tc.member]); got != tc.want {
			t.Errorf("%s sees %s: %v, want %v", tc.viewer, tc.member, got, tc.want)
		}
	}
	// A manager without a department sees only themselves.
	v := &Viewer{Member: jifen.Member{ID: "x", Role: jifen.RoleManager}}
	if v.CanSee(jifen.Member{ID: "y", Role: jifen.RoleEmployee}) {
		t.Error("a manager without a department sees a member without one")
	}
}

// Cookies are Secure when the console is reached over https only: over
// plain http (a trial on a laptop) a browser would drop them.
func TestCookiesSecureOnlyBehindHTTPS(t *testing.T) {
	e := newTestEnv(t, func(c *config.Config) { c.HTTP.PublicURL = "http://localhost:8080" })
	b := e.browser(t)
	state, nonce := b.startLogin("slack", "")
	if c := b.cookies[loginCookie]; c == nil || c.Secure {
		t.Errorf("login cookie over http: %+v", c)
	}
	b.callback("slack", e.slack.Issue("UHR", "THOME", "", nonce), state)
	if c := b.cookies[sessionCookie]; c == nil || c.Secure || !c.HttpOnly {
		t.Errorf("session cookie over http: %+v", c)
	}
}

// A browser signs in end to end, following every redirect: the console,
// the platform's authorize page (the fake signs in whoever it was told),
// the callback, and back to the page it asked for.
func TestSignInThroughTheBrowser(t *testing.T) {
	var console http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { console.ServeHTTP(w, r) }))
	defer srv.Close()
	e := newTestEnv(t, func(c *config.Config) { c.HTTP.PublicURL = srv.URL })
	console = e.s.Handler()
	e.slack.SignInAs(admintest.SlackUser{ID: "UHR", Team: "THOME"})
	e.feishu.SignInAs(admintest.FeishuUser{OpenID: "ou_mgr", Tenant: e.feishu.Tenant})
	for platform, want := range map[string]string{"slack": "王芳", "feishu": "李雷"} {
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		resp, err := client.Get(srv.URL + "/admin/?from=mail")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Request.URL.Path != "/admin/login" || !strings.Contains(string(page), "/admin/login/"+platform+"?next=") {
			t.Fatalf("%s: signed out, landed on %s:\n%s", platform, resp.Request.URL, page)
		}
		next := resp.Request.URL.Query().Get("next")
		resp, err = client.Get(srv.URL + "/admin/login/" + platform + "?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.RequestURI() != "/admin/?from=mail" || !strings.Contains(string(page), want) {
			t.Errorf("%s: after sign-in %d at %s:\n%s", platform, resp.StatusCode, resp.Request.URL, page)
		}
	}
}
