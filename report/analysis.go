package report

import (
	"fmt"
	"math"
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
	// Members: the members who count in the period (employed at some
	// time during it, bots never); PreviousMembers: the same for the
	// previous period. Every headcount and per-head figure uses them.
	Members         int `json:"members"`
	PreviousMembers int `json:"previous_members"`
	// AsOf: the time the figures stand at: the clock for the current
	// period (Complete false), the period's end once it is over.
	AsOf     time.Time `json:"as_of"`
	Complete bool      `json:"complete"`
	// Months: the calendar months of the period begun at the clock
	// (months_begun); "per month" figures divide by it.
	Months int `json:"months"`
	// Comparison: whether changes against the previous period are
	// computed; when not, every change field is null.
	Comparison Comparison `json:"comparison"`
	// FirstEntry is the ledger's earliest effective time (zero: empty).
	FirstEntry time.Time `json:"-"`

	Targets      []TargetResult `json:"targets"`       // 目标回顾
	Policies     []PolicyEffect `json:"policies"`      // 激励效果
	Points       PointsFigures  `json:"points"`        // 积分管理情况
	Departments  []Department   `json:"departments"`   // 绩效成果
	Matrix       Matrix         `json:"matrix"`        // department × category
	ByDepartment []Group        `json:"by_department"` // top and bottom, like with like
	ByRole       []Group        `json:"by_role"`
	Fairness     Fairness       `json:"fairness"`     // 规则公平性: per head by department and role
	Coaching     Coaching       `json:"coaching"`     // who to train or coach, and in what
	Distribution Distribution   `json:"distribution"` // data analysis
	Ratings      *RatingFigures `json:"ratings"`      // null when no ratings were imported
	KPIs         []KPIFigure    `json:"kpis"`
	Climbers     []Move         `json:"climbers"` // rank movement since the previous period
	Fallers      []Move         `json:"fallers"`
	Suggestions  []Suggestion   `json:"suggestions"` // 改进建议
	// Surveys: employee feedback (激励效果), the rounds started in the
	// period, each compared with the round before it.
	Surveys []survey.Results `json:"surveys"`
	// RecurringComments: survey comments given twice or more in a round,
	// merged; Contradictions: growth targets missed while the KPI of the
	// same name rose. Both feed suggestions.
	RecurringComments []RecurringComment `json:"recurring_comments"`
	Contradictions    []Contradiction    `json:"contradictions"`
	// Coverage: what the figures rest on (periods, headcount, ratings,
	// KPIs and surveys present or absent).
	Coverage Coverage `json:"coverage"`
	// Monthly: each month of the period begun at the clock, oldest
	// first, for the trend chart of quarter and year reports.
	Monthly []MonthFigure `json:"monthly"`
	// PreviousAverage and PreviousParticipation are the previous period's
	// Distribution.Average and Participation over its counted members;
	// null when the periods are not comparable.
	PreviousAverage       *float64 `json:"previous_average"`
	PreviousParticipation *float64 `json:"previous_participation"`
}

// MonthFigure is one month of the period: the net points per member
// counted in the month, and the share of them who received a positive
// entry (not revoked) in it.
type MonthFigure struct {
	Month         string  `json:"month"`
	Points        float64 `json:"points"`
	Participation float64 `json:"participation"`
	// AvgRating: the mean score of the month's imported ratings (A=4 …
	// D=1); null when the month has none.
	AvgRating *float64 `json:"avg_rating"`
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
	// Now is the clock: what is begun, over and current is decided at
	// it. Zero is the system clock.
	Now     time.Time
	Catalog *rules.Catalog
	// T translates report texts (suggestions); keys report.*.
	T func(key string, args ...any) string
	// What HR imported for the period and the previous one (ratings
	// combined from shorter periods, see CombinedRatings).
	Ratings, PreviousRatings []jifen.Rating
	KPIs, PreviousKPIs       []jifen.KPI
	// RatingsSource says where Ratings come from: "period" (the default),
	// "months" or "quarters".
	RatingsSource string
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
	deptCat          map[deptCat]int64           // department × category → points
	memberBeh        map[string]map[string]int64 // member → behavior → points
}

func newCounters() *counters {
	return &counters{byMember: map[string]int64{}, received: map[string]int{}, byCat: map[string]int64{}, byBeh: map[string]int64{},
		catN: map[string]int{}, behN: map[string]int{}, behDept: map[string]map[string]int64{}, slots: map[string]int64{},
		slotPts: map[string]int64{}, spend: map[string]*Spending{}, deptCat: map[deptCat]int64{}, memberBeh: map[string]map[string]int64{}}
}

// Analyze computes the summary of period p as of opt.Now. It reads the
// ledger once. A period that is not a month, a quarter or a year, or that
// has not begun, is refused (CheckPeriod).
func Analyze(l Ledger, p jifen.Period, opt Options) (*Summary, error) {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := CheckPeriod(p, now); err != nil {
		return nil, err
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
	members := l.Members()
	dept := map[string]string{}
	for _, m := range members {
		if !m.Bot {
			dept[m.ID] = m.Department
		}
	}
	sc := newScan(p, prev, cat, loc, dept)
	if err := l.ScanEntries(sc.add); err != nil {
		return nil, err
	}
	people, before := counted(members, p, now, loc), counted(members, prev, now, loc)
	cur, old := sc.cur, sc.old

	s := &Summary{Period: p.Key, Previous: prev.Key, From: p.Start, To: p.End, Members: len(people), PreviousMembers: len(before),
		Complete: p.Over(now), Months: MonthsBegun(p, now), Comparison: compare(p, prev, now, sc.first), FirstEntry: sc.first}
	s.AsOf = p.End
	if !s.Complete {
		s.AsOf = now.In(loc)
	}
	pointsFigures(s, cur, old, cat)
	analyzePeople(s, people, before, cur, old, cat, p, now, loc)
	s.Fairness = fairness(people, cur, cat)
	s.Coaching = coaching(people, cur, cat, s.Fairness)
	correlate(s, people, before, cur, old, opt)
	if s.Ratings != nil && opt.RatingsOf != nil {
		s.Ratings.Trend = trend(members, sc.monthNet, sc.first, p, now, loc, opt.RatingsOf)
		s.Ratings.TrendAgreement = agreement(s.Ratings.Trend)
	}
	s.Policies = policies(members, people, sc, cur, p, now, loc, cat)
	s.Targets = targets(s, cur, old, cat, opt.KPIs)
	s.Surveys = opt.Surveys
	if s.Surveys == nil {
		s.Surveys = []survey.Results{}
	}
	s.RecurringComments = recurringComments(s.Surveys, cat)
	s.Contradictions = contradictions(s, cat)
	s.Suggestions = suggest(s, t)
	monthlyFigures(s, members, before, sc, p, now, loc, opt.RatingsOf)
	s.Coverage = coverage(s)
	return s, nil
}

// scan reads the ledger once into the counters of the period and of the
// previous one, the net points of every month (for policies and the trend),
// the uses of each policy's behavior around its date, and the ledger's
// earliest effective time.
type scan struct {
	p, prev   jifen.Period
	cat       *rules.Catalog
	loc       *time.Location
	dept      map[string]string // member → department
	cur, old  *counters
	monthNet  map[string]int64
	first     time.Time // the earliest effective time: months before it have no data
	policyUse []policyWindow
	monthGot  map[string]map[string]int // month → receiver → positive entries, in the period
	monthKeys map[int]string            // year×12+month → its key: PeriodOf for every entry costs
}

// deptCat keys the department × category sums (a struct, not a joined
// string: the scan adds to it for every entry).
type deptCat struct{ dept, cat string }

// monthKey is the key of the month (in the report's zone) that holds t,
// as jifen.PeriodOf gives it, without formatting it for every entry.
func (sc *scan) monthKey(t time.Time) string {
	y, m, _ := t.In(sc.loc).Date()
	i := y*12 + int(m)
	k, ok := sc.monthKeys[i]
	if !ok {
		k = jifen.PeriodOf(jifen.Month, t, sc.loc).Key
		sc.monthKeys[i] = k
	}
	return k
}

// policyWindow counts the uses of a policy's targeted behaviors, net of
// revokes: before and after its date by receiver (who stopped), and by
// month and receiver over the months its windows can cover, [from, to).
type policyWindow struct {
	before, after map[string]int
	from, to      time.Time
	months        map[string]map[string]int // month → receiver → uses
}

func newScan(p, prev jifen.Period, cat *rules.Catalog, loc *time.Location, dept map[string]string) *scan {
	sc := &scan{p: p, prev: prev, cat: cat, loc: loc, dept: dept, cur: newCounters(), old: newCounters(), monthNet: map[string]int64{},
		monthGot: map[string]map[string]int{}, monthKeys: map[int]string{}, policyUse: make([]policyWindow, len(cat.Policies))}
	for i, pol := range cat.Policies {
		month := jifen.PeriodOf(jifen.Month, pol.Date, loc).Start
		sc.policyUse[i] = policyWindow{before: map[string]int{}, after: map[string]int{},
			from: month.AddDate(0, -3, 0), to: month.AddDate(0, 3, 0), months: map[string]map[string]int{}}
	}
	return sc
}

func (sc *scan) add(e *jifen.Entry) error {
	cat, loc, p := sc.cat, sc.loc, sc.p
	if sc.first.IsZero() || e.Effective.Before(sc.first) {
		sc.first = e.Effective
	}
	if e.Kind != jifen.KindRedeem && !strings.HasPrefix(e.Behavior, "reward:") {
		sc.monthNet[sc.monthKey(e.Effective)] += e.Points
		for i, pol := range cat.Policies {
			if !pol.Targets(e.Behavior, e.Category) {
				continue
			}
			n := 1
			if e.Kind == jifen.KindRevoke {
				n = -1
			}
			use := &sc.policyUse[i]
			switch {
			case !e.Effective.Before(pol.Date.AddDate(0, -3, 0)) && e.Effective.Before(pol.Date):
				use.before[e.Receiver] += n
			case !e.Effective.Before(pol.Date) && e.Effective.Before(p.End):
				use.after[e.Receiver] += n
			}
			if !e.Effective.Before(use.from) && e.Effective.Before(use.to) {
				k := sc.monthKey(e.Effective)
				if use.months[k] == nil {
					use.months[k] = map[string]int{}
				}
				use.months[k][e.Receiver] += n
			}
		}
	}
	var c *counters
	switch {
	case p.Contains(e.Effective):
		c = sc.cur
	case sc.prev.Contains(e.Effective):
		c = sc.old
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
		if c == sc.cur {
			k := sc.monthKey(e.Effective)
			if sc.monthGot[k] == nil {
				sc.monthGot[k] = map[string]int{}
			}
			sc.monthGot[k][e.Receiver] += sign
		}
	} else {
		c.minus -= e.Points
	}
	c.entries += sign
	c.byMember[e.Receiver] += e.Points
	if e.Category != "" {
		c.byCat[e.Category] += e.Points
		c.catN[e.Category] += sign
		c.deptCat[deptCat{sc.dept[e.Receiver], e.Category}] += e.Points
	}
	if e.Behavior != "" {
		c.byBeh[e.Behavior] += e.Points
		c.behN[e.Behavior] += sign
		mb := c.memberBeh[e.Receiver]
		if mb == nil {
			mb = map[string]int64{}
			c.memberBeh[e.Receiver] = mb
		}
		mb[e.Behavior] += e.Points
		d := c.behDept[e.Behavior]
		if d == nil {
			d = map[string]int64{}
			c.behDept[e.Behavior] = d
		}
		d[sc.dept[e.Receiver]] += abs(e.Points) * int64(sign)
		if b := cat.Behavior(e.Behavior); b != nil {
			for i, lim := range b.Limits {
				k := fmt.Sprintf("%s|%d|%s|%s", b.ID, i, e.Receiver, jifen.PeriodOf(lim.Period, e.Effective, loc).Key)
				c.slots[k] += int64(sign)
				c.slotPts[k] += abs(e.Points) * int64(sign)
			}
		}
	}
	return nil
}

// netIn is the net points effective in q, from the months' nets.
func netIn(monthNet map[string]int64, q jifen.Period, loc *time.Location) int64 {
	var sum int64
	for m := q.Start; m.Before(q.End); m = m.AddDate(0, 1, 0) {
		sum += monthNet[jifen.PeriodOf(jifen.Month, m, loc).Key]
	}
	return sum
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

// monthlyFigures fills s.Monthly from the scan's months, and the previous
// period's average and participation over the members counted in it.
func monthlyFigures(s *Summary, members, before []jifen.Member, sc *scan, p jifen.Period, now time.Time, loc *time.Location, ratingsOf func(string) []jifen.Rating) {
	s.Monthly = []MonthFigure{}
	for m := p.Start; m.Before(p.End) && !m.After(now); m = m.AddDate(0, 1, 0) {
		q := jifen.PeriodOf(jifen.Month, m, loc)
		people := counted(members, q, now, loc)
		got := 0
		for _, x := range people {
			if sc.monthGot[q.Key][x.ID] > 0 {
				got++
			}
		}
		mf := MonthFigure{Month: q.Key, Points: round2(perHead(float64(sc.monthNet[q.Key]), len(people))),
			Participation: round(perHead(float64(got), len(people)))}
		if ratingsOf != nil {
			if rs := ratingsOf(q.Key); len(rs) > 0 {
				xs := make([]float64, len(rs))
				for i, r := range rs {
					xs[i] = r.Score
				}
				v := round2(Mean(xs))
				mf.AvgRating = &v
			}
		}
		s.Monthly = append(s.Monthly, mf)
	}
	if !s.Comparison.Comparable {
		return
	}
	xs := make([]float64, len(before))
	got := 0
	for i, m := range before {
		xs[i] = float64(sc.old.byMember[m.ID])
		if sc.old.received[m.ID] > 0 {
			got++
		}
	}
	avg, part := round2(Mean(xs)), round(perHead(float64(got), len(before)))
	s.PreviousAverage, s.PreviousParticipation = &avg, &part
}
