package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"jifen/rules"
	"jifen/survey"
)

// Markdown writes the summary as a Markdown document in the language of t.
func Markdown(w io.Writer, s *Summary, t func(string, ...any) string) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	table := func(cols []string, rows [][]string) {
		p("| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
		for _, r := range rows {
			for i := range r {
				r[i] = cell(r[i])
			}
			p("| %s |\n", strings.Join(r, " | "))
		}
		p("\n")
	}
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }
	// change is a change between the periods: "not comparable (why)"
	// when the periods cannot be compared.
	change := func(c *float64) string {
		if !s.Comparison.Comparable {
			return NotComparable(s.Comparison, t)
		}
		return signedPct(c)
	}

	p("# %s\n\n", t("report.title", s.Period, s.Previous))
	from, to := s.From.Format("2006-01-02"), s.To.AddDate(0, 0, -1).Format("2006-01-02")
	if s.Complete {
		p("%s\n\n", t("report.scope", from, to, s.Members))
	} else {
		p("%s\n\n", t("report.scope_current", from, to, s.Members, s.AsOf.Format("2006-01-02"), s.Months))
	}

	covered := coverageLines(s.Coverage, t)
	p("## %s\n\n%s\n\n", t("report.h.targets"), cell(covered["targets"]))
	if len(s.Targets) == 0 {
		p("%s\n\n", t("report.no_targets"))
	} else {
		rows := [][]string{}
		for _, tg := range s.Targets {
			rows = append(rows, []string{tg.Name, t("report.metric." + tg.Metric), bound(tg, t), targetActual(tg.Metric)(tg.Actual),
				targetGap(tg.Metric, t)(tg.Gap), status(tg, t)})
		}
		table([]string{t("report.col.target"), t("report.col.metric"), t("report.col.bound"), t("report.col.actual"), t("report.col.gap"), t("report.col.met")}, rows)
	}

	pf := s.Points
	p("## %s\n\n%s\n\n", t("report.h.points"), cell(covered["points"]))
	p("%s\n\n", t("report.totals", pf.Awarded, pf.Deducted, pf.Net, pf.PreviousNet, change(pf.Change), pf.Entries))
	var rows [][]string
	if len(s.Monthly) > 1 { // a quarter or a year: month by month
		for _, m := range s.Monthly {
			rows = append(rows, []string{m.Month, fmt.Sprintf("%.2f", m.Points), pct(m.Participation), num(m.AvgRating)})
		}
		p("### %s\n\n", t("report.h.monthly"))
		table([]string{t("report.col.month"), t("report.col.net_per_member"), t("report.col.participation"), t("report.col.avg_rating")}, rows)
		rows = nil
	}
	for _, c := range pf.ByCategory {
		rows = append(rows, []string{c.Name, fmt.Sprint(c.Points), pct(c.Share), fmt.Sprint(c.Previous)})
	}
	p("### %s\n\n", t("report.h.by_category"))
	table([]string{t("report.col.category"), t("report.col.points"), t("report.col.share"), t("report.col.previous")}, rows)
	rows = nil
	for i, c := range pf.ByBehavior {
		if i == 10 {
			break
		}
		rows = append(rows, []string{c.Name, fmt.Sprint(c.Entries), fmt.Sprint(c.Points), pct(c.Share), fmt.Sprint(c.Previous)})
	}
	if len(rows) > 0 {
		p("### %s\n\n", t("report.h.by_behavior"))
		table([]string{t("report.col.behavior"), t("report.col.entries"), t("report.col.points"), t("report.col.share"), t("report.col.previous")}, rows)
	}
	p("### %s\n\n", t("report.h.spending"))
	if len(pf.Spending) == 0 {
		p("%s\n\n", t("report.none"))
	} else {
		rows = nil
		for _, sp := range pf.Spending {
			rows = append(rows, []string{sp.Name, fmt.Sprint(sp.Units), fmt.Sprint(sp.Points)})
		}
		p("%s\n\n", t("report.spent", pf.Spent))
		table([]string{t("report.col.item"), t("report.col.units"), t("report.col.points")}, rows)
	}
	if len(pf.Unused) > 0 {
		p("### %s\n\n%s\n\n", t("report.h.unused"), cell(strings.Join(pf.Unused, t("report.sep"))))
	}
	if len(pf.CapsHit) > 0 {
		rows = nil
		for _, c := range pf.CapsHit {
			rows = append(rows, []string{c.Name, limitText(c, t), fmt.Sprint(c.Hits), fmt.Sprintf("%s (%d)", pct(c.Share), c.Receivers)})
		}
		p("### %s\n\n", t("report.h.caps"))
		table([]string{t("report.col.behavior"), t("report.col.limit"), t("report.col.hits"), t("report.col.receivers_hit")}, rows)
	}
	if len(pf.Concentrated) > 0 {
		rows = nil
		for _, c := range pf.Concentrated {
			rows = append(rows, []string{c.Name, c.Department, pct(c.Share)})
		}
		p("### %s\n\n", t("report.h.concentrated"))
		table([]string{t("report.col.behavior"), t("report.col.department"), t("report.col.share")}, rows)
	}

	p("## %s\n\n%s\n\n", t("report.h.performance"), cell(covered["performance"]))
	rows = nil
	for _, d := range s.Departments {
		rows = append(rows, []string{d.Name, fmt.Sprint(d.Members), fmt.Sprint(d.Total), fmt.Sprintf("%.2f", d.Average), fmt.Sprintf("%.2f", d.PrevAverage), change(d.Change)})
	}
	table([]string{t("report.col.department"), t("report.col.members"), t("report.col.total"), t("report.col.average"), t("report.col.prev_average"), t("report.col.change")}, rows)
	if len(s.Matrix.Categories) > 0 {
		p("### %s\n\n", t("report.h.matrix"))
		rows = nil
		for i, d := range s.Matrix.Departments {
			r := []string{d}
			for _, v := range s.Matrix.Points[i] {
				r = append(r, fmt.Sprint(v))
			}
			rows = append(rows, r)
		}
		table(append([]string{t("report.col.department")}, s.Matrix.Categories...), rows)
	}
	people := func(ps []Person) string {
		var parts []string
		for _, x := range ps {
			parts = append(parts, fmt.Sprintf("%s %d", x.Name, x.Points))
		}
		return strings.Join(parts, t("report.sep"))
	}
	for _, sec := range []struct {
		title  string
		groups []Group
		roles  bool
	}{{t("report.h.by_department"), s.ByDepartment, false}, {t("report.h.by_role"), s.ByRole, true}} {
		p("### %s\n\n", sec.title)
		rows = nil
		for _, g := range sec.groups {
			name := g.Name
			if sec.roles {
				name = t("role." + g.Name)
			}
			rows = append(rows, []string{name, fmt.Sprintf("%.2f", g.Average), people(g.Top), people(g.Bottom)})
		}
		table([]string{t("report.col.group"), t("report.col.average"), t("report.col.top"), t("report.col.bottom")}, rows)
	}

	fairnessMarkdown(s.Fairness, p, table, t)

	p("## %s\n\n%s\n\n", t("report.h.effect"), cell(covered["effect"]))
	if len(s.Policies) > 0 {
		p("### %s\n\n", t("report.h.policies"))
		rows = nil
		for _, pe := range s.Policies {
			rows = append(rows, []string{pe.Name, pe.Date.Format("2006-01-02"), fmt.Sprintf("%.2f (%d)", pe.Before, pe.Months[0]),
				fmt.Sprintf("%.2f (%d)", pe.After, pe.Months[1]), signedPct(pe.Change)})
		}
		table([]string{t("report.col.policy"), t("report.col.date"), t("report.col.before"), t("report.col.after"), t("report.col.change")}, rows)
		policyTargetsMarkdown(s.Policies, p, table, t)
	}
	if len(s.Surveys) > 0 {
		p("### %s\n\n", t("report.h.surveys"))
		surveyMarkdown(s.Surveys, p, table, pct, t)
	}
	p("### %s\n\n", t("report.h.movement"))
	rows = nil
	for _, mv := range s.Climbers {
		rows = append(rows, []string{"↑", mv.Name, mv.Department, fmt.Sprintf("%d → %d", mv.From, mv.To), fmt.Sprint(mv.Points)})
	}
	for _, mv := range s.Fallers {
		rows = append(rows, []string{"↓", mv.Name, mv.Department, fmt.Sprintf("%d → %d", mv.From, mv.To), fmt.Sprint(mv.Points)})
	}
	if len(rows) == 0 {
		p("%s\n\n", t("report.none"))
	} else {
		table([]string{"", t("report.col.name"), t("report.col.department"), t("report.col.rank"), t("report.col.points")}, rows)
		moveDriversMarkdown(s.Climbers, s.Fallers, p, t)
	}

	d := s.Distribution
	p("## %s\n\n%s\n\n", t("report.h.analysis"), cell(covered["analysis"]))
	p("%s\n\n", t("report.distribution", d.Quartiles.Min, d.Quartiles.Q1, d.Quartiles.Median, d.Quartiles.Q3, d.Quartiles.Max, d.Average, pct(d.Participation)))
	rows = nil
	level := func(name string, l Level) []string {
		return []string{name, fmt.Sprint(l.Members), fmt.Sprintf("%.2f", l.Average), fmt.Sprintf("%.2f", l.Monthly), pct(l.Participation)}
	}
	for _, l := range d.ByLevel {
		rows = append(rows, level(l.Name, l))
	}
	rows = append(rows, level(t("report.newcomers"), d.NewMembers), level(t("report.others"), d.Others))
	table([]string{t("report.col.group"), t("report.col.members"), t("report.col.average"), t("report.col.monthly_employed"), t("report.col.participation")}, rows)

	if r := s.Ratings; r != nil {
		p("### %s\n\n", t("report.h.ratings"))
		p("%s\n\n", t("report.ratings", r.Rated, num(r.Spearman), num(r.Previous)))
		p("%s\n\n", t("report.ratings_source."+r.Source))
		if r.HighPointsShare != nil {
			p("%s\n\n", t("report.high_points_share", pct(*r.HighPointsShare), len(r.HighPointsAverageRating), r.TopQuarter))
		}
		if a := r.TrendAgreement; a != nil {
			p("%s\n\n", t("report.trend_agreement."+*a))
		}
		if len(r.HighPointsAverageRating) > 0 {
			p("%s\n\n", cell(t("report.high_points", people(r.HighPointsAverageRating))))
		}
		if len(r.Trend) > 0 {
			rows = nil
			for _, tp := range r.Trend {
				pts := fmt.Sprintf("%.2f", tp.Points)
				if !tp.Covered {
					pts = t("report.trend_incomplete")
				}
				rows = append(rows, []string{tp.Period, pts, num(tp.AvgRating)})
			}
			table([]string{t("report.col.period"), t("report.col.monthly_average"), t("report.col.avg_rating")}, rows)
		}
	}
	if len(s.KPIs) > 0 {
		p("### %s\n\n", t("report.h.kpis"))
		rows = nil
		for _, k := range s.KPIs {
			scope := k.Department
			if scope == "" {
				scope = t("report.company")
			}
			rows = append(rows, []string{k.Name, scope, strconv.FormatFloat(k.Value, 'f', -1, 64), num(k.Previous), change(k.Change), fmt.Sprint(k.Points)})
		}
		table([]string{t("report.col.kpi"), t("report.col.scope"), t("report.col.value"), t("report.col.previous"), t("report.col.change"), t("report.col.points")}, rows)
	}

	p("## %s\n\n%s\n\n", t("report.h.suggestions"), cell(covered["suggestions"]))
	if len(s.Suggestions) == 0 {
		p("%s\n", t("report.no_suggestions"))
	}
	for i, sg := range s.Suggestions {
		p("%d. %s\n", i+1, cell(t("report.suggestion", sg.Text, sg.Figure)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps text from breaking a Markdown table or adding markup.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func num(x *float64) string {
	if x == nil {
		return "—"
	}
	return strconv.FormatFloat(*x, 'f', -1, 64)
}

// status says whether a target was met, missed, or lacks the data to say.
func status(tg TargetResult, t func(string, ...any) string) string {
	switch tg.Status {
	case StatusMet:
		return t("report.met")
	case StatusMissed:
		return t("report.not_met")
	}
	return t("report.insufficient_data")
}

// signedPct is a fraction as a signed percentage, "—" when undefined.
func signedPct(c *float64) string {
	if c == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", *c*100)
}

// NotComparable says in words why a period is not compared with the
// previous one: "不可比（本期尚未结束）".
func NotComparable(c Comparison, t func(string, ...any) string) string {
	return t("report.not_comparable", t("report.reason."+c.Reason))
}

func bound(tg TargetResult, t func(string, ...any) string) string {
	val := targetValue(tg.Metric)
	switch {
	case tg.Min != nil && tg.Max != nil:
		return t("report.between", val(tg.Min), val(tg.Max))
	case tg.Min != nil:
		return "≥ " + val(tg.Min)
	case tg.Max != nil:
		return "≤ " + val(tg.Max)
	}
	return ""
}

// targetValue formats a target's bound or actual figure: a share
// (participation, growth) as a percentage, anything else as it is.
func targetValue(metric string) func(*float64) string {
	if !isShare(metric) {
		return num
	}
	return func(x *float64) string {
		if x == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *x*100)
	}
}

// targetActual formats a target's actual figure: a growth with its sign.
func targetActual(metric string) func(*float64) string {
	if metric == rules.MetricCategoryGrowth {
		return signedPct
	}
	return targetValue(metric)
}

// targetGap formats how far a target's actual figure is from its bound:
// for a share, in percentage points.
func targetGap(metric string, t func(string, ...any) string) func(*float64) string {
	if !isShare(metric) {
		return num
	}
	return func(x *float64) string {
		if x == nil {
			return "—"
		}
		return t("html.pp", *x*100)
	}
}

// surveyMarkdown writes the survey results: the latest round of each
// survey in detail (each question against the round before, the comments
// where the group is large enough), and a trend row for every round.
func surveyMarkdown(rs []survey.Results, p func(string, ...any), table func([]string, [][]string), pct func(float64) string, t func(string, ...any) string) {
	score := func(it survey.Item, x *float64) string {
		if x == nil {
			return "—"
		}
		if it.Kind == survey.NPS {
			return fmt.Sprintf("%+.0f", *x)
		}
		return fmt.Sprintf("%.2f", *x)
	}
	for i, r := range rs {
		if i+1 < len(rs) && rs[i+1].Survey == r.Survey {
			continue // an earlier round: in the trend below
		}
		rate := t("report.survey_rate", r.Responses, r.Audience, pct(r.Rate))
		if r.PreviousRate != nil {
			rate += t("report.survey_rate_prev", r.Previous, pct(*r.PreviousRate))
		}
		p("**%s**（%s）%s\n\n", cell(r.Title), r.Round, cell(rate))
		var rows [][]string
		for _, it := range r.Items {
			if it.Kind == survey.Text {
				continue
			}
			dist := ""
			switch it.Kind {
			case survey.Likert, survey.NPS:
				lo := 1
				if it.Kind == survey.NPS {
					lo = 0
				}
				var parts []string
				for k, n := range it.Counts {
					parts = append(parts, fmt.Sprintf("%d:%d", k+lo, n))
				}
				dist = strings.Join(parts, " ")
			default:
				var parts []string
				for _, c := range it.Choices {
					parts = append(parts, fmt.Sprintf("%s %d", c.Choice, c.N))
				}
				dist = strings.Join(parts, t("report.sep"))
			}
			kind := t("report.survey_kind." + string(it.Kind))
			rows = append(rows, []string{it.Text, kind, fmt.Sprint(it.Answered), score(it, it.Score()), score(it, it.PrevScore()), dist})
		}
		table([]string{t("report.col.question"), t("report.col.kind"), t("report.col.answers"), t("report.col.score"), t("report.col.previous"), t("report.col.distribution")}, rows)
		for _, it := range r.Items {
			if it.Kind != survey.Text {
				continue
			}
			switch {
			case r.CommentsAfterClose:
				p("%s\n\n", cell(t("report.survey_comments_after_close", it.Text)))
			case r.CommentsHidden:
				p("%s\n\n", cell(t("report.survey_comments_hidden", it.Text, r.MinGroup)))
			case len(it.Comments) > 0:
				p("%s\n\n", cell(t("report.survey_comments", it.Text, len(it.Comments))))
				// Duplicates merged (see commentKey): "审批太慢 ×3".
				var shown []string
				count := map[string]int{}
				first := map[string]string{}
				for _, c := range it.Comments {
					k := commentKey(c)
					if _, ok := first[k]; !ok {
						first[k] = strings.Join(strings.Fields(c), " ")
						shown = append(shown, k)
					}
					count[k]++
				}
				for _, k := range shown[:min(len(shown), 10)] {
					if count[k] > 1 {
						p("- %s\n", cell(t("report.comment_count", first[k], count[k])))
					} else {
						p("- %s\n", cell(first[k]))
					}
				}
				p("\n")
			}
		}
	}
	// The trend: every round in the period, oldest first.
	var rows [][]string
	for _, r := range rs {
		var likert []float64
		nps := "—"
		for _, it := range r.Items {
			if it.Kind == survey.Likert && it.Mean != nil {
				likert = append(likert, *it.Mean)
			}
			if it.Kind == survey.NPS && it.NPS != nil {
				nps = fmt.Sprintf("%+.0f", *it.NPS)
			}
		}
		avg := "—"
		if len(likert) > 0 {
			sum := 0.0
			for _, x := range likert {
				sum += x
			}
			avg = fmt.Sprintf("%.2f", sum/float64(len(likert)))
		}
		rows = append(rows, []string{r.Title, r.Round, r.Started.Format("2006-01-02"), pct(r.Rate), avg, nps})
	}
	if len(rows) > 1 {
		table([]string{t("report.col.survey"), t("report.col.round"), t("report.col.date"), t("report.col.rate"), t("report.col.likert_avg"), "NPS"}, rows)
	}
}

// policyTargetsMarkdown writes, for the policies that name what they
// target, how often it occurred per member per month before and after, how
// many stopped, and the members who changed most, one sentence each.
func policyTargetsMarkdown(ps []PolicyEffect, p func(string, ...any), table func([]string, [][]string), t func(string, ...any) string) {
	var rows [][]string
	rate := func(x *float64, months int) string {
		if x == nil {
			return "—"
		}
		return fmt.Sprintf("%.2f (%d)", *x, months)
	}
	for _, pe := range ps {
		if len(pe.Targets) > 0 {
			rows = append(rows, []string{pe.Name, policyLabel(pe, t), rate(pe.RateBefore, pe.Months[0]), rate(pe.RateAfter, pe.Months[1]),
				signedPct(pe.RateChange), fmt.Sprint(pe.StoppedCount)})
		}
	}
	if len(rows) == 0 {
		return
	}
	p("### %s\n\n", t("report.h.policy_targets"))
	table([]string{t("report.col.policy"), t("report.col.targets"), t("report.col.rate_before"), t("report.col.rate_after"), t("report.col.change"), t("report.col.stopped")}, rows)
	for _, pe := range ps {
		if len(pe.Cases) == 0 {
			continue
		}
		p("%s\n\n", cell(t("report.policy_cases", pe.Name)))
		label := policyLabel(pe, t)
		for _, c := range pe.Cases {
			p("- %s\n", cell(t("report.policy_case", c.Name, pe.Months[0], label, c.Before, pe.Months[1], c.After)))
		}
		p("\n")
	}
}

// policyLabel names what a policy targets: "迟到、早退".
func policyLabel(pe PolicyEffect, t func(string, ...any) string) string {
	var names []string
	for _, x := range pe.Targets {
		names = append(names, x.Name)
	}
	return strings.Join(names, t("report.sep"))
}

// moveDriversMarkdown says, one line per member, which behaviors drove a
// climb or a fall: "张三：积分上升主要来自签单（+30）、合理化建议（+20）。"
func moveDriversMarkdown(climbers, fallers []Move, p func(string, ...any), t func(string, ...any) string) {
	var lines []string
	for _, sec := range []struct {
		key   string
		moves []Move
	}{{"report.climber_drivers", climbers}, {"report.faller_drivers", fallers}} {
		for _, mv := range sec.moves {
			if len(mv.Drivers) == 0 {
				continue
			}
			var parts []string
			for _, d := range mv.Drivers {
				parts = append(parts, t("report.driver", d.Name, d.Gained))
			}
			lines = append(lines, "- "+cell(t(sec.key, mv.Name, strings.Join(parts, t("report.sep")))))
		}
	}
	if len(lines) > 0 {
		p("%s\n\n", strings.Join(lines, "\n"))
	}
}

// fairnessMarkdown writes points per head by department and role, the
// spread between the highest and the lowest, and the categories only some
// departments earn in.
func fairnessMarkdown(f Fairness, p func(string, ...any), table func([]string, [][]string), t func(string, ...any) string) {
	if len(f.ByDepartment)+len(f.ByRole) == 0 {
		return
	}
	p("### %s\n\n", t("report.h.fairness"))
	var rows [][]string
	role := func(r string) string { return t("role." + r) }
	dept := func(d string) string { return d }
	for _, g := range []struct {
		dim  string
		rows []PerHead
		name func(string) string
	}{{"department", f.ByDepartment, dept}, {"role", f.ByRole, role}} {
		for _, x := range g.rows {
			rows = append(rows, []string{t("report.dim." + g.dim), g.name(x.Name), fmt.Sprint(x.Members), fmt.Sprint(x.Total), fmt.Sprintf("%.2f", x.PerHead)})
		}
	}
	table([]string{t("report.col.dimension"), t("report.col.group"), t("report.col.members"), t("report.col.total"), t("report.col.per_head")}, rows)
	for _, sp := range []struct {
		key  string
		s    *Spread
		name func(string) string
	}{{"report.spread.department", f.DepartmentSpread, dept}, {"report.spread.role", f.RoleSpread, role}} {
		if sp.s == nil {
			continue
		}
		r := ""
		if sp.s.Ratio != nil {
			r = t("report.spread_ratio", *sp.s.Ratio)
		}
		p("%s\n\n", cell(t(sp.key, sp.name(sp.s.High.Name), sp.s.High.PerHead, sp.name(sp.s.Low.Name), sp.s.Low.PerHead, sp.s.Spread, r)))
	}
	if len(f.Restricted) > 0 {
		p("### %s\n\n", t("report.h.restricted"))
		rows = nil
		sep := t("report.sep")
		for _, rc := range f.Restricted {
			rows = append(rows, []string{rc.Name, fmt.Sprint(rc.Points), strings.Join(rc.Earning, sep), strings.Join(rc.Without, sep), strings.Join(rc.Behaviors, sep)})
		}
		table([]string{t("report.col.category"), t("report.col.points"), t("report.col.earning"), t("report.col.without"), t("report.col.rules")}, rows)
	}
}
