package bot_test

// The second, deliberately naive implementation of every figure that
// TestFiguresAgainstNaiveModel checks. It is written from docs/report.md and
// the issue 15 definitions alone, from the ledger's entries and the members
// as the store gives them back, with plain loops over everything for every
// figure: no indexes, no aggregates, no code shared with report/ or store/.
// Only the domain's own definitions are used (jifen.PeriodOf, Period.Previous,
// Member.EmployedIn), since they are what the figures are defined by.

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// naive is the ledger and the directory at one clock.
type naive struct {
	loc      *time.Location
	now      time.Time
	members  []jifen.Member // the whole directory, bots included, by id
	entries  []jifen.Entry  // every entry, as stored
	reversed map[uint64]bool
	first    time.Time      // the earliest effective time; zero for an empty ledger
	ratings  []jifen.Rating // everything HR imported
	kpis     []jifen.KPI
	memo     map[string]map[string]int64 // period → member → points
	staff    map[string][]jifen.Member   // period|department → counted members
}

func newNaive(st *store.Store, now time.Time) (*naive, error) {
	n := &naive{loc: st.Location(), now: now, members: st.Members(), reversed: map[uint64]bool{}, memo: map[string]map[string]int64{}, staff: map[string][]jifen.Member{}}
	err := st.ForEachEntry(func(e *jifen.Entry) error {
		n.entries = append(n.entries, *e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.ratings, n.kpis = st.AllRatings(), st.AllKPIs()
	sort.Slice(n.members, func(i, j int) bool { return n.members[i].ID < n.members[j].ID })
	for _, e := range n.entries {
		if e.Kind == jifen.KindRevoke {
			n.reversed[e.Reverses] = true
		}
		if n.first.IsZero() || e.Effective.Before(n.first) {
			n.first = e.Effective
		}
	}
	return n, nil
}

func (n *naive) member(id string) jifen.Member {
	for _, m := range n.members {
		if m.ID == id {
			return m
		}
	}
	return jifen.Member{ID: id}
}

// earns reports whether an entry counts in earned points (spending does not).
func earns(e jifen.Entry) bool {
	return e.Kind != jifen.KindRedeem && !strings.HasPrefix(e.Behavior, "reward:")
}

// live lists the earning entries effective in p that stand: not revokes and
// not revoked. Counting those is the same as counting everything with the
// revokes subtracted, which is how the store and the report count.
func (n *naive) live(p jifen.Period) []jifen.Entry {
	var out []jifen.Entry
	for _, e := range n.entries {
		if e.Kind == jifen.KindRevoke || n.reversed[e.ID] || !earns(e) {
			continue
		}
		if !e.Effective.Before(p.Start) && e.Effective.Before(p.End) {
			out = append(out, e)
		}
	}
	return out
}

// points is a member's net points in p: the sum of every earning entry
// effective in p, revokes included (they carry the negated points). The
// sums of a period are kept once computed, only to keep the test fast.
func (n *naive) points(id string, p jifen.Period) int64 {
	sums, ok := n.memo[p.Key]
	if !ok {
		sums = map[string]int64{}
		for _, e := range n.entries {
			if earns(e) && !e.Effective.Before(p.Start) && e.Effective.Before(p.End) {
				sums[e.Receiver] += e.Points
			}
		}
		n.memo[p.Key] = sums
	}
	return sums[id]
}

// counted lists the members employed during p, of one department or all.
// The lists are kept once computed, only to keep the test fast.
func (n *naive) counted(p jifen.Period, dept string) []jifen.Member {
	k := p.Key + "|" + dept
	if out, ok := n.staff[k]; ok {
		return out
	}
	out := []jifen.Member{}
	for _, m := range n.members {
		if n.daysEmployed(m, p) > 0 && (dept == "" || m.Department == dept) {
			out = append(out, m)
		}
	}
	n.staff[k] = out
	return out
}

// days are the local days of p that have begun by now: all of them once
// p is over; up to and including today while it runs.
func (n *naive) days(p jifen.Period) []time.Time {
	start := p.Start
	if floor := time.Date(2020, 1, 1, 0, 0, 0, 0, n.loc); start.Before(floor) {
		start = floor // all time: nobody here is older than that
	}
	var out []time.Time
	for d := start; d.Before(p.End) && !d.After(n.now); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// workedOn reports whether m worked on the local day d, comparing dates as
// text: joined ≤ d ≤ left.
func (n *naive) workedOn(m jifen.Member, d time.Time) bool {
	if m.Bot {
		return false
	}
	day := d.In(n.loc).Format(time.DateOnly)
	if !m.Joined.IsZero() && m.Joined.Format(time.DateOnly) > day {
		return false
	}
	return m.Left.IsZero() || m.Left.Format(time.DateOnly) >= day
}

// daysEmployed counts the days of p so far on which m worked.
func (n *naive) daysEmployed(m jifen.Member, p jifen.Period) int {
	c := 0
	for _, d := range n.days(p) {
		if n.workedOn(m, d) {
			c++
		}
	}
	return c
}

// throughout reports whether m worked on every day of p so far.
func (n *naive) throughout(m jifen.Member, p jifen.Period) bool {
	return n.daysEmployed(m, p) == len(n.days(p))
}

// monthly is the mean of each member's points per 30 days worked in p so
// far.
func (n *naive) monthly(ms []jifen.Member, p jifen.Period) float64 {
	var xs []float64
	for _, m := range ms {
		if d := n.daysEmployed(m, p); d > 0 {
			xs = append(xs, float64(n.points(m.ID, p))*30/float64(d))
		}
	}
	return round2(mean(xs))
}

// rank is a member's competition rank among scope in p (1 + how many have
// strictly more points); ok is false when the member is not in scope.
func (n *naive) rank(id string, p jifen.Period, scope []jifen.Member) (rank int, ok bool) {
	for _, m := range scope {
		if m.ID == id {
			ok = true
		}
	}
	if !ok {
		return 0, false
	}
	mine := n.points(id, p)
	rank = 1
	for _, m := range scope {
		if n.points(m.ID, p) > mine {
			rank++
		}
	}
	return rank, true
}

// boardRow is one line of a leaderboard.
type boardRow struct {
	ID       string
	Name     string
	Rank     int
	Points   int64
	Movement string // scheduled posts only: new, ↑k, ↓k, —
}

// board is a leaderboard of p: members of scope with points > 0, highest
// first, ties by id, at most top. With movement, each row says how the
// member moved against the previous period in the same scope.
func (n *naive) board(p jifen.Period, dept string, top int, movement bool, newWord string) []boardRow {
	scope := n.counted(p, dept)
	var rows []boardRow
	for _, m := range scope {
		if pts := n.points(m.ID, p); pts > 0 {
			r, _ := n.rank(m.ID, p, scope)
			rows = append(rows, boardRow{ID: m.ID, Name: m.Name, Rank: r, Points: pts})
		}
	}
	// insertion sort: points descending, then id
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0; j-- {
			a, b := rows[j-1], rows[j]
			if a.Points > b.Points || a.Points == b.Points && a.ID < b.ID {
				break
			}
			rows[j-1], rows[j] = b, a
		}
	}
	if len(rows) > top {
		rows = rows[:top]
	}
	if movement {
		prev := p.Previous(n.loc)
		prevScope := n.counted(prev, dept)
		for i := range rows {
			before, ok := n.rank(rows[i].ID, prev, prevScope)
			switch {
			case !ok:
				rows[i].Movement = newWord
			case before > rows[i].Rank:
				rows[i].Movement = "↑" + itoa(before-rows[i].Rank)
			case before < rows[i].Rank:
				rows[i].Movement = "↓" + itoa(rows[i].Rank-before)
			default:
				rows[i].Movement = "—"
			}
		}
	}
	return rows
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	s := ""
	for ; v > 0; v /= 10 {
		s = string(rune('0'+v%10)) + s
	}
	return s
}

// The expected report, field by field as the JSON has them.

type nPerson struct {
	ID, Name, Dept string
	Points         int64
}

type nGroup struct {
	Name        string
	Members     int
	Average     float64
	Top, Bottom []nPerson
}

type nShare struct {
	ID, Name string
	Points   int64
	Share    float64
	Previous int64
	Entries  int
}

type nDept struct {
	Name                 string
	Members              int
	Total                int64
	Average, PrevAverage float64
	Change               *float64
}

type nLevel struct {
	Name          string
	Members       int
	Average       float64
	Monthly       float64
	Participation float64 // received a standing positive entry in the period
}

type nMove struct {
	nPerson
	From, To int
	Drivers  []string // "behavior points−previous=gained", the two that moved them most
}

type nTarget struct {
	ID, Name, Metric string
	Actual, Min, Max *float64
	Met              *bool
	Gap              *float64
	Status           string
}

type nPolicy struct {
	ID, Name      string
	Before, After float64
	Months        [2]int
	Change        *float64
	// What the policy targets: its uses per member per month, who
	// stopped (ids, at most 20) and who changed most ("id b→a").
	RateBefore, RateAfter, RateChange *float64
	Occurrences                       [2]int
	StoppedCount                      int
	Stopped, Cases                    []string
}

type nCap struct {
	Behavior, Name, Period string
	Times                  int
	Points                 int64
	Hits, Receivers        int
	Share                  float64
}

type nConc struct {
	Behavior, Name, Dept string
	Share                float64
}

// nMonth is one month of a period's trend.
type nMonth struct {
	Month                 string
	Points, Participation float64
	AvgRating             *float64
}

// nSpread is the highest against the lowest group per head.
type nSpread struct {
	High, Low string
	Spread    float64
	Ratio     *float64
}

// nRestricted is a category only some departments earn in.
type nRestricted struct {
	ID               string
	Points           int64
	Earning, Without []string
}

// nCoachDept is a department well behind the company per head.
type nCoachDept struct {
	Name                             string
	Members                          int
	PerHead                          float64
	Category                         string
	CategoryPerHead, CompanyCategory float64
}

// nCoachMember is a member below zero and what cost them most.
type nCoachMember struct {
	ID       string
	Net      int64
	Behavior string
	Points   int64
}

// nPerHead is a group's points per head.
type nPerHead struct {
	Name    string
	Members int
	Total   int64
	PerHead float64
}

// nKPI is an imported business figure beside the points of its scope.
type nKPI struct {
	Name, Department string
	Value            float64
	Previous, Change *float64
	Points           int64
}

// kpiFigures lists the KPIs of p by name, then department.
func (n *naive) kpiFigures(p jifen.Period, comparable bool) []nKPI {
	prev := p.Previous(n.loc)
	out := []nKPI{}
	for _, k := range n.kpis {
		if k.Period != p.Key {
			continue
		}
		f := nKPI{Name: k.Name, Department: k.Department, Value: k.Value}
		for _, o := range n.kpis {
			if o.Period == prev.Key && o.Name == k.Name && o.Department == k.Department {
				v := o.Value
				f.Previous = &v
				if comparable {
					f.Change = change(o.Value, k.Value)
				}
			}
		}
		for _, m := range n.counted(p, k.Department) {
			f.Points += n.points(m.ID, p)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].Department < out[j].Department
	})
	return out
}

// nRatings are the points-against-ratings figures.
type nRatings struct {
	Rated              int
	Spearman, Previous *float64
	HighPoints         []nPerson
	Trend              []nTrend
	Source             string
	TopQuarter         int
	HighPointsShare    *float64
	TrendAgreement     *string
}

type nTrend struct {
	Period    string
	Points    float64
	AvgRating *float64
}

// spearman is the rank correlation of xs and ys, ties given the average of
// the ranks they span; nil with fewer than two pairs or no variance.
func spearman(xs, ys []float64) *float64 {
	if len(xs) < 2 {
		return nil
	}
	ranks := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i := range v {
			below, same := 0, 0
			for j := range v {
				switch {
				case v[j] < v[i]:
					below++
				case v[j] == v[i]:
					same++
				}
			}
			out[i] = float64(below) + float64(same+1)/2
		}
		return out
	}
	rx, ry := ranks(xs), ranks(ys)
	mx, my := mean(rx), mean(ry)
	var sxy, sxx, syy float64
	for i := range rx {
		sxy += (rx[i] - mx) * (ry[i] - my)
		sxx += (rx[i] - mx) * (rx[i] - mx)
		syy += (ry[i] - my) * (ry[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return nil
	}
	v := round4(sxy / math.Sqrt(sxx*syy))
	return &v
}

// ratingsOf are the ratings HR imported for a period.
func (n *naive) ratingsOf(p jifen.Period) []jifen.Rating {
	rs, _ := n.ratingsWithSource(p)
	return rs
}

// imported are the ratings HR imported for exactly the period key.
func (n *naive) imported(key string) []jifen.Rating {
	var out []jifen.Rating
	for _, r := range n.ratings {
		if r.Period == key {
			out = append(out, r)
		}
	}
	return out
}

// ratingsWithSource: p's own ratings; else, for a quarter or a year, each
// member's plain mean over the months of p; else, for a year, over its
// quarters.
func (n *naive) ratingsWithSource(p jifen.Period) ([]jifen.Rating, string) {
	if rs := n.imported(p.Key); len(rs) > 0 {
		return rs, "period"
	}
	mean := func(keys []string) []jifen.Rating {
		scores := map[string][]float64{}
		var order []string
		for _, k := range keys {
			for _, r := range n.imported(k) {
				if _, seen := scores[r.Member]; !seen {
					order = append(order, r.Member)
				}
				scores[r.Member] = append(scores[r.Member], r.Score)
			}
		}
		var out []jifen.Rating
		for _, id := range order {
			sum := 0.0
			for _, v := range scores[id] {
				sum += v
			}
			out = append(out, jifen.Rating{Member: id, Period: p.Key, Score: sum / float64(len(scores[id]))})
		}
		return out
	}
	var months, quarters []string
	for _, m := range n.months(p) {
		months = append(months, m.Key)
		if q := jifen.PeriodOf(jifen.Quarter, m.Start, n.loc); len(quarters) == 0 || quarters[len(quarters)-1] != q.Key {
			quarters = append(quarters, q.Key)
		}
	}
	if p.Kind == jifen.Quarter || p.Kind == jifen.Year {
		if rs := mean(months); len(rs) > 0 {
			return rs, "months"
		}
	}
	if p.Kind == jifen.Year {
		if rs := mean(quarters); len(rs) > 0 {
			return rs, "quarters"
		}
	}
	return nil, ""
}

// rated are a period's ratings of its counted members.
func (n *naive) rated(p jifen.Period) []jifen.Rating {
	var out []jifen.Rating
	for _, r := range n.ratingsOf(p) {
		for _, m := range n.counted(p, "") {
			if m.ID == r.Member {
				out = append(out, r)
			}
		}
	}
	return out
}

func (n *naive) correlation(p jifen.Period) *float64 {
	var xs, ys []float64
	for _, r := range n.rated(p) {
		xs = append(xs, float64(n.points(r.Member, p)))
		ys = append(ys, r.Score)
	}
	return spearman(xs, ys)
}

// ratingFigures relates the points of p to its ratings; nil when HR
// imported none for p.
func (n *naive) ratingFigures(p jifen.Period) *nRatings {
	if len(n.ratingsOf(p)) == 0 {
		return nil
	}
	prev := p.Previous(n.loc)
	rated := n.rated(p)
	out := &nRatings{Rated: len(rated), Spearman: n.correlation(p), Previous: n.correlation(prev), HighPoints: []nPerson{}}
	var pts, scores []float64
	for _, r := range rated {
		pts = append(pts, float64(n.points(r.Member, p)))
		scores = append(scores, r.Score)
	}
	q3, median := quartileInc(pts, 0.75), quartileInc(scores, 0.5)
	for _, r := range rated {
		v := float64(n.points(r.Member, p))
		if v > 0 && v >= q3 {
			out.TopQuarter++
		}
		if v > 0 && v >= q3 && r.Score <= median {
			out.HighPoints = append(out.HighPoints, n.person(n.member(r.Member), p))
		}
	}
	if out.TopQuarter > 0 {
		v := round4(float64(len(out.HighPoints)) / float64(out.TopQuarter))
		out.HighPointsShare = &v
	}
	_, out.Source = n.ratingsWithSource(p)
	sort.Slice(out.HighPoints, func(i, j int) bool {
		a, b := out.HighPoints[i], out.HighPoints[j]
		return a.Points > b.Points || a.Points == b.Points && a.ID < b.ID
	})
	for _, q := range []jifen.Period{prev.Previous(n.loc), prev, p} {
		var net int64
		for _, e := range n.live(q) {
			net += e.Points
		}
		tp := nTrend{Period: q.Key}
		months := 0 // begun by now
		for _, m := range n.months(q) {
			if !n.now.Before(m.Start) {
				months++
			}
		}
		if heads := len(n.counted(q, "")); heads > 0 && months > 0 {
			tp.Points = round2(float64(net) / float64(heads) / float64(months))
		}
		if rs := n.ratingsOf(q); len(rs) > 0 {
			var xs []float64
			for _, r := range rs {
				xs = append(xs, r.Score)
			}
			v := round2(mean(xs))
			tp.AvgRating = &v
		}
		out.Trend = append(out.Trend, tp)
	}
	// Agreement: first and last trend periods with ratings.
	var withRatings []nTrend
	for i, tp := range out.Trend {
		start := []jifen.Period{prev.Previous(n.loc), prev, p}[i].Start
		if tp.AvgRating != nil && len(n.entries) > 0 && !n.first.After(start) {
			withRatings = append(withRatings, tp)
		}
	}
	if k := len(withRatings); k >= 2 {
		dp := withRatings[k-1].Points - withRatings[0].Points
		dr := *withRatings[k-1].AvgRating - *withRatings[0].AvgRating
		v := "flat"
		if dp != 0 && dr != 0 {
			v = "disagree"
			if (dp > 0) == (dr > 0) {
				v = "agree"
			}
		}
		out.TrendAgreement = &v
	}
	return out
}

type naiveReport struct {
	Period, Previous         string
	From, To, AsOf           time.Time
	Members, PreviousMembers int
	Complete                 bool
	Months                   int
	Comparable               bool
	Reasons                  []string // the reasons that apply; any of them is right

	Awarded, Deducted, Net, PreviousNet int64
	Change                              *float64
	Entries                             int
	ByCategory, ByBehavior              []nShare
	Unused                              []string
	CapsHit                             []nCap
	Concentrated                        []nConc

	Departments  []nDept
	MatrixCats   []string
	Matrix       map[string][]int64 // department → points by category
	ByDepartment []nGroup
	ByRole       []nGroup

	Quartiles                   [5]float64 // Min, Q1, Median, Q3, Max
	Participation, Average      float64
	ByLevel                     []nLevel
	NewMembers, Others          nLevel
	NewAmbiguous                bool // someone joined exactly six months before the end
	Climbers, Fallers           []nMove
	Targets                     []nTarget
	Policies                    []nPolicy
	Ratings                     *nRatings
	Monthly                     []nMonth
	PrevAverage                 *float64
	PrevParticipation           *float64
	FairDept, FairRole          []nPerHead
	DeptSpread, RoleSpread      *nSpread
	Restricted                  []nRestricted
	CompanyPerHead              float64
	CoachDepts                  []nCoachDept
	CoachMembers                []nCoachMember
	KPIs                        []nKPI
	EmptyLedger                 bool
	PreviousCounted, CountedIDs []string
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// change is (after − before) / |before|, rounded to four decimals; nil
// when before is zero.
func change(before, after float64) *float64 {
	if before == 0 {
		return nil
	}
	v := round4((after - before) / math.Abs(before))
	return &v
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// quartileInc is QUARTILE.INC: the q-th quantile of the values, linearly
// interpolated between the closest ranks of the sorted values.
func quartileInc(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	h := q * float64(len(s)-1)
	lo := int(h)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

func absInt(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// months lists the calendar months of p.
func (n *naive) months(p jifen.Period) []jifen.Period {
	var out []jifen.Period
	for m := jifen.PeriodOf(jifen.Month, p.Start, n.loc); m.Start.Before(p.End); m = jifen.PeriodOf(jifen.Month, m.End, n.loc) {
		out = append(out, m)
	}
	return out
}

func (n *naive) person(m jifen.Member, p jifen.Period) nPerson {
	return nPerson{ID: m.ID, Name: m.Name, Dept: m.Department, Points: n.points(m.ID, p)}
}

// sortByPoints orders members by points in p, highest first, then by id.
func (n *naive) sortByPoints(ms []jifen.Member, p jifen.Period) []jifen.Member {
	out := append([]jifen.Member(nil), ms...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0; j-- {
			a, b := n.points(out[j-1].ID, p), n.points(out[j].ID, p)
			if a > b || a == b && out[j-1].ID < out[j].ID {
				break
			}
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}

func (n *naive) average(ms []jifen.Member, p jifen.Period) float64 {
	return round2(n.exactAverage(ms, p))
}

// exactAverage is the average before rounding: changes are computed from
// it, not from the rounded figures shown.
func (n *naive) exactAverage(ms []jifen.Member, p jifen.Period) float64 {
	if len(ms) == 0 {
		return 0
	}
	var sum int64
	for _, m := range ms {
		sum += n.points(m.ID, p)
	}
	return float64(sum) / float64(len(ms))
}

func (n *naive) group(name string, ms []jifen.Member, p jifen.Period) nGroup {
	g := nGroup{Name: name, Members: len(ms), Average: n.average(ms, p)}
	sorted := n.sortByPoints(ms, p)
	for i := 0; i < len(sorted) && i < 3; i++ {
		g.Top = append(g.Top, n.person(sorted[i], p))
	}
	for i := len(sorted) - 1; i >= len(g.Top) && len(g.Bottom) < 3; i-- {
		g.Bottom = append(g.Bottom, n.person(sorted[i], p))
	}
	return g
}

// names lists the distinct values of key over ms, sorted, leaving out "".
func names(ms []jifen.Member, key func(jifen.Member) string) []string {
	var out []string
	for _, m := range ms {
		k := key(m)
		found := k == ""
		for _, o := range out {
			found = found || o == k
		}
		if !found {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func only(ms []jifen.Member, keep func(jifen.Member) bool) []jifen.Member {
	var out []jifen.Member
	for _, m := range ms {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// report computes the expected summary of p at n.now.
func (n *naive) report(p jifen.Period, cat *rules.Catalog) naiveReport {
	loc := n.loc
	prev := p.Previous(loc)
	cur, old := n.counted(p, ""), n.counted(prev, "")
	r := naiveReport{Period: p.Key, Previous: prev.Key, From: p.Start, To: p.End,
		Members: len(cur), PreviousMembers: len(old), Complete: p.Over(n.now), EmptyLedger: len(n.entries) == 0}
	r.AsOf = n.now
	if r.Complete {
		r.AsOf = p.End
	}
	for _, m := range n.months(p) {
		if !n.now.Before(m.Start) {
			r.Months++
		}
	}
	if len(n.entries) == 0 {
		r.Reasons = append(r.Reasons, "no_data")
	}
	if !p.Over(n.now) {
		r.Reasons = append(r.Reasons, "current")
	}
	if len(n.entries) > 0 && n.first.After(prev.Start) {
		r.Reasons = append(r.Reasons, "previous_partial")
	}
	r.Comparable = len(r.Reasons) == 0
	for _, m := range cur {
		r.CountedIDs = append(r.CountedIDs, m.ID)
	}
	for _, m := range old {
		r.PreviousCounted = append(r.PreviousCounted, m.ID)
	}

	// Points.
	entries, prevEntries := n.live(p), n.live(prev)
	for _, e := range entries {
		if e.Points > 0 {
			r.Awarded += e.Points
		} else {
			r.Deducted -= e.Points
		}
		r.Net += e.Points
		r.Entries++
	}
	for _, e := range prevEntries {
		r.PreviousNet += e.Points
	}
	if r.Comparable {
		r.Change = change(float64(r.PreviousNet), float64(r.Net))
	}
	share := func(v int64) float64 {
		if r.Awarded+r.Deducted == 0 {
			return 0
		}
		return round4(float64(absInt(v)) / float64(r.Awarded+r.Deducted))
	}
	sum := func(es []jifen.Entry, keep func(jifen.Entry) bool) (pts int64, count int) {
		for _, e := range es {
			if keep(e) {
				pts += e.Points
				count++
			}
		}
		return pts, count
	}
	for _, c := range cat.Categories {
		of := func(e jifen.Entry) bool { return e.Category == c.ID }
		pts, k := sum(entries, of)
		before, _ := sum(prevEntries, of)
		r.ByCategory = append(r.ByCategory, nShare{ID: c.ID, Name: c.Name, Points: pts, Share: share(pts), Previous: before, Entries: k})
	}
	for _, b := range cat.Behaviors {
		of := func(e jifen.Entry) bool { return e.Behavior == b.ID }
		pts, k := sum(entries, of)
		if k == 0 {
			r.Unused = append(r.Unused, b.Name)
			continue
		}
		before, _ := sum(prevEntries, of)
		r.ByBehavior = append(r.ByBehavior, nShare{ID: b.ID, Name: b.Name, Points: pts, Share: share(pts), Previous: before, Entries: k})
	}
	for i := 1; i < len(r.ByBehavior); i++ { // stable: |points| descending
		for j := i; j > 0 && absInt(r.ByBehavior[j].Points) > absInt(r.ByBehavior[j-1].Points); j-- {
			r.ByBehavior[j], r.ByBehavior[j-1] = r.ByBehavior[j-1], r.ByBehavior[j]
		}
	}

	// Caps: receiver × limit-period slots at a behavior's limit.
	for _, b := range cat.Behaviors {
		receivers := map[string]bool{}
		for _, e := range entries {
			if e.Behavior == b.ID {
				receivers[e.Receiver] = true
			}
		}
		for _, lim := range b.Limits {
			times, pts := map[string]int{}, map[string]int64{}
			for _, e := range entries {
				if e.Behavior == b.ID {
					k := e.Receiver + "|" + jifen.PeriodOf(lim.Period, e.Effective, loc).Key
					times[k]++
					pts[k] += absInt(e.Points)
				}
			}
			hits, hit := 0, map[string]bool{}
			for k := range times {
				if lim.Times > 0 && times[k] >= lim.Times || lim.Points > 0 && pts[k] >= lim.Points {
					hits++
					hit[strings.Split(k, "|")[0]] = true
				}
			}
			if hits > 0 {
				r.CapsHit = append(r.CapsHit, nCap{Behavior: b.ID, Name: b.Name, Period: string(lim.Period), Times: lim.Times,
					Points: lim.Points, Hits: hits, Receivers: len(receivers), Share: round4(float64(len(hit)) / float64(max(1, len(receivers))))})
			}
		}
	}
	// Concentration: used five times or more, 80% of the points from one department.
	for _, b := range cat.Behaviors {
		byDept := map[string]int64{}
		var total int64
		k := 0
		for _, e := range entries {
			if e.Behavior == b.ID {
				byDept[n.member(e.Receiver).Department] += absInt(e.Points)
				total += absInt(e.Points)
				k++
			}
		}
		if k < 5 || total == 0 {
			continue
		}
		best, bestDept := int64(-1), ""
		for _, d := range names(n.members, func(m jifen.Member) string { return m.Department }) {
			if byDept[d] > best {
				best, bestDept = byDept[d], d
			}
		}
		if float64(best)/float64(total) >= 0.8 {
			r.Concentrated = append(r.Concentrated, nConc{Behavior: b.ID, Name: b.Name, Dept: bestDept, Share: round4(float64(best) / float64(total))})
		}
	}

	// Departments, matrix and groups, over the counted members.
	dept := func(m jifen.Member) string { return m.Department }
	for _, c := range cat.Categories {
		r.MatrixCats = append(r.MatrixCats, c.Name)
	}
	r.Matrix = map[string][]int64{}
	for _, d := range names(cur, dept) {
		ms := only(cur, func(m jifen.Member) bool { return m.Department == d })
		pms := only(old, func(m jifen.Member) bool { return m.Department == d })
		var total int64
		for _, m := range ms {
			total += n.points(m.ID, p)
		}
		nd := nDept{Name: d, Members: len(ms), Total: total, Average: n.average(ms, p), PrevAverage: n.average(pms, prev)}
		if r.Comparable {
			nd.Change = change(n.exactAverage(pms, prev), n.exactAverage(ms, p))
		}
		r.Departments = append(r.Departments, nd)
		r.ByDepartment = append(r.ByDepartment, n.group(d, ms, p))
		row := make([]int64, len(cat.Categories))
		for i, c := range cat.Categories {
			for _, e := range entries {
				if e.Category == c.ID && n.member(e.Receiver).Department == d {
					row[i] += e.Points
				}
			}
		}
		r.Matrix[d] = row
	}
	for _, role := range names(cur, func(m jifen.Member) string { return string(m.Role) }) {
		r.ByRole = append(r.ByRole, n.group(role, only(cur, func(m jifen.Member) bool { return string(m.Role) == role }), p))
	}

	// Distribution.
	var xs []float64
	got := 0
	for _, m := range cur {
		xs = append(xs, float64(n.points(m.ID, p)))
		for _, e := range entries {
			if e.Receiver == m.ID && e.Points > 0 {
				got++
				break
			}
		}
	}
	if len(xs) > 0 {
		r.Quartiles = [5]float64{quartileInc(xs, 0), quartileInc(xs, 0.25), quartileInc(xs, 0.5), quartileInc(xs, 0.75), quartileInc(xs, 1)}
		r.Participation = round4(float64(got) / float64(len(cur)))
	}
	r.Average = n.average(cur, p)
	for _, l := range names(cur, func(m jifen.Member) string { return m.Level }) {
		ms := only(cur, func(m jifen.Member) bool { return m.Level == l })
		r.ByLevel = append(r.ByLevel, nLevel{Name: l, Members: len(ms), Average: n.average(ms, p), Monthly: n.monthly(ms, p), Participation: n.participation(ms, p)})
	}
	cutoff := p.End.AddDate(0, -6, 0)
	var newcomers, others []jifen.Member
	for _, m := range cur {
		joined := time.Date(m.Joined.Year(), m.Joined.Month(), m.Joined.Day(), 0, 0, 0, 0, loc)
		switch {
		case m.Joined.IsZero() || joined.Before(cutoff):
			others = append(others, m)
		case joined.Equal(cutoff):
			r.NewAmbiguous = true
			newcomers = append(newcomers, m)
		default:
			newcomers = append(newcomers, m)
		}
	}
	r.NewMembers = nLevel{Name: "new", Members: len(newcomers), Average: n.average(newcomers, p), Monthly: n.monthly(newcomers, p), Participation: n.participation(newcomers, p)}
	r.Others = nLevel{Name: "others", Members: len(others), Average: n.average(others, p), Monthly: n.monthly(others, p), Participation: n.participation(others, p)}

	// Climbers and fallers: employed on every day of both periods (so
	// far), points in one of them; ranks among each period's counted.
	var moves []nMove
	for _, m := range cur {
		from, ok := n.rank(m.ID, prev, old)
		if !ok || n.points(m.ID, p) == 0 && n.points(m.ID, prev) == 0 || !n.throughout(m, prev) || !n.throughout(m, p) {
			continue
		}
		to, _ := n.rank(m.ID, p, cur)
		moves = append(moves, nMove{nPerson: n.person(m, p), From: from, To: to})
	}
	sortMoves(moves, func(m nMove) int { return m.From - m.To }) // by rise
	for _, mv := range moves {
		if len(r.Climbers) < 3 && mv.From > mv.To {
			mv.Drivers = n.drivers(mv.ID, p, prev, 1)
			r.Climbers = append(r.Climbers, mv)
		}
	}
	sortMoves(moves, func(m nMove) int { return m.To - m.From }) // by drop
	for _, mv := range moves {
		if len(r.Fallers) < 3 && mv.To > mv.From {
			mv.Drivers = n.drivers(mv.ID, p, prev, -1)
			r.Fallers = append(r.Fallers, mv)
		}
	}

	// Targets.
	for _, tg := range cat.Targets {
		nt := nTarget{ID: tg.ID, Name: tg.Name, Metric: tg.Metric, Min: tg.Min, Max: tg.Max}
		switch tg.Metric {
		case rules.MetricAvgMonthlyPoints:
			v := round2(float64(r.Net) / float64(max(1, len(cur))) / float64(max(1, r.Months)))
			nt.Actual = &v
		case rules.MetricParticipation:
			v := r.Participation
			nt.Actual = &v
		case rules.MetricCategoryGrowth:
			if r.Comparable {
				var now, before int64
				for _, s := range r.ByCategory {
					if s.ID == tg.Category {
						now, before = s.Points, s.Previous
					}
				}
				nt.Actual = change(float64(before), float64(now))
			}
		}
		nt.Status = "insufficient_data"
		if a := nt.Actual; a != nil {
			met := (tg.Min == nil || *a >= *tg.Min) && (tg.Max == nil || *a <= *tg.Max)
			nt.Met = &met
			nt.Status = "missed"
			if met {
				nt.Status = "met"
			}
			var gap float64
			switch {
			case tg.Min != nil && (*a < *tg.Min || tg.Max == nil):
				gap = *a - *tg.Min
			case tg.Max != nil:
				gap = *a - *tg.Max
			}
			gap = round4(gap)
			nt.Gap = &gap
		}
		r.Targets = append(r.Targets, nt)
	}

	// Policies: points per counted member per month, before and after.
	monthFigure := func(m jifen.Period) float64 {
		var net int64
		for _, e := range n.live(m) {
			net += e.Points
		}
		return float64(net) / float64(max(1, len(n.counted(m, ""))))
	}
	for _, pol := range cat.Policies {
		month := jifen.PeriodOf(jifen.Month, pol.Date, loc)
		if !pol.Date.Before(p.End) || n.now.Before(month.Start) {
			continue
		}
		var before, after []float64
		m := month
		for range 3 {
			m = m.Previous(loc)
			if len(n.entries) == 0 || m.End.After(n.first) {
				before = append(before, monthFigure(m))
			}
		}
		for m, k := month, 0; k < 3 && m.Start.Before(p.End) && !n.now.Before(m.Start); m, k = jifen.PeriodOf(jifen.Month, m.End, loc), k+1 {
			after = append(after, monthFigure(m))
		}
		np := nPolicy{ID: pol.ID, Name: pol.Name, Before: round2(mean(before)), After: round2(mean(after)), Months: [2]int{len(before), len(after)}}
		np.Change = change(mean(before), mean(after))
		n.policyTargets(&np, pol, month, p, cur)
		r.Policies = append(r.Policies, np)
	}
	r.Ratings = n.ratingFigures(p)
	r.KPIs = n.kpiFigures(p, r.Comparable)
	// Each month begun: net points a head and participation among the
	// month's own counted members.
	for _, m := range n.months(p) {
		if n.now.Before(m.Start) {
			continue
		}
		var net int64
		for _, e := range n.live(m) {
			net += e.Points
		}
		heads := n.counted(m, "")
		nm := nMonth{Month: m.Key, Participation: n.participation(heads, m)}
		if len(heads) > 0 {
			nm.Points = round2(float64(net) / float64(len(heads)))
		}
		if rs := n.imported(m.Key); len(rs) > 0 {
			var xs []float64
			for _, r := range rs {
				xs = append(xs, r.Score)
			}
			v := round2(mean(xs))
			nm.AvgRating = &v
		}
		r.Monthly = append(r.Monthly, nm)
	}
	if r.Comparable {
		avg, part := n.average(old, prev), n.participation(old, prev)
		r.PrevAverage, r.PrevParticipation = &avg, &part
	}
	// Fairness: points a head by department (members with one) and by role.
	perHead := func(key func(jifen.Member) string) []nPerHead {
		var out []nPerHead
		for _, name := range names(cur, key) {
			if name == "" {
				continue
			}
			ms := only(cur, func(m jifen.Member) bool { return key(m) == name })
			var total int64
			for _, m := range ms {
				total += n.points(m.ID, p)
			}
			out = append(out, nPerHead{Name: name, Members: len(ms), Total: total, PerHead: round2(float64(total) / float64(len(ms)))})
		}
		return out
	}
	r.FairDept = perHead(func(m jifen.Member) string { return m.Department })
	r.FairRole = perHead(func(m jifen.Member) string { return string(m.Role) })
	r.DeptSpread, r.RoleSpread = spreadOf(r.FairDept), spreadOf(r.FairRole)
	n.restrictedAndCoaching(&r, cat, p, cur)
	return r
}

// spreadOf is the highest against the lowest group per head (exact, not
// rounded); on a tie the highest is the first by name, the lowest the
// last. Groups come sorted by name.
func spreadOf(gs []nPerHead) *nSpread {
	if len(gs) < 2 {
		return nil
	}
	exact := func(g nPerHead) float64 { return float64(g.Total) / float64(g.Members) }
	hi, lo := gs[0], gs[0]
	for _, g := range gs[1:] {
		if exact(g) > exact(hi) {
			hi = g
		}
		if exact(g) <= exact(lo) {
			lo = g
		}
	}
	out := &nSpread{High: hi.Name, Low: lo.Name, Spread: round2(exact(hi) - exact(lo))}
	if exact(lo) > 0 {
		v := round2(exact(hi) / exact(lo))
		out.Ratio = &v
	}
	return out
}

// restrictedAndCoaching finds the categories only some departments earn in
// (positive net points in fewer than half the departments, none at all in
// the others) and whom to coach: departments of three or more under three
// quarters of the company's points per head, with the open category they
// lag in most, and the members below zero with their costliest behavior.
func (n *naive) restrictedAndCoaching(r *naiveReport, cat *rules.Catalog, p jifen.Period, cur []jifen.Member) {
	restricted := map[string]bool{}
	for i, c := range cat.Categories {
		rc := nRestricted{ID: c.ID}
		negative := false
		for _, d := range r.FairDept {
			switch v := r.Matrix[d.Name][i]; {
			case v > 0:
				rc.Earning = append(rc.Earning, d.Name)
				rc.Points += v
			case v < 0:
				negative = true
			default:
				rc.Without = append(rc.Without, d.Name)
			}
		}
		if !negative && len(rc.Earning) > 0 && 2*len(rc.Earning) < len(r.FairDept) {
			r.Restricted = append(r.Restricted, rc)
			restricted[c.ID] = true
		}
	}
	var total int64
	staffed := 0
	for _, m := range cur {
		if m.Department != "" {
			total += n.points(m.ID, p)
			staffed++
		}
	}
	if staffed > 0 && len(r.FairDept) >= 2 {
		company := float64(total) / float64(staffed)
		r.CompanyPerHead = round2(company)
		for _, d := range r.FairDept {
			own := float64(d.Total) / float64(d.Members)
			if d.Members < 3 || company <= 0 || own >= 0.75*company {
				continue
			}
			cd := nCoachDept{Name: d.Name, Members: d.Members, PerHead: d.PerHead}
			best := 0.0
			for i, c := range cat.Categories {
				if restricted[c.ID] {
					continue
				}
				var all int64
				for _, o := range r.FairDept {
					all += r.Matrix[o.Name][i]
				}
				whole, mine := float64(all)/float64(staffed), float64(r.Matrix[d.Name][i])/float64(d.Members)
				if whole-mine > best+1e-9 {
					best = whole - mine
					cd.Category, cd.CategoryPerHead, cd.CompanyCategory = c.ID, round2(mine), round2(whole)
				}
			}
			r.CoachDepts = append(r.CoachDepts, cd)
		}
		sort.SliceStable(r.CoachDepts, func(i, j int) bool {
			a, b := r.CoachDepts[i], r.CoachDepts[j]
			return a.PerHead < b.PerHead || a.PerHead == b.PerHead && a.Name < b.Name
		})
		r.CoachDepts = r.CoachDepts[:min(3, len(r.CoachDepts))]
	}
	for _, m := range cur {
		net := n.points(m.ID, p)
		if net >= 0 {
			continue
		}
		by := map[string]int64{}
		for _, e := range n.entries {
			if earns(e) && e.Receiver == m.ID && e.Behavior != "" && !e.Effective.Before(p.Start) && e.Effective.Before(p.End) {
				by[e.Behavior] += e.Points
			}
		}
		cm := nCoachMember{ID: m.ID, Net: net}
		var ids []string
		for b := range by {
			ids = append(ids, b)
		}
		sort.Strings(ids)
		for _, b := range ids {
			if by[b] < cm.Points {
				cm.Behavior, cm.Points = b, by[b]
			}
		}
		r.CoachMembers = append(r.CoachMembers, cm)
	}
	sort.SliceStable(r.CoachMembers, func(i, j int) bool {
		a, b := r.CoachMembers[i], r.CoachMembers[j]
		return a.Net < b.Net || a.Net == b.Net && a.ID < b.ID
	})
}

// sortMoves orders moves by size descending, then id, by insertion.
func sortMoves(moves []nMove, size func(nMove) int) {
	for i := 1; i < len(moves); i++ {
		for j := i; j > 0; j-- {
			a, b := moves[j-1], moves[j]
			if size(a) > size(b) || size(a) == size(b) && a.ID < b.ID {
				break
			}
			moves[j-1], moves[j] = b, a
		}
	}
}

// targeted reports whether a standing entry is one a policy names, by its
// behavior or its category.
func targeted(pol rules.Policy, e jifen.Entry) bool {
	if e.Behavior != "" && e.Behavior == pol.Behavior {
		return true
	}
	for _, b := range pol.Behaviors {
		if e.Behavior != "" && e.Behavior == b {
			return true
		}
	}
	for _, c := range pol.Categories {
		if e.Category != "" && e.Category == c {
			return true
		}
	}
	return false
}

// policyTargets fills what a policy did to what it targets: the standing
// entries of its behaviors per counted member per month, month by month
// over the same months as the points; the counted members with such an
// entry in the three months before the date and none from it to the
// period's end; and the three whose uses per month moved most.
func (n *naive) policyTargets(np *nPolicy, pol rules.Policy, month, p jifen.Period, cur []jifen.Member) {
	if pol.Behavior == "" && len(pol.Behaviors) == 0 && len(pol.Categories) == 0 {
		return
	}
	uses := func(id string, from, to time.Time) int {
		k := 0
		for _, e := range n.entries {
			if e.Kind == jifen.KindRevoke || n.reversed[e.ID] || !earns(e) || !targeted(pol, e) || id != "" && e.Receiver != id {
				continue
			}
			if !e.Effective.Before(from) && e.Effective.Before(to) {
				k++
			}
		}
		return k
	}
	// The same months as the points: before, up to three and not before
	// the ledger; after, up to three, begun and within the period.
	var before, after []jifen.Period
	m := month
	for range 3 {
		m = m.Previous(n.loc)
		if m.End.After(n.first) {
			before = append(before, m)
		}
	}
	for m, k := month, 0; k < 3 && m.Start.Before(p.End) && !n.now.Before(m.Start); m, k = jifen.PeriodOf(jifen.Month, m.End, n.loc), k+1 {
		after = append(after, m)
	}
	rate := func(ms []jifen.Period) (float64, int) {
		var xs []float64
		total := 0
		for _, m := range ms {
			k := uses("", m.Start, m.End)
			total += k
			xs = append(xs, float64(k)/float64(max(1, len(n.counted(m, "")))))
		}
		return mean(xs), total
	}
	rb, nb := rate(before)
	ra, na := rate(after)
	rb4, ra4 := round4(rb), round4(ra)
	np.RateBefore, np.RateAfter, np.RateChange, np.Occurrences = &rb4, &ra4, change(rb, ra), [2]int{nb, na}
	type moved struct {
		id, text string
		by       float64
	}
	var moves []moved
	for _, mm := range cur {
		if uses(mm.ID, pol.Date.AddDate(0, -3, 0), pol.Date) > 0 && uses(mm.ID, pol.Date, p.End) == 0 {
			np.StoppedCount++
			if len(np.Stopped) < 20 {
				np.Stopped = append(np.Stopped, mm.ID)
			}
		}
		if len(before) == 0 || len(after) == 0 {
			continue
		}
		b := uses(mm.ID, before[len(before)-1].Start, before[0].End)
		a := uses(mm.ID, after[0].Start, after[len(after)-1].End)
		by := math.Abs(float64(b)/float64(len(before)) - float64(a)/float64(len(after)))
		if by > 0 {
			moves = append(moves, moved{mm.ID, fmt.Sprintf("%s %d→%d", mm.ID, b, a), by})
		}
	}
	sort.SliceStable(moves, func(i, j int) bool {
		return moves[i].by > moves[j].by || moves[i].by == moves[j].by && moves[i].id < moves[j].id
	})
	for i := 0; i < len(moves) && i < 3; i++ {
		np.Cases = append(np.Cases, moves[i].text)
	}
}

// drivers are the two behaviors whose points of member id rose most
// (sign 1) or fell most (sign −1) from prev to p, ties by behavior id.
func (n *naive) drivers(id string, p, prev jifen.Period, sign int64) []string {
	sum := func(q jifen.Period) map[string]int64 {
		out := map[string]int64{}
		for _, e := range n.entries {
			if earns(e) && e.Receiver == id && e.Behavior != "" && !e.Effective.Before(q.Start) && e.Effective.Before(q.End) {
				out[e.Behavior] += e.Points
			}
		}
		return out
	}
	now, then := sum(p), sum(prev)
	var ids []string
	for _, m := range []map[string]int64{now, then} {
		for b := range m {
			if (now[b]-then[b])*sign > 0 && !slices.Contains(ids, b) {
				ids = append(ids, b)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		gi, gj := (now[ids[i]]-then[ids[i]])*sign, (now[ids[j]]-then[ids[j]])*sign
		return gi > gj || gi == gj && ids[i] < ids[j]
	})
	var out []string
	for _, b := range ids[:min(2, len(ids))] {
		out = append(out, fmt.Sprintf("%s %d−%d=%d", b, now[b], then[b], now[b]-then[b]))
	}
	return out
}

// participation is the share of ms with a standing positive entry in p.
func (n *naive) participation(ms []jifen.Member, p jifen.Period) float64 {
	if len(ms) == 0 {
		return 0
	}
	got, live := 0, n.live(p)
	for _, m := range ms {
		for _, e := range live {
			if e.Receiver == m.ID && e.Points > 0 {
				got++
				break
			}
		}
	}
	return round4(float64(got) / float64(len(ms)))
}
