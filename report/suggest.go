package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"jifen"
	"jifen/survey"
)

// suggest derives improvement suggestions from the figures. Each one cites
// the figure it comes from; there is no suggestion without one.
func suggest(s *Summary, t func(string, ...any) string) []Suggestion {
	out := []Suggestion{}
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }
	// Targets missed.
	for _, tg := range s.Targets {
		if tg.Met != nil && !*tg.Met {
			out = append(out, targetSuggestion(s, tg, t))
		}
	}
	// A cap reached by 30% or more of a behavior's receivers. A
	// once-a-period rule (全勤) is reached by everyone who earns it, by
	// design: it says nothing.
	for _, c := range s.Points.CapsHit {
		if c.Share >= 0.3 && c.Times != 1 {
			out = append(out, Suggestion{Kind: "cap", Text: t("report.suggest.cap", c.Name),
				Figure: t("report.figure.cap", c.Name, pct(c.Share), c.Receivers, limitText(c, t))})
		}
	}
	// Rules nobody used.
	if n := len(s.Points.Unused); n > 0 && s.Points.Entries > 0 {
		out = append(out, Suggestion{Kind: "unused", Text: t("report.suggest.unused"),
			Figure: t("report.figure.unused", n, s.Points.Unused)})
	}
	// A category with next to no points in a department, while others use it.
	for ci, name := range s.Matrix.Categories {
		var total int64
		for di := range s.Matrix.Departments {
			total += s.Matrix.Points[di][ci]
		}
		// Only a category most departments earn in: one that belongs to
		// a few departments' work (销售业绩) is not missing elsewhere.
		using := 0
		for di := range s.Matrix.Departments {
			if s.Matrix.Points[di][ci] != 0 {
				using++
			}
		}
		if total <= 0 || len(s.Matrix.Departments) < 2 || 2*using < len(s.Matrix.Departments) {
			continue
		}
		for di, d := range s.Matrix.Departments {
			if v := s.Matrix.Points[di][ci]; v == 0 && d != "" {
				out = append(out, Suggestion{Kind: "category_fit", Text: t("report.suggest.category_fit", name, d),
					Figure: t("report.figure.category_fit", d, name, total)})
			}
		}
	}
	// Points loosely tied to performance: a weak rank correlation, or many
	// high-points members with an average rating.
	// Points loosely tied to performance: a weak rank correlation, or half
	// or more of the top quarter by points rated average or below.
	if r := s.Ratings; r != nil && r.Rated >= 10 {
		weak := r.Spearman != nil && *r.Spearman < 0.3
		loose := r.HighPointsShare != nil && r.TopQuarter >= 4 && *r.HighPointsShare >= 0.5
		if weak || loose {
			rho := "—"
			if r.Spearman != nil {
				rho = fmt.Sprintf("%.2f", *r.Spearman)
			}
			out = append(out, Suggestion{Kind: "correlation", Text: t("report.suggest.correlation"),
				Figure: t("report.figure.correlation_share", rho, r.Rated, len(r.HighPointsAverageRating), r.TopQuarter)})
		}
	}
	// Participation below 80%.
	if p := s.Distribution.Participation; s.Members > 0 && p < 0.8 {
		out = append(out, Suggestion{Kind: "participation", Text: t("report.suggest.participation"),
			Figure: t("report.figure.participation", pct(p))})
	}
	// New employees well below the rest.
	n, o := s.Distribution.NewMembers, s.Distribution.Others
	// Per 30 days employed: someone who joined last month has fewer
	// points than a colleague who was there all year, and rightly so.
	if n.Members > 0 && o.Members > 0 && o.Monthly > 0 && n.Monthly < o.Monthly*0.5 {
		out = append(out, Suggestion{Kind: "onboarding", Text: t("report.suggest.onboarding"),
			Figure: t("report.figure.onboarding", n.Members, n.Monthly, o.Monthly)})
	}
	// A department whose average fell by a third or more.
	for _, d := range s.Departments {
		if d.Change != nil && *d.Change <= -1.0/3 && !math.IsNaN(*d.Change) {
			out = append(out, Suggestion{Kind: "department_drop", Text: t("report.suggest.department_drop", d.Name),
				Figure: t("report.figure.department_drop", d.Name, d.PrevAverage, d.Average, pct(*d.Change))})
		}
	}
	// A category only some departments can earn in (规则公平性): name its
	// rules, so HR knows what to open to the others.
	for _, rc := range s.Fairness.Restricted {
		out = append(out, Suggestion{Kind: "category_restricted",
			Text:   t("report.suggest.category_restricted", rc.Name, strings.Join(rc.Earning, t("report.sep")), strings.Join(rc.Behaviors, t("report.sep"))),
			Figure: t("report.figure.category_restricted", rc.Name, rc.Points, len(rc.Earning), len(rc.Earning)+len(rc.Without), strings.Join(rc.Without, t("report.sep")))})
	}
	// A role or a department earning under half the points per head of
	// another.
	for _, sp := range []struct {
		s    *Spread
		name func(string) string
	}{{s.Fairness.RoleSpread, func(r string) string { return t("role." + r) }}, {s.Fairness.DepartmentSpread, func(d string) string { return d }}} {
		if sp.s != nil && sp.s.Ratio != nil && *sp.s.Ratio >= 2 {
			hi, lo := sp.name(sp.s.High.Name), sp.name(sp.s.Low.Name)
			out = append(out, Suggestion{Kind: "spread", Text: t("report.suggest.spread", lo, hi),
				Figure: t("report.figure.spread", lo, hi, sp.s.Low.PerHead, sp.s.High.PerHead, *sp.s.Ratio)})
		}
	}
	out = append(out, coachingSuggestions(s.Coaching, t)...)
	// A growth target missed while the business KPI of the same name rose.
	for _, c := range s.Contradictions {
		out = append(out, Suggestion{Kind: "contradiction", Text: t("report.suggest.contradiction", c.Category, c.KPI),
			Figure: t("report.figure.contradiction", c.Category, signedPct(c.Growth), c.KPI, signedPct(&c.KPIChange))})
	}
	// Employees' own view, from the latest round of each survey: a
	// question scored under 3 of 5, a negative NPS, or few answers.
	for i, r := range s.Surveys {
		if i+1 < len(s.Surveys) && s.Surveys[i+1].Survey == r.Survey {
			continue
		}
		if r.Audience >= 5 && r.Rate < 0.5 {
			out = append(out, Suggestion{Kind: "survey_rate", Text: t("report.suggest.survey_rate", r.Title),
				Figure: t("report.figure.survey_rate", r.Round, r.Responses, r.Audience)})
		}
		if r.Responses < r.MinGroup {
			continue // too few answers to draw conclusions from
		}
		for _, it := range r.Items {
			switch {
			case it.Kind == survey.Likert && it.Mean != nil && *it.Mean < 3:
				out = append(out, Suggestion{Kind: "survey_low", Text: t("report.suggest.survey_low", it.Text),
					Figure: t("report.figure.survey_low", r.Round, *it.Mean, it.Answered)})
			case it.Kind == survey.NPS && it.NPS != nil && *it.NPS < 0:
				out = append(out, Suggestion{Kind: "survey_nps", Text: t("report.suggest.survey_nps", r.Title),
					Figure: t("report.figure.survey_nps", r.Round, *it.NPS, it.Answered)})
			}
		}
	}
	// Comments that recur, merged, one suggestion per question of a round.
	for i := 0; i < len(s.RecurringComments); {
		j, n := i, 0
		var parts, named []string
		for ; j < len(s.RecurringComments) && s.RecurringComments[j].Round == s.RecurringComments[i].Round &&
			s.RecurringComments[j].Question == s.RecurringComments[i].Question; j++ {
			rc := s.RecurringComments[j]
			parts = append(parts, t("report.comment_count", rc.Text, rc.Count))
			n += rc.Count
			for _, m := range rc.Mentions {
				if !slices.Contains(named, m) {
					named = append(named, m)
				}
			}
		}
		rc := s.RecurringComments[i]
		text := t("report.suggest.survey_comments", strings.Join(parts, t("report.sep")))
		if len(named) > 0 {
			text = t("report.suggest.survey_comments_rules", strings.Join(parts, t("report.sep")), strings.Join(named, t("report.sep")))
		}
		out = append(out, Suggestion{Kind: "survey_comments", Text: text, Figure: t("report.figure.survey_comments", rc.Round, rc.Question, n, j-i)})
		i = j
	}
	return out
}

// limitText says a limit in words: "本月最多 3 次".
func limitText(c CapHit, t func(string, ...any) string) string {
	if c.Times > 0 {
		return t("rules.limit_times", jifen.PeriodKind(c.Period), c.Times)
	}
	return t("rules.limit_points", jifen.PeriodKind(c.Period), c.Points)
}

// targetSuggestion names the cause of a missed target from the shares of
// points by category: the two categories with the largest share drive the
// points, and the one that misses is the target's own category for a
// growth target, else the category with the smallest share among the
// others (ties in config order). Without two categories with points, the
// text stays generic.
func targetSuggestion(s *Summary, tg TargetResult, t func(string, ...any) string) Suggestion {
	fig := t("report.figure.target", tg.Name, targetActual(tg.Metric)(tg.Actual), bound(tg, t))
	generic := Suggestion{Kind: "target", Text: t("report.suggest.target", tg.Name), Figure: fig}
	cats := slices.Clone(s.Points.ByCategory)
	slices.SortStableFunc(cats, func(a, b Share) int { return cmp.Compare(b.Share, a.Share) })
	if len(cats) < 3 || cats[1].Share == 0 {
		return generic
	}
	drive := cats[:2]
	var miss *Share
	for i := range cats[2:] {
		c := &cats[2+i]
		if tg.Category != "" && c.ID == tg.Category || tg.Category == "" && (miss == nil || c.Share < miss.Share) {
			miss = c
		}
	}
	if miss == nil { // the growth target's category drives the points
		return generic
	}
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }
	names := t("report.quoted", drive[0].Name) + t("report.sep") + t("report.quoted", drive[1].Name)
	return Suggestion{Kind: "target",
		Text:   t("report.suggest.target_cause", tg.Name, names, miss.Name),
		Figure: fig + t("report.figure.target_shares", names, pct(drive[0].Share+drive[1].Share), miss.Name, pct(miss.Share))}
}
