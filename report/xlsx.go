package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"jifen/rules"
	"jifen/survey"
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
	split := splitTables(s, t)
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
			tb, ok := split[strings.Join(blk.Header, "\x00")]
			header, rows := tb.header, tb.rows
			if !ok {
				header, rows = blk.Header, make([][]value, len(blk.Rows))
				for i, r := range blk.Rows {
					for _, c := range r {
						rows[i] = append(rows[i], typed(c))
					}
				}
			}
			if n := len(header) - 1; n > 0 && header[n] == t("report.col.distribution") {
				// The counts of each answer are on a sheet of their own.
				header = header[:n]
				for i := range rows {
					rows[i] = rows[i][:min(n, len(rows[i]))]
				}
			}
			if _, err := b.table(sec.Title, "", header, rows); err != nil {
				return err
			}
		}
		if sec.Title == t("report.h.surveys") {
			if rows := answerRows(s, t); len(rows) > 0 {
				if _, err := b.table(t("xlsx.sheet.answers"), "", []string{t("xlsx.col.survey"), t("xlsx.col.round"), t("report.col.question"),
					t("xlsx.col.answer"), t("xlsx.col.count"), t("xlsx.col.share")}, rows); err != nil {
					return err
				}
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

// sheetTable is a table of the workbook: its header and typed rows.
type sheetTable struct {
	header []string
	rows   [][]value
}

// splitTables are the Markdown tables whose cells join two figures
// ("27.86 (3)", "184 → 26", "100.0% (7)"), rewritten from the summary with
// a column for each, keyed by the Markdown header (joined with NUL).
func splitTables(s *Summary, t func(string, ...any) string) map[string]sheetTable {
	out := map[string]sheetTable{}
	add := func(md, header []string, rows [][]value) {
		out[strings.Join(md, "\x00")] = sheetTable{header, rows}
	}
	orDash := func(x *float64, f string) value {
		if x == nil {
			return text("—")
		}
		return value{*x, f}
	}
	var rows [][]value
	for _, c := range s.Points.CapsHit {
		rows = append(rows, []value{text(c.Name), text(limitText(c, t)), {v: int64(c.Hits)}, {v: int64(c.Receivers)}, {c.Share, fmtPct1}})
	}
	add([]string{t("report.col.behavior"), t("report.col.limit"), t("report.col.hits"), t("report.col.receivers_hit")},
		[]string{t("report.col.behavior"), t("report.col.limit"), t("report.col.hits"), t("xlsx.col.receivers_hit"), t("xlsx.col.receivers_hit_share")}, rows)

	rows = nil
	for _, pe := range s.Policies {
		rows = append(rows, []value{text(pe.Name), {pe.Date, fmtDate}, {pe.Before, fmtDec2}, {v: int64(pe.Months[0])},
			{pe.After, fmtDec2}, {v: int64(pe.Months[1])}, orDash(pe.Change, fmtSigned1)})
	}
	add([]string{t("report.col.policy"), t("report.col.date"), t("report.col.before"), t("report.col.after"), t("report.col.change")},
		[]string{t("report.col.policy"), t("report.col.date"), t("xlsx.col.before"), t("xlsx.col.months_before"), t("xlsx.col.after"),
			t("xlsx.col.months_after"), t("report.col.change")}, rows)

	rows = nil
	for _, pe := range s.Policies {
		if len(pe.Targets) > 0 {
			rows = append(rows, []value{text(pe.Name), text(policyLabel(pe, t)), orDash(pe.RateBefore, fmtDec2), {v: int64(pe.Months[0])},
				orDash(pe.RateAfter, fmtDec2), {v: int64(pe.Months[1])}, orDash(pe.RateChange, fmtSigned1), {v: int64(pe.StoppedCount)}})
		}
	}
	add([]string{t("report.col.policy"), t("report.col.targets"), t("report.col.rate_before"), t("report.col.rate_after"), t("report.col.change"), t("report.col.stopped")},
		[]string{t("report.col.policy"), t("report.col.targets"), t("xlsx.col.rate_before"), t("xlsx.col.months_before"), t("xlsx.col.rate_after"),
			t("xlsx.col.months_after"), t("report.col.change"), t("report.col.stopped")}, rows)

	rows = nil
	for _, mv := range s.Climbers {
		rows = append(rows, []value{text("↑"), text(mv.Name), text(mv.Department), {v: int64(mv.From)}, {v: int64(mv.To)}, {v: mv.Points}})
	}
	for _, mv := range s.Fallers {
		rows = append(rows, []value{text("↓"), text(mv.Name), text(mv.Department), {v: int64(mv.From)}, {v: int64(mv.To)}, {v: mv.Points}})
	}
	add([]string{"", t("report.col.name"), t("report.col.department"), t("report.col.rank"), t("report.col.points")},
		[]string{"", t("report.col.name"), t("report.col.department"), t("xlsx.col.rank_before"), t("xlsx.col.rank"), t("report.col.points")}, rows)
	return out
}

// answerRows are the answer counts of the surveys' latest rounds, one row
// an answer, as the report shows them: the share is of the members who
// answered the question (a multiple choice's shares add up to more than
// 100%).
func answerRows(s *Summary, t func(string, ...any) string) [][]value {
	var rows [][]value
	for i, r := range s.Surveys {
		if i+1 < len(s.Surveys) && s.Surveys[i+1].Survey == r.Survey {
			continue // an earlier round
		}
		for _, it := range r.Items {
			row := func(answer value, n int) {
				share := value{v: "—"}
				if it.Answered > 0 {
					share = value{float64(n) / float64(it.Answered), fmtPct1}
				}
				rows = append(rows, []value{text(r.Title), text(r.Round), text(it.Text), answer, {v: int64(n)}, share})
			}
			switch it.Kind {
			case survey.Likert, survey.NPS:
				lo := 1
				if it.Kind == survey.NPS {
					lo = 0
				}
				for k, n := range it.Counts {
					row(value{v: int64(k + lo)}, n)
				}
			case survey.Text:
			default:
				for _, c := range it.Choices {
					row(text(c.Choice), c.N)
				}
			}
		}
	}
	return rows
}
