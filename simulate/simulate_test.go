package simulate_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"jifen"
	"jifen/config"
	"jifen/rules"
	"jifen/simulate"
)

// ledger is a hand-built ledger: entries in id order and the members.
type ledger struct {
	entries []jifen.Entry
	members []jifen.Member
}

// ScanEntries hands out the entries as the store's index does: by
// receiver, then id.
func (l *ledger) ScanEntries(fn func(e *jifen.Entry) error) error {
	es := slices.Clone(l.entries)
	slices.SortStableFunc(es, func(a, b jifen.Entry) int { return strings.Compare(a.Receiver, b.Receiver) })
	for i := range es {
		if err := fn(&es[i]); err != nil {
			return err
		}
	}
	return nil
}

func (l *ledger) Members() []jifen.Member { return l.members }

const base = `
rules:
  receiver_limits:
    - {period: month, max: 1000, min: -100}
  allowances:
    manager: {period: month, points: 1000}
  thanks: {behavior: thanks, period: month, allowance: 20, max_per_thanks: 5}
  categories:
    - id: sales
      name: 销售业绩
      behaviors:
        - {id: deal, name: 签单, points: [10, 50]}
        - {id: target, name: 完成目标, points: 30}
    - id: attendance
      name: 考勤
      behaviors:
        - {id: full, name: 全勤, points: 20}
        - {id: late, name: 迟到, points: -5}
    - id: team
      name: 内部协作
      behaviors:
        - {id: thanks, name: 感谢, points: [1, 5], roles: [employee, manager, admin]}
`

func catalog(t *testing.T, yaml string) *rules.Catalog {
	t.Helper()
	c, err := config.ParseCatalog("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	loc = time.UTC
	// November 2026, over at now.
	now = time.Date(2026, 12, 5, 0, 0, 0, 0, loc)
	nov = jifen.PeriodOf(jifen.Month, time.Date(2026, 11, 1, 0, 0, 0, 0, loc), loc)
)

// company: sales (张伟 manager; 王芳, 李娜 employees) and production
// (赵强 manager; 刘洋 employee). Entries of October and November; a revoke
// of one of November's.
func company() *ledger {
	l := &ledger{members: []jifen.Member{
		{ID: "m1", Name: "张伟", Department: "销售部", Role: jifen.RoleManager},
		{ID: "e1", Name: "王芳", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "e2", Name: "李娜", Department: "销售部", Role: jifen.RoleEmployee},
		{ID: "m2", Name: "赵强", Department: "生产部", Role: jifen.RoleManager},
		{ID: "e3", Name: "刘洋", Department: "生产部", Role: jifen.RoleEmployee},
	}}
	day := func(m, d int) time.Time { return time.Date(2026, time.Month(m), d, 9, 0, 0, 0, loc) }
	add := func(at time.Time, kind jifen.EntryKind, giver, receiver, behavior, cat string, pts int64) {
		id := uint64(len(l.entries) + 1)
		l.entries = append(l.entries, jifen.Entry{ID: id, Kind: kind, At: at, Effective: at, Giver: giver, Receiver: receiver,
			Behavior: behavior, Category: cat, Points: pts})
	}
	add(day(10, 20), jifen.KindAward, "m1", "e1", "deal", "sales", 40) // October: not in the figures
	add(day(11, 2), jifen.KindAward, "m1", "e1", "deal", "sales", 40)
	add(day(11, 3), jifen.KindAward, "m1", "e2", "deal", "sales", 20)
	add(day(11, 4), jifen.KindAward, "m1", "e1", "target", "sales", 30)
	add(day(11, 5), jifen.KindAward, "m2", "e3", "full", "attendance", 20)
	add(day(11, 6), jifen.KindAward, "m1", "e1", "full", "attendance", 20)
	add(day(11, 7), jifen.KindAward, "m1", "e1", "full", "attendance", 20) // a second 全勤 (no limit today)
	add(day(11, 8), jifen.KindDeduct, "m2", "e3", "late", "attendance", -5)
	add(day(11, 9), jifen.KindThanks, "e2", "e3", "thanks", "team", 5)
	add(day(11, 10), jifen.KindAward, "m1", "e2", "deal", "sales", 10)
	add(day(11, 11), jifen.KindImport, "", "m2", "", "", 7)
	rv := jifen.Entry{ID: uint64(len(l.entries) + 1), Kind: jifen.KindRevoke, At: day(11, 12), Effective: day(11, 10), Giver: "m1",
		Receiver: "e2", Behavior: "deal", Category: "sales", Points: -10, Reverses: 10}
	l.entries = append(l.entries, rv)
	return l
}

func run(t *testing.T, proposed string) *simulate.Result {
	t.Helper()
	res, err := simulate.Run(company(), nov, simulate.Options{Location: loc, Now: now, Current: catalog(t, base), Proposed: catalog(t, proposed)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func member(res *simulate.Result, id string) simulate.Move {
	for _, m := range res.Ranks {
		if m.ID == id {
			return m
		}
	}
	return simulate.Move{}
}

func category(res *simulate.Result, id string) simulate.Line {
	for _, l := range res.ByCategory {
		if l.ID == id {
			return l
		}
	}
	return simulate.Line{}
}

func TestSameCatalogSameFigures(t *testing.T) {
	res := run(t, base)
	// e1 40+30+20+20 = 110; e2 20 (+10 −10); e3 20−5+5 = 20; m2 7; m1 0.
	if res.Totals.Net != (simulate.Pair{Actual: 157, Simulated: 157}) {
		t.Errorf("net %+v", res.Totals.Net)
	}
	if res.Effect != (simulate.Effect{}) || len(res.CapsHit) != 0 || len(res.Removed) != 0 || len(res.Changes) != 0 {
		t.Errorf("an identical catalog changed something: %+v %+v %+v %+v", res.Effect, res.CapsHit, res.Removed, res.Changes)
	}
	for _, m := range res.Ranks {
		if m.Actual != m.Simulated || m.ActualRank != m.SimulatedRank {
			t.Errorf("%s moved: %+v", m.ID, m)
		}
	}
	if m := member(res, "e2"); m.Actual != 20 || m.ActualRank != 2 {
		t.Errorf("e2: %+v", m)
	}
	// 20 ranks e2 and e3 both second; m2 (7) fourth.
	if m := member(res, "m2"); m.ActualRank != 4 {
		t.Errorf("m2: %+v", m)
	}
	if res.Members != 5 || len(res.ByDepartment) != 2 || res.ByDepartment[0].Name != "生产部" || res.ByDepartment[0].Actual != 27 ||
		res.ByDepartment[0].ActualPerHead != 13.5 || res.ByDepartment[1].ActualPerHead != 43.33 {
		t.Errorf("departments %+v", res.ByDepartment)
	}
	if sp := res.Spread.Departments.Actual; sp.High != "销售部" || sp.Low != "生产部" || sp.Gap != 29.83 || sp.Ratio == nil || *sp.Ratio != 3.21 {
		t.Errorf("spread %+v", sp)
	}
}

// 签单 becomes a fixed 25 and 完成目标 45: every 签单 entry is 25 (the revoked
// one too, so the revoke still cancels it), 完成目标 45.
func TestChangedValue(t *testing.T) {
	res := run(t, strings.Replace(strings.Replace(base, "points: [10, 50]}", "points: 25}", 1), "points: 30}", "points: 45}", 1))
	if c := category(res, "sales"); c.Actual != 90 || c.Simulated != 25+25+45 {
		t.Errorf("sales %+v", c)
	}
	if m := member(res, "e1"); m.Simulated != 25+45+40 || m.SimulatedRank != 1 {
		t.Errorf("e1 %+v", m)
	}
	if m := member(res, "e2"); m.Simulated != 25 || m.SimulatedRank != 2 || m.Change != 0 {
		t.Errorf("e2 %+v", m)
	}
	if res.Effect.Changed != 4 || res.Effect.Cut != 0 || res.Effect.Dropped != 0 {
		t.Errorf("effect %+v", res.Effect)
	}
	// A range: 签单 [30, 60] clamps 20 up to 30 and keeps 40.
	res = run(t, strings.Replace(base, "points: [10, 50]}", "points: [30, 60]}", 1))
	if c := category(res, "sales"); c.Simulated != 40+30+30 {
		t.Errorf("clamped sales %+v", c)
	}
	if len(res.Changes) != 1 || res.Changes[0].From != "10~50" || res.Changes[0].To != "30~60" {
		t.Errorf("changes %+v", res.Changes)
	}
}

// A new cap: 全勤 once a month drops e1's second 全勤; a net cap of 80 a
// month cuts e1's third award.
func TestNewCap(t *testing.T) {
	res := run(t, strings.Replace(base, "points: 20}", "points: 20, limits: [{period: month, times: 1}]}", 1))
	if m := member(res, "e1"); m.Actual != 110 || m.Simulated != 90 {
		t.Errorf("e1 %+v", m)
	}
	if len(res.CapsHit) != 1 || res.CapsHit[0].Member != "e1" || res.CapsHit[0].Dropped != 1 || res.CapsHit[0].Points != 20 ||
		res.CapsHit[0].Cap != (simulate.Cap{Kind: "behavior_times", Behavior: "full", BehaviorName: "全勤", Period: jifen.Month, Times: 1}) {
		t.Errorf("caps %+v", res.CapsHit)
	}
	res = run(t, strings.Replace(base, "max: 1000", "max: 80", 1))
	// e1: 40 (Oct, its own month), then 40, 30 → 70, 20 cut to 10, 20 dropped.
	if m := member(res, "e1"); m.Simulated != 80 {
		t.Errorf("e1 under a net cap %+v", m)
	}
	if res.Effect.Cut != 1 || res.Effect.Dropped != 1 || len(res.CapsHit) != 1 || res.CapsHit[0].Points != 30 ||
		res.CapsHit[0].Cut != 1 || res.CapsHit[0].Dropped != 1 {
		t.Errorf("net cap: %+v %+v", res.Effect, res.CapsHit)
	}
	if c := category(res, "attendance"); c.Actual != 55 || c.Simulated != 25 {
		t.Errorf("attendance %+v", c)
	}
}

// A removed behavior: 全勤's entries are dropped and reported; the thanks
// scheme removed drops the thanks.
func TestRemovedBehavior(t *testing.T) {
	res := run(t, strings.Replace(base, "        - {id: full, name: 全勤, points: 20}\n", "", 1))
	if len(res.Removed) != 1 || res.Removed[0] != (simulate.Removed{Behavior: "full", Name: "全勤", Reason: "behavior_removed", Entries: 3, Points: 60}) {
		t.Errorf("removed %+v", res.Removed)
	}
	if len(res.Changes) != 1 || !res.Changes[0].Removed {
		t.Errorf("changes %+v", res.Changes)
	}
	if res.Totals.Net.Simulated != 157-60 || res.Totals.Entries.Simulated != res.Totals.Entries.Actual-3 {
		t.Errorf("totals %+v", res.Totals)
	}
	if m := member(res, "e3"); m.Simulated != 0 || m.SimulatedRank != 4 || m.Change != -2 {
		t.Errorf("e3 %+v", m)
	}
	if sp := res.Spread.Departments.Simulated; sp.Low != "生产部" || sp.LowHead != 3.5 {
		t.Errorf("spread %+v", sp)
	}
	res = run(t, strings.Replace(base, "  thanks: {behavior: thanks, period: month, allowance: 20, max_per_thanks: 5}\n", "", 1))
	if len(res.Removed) != 1 || res.Removed[0].Reason != "thanks_disabled" || res.Removed[0].Points != 5 {
		t.Errorf("thanks disabled %+v", res.Removed)
	}
}

func TestBadPeriod(t *testing.T) {
	opt := simulate.Options{Location: loc, Now: now, Current: catalog(t, base), Proposed: catalog(t, base)}
	dec := jifen.PeriodOf(jifen.Month, time.Date(2026, 12, 20, 0, 0, 0, 0, loc), loc)
	jan := jifen.PeriodOf(jifen.Month, time.Date(2027, 1, 2, 0, 0, 0, 0, loc), loc)
	if _, err := simulate.Run(company(), dec, opt); err != nil {
		t.Errorf("the current month: %v", err)
	}
	var je *jifen.Error
	if _, err := simulate.Run(company(), jan, opt); !errors.As(err, &je) || je.Key != "err.report_not_begun" {
		t.Errorf("a month not begun: %v", err)
	}
	week := jifen.PeriodOf(jifen.Week, now, loc)
	if _, err := simulate.Run(company(), week, opt); !errors.As(err, &je) || je.Key != "err.report_period" {
		t.Errorf("a week: %v", err)
	}
}
