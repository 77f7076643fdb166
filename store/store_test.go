package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func openTest(t testing.TB, path string, loc *time.Location, clock jifen.Clock) *Store {
	return openTestOpt(t, path, Options{Location: loc, Clock: clock})
}

func openTestOpt(t testing.TB, path string, opt Options) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "jifen.db")
	}
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func members(n int) []jifen.Member {
	depts := []string{"销售部", "客服部", "研发部", "生产部"}
	var out []jifen.Member
	for i := range n {
		out = append(out, jifen.Member{ID: fmt.Sprintf("m%03d", i), Name: fmt.Sprintf("员工%d", i),
			Department: depts[i%len(depts)], Role: jifen.RoleEmployee})
	}
	return out
}

func appendEntry(t testing.TB, s *Store, e jifen.Entry) uint64 {
	t.Helper()
	res, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		id, err := tx.Append(&e)
		return encodeU64(id), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return decodeU64(res)
}

func TestAwardFiguresAndRevoke(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ctx := context.Background()
	if err := s.SyncMembers(ctx, members(8)); err != nil {
		t.Fatal(err)
	}
	month := jifen.PeriodOf(jifen.Month, clock.Now(), shanghai)
	a := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: "m001", Points: 10, Category: "sales", Behavior: "big_deal"})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m000", Receiver: "m002", Points: 20, Category: "service", Behavior: "praise"})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindDeduct, Giver: "m000", Receiver: "m001", Points: -3, Category: "attendance", Behavior: "late"})

	if got := s.Totals("m001", month); got != (Agg{Net: 7, Plus: 10, Minus: 3, Count: 2}) {
		t.Fatalf("totals m001 = %+v", got)
	}
	if got := s.Categories("m001", month); got["sales"].Net != 10 || got["attendance"].Net != -3 {
		t.Fatalf("categories m001 = %+v", got)
	}
	if got := s.GiverUsed("m000", poolAward, month); got != 30 {
		t.Fatalf("giver used = %d, want 30 (deductions use no allowance)", got)
	}
	r := s.RankOf("m001", month)
	if r.Rank != 2 || r.Of != 8 || r.Points != 7 || r.DeptRank != 1 || r.DeptOf != 2 {
		t.Fatalf("rank m001 = %+v", r)
	}
	if r := s.RankOf("m005", month); r.Rank != 3 {
		t.Fatalf("member without points ranks after those with points: %+v", r)
	}
	top := s.Top(month, 10, "")
	if len(top) != 2 || top[0].Member.ID != "m002" || top[1].Member.ID != "m001" {
		t.Fatalf("top = %+v", top)
	}

	// Revoking the award takes it out of every figure and frees the allowance.
	rv := appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: a, Reason: "误操作"})
	if got := s.Totals("m001", month); got != (Agg{Net: -3, Minus: 3, Count: 1}) {
		t.Fatalf("after revoke totals = %+v", got)
	}
	if got := s.GiverUsed("m000", poolAward, month); got != 20 {
		t.Fatalf("after revoke giver used = %d", got)
	}
	if e, by, ok := s.Entry(a); !ok || by != rv || e.Points != 10 {
		t.Fatalf("entry %d: %+v reversed by %d", a, e, by)
	}
	// At -3 m001 leaves the leaderboard, which lists points above 0 only,
	// and ranks below the six members at 0.
	if top := s.Top(month, 10, ""); len(top) != 1 || top[0].Member.ID != "m002" {
		t.Fatalf("top after revoke = %+v", top)
	}
	if r := s.RankOf("m001", month); r.Rank != 8 || r.Of != 8 || r.DeptRank != 2 || r.DeptOf != 2 {
		t.Fatalf("rank of m001 at -3 = %+v, want 8 / 8 and 2 / 2 in the department", r)
	}
	// A second revoke of the same entry is refused and writes nothing.
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Reverses: a})
		return nil, err
	})
	if err == nil {
		t.Fatal("second revoke accepted")
	}
	h := s.History("m001", 10)
	if len(h) != 3 || h[0].Kind != jifen.KindRevoke || h[2].ID != a {
		t.Fatalf("history = %+v", h)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() || rep.Entries != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestRevokeCountsInTheReversedEntrysPeriod(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 10, 31, 15, 0, 0, 0, time.UTC)} // 23:00 on Oct 31 in Shanghai
	s := openTest(t, "", shanghai, clock)
	id := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5, Category: "c"})
	clock.Set(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC))
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: id})
	oct, _ := jifen.ParsePeriod("2026-10", shanghai)
	nov, _ := jifen.ParsePeriod("2026-11", shanghai)
	if a := s.Totals("r", oct); !a.IsZero() {
		t.Fatalf("October still shows %+v", a)
	}
	if a := s.Totals("r", nov); !a.IsZero() {
		t.Fatalf("November shows %+v", a)
	}
}

func TestIdempotentWriteSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	s, err := Open(path, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	write := func(s *Store) ([]byte, bool) {
		res, replayed, err := s.write(context.Background(), "slack:trigger:123.456", func(tx *Tx) ([]byte, error) {
			runs.Add(1)
			id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "r", Points: 10})
			return fmt.Appendf(nil, "entry %d", id), err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res, replayed
	}
	first, replayed := write(s)
	if replayed || string(first) != "entry 1" {
		t.Fatalf("first write: %q replayed=%v", first, replayed)
	}
	// Concurrent replays of the same key, as a platform retry racing the
	// original would, all get the first result.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if res, replayed := write(s); !replayed || string(res) != "entry 1" {
				t.Errorf("replay: %q replayed=%v", res, replayed)
			}
		})
	}
	wg.Wait()
	s.Close()
	s, err = Open(path, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if res, replayed := write(s); !replayed || string(res) != "entry 1" {
		t.Fatalf("after restart: %q replayed=%v", res, replayed)
	}
	if runs.Load() != 1 || s.EntryCount() != 1 {
		t.Fatalf("applied %d times, %d entries", runs.Load(), s.EntryCount())
	}
}

func TestIdempotencyKeysExpire(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ctx := context.Background()
	noop := func(tx *Tx) ([]byte, error) { return []byte("ok"), nil }
	if _, _, err := s.write(ctx, "k1", noop); err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(47 * time.Hour))
	if _, replayed, _ := s.write(ctx, "k2", noop); replayed {
		t.Fatal("k2 replayed")
	}
	if _, ok := s.Seen("k1"); !ok {
		t.Fatal("k1 forgotten before the TTL")
	}
	clock.Set(clock.Now().Add(2 * time.Hour))
	if _, _, err := s.write(ctx, "k3", noop); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Seen("k1"); ok {
		t.Fatal("k1 kept past the TTL")
	}
	if _, ok := s.Seen("k2"); !ok {
		t.Fatal("k2 forgotten early")
	}
}

func TestFailedWriteLeavesNothingAndSparesTheBatch(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	var good atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			_, _, err := s.write(ctx, fmt.Sprintf("k%d", i), func(tx *Tx) ([]byte, error) {
				if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "r", Points: 1}); err != nil {
					return nil, err
				}
				if i%5 == 0 {
					return nil, errors.New("fails after writing")
				}
				if i%7 == 0 {
					panic("boom")
				}
				return nil, nil
			})
			if err == nil {
				good.Add(1)
			}
		})
	}
	wg.Wait()
	// i%5==0: 8 fail; i%7==0 and not %5: 7,14,21,28 (35 is %5): 4 panic.
	if good.Load() != 28 || s.EntryCount() != 28 {
		t.Fatalf("good=%d entries=%d, want 28", good.Load(), s.EntryCount())
	}
	all := jifen.PeriodOf(jifen.AllTime, time.Now(), shanghai)
	if a := s.Totals("r", all); a.Net != 28 {
		t.Fatalf("totals %+v", a)
	}
	for i := 0; i < 40; i += 5 {
		if _, ok := s.Seen(fmt.Sprintf("k%d", i)); ok {
			t.Fatalf("failed write k%d recorded its key", i)
		}
	}
	if rep, _ := s.Verify(); !rep.OK() {
		t.Fatal(rep.Problems)
	}
}

// TestConcurrentCapHolds races 64 writers against a cap checked inside the
// write: the committer applies them one after another, so the cap holds
// exactly and no accepted write is lost.
func TestConcurrentCapHolds(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	const cap = 500
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := range 20 {
				_, _, err := s.write(ctx, fmt.Sprintf("w%d-%d", w, i), func(tx *Tx) ([]byte, error) {
					p := jifen.PeriodOf(jifen.Month, tx.Now(), tx.Location())
					if tx.Usage().Net("r", p)+3 > cap {
						return nil, jifen.Errorf(jifen.ELIMIT, "err.receiver_max")
					}
					_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 3})
					return nil, err
				})
				if err == nil {
					accepted.Add(1)
				} else if jifen.ErrorCode(err) != jifen.ELIMIT {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	p := jifen.PeriodOf(jifen.Month, s.Now(), shanghai)
	got := s.Totals("r", p).Net
	if got != accepted.Load()*3 || got > cap || got < cap-2 {
		t.Fatalf("net %d, accepted %d awards of 3, cap %d", got, accepted.Load(), cap)
	}
}

// TestRanksFollowPointsAmongCountedMembers: competition ranks over the
// members employed in the period, zeros above negatives, and nobody who was
// not employed in it, neither ranked nor in a headcount.
func TestRanksFollowPointsAmongCountedMembers(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	ms := []jifen.Member{
		{ID: "a", Name: "A", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "b", Name: "B", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "c", Name: "C", Department: "客服部", Role: jifen.RoleEmployee},
		{ID: "d", Name: "D", Department: "销售部", Role: jifen.RoleManager},
		{ID: "e", Name: "E", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "hired", Name: "H", Department: "销售部", Role: jifen.RoleEmployee, Joined: day(12, 1)},
		{ID: "left", Name: "L", Department: "销售部", Role: jifen.RoleEmployee, Left: day(10, 31)},
		{ID: "lastday", Name: "LD", Department: "客服部", Role: jifen.RoleEmployee, Left: day(11, 1)},
		{ID: "bot", Name: "Bot", Bot: true, Role: jifen.RoleEmployee},
	}
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	month := jifen.PeriodOf(jifen.Month, clock.Now(), shanghai)
	s.Top(month, 10, "") // a board loaded before the entries must follow them
	for _, e := range []jifen.Entry{
		{Kind: jifen.KindAward, Receiver: "a", Points: 10, Category: "sales"},
		{Kind: jifen.KindAward, Receiver: "b", Points: 5, Category: "sales"},
		{Kind: jifen.KindAward, Receiver: "c", Points: 5, Category: "sales"},
		{Kind: jifen.KindDeduct, Receiver: "e", Points: -5, Category: "attendance"},
	} {
		e.Giver = "d"
		appendEntry(t, s, e)
	}
	// a 10, b 5, c 5, d 0, lastday 0, e -5: 1, 2, 2, 4, 4, 6 of 6.
	for _, tc := range []struct {
		id                     string
		rank, deptRank, of     int
		deptOf, roleRank, role int
	}{
		{"a", 1, 1, 6, 4, 1, 5},
		{"b", 2, 2, 6, 4, 2, 5},
		{"c", 2, 1, 6, 2, 2, 5},
		{"d", 4, 3, 6, 4, 1, 1},
		{"lastday", 4, 2, 6, 2, 4, 5},
		{"e", 6, 4, 6, 4, 5, 5},
		{"hired", 0, 0, 6, 4, 0, 5},
		{"left", 0, 0, 6, 4, 0, 5},
	} {
		r := s.RankOf(tc.id, month)
		want := Rank{Rank: tc.rank, Of: tc.of, DeptRank: tc.deptRank, DeptOf: tc.deptOf, RoleRank: tc.roleRank, RoleOf: tc.role, Points: r.Points}
		if r != want {
			t.Errorf("%s: %+v, want %+v", tc.id, r, want)
		}
	}
	top := s.Top(month, 10, "")
	var got []string
	for _, st := range top {
		got = append(got, fmt.Sprintf("%d %s %d", st.Rank, st.Member.ID, st.Points))
	}
	if want := []string{"1 a 10", "2 b 5", "2 c 5"}; !slices.Equal(got, want) {
		t.Errorf("top = %q, want %q (points above 0 only)", got, want)
	}
	if n := s.Headcount(month, "销售部"); n != 4 {
		t.Errorf("销售部 headcount %d, want 4 (not the hire of December nor the leaver of October)", n)
	}
	if avg := s.DepartmentAverages(month, "销售部"); avg["sales"] != 15.0/4 || avg["attendance"] != -5.0/4 {
		t.Errorf("销售部 averages %v, want per counted member", avg)
	}
	// The hire of December counts in December; the board follows a change
	// of dates. A hire of a later day of the running month counts from
	// that day on: the month so far is what its figures cover.
	ms[5].Joined = day(11, 20)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	if r := s.RankOf("hired", month); r.Rank != 0 || r.Of != 6 {
		t.Errorf("on 11-10, a hire of 11-20: %+v, want not ranked, of 6", r)
	}
	clock.Set(time.Date(2026, 11, 19, 16, 0, 0, 0, time.UTC)) // 11-20 00:00 in Shanghai
	if r := s.RankOf("hired", month); r.Rank != 4 || r.Of != 7 {
		t.Errorf("on the day of the hire: %+v, want 4 / 7", r)
	}
}

// Forgetting a member keeps the dates that decide where they count: a
// forgotten leaver must not come back into the headcounts of later periods.
func TestForgetKeepsEmploymentDates(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
	s := openTest(t, "", shanghai, clock)
	ms := members(3)
	ms[2].Joined, ms[2].Left = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	month := jifen.PeriodOf(jifen.Month, clock.Now(), shanghai)
	if n := s.Headcount(month, ""); n != 2 {
		t.Fatalf("headcount %d, want 2", n)
	}
	if err := s.ForgetMember(context.Background(), "m002", "成员A"); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Member("m002"); m.Name != "成员A" || !m.Left.Equal(ms[2].Left) || !m.Joined.Equal(ms[2].Joined) {
		t.Fatalf("forgotten member %+v", m)
	}
	if n := s.Headcount(month, ""); n != 2 {
		t.Fatalf("headcount after forgetting a leaver %d, want 2", n)
	}
}

// TestRandomLedgerMatchesRecomputation applies thousands of random entries
// (awards, deductions, thanks, redemptions, revokes) spread across period
// boundaries, in several zones, and checks every figure against an oracle
// written independently of the store's aggregate code.
func TestRandomLedgerMatchesRecomputation(t *testing.T) {
	runs := []struct {
		zone string
		seed uint64
	}{{"Asia/Shanghai", 1}, {"Asia/Shanghai", 2}, {"UTC", 3}, {"America/New_York", 4}, {"Pacific/Chatham", 5}}
	for _, r := range runs {
		t.Run(fmt.Sprintf("%s/%d", r.zone, r.seed), func(t *testing.T) {
			t.Parallel()
			randomLedger(t, mustZone(r.zone), r.seed, 2000)
		})
	}
}

func randomLedger(t *testing.T, loc *time.Location, seed uint64, n int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	clock := &testClock{t: time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "jifen.db")
	// Durability is not what this test checks: skip fsync to keep it fast.
	s := openTestOpt(t, path, Options{Location: loc, Clock: clock, NoSync: true})
	ms := members(12)
	// Hires and leavers during the ledger, so that who counts differs from
	// period to period: the boards must count only members employed in
	// their period.
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	ms[3].Joined = day(2026, 3, 15)
	ms[5].Role = jifen.RoleManager
	ms[7].Left = day(2026, 5, 20)
	ms[9].Role = jifen.RoleManager
	ms[10].Joined, ms[10].Left = day(2026, 6, 1), day(2026, 8, 31)
	ms[11].Joined = day(2026, 12, 31) // after every entry: never counted
	if err := s.SyncMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	cats := []string{"sales", "service", "attendance", ""}
	var entries []jifen.Entry
	reversed := map[uint64]bool{}
	for range n {
		// Time moves forward by up to 40 hours, so weeks, months, quarters
		// and a year end are crossed many times.
		clock.Set(clock.Now().Add(time.Duration(rng.IntN(40*60)) * time.Minute))
		e := jifen.Entry{Receiver: ms[rng.IntN(len(ms))].ID, Giver: ms[rng.IntN(3)].ID, Category: cats[rng.IntN(len(cats))]}
		switch r := rng.IntN(10); {
		case r < 5:
			e.Kind, e.Points = jifen.KindAward, int64(1+rng.IntN(50))
		case r < 7:
			e.Kind, e.Points = jifen.KindDeduct, -int64(1+rng.IntN(10))
		case r < 8:
			e.Kind, e.Points = jifen.KindThanks, int64(1+rng.IntN(3))
		case r < 9:
			e.Kind, e.Points, e.Category = jifen.KindRedeem, -int64(1+rng.IntN(30)), ""
		default:
			if len(entries) == 0 {
				continue
			}
			o := entries[rng.IntN(len(entries))]
			if o.Kind == jifen.KindRevoke || reversed[o.ID] {
				continue
			}
			e = jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: o.ID}
			reversed[o.ID] = true
		}
		id := appendEntry(t, s, e)
		got, _, _ := s.Entry(id)
		entries = append(entries, got)
		if len(entries) == n/2 {
			// A member moves department half way: the boards loaded so
			// far must follow (the directory keeps no history, so every
			// period ranks them in their current department).
			ms[4].Department = "研发部"
			if err := s.SyncMembers(context.Background(), ms); err != nil {
				t.Fatal(err)
			}
		}
		if len(entries)%97 == 0 {
			// Load the boards of the current periods now, so that the
			// check below also covers boards kept up to date by the deltas
			// of later commits, not only boards loaded at the end.
			for _, pk := range jifen.PeriodKinds {
				s.Top(jifen.PeriodOf(pk, clock.Now(), loc), 1, "")
				s.Top(jifen.PeriodOf(pk, clock.Now(), loc), 1, "销售部")
			}
		}
	}
	// The oracle: sum entries by the period their (reversed) entry counts in.
	byID := map[uint64]jifen.Entry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	type k struct{ kind, period, member, extra string }
	want := map[k]int64{}
	for _, e := range entries {
		src, sign := e, int64(1)
		if e.Kind == jifen.KindRevoke {
			src, sign = byID[e.Reverses], -1
		}
		for _, pk := range jifen.PeriodKinds {
			p := jifen.PeriodOf(pk, src.Effective, loc)
			switch src.Kind {
			case jifen.KindRedeem:
				want[k{"s", p.Key, src.Receiver, ""}] -= src.Points * sign
			default:
				want[k{"t", p.Key, src.Receiver, ""}] += src.Points * sign
				if pk != jifen.Week && src.Category != "" {
					want[k{"c", p.Key, src.Receiver, src.Category}] += src.Points * sign
				}
				if src.Kind == jifen.KindAward {
					want[k{"g", p.Key, src.Giver, "award"}] += src.Points * sign
				}
			}
		}
	}
	periods := map[string]jifen.Period{}
	for _, e := range entries {
		for _, pk := range jifen.PeriodKinds {
			p := jifen.PeriodOf(pk, e.Effective, loc)
			periods[p.Key] = p
		}
	}
	// Who counts in a period, written from the dates themselves: joined on
	// or before its last day and, if they left, left on or after its first.
	counted := func(m jifen.Member, p jifen.Period) bool {
		local := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc) }
		return (m.Joined.IsZero() || local(m.Joined).Before(p.End)) &&
			(m.Left.IsZero() || !local(m.Left).AddDate(0, 0, 1).Before(p.Start.Add(time.Nanosecond)))
	}
	checked := 0
	for _, p := range periods {
		pts := map[string]int64{}
		for _, m := range ms {
			if got, w := s.Totals(m.ID, p).Net, want[k{"t", p.Key, m.ID, ""}]; got != w {
				t.Fatalf("%s %s total: got %d want %d", p.Key, m.ID, got, w)
			}
			pts[m.ID] = want[k{"t", p.Key, m.ID, ""}]
			if got, w := s.Spent(m.ID, p), want[k{"s", p.Key, m.ID, ""}]; got != w {
				t.Fatalf("%s %s spent: got %d want %d", p.Key, m.ID, got, w)
			}
			if got, w := s.GiverUsed(m.ID, "award", p), want[k{"g", p.Key, m.ID, "award"}]; got != w {
				t.Fatalf("%s %s given: got %d want %d", p.Key, m.ID, got, w)
			}
			cats := s.Categories(m.ID, p)
			for _, c := range []string{"sales", "service", "attendance"} {
				if got, w := cats[c].Net, want[k{"c", p.Key, m.ID, c}]; got != w {
					t.Fatalf("%s %s %s: got %d want %d", p.Key, m.ID, c, got, w)
				}
			}
			checked++
		}
		// The ranking board agrees with a naive ranking of the oracle:
		// counted members only, rank = 1 + those in scope with more
		// points, and a leaderboard of the points above 0.
		for _, dept := range []string{"", "销售部", "研发部"} {
			inScope := func(m jifen.Member) bool { return counted(m, p) && (dept == "" || m.Department == dept) }
			var listed []Score
			of := 0
			for _, m := range ms {
				if inScope(m) {
					of++
					if pts[m.ID] > 0 {
						listed = append(listed, Score{m.ID, pts[m.ID]})
					}
				}
			}
			slices.SortFunc(listed, CompareScores)
			top := s.Top(p, len(ms), dept)
			if len(top) != len(listed) {
				t.Fatalf("%s %q: top has %d, want %d", p.Key, dept, len(top), len(listed))
			}
			for i, st := range top {
				if st.Member.ID != listed[i].Member || st.Points != listed[i].Points {
					t.Fatalf("%s %q: top[%d] = %s %d, want %+v", p.Key, dept, i, st.Member.ID, st.Points, listed[i])
				}
			}
			if got := s.Headcount(p, dept); got != of {
				t.Fatalf("%s %q: headcount %d, want %d", p.Key, dept, got, of)
			}
			for _, m := range ms {
				if dept != "" && m.Department != dept {
					continue
				}
				rank := 0
				if inScope(m) {
					rank = 1
					for _, o := range ms {
						if inScope(o) && pts[o.ID] > pts[m.ID] {
							rank++
						}
					}
				}
				r := s.RankOf(m.ID, p)
				got, gotOf := r.Rank, r.Of
				if dept != "" {
					got, gotOf = r.DeptRank, r.DeptOf
				}
				if got != rank || gotOf != of || r.Points != pts[m.ID] {
					t.Fatalf("%s %q: %s ranks %d / %d with %d, want %d / %d with %d", p.Key, dept, m.ID, got, gotOf, r.Points, rank, of, pts[m.ID])
				}
			}
			for _, st := range top {
				if r := s.RankOf(st.Member.ID, p); (dept == "" && r.Rank != st.Rank) || (dept != "" && r.DeptRank != st.Rank) {
					t.Fatalf("%s %q: %s is %d on the leaderboard, %+v by RankOf", p.Key, dept, st.Member.ID, st.Rank, r)
				}
			}
			if dept == "" || p.Kind == jifen.Week {
				continue
			}
			// Department averages: per counted member of the department.
			avg := s.DepartmentAverages(p, dept)
			for _, c := range []string{"sales", "service", "attendance"} {
				sum := int64(0)
				for _, m := range ms {
					if inScope(m) {
						sum += want[k{"c", p.Key, m.ID, c}]
					}
				}
				w := 0.0
				if of > 0 {
					w = float64(sum) / float64(of)
				}
				if math.Abs(avg[c]-w) > 1e-9 {
					t.Fatalf("%s %q %s: average %v, want %v", p.Key, dept, c, avg[c], w)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
	rep, err := s.Verify()
	if err != nil || !rep.OK() || rep.Entries != len(entries) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5, Category: "c"})
	// Damage one aggregate behind the store's back.
	if err := s.db.Update(func(btx *bolt.Tx) error {
		p := jifen.PeriodOf(jifen.Month, s.Now(), shanghai)
		b := btx.Bucket(bucketAgg)
		k := []byte(recordKey("r", p.Key))
		r, err := decodeRecord(b.Get(k))
		if err != nil {
			return err
		}
		r = r.add(subKey(aggTotal, p.Key, ""), Agg{Net: 1, Plus: 1})
		return b.Put(k, r.encode())
	}); err != nil {
		t.Fatal(err)
	}
	// The figure differs from the entries, and the month board (built
	// from the entries) from the record.
	rep, err := s.Verify()
	if err != nil || rep.OK() || len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0], "r|2026|t|2026-11") ||
		!strings.Contains(rep.Problems[1], "month board 2026-11: r has 5") {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestZoneChangeRebuildsAggregates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	clock := &testClock{t: time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)} // Nov 1 in Shanghai, Oct 31 in UTC
	s, err := Open(path, Options{Location: shanghai, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 5})
	s.Close()
	s, err = Open(path, Options{Location: time.UTC, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	oct, _ := jifen.ParsePeriod("2026-10", time.UTC)
	if got := s.Totals("r", oct).Net; got != 5 {
		t.Fatalf("October in UTC = %d", got)
	}
	if rep, _ := s.Verify(); !rep.OK() {
		t.Fatal(rep.Problems)
	}
}

// A rebuild for a new time zone that a crash cut short goes on at the
// next Open, though the file already holds the new zone: the aggregates
// end as the entries give them in the new zone.
func TestInterruptedZoneChangeRebuildGoesOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	clock := &testClock{t: time.Date(2026, 10, 31, 14, 0, 0, 0, time.UTC)} // 22:00 in Shanghai, Oct 31
	s, err := Open(path, Options{Location: shanghai, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		clock.t = clock.t.Add(14 * time.Minute) // Oct 31 in UTC; from 16:00 on Nov 1 in Shanghai
		appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: fmt.Sprintf("r%d", i%3), Points: int64(i + 1), Category: "c"})
	}
	s.Close()
	s, marks := openCutShort(t, path, time.UTC, 2)
	if s != nil {
		s.Close()
		t.Fatal("the rebuild was not cut short")
	}
	checkRebuildSteps(t, marks, 2)
	s, err = Open(path, Options{Location: time.UTC, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify after the resumed rebuild: %v %v", rep.Problems, err)
	}
	oct, _ := jifen.ParsePeriod("2026-10", time.UTC)
	var sum int64
	for i := range 3 {
		sum += s.Totals(fmt.Sprintf("r%d", i), oct).Net
	}
	if sum != 40*41/2 {
		t.Fatalf("October in UTC = %d, want %d", sum, 40*41/2)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				s.write(ctx, "", func(tx *Tx) ([]byte, error) {
					_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "r", Points: 1, Category: "c"})
					return nil, err
				})
			}
		})
	}
	// The backup runs while the writers commit: wait for their first
	// commits (a loaded machine may take a while to fsync), not a fixed
	// time.
	for deadline := time.Now().Add(30 * time.Second); s.EntryCount() < 10 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	if _, err := s.Backup(out); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	b, err := Open(out, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, err := b.Verify()
	if err != nil || !rep.OK() || rep.Entries == 0 {
		t.Fatalf("backup verify: %+v %v", rep, err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jifen.db")
	s := openTest(t, path, shanghai, nil)
	_ = s
	_, err := Open(path, Options{Location: shanghai, LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}

func TestCatalogVersions(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	ctx := context.Background()
	v1, err := s.RegisterCatalog(ctx, "aaa", map[string]int{"x": 1})
	if err != nil || v1 != 1 {
		t.Fatal(v1, err)
	}
	v2, _ := s.RegisterCatalog(ctx, "bbb", map[string]int{"x": 2})
	again, _ := s.RegisterCatalog(ctx, "aaa", nil)
	if v2 != 2 || again != 1 {
		t.Fatalf("v2=%d again=%d", v2, again)
	}
	vs, _ := s.CatalogVersions()
	if len(vs) != 2 || vs[1].Fingerprint != "bbb" {
		t.Fatalf("%+v", vs)
	}
}

// Verify recomputes each reward's redeemed units from the redeem entries.
func TestVerifyCoversRedemptionStock(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	if err := s.SyncMembers(context.Background(), members(2)); err != nil {
		t.Fatal(err)
	}
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m001", Receiver: "m000", Points: 50})
	id := appendEntry(t, s, jifen.Entry{Kind: jifen.KindRedeem, Receiver: "m000", Points: -30, Behavior: RewardBehavior("mug"), Quantity: 3})
	if s.StockUsed("mug") != 3 || s.Balance("m000") != 20 {
		t.Fatalf("stock %d, balance %d", s.StockUsed("mug"), s.Balance("m000"))
	}
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "m001", Reverses: id})
	if s.StockUsed("mug") != 0 || s.Balance("m000") != 50 {
		t.Fatalf("after refund: stock %d, balance %d", s.StockUsed("mug"), s.Balance("m000"))
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketStock).Put([]byte("mug"), encodeU64(2))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify()
	if err != nil || rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "stock of mug: 2 redeemed, entries give 0") {
		t.Fatalf("tampered stock: %+v %v", rep, err)
	}
}

// ScanEntries gives, from the compact index, the same facts as the entries.
func TestScanEntriesMatchesTheLedger(t *testing.T) {
	s := openTest(t, "", shanghai, nil)
	if err := s.SyncMembers(context.Background(), members(3)); err != nil {
		t.Fatal(err)
	}
	id := appendEntry(t, s, jifen.Entry{Kind: jifen.KindAward, Giver: "m001", Receiver: "m000", Points: 15, Category: "sales", Behavior: "deal"})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindDeduct, Giver: "m001", Receiver: "m002", Points: -5, Category: "att", Behavior: "late"})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRedeem, Receiver: "m000", Points: -10, Behavior: RewardBehavior("mug"), Quantity: 2})
	appendEntry(t, s, jifen.Entry{Kind: jifen.KindRevoke, Giver: "m001", Reverses: id})
	type fact struct {
		id, reverses              uint64
		kind                      jifen.EntryKind
		giver, receiver, cat, beh string
		points, qty               int64
		at, effective             int64
	}
	collect := func(scan func(func(*jifen.Entry) error) error) map[fact]int {
		out := map[fact]int{}
		if err := scan(func(e *jifen.Entry) error {
			out[fact{e.ID, e.Reverses, e.Kind, e.Giver, e.Receiver, e.Category, e.Behavior, e.Points, e.Quantity, e.At.UnixMilli(), e.Effective.UnixMilli()}]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	full, fast := collect(s.ForEachEntry), collect(s.ScanEntries)
	if len(full) != 4 || !maps.Equal(full, fast) {
		t.Fatalf("ledger %v\nindex  %v", full, fast)
	}
}
