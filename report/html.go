package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

// HTML writes the summary as one self-contained page: styles and charts
// (inline SVG) are inside it, so it opens anywhere with no network access,
// and it prints on A4. A band of key figures and, for a quarter or a year,
// the monthly trend come first; the sections follow, parsed from the
// Markdown so the two formats say the same, with the charts drawn from the
// Summary beside the tables they show. Every text goes through
// html/template, which escapes it.
func HTML(w io.Writer, s *Summary, t func(string, ...any) string, lang string) error {
	var md bytes.Buffer
	if err := Markdown(&md, s, t); err != nil {
		return err
	}
	data := struct {
		Lang, Title, Scope string
		Band               []figure
		Trend              template.HTML
		Sections           []section
	}{Lang: lang, Title: t("report.title", s.Period, s.Previous), Band: band(s, t), Trend: trendFigure(s, t)}
	data.Sections = sections(md.String())
	if len(data.Sections) > 0 && data.Sections[0].Level == 0 && len(data.Sections[0].Blocks) > 0 {
		data.Scope = data.Sections[0].Blocks[0].Text
		data.Sections = data.Sections[1:]
	}
	sep := t("report.sep")
	for i := range data.Sections {
		sec := &data.Sections[i]
		switch sec.Title {
		case t("report.h.targets"):
			for j := range sec.Blocks {
				if sec.Blocks[j].Header != nil {
					sec.Blocks[j] = htmlTargets(s, t)
				}
			}
		case t("report.h.by_category"):
			sec.Figures = append(sec.Figures, categoryFigure(s, t))
		case t("report.h.performance"):
			sec.Figures = append(sec.Figures, departmentFigure(s, t))
		case t("report.h.ratings"):
			sec.Figures = append(sec.Figures, ratingTrendFigure(s, t))
		case t("report.h.surveys"):
			sec.Figures = append(sec.Figures, surveyFigures(s.Surveys, t)...)
			// The distributions are drawn: their column leaves the table.
			for j := range sec.Blocks {
				dropColumn(&sec.Blocks[j], t("report.col.distribution"))
			}
		}
		for j := range sec.Blocks {
			blk := &sec.Blocks[j]
			// Long lists of names fold; the suggestions never do: they
			// are what the page is read for.
			blk.Long = sec.Title != t("report.h.suggestions") && (len(blk.Items) > 6 || (blk.Text != "" && folded(blk.Text, sep)))
			if len(blk.Items) > 0 {
				blk.More = t("html.show_all", len(blk.Items))
			} else {
				blk.More = t("html.show_all", strings.Count(blk.Text, sep)+1)
			}
			for _, r := range blk.Rows {
				var row []cellView
				for _, c := range r {
					row = append(row, cellView{Text: c, Num: numeric.MatchString(c), Fold: folded(c, sep), More: t("html.show_all", strings.Count(c, sep)+1)})
				}
				blk.Cells = append(blk.Cells, row)
			}
		}
	}
	return page.Execute(w, data)
}

// dropColumn removes the named column from a table block.
func dropColumn(b *block, name string) {
	for k, h := range b.Header {
		if h != name {
			continue
		}
		b.Header = append(b.Header[:k:k], b.Header[k+1:]...)
		for i, r := range b.Rows {
			if k < len(r) {
				b.Rows[i] = append(r[:k:k], r[k+1:]...)
			}
		}
		return
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func trimFloat(x float64) string {
	s := fmt.Sprintf("%.2f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// section is a heading and its blocks, parsed back from the Markdown so the
// two formats can never say different things.
type section struct {
	Level   int
	Title   string
	Blocks  []block
	Figures []template.HTML // charts drawn from the Summary, after the blocks
}

type block struct {
	Text    string
	Strong  string // a bold lead-in: Markdown "**title** text"
	Header  []string
	Rows    [][]string
	Cells   [][]cellView // Rows as the page shows them
	Items   []string     // a list: Markdown lines "- item" or "1. item"
	Ordered bool
	Long    bool   // folded in <details>
	More    string // the summary line when folded
}

// cellView is a table cell: numbers are right-aligned, long lists of
// names folded.
type cellView struct {
	Text      string
	Num, Fold bool
	More      string // the summary of a folded list: "展开全部（12）"
}

// numeric matches the cells that are figures: "12", "-3.5", "+4.2%",
// "12.00 (3)", "3 → 1", "—".
var numeric = regexp.MustCompile(`^(—|[+\-−]?[\d,]+(\.\d+)?%?( \(\d+\))?|\d+ → \d+|[+\-]?[\d.]+ (个百分点|pp))$`)

// ordered matches a Markdown ordered list item.
var ordered = regexp.MustCompile(`^\d+\. `)

func sections(md string) []section {
	var out []section
	cur := func() *section {
		if len(out) == 0 {
			out = append(out, section{})
		}
		return &out[len(out)-1]
	}
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "# "):
			continue // the page title
		case strings.HasPrefix(l, "## "):
			out = append(out, section{Level: 2, Title: unescape(l[3:])})
		case strings.HasPrefix(l, "### "):
			out = append(out, section{Level: 3, Title: unescape(l[4:])})
		case strings.HasPrefix(l, "| "):
			blk := block{Header: cells(l)}
			i++ // the rule
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "| ") {
				i++
				blk.Rows = append(blk.Rows, cells(lines[i]))
			}
			cur().Blocks = append(cur().Blocks, blk)
		case strings.HasPrefix(l, "- "):
			blk := block{Items: []string{unescape(l[2:])}}
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "- ") {
				i++
				blk.Items = append(blk.Items, unescape(lines[i][2:]))
			}
			cur().Blocks = append(cur().Blocks, blk)
		case ordered.MatchString(l):
			blk := block{Ordered: true}
			for ; i < len(lines) && ordered.MatchString(lines[i]); i++ {
				blk.Items = append(blk.Items, unescape(ordered.ReplaceAllString(lines[i], "")))
			}
			i--
			cur().Blocks = append(cur().Blocks, blk)
		case strings.HasPrefix(l, "**"):
			blk := block{Text: unescape(l)}
			if head, rest, ok := strings.Cut(l[2:], "**"); ok {
				blk.Strong, blk.Text = unescape(head), unescape(rest)
			}
			cur().Blocks = append(cur().Blocks, blk)
		case strings.TrimSpace(l) != "":
			cur().Blocks = append(cur().Blocks, block{Text: unescape(l)})
		}
	}
	return out
}

func cells(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |")
	parts := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), " | ")
	for i, p := range parts {
		parts[i] = unescape(strings.ReplaceAll(p, "\x00", "|"))
	}
	return parts
}

// unescape undoes cell(): html/template escapes again for the page.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", `\|`, "|").Replace(s)
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif;max-width:1000px;margin:2em auto;padding:0 1.2em;color:#222;line-height:1.6;word-break:normal;overflow-wrap:anywhere}
h1{border-bottom:3px solid #b8322a;padding-bottom:.3em;margin-bottom:.2em}h2{margin-top:2em;color:#b8322a;border-bottom:1px solid #eee}h3{margin-top:1.4em}
.scope{color:#555;margin-top:0}
.band{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:1.2em 0}
.kf{border:1px solid #e3e3e3;border-top:4px solid #b8322a;border-radius:4px;padding:8px 12px;background:#fcfcfc}
.kf .l{font-size:13px;color:#555;white-space:nowrap}.kf .v{font-size:24px;font-weight:bold;font-variant-numeric:tabular-nums;line-height:1.3}
.kf .c{font-size:12px;color:#777}.kf .c.up{color:#2f7d4f}.kf .c.down{color:#c0392b}
table{border-collapse:collapse;margin:1em 0;width:100%;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5;white-space:nowrap;word-break:keep-all}
td{min-width:3em}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafafa}
figure{margin:1.5em 0;break-inside:avoid}figcaption{font-weight:bold;margin-bottom:.5em}svg{width:100%;max-width:760px;height:auto;font-family:inherit;display:block}
details summary{cursor:pointer;color:#555}
li{margin:.2em 0}
@page{size:A4;margin:15mm 12mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:11pt}h2{break-before:page;margin-top:0}section:first-of-type h2{break-before:auto}
table,figure,.band{break-inside:avoid}tr{break-inside:avoid}thead{display:table-header-group}details>*{display:block}}
</style></head><body>
<h1>{{.Title}}</h1>
{{with .Scope}}<p class="scope">{{.}}</p>{{end}}
<div class="band">{{range .Band}}<div class="kf"><div class="l">{{.Label}}</div><div class="v">{{.Value}}</div>{{if .Change}}<div class="c {{.Trend}}">{{.Change}}</div>{{end}}</div>{{end}}</div>
{{.Trend}}
{{range .Sections}}<section>{{if eq .Level 2}}<h2>{{.Title}}</h2>{{else if eq .Level 3}}<h3>{{.Title}}</h3>{{end}}
{{range .Blocks}}{{if .Header}}<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>{{range .Cells}}<tr>{{range .}}<td{{if .Num}} class="num"{{end}}>{{if .Fold}}<details><summary>{{.More}}</summary>{{.Text}}</details>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>{{end}}</tbody></table>
{{else if .Items}}{{if .Long}}<details><summary>{{.More}}</summary>{{end}}{{if .Ordered}}<ol>{{else}}<ul>{{end}}{{range .Items}}<li>{{.}}</li>{{end}}{{if .Ordered}}</ol>{{else}}</ul>{{end}}{{if .Long}}</details>{{end}}
{{else if .Long}}<details><summary>{{.More}}</summary><p>{{.Text}}</p></details>
{{else}}<p>{{with .Strong}}<strong>{{.}}</strong>{{end}}{{.Text}}</p>{{end}}{{end}}
{{range .Figures}}{{.}}{{end}}</section>{{end}}
</body></html>
`))
