package simulate

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// rec is what a revoke needs of the entry it reverses: its giver and kind
// (for the allowance it drew from) and its simulated points. recs are
// appended in id order, so they are found by binary search.
type rec struct {
	id      uint64
	sim     int64
	giver   int32 // index in replay.givers; -1 none
	kind    jifen.EntryKind
	dropped bool
}

type slotKey struct {
	member, behavior string
	limit            int
	period           string
}

type slotUse struct {
	times  int
	points int64
}

type memberPeriod struct{ member, period string }

type giverKey struct {
	giver  string
	pool   rules.Pool
	period string
}

// tally is one side's figures over the entries effective in the period.
type tally struct {
	net, plus, minus int64
	entries          int
	byMember         map[string]int64
	byCat            map[string]int64
}

func newTally() *tally { return &tally{byMember: map[string]int64{}, byCat: map[string]int64{}} }

// add counts points of an entry (sign -1 for a revoke), as the report does:
// a revoke takes its points back from the side the reversed entry was on.
func (t *tally) add(receiver, category string, points int64, sign int) {
	t.net += points
	if points*int64(sign) > 0 {
		t.plus += points
	} else {
		t.minus -= points
	}
	t.entries += sign
	t.byMember[receiver] += points
	if category != "" {
		t.byCat[category] += points
	}
}

type replay struct {
	p         jifen.Period
	loc       *time.Location
	opt       Options
	prop      *rules.Catalog
	members   map[string]jifen.Member
	all       []jifen.Member
	teamSizes map[string]map[string]int // local day → department → employed members

	recs       []rec
	givers     map[string]int32
	giverNames []string

	// last: the period of each kind last asked for, see periodOf.
	last []lastPeriod

	slots map[slotKey]*slotUse
	net   map[memberPeriod]int64
	given map[giverKey]int64

	actual, sim *tally
	caps        map[capKey]*CapHit
	removed     map[string]*Removed
	effect      Effect
}

func newReplay(p jifen.Period, opt Options, members []jifen.Member) *replay {
	r := &replay{p: p, loc: opt.Location, opt: opt, prop: opt.Proposed, members: map[string]jifen.Member{}, all: members,
		teamSizes: map[string]map[string]int{}, givers: map[string]int32{}, slots: map[slotKey]*slotUse{},
		net: map[memberPeriod]int64{}, given: map[giverKey]int64{}, actual: newTally(), sim: newTally(),
		caps: map[capKey]*CapHit{}, removed: map[string]*Removed{}}
	for _, m := range members {
		r.members[m.ID] = m
	}
	return r
}

func (r *replay) giverIndex(id string) int32 {
	if id == "" {
		return -1
	}
	i, ok := r.givers[id]
	if !ok {
		i = int32(len(r.giverNames))
		r.givers[id] = i
		r.giverNames = append(r.giverNames, id)
	}
	return i
}

func (r *replay) find(id uint64) *rec {
	i := sort.Search(len(r.recs), func(i int) bool { return r.recs[i].id >= id })
	if i < len(r.recs) && r.recs[i].id == id {
		return &r.recs[i]
	}
	return nil
}

type lastPeriod struct {
	kind jifen.PeriodKind
	p    jifen.Period
}

// periodOf is jifen.PeriodOf(k, at, r.loc). Entries come in recording
// order, so most fall in the period of the entry before: that is kept for
// each kind, and computed again only when at is outside it.
func (r *replay) periodOf(k jifen.PeriodKind, at time.Time) jifen.Period {
	for i := range r.last {
		if l := &r.last[i]; l.kind == k {
			if !l.p.Contains(at) {
				l.p = jifen.PeriodOf(k, at, r.loc)
			}
			return l.p
		}
	}
	p := jifen.PeriodOf(k, at, r.loc)
	r.last = append(r.last, lastPeriod{k, p})
	return p
}

// category is where an entry's points go under the proposed catalog: its
// behavior's category there, else the category it was recorded in.
func (r *replay) category(e *jifen.Entry) string {
	if b := r.prop.Behavior(e.Behavior); b != nil {
		return b.Category
	}
	return e.Category
}

func (r *replay) add(e *jifen.Entry) error {
	if !e.Effective.Before(r.p.End) {
		return nil
	}
	if e.Kind == jifen.KindRedeem || strings.HasPrefix(e.Behavior, "reward:") {
		return nil
	}
	in := r.p.Contains(e.Effective)
	switch e.Kind {
	case jifen.KindRevoke:
		o := r.find(e.Reverses)
		if o == nil {
			return nil
		}
		if in {
			r.actual.add(e.Receiver, e.Category, e.Points, -1)
		}
		if o.dropped {
			if d := r.removed[e.Behavior]; d != nil && in {
				d.Entries--
				d.Points += e.Points
			}
			return nil
		}
		giver := ""
		if o.giver >= 0 {
			giver = r.giverNames[o.giver]
		}
		pts := -o.sim
		r.use(e.Receiver, e.Behavior, giver, o.kind, e.Effective, pts, -1)
		if in {
			r.sim.add(e.Receiver, r.category(e), pts, -1)
		}
		return nil
	case jifen.KindImport, jifen.KindAdjust:
		r.recs = append(r.recs, rec{id: e.ID, sim: e.Points, giver: r.giverIndex(e.Giver), kind: e.Kind})
		r.use(e.Receiver, e.Behavior, e.Giver, e.Kind, e.Effective, e.Points, 1)
		if in {
			r.actual.add(e.Receiver, e.Category, e.Points, 1)
			r.sim.add(e.Receiver, r.category(e), e.Points, 1)
		}
		return nil
	case jifen.KindAward, jifen.KindDeduct, jifen.KindThanks:
	default:
		return nil
	}
	if in {
		r.actual.add(e.Receiver, e.Category, e.Points, 1)
	}
	pts, ok := r.value(e, in)
	r.recs = append(r.recs, rec{id: e.ID, sim: pts, giver: r.giverIndex(e.Giver), kind: e.Kind, dropped: !ok})
	if !ok {
		return nil
	}
	r.use(e.Receiver, e.Behavior, e.Giver, e.Kind, e.Effective, pts, 1)
	if in {
		r.sim.add(e.Receiver, r.category(e), pts, 1)
		if pts != e.Points {
			r.effect.Changed++
		}
	}
	return nil
}

// value is what an award, deduction or thanks is worth under the proposed
// catalog, after its limits; ok false drops it. in: the entry is effective
// in the period, so its removals and caps are reported.
func (r *replay) value(e *jifen.Entry, in bool) (int64, bool) {
	b := r.prop.Behavior(e.Behavior)
	if b == nil || (e.Kind == jifen.KindThanks && r.prop.Thanks == nil) {
		if in {
			r.drop(e)
		}
		return 0, false
	}
	pts := e.Points
	if b.Fixed() {
		pts = b.Min
	} else {
		pts = min(max(pts, b.Min), b.Max)
	}
	at := e.Effective
	period := func(k jifen.PeriodKind) jifen.Period { return r.periodOf(k, at) }
	// limit applies one cap: left is what the cap still allows in
	// absolute value; times limits drop, points limits cut.
	limit := func(label Cap, who string, left int64, dropOnly bool) bool {
		need := abs(pts)
		if need <= left {
			return true
		}
		if dropOnly || left <= 0 {
			if in {
				r.hit(label, who, 0, need)
				r.effect.Dropped++
			}
			return false
		}
		if in {
			r.hit(label, who, 1, need-left)
			r.effect.Cut++
		}
		if pts < 0 {
			pts = -left
		} else {
			pts = left
		}
		return true
	}
	giver := r.members[e.Giver]
	if e.Kind == jifen.KindThanks && r.prop.Thanks.MaxPerThanks > 0 {
		if !limit(Cap{Kind: "max_per_thanks", Points: r.prop.Thanks.MaxPerThanks}, e.Giver, r.prop.Thanks.MaxPerThanks, false) {
			return 0, false
		}
	}
	a, hasAllowance := r.allowance(e, giver)
	if hasAllowance && a.MaxPerAward > 0 && pts > 0 {
		if !limit(Cap{Kind: "max_per_award", Points: a.MaxPerAward}, e.Giver, a.MaxPerAward, false) {
			return 0, false
		}
	}
	for i, l := range b.Limits {
		u := r.slots[slotKey{e.Receiver, b.ID, i, period(l.Period).Key}]
		if u == nil {
			u = &slotUse{}
		}
		if l.Times > 0 && !limit(Cap{Kind: "behavior_times", Behavior: b.ID, BehaviorName: b.Name, Period: l.Period, Times: l.Times}, e.Receiver, int64(l.Times-u.times)*abs(pts), true) {
			return 0, false
		}
		if l.Points > 0 && !limit(Cap{Kind: "behavior_points", Behavior: b.ID, BehaviorName: b.Name, Period: l.Period, Points: l.Points}, e.Receiver, l.Points-u.points, false) {
			return 0, false
		}
	}
	for _, l := range r.prop.ReceiverLimits {
		net := r.net[memberPeriod{e.Receiver, period(l.Period).Key}]
		if pts > 0 && l.Max != nil && !limit(Cap{Kind: "receiver_max", Period: l.Period, Points: *l.Max}, e.Receiver, *l.Max-net, false) {
			return 0, false
		}
		if pts < 0 && l.Min != nil && !limit(Cap{Kind: "receiver_min", Period: l.Period, Points: *l.Min}, e.Receiver, net-*l.Min, false) {
			return 0, false
		}
	}
	switch {
	case e.Kind == jifen.KindThanks && r.prop.Thanks.Allowance > 0 && pts > 0:
		th := r.prop.Thanks
		used := r.given[giverKey{e.Giver, rules.PoolThanks, period(th.Period).Key}]
		if !limit(Cap{Kind: "thanks_allowance", Period: th.Period, Points: th.Allowance}, e.Giver, th.Allowance-used, false) {
			return 0, false
		}
	case e.Kind == jifen.KindAward && hasAllowance && pts > 0:
		used := r.given[giverKey{e.Giver, rules.PoolAward, period(a.Period).Key}]
		budget := a.Budget(r.teamSize(giver.Department, e.At))
		if !limit(Cap{Kind: "allowance", Period: a.Period, Points: budget}, e.Giver, budget-used, false) {
			return 0, false
		}
	}
	return pts, true
}

// allowance is the giver's award allowance, as rules.Catalog.Check finds
// it (an admin awarding a fellow admin is held to the manager's).
func (r *replay) allowance(e *jifen.Entry, giver jifen.Member) (rules.Allowance, bool) {
	if e.Kind != jifen.KindAward {
		return rules.Allowance{}, false
	}
	a, ok := r.prop.Allowances[giver.Role]
	if !ok && giver.Role == jifen.RoleAdmin && r.members[e.Receiver].Role == jifen.RoleAdmin {
		a, ok = r.prop.Allowances[jifen.RoleManager]
	}
	return a, ok
}

// teamSize is the members of dept employed on the day of at, as the store
// counts them for a PerMember allowance.
func (r *replay) teamSize(dept string, at time.Time) int {
	day := at.In(r.loc).Format("2006-01-02")
	sizes := r.teamSizes[day]
	if sizes == nil {
		sizes = map[string]int{}
		for _, m := range r.all {
			if !m.Bot && m.EmployedOn(at, r.loc) {
				sizes[m.Department]++
			}
		}
		r.teamSizes[day] = sizes
	}
	return sizes[dept]
}

// use adds an entry's simulated points (sign -1: a revoke) to the usage the
// limits read.
func (r *replay) use(receiver, behavior, giver string, kind jifen.EntryKind, at time.Time, pts int64, sign int) {
	if b := r.prop.Behavior(behavior); b != nil {
		for i, l := range b.Limits {
			k := slotKey{receiver, b.ID, i, r.periodOf(l.Period, at).Key}
			u := r.slots[k]
			if u == nil {
				u = &slotUse{}
				r.slots[k] = u
			}
			u.times += sign
			u.points += abs(pts) * int64(sign)
		}
	}
	for _, l := range r.prop.ReceiverLimits {
		r.net[memberPeriod{receiver, r.periodOf(l.Period, at).Key}] += pts
	}
	if giver == "" {
		return
	}
	switch kind {
	case jifen.KindThanks:
		if th := r.prop.Thanks; th != nil {
			r.given[giverKey{giver, rules.PoolThanks, r.periodOf(th.Period, at).Key}] += pts
		}
	case jifen.KindAward:
		seen := map[jifen.PeriodKind]bool{}
		for _, a := range r.prop.Allowances {
			if !seen[a.Period] {
				seen[a.Period] = true
				r.given[giverKey{giver, rules.PoolAward, r.periodOf(a.Period, at).Key}] += pts
			}
		}
	}
}

func (r *replay) drop(e *jifen.Entry) {
	d := r.removed[e.Behavior]
	if d == nil {
		d = &Removed{Behavior: e.Behavior, Name: e.Behavior}
		if b := r.opt.Current.Behavior(e.Behavior); b != nil {
			d.Name = b.Name
		}
		if e.Kind == jifen.KindThanks && r.prop.Behavior(e.Behavior) != nil {
			d.Reason = "thanks_disabled"
		} else {
			d.Reason = "behavior_removed"
		}
		r.removed[e.Behavior] = d
	}
	d.Entries++
	d.Points += e.Points
	r.effect.Dropped++
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
