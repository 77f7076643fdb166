package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"jifen"
	"jifen/store"
)

// fakeUser is a user of the fake Feishu contact tree.
type fakeUser struct {
	OpenID, Name, Email, EmployeeNo, Dept string
	Resigned, Frozen                      bool
}

// fakeContact serves a Feishu tenant's contact tree the way the Open API
// pages it (50 a page, by page_token): departments under the root with
// their leaders, users by department, and batch_get_id by email.
type fakeContact struct {
	depts   []string          // open_department_ids, the root's descendants
	names   map[string]string // department id → name
	leaders map[string]string // department id → leader open_id
	users   []fakeUser
	extra   []fakeUser // found only by batch_get_id (outside the tree)
	calls   atomic.Int64
}

func (f *fakeContact) serve(t *testing.T) *httptest.Server {
	page := func(r *http.Request, n int) (from, to int, more bool, next string) {
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		if size <= 0 || size > 50 {
			t.Errorf("page_size %q", r.URL.Query().Get("page_size"))
			size = 50
		}
		from, _ = strconv.Atoi(r.URL.Query().Get("page_token"))
		to = min(from+size, n)
		return from, to, to < n, strconv.Itoa(to)
	}
	user := func(u fakeUser) map[string]any {
		return map[string]any{"open_id": u.OpenID, "name": u.Name, "email": u.Email, "employee_no": u.EmployeeNo,
			"department_ids": []string{u.Dept}, "status": map[string]bool{"is_resigned": u.Resigned, "is_frozen": u.Frozen, "is_activated": true}}
	}
	answer := func(w http.ResponseWriter, data any) {
		raw, _ := json.Marshal(map[string]any{"code": 0, "msg": "success", "data": data})
		w.Write(raw)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-fake","expire":7200}`)
	})
	mux.HandleFunc("GET /open-apis/contact/v3/departments/0/children", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.URL.Query().Get("fetch_child") != "true" || r.URL.Query().Get("user_id_type") != "open_id" {
			t.Errorf("children: %s", r.URL.RawQuery)
		}
		from, to, more, next := page(r, len(f.depts))
		var items []map[string]any
		for _, id := range f.depts[from:to] {
			items = append(items, map[string]any{"open_department_id": id, "name": f.names[id], "leader_user_id": f.leaders[id],
				"leaders": []map[string]any{{"leaderType": 1, "leaderID": f.leaders[id]}}})
		}
		answer(w, map[string]any{"has_more": more, "page_token": next, "items": items})
	})
	mux.HandleFunc("GET /open-apis/contact/v3/users/find_by_department", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		var in []fakeUser
		for _, u := range f.users {
			if u.Dept == r.URL.Query().Get("department_id") {
				in = append(in, u)
			}
		}
		from, to, more, next := page(r, len(in))
		var items []map[string]any
		for _, u := range in[from:to] {
			items = append(items, user(u))
		}
		answer(w, map[string]any{"has_more": more, "page_token": next, "items": items})
	})
	mux.HandleFunc("POST /open-apis/contact/v3/users/batch_get_id", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		var body struct {
			Emails          []string `json:"emails"`
			IncludeResigned bool     `json:"include_resigned"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if len(body.Emails) > 50 || !body.IncludeResigned || r.URL.Query().Get("user_id_type") != "open_id" {
			t.Errorf("batch_get_id: %d emails, %s", len(body.Emails), r.URL.RawQuery)
		}
		var list []map[string]any
		for _, e := range body.Emails {
			item := map[string]any{"email": e}
			for _, u := range append(slices.Clone(f.users), f.extra...) {
				if strings.EqualFold(u.Email, e) {
					item["user_id"] = u.OpenID
					item["status"] = map[string]bool{"is_resigned": u.Resigned, "is_frozen": u.Frozen}
				}
			}
			list = append(list, item)
		}
		answer(w, map[string]any{"user_list": list})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake contact: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// bigTenant is a tenant of 2,050 generated people in ten departments,
// each led by one of them, four of them frozen, one named like a member;
// and members of the example config: 刘洋 found by email, 徐明 and 周杰 by
// 工号 (周杰 leads a department while the config makes him an employee;
// 徐明's department differs from the config's), 王芳 resigned, and 孙丽
// outside the contact range, found by batch_get_id.
func bigTenant() *fakeContact {
	f := &fakeContact{names: map[string]string{}, leaders: map[string]string{}}
	for d := range 10 {
		id := fmt.Sprintf("od-%02d", d)
		f.depts = append(f.depts, id)
		f.names[id] = fmt.Sprintf("部门%02d", d)
		f.leaders[id] = fmt.Sprintf("ou_gen%04d", d)
	}
	for i := range 2050 {
		u := fakeUser{OpenID: fmt.Sprintf("ou_gen%04d", i), Name: fmt.Sprintf("员工%04d", i), Email: fmt.Sprintf("e%04d@example.com", i),
			EmployeeNo: fmt.Sprintf("E%04d", i), Dept: f.depts[i%10], Frozen: i%500 == 499}
		if i == 2048 {
			u.Name = "孙丽"
		}
		f.users = append(f.users, u)
	}
	f.leaders["od-09"] = "ou_zhoujie"
	f.users = append(f.users,
		fakeUser{OpenID: "ou_liuyang", Name: "刘洋", Email: "liuyang@example.com", Dept: "od-01"},
		fakeUser{OpenID: "ou_xuming", Name: "徐明", EmployeeNo: "xuming", Dept: "od-02"},
		fakeUser{OpenID: "ou_zhoujie", Name: "周杰", EmployeeNo: "zhoujie", Dept: "od-09"},
		fakeUser{OpenID: "ou_5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", Name: "王芳", Dept: "od-03", Resigned: true})
	f.extra = []fakeUser{{OpenID: "ou_sunli", Email: "sunli@example.com"}}
	return f
}

// Issue 18, item 2: jifen members sync --from feishu on a paged directory
// of more than 2,000 people: the dry run prints the plan and writes
// nothing, the run applies it, and a second run changes nothing.
func TestMembersSyncFromFeishu(t *testing.T) {
	fake := bigTenant()
	srv := fake.serve(t)
	dir := t.TempDir()
	path := exampleConfig(t, dir, "feishu:\n  enabled: false", "feishu:\n  enabled: true",
		"base_url: https://open.feishu.cn", "base_url: "+srv.URL,
		"    name: 孙丽\n", "    name: 孙丽\n    email: SunLi@Example.com\n",
		"    name: 刘洋\n", "    name: 刘洋\n    email: LiuYang@example.com\n")
	t.Setenv("FEISHU_APP_ID", "cli_sync")
	t.Setenv("FEISHU_APP_SECRET", "sync-fake-app-secret")
	t.Setenv("FEISHU_VERIFICATION_TOKEN", "sync-token")
	t.Setenv("FEISHU_ENCRYPT_KEY", "")

	members := func() []jifen.Member {
		t.Helper()
		st, err := store.Open(dir+"/jifen.db", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return st.Members()
	}
	// The store as the config makes it.
	if _, errOut, code := run(t, "", "verify", "--config", path); code != 0 {
		t.Fatal(errOut)
	}
	before := members()

	out, errOut, code := run(t, "", "members", "sync", "--from", "feishu", "--dry-run", "--config", path)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"+ 新成员 E0000 员工0000，部门 部门00，角色 经理",
		"+ 新成员 E0010 员工0010，部门 部门00，角色 员工",
		"+ 新成员 E2048 孙丽-2048",
		"~ liuyang 刘洋：按邮箱关联到 ou_liuyang",
		"~ sunli 孙丽：按邮箱关联到 ou_sunli",
		"~ xuming 徐明：按工号关联到 ou_xuming",
		"- wangfang 王芳：已在平台停用或离职，离职日期记为 2026-11-10",
		"! xuming 徐明：平台上的部门是 部门02，配置里是 研发部，以配置为准",
		"! zhoujie 周杰：是部门09的负责人，配置里的角色是员工，以配置为准",
		"跳过 0 个机器人、4 个已停用且不在成员中的账号。",
		"新成员 2046，关联 4，",
		"试运行：将写入 2051 名成员，本次未写入任何内容。",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out[max(0, len(out)-1500):])
		t.FailNow()
	}
	if after := members(); !slices.EqualFunc(before, after, func(a, b jifen.Member) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Fatalf("the dry run wrote: %d members before, %d after", len(before), len(after))
	}

	out, errOut, code = run(t, "", "members", "sync", "--from", "feishu", "--config", path)
	if code != 0 || !strings.Contains(out, "已写入 2051 名成员。") {
		t.Fatalf("run: exit %d: %s\n%s", code, errOut, out[max(0, len(out)-500):])
	}
	after := members()
	if len(after) != len(before)+2046 {
		t.Fatalf("members %d → %d", len(before), len(after))
	}
	byID := map[string]jifen.Member{}
	for _, m := range after {
		byID[m.ID] = m
	}
	for id, want := range map[string]string{
		"E0003":     "E0003 员工0003 部门03 manager ou_gen0003 e0003@example.com",
		"E0013":     "E0013 员工0013 部门03 employee ou_gen0013 e0013@example.com",
		"liuyang":   "liuyang 刘洋 销售部 employee ou_liuyang LiuYang@example.com",
		"sunli":     "sunli 孙丽 人力资源部 employee ou_sunli SunLi@Example.com",
		"zhoujie":   "zhoujie 周杰 销售部 employee ou_zhoujie ",
		"zhaoqiang": "zhaoqiang 赵强 总经办 admin ou_7d8a6e1f2c3b4a5d6e7f8a9b0c1d2e3f ",
	} {
		m := byID[id]
		if got := strings.Join([]string{m.ID, m.Name, m.Department, string(m.Role), m.FeishuOpenID, m.Email}, " "); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if m := byID["wangfang"]; m.Left.Format(time.DateOnly) != "2026-11-10" {
		t.Errorf("wangfang left %v", m.Left)
	}
	if _, ok := byID["E0499"]; ok {
		t.Error("a frozen person jifen never knew was added")
	}

	// Nothing left to do, also after the config's members were synced
	// again at the start (the learned ids and the leaving date stay).
	calls := fake.calls.Load()
	out, errOut, code = run(t, "", "members", "sync", "--from", "feishu", "--config", path)
	if code != 0 || !strings.Contains(out, "没有需要改动的内容：成员已与飞书通讯录一致。") || strings.Contains(out, "+ ") || strings.Contains(out, "~ ") {
		t.Fatalf("second run: exit %d: %s\n%s", code, errOut, out)
	}
	if n := fake.calls.Load() - calls; n < 2050/50 {
		t.Errorf("second run made %d calls: the directory was not read whole", n)
	}
	if again := members(); len(again) != len(after) {
		t.Fatalf("second run: %d members, then %d", len(after), len(again))
	}
	if _, errOut, code := run(t, "", "verify", "--config", path); code != 0 {
		t.Fatal(errOut)
	}
}

// Bad input to members sync is refused before anything is read or written.
func TestMembersSyncRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	path := exampleConfig(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"members", "sync", "--config", path}, `--from "": want slack or feishu`},
		{[]string{"members", "sync", "--from", "teams", "--config", path}, `--from "teams": want slack or feishu`},
		{[]string{"members", "list", "--config", path}, "want: sync --from slack|feishu"},
		{[]string{"members", "sync", "--from", "slack", "--config", path}, "slack is not enabled in the config"},
	} {
		_, errOut, code := run(t, "", tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// Issue 18, item 2: jifen members sync --from slack reads users.list page
// by page (by cursor, waiting out a rate limit), links 孙丽 by email,
// marks a deleted member as left, and skips bots, guests and deleted
// people jifen never knew; a second run changes nothing.
func TestMembersSyncFromSlack(t *testing.T) {
	var pages, limited atomic.Int64
	users := []string{
		`{"id":"U0SUNLI","team_id":"T024BE7LD","name":"sunli","profile":{"display_name":"孙丽","email":"sunli@EXAMPLE.com"}}`,
		`{"id":"U0123ABCD","team_id":"T024BE7LD","name":"zhangwei","deleted":true,"profile":{"display_name":"张伟"}}`,
		`{"id":"B0BOT","team_id":"T024BE7LD","name":"robot","is_bot":true,"profile":{"display_name":"robot"}}`,
		`{"id":"USLACKBOT","team_id":"T024BE7LD","name":"slackbot","profile":{"display_name":"Slackbot"}}`,
		`{"id":"U0GUEST","team_id":"T024BE7LD","name":"guest","is_restricted":true,"profile":{"display_name":"访客"}}`,
		`{"id":"U0GONE","team_id":"T024BE7LD","name":"gone","deleted":true,"profile":{"display_name":"早走了"}}`,
	}
	for i := range 444 {
		users = append(users, fmt.Sprintf(`{"id":"U1%05d","team_id":"T024BE7LD","name":"p%d","profile":{"real_name":"同事%03d","email":"p%d@example.com"}}`, i, i, i, i))
	}
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/users.list", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			if r.FormValue("cursor") == "200" && limited.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			pages.Add(1)
			from, _ := strconv.Atoi(r.FormValue("cursor"))
			limit, _ := strconv.Atoi(r.FormValue("limit"))
			to := min(from+limit, len(users))
			next := ""
			if to < len(users) {
				next = strconv.Itoa(to)
			}
			fmt.Fprintf(w, `{"ok":true,"members":[%s],"response_metadata":{"next_cursor":%q}}`, strings.Join(users[from:to], ","), next)
		})
	})
	fake.Start()
	defer fake.Stop()
	path := exampleConfig(t, t.TempDir(), "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL(),
		"    name: 孙丽\n", "    name: 孙丽\n    email: SunLi@Example.com\n",
		"schedules:\n", "schedules:\n  - name: directory_sync\n    job: sync\n    from: slack\n    cron: \"0 6 * * *\"\n")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake-token")
	t.Setenv("SLACK_SIGNING_SECRET", "sync-fake-secret")

	// The scheduled sync's dry run prints the plan and writes nothing.
	out, errOut, code := run(t, "", "schedule", "run", "directory_sync", "--dry-run", "--config", path)
	if code != 0 || !strings.Contains(out, "~ sunli 孙丽：按邮箱关联到 U0SUNLI") || !strings.Contains(out, "试运行：将写入 446 名成员") {
		t.Fatalf("schedule dry run: exit %d: %s\n%s", code, errOut, out[max(0, len(out)-500):])
	}
	pages.Store(0)
	limited.Store(0)

	out, errOut, code = run(t, "", "members", "sync", "--from", "slack", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"~ sunli 孙丽：按邮箱关联到 U0SUNLI",
		"- zhangwei 张伟：已在平台停用或离职，离职日期记为 2026-11-10",
		"+ 新成员 slack-u100000 同事000，部门 （无部门），角色 员工（U100000）",
		"跳过 2 个机器人、1 个已停用且不在成员中的账号。",
		"新成员 444，关联 1，邮箱 0，部门 0，经理 0，离职 1。",
		"已写入 446 名成员。",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run lacks %q", want)
		}
	}
	if strings.Contains(out, "访客") || strings.Contains(out, "早走了") {
		t.Error("a guest or a deleted stranger was added")
	}
	if n := pages.Load(); n != 3 || limited.Load() != 2 {
		t.Errorf("%d pages, %d calls of the limited page", n, limited.Load())
	}
	if t.Failed() {
		t.Log(out[max(0, len(out)-800):])
	}
	out, errOut, code = run(t, "", "members", "sync", "--from", "slack", "--dry-run", "--config", path)
	if code != 0 || !strings.Contains(out, "没有需要改动的内容：成员已与Slack通讯录一致。") {
		t.Fatalf("second run: exit %d: %s\n%s", code, errOut, out)
	}
}
