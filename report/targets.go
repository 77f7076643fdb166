package report

import (
	"jifen"
	"jifen/rules"
)

// TargetResult is one goal against the period's figure.
type TargetResult struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Metric string `json:"metric"`
	// Category: the category of a category_growth target (its id).
	Category string   `json:"category,omitempty"`
	Actual   *float64 `json:"actual"` // null when there is no data
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	// Status: StatusMet, StatusMissed or StatusInsufficient (no data, or
	// a growth against a previous period that cannot be compared).
	Status string   `json:"status"`
	Met    *bool    `json:"met"` // null unless met or missed
	Gap    *float64 `json:"gap"` // actual minus the bound it misses or meets
}

// Target statuses.
const (
	StatusMet          = "met"
	StatusMissed       = "missed"
	StatusInsufficient = "insufficient_data"
)

// targets sets each configured target against the period's figure:
// avg_monthly_points is the period's net points per counted member per
// month begun; participation the distribution's; category_growth the
// category's net points against the previous period's (only when the
// periods are comparable); kpi the company-wide imported value.
func targets(s *Summary, cur, old *counters, cat *rules.Catalog, kpis []jifen.KPI) []TargetResult {
	out := []TargetResult{}
	for _, tg := range cat.Targets {
		r := TargetResult{ID: tg.ID, Name: tg.Name, Metric: tg.Metric, Category: tg.Category, Min: tg.Min, Max: tg.Max, Status: StatusInsufficient}
		var actual *float64
		switch tg.Metric {
		case rules.MetricAvgMonthlyPoints:
			if s.Members > 0 && s.Months > 0 {
				v := round2(float64(cur.net) / float64(s.Members) / float64(s.Months))
				actual = &v
			}
		case rules.MetricParticipation:
			if s.Members > 0 {
				v := s.Distribution.Participation
				actual = &v
			}
		case rules.MetricCategoryGrowth:
			if s.Comparison.Comparable {
				actual = ratio(float64(old.byCat[tg.Category]), float64(cur.byCat[tg.Category]))
			}
		case rules.MetricKPI:
			for _, k := range kpis {
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
			r.Status = StatusMissed
			if met {
				r.Status = StatusMet
			}
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
		out = append(out, r)
	}
	return out
}
