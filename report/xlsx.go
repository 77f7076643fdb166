package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"jifen/rules"
)

// XLSX writes the summary as a workbook a manager can sort, filter and
// chart: a first sheet of key figures, then one sheet per table of the
// report in its order, the suggestions as a table, and the report's
// sentences on a last sheet. Numbers are numbers (shares and changes as
// fractions shown as percentages), dates are dates; every table sheet has
// its header frozen, an autofilter, and columns fitted to their content.
//
// The table sheets are read from the Markdown, so a table added to the
// report appears in the workbook without more code; the targets and the
// suggestions are written from the summary, where the Markdown has lost
// whether a figure is a fraction.
func XLSX(w io.Writer, s *Summary, t func(string, ...any) string) error {
	var md bytes.Buffer
	if err := Markdown(&md, s, t); err != nil {
		return err
	}
	b, err := newBook()
	if err != nil {
		return err
	}
	defer b.f.Close()
	title := t("report.title", s.Period, s.Previous)
	if _, err := b.table(t("xlsx.sheet.overview"), title, []string{t("xlsx.col.figure"), t("xlsx.col.value"), t("xlsx.col.previous"), t("xlsx.col.change")}, overview(s, t)); err != nil {
		return err
	}
	var notes [][]value
	for _, sec := range sections(md.String()) {
		switch sec.Title {
		case t("report.h.targets"):
			if len(s.Targets) > 0 {
				if _, err := b.table(sec.Title, "", []string{t("report.col.target"), t("report.col.metric"), t("report.col.bound"), t("report.col.actual"), t("report.col.gap"), t("report.col.met")}, targetRows(s, t)); err != nil {
					return err
				}
				continue
			}
		case t("report.h.suggestions"):
			var rows [][]value
			for i, sg := range s.Suggestions {
				rows = append(rows, []value{{v: int64(i + 1)}, text(sg.Text), text(sg.Figure)})
			}
			if _, err := b.table(t("xlsx.sheet.suggestions"), "", []string{t("xlsx.col.no"), t("xlsx.col.suggestion"), t("xlsx.col.basis")}, rows); err != nil {
				return err
			}
			continue
		}
		for _, blk := range sec.Blocks {
			if blk.Header == nil {
				where := sec.Title
				if where == "" {
					where = title // the scope, above the first section
				}
				notes = append(notes, []value{text(where), text(plain(blk.Text))})
				continue
			}
			rows := make([][]value, len(blk.Rows))
			for i, r := range blk.Rows {
				for _, c := range r {
					rows[i] = append(rows[i], typed(c))
				}
			}
			if _, err := b.table(sec.Title, "", blk.Header, rows); err != nil {
				return err
			}
		}
	}
	if len(notes) > 0 {
		if _, err := b.table(t("xlsx.sheet.notes"), "", []string{t("xlsx.col.section"), t("xlsx.col.text")}, notes); err != nil {
			return err
		}
	}
	b.f.SetActiveSheet(0)
	return b.f.Write(w)
}

// overview is the first sheet: the figures a reader looks for first, each
// beside the previous period's and the change where they compare.
func overview(s *Summary, t func(string, ...any) string) [][]value {
	pf, d := s.Points, s.Distribution
	change := func(c *float64) value {
		if !s.Comparison.Comparable {
			return text(NotComparable(s.Comparison, t))
		}
		if c == nil {
			return text("—")
		}
		return value{*c, fmtSigned1}
	}
	rows := [][]value{
		{text(t("xlsx.period")), text(s.Period), text(s.Previous)},
		{text(t("xlsx.from")), value{s.From, fmtDate}},
		{text(t("xlsx.to")), value{s.To.AddDate(0, 0, -1), fmtDate}},
	}
	if s.Complete {
		rows = append(rows, []value{text(t("xlsx.status")), text(t("xlsx.complete"))})
	} else {
		rows = append(rows, []value{text(t("xlsx.as_of")), value{s.AsOf, fmtDate}},
			[]value{text(t("xlsx.status")), text(t("xlsx.current"))},
			[]value{text(t("xlsx.months")), {v: int64(s.Months)}})
	}
	rows = append(rows,
		[]value{text(t("xlsx.members")), {v: int64(s.Members)}, {v: int64(s.PreviousMembers)}},
		[]value{text(t("xlsx.net")), {v: pf.Net}, {v: pf.PreviousNet}, change(pf.Change)},
		[]value{text(t("xlsx.awarded")), {v: pf.Awarded}},
		[]value{text(t("xlsx.deducted")), {v: pf.Deducted}},
		[]value{text(t("xlsx.entries")), {v: int64(pf.Entries)}},
		[]value{text(t("xlsx.participation")), {d.Participation, fmtPct1}},
		[]value{text(t("xlsx.average")), {d.Average, fmtDec2}},
		[]value{text(t("xlsx.median")), {d.Quartiles.Median, fmtDec1}},
	)
	if len(s.Targets) > 0 {
		var met, missed, none int64
		for _, tg := range s.Targets {
			switch tg.Status {
			case StatusMet:
				met++
			case StatusMissed:
				missed++
			default:
				none++
			}
		}
		rows = append(rows, []value{text(t("xlsx.targets_met")), {v: met}}, []value{text(t("xlsx.targets_missed")), {v: missed}},
			[]value{text(t("xlsx.targets_no_data")), {v: none}})
	}
	best := -1
	for i, dep := range s.Departments {
		if dep.Members > 0 && (best < 0 || dep.Average > s.Departments[best].Average) {
			best = i
		}
	}
	if best >= 0 {
		dep := s.Departments[best]
		rows = append(rows, []value{text(t("xlsx.best_department")), text(dep.Name)},
			[]value{text(t("xlsx.best_average")), {dep.Average, fmtDec2}, {dep.PrevAverage, fmtDec2}, change(dep.Change)})
	}
	rows = append(rows, []value{text(t("xlsx.suggestions")), {v: int64(len(s.Suggestions))}})
	return rows
}

// targetRows are the targets with the actual figure and the gap as
// percentages where the metric is a fraction (participation, growth).
func targetRows(s *Summary, t func(string, ...any) string) [][]value {
	var rows [][]value
	for _, tg := range s.Targets {
		f := fmtDec2
		switch tg.Metric {
		case rules.MetricParticipation:
			f = fmtPct1
		case rules.MetricCategoryGrowth:
			f = fmtSigned1
		case rules.MetricKPI:
			f = ""
		}
		num := func(x *float64) value {
			if x == nil {
				return text("—")
			}
			return value{*x, f}
		}
		show := func(x *float64) string {
			switch {
			case f == fmtPct1 || f == fmtSigned1:
				return fmt.Sprintf("%.1f%%", *x*100)
			}
			return num(x).String()
		}
		bound := ""
		switch {
		case tg.Min != nil && tg.Max != nil:
			bound = t("report.between", show(tg.Min), show(tg.Max))
		case tg.Min != nil:
			bound = "≥ " + show(tg.Min)
		case tg.Max != nil:
			bound = "≤ " + show(tg.Max)
		}
		gap := num(tg.Gap)
		if gap.f == fmtPct1 {
			gap.f = fmtSigned1 // a gap has a sign
		}
		rows = append(rows, []value{text(tg.Name), text(t("report.metric." + tg.Metric)), text(bound), num(tg.Actual), gap, text(status(tg, t))})
	}
	return rows
}

// String is the value as the Markdown shows it, for a bound in words.
func (c value) String() string {
	if x, ok := c.v.(float64); ok {
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
	}
	return fmt.Sprint(c.v)
}

// plain is a line of the Markdown without its markup: bold marks, list
// bullets and escapes go; the words stay.
func plain(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	if rest, ok := strings.CutPrefix(s, "- "); ok {
		s = "• " + rest
	}
	return strings.ReplaceAll(s, `\|`, "|")
}
