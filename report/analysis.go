package report

import (
	"fmt"
	"math"
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
	sc.finish()
	staff := newRoster(members, now, loc)
	people, before := staff.counted(p), staff.counted(prev)
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
		s.Ratings.Trend = trend(staff, sc.monthNet, sc.first, p, now, loc, opt.RatingsOf)
		s.Ratings.TrendAgreement = agreement(s.Ratings.Trend)
	}
	s.Policies = policies(staff, people, sc, cur, p, now, loc, cat)
	s.Targets = targets(s, cur, old, cat, opt.KPIs)
	s.Surveys = opt.Surveys
	if s.Surveys == nil {
		s.Surveys = []survey.Results{}
	}
	s.RecurringComments = recurringComments(s.Surveys, cat)
	s.Contradictions = contradictions(s, cat)
	s.Suggestions = suggest(s, t)
	monthlyFigures(s, staff, before, sc, p, now, loc, opt.RatingsOf)
	s.Coverage = coverage(s)
	return s, nil
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
func monthlyFigures(s *Summary, staff *roster, before []jifen.Member, sc *scan, p jifen.Period, now time.Time, loc *time.Location, ratingsOf func(string) []jifen.Rating) {
	s.Monthly = []MonthFigure{}
	for m := p.Start; m.Before(p.End) && !m.After(now); m = m.AddDate(0, 1, 0) {
		q := jifen.PeriodOf(jifen.Month, m, loc)
		people := staff.counted(q)
		got, gotBy := 0, sc.gotIn(q.Key)
		for _, x := range people {
			if gotBy(x.ID) > 0 {
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
