package storetest

import (
	"cmp"
	"errors"
	"reflect"
	"slices"
	"testing"

	"jifen"
	"jifen/store"
)

func byID(ms []jifen.Member) []jifen.Member {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b jifen.Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func ids(ms []jifen.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// Members are kept as they are put, and found by id, platform ids, email
// (case-insensitively) and name (case-insensitively).
func testMembers(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	wang := jifen.Member{ID: "wang", Name: "王芳", Email: "Wang.Fang@Example.com", SlackID: "U01WANG", FeishuOpenID: "ou_wang",
		Department: "销售部", Level: "基层", Role: jifen.RoleEmployee, Joined: date(2025, 3, 1), Birthday: "03-01"}
	alice := jifen.Member{ID: "alice", Name: "Alice", Department: "研发部", Role: jifen.RoleManager}
	alice2 := jifen.Member{ID: "alice2", Name: "alice", Department: "研发部", Role: jifen.RoleEmployee, Left: date(2026, 10, 31), LeftFrom: "feishu"}
	bot := jifen.Member{ID: "bot", Name: "积分机器人", Role: jifen.RoleEmployee, Bot: true, SlackID: "B01"}
	e.put(wang, alice, alice2, bot)
	e.read(func(r store.Reader) {
		if got := r.Members(); !reflect.DeepEqual(got, byID([]jifen.Member{wang, alice, alice2, bot})) {
			t.Errorf("Members() = %+v", got)
		}
		for _, c := range []struct {
			name string
			get  func() (jifen.Member, bool)
			want *jifen.Member
		}{
			{"by id", func() (jifen.Member, bool) { return r.Member("wang") }, &wang},
			{"by unknown id", func() (jifen.Member, bool) { return r.Member("nobody") }, nil},
			{"by Slack id", func() (jifen.Member, bool) { return r.MemberBySlackID("U01WANG") }, &wang},
			{"a bot by Slack id", func() (jifen.Member, bool) { return r.MemberBySlackID("B01") }, &bot},
			{"by unknown Slack id", func() (jifen.Member, bool) { return r.MemberBySlackID("U404") }, nil},
			{"by empty Slack id", func() (jifen.Member, bool) { return r.MemberBySlackID("") }, nil},
			{"by open_id", func() (jifen.Member, bool) { return r.MemberByFeishuOpenID("ou_wang") }, &wang},
			{"by empty open_id", func() (jifen.Member, bool) { return r.MemberByFeishuOpenID("") }, nil},
			{"by email", func() (jifen.Member, bool) { return r.MemberByEmail("Wang.Fang@Example.com") }, &wang},
			{"by email in other case and spaces", func() (jifen.Member, bool) { return r.MemberByEmail(" wang.fang@EXAMPLE.COM ") }, &wang},
			{"by empty email", func() (jifen.Member, bool) { return r.MemberByEmail("") }, nil},
			{"by unknown email", func() (jifen.Member, bool) { return r.MemberByEmail("li@example.com") }, nil},
		} {
			got, ok := c.get()
			switch {
			case c.want == nil && ok:
				t.Errorf("%s: found %+v", c.name, got)
			case c.want != nil && (!ok || !reflect.DeepEqual(got, *c.want)):
				t.Errorf("%s: %+v %v, want %+v", c.name, got, ok, *c.want)
			}
		}
		if got := byID(r.MembersByName("ALICE")); !reflect.DeepEqual(got, []jifen.Member{alice, alice2}) {
			t.Errorf("MembersByName(ALICE) = %+v, want both Alices", got)
		}
		if got := r.MembersByName("王芳"); !reflect.DeepEqual(got, []jifen.Member{wang}) {
			t.Errorf("MembersByName(王芳) = %+v", got)
		}
		if got := r.MembersByName("王"); len(got) != 0 {
			t.Errorf("MembersByName(王) = %+v: names match whole", got)
		}
	})
	// A write finds members by name too (an import names them so).
	e.write(func(tx store.Txn) error {
		if got := byID(tx.MembersByName("ALICE")); !reflect.DeepEqual(got, []jifen.Member{alice, alice2}) {
			t.Errorf("Txn.MembersByName(ALICE) = %+v, want both Alices", got)
		}
		if got := tx.MembersByName("王"); len(got) != 0 {
			t.Errorf("Txn.MembersByName(王) = %+v: names match whole", got)
		}
		return nil
	})
	// Replaced: the old platform ids and email lead nowhere.
	moved := wang
	moved.SlackID, moved.Email, moved.Name, moved.Department = "U02WANG", "fang@example.com", "王芳芳", "客服部"
	e.put(moved)
	e.read(func(r store.Reader) {
		if _, ok := r.MemberBySlackID("U01WANG"); ok {
			t.Error("the old Slack id still finds the member")
		}
		if _, ok := r.MemberByEmail("wang.fang@example.com"); ok {
			t.Error("the old email still finds the member")
		}
		if len(r.MembersByName("王芳")) != 0 {
			t.Error("the old name still finds the member")
		}
		if got, ok := r.MemberBySlackID("U02WANG"); !ok || !reflect.DeepEqual(got, moved) {
			t.Errorf("by the new Slack id: %+v %v", got, ok)
		}
		if got, _ := r.MemberByFeishuOpenID("ou_wang"); !reflect.DeepEqual(got, moved) {
			t.Errorf("by the kept open_id: %+v", got)
		}
		if len(r.Members()) != 4 {
			t.Errorf("%d members after a replace, want 4", len(r.Members()))
		}
	})
	// A write reads the members it puts.
	e.write(func(tx store.Txn) error {
		li := jifen.Member{ID: "li", Name: "李雷", Role: jifen.RoleEmployee}
		if err := tx.PutMember(li); err != nil {
			return err
		}
		if got, ok := tx.Member("li"); !ok || !reflect.DeepEqual(got, li) {
			t.Errorf("Txn.Member after PutMember: %+v %v", got, ok)
		}
		if _, ok := tx.Member("nobody"); ok {
			t.Error("Txn.Member of an unknown id")
		}
		return nil
	})
	// A member without an id is refused, and the members put with it too.
	if err := e.st.PutMembers(e.ctx, []jifen.Member{{ID: "x1", Name: "甲"}, {ID: "", Name: "无工号"}}); err == nil {
		t.Error("a member without an id was put")
	}
	e.read(func(r store.Reader) {
		if _, ok := r.Member("x1"); ok {
			t.Error("a refused PutMembers wrote a member")
		}
	})
}

// SyncMembers keeps what a platform taught the store where the config is
// silent, and keeps members the config no longer names.
func testMemberSync(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	cfg := []jifen.Member{
		{ID: "wang", Name: "王芳", Email: "wang@example.com", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "li", Name: "李雷", Department: "研发部", Role: jifen.RoleEmployee, Left: date(2026, 12, 31)},
	}
	if err := e.st.SyncMembers(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.LinkMember(e.ctx, "wang", jifen.Member{SlackID: "U01", FeishuOpenID: "ou_1"}); err != nil {
		t.Fatal(err)
	}
	// A platform sync: wang left (from Feishu); a member registered from
	// a platform.
	left := cfg[0]
	left.SlackID, left.FeishuOpenID, left.Left, left.LeftFrom = "U01", "ou_1", date(2026, 11, 30), "feishu"
	e.put(left, jifen.Member{ID: "slack-U09", Name: "新人", SlackID: "U09", Role: jifen.RoleEmployee})

	// The config again: renames wang, says nothing of the ids, the
	// department or a leaving date; no longer gives li's leaving date.
	cfg2 := []jifen.Member{
		{ID: "wang", Name: "王芳芳", Role: jifen.RoleManager},
		{ID: "li", Name: "李雷", Department: "研发部", Role: jifen.RoleEmployee},
	}
	if err := e.st.SyncMembers(e.ctx, cfg2); err != nil {
		t.Fatal(err)
	}
	e.read(func(r store.Reader) {
		want := jifen.Member{ID: "wang", Name: "王芳芳", Email: "wang@example.com", SlackID: "U01", FeishuOpenID: "ou_1",
			Department: "销售部", Role: jifen.RoleManager, Left: date(2026, 11, 30), LeftFrom: "feishu"}
		if got, _ := r.Member("wang"); !reflect.DeepEqual(got, want) {
			t.Errorf("after sync: %+v,\nwant %+v", got, want)
		}
		if got, _ := r.Member("li"); !got.Left.IsZero() {
			t.Errorf("a leaving date the config dropped is kept: %+v", got)
		}
		if _, ok := r.Member("slack-U09"); !ok {
			t.Error("a member the config does not name was removed")
		}
		if got := ids(r.Members()); !slices.Equal(got, []string{"li", "slack-U09", "wang"}) {
			t.Errorf("members %v", got)
		}
	})
}

// LinkMember gives a member a platform id once and never shares one;
// TryLinkMember says so without an error.
func testMemberLink(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	e.put(jifen.Member{ID: "wang", Name: "王芳", Email: "wang@example.com", Role: jifen.RoleEmployee},
		jifen.Member{ID: "li", Name: "李雷", SlackID: "U02", Role: jifen.RoleEmployee})
	got, err := e.st.LinkMember(e.ctx, "wang", jifen.Member{SlackID: "U01"})
	if err != nil || got.SlackID != "U01" || got.Name != "王芳" || got.Email != "wang@example.com" {
		t.Fatalf("link: %+v %v", got, err)
	}
	if got, err := e.st.LinkMember(e.ctx, "wang", jifen.Member{SlackID: "U01"}); err != nil || got.SlackID != "U01" {
		t.Fatalf("linking the same id again: %+v %v", got, err)
	}
	if got, err := e.st.LinkMember(e.ctx, "wang", jifen.Member{FeishuOpenID: "ou_1"}); err != nil || got.SlackID != "U01" || got.FeishuOpenID != "ou_1" {
		t.Fatalf("linking the other platform: %+v %v", got, err)
	}
	for name, c := range map[string]struct {
		id   string
		link jifen.Member
	}{
		"another Slack id":                  {"wang", jifen.Member{SlackID: "U03"}},
		"another member's Slack id":         {"wang", jifen.Member{SlackID: "U02"}},
		"an open_id another member has now": {"li", jifen.Member{FeishuOpenID: "ou_1"}},
	} {
		if _, err := e.st.LinkMember(e.ctx, c.id, c.link); !errors.Is(err, store.ErrPlatformIDTaken) {
			t.Errorf("%s: %v, want ErrPlatformIDTaken", name, err)
		}
		if linked, err := e.st.TryLinkMember(e.ctx, c.id, c.link); linked || err != nil {
			t.Errorf("TryLinkMember, %s: linked %v, %v; want false, nil", name, linked, err)
		}
	}
	if _, err := e.st.LinkMember(e.ctx, "nobody", jifen.Member{SlackID: "U09"}); err == nil || errors.Is(err, store.ErrPlatformIDTaken) {
		t.Errorf("linking an unknown member: %v", err)
	}
	if linked, err := e.st.TryLinkMember(e.ctx, "nobody", jifen.Member{SlackID: "U09"}); linked || err == nil {
		t.Errorf("TryLinkMember of an unknown member: %v %v", linked, err)
	}
	if linked, err := e.st.TryLinkMember(e.ctx, "li", jifen.Member{FeishuOpenID: "ou_2"}); !linked || err != nil {
		t.Errorf("TryLinkMember of a free id: %v %v", linked, err)
	}
	e.read(func(r store.Reader) {
		if m, _ := r.MemberBySlackID("U01"); m.ID != "wang" {
			t.Errorf("U01 is %q", m.ID)
		}
		if m, _ := r.MemberBySlackID("U02"); m.ID != "li" || m.FeishuOpenID != "ou_2" {
			t.Errorf("U02 is %+v", m)
		}
		if m, _ := r.MemberByFeishuOpenID("ou_1"); m.ID != "wang" {
			t.Errorf("ou_1 is %q", m.ID)
		}
		if _, ok := r.MemberBySlackID("U03"); ok {
			t.Error("a refused link was written")
		}
	})
}

// RegisterNewMember picks the first free id and a name no one has, and
// returns the member who already has the platform id.
func testRegisterNewMember(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	e.put(jifen.Member{ID: "alice", Name: "Alice", Role: jifen.RoleEmployee})
	reg := func(open, name string, ids []string, suffix string) (jifen.Member, error) {
		return e.st.RegisterNewMember(e.ctx, jifen.Member{Name: name, FeishuOpenID: open, Department: "新部门", Role: jifen.RoleEmployee}, ids, suffix)
	}
	for _, c := range []struct {
		open, name string
		ids        []string
		suffix     string
		wantID     string
		wantName   string
	}{
		{"ou_1", "赵新", []string{"feishu-zhao", "feishu-ou_1"}, "e1", "feishu-zhao", "赵新"},
		{"ou_2", "赵新", []string{"feishu-zhao", "feishu-ou_2"}, "e2", "feishu-ou_2", "赵新-e2"},
		{"ou_3", "赵新", []string{"feishu-zhao", "", "feishu-ou_2", "feishu-ou_3"}, "e2", "feishu-ou_3", "赵新-feishu-ou_3"},
		{"ou_4", "alice", []string{"feishu-alice"}, "x", "feishu-alice", "alice-x"},
	} {
		got, err := reg(c.open, c.name, c.ids, c.suffix)
		want := jifen.Member{ID: c.wantID, Name: c.wantName, FeishuOpenID: c.open, Department: "新部门", Role: jifen.RoleEmployee}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("register %s as %s: %+v %v, want %+v", c.open, c.name, got, err, want)
		}
	}
	// The same open_id again: the member who has it, nothing written.
	var first jifen.Member
	e.read(func(r store.Reader) { first, _ = r.MemberByFeishuOpenID("ou_1") })
	if got, err := reg("ou_1", "别名", []string{"feishu-other"}, "y"); err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("registering ou_1 again: %+v %v, want %+v", got, err, first)
	}
	// A Slack user likewise.
	s1, err := e.st.RegisterNewMember(e.ctx, jifen.Member{Name: "Bob", SlackID: "U0B", Role: jifen.RoleEmployee}, []string{"slack-U0B"}, "s")
	if err != nil || s1.ID != "slack-U0B" {
		t.Errorf("register a Slack user: %+v %v", s1, err)
	}
	if again, err := e.st.RegisterNewMember(e.ctx, jifen.Member{Name: "Bob", SlackID: "U0B", Role: jifen.RoleEmployee}, []string{"slack-U0B-2"}, "s"); err != nil || again != s1 {
		t.Errorf("register the Slack user again: %+v %v", again, err)
	}
	// Refused: every id taken, no platform id, no name, a bad role.
	for name, c := range map[string]struct {
		m   jifen.Member
		ids []string
	}{
		"every id taken": {jifen.Member{Name: "钱", FeishuOpenID: "ou_9", Role: jifen.RoleEmployee}, []string{"alice", "feishu-zhao"}},
		"no platform id": {jifen.Member{Name: "钱", Role: jifen.RoleEmployee}, []string{"qian"}},
		"no name":        {jifen.Member{FeishuOpenID: "ou_9", Role: jifen.RoleEmployee}, []string{"qian"}},
		"a bad role":     {jifen.Member{Name: "钱", FeishuOpenID: "ou_9", Role: "boss"}, []string{"qian"}},
		"no ids":         {jifen.Member{Name: "钱", FeishuOpenID: "ou_9", Role: jifen.RoleEmployee}, nil},
	} {
		if got, err := e.st.RegisterNewMember(e.ctx, c.m, c.ids, "z"); err == nil {
			t.Errorf("%s: registered %+v", name, got)
		}
	}
	e.read(func(r store.Reader) {
		if got := ids(r.Members()); !slices.Equal(got, []string{"alice", "feishu-alice", "feishu-ou_2", "feishu-ou_3", "feishu-zhao", "slack-U0B"}) {
			t.Errorf("members %v", got)
		}
	})
}

// DepartmentSize counts who works here today; Departments counts the
// directory's people (no bots) per department.
func testDepartments(t *testing.T, open Opener) {
	// 10:00 on 10 November in Shanghai.
	e := newEnv(t, open, utc(2026, 11, 10, 2, 0, 0))
	emp := func(id, dept string) jifen.Member {
		return jifen.Member{ID: id, Name: id, Department: dept, Role: jifen.RoleEmployee}
	}
	a2, a3, a4, a5, a6 := emp("a2", "A"), emp("a3", "A"), emp("a4", "A"), emp("a5", "A"), emp("a6", "A")
	a2.Left = date(2026, 11, 9)    // left yesterday
	a3.Joined = date(2026, 11, 12) // joins the day after tomorrow
	a4.Bot = true
	a5.Left = date(2026, 11, 10) // leaves today
	a6.Joined = date(2026, 11, 12)
	b1 := emp("b1", "B")
	b1.Bot = true
	e.put(emp("a1", "A"), a2, a3, a4, a5, a6, b1, emp("c1", "C"))
	e.read(func(r store.Reader) {
		if got := r.Departments(); !reflect.DeepEqual(got, map[string]int{"A": 5, "C": 1}) {
			t.Errorf("Departments() = %v, want A 5, C 1 (no bots; a department of bots only is none)", got)
		}
		for dept, want := range map[string]int{"A": 2, "B": 0, "C": 1, "Z": 0} {
			if got := r.DepartmentSize(dept); got != want {
				t.Errorf("DepartmentSize(%s) on the 10th = %d, want %d", dept, got, want)
			}
		}
	})
	// A write sizes an allowance by the same count.
	e.write(func(tx store.Txn) error {
		for dept, want := range map[string]int{"A": 2, "B": 0, "C": 1, "Z": 0} {
			if got := tx.DepartmentSize(dept); got != want {
				t.Errorf("in a write, DepartmentSize(%s) on the 10th = %d, want %d", dept, got, want)
			}
		}
		return nil
	})
	// Midnight of the 12th in Shanghai: a3 and a6 start, a5 is gone.
	e.clock.Set(utc(2026, 11, 11, 16, 0, 0))
	e.read(func(r store.Reader) {
		if got := r.DepartmentSize("A"); got != 3 {
			t.Errorf("DepartmentSize(A) on the 12th = %d, want 3", got)
		}
	})
	e.put(emp("a1", "C"))
	e.read(func(r store.Reader) {
		if a, c := r.DepartmentSize("A"), r.DepartmentSize("C"); a != 2 || c != 2 {
			t.Errorf("after a move: A %d, C %d; want 2 and 2", a, c)
		}
		if got := r.Departments(); !reflect.DeepEqual(got, map[string]int{"A": 4, "C": 2}) {
			t.Errorf("Departments() after a move = %v", got)
		}
	})
}
