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
}

// TrendPoint is one period of the trend.
type TrendPoint struct {
	Period    string   `json:"period"`
	Points    float64  `json:"points"`     // net points per counted member per month begun
	AvgRating *float64 `json:"avg_rating"` // null when none were imported
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
			if p := float64(cur.byMember[r.Member]); p >= q3 && p > 0 && r.Score <= median {
				m := byID[r.Member]
				rf.HighPointsAverageRating = append(rf.HighPointsAverageRating, Person{ID: m.ID, Name: m.Name, Department: m.Department, Points: cur.byMember[m.ID]})
			}
		}
		slices.SortFunc(rf.HighPointsAverageRating, func(a, b Person) int { return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.ID, b.ID)) })
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
func trend(members []jifen.Member, monthNet map[string]int64, p jifen.Period, now time.Time, loc *time.Location, ratingsOf func(string) []jifen.Rating) []TrendPoint {
	prev := p.Previous(loc)
	out := []TrendPoint{}
	for _, q := range []jifen.Period{prev.Previous(loc), prev, p} {
		n := len(counted(members, q, now, loc))
		tp := TrendPoint{Period: q.Key, Points: round2(perHead(float64(netIn(monthNet, q, loc)), n) / float64(max(1, MonthsBegun(q, now))))}
		if rs := ratingsOf(q.Key); len(rs) > 0 {
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
