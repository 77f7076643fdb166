package report

import (
	"cmp"
	"math"
	"slices"

	"jifen"
)

// RatingFigures relate the points to the performance ratings HR imported.
type RatingFigures struct {
	Rated    int      `json:"rated"`    // members with a rating and in the directory
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
	Points    float64  `json:"points"`     // average per member
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
func correlate(s *Summary, people []jifen.Member, cur, old *counters, opt Options) {
	byID := map[string]jifen.Member{}
	for _, m := range people {
		byID[m.ID] = m
	}
	rho := func(rs []jifen.Rating, c *counters) (*float64, []jifen.Rating) {
		var xs, ys []float64
		var used []jifen.Rating
		for _, r := range rs {
			if _, ok := byID[r.Member]; ok {
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
		rf := &RatingFigures{}
		var used []jifen.Rating
		rf.Spearman, used = rho(opt.Ratings, cur)
		rf.Previous, _ = rho(opt.PreviousRatings, old)
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
	for _, k := range opt.KPIs {
		f := KPIFigure{Name: k.Name, Department: k.Department, Value: k.Value, Points: deptPoints(cur, k.Department)}
		for _, p := range opt.PreviousKPIs {
			if p.Name == k.Name && p.Department == k.Department {
				v := p.Value
				f.Previous = &v
				f.Change = ratio(p.Value, k.Value)
			}
		}
		s.KPIs = append(s.KPIs, f)
	}
	slices.SortFunc(s.KPIs, func(a, b KPIFigure) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Department, b.Department))
	})
}
