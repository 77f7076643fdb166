package simulate

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
)

// T translates a key of the sim.* texts (locale.T for one language).
type T func(key string, args ...any) string

// RankLines is how many rank changes Markdown and HTML show; JSON has all.
const RankLines = 20

// table is one section as Markdown and HTML render it: the first column is
// text, the others are numbers (right-aligned).
type table struct {
	title string
	head  []string
	rows  [][]string
}

func num(v int64) string { return strconv.FormatInt(v, 10) }

func signed(v int64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

func dec(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func (res *Result) tables(t T) (intro []string, out []table) {
	intro = append(intro, t("sim.scope", res.From.Format("2006-01-02"), res.To.AddDate(0, 0, -1).Format("2006-01-02"), res.Members))
	if !res.Complete {
		intro = append(intro, t("sim.as_of", res.AsOf.Format("2006-01-02")))
	}
	intro = append(intro, t("sim.effect", res.Effect.Changed, res.Effect.Cut, res.Effect.Dropped))
	pairHead := []string{t("sim.col.figure"), t("sim.col.actual"), t("sim.col.simulated"), t("sim.col.diff")}
	pair := func(name string, p Pair) []string {
		return []string{name, num(p.Actual), num(p.Simulated), signed(p.Simulated - p.Actual)}
	}

	ch := table{title: t("sim.h.changes"), head: []string{t("sim.col.behavior"), t("sim.col.from"), t("sim.col.to")}}
	for _, c := range res.Changes {
		name := c.Name
		switch {
		case c.Removed:
			name += t("sim.removed")
		case c.Added:
			name += t("sim.added")
		case c.NewName != "":
			name += " → " + c.NewName
		}
		ch.rows = append(ch.rows, []string{name, c.From, c.To})
	}
	out = append(out, ch)

	tot := table{title: t("sim.h.totals"), head: pairHead}
	tot.rows = [][]string{pair(t("sim.net"), res.Totals.Net), pair(t("sim.awarded"), res.Totals.Awarded),
		pair(t("sim.deducted"), res.Totals.Deducted), pair(t("sim.entries"), res.Totals.Entries)}
	out = append(out, tot)

	if len(res.Removed) > 0 {
		rm := table{title: t("sim.h.removed"), head: []string{t("sim.col.behavior"), t("sim.col.entries"), t("sim.col.points")}}
		for _, r := range res.Removed {
			rm.rows = append(rm.rows, []string{r.Name + "（" + t("sim.reason."+r.Reason) + "）", strconv.Itoa(r.Entries), num(r.Points)})
		}
		out = append(out, rm)
	}

	cat := table{title: t("sim.h.by_category"), head: pairHead}
	for _, l := range res.ByCategory {
		cat.rows = append(cat.rows, pair(l.Name, l.Pair))
	}
	out = append(out, cat)

	group := func(title string, gs []Group) table {
		tb := table{title: title, head: []string{t("sim.col.name"), t("sim.col.members"), t("sim.col.actual"), t("sim.col.simulated"),
			t("sim.col.diff"), t("sim.col.per_head"), t("sim.col.sim_per_head")}}
		for _, g := range gs {
			tb.rows = append(tb.rows, []string{g.Name, strconv.Itoa(g.Members), num(g.Actual), num(g.Simulated),
				signed(g.Simulated - g.Actual), dec(g.ActualPerHead), dec(g.SimulatedPerHead)})
		}
		return tb
	}
	roles := make([]Group, len(res.ByRole))
	for i, g := range res.ByRole {
		g.Name = t("role." + g.Name)
		roles[i] = g
	}
	out = append(out, group(t("sim.h.by_department"), res.ByDepartment), group(t("sim.h.by_role"), roles))

	sp := table{title: t("sim.h.spread"), head: []string{t("sim.col.figure"), t("sim.col.high"), t("sim.col.low"), t("sim.col.gap"), t("sim.col.ratio")}}
	spread := func(name string, s Spread, role bool) []string {
		hi, lo := s.High, s.Low
		if role {
			hi, lo = t("role."+hi), t("role."+lo)
		}
		ratio := "—"
		if s.Ratio != nil {
			ratio = dec(*s.Ratio) + "×"
		}
		return []string{name, hi + " " + dec(s.HighHead), lo + " " + dec(s.LowHead), dec(s.Gap), ratio}
	}
	sp.rows = [][]string{
		spread(t("sim.departments")+" · "+t("sim.col.actual"), res.Spread.Departments.Actual, false),
		spread(t("sim.departments")+" · "+t("sim.col.simulated"), res.Spread.Departments.Simulated, false),
		spread(t("sim.roles")+" · "+t("sim.col.actual"), res.Spread.Roles.Actual, true),
		spread(t("sim.roles")+" · "+t("sim.col.simulated"), res.Spread.Roles.Simulated, true),
	}
	out = append(out, sp)

	rk := table{title: t("sim.h.ranks", RankLines), head: []string{t("sim.col.member"), t("sim.col.department"), t("sim.col.actual"),
		t("sim.col.simulated"), t("sim.col.rank"), t("sim.col.sim_rank"), t("sim.col.change")}}
	for i, m := range res.Ranks {
		if i >= RankLines || m.Change == 0 && m.Actual == m.Simulated {
			break
		}
		rk.rows = append(rk.rows, []string{m.Name, m.Department, num(m.Actual), num(m.Simulated), strconv.Itoa(m.ActualRank),
			strconv.Itoa(m.SimulatedRank), signed(int64(m.Change))})
	}
	out = append(out, rk)

	cp := table{title: t("sim.h.caps"), head: []string{t("sim.col.member"), t("sim.col.department"), t("sim.col.cap"), t("sim.col.cut"),
		t("sim.col.dropped"), t("sim.col.lost")}}
	for _, h := range res.CapsHit {
		cp.rows = append(cp.rows, []string{h.Name, h.Department, capText(t, h.Cap), strconv.Itoa(h.Cut), strconv.Itoa(h.Dropped), num(h.Points)})
	}
	out = append(out, cp)
	return intro, out
}

// Section is one table of a simulation: a title, the column heads and the
// rows; the first column is text, the others are figures.
type Section struct {
	Title string
	Head  []string
	Rows  [][]string
}

// Sections returns what Markdown and HTML render, the intro's paragraphs
// then the tables, cell for cell, for another page (the web console) to
// show the same figures in its own layout.
func (res *Result) Sections(t T) (intro []string, sections []Section) {
	intro, tables := res.tables(t)
	for _, tb := range tables {
		sections = append(sections, Section{Title: tb.title, Head: tb.head, Rows: tb.rows})
	}
	return intro, sections
}

// capText names a cap in words: "全勤 本月最多 1 次".
func capText(t T, c Cap) string {
	key := "sim.cap." + c.Kind
	switch c.Kind {
	case "max_per_thanks", "max_per_award":
		return t(key, c.Points)
	case "behavior_times":
		return t(key, c.BehaviorName, c.Period, c.Times)
	case "behavior_points":
		return t(key, c.BehaviorName, c.Period, c.Points)
	}
	return t(key, c.Period, c.Points)
}

// Markdown writes the simulation as Markdown.
func Markdown(w io.Writer, res *Result, t T) error {
	var b strings.Builder
	intro, tables := res.tables(t)
	fmt.Fprintf(&b, "# %s\n\n", mdCell(t("sim.title", res.Period)))
	for _, p := range intro {
		fmt.Fprintf(&b, "%s\n\n", mdCell(p))
	}
	for _, tb := range tables {
		fmt.Fprintf(&b, "## %s\n\n", mdCell(tb.title))
		if len(tb.rows) == 0 {
			fmt.Fprintf(&b, "%s\n\n", t("sim.none"))
			continue
		}
		b.WriteString("|")
		for _, h := range tb.head {
			b.WriteString(" " + mdCell(h) + " |")
		}
		b.WriteString("\n|")
		for i := range tb.head {
			if i == 0 {
				b.WriteString("---|")
			} else {
				b.WriteString("---:|")
			}
		}
		b.WriteString("\n")
		for _, r := range tb.rows {
			b.WriteString("|")
			for _, c := range r {
				b.WriteString(" " + mdCell(c) + " |")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell keeps user text (names from the config and the directory) from
// breaking a table or starting Markdown syntax.
var mdEscaper = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]")

func mdCell(s string) string { return mdEscaper.Replace(s) }

// HTML writes the simulation as a self-contained page: inline style, no
// script, every text escaped.
func HTML(w io.Writer, res *Result, t T, lang string) error {
	var b strings.Builder
	esc := html.EscapeString
	intro, tables := res.tables(t)
	title := esc(t("sim.title", res.Period))
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="%s"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.3em .7em;border-bottom:1px solid #eee}
th{background:#f6f6f6;white-space:nowrap;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.up{color:#1a7f37}td.down{color:#cf222e}
@media print{body{max-width:none;margin:0}}
</style></head><body>
<h1>%s</h1>
`, esc(lang), title, title)
	for _, p := range intro {
		fmt.Fprintf(&b, "<p>%s</p>\n", esc(p))
	}
	for _, tb := range tables {
		fmt.Fprintf(&b, "<h2>%s</h2>\n", esc(tb.title))
		if len(tb.rows) == 0 {
			fmt.Fprintf(&b, "<p>%s</p>\n", esc(t("sim.none")))
			continue
		}
		b.WriteString("<table><thead><tr>")
		for i, h := range tb.head {
			fmt.Fprintf(&b, "<th%s>%s</th>", numClass(i, ""), esc(h))
		}
		b.WriteString("</tr></thead><tbody>\n")
		for _, r := range tb.rows {
			b.WriteString("<tr>")
			for i, c := range r {
				fmt.Fprintf(&b, "<td%s>%s</td>", numClass(i, c), esc(c))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody></table>\n")
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func numClass(col int, cell string) string {
	switch {
	case col == 0:
		return ""
	case strings.HasPrefix(cell, "+"):
		return ` class="n up"`
	case strings.HasPrefix(cell, "-") && len(cell) > 1:
		return ` class="n down"`
	}
	return ` class="n"`
}

// JSON writes the result as indented JSON (docs/simulate.md).
func JSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
