package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/survey"
)

// Ledger is what the analysis reads: the entries (only the fields
// store.ScanEntries fills) and the members.
type Ledger interface {
	ScanEntries(fn func(e *jifen.Entry) error) error
	Members() []jifen.Member
}

// Summary is the period summary (小结): every figure of every section, for
// the period and the previous period of the same length. It is what the JSON
// format writes, and what every other format renders.
type Summary struct {
	Period   string    `json:"period"`
	Previous string    `json:"previous"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Members  int       `json:"members"`

	Targets      []TargetResult `json:"targets"`       // 目标回顾
	Policies     []PolicyEffect `json:"policies"`      // 激励效果
	Points       PointsFigures  `json:"points"`        // 积分管理情况
	Departments  []Department   `json:"departments"`   // 绩效成果
	Matrix       Matrix         `json:"matrix"`        // department × category
	ByDepartment []Group        `json:"by_department"` // top and bottom, like with like
	ByRole       []Group        `json:"by_role"`
	Distribution Distribution   `json:"distribution"` // data analysis
	Ratings      *RatingFigures `json:"ratings"`      // null when no ratings were imported
	KPIs         []KPIFigure    `json:"kpis"`
	Climbers     []Move         `json:"climbers"` // rank movement since the previous period
	Fallers      []Move         `json:"fallers"`
	Suggestions  []Suggestion   `json:"suggestions"` // 改进建议
	// Surveys: employee feedback (激励效果), the rounds started in the
	// period, each compared with the round before it.
	Surveys []survey.Results `json:"surveys"`
}

// TargetResult is one goal against the period's figure.
type TargetResult struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Metric string   `json:"metric"`
	Actual *float64 `json:"actual"` // null when there is no data
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Met    *bool    `json:"met"`
	Gap    *float64 `json:"gap"` // actual minus the bound it misses or meets
}

// PolicyEffect is the average monthly points per member before and after a
// dated policy, and the members who stopped incurring its behavior.
type PolicyEffect struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Date        time.Time `json:"date"`
	Description string    `json:"description,omitempty"`
	Before      float64   `json:"before"` // average monthly points per member, up to 3 months before
	After       float64   `json:"after"`  // up to 3 months from the policy's month, within the period
	Months      [2]int    `json:"months"` // how many months each average covers
	Change      *float64  `json:"change"`
	Stopped     []Person  `json:"stopped,omitempty"` // incurred the behavior before, not since
}

// PointsFigures is how points were given and spent.
type PointsFigures struct {
	Awarded      int64         `json:"awarded"`  // sum of positive points
	Deducted     int64         `json:"deducted"` // sum of deductions, positive
	Net          int64         `json:"net"`
	PreviousNet  int64         `json:"previous_net"`
	Change       *float64      `json:"change"` // net vs previous, fraction; null when undefined
	Entries      int           `json:"entries"`
	ByCategory   []Share       `json:"by_category"`
	ByBehavior   []Share       `json:"by_behavior"`
	Spent        int64         `json:"spent"`
	Spending     []Spending    `json:"spending"`
	Unused       []string      `json:"unused_rules"` // behavior names with no entry
	CapsHit      []CapHit      `json:"caps_hit"`
	Concentrated []Concentrate `json:"concentrated"`
}

// Share is one category's or behavior's points and their share of all.
type Share struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Points   int64   `json:"points"`
	Share    float64 `json:"share"` // of the absolute points of the period
	Previous int64   `json:"previous"`
	Entries  int     `json:"entries"`
}

// Spending is what one reward took.
type Spending struct {
	Item   string `json:"item"`
	Name   string `json:"name"`
	Units  int64  `json:"units"`
	Points int64  `json:"points"`
}

// CapHit is a behavior limit that receivers reached.
type CapHit struct {
	Behavior  string  `json:"behavior"`
	Name      string  `json:"name"`
	Period    string  `json:"period"`
	Times     int     `json:"times,omitempty"`
	Points    int64   `json:"points,omitempty"`
	Hits      int     `json:"hits"` // receiver × limit-period slots at the cap
	Receivers int     `json:"receivers"`
	Share     float64 `json:"share"` // of the behavior's receivers who hit it
}

// Concentrate is a behavior whose points come mostly from one department.
type Concentrate struct {
	Behavior   string  `json:"behavior"`
	Name       string  `json:"name"`
	Department string  `json:"department"`
	Share      float64 `json:"share"`
}

// Department is one department's points.
type Department struct {
	Name        string   `json:"name"`
	Members     int      `json:"members"`
	Total       int64    `json:"total"`
	Average     float64  `json:"average"`
	PrevAverage float64  `json:"previous_average"`
	Change      *float64 `json:"change"`
}

// Matrix is department × category totals.
type Matrix struct {
	Categories  []string  `json:"categories"`
	Departments []string  `json:"departments"`
	Points      [][]int64 `json:"points"` // [department][category]
}

// Group is a department's or a role's members at the top and the bottom.
type Group struct {
	Name    string   `json:"name"`
	Members int      `json:"members"`
	Average float64  `json:"average"`
	Top     []Person `json:"top"`
	Bottom  []Person `json:"bottom"`
}

// Person is a member's points in the period.
type Person struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department,omitempty"`
	Points     int64  `json:"points"`
}

// Distribution is how the points spread over the members.
type Distribution struct {
	Quartiles     Quartiles `json:"quartiles"`
	Participation float64   `json:"participation"` // share of members who received points
	Average       float64   `json:"average"`
	ByLevel       []Level   `json:"by_level"`
	NewMembers    Level     `json:"new_members"` // joined within six months of the period's end
	Others        Level     `json:"others"`
}

// Level is an average over a group of members.
type Level struct {
	Name    string  `json:"name"`
	Members int     `json:"members"`
	Average float64 `json:"average"`
}

// Move is a member's rank change between the periods.
type Move struct {
	Person
	From int `json:"from"`
	To   int `json:"to"`
}

// Suggestion is an improvement drawn from a figure; Figure says which.
type Suggestion struct {
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Figure string `json:"figure"`
}

// Options tune the analysis.
type Options struct {
	Location *time.Location
	Catalog  *rules.Catalog
	// T translates report texts (suggestions); keys report.*.
	T func(key string, args ...any) string
	// What HR imported for the period and the previous one.
	Ratings, PreviousRatings []jifen.Rating
	KPIs, PreviousKPIs       []jifen.KPI
	// RatingsOf returns the ratings of any period, for the trend; nil
	// leaves the trend out.
	RatingsOf func(period string) []jifen.Rating
	// Surveys are the results of the survey rounds started in the period.
	Surveys []survey.Results
}

// counters accumulate one period.
type counters struct {
	net, plus, minus int64
	entries          int
	byMember         map[string]int64
	received         map[string]int // positive entries not revoked
	byCat, byBeh     map[string]int64
	catN, behN       map[string]int
	behDept          map[string]map[string]int64 // behavior → department → |points|
	slots            map[string]int64            // behavior|limitIdx|receiver|slot → times
	slotPts          map[string]int64
	spend            map[string]*Spending
	spent            int64
	deptCat          map[string]int64 // department|category → points
}

func newCounters() *counters {
	return &counters{byMember: map[string]int64{}, received: map[string]int{}, byCat: map[string]int64{}, byBeh: map[string]int64{},
		catN: map[string]int{}, behN: map[string]int{}, behDept: map[string]map[string]int64{}, slots: map[string]int64{},
		slotPts: map[string]int64{}, spend: map[string]*Spending{}, deptCat: map[string]int64{}}
}

// Analyze computes the summary of period p. It reads the ledger once.
func Analyze(l Ledger, p jifen.Period, opt Options) (*Summary, error) {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	cat := opt.Catalog
	if cat == nil {
		cat = &rules.Catalog{}
	}
	t := opt.T
	if t == nil {
		t = func(key string, args ...any) string { return key + fmt.Sprint(args...) }
	}
	prev := p.Previous(loc)
	var people []jifen.Member
	dept := map[string]string{}
	for _, m := range l.Members() {
		if !m.Bot {
			people = append(people, m)
			dept[m.ID] = m.Department
		}
	}
	cur, old := newCounters(), newCounters()
	monthNet := map[string]int64{}
	var first time.Time // the earliest effective time: months before it have no data
	type window struct{ before, after map[string]int }
	policyUse := make([]window, len(cat.Policies))
	for i := range policyUse {
		policyUse[i] = window{map[string]int{}, map[string]int{}}
	}
	err := l.ScanEntries(func(e *jifen.Entry) error {
		if first.IsZero() || e.Effective.Before(first) {
			first = e.Effective
		}
		if e.Kind != jifen.KindRedeem && !strings.HasPrefix(e.Behavior, "reward:") {
			monthNet[jifen.PeriodOf(jifen.Month, e.Effective, loc).Key] += e.Points
			for i, pol := range cat.Policies {
				if pol.Behavior == "" || e.Behavior != pol.Behavior {
					continue
				}
				n := 1
				if e.Kind == jifen.KindRevoke {
					n = -1
				}
				switch {
				case !e.Effective.Before(pol.Date.AddDate(0, -3, 0)) && e.Effective.Before(pol.Date):
					policyUse[i].before[e.Receiver] += n
				case !e.Effective.Before(pol.Date) && e.Effective.Before(p.End):
					policyUse[i].after[e.Receiver] += n
				}
			}
		}
		var c *counters
		switch {
		case p.Contains(e.Effective):
			c = cur
		case prev.Contains(e.Effective):
			c = old
		default:
			return nil
		}
		if item, ok := strings.CutPrefix(e.Behavior, "reward:"); ok && (e.Kind == jifen.KindRedeem || e.Kind == jifen.KindRevoke) {
			s := c.spend[item]
			if s == nil {
				s = &Spending{Item: item, Name: item}
				if r := cat.Reward(item); r != nil {
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
			c.received[e.Receiver] += sign
		} else {
			c.minus -= e.Points
		}
		c.entries += sign
		c.byMember[e.Receiver] += e.Points
		if e.Category != "" {
			c.byCat[e.Category] += e.Points
			c.catN[e.Category] += sign
			c.deptCat[dept[e.Receiver]+"|"+e.Category] += e.Points
		}
		if e.Behavior != "" {
			c.byBeh[e.Behavior] += e.Points
			c.behN[e.Behavior] += sign
			d := c.behDept[e.Behavior]
			if d == nil {
				d = map[string]int64{}
				c.behDept[e.Behavior] = d
			}
			d[dept[e.Receiver]] += abs(e.Points) * int64(sign)
			if b := cat.Behavior(e.Behavior); b != nil {
				for i, lim := range b.Limits {
					k := fmt.Sprintf("%s|%d|%s|%s", b.ID, i, e.Receiver, jifen.PeriodOf(lim.Period, e.Effective, loc).Key)
					c.slots[k] += int64(sign)
					c.slotPts[k] += abs(e.Points) * int64(sign)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	s := &Summary{Period: p.Key, Previous: prev.Key, From: p.Start, To: p.End, Members: len(people)}
	pf := &s.Points
	pf.Awarded, pf.Deducted, pf.Net, pf.PreviousNet, pf.Entries = cur.plus, cur.minus, cur.net, old.net, cur.entries
	pf.Change = ratio(float64(old.net), float64(cur.net))
	absTotal := float64(cur.plus + cur.minus)
	share := func(v int64) float64 {
		if absTotal == 0 {
			return 0
		}
		return round(float64(abs(v)) / absTotal)
	}
	for _, c := range cat.Categories {
		pf.ByCategory = append(pf.ByCategory, Share{ID: c.ID, Name: c.Name, Points: cur.byCat[c.ID], Share: share(cur.byCat[c.ID]),
			Previous: old.byCat[c.ID], Entries: cur.catN[c.ID]})
	}
	for _, b := range cat.Behaviors {
		if cur.behN[b.ID] == 0 {
			pf.Unused = append(pf.Unused, b.Name)
			continue
		}
		pf.ByBehavior = append(pf.ByBehavior, Share{ID: b.ID, Name: b.Name, Points: cur.byBeh[b.ID], Share: share(cur.byBeh[b.ID]),
			Previous: old.byBeh[b.ID], Entries: cur.behN[b.ID]})
	}
	slices.SortStableFunc(pf.ByBehavior, func(a, b Share) int { return cmp.Compare(abs(b.Points), abs(a.Points)) })
	pf.Spent = cur.spent
	for _, sp := range cur.spend {
		if sp.Units != 0 {
			pf.Spending = append(pf.Spending, *sp)
		}
	}
	slices.SortFunc(pf.Spending, func(a, b Spending) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), strings.Compare(a.Item, b.Item))
	})

	// Caps: receiver × limit-period slots that reached a behavior's limit.
	for _, b := range cat.Behaviors {
		receivers := map[string]bool{}
		for k, n := range cur.slots {
			if strings.HasPrefix(k, b.ID+"|") && n > 0 {
				receivers[strings.Split(k, "|")[2]] = true
			}
		}
		for i, lim := range b.Limits {
			hit := map[string]bool{}
			hits := 0
			prefix := fmt.Sprintf("%s|%d|", b.ID, i)
			for k, n := range cur.slots {
				if !strings.HasPrefix(k, prefix) {
					continue
				}
				if (lim.Times > 0 && n >= int64(lim.Times)) || (lim.Points > 0 && cur.slotPts[k] >= lim.Points) {
					hits++
					hit[strings.Split(k, "|")[2]] = true
				}
			}
			if hits > 0 {
				pf.CapsHit = append(pf.CapsHit, CapHit{Behavior: b.ID, Name: b.Name, Period: string(lim.Period), Times: lim.Times,
					Points: lim.Points, Hits: hits, Receivers: len(receivers),
					Share: round(float64(len(hit)) / float64(max(1, len(receivers))))})
			}
		}
	}
	// Concentration: a behavior used at least five times whose points come
	// 80% or more from one department.
	for _, b := range cat.Behaviors {
		if cur.behN[b.ID] < 5 {
			continue
		}
		var total, best int64
		bestDept := ""
		for d, v := range cur.behDept[b.ID] {
			total += v
			if v > best || v == best && d < bestDept {
				best, bestDept = v, d
			}
		}
		if total > 0 && float64(best)/float64(total) >= 0.8 && bestDept != "" {
			pf.Concentrated = append(pf.Concentrated, Concentrate{Behavior: b.ID, Name: b.Name, Department: bestDept, Share: round(float64(best) / float64(total))})
		}
	}

	analyzePeople(s, people, cur, old, cat, p, loc)
	correlate(s, people, cur, old, opt)
	if s.Ratings != nil && opt.RatingsOf != nil {
		// Oldest first: two periods back, one back, this one.
		ps := []jifen.Period{prev.Previous(loc), prev, p}
		for _, q := range ps {
			var sum int64
			for m := q.Start; m.Before(q.End); m = m.AddDate(0, 1, 0) {
				sum += monthNet[jifen.PeriodOf(jifen.Month, m, loc).Key]
			}
			tp := TrendPoint{Period: q.Key, Points: round2(float64(sum) / float64(max(1, len(people))))}
			if rs := opt.RatingsOf(q.Key); len(rs) > 0 {
				var xs []float64
				for _, r := range rs {
					xs = append(xs, r.Score)
				}
				v := round2(Mean(xs))
				tp.AvgRating = &v
			}
			s.Ratings.Trend = append(s.Ratings.Trend, tp)
		}
	}

	// Policies: average monthly points per member before and after.
	byID := map[string]jifen.Member{}
	for _, m := range people {
		byID[m.ID] = m
	}
	for i, pol := range cat.Policies {
		if !pol.Date.Before(p.End) {
			continue
		}
		month := jifen.PeriodOf(jifen.Month, pol.Date, loc)
		var before, after []float64
		m := month
		for range 3 {
			m = m.Previous(loc)
			if m.End.After(first) {
				before = append(before, float64(monthNet[m.Key])/float64(max(1, len(people))))
			}
		}
		for m, n := month, 0; n < 3 && m.Start.Before(p.End); m, n = jifen.PeriodOf(jifen.Month, m.End, loc), n+1 {
			after = append(after, float64(monthNet[m.Key])/float64(max(1, len(people))))
		}
		pe := PolicyEffect{ID: pol.ID, Name: pol.Name, Date: pol.Date, Description: pol.Description,
			Before: round2(Mean(before)), After: round2(Mean(after)), Months: [2]int{len(before), len(after)}}
		pe.Change = ratio(pe.Before, pe.After)
		for id, n := range policyUse[i].before {
			if n > 0 && policyUse[i].after[id] <= 0 {
				if mm, ok := byID[id]; ok {
					pe.Stopped = append(pe.Stopped, Person{ID: mm.ID, Name: mm.Name, Department: mm.Department, Points: cur.byMember[id]})
				}
			}
		}
		slices.SortFunc(pe.Stopped, func(a, b Person) int { return strings.Compare(a.ID, b.ID) })
		s.Policies = append(s.Policies, pe)
	}

	// Targets.
	months := map[jifen.PeriodKind]float64{jifen.Month: 1, jifen.Quarter: 3, jifen.Year: 12}[p.Kind]
	if months == 0 {
		months = 1
	}
	for _, tg := range cat.Targets {
		r := TargetResult{ID: tg.ID, Name: tg.Name, Metric: tg.Metric, Min: tg.Min, Max: tg.Max}
		var actual *float64
		switch tg.Metric {
		case rules.MetricAvgMonthlyPoints:
			v := round2(float64(cur.net) / float64(max(1, len(people))) / months)
			actual = &v
		case rules.MetricParticipation:
			v := s.Distribution.Participation
			actual = &v
		case rules.MetricCategoryGrowth:
			actual = ratio(float64(old.byCat[tg.Category]), float64(cur.byCat[tg.Category]))
		case rules.MetricKPI:
			for _, k := range opt.KPIs {
				if k.Name == tg.KPI && k.Department == "" {
					v := k.Value
					actual = &v
				}
			}
		}
		if actual != nil {
			r.Actual = actual
			met := (tg.Min == nil || *actual >= *tg.Min) && (tg.Max == nil || *actual <= *tg.Max)
			r.Met = &met
			var gap float64
			switch {
			case tg.Min != nil && (*actual < *tg.Min || tg.Max == nil):
				gap = *actual - *tg.Min
			case tg.Max != nil:
				gap = *actual - *tg.Max
			}
			gap = round(gap)
			r.Gap = &gap
		}
		s.Targets = append(s.Targets, r)
	}
	s.Surveys = opt.Surveys
	if s.Surveys == nil {
		s.Surveys = []survey.Results{}
	}
	s.Suggestions = suggest(s, t)
	return s, nil
}

func analyzePeople(s *Summary, people []jifen.Member, cur, old *counters, cat *rules.Catalog, p jifen.Period, loc *time.Location) {
	person := func(m jifen.Member, pts int64) Person {
		return Person{ID: m.ID, Name: m.Name, Department: m.Department, Points: pts}
	}
	depts := map[string][]jifen.Member{}
	roles := map[string][]jifen.Member{}
	levels := map[string][]jifen.Member{}
	var deptNames, roleNames, levelNames []string
	for _, m := range people {
		if _, ok := depts[m.Department]; !ok {
			deptNames = append(deptNames, m.Department)
		}
		depts[m.Department] = append(depts[m.Department], m)
		r := string(m.Role)
		if _, ok := roles[r]; !ok {
			roleNames = append(roleNames, r)
		}
		roles[r] = append(roles[r], m)
		if m.Level != "" {
			if _, ok := levels[m.Level]; !ok {
				levelNames = append(levelNames, m.Level)
			}
			levels[m.Level] = append(levels[m.Level], m)
		}
	}
	slices.Sort(deptNames)
	slices.Sort(roleNames)
	slices.Sort(levelNames)
	avg := func(ms []jifen.Member, c *counters) float64 {
		xs := make([]float64, len(ms))
		for i, m := range ms {
			xs[i] = float64(c.byMember[m.ID])
		}
		return round2(Mean(xs))
	}
	group := func(name string, ms []jifen.Member) Group {
		g := Group{Name: name, Members: len(ms), Average: avg(ms, cur)}
		sorted := slices.Clone(ms)
		slices.SortStableFunc(sorted, func(a, b jifen.Member) int {
			return cmp.Or(cmp.Compare(cur.byMember[b.ID], cur.byMember[a.ID]), strings.Compare(a.ID, b.ID))
		})
		// Top and bottom never share a member: a group of four shows three
		// at the top and one at the bottom.
		n := min(3, len(sorted))
		for _, m := range sorted[:n] {
			g.Top = append(g.Top, person(m, cur.byMember[m.ID]))
		}
		for i := len(sorted) - 1; i >= max(n, len(sorted)-3); i-- {
			g.Bottom = append(g.Bottom, person(sorted[i], cur.byMember[sorted[i].ID]))
		}
		return g
	}
	for _, d := range deptNames {
		ms := depts[d]
		var total int64
		for _, m := range ms {
			total += cur.byMember[m.ID]
		}
		a, pa := avg(ms, cur), avg(ms, old)
		s.Departments = append(s.Departments, Department{Name: d, Members: len(ms), Total: total, Average: a, PrevAverage: pa, Change: ratio(pa, a)})
		s.ByDepartment = append(s.ByDepartment, group(d, ms))
	}
	for _, r := range roleNames {
		s.ByRole = append(s.ByRole, group(r, roles[r]))
	}
	// Department × category.
	for _, c := range cat.Categories {
		s.Matrix.Categories = append(s.Matrix.Categories, c.Name)
	}
	s.Matrix.Departments = deptNames
	for _, d := range deptNames {
		row := make([]int64, len(cat.Categories))
		for i, c := range cat.Categories {
			row[i] = cur.deptCat[d+"|"+c.ID]
		}
		s.Matrix.Points = append(s.Matrix.Points, row)
	}
	// Distribution.
	xs := make([]float64, len(people))
	got := 0
	for i, m := range people {
		xs[i] = float64(cur.byMember[m.ID])
		if cur.received[m.ID] > 0 {
			got++
		}
	}
	dist := &s.Distribution
	dist.Quartiles = QuartilesOf(xs)
	dist.Average = round2(Mean(xs))
	if len(people) > 0 {
		dist.Participation = round(float64(got) / float64(len(people)))
	}
	for _, l := range levelNames {
		dist.ByLevel = append(dist.ByLevel, Level{Name: l, Members: len(levels[l]), Average: avg(levels[l], cur)})
	}
	cutoff := p.End.AddDate(0, -6, 0)
	var newcomers, others []jifen.Member
	for _, m := range people {
		if !m.Joined.IsZero() && m.Joined.After(cutoff) {
			newcomers = append(newcomers, m)
		} else {
			others = append(others, m)
		}
	}
	dist.NewMembers = Level{Name: "new", Members: len(newcomers), Average: avg(newcomers, cur)}
	dist.Others = Level{Name: "others", Members: len(others), Average: avg(others, cur)}

	// Rank movement: competition ranks over everyone, this period vs the last.
	{
		now, before := rankFast(people, cur), rankFast(people, old)
		var moves []Move
		for _, m := range people {
			if cur.byMember[m.ID] == 0 && old.byMember[m.ID] == 0 {
				continue
			}
			moves = append(moves, Move{Person: person(m, cur.byMember[m.ID]), From: before[m.ID], To: now[m.ID]})
		}
		slices.SortStableFunc(moves, func(a, b Move) int {
			return cmp.Or(cmp.Compare(b.From-b.To, a.From-a.To), strings.Compare(a.ID, b.ID))
		})
		for _, mv := range moves {
			if len(s.Climbers) < 3 && mv.From > mv.To {
				s.Climbers = append(s.Climbers, mv)
			}
		}
		for i := len(moves) - 1; i >= 0 && len(s.Fallers) < 3; i-- {
			if moves[i].To > moves[i].From {
				s.Fallers = append(s.Fallers, moves[i])
			}
		}
	}
}

// rankFast gives competition ranks (1 + how many have more) by sorting.
func rankFast(people []jifen.Member, c *counters) map[string]int {
	pts := make([]int64, len(people))
	for i, m := range people {
		pts[i] = c.byMember[m.ID]
	}
	sorted := slices.Clone(pts)
	slices.SortFunc(sorted, func(a, b int64) int { return cmp.Compare(b, a) })
	out := make(map[string]int, len(people))
	for i, m := range people {
		// the first index holding a value ≤ pts[i] is how many have more
		n, _ := slices.BinarySearchFunc(sorted, pts[i], func(a, b int64) int { return cmp.Compare(b, a) })
		out[m.ID] = n + 1
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func ratio(before, after float64) *float64 {
	c := Change(before, after)
	if math.IsNaN(c) {
		return nil
	}
	c = round(c)
	return &c
}

// round keeps four decimals (shares and changes), round2 two (averages).
func round(x float64) float64  { return math.Round(x*1e4) / 1e4 }
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Source is a ledger with what HR imported, as the store is.
type Source interface {
	Ledger
	Location() *time.Location
	Ratings(period string) []jifen.Rating
	KPIs(period string) []jifen.KPI
}

// AnalyzeSource is Analyze with the ratings and KPIs of the period, and of
// the one before, read from src.
func AnalyzeSource(src Source, p jifen.Period, cat *rules.Catalog, t func(string, ...any) string) (*Summary, error) {
	loc := src.Location()
	prev := p.Previous(loc)
	opt := Options{Location: loc, Catalog: cat, T: t,
		Ratings: src.Ratings(p.Key), PreviousRatings: src.Ratings(prev.Key),
		KPIs: src.KPIs(p.Key), PreviousKPIs: src.KPIs(prev.Key), RatingsOf: src.Ratings}
	if ss, ok := src.(SurveySource); ok {
		opt.Surveys = SurveysIn(ss, p)
	}
	return Analyze(src, p, opt)
}

// SurveySource holds survey rounds and answers, as the store does.
type SurveySource interface {
	Rounds(survey string) []survey.Round
	Answers(survey string, n int) []survey.Answer
}

// SurveysIn tallies the survey rounds started in p, survey by survey,
// each against the round before it.
func SurveysIn(src SurveySource, p jifen.Period) []survey.Results {
	all := src.Rounds("")
	var out []survey.Results
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].Survey == all[i].Survey {
			j++
		}
		rounds := all[i:j]
		for k := range rounds {
			if p.Contains(rounds[k].Started) {
				out = append(out, survey.TallyRounds(rounds, k, src.Answers))
			}
		}
		i = j
	}
	return out
}
