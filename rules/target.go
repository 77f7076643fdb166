package rules

import "time"

// Target is a goal the summary reviews (目标回顾): a metric of the period
// and the bound it should meet.
type Target struct {
	ID       string
	Name     string
	Metric   string // see the Metric* constants
	Category string // for MetricCategoryGrowth
	KPI      string // for MetricKPI
	Min, Max *float64
}

// Target metrics.
const (
	MetricAvgMonthlyPoints = "avg_monthly_points" // net points per member per month
	MetricParticipation    = "participation"      // share of members who received points
	MetricCategoryGrowth   = "category_growth"    // a category's points vs the previous period
	MetricKPI              = "kpi"                // an imported KPI's value for the period
)

// Metrics lists the known metrics.
var Metrics = []string{MetricAvgMonthlyPoints, MetricParticipation, MetricCategoryGrowth, MetricKPI}

// Policy is a dated change to the incentives (an 激励 policy), whose effect
// the summary measures: points before and after, and, for a deduction rule,
// the members who stopped incurring it.
type Policy struct {
	ID          string
	Name        string
	Date        time.Time // midnight in the configured zone
	Description string
	Behavior    string // optional: the behavior the policy introduced or changed
}
