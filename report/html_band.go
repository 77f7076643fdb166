package report

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"jifen/survey"
)

// figure is one key figure of the summary band: its value and its change
// against the previous period, or why there is none.
type figure struct {
	Label, Value, Change string
	Trend                string // "up", "down" or "" (no change shown)
}

// band picks the figures an HR director reads first, from the Summary.
func band(s *Summary, t func(string, ...any) string) []figure {
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }
	change := func(c *float64) (string, string) {
		if !s.Comparison.Comparable {
			return NotComparable(s.Comparison, t), ""
		}
		if c == nil {
			return t("html.no_previous"), ""
		}
		return t("html.vs_previous", signedPct(c)), direction(*c)
	}
	pp := func(cur float64, prev *float64) (string, string) {
		if !s.Comparison.Comparable {
			return NotComparable(s.Comparison, t), ""
		}
		if prev == nil {
			return t("html.no_previous"), ""
		}
		d := cur - *prev
		return t("html.vs_previous", t("html.pp", d*100)), direction(d)
	}
	var out []figure
	f := figure{Label: t("html.band.net"), Value: fmt.Sprint(s.Points.Net)}
	f.Change, f.Trend = change(s.Points.Change)
	out = append(out, f)
	d := s.Distribution
	f = figure{Label: t("html.band.average"), Value: fmt.Sprintf("%.2f", d.Average)}
	if s.PreviousAverage != nil {
		f.Change, f.Trend = change(ratio(*s.PreviousAverage, d.Average))
	} else {
		f.Change, f.Trend = change(nil)
	}
	out = append(out, f)
	f = figure{Label: t("html.band.participation"), Value: pct(d.Participation)}
	f.Change, f.Trend = pp(d.Participation, s.PreviousParticipation)
	out = append(out, f)
	if len(s.Targets) > 0 {
		met := 0
		for _, tg := range s.Targets {
			if tg.Status == StatusMet {
				met++
			}
		}
		out = append(out, figure{Label: t("html.band.targets"), Value: t("html.targets_met", met, len(s.Targets))})
	}
	var best *Department
	for i := range s.Departments {
		if best == nil || s.Departments[i].Average > best.Average {
			best = &s.Departments[i]
		}
	}
	if best != nil {
		f = figure{Label: t("html.band.best"), Value: fmt.Sprintf("%s %.2f", best.Name, best.Average)}
		f.Change, f.Trend = change(best.Change)
		out = append(out, f)
	}
	f = figure{Label: t("html.band.members"), Value: fmt.Sprint(s.Members)}
	if s.Comparison.Comparable && s.PreviousMembers > 0 {
		f.Change, f.Trend = change(ratio(float64(s.PreviousMembers), float64(s.Members)))
	}
	out = append(out, f)
	return out
}

func direction(x float64) string {
	switch {
	case x > 0:
		return "up"
	case x < 0:
		return "down"
	}
	return ""
}

// isShare says whether a target's metric is a fraction shown as a
// percentage.
func isShare(metric string) bool {
	return metric == "participation" || metric == "category_growth"
}

// htmlTargets are the targets table with shares as percentages.
func htmlTargets(s *Summary, t func(string, ...any) string) block {
	blk := block{Header: []string{t("report.col.target"), t("report.col.metric"), t("report.col.bound"), t("report.col.actual"), t("report.col.gap"), t("report.col.met")}}
	for _, tg := range s.Targets {
		blk.Rows = append(blk.Rows, []string{tg.Name, t("report.metric." + tg.Metric), bound(tg, t), targetActual(tg.Metric)(tg.Actual),
			targetGap(tg.Metric, t)(tg.Gap), status(tg, t)})
	}
	return blk
}

// charts of the page, from the Summary: the monthly trend (quarter and
// year), categories and departments beside the previous period, the
// ratings trend and the survey answers.
func trendFigure(s *Summary, t func(string, ...any) string) template.HTML {
	if len(s.Monthly) < 2 {
		return ""
	}
	var cols []column
	for _, m := range s.Monthly {
		p := m.Participation
		c := column{Label: m.Month, Value: m.Points, Line: &p, LineLabel: fmt.Sprintf("%.0f%%", p*100)}
		if m.AvgRating != nil {
			c.Note = t("html.rating", num(m.AvgRating))
		}
		cols = append(cols, c)
	}
	return trendChart(t("html.trend"), t("html.trend.points"), t("html.trend.participation"), cols, shareTicks)
}

func ratingTrendFigure(s *Summary, t func(string, ...any) string) template.HTML {
	if s.Ratings == nil || len(s.Ratings.Trend) == 0 {
		return ""
	}
	// The average rating is a line on a D=1 … A=4 axis.
	var cols []column
	for _, tp := range s.Ratings.Trend {
		c := column{Label: tp.Period, Value: tp.Points, NoValue: !tp.Covered}
		if r := tp.AvgRating; r != nil {
			at := (min(max(*r, 1), 4) - 1) / 3
			c.Line, c.LineLabel = &at, num(r)
		}
		cols = append(cols, c)
	}
	return trendChart(t("html.rating_trend"), t("report.col.monthly_average"), t("html.rating_line"), cols,
		[]tick{{0, "D=1"}, {1.0 / 3, "C=2"}, {2.0 / 3, "B=3"}, {1, "A=4"}})
}

func categoryFigure(s *Summary, t func(string, ...any) string) template.HTML {
	var rows []pair
	for _, c := range s.Points.ByCategory {
		rows = append(rows, pair{Label: c.Name, Cur: float64(c.Points), Prev: float64(c.Previous), HasPrev: s.Comparison.Comparable})
	}
	return pairChart(t("report.h.by_category"), t("html.current", s.Period), prevLegend(s, t), rows)
}

func departmentFigure(s *Summary, t func(string, ...any) string) template.HTML {
	var rows []pair
	for _, d := range s.Departments {
		rows = append(rows, pair{Label: d.Name, Cur: d.Average, Prev: d.PrevAverage, HasPrev: s.Comparison.Comparable})
	}
	return pairChart(t("html.departments"), t("html.current", s.Period), prevLegend(s, t), rows)
}

func prevLegend(s *Summary, t func(string, ...any) string) string {
	if !s.Comparison.Comparable {
		return ""
	}
	return t("html.previous", s.Previous)
}

// surveyFigures are the answers of the latest round of each survey as
// stacked bars: the scaled questions together, each choice question alone.
func surveyFigures(rs []survey.Results, t func(string, ...any) string) []template.HTML {
	var out []template.HTML
	for i, r := range rs {
		if i+1 < len(rs) && rs[i+1].Survey == r.Survey {
			continue
		}
		// The scaled questions, one chart a scale in the order the
		// survey asks them, before the choice questions.
		type scale struct {
			kind   survey.Kind
			n      int
			stacks []stack
		}
		var scales []scale
		var choices []template.HTML
		for _, it := range r.Items {
			switch it.Kind {
			case survey.Likert, survey.NPS:
				j := slices.IndexFunc(scales, func(s scale) bool { return s.kind == it.Kind && s.n == len(it.Counts) })
				if j < 0 {
					j = len(scales)
					scales = append(scales, scale{kind: it.Kind, n: len(it.Counts)})
				}
				scales[j].stacks = append(scales[j].stacks, stack{Label: it.Text, Counts: it.Counts})
			case survey.Single, survey.Multiple:
				var names []string
				var counts []int
				for _, c := range it.Choices {
					names = append(names, c.Choice)
					counts = append(counts, c.N)
				}
				choices = append(choices, stackedChart(r.Title+" · "+it.Text, names, false, []stack{{Label: t("html.answers"), Counts: counts}}))
			}
		}
		for _, sc := range scales {
			lo := 1
			if sc.kind == survey.NPS {
				lo = 0
			}
			var names []string
			for k := range sc.n {
				names = append(names, t("html.score", k+lo))
			}
			title := r.Title + " · " + t("report.survey_kind."+string(sc.kind)) + " · " + t("html.answers")
			out = append(out, stackedChart(title, names, true, sc.stacks))
		}
		out = append(out, choices...)
	}
	return out
}

// folded says whether a text is a long list of names to fold.
func folded(s, sep string) bool {
	return strings.Count(s, sep) >= 8
}
