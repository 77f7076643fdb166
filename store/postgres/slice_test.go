package postgres

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"jifen"
	"jifen/store"
)

func TestMembers(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	joined := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	wang := jifen.Member{ID: "E001", Name: "王芳", Email: "Wang.Fang@example.com", SlackID: "U01", FeishuOpenID: "ou_1",
		Department: "研发", Level: "基层", Role: jifen.RoleEmployee, Joined: joined, Birthday: "03-14"}
	li := jifen.Member{ID: "E002", Name: "李雷", Role: jifen.RoleManager, Department: "研发"}
	li2 := jifen.Member{ID: "E003", Name: "李雷", Role: jifen.RoleAdmin, Bot: true}
	if err := s.PutMembers(ctx, []jifen.Member{wang, li, li2}); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]func() (jifen.Member, bool){
		"id":     func() (jifen.Member, bool) { return s.Member("E001") },
		"slack":  func() (jifen.Member, bool) { return s.MemberBySlackID("U01") },
		"feishu": func() (jifen.Member, bool) { return s.MemberByFeishuOpenID("ou_1") },
		"email":  func() (jifen.Member, bool) { return s.MemberByEmail(" wang.fang@EXAMPLE.com") },
	} {
		if m, ok := got(); !ok || !reflect.DeepEqual(m, wang) {
			t.Errorf("by %s: %+v %v, want %+v", name, m, ok, wang)
		}
	}
	for _, miss := range []func() (jifen.Member, bool){
		func() (jifen.Member, bool) { return s.Member("E999") },
		func() (jifen.Member, bool) { return s.MemberBySlackID("") },
		func() (jifen.Member, bool) { return s.MemberByFeishuOpenID("") },
		func() (jifen.Member, bool) { return s.MemberByEmail("") },
	} {
		if m, ok := miss(); ok {
			t.Errorf("found %+v", m)
		}
	}
	if got := s.MembersByName("李雷"); len(got) != 2 || got[0].ID != "E002" || !got[1].Bot {
		t.Errorf("by name: %+v", got)
	}
	if got := s.Members(); len(got) != 3 || got[0].ID != "E001" || got[2].ID != "E003" {
		t.Errorf("members: %+v", got)
	}

	// A platform id belongs to one member: a write giving it to a second
	// one writes nothing.
	li.SlackID = "U01"
	li.Level = "中层"
	if err := s.PutMembers(ctx, []jifen.Member{li}); err == nil {
		t.Fatal("two members with one Slack id")
	}
	if m, _ := s.Member("E002"); m.Level != "" {
		t.Fatal("the refused write changed the member")
	}
	// Moving it from one member to another in one transaction is fine.
	wang.SlackID = ""
	if err := s.PutMembers(ctx, []jifen.Member{li, wang}); err != nil {
		t.Fatalf("moving a Slack id: %v", err)
	}
	if m, _ := s.MemberBySlackID("U01"); m.ID != "E002" {
		t.Fatalf("U01 is %s's", m.ID)
	}
	// An impossible role is refused by the database.
	if err := s.PutMembers(ctx, []jifen.Member{{ID: "E9", Name: "x", Role: "boss"}}); err == nil {
		t.Fatal("a member with role boss was written")
	}
}

func TestSyncMembersKeepsWhatAPlatformLearned(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	left := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	if err := s.PutMembers(ctx, []jifen.Member{
		{ID: "E1", Name: "王芳", Role: jifen.RoleEmployee, SlackID: "U1", Department: "销售", Left: left, LeftFrom: "feishu"},
		{ID: "P1", Name: "platform user", Role: jifen.RoleEmployee, FeishuOpenID: "ou_9"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncMembers(ctx, []jifen.Member{
		{ID: "E1", Name: "王芳", Role: jifen.RoleManager},
		{ID: "E2", Name: "李雷", Role: jifen.RoleEmployee},
	}); err != nil {
		t.Fatal(err)
	}
	want := jifen.Member{ID: "E1", Name: "王芳", Role: jifen.RoleManager, SlackID: "U1", Department: "销售", Left: left, LeftFrom: "feishu"}
	if m, _ := s.Member("E1"); !reflect.DeepEqual(m, want) {
		t.Errorf("synced %+v, want %+v", m, want)
	}
	if _, ok := s.Member("P1"); !ok {
		t.Error("a member absent from the config was removed")
	}
	if len(s.Members()) != 3 {
		t.Errorf("%d members, want 3", len(s.Members()))
	}
}

func TestClaimRunAndFirstSeen(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	fire := time.Date(2026, 11, 20, 1, 0, 0, 123456789, time.UTC)
	if !s.LastRun("digest").IsZero() {
		t.Fatal("a run before any claim")
	}
	if ok, err := s.ClaimRun(ctx, "digest", fire); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, _ := s.ClaimRun(ctx, "digest", fire); ok {
		t.Fatal("the same fire claimed twice")
	}
	if ok, _ := s.ClaimRun(ctx, "digest", fire.Add(-time.Hour)); ok {
		t.Fatal("an earlier fire claimed after a later one")
	}
	if got, want := s.LastRun("digest"), fire.Truncate(time.Millisecond); !got.Equal(want) {
		t.Fatalf("last run %v, want %v", got, want)
	}
	// Inside a write, the claim and the job's writes commit together, or
	// neither does.
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if ok, err := tx.ClaimRun("digest", fire.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("claim in a write: %v %v", ok, err)
		}
		return nil, errCap
	})
	if err != errCap || !s.LastRun("digest").Equal(fire.Truncate(time.Millisecond)) {
		t.Fatalf("a failed job's claim was kept: %v %v", err, s.LastRun("digest"))
	}

	seen := s.FirstSeen("digest", testNow)
	if !seen.Equal(testNow) {
		t.Fatalf("first seen %v, want %v", seen, testNow)
	}
	// Another replica asks later: the first record stands.
	if got := openAt(t, url).FirstSeen("digest", testNow.Add(time.Hour)); !got.Equal(testNow) {
		t.Fatalf("first seen again %v, want %v", got, testNow)
	}
	if !s.LastRun("digest").Equal(fire.Truncate(time.Millisecond)) {
		t.Fatal("FirstSeen changed the last run")
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	for _, r := range []store.AuditRecord{
		{Actor: "A1", Action: "sign_in", Via: "slack"},
		{Actor: "A1", Action: "import.ratings", Object: "ratings 2026-10"},
		{Actor: "A2", Action: "import", Object: "members.csv"},
		{Actor: "A2", Action: "imports.x"},
		{Actor: "", Action: "sign_in", Outcome: "refused", Via: "feishu"},
	} {
		if err := s.Audit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	all := s.AuditLog(store.AuditFilter{})
	if len(all) != 5 || all[0].ID != 5 || all[4].ID != 1 || all[4].Outcome != "ok" || all[0].Outcome != "refused" || !all[0].At.Equal(testNow) {
		t.Fatalf("log: %+v", all)
	}
	ids := func(rs []store.AuditRecord) (out []uint64) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    store.AuditFilter
		want []uint64
	}{
		"actor":  {store.AuditFilter{Actor: "A1"}, []uint64{2, 1}},
		"prefix": {store.AuditFilter{Action: "import"}, []uint64{3, 2}},
		"before": {store.AuditFilter{Before: 3, Limit: 1}, []uint64{2}},
		"since":  {store.AuditFilter{Since: testNow.Add(time.Second)}, nil},
		"until":  {store.AuditFilter{Until: testNow.Add(time.Second), Limit: 2}, []uint64{5, 4}},
	} {
		if got := ids(s.AuditLog(c.f)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	if err := s.Audit(ctx, store.AuditRecord{Actor: "A1", Action: "x", Outcome: "maybe"}); err == nil {
		t.Error("an outcome other than ok or refused was written")
	}
}

func TestAppendKeepsTheAggregates(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	week := jifen.PeriodOf(jifen.Week, testNow, shanghai)
	all := jifen.PeriodOf(jifen.AllTime, testNow, shanghai)
	write := func(e *jifen.Entry) (uint64, error) {
		var id uint64
		_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
			var err error
			id, err = tx.Append(e)
			return nil, err
		})
		return id, err
	}
	award, err := write(&jifen.Entry{Kind: jifen.KindAward, Giver: "M1", Receiver: "E1", Points: 20,
		Category: "teamwork", Behavior: "help", Reason: "搬家", RuleVersion: 3, Source: "slack"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := write(&jifen.Entry{Kind: jifen.KindDeduct, Giver: "M1", Receiver: "E1", Points: -5, Category: "discipline", Behavior: "迟到"}); err != nil {
		t.Fatal(err)
	}
	if _, err := write(&jifen.Entry{Kind: jifen.KindThanks, Giver: "E2", Receiver: "E1", Points: 2}); err != nil {
		t.Fatal(err)
	}
	mug, err := write(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: "E1", Points: -10, Behavior: "reward:mug", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Totals("E1", month), (store.Agg{Net: 17, Plus: 22, Minus: 5, Count: 3}); got != want {
		t.Errorf("month totals %+v, want %+v", got, want)
	}
	if got := s.Totals("E1", week).Net; got != 17 {
		t.Errorf("week %d, want 17", got)
	}
	if got := s.Spent("E1", all); got != 10 {
		t.Errorf("spent %d, want 10", got)
	}
	if got := s.Balance("E1"); got != 7 {
		t.Errorf("balance %d, want 7", got)
	}
	if got := s.GiverUsed("M1", "award", month); got != 20 {
		t.Errorf("M1 gave %d from awards, want 20", got)
	}
	if got := s.GiverUsed("E2", "thanks", month); got != 2 {
		t.Errorf("E2 thanked %d, want 2", got)
	}
	if got := s.Categories("E1", month); len(got) != 2 || got["teamwork"].Net != 20 || got["discipline"].Net != -5 {
		t.Errorf("categories %+v", got)
	}
	if got := s.StockUsed("mug"); got != 1 {
		t.Errorf("stock used %d, want 1", got)
	}
	e, rev, ok := s.Entry(award)
	want := jifen.Entry{ID: award, Kind: jifen.KindAward, At: testNow, Effective: testNow, Giver: "M1", Receiver: "E1", Points: 20,
		Category: "teamwork", Behavior: "help", Reason: "搬家", RuleVersion: 3, Source: "slack"}
	if !ok || rev != 0 || !reflect.DeepEqual(e, want) {
		t.Errorf("entry %+v %d %v, want %+v", e, rev, ok, want)
	}

	// A revoke takes the award out of every figure.
	revoke, err := write(&jifen.Entry{Kind: jifen.KindRevoke, Giver: "A1", Receiver: "ignored", Reverses: award, Reason: "错"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Totals("E1", month); got != (store.Agg{Net: -3, Plus: 2, Minus: 5, Count: 2}) {
		t.Errorf("after the revoke %+v", got)
	}
	if _, ok := s.Categories("E1", month)["teamwork"]; ok {
		t.Error("a revoked award left its category figure")
	}
	if got := s.GiverUsed("M1", "award", month); got != 0 {
		t.Errorf("M1 gave %d after the revoke", got)
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM aggregates WHERE kind = 'g' AND member = 'M1'"); n != 0 {
		t.Errorf("%d zero figures of M1 kept", n)
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM behavior_use WHERE behavior = 'help'"); n != 0 {
		t.Errorf("%d zero behavior figures kept", n)
	}
	if _, rev, _ := s.Entry(award); rev != revoke {
		t.Errorf("reversed by %d, want %d", rev, revoke)
	}
	if r, _, _ := s.Entry(revoke); r.Receiver != "E1" || r.Points != -20 || r.Category != "teamwork" {
		t.Errorf("revoke %+v", r)
	}
	// An imported redeem entry (no redemption) is reversed directly, and
	// gives its unit back.
	if _, err := write(&jifen.Entry{Kind: jifen.KindRevoke, Receiver: "E1", Reverses: mug}); err != nil {
		t.Fatal(err)
	}
	if s.StockUsed("mug") != 0 || s.Balance("E1") != -3 {
		t.Errorf("after the refund: stock %d, balance %d", s.StockUsed("mug"), s.Balance("E1"))
	}
	// Reversed at most once; a revoke is not reversed; an unknown entry is
	// not either.
	for _, id := range []uint64{award, revoke, 999} {
		if _, err := write(&jifen.Entry{Kind: jifen.KindRevoke, Receiver: "E1", Reverses: id}); err == nil {
			t.Errorf("revoke of %d accepted", id)
		}
	}
	// The database refuses what Append would never write.
	for name, q := range map[string]string{
		"effective after at": "INSERT INTO entries (kind, at, effective, receiver, points) VALUES ('award', now(), now() + interval '1 day', 'E1', 1)",
		"revoke of nothing":  "INSERT INTO entries (kind, at, effective, receiver, points) VALUES ('revoke', now(), now(), 'E1', 1)",
		"second revoke":      "INSERT INTO entries (kind, at, effective, receiver, points, reverses) SELECT 'revoke', now(), now(), 'E1', -20, " + itoa(award),
		"negative count":     "INSERT INTO aggregates (period, kind, member, net, plus, minus, count) VALUES ('all', 't', 'E9', -1, 0, 1, -1)",
	} {
		c := sqlConn(t, url)
		if _, err := c.Exec(ctx, q); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRecordingTimesOfAMemberNeverDecrease(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	past := testNow.AddDate(0, -2, 0)
	var ids []uint64
	for _, at := range []time.Time{testNow, past} {
		_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindImport, Receiver: "E1", Points: 1, At: at})
			ids = append(ids, id)
			return nil, err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	e, _, _ := s.Entry(ids[1])
	if !e.At.Equal(testNow) || !e.Effective.Equal(past) {
		t.Fatalf("an import dated before the member's last entry: at %v effective %v; want at %v, effective kept", e.At, e.Effective, testNow)
	}
	if got := s.Totals("E1", jifen.PeriodOf(jifen.Month, past, shanghai)).Net; got != 1 {
		t.Fatalf("it counts in its effective month: %d", got)
	}
}

func TestRegistrationsRacingOnTwoReplicas(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	stores := []*Store{s, openAt(t, url)}
	ctx := context.Background()
	// Eight deliveries from one new Feishu user, on two replicas: one
	// member.
	got := make([]jifen.Member, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			m, err := stores[i%2].RegisterNewMember(ctx, jifen.Member{Name: "Alice", Role: jifen.RoleEmployee, FeishuOpenID: "ou_a"},
				[]string{"ou_a"}, "x")
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	for _, m := range got {
		if m.ID != "ou_a" || m.Name != "Alice" {
			t.Fatalf("registered %+v", got)
		}
	}
	// Two new users with one name, at once: two members, two names.
	var a, b jifen.Member
	wg.Go(func() {
		a, _ = stores[0].RegisterNewMember(ctx, jifen.Member{Name: "bob", Role: jifen.RoleEmployee, SlackID: "U1"}, []string{"U1"}, "T1")
	})
	wg.Go(func() {
		b, _ = stores[1].RegisterNewMember(ctx, jifen.Member{Name: "Bob", Role: jifen.RoleEmployee, SlackID: "U2"}, []string{"U2"}, "T1")
	})
	wg.Wait()
	if a.ID == b.ID || strings.EqualFold(a.Name, b.Name) || len(s.Members()) != 3 {
		t.Fatalf("two users registered as %+v and %+v", a, b)
	}
	// Linking: an id another member holds is refused.
	if _, err := s.LinkMember(ctx, "ou_a", jifen.Member{SlackID: "U1"}); !errors.Is(err, store.ErrPlatformIDTaken) {
		t.Fatalf("link of a held Slack id: %v", err)
	}
	if ok, err := s.TryLinkMember(ctx, "ou_a", jifen.Member{SlackID: "U9"}); !ok || err != nil {
		t.Fatalf("link: %v %v", ok, err)
	}
	if m, _ := stores[1].MemberBySlackID("U9"); m.ID != "ou_a" {
		t.Fatalf("U9 is %+v", m)
	}
	if ok, _ := s.TryLinkMember(ctx, "ou_a", jifen.Member{SlackID: "U8"}); ok {
		t.Fatal("a member's Slack id was replaced")
	}
	if err := s.RegisterMember(ctx, jifen.Member{ID: "ou_a", Name: "other", Role: jifen.RoleEmployee}); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Member("ou_a"); m.Name != "Alice" {
		t.Fatal("RegisterMember replaced a member")
	}
}

func TestLedgerReads(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if s.HasEntries() || s.EntryCount() != 0 {
		t.Fatal("a new ledger has entries")
	}
	for i, r := range []string{"E2", "E1", "E2", "E1"} {
		if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: r, Points: int64(i + 1)})
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if !s.HasEntries() || s.EntryCount() != 4 {
		t.Fatalf("%d entries", s.EntryCount())
	}
	if h := s.History("E1", 1); len(h) != 1 || h[0].ID != 4 {
		t.Fatalf("history %+v", h)
	}
	var ids []uint64
	if err := s.Read(context.Background(), func(r store.Reader) error {
		return r.ForEachEntry(func(e *jifen.Entry) error { ids = append(ids, e.ID); return nil })
	}); err != nil || !reflect.DeepEqual(ids, []uint64{1, 2, 3, 4}) {
		t.Fatalf("ForEachEntry: %v %v", ids, err)
	}
	ids = nil
	if err := s.Read(context.Background(), func(r store.Reader) error {
		return r.ScanEntries(func(e *jifen.Entry) error { ids = append(ids, e.ID); return nil })
	}); err != nil || !reflect.DeepEqual(ids, []uint64{2, 4, 1, 3}) {
		t.Fatalf("ScanEntries: %v %v", ids, err)
	}
	stop := errors.New("stop")
	if err := s.Read(context.Background(), func(r store.Reader) error { return r.ForEachEntry(func(*jifen.Entry) error { return stop }) }); !errors.Is(err, stop) {
		t.Fatalf("ForEachEntry's error: %v", err)
	}
}
