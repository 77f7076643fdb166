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
