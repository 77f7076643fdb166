package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// HTML writes the summary as one self-contained page: styles and charts
// (inline SVG) are inside it, so it opens anywhere with no network access.
// Every text goes through html/template, which escapes it.
func HTML(w io.Writer, s *Summary, t func(string, ...any) string, lang string) error {
	var md bytes.Buffer
	if err := Markdown(&md, s, t); err != nil {
		return err
	}
	data := struct {
		Lang, Title string
		Charts      []template.HTML
		Sections    []section
	}{Lang: lang, Title: t("report.title", s.Period, s.Previous)}
	var cats []bar
	for _, c := range s.Points.ByCategory {
		cats = append(cats, bar{c.Name, float64(c.Points)})
	}
	var depts []bar
	for _, d := range s.Departments {
		depts = append(depts, bar{d.Name, d.Average})
	}
	data.Charts = []template.HTML{
		barChart(t("report.h.by_category"), cats),
		barChart(t("report.col.average")+" · "+t("report.col.department"), depts),
	}
	data.Sections = sections(md.String())
	return page.Execute(w, data)
}

type bar struct {
	Label string
	Value float64
}

// barChart draws horizontal bars as SVG; labels are escaped.
func barChart(title string, bars []bar) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	maxAbs := 0.0
	for _, b := range bars {
		maxAbs = max(maxAbs, abs64(b.Value))
	}
	if maxAbs == 0 {
		maxAbs = 1
	}
	const width, labelW, rowH = 640, 140, 26
	h := len(bars)*rowH + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><figcaption>%s</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img">`, template.HTMLEscapeString(title), width, h)
	zero := labelW + (width-labelW-60)/2
	scale := float64(width-labelW-60) / 2 / maxAbs
	allPositive := true
	for _, x := range bars {
		if x.Value < 0 {
			allPositive = false
		}
	}
	if allPositive {
		zero, scale = labelW, float64(width-labelW-60)/maxAbs
	}
	for i, x := range bars {
		y := 20 + i*rowH
		w := int(abs64(x.Value) * scale)
		left := zero
		color := "#2f7d4f"
		if x.Value < 0 {
			left, color = zero-w, "#c0392b"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="13">%s</text>`, labelW-8, y+15, template.HTMLEscapeString(x.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="%s"/>`, left, y+2, max(w, 1), color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12">%s</text>`, max(left+w, zero)+6, y+15, template.HTMLEscapeString(trimFloat(x.Value)))
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
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
	Level  int
	Title  string
	Blocks []block
}

type block struct {
	Text   string
	Header []string
	Rows   [][]string
	Items  []string // a list: Markdown lines "- item"
}

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
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222;line-height:1.6}
h1{border-bottom:3px solid #b8322a;padding-bottom:.3em}h2{margin-top:2em;color:#b8322a}
table{border-collapse:collapse;margin:1em 0;width:100%;font-size:14px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}th{background:#f5f5f5}
tr:nth-child(even) td{background:#fafafa}figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.5em}svg{width:100%;height:auto}
</style></head><body>
<h1>{{.Title}}</h1>
{{range .Charts}}{{.}}{{end}}
{{range .Sections}}{{if eq .Level 2}}<h2>{{.Title}}</h2>{{else if eq .Level 3}}<h3>{{.Title}}</h3>{{end}}
{{range .Blocks}}{{if .Header}}<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>
{{else if .Items}}<ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul>
{{else}}<p>{{.Text}}</p>{{end}}{{end}}{{end}}
</body></html>
`))
