package report

import (
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// The scan is the one pass over the ledger: a year report reads millions of
// entries, so what it does per entry is kept to slice arithmetic. Each
// receiver, behavior, category and department is numbered when first met
// (one map look-up; the store hands out an entry's receiver string anew
// each time, but entries come by receiver, so the last one is remembered),
// periods are found by comparing Unix milliseconds with bounds computed once
// (periodIndex), and the counters add to slices by those numbers. finish
// turns them into the maps by id that the figures read.

// counters accumulate one period. The scan adds to the dense fields (by the
// scan's numbers: see names); finish fills the maps by id from them.
type counters struct {
	net, plus, minus int64
	entries          int
	spend            map[string]*Spending
	spent            int64

	// Filled by finish, by id.
	byMember     map[string]int64
	received     map[string]int // positive entries not revoked
	byCat, byBeh map[string]int64
	catN, behN   map[string]int
	behDept      map[string]map[string]int64 // behavior → department → |points|
	deptCat      map[deptCat]int64           // department × category → points

	// Filled by the scan. The slices by receiver, behavior and category
	// grow as the names are numbered (names.grow).
	names     *names
	rcvPts    []int64   // receiver → points
	rcvGot    []int     // receiver → positive entries not revoked
	behPts    []int64   // behavior → points
	behCount  []int     // behavior → entries, net of revokes
	catPts    []int64   // category → points
	catCount  []int     // category → entries, net of revokes
	behDepts  [][]int64 // behavior → department → |points|
	deptCats  [][]int64 // department → category → points, grown on use
	memberBeh [][]int64 // receiver → behavior → points, grown on use
	// slots: the uses of each behavior limit (names.limits) by each
	// receiver, at receiver × len(names.limits) + limit, by limit period:
	// a receiver uses a limit in few periods, so a short list each.
	slots [][]slotUse
}

// deptCat keys the department × category sums.
type deptCat struct{ dept, cat string }

// slotUse is a receiver's uses of a behavior limit in one of its periods
// (the limit kind's periodIndex id): times and |points|, net of revokes.
type slotUse struct {
	period        int32
	times, points int64
}

func newCounters() *counters {
	return &counters{spend: map[string]*Spending{},
		byMember: map[string]int64{}, received: map[string]int{}, byCat: map[string]int64{}, byBeh: map[string]int64{},
		catN: map[string]int{}, behN: map[string]int{}, behDept: map[string]map[string]int64{}, deptCat: map[deptCat]int64{}}
}

// behaviorPoints are member id's points by behavior id (every behavior the
// member had an entry of, and a few more at 0).
func (c *counters) behaviorPoints(id string) map[string]int64 {
	out := map[string]int64{}
	if c.names == nil {
		return out
	}
	r, ok := c.names.receiver[id]
	if !ok || int(r) >= len(c.memberBeh) {
		return out
	}
	for b, v := range c.memberBeh[r] {
		if v != 0 {
			out[c.names.behaviors[b]] = v
		}
	}
	return out
}

// finish fills the maps by id from the dense counts.
func (c *counters) finish() {
	n := c.names
	for r, v := range c.rcvPts {
		if v != 0 {
			c.byMember[n.receivers[r]] = v
		}
	}
	for r, v := range c.rcvGot {
		if v != 0 {
			c.received[n.receivers[r]] = v
		}
	}
	for b, id := range n.behaviors {
		if id == "" {
			continue
		}
		c.byBeh[id], c.behN[id] = c.behPts[b], c.behCount[b]
		byDept := map[string]int64{}
		for d, v := range c.behDepts[b] {
			byDept[n.depts[d]] = v
		}
		c.behDept[id] = byDept
	}
	for k, id := range n.categories {
		if id == "" {
			continue
		}
		c.byCat[id], c.catN[id] = c.catPts[k], c.catCount[k]
	}
	for d, row := range c.deptCats {
		for k, v := range row {
			c.deptCat[deptCat{n.depts[d], n.categories[k]}] = v
		}
	}
}

// names numbers the receivers, behaviors, categories and departments the
// scan meets, in the order met (departments: every member's, up front).
type names struct {
	receiver             map[string]int32
	receivers            []string
	rcvDept              []int32 // receiver → department
	behavior, category   map[string]int32
	behaviors            []string
	categories           []string
	depts                []string
	dept                 map[string]int32
	deptOf               map[string]string // member → department, as Analyze gives it
	counters             [2]*counters      // grown with the names
	lastRcv              string            // the last receiver met, and its number
	lastRcvN             int32
	haveLast             bool
	limits               []limitRef   // every limit of the catalog's behaviors
	behLimits            [][]limitRef // behavior → its catalog limits
	behPolicy, catPolicy [][]int      // behavior, category → the policies that target it by that
	lastCat              []catMemo    // behavior → the category last met with it
}

type catMemo struct {
	name string
	n    int32
	ok   bool
}

// limitRef is one limit of a catalog behavior: its index in names.limits,
// the behavior's index in the catalog and the limit's in the behavior's,
// and the periods it counts in.
type limitRef struct {
	n, behavior, limit int32
	periods            *periodIndex
}

func (n *names) receiverOf(id string) int32 {
	if n.haveLast && id == n.lastRcv {
		return n.lastRcvN
	}
	r, ok := n.receiver[id]
	if !ok {
		r = int32(len(n.receivers))
		n.receiver[id] = r
		n.receivers = append(n.receivers, id)
		n.rcvDept = append(n.rcvDept, n.dept[n.deptOf[id]])
		for _, c := range n.counters {
			c.rcvPts, c.rcvGot = append(c.rcvPts, 0), append(c.rcvGot, 0)
			c.slots = append(c.slots, make([][]slotUse, len(n.limits))...)
		}
	}
	n.lastRcv, n.lastRcvN, n.haveLast = id, r, true
	return r
}

// grow makes row long enough for index i.
func grow[T any](row []T, i int32) []T {
	if int(i) < len(row) {
		return row
	}
	return append(row, make([]T, int(i)+1-len(row))...)
}

// scan reads the ledger once into the counters of the period and of the
// previous one, the net points of every month (for policies and the trend),
// the uses of each policy's behavior around its date, and the ledger's
// earliest effective time.
type scan struct {
	p, prev          jifen.Period
	from, to         int64 // p's bounds, Unix milliseconds
	prevFrom, prevTo int64 // prev's
	cat              *rules.Catalog
	loc              *time.Location
	names            *names
	cur, old         *counters
	months           *periodIndex
	monthNets        []int64   // month → net points
	monthGots        [][]int32 // month → receiver → positive entries in the period
	limitPeriods     map[jifen.PeriodKind]*periodIndex
	catalogLimits    map[string][]limitRef // catalog behavior id → its limits
	first            time.Time             // the earliest effective time: months before it have no data
	policyUse        []policyWindow
	monthNet         map[string]int64 // by month key, filled by finish
}

// policyWindow counts the uses of a policy's targeted behaviors, net of
// revokes: before and after its date by receiver (who stopped), and by
// month and receiver over the months its windows can cover, [from, to).
// The scan counts by receiver number and month id; finish fills the maps.
type policyWindow struct {
	before, after map[string]int
	from, to      time.Time
	months        map[string]map[string]int // month → receiver → uses
	earliest      time.Time                 // the policy's date less three months

	rcvBefore, rcvAfter []int   // receiver → uses
	rcvMonths           [][]int // month → receiver → uses
}

func newScan(p, prev jifen.Period, cat *rules.Catalog, loc *time.Location, dept map[string]string) *scan {
	sc := &scan{p: p, prev: prev, cat: cat, loc: loc, cur: newCounters(), old: newCounters(),
		from: p.Start.UnixMilli(), to: p.End.UnixMilli(), prevFrom: prev.Start.UnixMilli(), prevTo: prev.End.UnixMilli(),
		months: newPeriodIndex(jifen.Month, loc), limitPeriods: map[jifen.PeriodKind]*periodIndex{}, catalogLimits: map[string][]limitRef{},
		policyUse: make([]policyWindow, len(cat.Policies))}
	for i, pol := range cat.Policies {
		month := jifen.PeriodOf(jifen.Month, pol.Date, loc).Start
		sc.policyUse[i] = policyWindow{before: map[string]int{}, after: map[string]int{},
			from: month.AddDate(0, -3, 0), to: month.AddDate(0, 3, 0), months: map[string]map[string]int{}, earliest: pol.Date.AddDate(0, -3, 0)}
	}
	nm := &names{receiver: map[string]int32{}, behavior: map[string]int32{}, category: map[string]int32{}, dept: map[string]int32{},
		deptOf: dept, counters: [2]*counters{sc.cur, sc.old}}
	for bi, b := range cat.Behaviors {
		if _, ok := sc.catalogLimits[b.ID]; ok {
			continue // Catalog.Behavior finds the first of an id
		}
		refs := []limitRef{}
		for i, lim := range b.Limits {
			x := sc.limitPeriods[lim.Period]
			if x == nil {
				x = newPeriodIndex(lim.Period, loc)
				sc.limitPeriods[lim.Period] = x
			}
			ref := limitRef{n: int32(len(nm.limits)), behavior: int32(bi), limit: int32(i), periods: x}
			refs = append(refs, ref)
			nm.limits = append(nm.limits, ref)
		}
		sc.catalogLimits[b.ID] = refs
	}
	addDept := func(d string) {
		if _, ok := nm.dept[d]; !ok {
			nm.dept[d] = int32(len(nm.depts))
			nm.depts = append(nm.depts, d)
		}
	}
	addDept("") // receivers who are not members, or bots
	for _, d := range dept {
		addDept(d)
	}
	for _, c := range nm.counters {
		c.names = nm
		c.deptCats = make([][]int64, len(nm.depts))
	}
	sc.names = nm
	return sc
}

// behaviorOf numbers behavior id, the first time with its limits and the
// policies that target it.
func (sc *scan) behaviorOf(id string) int32 {
	n := sc.names
	b, ok := n.behavior[id]
	if ok {
		return b
	}
	b = int32(len(n.behaviors))
	n.behavior[id] = b
	n.behaviors = append(n.behaviors, id)
	var limits []limitRef
	if sc.cat.Behavior(id) != nil {
		limits = sc.catalogLimits[id]
	}
	n.behLimits = append(n.behLimits, limits)
	var pols []int
	for i, pol := range sc.cat.Policies {
		if pol.Targets(id, "") {
			pols = append(pols, i)
		}
	}
	n.behPolicy = append(n.behPolicy, pols)
	n.lastCat = append(n.lastCat, catMemo{})
	for _, c := range n.counters {
		c.behPts, c.behCount = append(c.behPts, 0), append(c.behCount, 0)
		c.behDepts = append(c.behDepts, make([]int64, len(n.depts)))
	}
	return b
}

// categoryOf numbers category id as met with behavior b; a behavior's
// entries mostly have one category, so the last is remembered.
func (sc *scan) categoryOf(id string, b int32) int32 {
	n := sc.names
	if m := n.lastCat[b]; m.ok && m.name == id {
		return m.n
	}
	k, ok := n.category[id]
	if !ok {
		k = int32(len(n.categories))
		n.category[id] = k
		n.categories = append(n.categories, id)
		var pols []int
		for i, pol := range sc.cat.Policies {
			if pol.Targets("", id) {
				pols = append(pols, i)
			}
		}
		n.catPolicy = append(n.catPolicy, pols)
		for _, c := range n.counters {
			c.catPts, c.catCount = append(c.catPts, 0), append(c.catCount, 0)
		}
	}
	n.lastCat[b] = catMemo{name: id, n: k, ok: true}
	return k
}

// monthOf is the month that holds the entry effective at t (ms: its Unix
// milliseconds), as a periodIndex id of sc.months.
func (sc *scan) monthOf(t time.Time, ms int64) int32 {
	m := sc.months.of(t, ms)
	for int(m) >= len(sc.monthNets) {
		sc.monthNets = append(sc.monthNets, 0)
		sc.monthGots = append(sc.monthGots, nil)
	}
	return m
}

func (sc *scan) add(e *jifen.Entry) error {
	if sc.first.IsZero() || e.Effective.Before(sc.first) {
		sc.first = e.Effective
	}
	ms := e.Effective.UnixMilli()
	b := sc.behaviorOf(e.Behavior)
	k := sc.categoryOf(e.Category, b)
	r := sc.names.receiverOf(e.Receiver)
	month := int32(-1)
	if e.Kind != jifen.KindRedeem && !strings.HasPrefix(e.Behavior, "reward:") {
		month = sc.monthOf(e.Effective, ms)
		sc.monthNets[month] += e.Points
		if pols := sc.names.behPolicy[b]; len(pols) > 0 {
			for _, i := range pols {
				sc.usePolicy(i, e, r, month)
			}
		}
		if pols := sc.names.catPolicy[k]; len(pols) > 0 {
			for _, i := range pols {
				if !sc.cat.Policies[i].Targets(e.Behavior, "") { // not counted above
					sc.usePolicy(i, e, r, month)
				}
			}
		}
	}
	var c *counters
	switch {
	case ms >= sc.from && ms < sc.to:
		c = sc.cur
	case ms >= sc.prevFrom && ms < sc.prevTo:
		c = sc.old
	default:
		return nil
	}
	if item, ok := strings.CutPrefix(e.Behavior, "reward:"); ok && (e.Kind == jifen.KindRedeem || e.Kind == jifen.KindRevoke) {
		s := c.spend[item]
		if s == nil {
			s = &Spending{Item: item, Name: item}
			if r := sc.cat.Reward(item); r != nil {
				s.Name = r.Name
			}
			c.spend[item] = s
		}
		units := max(1, e.Quantity)
		if e.Kind == jifen.KindRevoke {
			units = -units
		}
		s.Units += units
		s.Points -= e.Points
		c.spent -= e.Points
		return nil
	}
	if e.Kind == jifen.KindRedeem {
		return nil
	}
	sign := 1
	if e.Kind == jifen.KindRevoke {
		sign = -1
	}
	// A revoke takes its points back from the side the reversed entry
	// was on: awarded or deducted.
	c.net += e.Points
	if orig := e.Points * int64(sign); orig > 0 {
		c.plus += e.Points
		c.rcvGot[r] += sign
		if c == sc.cur {
			if month < 0 {
				month = sc.monthOf(e.Effective, ms)
			}
			got := sc.monthGots[month]
			for int(r) >= len(got) {
				got = append(got, make([]int32, len(sc.names.receivers)-len(got))...)
			}
			got[r] += int32(sign)
			sc.monthGots[month] = got
		}
	} else {
		c.minus -= e.Points
	}
	c.entries += sign
	c.rcvPts[r] += e.Points
	d := sc.names.rcvDept[r]
	if e.Category != "" {
		c.catPts[k] += e.Points
		c.catCount[k] += sign
		row := grow(c.deptCats[d], k)
		row[k] += e.Points
		c.deptCats[d] = row
	}
	if e.Behavior != "" {
		c.behPts[b] += e.Points
		c.behCount[b] += sign
		for int(r) >= len(c.memberBeh) {
			c.memberBeh = append(c.memberBeh, nil)
		}
		row := grow(c.memberBeh[r], b)
		row[b] += e.Points
		c.memberBeh[r] = row
		pts := abs(e.Points) * int64(sign)
		c.behDepts[b][d] += pts
		for _, lim := range sc.names.behLimits[b] {
			c.useSlot(int(r)*len(sc.names.limits)+int(lim.n), lim.periods.of(e.Effective, ms), int64(sign), pts)
		}
	}
	return nil
}

// useSlot adds a use (times, points) of a limit's slot in period.
func (c *counters) useSlot(i int, period int32, times, points int64) {
	uses := c.slots[i]
	for j := range uses {
		if uses[j].period == period {
			uses[j].times += times
			uses[j].points += points
			return
		}
	}
	c.slots[i] = append(uses, slotUse{period: period, times: times, points: points})
}

// usePolicy counts entry e, of receiver r, in month, towards policy i's
// windows.
func (sc *scan) usePolicy(i int, e *jifen.Entry, r, month int32) {
	date := sc.cat.Policies[i].Date
	n := 1
	if e.Kind == jifen.KindRevoke {
		n = -1
	}
	use := &sc.policyUse[i]
	switch {
	case !e.Effective.Before(use.earliest) && e.Effective.Before(date):
		use.rcvBefore = grow(use.rcvBefore, r)
		use.rcvBefore[r] += n
	case !e.Effective.Before(date) && e.Effective.Before(sc.p.End):
		use.rcvAfter = grow(use.rcvAfter, r)
		use.rcvAfter[r] += n
	}
	if !e.Effective.Before(use.from) && e.Effective.Before(use.to) {
		use.rcvMonths = grow(use.rcvMonths, month)
		use.rcvMonths[month] = grow(use.rcvMonths[month], r)
		use.rcvMonths[month][r] += n
	}
}

// finish fills the maps by id once the ledger is read.
func (sc *scan) finish() {
	sc.cur.finish()
	sc.old.finish()
	sc.monthNet = make(map[string]int64, len(sc.monthNets))
	for m, v := range sc.monthNets {
		sc.monthNet[sc.months.list[m].Key] = v
	}
	rcv := sc.names.receivers
	for i := range sc.policyUse {
		use := &sc.policyUse[i]
		for r, n := range use.rcvBefore {
			if n != 0 {
				use.before[rcv[r]] = n
			}
		}
		for r, n := range use.rcvAfter {
			if n != 0 {
				use.after[rcv[r]] = n
			}
		}
		for m, uses := range use.rcvMonths {
			if uses == nil {
				continue
			}
			byRcv := map[string]int{}
			for r, n := range uses {
				if n != 0 {
					byRcv[rcv[r]] = n
				}
			}
			use.months[sc.months.list[m].Key] = byRcv
		}
	}
}

// gotIn is, for the month of key, how many positive entries (net of
// revokes) a member received in it, by id; the months of the period only.
func (sc *scan) gotIn(key string) func(id string) int {
	var row []int32
	if m, ok := sc.months.byKey[key]; ok && int(m) < len(sc.monthGots) {
		row = sc.monthGots[m]
	}
	return func(id string) int {
		r, ok := sc.names.receiver[id]
		if !ok || int(r) >= len(row) {
			return 0
		}
		return int(row[r])
	}
}

// periodIndex finds the period of one kind that holds an instant by
// comparing Unix milliseconds with the bounds of the periods met so far;
// jifen.PeriodOf, which converts to the zone and formats a key, runs once
// per period rather than once per entry. Only periods that PeriodOf gives
// for every instant of their range go into the comparison (exact): in a
// zone whose offset changes within a period, that period's instants take
// PeriodOf each time. Bounds are whole seconds, so comparing milliseconds
// (floored) is exact. A period's id stands for its key, as everywhere in
// the figures: where daylight saving starts at midnight, PeriodOf can give
// two weeks of one key, and they are one period here.
type periodIndex struct {
	kind jifen.PeriodKind
	loc  *time.Location
	list []jifen.Period // by id, in the order met
	// byKey: id by key; all: the kind is AllTime (or unknown), one period.
	byKey map[string]int32
	all   bool
	// The exact periods by start: ids and bounds.
	order        []int32
	starts, ends []int64
}

func newPeriodIndex(kind jifen.PeriodKind, loc *time.Location) *periodIndex {
	x := &periodIndex{kind: kind, loc: loc, byKey: map[string]int32{}}
	if p := jifen.PeriodOf(kind, time.Time{}, loc); p.Kind == jifen.AllTime {
		x.all = true
		x.list, x.byKey[p.Key] = []jifen.Period{p}, 0
	}
	return x
}

// of is the id of the period that holds t; ms is t's Unix milliseconds.
func (x *periodIndex) of(t time.Time, ms int64) int32 {
	if x.all {
		return 0
	}
	lo, hi := 0, len(x.ends)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x.ends[m] <= ms {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(x.starts) && x.starts[lo] <= ms {
		return x.order[lo]
	}
	p := jifen.PeriodOf(x.kind, t, x.loc)
	id, ok := x.byKey[p.Key]
	if ok {
		return id // a period that is not exact
	}
	id = int32(len(x.list))
	x.list = append(x.list, p)
	x.byKey[p.Key] = id
	if exact(p, x.loc) {
		// lo is p's place: the periods before it end by ms, the one at
		// it (if any) starts after ms and so not before p's end.
		x.order = slices.Insert(x.order, lo, id)
		x.starts = slices.Insert(x.starts, lo, p.Start.UnixMilli())
		x.ends = slices.Insert(x.ends, lo, p.End.UnixMilli())
	}
	return id
}

// exact reports whether PeriodOf gives p for every instant of [p.Start,
// p.End): both bounds are local midnights and the zone's offset holds from
// p's start until after its end, so local dates follow the instants.
func exact(p jifen.Period, loc *time.Location) bool {
	midnight := func(t time.Time) bool {
		h, m, s := t.In(loc).Clock()
		return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
	}
	_, end := p.Start.In(loc).ZoneBounds()
	return midnight(p.Start) && midnight(p.End) && (end.IsZero() || end.After(p.End))
}
