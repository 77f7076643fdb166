package report

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"jifen/rules"
	"jifen/survey"
)

// RecurringComment is a survey comment given more than once in a round,
// duplicates merged: "审批太慢 ×3".
type RecurringComment struct {
	Round    string `json:"round"`
	Question string `json:"question"`
	Text     string `json:"text"`  // the first of the merged comments, trimmed
	Count    int    `json:"count"` // 2 or more
	// Mentions: the names of the rules, categories and rewards the comment
	// names (what it points to); [] when it names none.
	Mentions []string `json:"mentions"`
}

// Contradiction is a category growth target missed while the KPI of the
// same name rose: points and the business say different things.
type Contradiction struct {
	Target    string   `json:"target"`   // the target's name
	Category  string   `json:"category"` // the category's name
	Growth    *float64 `json:"growth"`   // the target's actual
	KPI       string   `json:"kpi"`
	KPIChange float64  `json:"kpi_change"`
}

// commentKey is a comment normalised for merging: without whitespace or
// punctuation, case folded, so "审批太慢！" and " 审批 太慢" are one.
func commentKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if !unicode.IsSpace(r) && !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// recurringComments merges the comments of each text question of the
// latest round of each survey, when its comments may be shown (not hidden, not waiting for the
// round's close), and keeps those given twice or more: most first, then
// by first appearance.
func recurringComments(rs []survey.Results, cat *rules.Catalog) []RecurringComment {
	out := []RecurringComment{}
	for i, r := range rs {
		// The latest round of each survey only, like the other survey
		// suggestions: a year of rounds would repeat itself.
		if i+1 < len(rs) && rs[i+1].Survey == r.Survey || r.CommentsHidden || r.CommentsAfterClose {
			continue
		}
		for _, it := range r.Items {
			if it.Kind != survey.Text {
				continue
			}
			var merged []RecurringComment
			idx := map[string]int{}
			for _, c := range it.Comments {
				k := commentKey(c)
				if k == "" {
					continue
				}
				if i, ok := idx[k]; ok {
					merged[i].Count++
					continue
				}
				idx[k] = len(merged)
				merged = append(merged, RecurringComment{Round: r.Round, Question: it.Text, Text: strings.Join(strings.Fields(c), " "), Count: 1})
			}
			slices.SortStableFunc(merged, func(a, b RecurringComment) int { return cmp.Compare(b.Count, a.Count) })
			for _, m := range merged {
				if m.Count >= 2 {
					m.Mentions = mentions(m.Text, cat)
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// mentions are the names of the behaviors, categories and rewards that a
// comment contains, in config order.
func mentions(text string, cat *rules.Catalog) []string {
	out := []string{}
	k := commentKey(text)
	add := func(name string) {
		if n := commentKey(name); n != "" && strings.Contains(k, n) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, c := range cat.Categories {
		add(c.Name)
	}
	for _, b := range cat.Behaviors {
		add(b.Name)
	}
	for _, r := range cat.Rewards {
		add(r.Name)
	}
	return out
}

// contradictions: each category growth target missed (below its minimum)
// while a company-wide KPI of the same name rose. Names match simply: equal, or one contains
// the other, after commentKey (销售业绩 matches 销售业绩 and 销售业绩（万元）);
// the KPI's name is matched against the category's name and the target's.
func contradictions(s *Summary, cat *rules.Catalog) []Contradiction {
	out := []Contradiction{}
	match := func(a, b string) bool {
		a, b = commentKey(a), commentKey(b)
		return a != "" && b != "" && (strings.Contains(a, b) || strings.Contains(b, a))
	}
	for i, tg := range cat.Targets {
		if tg.Metric != rules.MetricCategoryGrowth || i >= len(s.Targets) || s.Targets[i].Status != StatusMissed ||
			s.Targets[i].Gap == nil || *s.Targets[i].Gap >= 0 {
			continue
		}
		c := cat.Category(tg.Category)
		if c == nil {
			continue
		}
		for _, k := range s.KPIs {
			if k.Department != "" || k.Change == nil || *k.Change <= 0 || !match(k.Name, c.Name) && !match(k.Name, tg.Name) {
				continue
			}
			out = append(out, Contradiction{Target: tg.Name, Category: c.Name, Growth: s.Targets[i].Actual, KPI: k.Name, KPIChange: *k.Change})
		}
	}
	return out
}
