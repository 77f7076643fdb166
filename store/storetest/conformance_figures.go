package storetest

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/store"
)

// ledgerModel recomputes every figure naively from the entries appended,
// as the store's documentation defines them.
type ledgerModel struct {
	entries  []jifen.Entry // as stored, in id order
	reversed map[uint64]uint64
	members  []jifen.Member
	loc      *time.Location
}

func (m *ledgerModel) add(es ...jifen.Entry) {
	for _, e := range es {
		m.entries = append(m.entries, e)
		if e.Kind == jifen.KindRevoke {
			m.reversed[e.Reverses] = e.ID
		}
	}
}

// live lists the entries that count: neither revokes nor reversed (a
// revoke takes its entry out of every figure).
func (m *ledgerModel) live(fn func(e jifen.Entry)) {
	for _, e := range m.entries {
		if e.Kind != jifen.KindRevoke && m.reversed[e.ID] == 0 {
			fn(e)
		}
	}
}

func aggOf(points int64) store.Agg {
	a := store.Agg{Net: points, Count: 1}
	if points > 0 {
		a.Plus = points
	} else {
		a.Minus = -points
	}
	return a
}

func sum(a, b store.Agg) store.Agg {
	return store.Agg{Net: a.Net + b.Net, Plus: a.Plus + b.Plus, Minus: a.Minus + b.Minus, Count: a.Count + b.Count}
}

func (m *ledgerModel) totals(member string, p jifen.Period) (out store.Agg) {
	m.live(func(e jifen.Entry) {
		if e.Receiver == member && e.Kind != jifen.KindRedeem && p.Contains(e.Effective) {
			out = sum(out, aggOf(e.Points))
		}
	})
	return out
}

func (m *ledgerModel) spent(member string, p jifen.Period) (out int64) {
	m.live(func(e jifen.Entry) {
		if e.Receiver == member && e.Kind == jifen.KindRedeem && p.Contains(e.Effective) {
			out -= e.Points
		}
	})
	return out
}

func (m *ledgerModel) giverUsed(giver, pool string, p jifen.Period) (out int64) {
	m.live(func(e jifen.Entry) {
		if e.Giver == giver && string(e.Kind) == pool && (pool == "award" || pool == "thanks") && p.Contains(e.Effective) {
			out += e.Points
		}
	})
	return out
}

func (m *ledgerModel) categories(member string, p jifen.Period) map[string]store.Agg {
	out := map[string]store.Agg{}
	if p.Kind == jifen.Week {
		return out // weeks have no category figures
	}
	m.live(func(e jifen.Entry) {
		if e.Receiver == member && e.Kind != jifen.KindRedeem && e.Category != "" && p.Contains(e.Effective) {
			out[e.Category] = sum(out[e.Category], aggOf(e.Points))
		}
	})
	return out
}

// counted lists the members counted in p at now, in scope (dept "" for
// all), highest points first, then by id.
func (m *ledgerModel) counted(p jifen.Period, now time.Time, keep func(jifen.Member) bool) []store.Standing {
	asOf := p.AsOf(now, m.loc)
	var out []store.Standing
	for _, mb := range m.members {
		if mb.EmployedIn(asOf, m.loc) && keep(mb) {
			out = append(out, store.Standing{Member: mb, Points: m.totals(mb.ID, p).Net})
		}
	}
	slices.SortFunc(out, func(a, b store.Standing) int {
		if c := cmp.Compare(b.Points, a.Points); c != 0 {
			return c
		}
		return strings.Compare(a.Member.ID, b.Member.ID)
	})
	for i := range out {
		out[i].Rank = 1 + above(out, out[i].Points)
	}
	return out
}

func above(list []store.Standing, pts int64) int {
	n := 0
	for _, s := range list {
		if s.Points > pts {
			n++
		}
	}
	return n
}

func (m *ledgerModel) member(id string) (jifen.Member, bool) {
	for _, mb := range m.members {
		if mb.ID == id {
			return mb, true
		}
	}
	return jifen.Member{}, false
}

func (m *ledgerModel) rank(id string, p jifen.Period, now time.Time) store.Rank {
	mb, _ := m.member(id)
	all := m.counted(p, now, func(jifen.Member) bool { return true })
	dept := m.counted(p, now, func(o jifen.Member) bool { return o.Department == mb.Department })
	role := m.counted(p, now, func(o jifen.Member) bool { return o.Role == mb.Role })
	r := store.Rank{Points: m.totals(id, p).Net, Of: len(all), DeptOf: len(dept), RoleOf: len(role)}
	if slices.ContainsFunc(all, func(s store.Standing) bool { return s.Member.ID == id }) {
		r.Rank, r.DeptRank, r.RoleRank = 1+above(all, r.Points), 1+above(dept, r.Points), 1+above(role, r.Points)
	}
	return r
}

func (m *ledgerModel) top(p jifen.Period, now time.Time, n int, dept string) []store.Standing {
	list := m.counted(p, now, func(o jifen.Member) bool { return dept == "" || o.Department == dept })
	out := []store.Standing{}
	for i, s := range list {
		if i >= n || s.Points <= 0 {
			break
		}
		out = append(out, s)
	}
	return out
}

// averages are the department's category points over its counted
// members; a category whose points sum to zero may be absent.
func (m *ledgerModel) averages(p jifen.Period, now time.Time, dept string) map[string]float64 {
	list := m.counted(p, now, func(o jifen.Member) bool { return o.Department == dept })
	sums := map[string]int64{}
	for _, s := range list {
		for c, a := range m.categories(s.Member.ID, p) {
			sums[c] += a.Net
		}
	}
	out := map[string]float64{}
	for c, v := range sums {
		if v != 0 {
			out[c] = float64(v) / float64(len(list))
		}
	}
	return out
}

func (m *ledgerModel) history(member string, n int) []jifen.Entry {
	var out []jifen.Entry
	for i := len(m.entries) - 1; i >= 0 && len(out) < n; i-- {
		if m.entries[i].Receiver == member {
			out = append(out, m.entries[i])
		}
	}
	return out
}

// figureMembers: two departments with a giver and an admin apart; f left
// at the end of November, h joins on 10 January, a bot never counts.
func figureMembers() []jifen.Member {
	return []jifen.Member{
		{ID: "a", Name: "王芳", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "admin", Name: "管理员", Department: "管理部", Role: jifen.RoleAdmin},
		{ID: "b", Name: "李雷", Department: "销售部", Role: jifen.RoleManager},
		{ID: "bot", Name: "机器人", Department: "研发部", Role: jifen.RoleEmployee, Bot: true},
		{ID: "c", Name: "韩梅梅", Department: "研发部", Role: jifen.RoleEmployee},
		{ID: "d", Name: "张伟", Department: "研发部", Role: jifen.RoleEmployee},
		{ID: "f", Name: "赵六", Department: "研发部", Role: jifen.RoleEmployee, Left: date(2026, 11, 30)},
		{ID: "g", Name: "钱总", Department: "管理部", Role: jifen.RoleManager},
		{ID: "h", Name: "孙七", Department: "销售部", Role: jifen.RoleEmployee, Joined: date(2027, 1, 10)},
	}
}

// Awards, deductions, thanks, imports, an adjustment, a redemption and a
// revoke across the month, quarter and year boundaries of Asia/Shanghai
// (eight hours ahead of UTC), some effective long before they were
// recorded; then every figure, compared with a naive recomputation from
// the entries, and a few by hand.
func testFigures(t *testing.T, open Opener) {
	e := newEnv(t, open, utc(2026, 6, 20, 2, 0, 0))
	m := &ledgerModel{reversed: map[uint64]uint64{}, members: figureMembers(), loc: e.loc}
	e.put(m.members...)
	at := func(ts time.Time, es ...jifen.Entry) {
		e.clock.Set(ts)
		m.add(e.append(es...)...)
	}
	aw := func(giver, to string, pts int64, cat, beh string) jifen.Entry {
		return jifen.Entry{Kind: jifen.KindAward, Giver: giver, Receiver: to, Points: pts, Category: cat, Behavior: beh, Reason: "因为" + to}
	}
	at(utc(2026, 6, 20, 2, 0, 0), aw("g", "a", 6, "sales", "deal"))
	at(utc(2026, 11, 20, 2, 0, 0), aw("g", "f", 3, "sales", "deal"))
	// 23:59:59 on 30 November in Shanghai, and midnight after it: the
	// same UTC day, two months.
	at(utc(2026, 11, 30, 15, 59, 59), aw("g", "a", 10, "sales", "deal"))
	nov := m.entries[len(m.entries)-1]
	at(utc(2026, 11, 30, 16, 0, 0), aw("g", "b", 10, "sales", "deal"),
		jifen.Entry{Kind: jifen.KindThanks, Giver: "a", Receiver: "c", Points: 2, Category: "teamwork", Behavior: "thanks"})
	// The last second of 2026 in Shanghai, and the first of 2027.
	at(utc(2026, 12, 31, 15, 59, 59), jifen.Entry{Kind: jifen.KindDeduct, Giver: "g", Receiver: "c", Points: -3, Category: "attendance", Behavior: "late"})
	at(utc(2026, 12, 31, 16, 0, 0), aw("g", "a", 7, "service", "help"), aw("g", "d", 7, "service", "help"),
		// Effective 00:30 on 1 April in Shanghai: the second quarter.
		jifen.Entry{Kind: jifen.KindImport, Receiver: "c", Points: 20, Category: "sales", Effective: utc(2026, 3, 31, 16, 30, 0), Source: "import"},
		// A receiver the directory does not know.
		jifen.Entry{Kind: jifen.KindImport, Receiver: "ghost", Points: 5, Category: "sales", Source: "import"})
	at(utc(2027, 1, 1, 4, 0, 0),
		// November's award revoked in January corrects November.
		jifen.Entry{Kind: jifen.KindRevoke, Giver: "admin", Reverses: nov.ID, Reason: "误操作"},
		jifen.Entry{Kind: jifen.KindRedeem, Receiver: "a", Points: -5, Behavior: store.RewardBehavior("mug"), Quantity: 1, Reason: "杯子"},
		jifen.Entry{Kind: jifen.KindAdjust, Giver: "admin", Receiver: "c", Points: 4},
		jifen.Entry{Kind: jifen.KindDeduct, Giver: "g", Receiver: "b", Points: -2, Category: "attendance", Behavior: "late"})
	// Recorded on 2 January, effective on 20 November.
	at(utc(2027, 1, 2, 3, 0, 0), jifen.Entry{Kind: jifen.KindAward, Giver: "g", Receiver: "d", Points: 1, Category: "service",
		At: utc(2026, 11, 20, 2, 0, 0)})
	if last := m.entries[len(m.entries)-1]; !last.At.Equal(utc(2027, 1, 2, 3, 0, 0)) || !last.Effective.Equal(utc(2026, 11, 20, 2, 0, 0)) {
		t.Fatalf("late entry stored as %+v", last)
	}

	p := func(key string) jifen.Period {
		per, err := jifen.ParsePeriod(key, e.loc)
		if err != nil {
			t.Fatal(err)
		}
		return per
	}
	// By hand, first.
	e.read(func(r store.Reader) {
		for _, c := range []struct {
			member, period string
			want           store.Agg
		}{
			{"a", "2026-11", store.Agg{}},
			{"a", "2026-Q4", store.Agg{}},
			{"a", "2026", store.Agg{Net: 6, Plus: 6, Count: 1}},
			{"a", "2027-01", store.Agg{Net: 7, Plus: 7, Count: 1}},
			{"a", "all", store.Agg{Net: 13, Plus: 13, Count: 2}},
			{"b", "2026-11", store.Agg{}},
			{"b", "2026-12", store.Agg{Net: 10, Plus: 10, Count: 1}},
			{"b", "2027", store.Agg{Net: -2, Minus: 2, Count: 1}},
			{"c", "2026-12", store.Agg{Net: -1, Plus: 2, Minus: 3, Count: 2}},
			{"c", "2026-Q1", store.Agg{}},
			{"c", "2026-Q2", store.Agg{Net: 20, Plus: 20, Count: 1}},
			{"c", "2027-Q1", store.Agg{Net: 4, Plus: 4, Count: 1}},
			{"d", "2026-11", store.Agg{Net: 1, Plus: 1, Count: 1}},
			{"d", "2027-01", store.Agg{Net: 7, Plus: 7, Count: 1}},
		} {
			if got := r.Totals(c.member, p(c.period)); got != c.want {
				t.Errorf("Totals(%s, %s) = %+v, want %+v", c.member, c.period, got, c.want)
			}
		}
		if got := r.Balance("a"); got != 8 {
			t.Errorf("Balance(a) = %d, want 8 (13 earned, 5 spent)", got)
		}
		if got := r.Spent("a", p("2027-01")); got != 5 {
			t.Errorf("Spent(a, 2027-01) = %d", got)
		}
		if got := r.GiverUsed("g", "award", p("2026-11")); got != 4 {
			t.Errorf("GiverUsed(g, award, 2026-11) = %d, want 4 (3, and 1 recorded in January; 10 revoked)", got)
		}
		if got := r.GiverUsed("g", "award", p("2027-01")); got != 14 {
			t.Errorf("GiverUsed(g, award, 2027-01) = %d, want 14 (deductions use no allowance)", got)
		}
		if got := r.GiverUsed("a", "thanks", p("2026-12")); got != 2 {
			t.Errorf("GiverUsed(a, thanks, 2026-12) = %d", got)
		}
		if got := r.Categories("c", p("2026-12")); !reflect.DeepEqual(got, map[string]store.Agg{
			"teamwork": {Net: 2, Plus: 2, Count: 1}, "attendance": {Net: -3, Minus: 3, Count: 1}}) {
			t.Errorf("Categories(c, 2026-12) = %+v", got)
		}
		jan := p("2027-01")
		// Counted in January as of the 2nd: a 7, d 7, c 4, admin 0, g 0,
		// b -2. Not f (left), h (joins on the 10th), the bot or ghost.
		if got := r.RankOf("b", jan); got != (store.Rank{Points: -2, Rank: 6, Of: 6, DeptRank: 2, DeptOf: 2, RoleRank: 2, RoleOf: 2}) {
			t.Errorf("RankOf(b, 2027-01) = %+v", got)
		}
		if got := r.RankOf("d", jan); got.Rank != 1 || got.DeptRank != 1 || got.RoleRank != 1 || got.RoleOf != 3 {
			t.Errorf("RankOf(d, 2027-01) = %+v: a tie at the top ranks 1", got)
		}
		if got := r.RankOf("g", jan); got.Rank != 4 {
			t.Errorf("RankOf(g, 2027-01) = %+v: 0 points, three above", got)
		}
		if got := r.RankOf("ghost", jan); got != (store.Rank{Points: 5, Of: 6}) {
			t.Errorf("RankOf(ghost) = %+v: its points, no rank, of 6", got)
		}
		if got := r.RankOf("h", jan); got.Ranked() || got.Of != 6 {
			t.Errorf("RankOf(h) before joining = %+v", got)
		}
		top := r.Top(jan, 10, "")
		if len(top) != 3 || top[0].Member.ID != "a" || top[1].Member.ID != "d" || top[2].Member.ID != "c" ||
			top[0].Rank != 1 || top[1].Rank != 1 || top[2].Rank != 3 || top[2].Points != 4 {
			t.Errorf("Top(2027-01) = %+v; want a 7 (1), d 7 (1), c 4 (3)", top)
		}
		if top := r.Top(jan, 10, "研发部"); len(top) != 2 || top[0].Member.ID != "d" || top[1].Member.ID != "c" || top[1].Rank != 2 {
			t.Errorf("Top(2027-01, 研发部) = %+v", top)
		}
		if top := r.Top(jan, 1, ""); len(top) != 1 || top[0].Member.ID != "a" {
			t.Errorf("Top(2027-01, 1) = %+v", top)
		}
		if n := r.Headcount(p("2026-11"), ""); n != 7 {
			t.Errorf("Headcount(2026-11) = %d, want 7 (f counts; h, bot not)", n)
		}
		if n := r.Headcount(jan, "销售部"); n != 2 {
			t.Errorf("Headcount(2027-01, 销售部) = %d, want 2", n)
		}
		if got := r.DepartmentAverages(p("2026-12"), "研发部"); !reflect.DeepEqual(got, map[string]float64{"teamwork": 1, "attendance": -1.5}) {
			t.Errorf("DepartmentAverages(2026-12, 研发部) = %v", got)
		}
	})
	compareFigures(t, e, m)

	// On 10 January h joins: January's figures count them from then on.
	e.clock.Set(utc(2027, 1, 9, 16, 0, 0))
	e.read(func(r store.Reader) {
		if n := r.Headcount(p("2027-01"), "销售部"); n != 3 {
			t.Errorf("Headcount(2027-01, 销售部) on the 10th = %d, want 3", n)
		}
	})
	compareFigures(t, e, m)
	// Figures follow a later write without a reload.
	at(utc(2027, 1, 9, 17, 0, 0), aw("g", "h", 9, "sales", "deal"), aw("g", "c", 3, "service", "help"))
	compareFigures(t, e, m)

	// The entries, whole and from the index.
	var all []jifen.Entry
	if err := e.st.Read(e.ctx, func(r store.Reader) error {
		return r.ForEachEntry(func(en *jifen.Entry) error { all = append(all, *en); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, m.entries) {
		t.Errorf("ForEachEntry gives %d entries, not those appended", len(all))
	}
	var scanned []jifen.Entry
	if err := e.st.Read(e.ctx, func(r store.Reader) error {
		return r.ScanEntries(func(en *jifen.Entry) error { scanned = append(scanned, *en); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(scanned, func(a, b jifen.Entry) int { return cmp.Compare(a.ID, b.ID) })
	var index []jifen.Entry
	for _, en := range m.entries {
		en.Reason, en.RuleVersion, en.Approval, en.Source = "", 0, 0, ""
		index = append(index, en)
	}
	if !reflect.DeepEqual(scanned, index) {
		t.Errorf("ScanEntries gives %+v,\nwant %+v", scanned, index)
	}
	e.read(func(r store.Reader) {
		if r.EntryCount() != len(m.entries) {
			t.Errorf("EntryCount %d, want %d", r.EntryCount(), len(m.entries))
		}
		for _, en := range m.entries {
			got, by, ok := r.Entry(en.ID)
			if !ok || !reflect.DeepEqual(got, en) || by != m.reversed[en.ID] {
				t.Errorf("Entry(%d) = %+v reversed by %d, want %+v reversed by %d", en.ID, got, by, en, m.reversed[en.ID])
			}
		}
		ids, err := r.LedgerIDs(store.LedgerFilter{})
		var want []uint64
		for i := len(m.entries) - 1; i >= 0; i-- {
			want = append(want, m.entries[i].ID)
		}
		if err != nil || !slices.Equal(ids, want) {
			t.Errorf("LedgerIDs = %v %v, want %v", ids, err, want)
		}
		ids, err = r.LedgerIDs(store.LedgerFilter{Receivers: []string{"c", "a", "c"}, Keep: func(en *jifen.Entry) bool { return en.Kind != jifen.KindThanks }})
		want = nil
		for i := len(m.entries) - 1; i >= 0; i-- {
			if en := m.entries[i]; (en.Receiver == "a" || en.Receiver == "c") && en.Kind != jifen.KindThanks {
				want = append(want, en.ID)
			}
		}
		if err != nil || !slices.Equal(ids, want) {
			t.Errorf("LedgerIDs(a, c, no thanks) = %v %v, want %v", ids, err, want)
		}
		if ids, _ := r.LedgerIDs(store.LedgerFilter{Receivers: []string{}}); len(ids) != 0 {
			t.Errorf("LedgerIDs of no receiver = %v", ids)
		}
		var rows []store.LedgerRow
		err = r.LedgerRows([]uint64{nov.ID, 9999, m.entries[0].ID}, func(row *store.LedgerRow) error { rows = append(rows, *row); return nil })
		if err != nil || len(rows) != 2 || rows[0].Entry.ID != nov.ID || rows[0].ReversedBy != m.reversed[nov.ID] ||
			rows[1].Entry.ID != m.entries[0].ID || rows[1].ReversedBy != 0 || rows[0].Entry.Reason != nov.Reason {
			t.Errorf("LedgerRows = %+v %v", rows, err)
		}
	})
}

// compareFigures checks every figure of every member (and of a receiver
// the directory lacks) in every period an entry falls in, against the
// model.
func compareFigures(t *testing.T, e *env, m *ledgerModel) {
	t.Helper()
	now := e.clock.Now()
	periods := map[string]jifen.Period{}
	for _, en := range append(slices.Clone(m.entries), jifen.Entry{Effective: now}) {
		for _, k := range jifen.PeriodKinds {
			p := jifen.PeriodOf(k, en.Effective, e.loc)
			periods[p.Key] = p
		}
	}
	ids := []string{"ghost", "nobody"}
	depts := map[string]bool{"": true}
	for _, mb := range m.members {
		ids = append(ids, mb.ID)
		depts[mb.Department] = true
	}
	e.read(func(r store.Reader) {
		for _, key := range slices.Sorted(maps.Keys(periods)) {
			p := periods[key]
			for _, id := range ids {
				if got, want := r.Totals(id, p), m.totals(id, p); got != want {
					t.Errorf("Totals(%s, %s) = %+v, want %+v", id, key, got, want)
				}
				if got, want := r.Spent(id, p), m.spent(id, p); got != want {
					t.Errorf("Spent(%s, %s) = %d, want %d", id, key, got, want)
				}
				for _, pool := range []string{"award", "thanks"} {
					if got, want := r.GiverUsed(id, pool, p), m.giverUsed(id, pool, p); got != want {
						t.Errorf("GiverUsed(%s, %s, %s) = %d, want %d", id, pool, key, got, want)
					}
				}
				if got, want := r.Categories(id, p), m.categories(id, p); !reflect.DeepEqual(got, want) {
					t.Errorf("Categories(%s, %s) = %+v, want %+v", id, key, got, want)
				}
				if got, want := r.RankOf(id, p), m.rank(id, p, now); got != want {
					t.Errorf("RankOf(%s, %s) = %+v, want %+v", id, key, got, want)
				}
			}
			for dept := range depts {
				for _, n := range []int{1, 2, 10} {
					got, want := r.Top(p, n, dept), m.top(p, now, n, dept)
					if len(got) == 0 && len(want) == 0 {
						continue
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("Top(%s, %d, %q) = %+v, want %+v", key, n, dept, got, want)
					}
				}
				if got, want := r.Headcount(p, dept), len(m.counted(p, now, func(o jifen.Member) bool { return dept == "" || o.Department == dept })); got != want {
					t.Errorf("Headcount(%s, %q) = %d, want %d", key, dept, got, want)
				}
				if dept == "" {
					continue
				}
				got := r.DepartmentAverages(p, dept)
				maps.DeleteFunc(got, func(_ string, v float64) bool { return v == 0 })
				if want := m.averages(p, now, dept); !reflect.DeepEqual(got, want) {
					t.Errorf("DepartmentAverages(%s, %q) = %v, want %v", key, dept, got, want)
				}
			}
		}
		for _, id := range ids {
			if got, want := r.Balance(id), m.totals(id, jifen.PeriodOf(jifen.AllTime, now, e.loc)).Net-m.spent(id, jifen.PeriodOf(jifen.AllTime, now, e.loc)); got != want {
				t.Errorf("Balance(%s) = %d, want %d", id, got, want)
			}
			for _, n := range []int{1, 3, 100} {
				if got, want := r.History(id, n), m.history(id, n); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
					t.Errorf("History(%s, %d) = %+v, want %+v", id, n, got, want)
				}
			}
		}
	})
}
