package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/locale"
	"jifen/roster"
	"jifen/store"
)

// memberEnv is the test console rebuilt with a directory sync planner
// (plan; nil: none), the bot knowing the config's surveys, the extra
// members added first, and a log the tests read.
type memberEnv struct {
	*testEnv
	log *memLog
}

// memLog is a log written from the handlers and read by the test.
type memLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *memLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *memLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newMemberEnv(t *testing.T, edit func(*config.Config), extra []jifen.Member,
	plan func(context.Context, roster.Platform) (roster.Plan, error)) *memberEnv {
	t.Helper()
	e := &memberEnv{testEnv: newTestEnv(t, edit), log: &memLog{}}
	if len(extra) > 0 {
		if err := e.st.PutMembers(context.Background(), extra); err != nil {
			t.Fatal(err)
		}
	}
	e.bot = bot.New(bot.Options{Store: e.st, Catalog: e.cfg.Rules, CatalogVersion: 1, Language: locale.EN, Surveys: e.cfg.Surveys,
		Logger: slog.New(slog.DiscardHandler)})
	var err error
	e.s, err = New(context.Background(), Options{Store: e.st, Config: e.cfg, Language: locale.EN,
		Now: func() time.Time { return e.now }, Logger: slog.New(slog.NewTextHandler(e.log, nil)),
		SlackTeam: func(context.Context) (string, error) { return "THOME", nil }, Bot: e.bot, SyncPlan: plan})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// memEscaped is text as the pages' templates write it.
func memEscaped(t *testing.T, text string) string {
	t.Helper()
	var b bytes.Buffer
	if err := template.Must(template.New("").Parse("{{.}}")).Execute(&b, text); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// memLacks fails t if text holds any of unwanted.
func memLacks(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%q is shown:\n%s", u, text)
		}
	}
}

func memWantCode(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d", what, got, want)
	}
}

var memberExtra = []jifen.Member{
	{ID: "s2", Name: "孙丽", Email: "sun@example.com", FeishuOpenID: "ou_s2", Department: "销售部", Level: "中层", Role: jifen.RoleEmployee,
		Joined: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
	{ID: "s3", Name: "周杰", Department: "销售部", Role: jifen.RoleEmployee, Left: time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)},
}

// The list: an admin sees everyone's ids, department, level, role and
// dates; those who have left only when asked.
func TestMembersListAdmin(t *testing.T) {
	e := newMemberEnv(t, nil, memberExtra, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/members")
	memWantCode(t, "admin", w.Code, http.StatusOK)
	mustContain(t, w, "王芳", "UHR", "ou_hr", "hr@example.com", "人力部", "李雷", "张伟", "赵敏", "Zhao.Min@example.com",
		"孙丽", "ou_s2", "sun@example.com", "中层", "2025-03-01", ">admin<", ">manager<", ">employee<", "机器人", ">bot<",
		"6 members")
	memLacks(t, w.Body.String(), "<td>钱进</td>", "<td>周杰</td>", "<td>UGONE</td>")

	w = b.get("/admin/members?left=1")
	memWantCode(t, "with those who left", w.Code, http.StatusOK)
	mustContain(t, w, "钱进", "UGONE", "2026-10-31", "周杰", "2026-09-30", "王芳", "8 members", `name="left" value="1" checked`)

	w = b.get("/admin/members?q=%E5%BC%A0") // 张
	mustContain(t, w, "张伟", "1 member")
	memLacks(t, w.Body.String(), "<td>李雷</td>", "<td>王芳</td>")
	w = b.get("/admin/members?q=zhao.min")
	mustContain(t, w, "赵敏")
	memLacks(t, w.Body.String(), "<td>张伟</td>")

	w = b.get("/admin/members?department=%E9%94%80%E5%94%AE%E9%83%A8") // 销售部
	memWantCode(t, "department", w.Code, http.StatusOK)
	mustContain(t, w, "李雷", "孙丽", "2 members")
	memLacks(t, w.Body.String(), "<td>张伟</td>", "<td>王芳</td>", "<td>周杰</td>")
	w = b.get("/admin/members?department=%E9%94%80%E5%94%AE%E9%83%A8&left=1")
	mustContain(t, w, "李雷", "孙丽", "周杰", "3 members")
}

// A manager sees their own department and nothing of another's, however
// they ask.
func TestMembersManagerScope(t *testing.T) {
	e := newMemberEnv(t, nil, memberExtra, nil)
	b := e.browser(t)
	b.signIn(e.s, "mgr") // 销售部
	others := []string{"<td>张伟</td>", "<td>赵敏</td>", "<td>钱进</td>", "<td>王芳</td>", "UEMP", "ou_emp", "Zhao.Min", "机器人", "研发部", "人力部"}
	w := b.get("/admin/members")
	memWantCode(t, "manager", w.Code, http.StatusOK)
	mustContain(t, w, "李雷", "孙丽", "ou_s2", "2 members")
	memLacks(t, w.Body.String(), others...)
	memLacks(t, w.Body.String(), "/admin/members/sync") // the sync is the admins'

	for _, target := range []string{
		"/admin/members?department=%E7%A0%94%E5%8F%91%E9%83%A8", // 研发部
		"/admin/members?department=%E7%A0%94%E5%8F%91%E9%83%A8&left=1&q=%E5%BC%A0",
		"/admin/members?department=%E4%BA%BA%E5%8A%9B%E9%83%A8", // 人力部
	} {
		w := b.get(target)
		memWantCode(t, target, w.Code, http.StatusForbidden)
		mustContain(t, w, "your own department (销售部) only")
		memLacks(t, w.Body.String(), others...)
	}
	for _, target := range []string{"/admin/members?left=1", "/admin/members?q=%E5%BC%A0%E4%BC%9F", "/admin/members?q=emp&left=1"} {
		w := b.get(target)
		memWantCode(t, target, w.Code, http.StatusOK)
		memLacks(t, w.Body.String(), others...)
	}
	w = b.get("/admin/members?left=1")
	mustContain(t, w, "周杰") // their own department's leaver

	// A manager of no department sees themselves alone.
	if err := e.st.PutMembers(context.Background(), []jifen.Member{{ID: "lone", Name: "林一", Role: jifen.RoleManager}}); err != nil {
		t.Fatal(err)
	}
	b.signIn(e.s, "lone")
	for _, target := range []string{"/admin/members", "/admin/members?left=1", "/admin/members?department="} {
		w := b.get(target)
		memWantCode(t, "lone "+target, w.Code, http.StatusOK)
		mustContain(t, w, "<td>林一</td>", "1 member")
		memLacks(t, w.Body.String(), append(others, "<td>李雷</td>", "<td>孙丽</td>")...)
	}
	w = b.get("/admin/members?department=%E9%94%80%E5%94%AE%E9%83%A8")
	memWantCode(t, "lone 销售部", w.Code, http.StatusForbidden)
	mustContain(t, w, "You have no department: you see yourself only.")

	// The manager of 研发部 sees 研发部, and who left it when asked.
	b.signIn(e.s, "mail")
	w = b.get("/admin/members")
	mustContain(t, w, "张伟", "赵敏")
	memLacks(t, w.Body.String(), "<td>李雷</td>", "<td>孙丽</td>", "<td>钱进</td>")
	w = b.get("/admin/members?left=1")
	mustContain(t, w, "钱进")
}

func TestMembersAccess(t *testing.T) {
	e := newMemberEnv(t, nil, nil, func(context.Context, roster.Platform) (roster.Plan, error) { return roster.Plan{}, nil })
	b := e.browser(t)
	for _, target := range []string{"/admin/members", "/admin/members/sync?from=slack"} {
		w := b.get(target)
		memWantCode(t, "signed out "+target, w.Code, http.StatusFound)
		if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/admin/login?next=") {
			t.Errorf("signed out %s: sent to %q", target, loc)
		}
	}
	b.signIn(e.s, "emp")
	for _, target := range []string{"/admin/members", "/admin/members/sync?from=slack"} {
		w := b.get(target)
		memWantCode(t, "employee "+target, w.Code, http.StatusForbidden)
		memLacks(t, w.Body.String(), "<td>李雷</td>", "<td>UHR</td>")
	}
	b.signIn(e.s, "mgr")
	w := b.get("/admin/members/sync?from=slack")
	memWantCode(t, "manager sync", w.Code, http.StatusForbidden)
	mustContain(t, w, "for admins only")
	// Signed in as one who has left since: no longer.
	b.signIn(e.s, "gone")
	w = b.get("/admin/members")
	memWantCode(t, "left", w.Code, http.StatusFound)
	b = e.browser(t)
	b.signIn(e.s, "hr")
	w = b.get("/admin/members?page=0")
	memWantCode(t, "page 0", w.Code, http.StatusBadRequest)
	mustContain(t, w, "“0” is not a page number")
	w = b.get("/admin/members?page=x")
	memWantCode(t, "page x", w.Code, http.StatusBadRequest)
}

// A long list comes a page at a time, the filters kept in the links.
func TestMembersPaged(t *testing.T) {
	var many []jifen.Member
	for i := range 230 {
		many = append(many, jifen.Member{ID: fmt.Sprintf("m%03d", i), Name: fmt.Sprintf("成员%03d", i), Department: "销售部", Role: jifen.RoleEmployee})
	}
	e := newMemberEnv(t, nil, many, nil)
	b := e.browser(t)
	b.signIn(e.s, "mgr")
	w := b.get("/admin/members")
	mustContain(t, w, "231 members", "成员000", "成员099", "&amp;page=2\">Next")
	memLacks(t, w.Body.String(), "成员100", "Previous") // 李雷 (mgr) sorts after m000…m229
	if n := strings.Count(w.Body.String(), "<tr><td>"); n != membersPageSize {
		t.Errorf("page 1 has %d rows, want %d", n, membersPageSize)
	}
	w = b.get("/admin/members?department=%E9%94%80%E5%94%AE%E9%83%A8&page=3")
	memWantCode(t, "page 3", w.Code, http.StatusOK)
	mustContain(t, w, "成员229", "李雷", "Previous")
	memLacks(t, w.Body.String(), "<td>成员199</td>", "Next →")
	if n := strings.Count(w.Body.String(), "<tr><td>"); n != 31 {
		t.Errorf("page 3 has %d rows, want 31", n)
	}
	w = b.get("/admin/members?page=9")
	memWantCode(t, "page 9", w.Code, http.StatusOK)
	if n := strings.Count(w.Body.String(), "<tr><td>"); n != 0 {
		t.Errorf("page 9 has %d rows", n)
	}
}

// syncFake is a directory sync planner that returns plan or err and
// counts its calls.
type syncFake struct {
	mu    sync.Mutex
	calls []roster.Platform
	plan  roster.Plan
	err   error
}

func (f *syncFake) Plan(_ context.Context, from roster.Platform) (roster.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, from)
	return f.plan, f.err
}

func (f *syncFake) Calls() []roster.Platform {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]roster.Platform(nil), f.calls...)
}

// The preview shows the plan's changes and notes as `jifen members sync
// --dry-run` prints them, and writes nothing.
func TestMembersSyncPreview(t *testing.T) {
	left := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	newbie := jifen.Member{ID: "wu", Name: "吴敏", SlackID: "UWU", Department: "", Role: jifen.RoleEmployee}
	linked := jifen.Member{ID: "mail", Name: "赵敏", SlackID: "UZHAO", Email: "Zhao.Min@example.com", Department: "研发部", Role: jifen.RoleManager}
	moved := jifen.Member{ID: "emp", Name: "张伟", SlackID: "UEMP", Department: "销售部", Role: jifen.RoleEmployee}
	gone := jifen.Member{ID: "mgr", Name: "李雷", SlackID: "UMGR", Department: "销售部", Role: jifen.RoleManager, Left: left, LeftFrom: "slack"}
	fake := &syncFake{plan: roster.Plan{
		Changes: []roster.Change{
			{Kind: roster.New, Member: newbie},
			{Kind: roster.Linked, Member: linked, By: "email"},
			{Kind: roster.Department, Member: moved, From: "研发部"},
			{Kind: roster.Left, Member: gone},
		},
		Notes: []roster.Note{
			{Kind: roster.ConfigDepartment, Member: testMembers[0], Value: "行政部"},
			{Kind: roster.Taken, Member: testMembers[2], Value: "UOTHER"},
		},
		Write: []jifen.Member{moved, linked, gone, newbie},
		Bots:  2, Inactive: 1,
	}}
	e := newMemberEnv(t, nil, nil, fake.Plan)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	before := e.st.Members()

	w := b.get("/admin/members")
	mustContain(t, w, `href="/admin/members/sync?from=slack"`, `href="/admin/members/sync?from=feishu"`)
	w = b.get("/admin/members/sync")
	memWantCode(t, "choice", w.Code, http.StatusOK)
	mustContain(t, w, "Preview a sync from Slack", "Preview a sync from Feishu")
	if len(fake.Calls()) != 0 {
		t.Fatalf("the choice read a directory: %v", fake.Calls())
	}

	w = b.get("/admin/members/sync?from=slack")
	memWantCode(t, "preview", w.Code, http.StatusOK)
	tr := func(key string, args ...any) string { return memEscaped(t, locale.T(locale.EN, key, args...)) }
	mustContain(t, w,
		tr("sync.header", "Slack"),
		tr("sync.new", "wu", "吴敏", "(no department)", jifen.RoleEmployee, "UWU"),
		tr("sync.linked_email", "mail", "赵敏", "UZHAO"),
		tr("sync.department", "emp", "张伟", "研发部", "销售部"),
		tr("sync.left", "mgr", "李雷", "2026-11-10"),
		tr("sync.note.department", "hr", "王芳", "行政部", "人力部"),
		tr("sync.note.taken", "emp", "张伟", "UOTHER", "UEMP"),
		tr("sync.skipped", 2, 1),
		tr("sync.summary", 1, 1, 0, 1, 0, 1),
		tr("sync.dry_run", 4),
		"jifen members sync --from slack",
	)
	if got := fake.Calls(); len(got) != 1 || got[0] != roster.Slack {
		t.Errorf("planned from %v, want [slack]", got)
	}
	if after := e.st.Members(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the preview wrote members:\n%v\nwant\n%v", after, before)
	}

	w = b.get("/admin/members/sync?from=feishu")
	memWantCode(t, "feishu", w.Code, http.StatusOK)
	if got := fake.Calls(); got[len(got)-1] != roster.Feishu {
		t.Errorf("planned from %v, want feishu last", got)
	}

	// Nothing to change: said so, and no command to run.
	fake.plan = roster.Plan{Notes: fake.plan.Notes}
	w = b.get("/admin/members/sync?from=slack")
	memWantCode(t, "nothing", w.Code, http.StatusOK)
	mustContain(t, w, tr("sync.nothing", "Slack"), tr("sync.note.department", "hr", "王芳", "行政部", "人力部"))
	memLacks(t, w.Body.String(), "jifen members sync --from")

	w = b.get("/admin/members/sync?from=ldap")
	memWantCode(t, "bad platform", w.Code, http.StatusBadRequest)
	mustContain(t, w, "“ldap” is not a platform to sync from")
}

// Without a planner, or for a platform the config does not enable, the
// page says the sync is not available and reads nothing.
func TestMembersSyncUnavailable(t *testing.T) {
	e := newMemberEnv(t, nil, nil, nil)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/members/sync?from=slack")
	memWantCode(t, "no planner", w.Code, http.StatusServiceUnavailable)
	mustContain(t, w, "The directory sync from Slack is not available: the platform is not enabled.")
	w = b.get("/admin/members/sync")
	mustContain(t, w, "no platform is enabled")
	w = b.get("/admin/members")
	memLacks(t, w.Body.String(), "/admin/members/sync")

	fake := &syncFake{}
	e = newMemberEnv(t, func(c *config.Config) { c.Feishu.Enabled = false }, nil, fake.Plan)
	b = e.browser(t)
	b.signIn(e.s, "hr")
	w = b.get("/admin/members/sync?from=feishu")
	memWantCode(t, "feishu off", w.Code, http.StatusServiceUnavailable)
	mustContain(t, w, "The directory sync from Feishu is not available: the platform is not enabled.")
	if len(fake.Calls()) != 0 {
		t.Errorf("read a disabled platform: %v", fake.Calls())
	}
	w = b.get("/admin/members/sync?from=slack")
	memWantCode(t, "slack on", w.Code, http.StatusOK)
}

// A platform's failure is a 502 with a clear message; neither the page
// nor the log shows a secret the error carried.
func TestMembersSyncPlatformError(t *testing.T) {
	fake := &syncFake{}
	e := newMemberEnv(t, func(c *config.Config) { c.Slack.BotToken = "xoxb-123-secret-bot-token" }, nil, fake.Plan)
	fake.err = fmt.Errorf("slack users.list: invalid_auth (token xoxb-123-secret-bot-token, Authorization: Bearer t-g1044abcdefghijklmnop, app secret %s): %w",
		e.cfg.Feishu.AppSecret, errors.New("boom"))
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/members/sync?from=slack")
	memWantCode(t, "platform error", w.Code, http.StatusBadGateway)
	mustContain(t, w, "The Slack directory could not be read")
	memLacks(t, w.Body.String(), "invalid_auth", "xoxb", "t-g1044", e.cfg.Feishu.AppSecret)
	log := e.log.String()
	if !strings.Contains(log, "directory sync preview failed") || !strings.Contains(log, "invalid_auth") {
		t.Errorf("the failure is not logged:\n%s", log)
	}
	memLacks(t, e.log.String(), "xoxb-123", "secret-bot-token", "t-g1044abcdefghijklmnop", e.cfg.Feishu.AppSecret)
}

// syncDirectory is a platform's directory the planner reads, as the
// real one does: the plan is built against the store's members now.
type syncDirectory struct {
	mu     sync.Mutex
	people []roster.Person
	during func() // run after the plan is made (another change coming in)
	st     interface{ Members() []jifen.Member }
}

func (d *syncDirectory) Plan(_ context.Context, from roster.Platform) (roster.Plan, error) {
	d.mu.Lock()
	people, during := slices.Clone(d.people), d.during
	d.mu.Unlock()
	plan := roster.Build(roster.Input{Platform: from, Members: d.st.Members(), People: people,
		Today: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)})
	if during != nil {
		during()
	}
	return plan, nil
}

func (d *syncDirectory) set(people []roster.Person, during func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.people, d.during = people, during
}

var syncPeople = []roster.Person{
	{ID: "UZHAO", Name: "赵敏", Email: "zhao.min@example.com"},
	{ID: "UNEW", Name: "吴敏", Email: "wu@example.com"},
	{ID: "UEMP", Name: "张伟", Inactive: true},
}

// syncForm reads the apply form of a preview.
func syncForm(t *testing.T, body string) url.Values {
	t.Helper()
	form := url.Values{}
	for _, name := range []string{"from", "plan", "token"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the preview has no %s field:\n%s", name, body)
		}
		form.Set(name, m[1])
	}
	return form
}

func newSyncEnv(t *testing.T) (*memberEnv, *syncDirectory) {
	t.Helper()
	dir := &syncDirectory{people: syncPeople}
	e := newMemberEnv(t, nil, nil, dir.Plan)
	dir.st = e.st
	return e, dir
}

func syncAudit(e *memberEnv) []store.AuditRecord {
	return e.st.AuditLog(store.AuditFilter{Action: "members.sync"})
}

// Applying the previewed plan writes it once, audited; a second
// submission of the form writes nothing more.
func TestMembersSyncApply(t *testing.T) {
	e, _ := newSyncEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	w := b.get("/admin/members/sync?from=slack")
	memWantCode(t, "preview", w.Code, http.StatusOK)
	mustContain(t, w, "Apply these changes", memEscaped(t, locale.T(locale.EN, "sync.dry_run", 3)))
	form := syncForm(t, w.Body.String())
	if m, _ := e.st.Member("mail"); m.SlackID != "" {
		t.Fatalf("the preview linked %+v", m)
	}

	w = b.post("/admin/members/sync", form)
	memWantCode(t, "apply", w.Code, http.StatusOK)
	mustContain(t, w, "3 members written.")
	check := func() {
		t.Helper()
		if m, _ := e.st.Member("mail"); m.SlackID != "UZHAO" {
			t.Errorf("mail = %+v, want linked to UZHAO", m)
		}
		if m, _ := e.st.Member("emp"); m.Left.IsZero() || m.LeftFrom != "slack" {
			t.Errorf("emp = %+v, want left", m)
		}
		if m, ok := e.st.MemberBySlackID("UNEW"); !ok || m.Name != "吴敏" {
			t.Errorf("UNEW = %+v %v, want the new member", m, ok)
		}
		recs := syncAudit(e)
		if len(recs) != 1 || recs[0].Actor != "hr" || recs[0].Outcome != "ok" || !strings.Contains(recs[0].Object, "slack") {
			t.Errorf("audit = %+v, want one record of hr's sync from slack", recs)
		}
	}
	check()
	after := fmt.Sprint(e.st.Members())

	// The same form again (a double click, a retry): answered as the
	// first, nothing written, no second record.
	w = b.post("/admin/members/sync", form)
	memWantCode(t, "again", w.Code, http.StatusOK)
	mustContain(t, w, "3 members written.")
	check()
	if got := fmt.Sprint(e.st.Members()); got != after {
		t.Errorf("the second submission changed the members:\n%s\nwant\n%s", got, after)
	}

	// The plan is applied: nothing left to do, no form.
	w = b.get("/admin/members/sync?from=slack")
	mustContain(t, w, "Nothing to change: the members match the Slack directory.")
	memLacks(t, w.Body.String(), "Apply these changes")

	w = b.get("/admin/audit")
	mustContain(t, w, "synced the members with a directory", "slack (3 members)")
}

// A plan that changed since the preview (the directory, or the members)
// is not applied: the page shows it as it now is, to be applied again.
func TestMembersSyncApplyStale(t *testing.T) {
	e, dir := newSyncEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	before := fmt.Sprint(e.st.Members())
	form := syncForm(t, b.get("/admin/members/sync?from=slack").Body.String())

	// The directory changed.
	dir.set(append(slices.Clone(syncPeople), roster.Person{ID: "UNEW2", Name: "马可"}), nil)
	w := b.post("/admin/members/sync", form)
	memWantCode(t, "directory changed", w.Code, http.StatusConflict)
	mustContain(t, w, "changed since the preview: nothing was written", "马可", "Apply these changes")
	if got := fmt.Sprint(e.st.Members()); got != before || len(syncAudit(e)) != 0 {
		t.Fatalf("a stale plan was written:\n%s\naudit %+v", got, syncAudit(e))
	}

	// A member the plan touches changed while the plan was made.
	form = syncForm(t, w.Body.String())
	dir.set(append(slices.Clone(syncPeople), roster.Person{ID: "UNEW2", Name: "马可"}), func() {
		m, _ := e.st.Member("mail")
		m.Level = "高层"
		if err := e.st.PutMembers(context.Background(), []jifen.Member{m}); err != nil {
			t.Error(err)
		}
	})
	w = b.post("/admin/members/sync", form)
	memWantCode(t, "member changed meanwhile", w.Code, http.StatusConflict)
	if m, _ := e.st.Member("mail"); m.SlackID != "" || m.Level != "高层" {
		t.Fatalf("mail = %+v: the sync overwrote a change made meanwhile", m)
	}
	if _, ok := e.st.MemberBySlackID("UNEW2"); ok || len(syncAudit(e)) != 0 {
		t.Fatalf("a stale plan was written; audit %+v", syncAudit(e))
	}

	// Previewed again, it applies.
	dir.set(append(slices.Clone(syncPeople), roster.Person{ID: "UNEW2", Name: "马可"}), nil)
	form = syncForm(t, b.get("/admin/members/sync?from=slack").Body.String())
	w = b.post("/admin/members/sync", form)
	memWantCode(t, "fresh", w.Code, http.StatusOK)
	mustContain(t, w, "4 members written.")
	if m, _ := e.st.Member("mail"); m.SlackID != "UZHAO" || m.Level != "高层" {
		t.Errorf("mail = %+v", m)
	}
	if len(syncAudit(e)) != 1 {
		t.Errorf("audit %+v, want one record", syncAudit(e))
	}

	// Another form, once the plan is applied (another tab, the command
	// line): nothing left to do, and said so.
	w = b.post("/admin/members/sync", url.Values{"from": {"slack"}, "plan": {form.Get("plan")}, "token": {"another form"}})
	memWantCode(t, "applied elsewhere", w.Code, http.StatusOK)
	mustContain(t, w, "Nothing to change: the members match the Slack directory.")
	if len(syncAudit(e)) != 1 {
		t.Errorf("audit %+v, want one record", syncAudit(e))
	}
}

// Only an admin applies a sync, from the console's own pages, with the
// whole form; a platform's failure writes nothing.
func TestMembersSyncApplyRefused(t *testing.T) {
	e, _ := newSyncEnv(t)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	form := syncForm(t, b.get("/admin/members/sync?from=slack").Body.String())
	before := fmt.Sprint(e.st.Members())
	unchanged := func(what string) {
		t.Helper()
		if got := fmt.Sprint(e.st.Members()); got != before || len(syncAudit(e)) != 0 {
			t.Fatalf("%s: written:\n%s\naudit %+v", what, got, syncAudit(e))
		}
	}

	// From another site.
	r := httptest.NewRequest("POST", "/admin/members/sync", strings.NewReader(form.Encode()))
	r.Host = "jifen.example.com"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example.net")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(w, r)
	memWantCode(t, "cross-origin", w.Code, http.StatusForbidden)
	unchanged("cross-origin")

	for _, bad := range []url.Values{
		{"from": {"slack"}, "plan": {form.Get("plan")}},
		{"from": {"slack"}, "token": {form.Get("token")}},
		{"from": {"ldap"}, "plan": {form.Get("plan")}, "token": {form.Get("token")}},
		{"from": {"slack"}, "plan": {form.Get("plan")}, "token": {strings.Repeat("x", 101)}},
	} {
		w := b.post("/admin/members/sync", bad)
		memWantCode(t, bad.Encode(), w.Code, http.StatusBadRequest)
		unchanged(bad.Encode())
	}

	for _, who := range []string{"mgr", "emp"} {
		b.signIn(e.s, who)
		w := b.post("/admin/members/sync", form)
		memWantCode(t, who, w.Code, http.StatusForbidden)
		unchanged(who)
	}
	signedOut := e.browser(t)
	w = signedOut.post("/admin/members/sync", form)
	memWantCode(t, "signed out", w.Code, http.StatusForbidden)
	unchanged("signed out")

	fake := &syncFake{err: errors.New("feishu: tenant_access_token: 99991663")}
	e2 := newMemberEnv(t, nil, nil, fake.Plan)
	b2 := e2.browser(t)
	b2.signIn(e2.s, "hr")
	w = b2.post("/admin/members/sync", form)
	memWantCode(t, "platform error", w.Code, http.StatusBadGateway)
	if n := len(e2.st.AuditLog(store.AuditFilter{Action: "members.sync"})); n != 0 {
		t.Errorf("%d audit records after a failure", n)
	}
}
