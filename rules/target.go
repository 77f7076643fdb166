package rules

import (
	"slices"
	"time"
)

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
// the summary measures: points before and after, and, when it names what it
// targets, how often the targeted behaviors occur before and after and who
// changed.
type Policy struct {
	ID          string
	Name        string
	Date        time.Time // midnight in the configured zone
	Description string
	Behavior    string // optional: the behavior the policy introduced or changed
	// Behaviors and Categories: further behaviors, and whole categories,
	// the policy targets (optional; with Behavior, what it targets).
	Behaviors  []string
	Categories []string
}

// Targets reports whether an entry of behavior and category is one the
// policy targets.
func (p Policy) Targets(behavior, category string) bool {
	return behavior != "" && (behavior == p.Behavior || slices.Contains(p.Behaviors, behavior)) ||
		category != "" && slices.Contains(p.Categories, category)
}

// Targeted reports whether the policy names any behavior or category.
func (p Policy) Targeted() bool {
	return p.Behavior != "" || len(p.Behaviors) > 0 || len(p.Categories) > 0
}

// TargetBehaviors lists the behavior ids the policy names, Behavior first,
// without repeats.
func (p Policy) TargetBehaviors() []string {
	var out []string
	if p.Behavior != "" {
		out = append(out, p.Behavior)
	}
	for _, b := range p.Behaviors {
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}
