package report

import (
	"cmp"
	"math"
	"slices"
	"time"

	"jifen"
)

// RatingFigures relate the points to the performance ratings HR imported.
type RatingFigures struct {
	Rated    int      `json:"rated"`    // members with a rating and counted in the period
	Spearman *float64 `json:"spearman"` // rank correlation points vs rating; null when undefined
	Previous *float64 `json:"previous"` // the same for the previous period
	// HighPointsAverageRating: members in the top quarter by points whose
	// rating is at or below the median rating.
	HighPointsAverageRating []Person `json:"high_points_average_rating"`
	// Trend: the average points per member and the average rating of this
	// period and the two before it, oldest first, to see whether they move
	// together.
	Trend []TrendPoint `json:"trend"`
	// Source says where the period's ratings come from (see
	// CombinedRatings): "period", "months" or "quarters".
	Source string `json:"source"`
	// TopQuarter counts the rated members in the top quarter by points
	// (points > 0, at or above the rated members' Q3); HighPointsShare is
	// the share of them rated at or below the median, null without any.
	TopQuarter      int      `json:"top_quarter"`
	HighPointsShare *float64 `json:"high_points_share"`
	// TrendAgreement compares the direction of the points trend and of
	// the rating trend from the first to the last trend period that has
	// ratings and that the ledger covers whole: "agree", "disagree" or
	// "flat" (either did not move); null with fewer than two such periods.
	TrendAgreement *string `json:"trend_agreement"`
}

// CombinedRatings are the ratings of period p: those HR imported for p
// itself; for a quarter or a year without them, each member's mean over
// the months of p HR rated them for; for a year without monthly ratings
// either, the mean over its quarters. source names which ("period",
// "months", "quarters"; "" when there are none).
func CombinedRatings(ratingsOf func(string) []jifen.Rating, p jifen.Period, loc *time.Location) (rs []jifen.Rating, source string) {
	if rs := ratingsOf(p.Key); len(rs) > 0 {
		return rs, "period"
	}
	combine := func(kind jifen.PeriodKind) []jifen.Rating {
		sum, n := map[string]float64{}, map[string]int{}
		var order []string
		for q := jifen.PeriodOf(kind, p.Start, loc); q.Start.Before(p.End); q = jifen.PeriodOf(kind, q.End, loc) {
			for _, r := range ratingsOf(q.Key) {
				if n[r.Member] == 0 {
					order = append(order, r.Member)
				}
				sum[r.Member] += r.Score
				n[r.Member]++
			}
		}
		out := make([]jifen.Rating, 0, len(order))
		for _, id := range order {
			out = append(out, jifen.Rating{Member: id, Period: p.Key, Score: sum[id] / float64(n[id])})
		}
		return out
	}
	switch p.Kind {
	case jifen.Quarter:
		if rs := combine(jifen.Month); len(rs) > 0 {
			return rs, "months"
		}
	case jifen.Year:
		if rs := combine(jifen.Month); len(rs) > 0 {
			return rs, "months"
		}
		if rs := combine(jifen.Quarter); len(rs) > 0 {
			return rs, "quarters"
		}
	}
	return nil, ""
}

// agreement compares the trend of points with the trend of ratings, over
// the trend periods that have ratings and that the ledger covers whole (it
// began on or before their start): a period the ledger covers in part has
// too few points per month to compare.
func agreement(trend []TrendPoint) *string {
	var rated []TrendPoint
	for _, tp := range trend {
		if tp.AvgRating != nil && tp.Covered {
			rated = append(rated, tp)
		}
	}
	if len(rated) < 2 {
		return nil
	}
	from, last := rated[0], rated[len(rated)-1]
	sign := func(d float64) int {
		switch {
		case d > 0:
			return 1
		case d < 0:
			return -1
		}
		return 0
	}
	dp, dr := sign(last.Points-from.Points), sign(*last.AvgRating-*from.AvgRating)
	v := "flat"
	switch {
	case dp == 0 || dr == 0:
	case dp == dr:
		v = "agree"
	default:
		v = "disagree"
	}
	return &v
}

// TrendPoint is one period of the trend.
type TrendPoint struct {
	Period    string   `json:"period"`
	Points    float64  `json:"points"`     // net points per counted member per month begun
	AvgRating *float64 `json:"avg_rating"` // null when none were imported
	// Covered: the ledger's first entry is at or before the period's
	// start. A period it does not cover whole has points only from when
	// the ledger began: they are shown as incomplete and not compared.
	Covered bool `json:"covered"`
}

// KPIFigure is an imported KPI beside the points of its scope.
type KPIFigure struct {
	Name       string   `json:"name"`
	Department string   `json:"department,omitempty"`
	Value      float64  `json:"value"`
	Previous   *float64 `json:"previous"`
	Change     *float64 `json:"change"`
	Points     int64    `json:"points"` // of the department, or everyone
}

// correlate fills in the rating and KPI figures.
// Ratings count for the members counted in their period; KPI points are
// those of the counted members of the KPI's department (or all of them).
func correlate(s *Summary, people, before []jifen.Member, cur, old *counters, opt Options) {
	byID, prevIDs := map[string]jifen.Member{}, map[string]bool{}
	for _, m := range people {
		byID[m.ID] = m
	}
	for _, m := range before {
		prevIDs[m.ID] = true
	}
	rho := func(rs []jifen.Rating, in func(string) bool, c *counters) (*float64, []jifen.Rating) {
		var xs, ys []float64
		var used []jifen.Rating
		for _, r := range rs {
			if in(r.Member) {
				xs = append(xs, float64(c.byMember[r.Member]))
				ys = append(ys, r.Score)
				used = append(used, r)
			}
		}
		v := Spearman(xs, ys)
		if math.IsNaN(v) {
			return nil, used
		}
		v = round(v)
		return &v, used
	}
	if len(opt.Ratings) > 0 {
		rf := &RatingFigures{HighPointsAverageRating: []Person{}, Trend: []TrendPoint{}}
		var used []jifen.Rating
		rf.Spearman, used = rho(opt.Ratings, func(id string) bool { _, ok := byID[id]; return ok }, cur)
		rf.Previous, _ = rho(opt.PreviousRatings, func(id string) bool { return prevIDs[id] }, old)
		rf.Rated = len(used)
		var pts, scores []float64
		for _, r := range used {
			pts = append(pts, float64(cur.byMember[r.Member]))
			scores = append(scores, r.Score)
		}
		q3, median := QuartilesOf(pts).Q3, QuartilesOf(scores).Median
		for _, r := range used {
			p := float64(cur.byMember[r.Member])
			if p >= q3 && p > 0 {
				rf.TopQuarter++
			}
			if p >= q3 && p > 0 && r.Score <= median {
				m := byID[r.Member]
				rf.HighPointsAverageRating = append(rf.HighPointsAverageRating, Person{ID: m.ID, Name: m.Name, Department: m.Department, Points: cur.byMember[m.ID]})
			}
		}
		slices.SortFunc(rf.HighPointsAverageRating, func(a, b Person) int { return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.ID, b.ID)) })
		if rf.TopQuarter > 0 {
			v := round(float64(len(rf.HighPointsAverageRating)) / float64(rf.TopQuarter))
			rf.HighPointsShare = &v
		}
		rf.Source = opt.RatingsSource
		if rf.Source == "" {
			rf.Source = "period"
		}
		s.Ratings = rf
	}
	deptPoints := func(c *counters, dept string) int64 {
		var n int64
		for _, m := range people {
			if dept == "" || m.Department == dept {
				n += c.byMember[m.ID]
			}
		}
		return n
	}
	s.KPIs = []KPIFigure{}
	for _, k := range opt.KPIs {
		f := KPIFigure{Name: k.Name, Department: k.Department, Value: k.Value, Points: deptPoints(cur, k.Department)}
		for _, p := range opt.PreviousKPIs {
			if p.Name == k.Name && p.Department == k.Department {
				v := p.Value
				f.Previous = &v
				if s.Comparison.Comparable {
					f.Change = ratio(p.Value, k.Value)
				}
			}
		}
		s.KPIs = append(s.KPIs, f)
	}
	slices.SortFunc(s.KPIs, func(a, b KPIFigure) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Department, b.Department))
	})
}

// trend is the net points per counted member per month begun, and the
// average rating, of p and the two periods before it, oldest first.
func trend(staff *roster, monthNet map[string]int64, first time.Time, p jifen.Period, now time.Time, loc *time.Location, ratingsOf func(string) []jifen.Rating) []TrendPoint {
	prev := p.Previous(loc)
	out := []TrendPoint{}
	for _, q := range []jifen.Period{prev.Previous(loc), prev, p} {
		n := staff.count(q)
		tp := TrendPoint{Period: q.Key, Points: round2(perHead(float64(netIn(monthNet, q, loc)), n) / float64(max(1, MonthsBegun(q, now)))),
			Covered: !first.IsZero() && !first.After(q.Start)}
		if rs, _ := CombinedRatings(ratingsOf, q, loc); len(rs) > 0 {
			var xs []float64
			for _, r := range rs {
				xs = append(xs, r.Score)
			}
			v := round2(Mean(xs))
			tp.AvgRating = &v
		}
		out = append(out, tp)
	}
	return out
}
