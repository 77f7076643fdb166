package simulate

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
)

// Result is a simulation: every figure as it happened (Actual) and as the
// proposed catalog would have made it (Simulated). It is what the JSON
// format writes (docs/simulate.md).
type Result struct {
	Period   string    `json:"period"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	AsOf     time.Time `json:"as_of"`
	Complete bool      `json:"complete"`
	// Members: the members counted in the period (docs/report.md).
	Members int `json:"members"`

	Totals       Totals    `json:"totals"`
	Effect       Effect    `json:"effect"`
	ByCategory   []Line    `json:"by_category"`
	ByDepartment []Group   `json:"by_department"`
	ByRole       []Group   `json:"by_role"`
	Spread       Spreads   `json:"spread"`
	Ranks        []Move    `json:"ranks"` // every counted member, biggest move first
	CapsHit      []CapHit  `json:"caps_hit"`
	Removed      []Removed `json:"removed"`
	Changes      []Change  `json:"changes"` // behaviors whose name or value differs between the catalogs
}

// Pair is a figure as it happened and as simulated.
type Pair struct {
	Actual    int64 `json:"actual"`
	Simulated int64 `json:"simulated"`
}

// Totals are the ledger totals over every entry effective in the period.
type Totals struct {
	Net      Pair `json:"net"`
	Awarded  Pair `json:"awarded"`
	Deducted Pair `json:"deducted"`
	Entries  Pair `json:"entries"`
}

// Effect counts what the replay did to the period's awards, deductions
// and thanks: Changed (a new value, uncut), Cut (cut by a cap), Dropped (a
// removed behavior, disabled thanks, or a cap with nothing left).
type Effect struct {
	Changed int `json:"changed"`
	Cut     int `json:"cut"`
	Dropped int `json:"dropped"`
}

// Line is one category's points.
type Line struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Pair
}

// Group is a department's or a role's counted members and points.
type Group struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
	Pair
	// Per head, rounded to two decimals.
	ActualPerHead    float64 `json:"actual_per_head"`
	SimulatedPerHead float64 `json:"simulated_per_head"`
}

// Spreads are the spreads of points per head between groups.
type Spreads struct {
	Departments SpreadPair `json:"departments"`
	Roles       SpreadPair `json:"roles"`
}

// SpreadPair is a spread as it happened and as simulated.
type SpreadPair struct {
	Actual    Spread `json:"actual"`
	Simulated Spread `json:"simulated"`
}

// Spread is the highest and lowest points per head among groups: the gap
// (high − low) and the ratio (high / low; null unless low > 0).
type Spread struct {
	High     string   `json:"high"`
	HighHead float64  `json:"high_per_head"`
	Low      string   `json:"low"`
	LowHead  float64  `json:"low_per_head"`
	Gap      float64  `json:"gap"`
	Ratio    *float64 `json:"ratio"`
}

// Move is a counted member's points and competition rank, as it happened
// and as simulated; Change is positive for a climb.
type Move struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Role       string `json:"role"`
	Pair
	ActualRank    int `json:"actual_rank"`
	SimulatedRank int `json:"simulated_rank"`
	Change        int `json:"change"`
}

// Cap names one limit of the proposed catalog. Kind is max_per_thanks,
// max_per_award, behavior_times, behavior_points, receiver_max,
// receiver_min, thanks_allowance or allowance (Points is then the budget
// of the giver's allowance).
type Cap struct {
	Kind     string `json:"kind"`
	Behavior string `json:"behavior,omitempty"`
	// BehaviorName is the behavior's name in the proposed catalog.
	BehaviorName string           `json:"behavior_name,omitempty"`
	Period       jifen.PeriodKind `json:"period,omitempty"`
	Times        int              `json:"times,omitempty"`
	Points       int64            `json:"points,omitempty"`
}

// CapHit is a member a cap would have bitten in the period: the receiver
// whose entries it cut or dropped, or, for an allowance or the size of an
// award or thanks, the giver. Points is what it took away.
type CapHit struct {
	Member     string `json:"member"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Cap        Cap    `json:"cap"`
	Cut        int    `json:"cut"`
	Dropped    int    `json:"dropped"`
	Points     int64  `json:"points"`
}

type capKey struct {
	member string
	cap    Cap
}

// Removed is a behavior whose entries of the period were dropped: its id
// is not in the proposed catalog (behavior_removed), or it records thanks
// and the proposed catalog has none (thanks_disabled). Entries and Points
// are net of revokes, as recorded.
type Removed struct {
	Behavior string `json:"behavior"`
	Name     string `json:"name"`
	Reason   string `json:"reason"`
	Entries  int    `json:"entries"`
	Points   int64  `json:"points"`
}

// Change is a behavior of the current catalog whose id is gone (Removed),
// or whose name, category or value the proposed catalog changes; From
// and To are "10" or "1~50" (negative for deductions).
type Change struct {
	Behavior string `json:"behavior"`
	Name     string `json:"name"`
	NewName  string `json:"new_name,omitempty"`
	From     string `json:"from"`
	To       string `json:"to,omitempty"`
	Category string `json:"category,omitempty"`
	NewCat   string `json:"new_category,omitempty"`
	Removed  bool   `json:"removed,omitempty"`
	Added    bool   `json:"added,omitempty"`
}

func (r *replay) hit(c Cap, member string, cut int, lost int64) {
	k := capKey{member, c}
	h := r.caps[k]
	if h == nil {
		m := r.members[member]
		h = &CapHit{Member: member, Name: m.Name, Department: m.Department, Cap: c}
		if h.Name == "" {
			h.Name = member
		}
		r.caps[k] = h
	}
	if cut > 0 {
		h.Cut++
	} else {
		h.Dropped++
	}
	h.Points += lost
}

func (r *replay) result() *Result {
	p, now, loc := r.p, r.opt.Now, r.loc
	res := &Result{Period: p.Key, From: p.Start, To: p.End, Complete: p.Over(now), AsOf: p.End, Effect: r.effect,
		ByCategory: []Line{}, ByDepartment: []Group{}, ByRole: []Group{}, Ranks: []Move{}, CapsHit: []CapHit{},
		Removed: []Removed{}, Changes: changes(r.opt.Current, r.prop)}
	if !res.Complete {
		res.AsOf = now.In(loc)
	}
	a, s := r.actual, r.sim
	res.Totals = Totals{Net: Pair{a.net, s.net}, Awarded: Pair{a.plus, s.plus}, Deducted: Pair{a.minus, s.minus},
		Entries: Pair{int64(a.entries), int64(s.entries)}}

	// Categories: the proposed catalog's, then the current one's not in
	// it, then any other recorded; those with no points either way are
	// left out unless they are in a catalog.
	seen := map[string]bool{}
	addCat := func(id, name string, always bool) {
		if seen[id] {
			return
		}
		seen[id] = true
		l := Line{ID: id, Name: name, Pair: Pair{a.byCat[id], s.byCat[id]}}
		if always || l.Actual != 0 || l.Simulated != 0 {
			res.ByCategory = append(res.ByCategory, l)
		}
	}
	for _, c := range r.prop.Categories {
		addCat(c.ID, c.Name, true)
	}
	for _, c := range r.opt.Current.Categories {
		addCat(c.ID, c.Name, true)
	}
	var rest []string
	for _, m := range []map[string]int64{a.byCat, s.byCat} {
		for id := range m {
			if !seen[id] {
				rest = append(rest, id)
			}
		}
	}
	slices.Sort(rest)
	for _, id := range rest {
		addCat(id, id, false)
	}

	// Counted members, as the report counts them.
	asOf := p.AsOf(now, loc)
	var people []jifen.Member
	for _, m := range r.all {
		if m.EmployedIn(asOf, loc) {
			people = append(people, m)
		}
	}
	res.Members = len(people)
	res.ByDepartment = groups(people, a, s, func(m jifen.Member) string { return m.Department })
	res.ByRole = groups(people, a, s, func(m jifen.Member) string { return string(m.Role) })
	res.Spread = Spreads{Departments: spreads(res.ByDepartment), Roles: spreads(res.ByRole)}

	actualRank, simRank := ranks(people, a), ranks(people, s)
	for _, m := range people {
		mv := Move{ID: m.ID, Name: m.Name, Department: m.Department, Role: string(m.Role),
			Pair: Pair{a.byMember[m.ID], s.byMember[m.ID]}, ActualRank: actualRank[m.ID], SimulatedRank: simRank[m.ID]}
		mv.Change = mv.ActualRank - mv.SimulatedRank
		res.Ranks = append(res.Ranks, mv)
	}
	slices.SortStableFunc(res.Ranks, func(x, y Move) int {
		return cmp.Or(cmp.Compare(absInt(y.Change), absInt(x.Change)), cmp.Compare(y.Change, x.Change),
			cmp.Compare(x.SimulatedRank, y.SimulatedRank), strings.Compare(x.ID, y.ID))
	})

	for _, h := range r.caps {
		res.CapsHit = append(res.CapsHit, *h)
	}
	slices.SortFunc(res.CapsHit, func(x, y CapHit) int {
		return cmp.Or(cmp.Compare(y.Points, x.Points), strings.Compare(x.Member, y.Member), strings.Compare(x.Cap.Kind, y.Cap.Kind),
			strings.Compare(x.Cap.Behavior, y.Cap.Behavior), strings.Compare(string(x.Cap.Period), string(y.Cap.Period)))
	})
	for _, d := range r.removed {
		res.Removed = append(res.Removed, *d)
	}
	slices.SortFunc(res.Removed, func(x, y Removed) int {
		return cmp.Or(cmp.Compare(abs(y.Points), abs(x.Points)), strings.Compare(x.Behavior, y.Behavior))
	})
	return res
}

// groups sums the counted members' points by key, in key order.
func groups(people []jifen.Member, a, s *tally, key func(jifen.Member) string) []Group {
	by := map[string]*Group{}
	var names []string
	for _, m := range people {
		k := key(m)
		g := by[k]
		if g == nil {
			g = &Group{Name: k}
			by[k] = g
			names = append(names, k)
		}
		g.Members++
		g.Actual += a.byMember[m.ID]
		g.Simulated += s.byMember[m.ID]
	}
	slices.Sort(names)
	out := []Group{}
	for _, n := range names {
		g := by[n]
		g.ActualPerHead = round2(float64(g.Actual) / float64(g.Members))
		g.SimulatedPerHead = round2(float64(g.Simulated) / float64(g.Members))
		out = append(out, *g)
	}
	return out
}

func spreads(gs []Group) SpreadPair {
	one := func(head func(Group) float64) Spread {
		var sp Spread
		if len(gs) == 0 {
			return sp
		}
		hi, lo := gs[0], gs[0]
		for _, g := range gs[1:] {
			if head(g) > head(hi) {
				hi = g
			}
			if head(g) < head(lo) {
				lo = g
			}
		}
		sp = Spread{High: hi.Name, HighHead: head(hi), Low: lo.Name, LowHead: head(lo), Gap: round2(head(hi) - head(lo))}
		if head(lo) > 0 {
			x := round2(head(hi) / head(lo))
			sp.Ratio = &x
		}
		return sp
	}
	return SpreadPair{Actual: one(func(g Group) float64 { return g.ActualPerHead }),
		Simulated: one(func(g Group) float64 { return g.SimulatedPerHead })}
}

// ranks are competition ranks among people: 1 + the number with strictly
// more points.
func ranks(people []jifen.Member, t *tally) map[string]int {
	return jifen.CompetitionRanks(people, func(id string) int64 { return t.byMember[id] })
}

// changes lists the behaviors the proposed catalog renames, moves, revalues,
// removes or adds, in the current catalog's order, added ones last.
func changes(cur, prop *rules.Catalog) []Change {
	out := []Change{}
	for _, b := range cur.Behaviors {
		n := prop.Behavior(b.ID)
		if n == nil {
			out = append(out, Change{Behavior: b.ID, Name: b.Name, From: valueOf(b), Removed: true})
			continue
		}
		if n.Name == b.Name && n.Category == b.Category && n.Min == b.Min && n.Max == b.Max && slices.Equal(n.Limits, b.Limits) {
			continue
		}
		c := Change{Behavior: b.ID, Name: b.Name, From: valueOf(b), To: valueOf(*n)}
		if n.Name != b.Name {
			c.NewName = n.Name
		}
		if n.Category != b.Category {
			c.Category, c.NewCat = b.Category, n.Category
		}
		out = append(out, c)
	}
	for _, n := range prop.Behaviors {
		if cur.Behavior(n.ID) == nil {
			out = append(out, Change{Behavior: n.ID, Name: n.Name, To: valueOf(n), Added: true})
		}
	}
	return out
}

// valueOf is a behavior's value and limits: "10", "1~50", "100, 1 time/month,
// 300 points/quarter".
func valueOf(b rules.Behavior) string {
	s := itoa(b.Min)
	if !b.Fixed() {
		s += "~" + itoa(b.Max)
	}
	for _, l := range b.Limits {
		if l.Times > 0 {
			s += ", " + strconv.Itoa(l.Times) + " times/" + string(l.Period)
		}
		if l.Points > 0 {
			s += ", " + itoa(l.Points) + " points/" + string(l.Period)
		}
	}
	return s
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
