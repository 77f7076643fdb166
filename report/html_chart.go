package report

import (
	"fmt"
	"html/template"
	"strings"
)

// The charts of the HTML page: inline SVG built from the Summary, every
// text escaped. Colors: the current period green (red when negative), the
// previous period grey.
const (
	colorCur  = "#2f7d4f"
	colorNeg  = "#c0392b"
	colorPrev = "#b5b5b5"
	colorLine = "#b8322a"
)

var esc = template.HTMLEscapeString

// pair is a labelled value of the period beside the previous period's.
type pair struct {
	Label     string
	Cur, Prev float64
	HasPrev   bool
}

// pairChart draws horizontal bars, the previous period's thinner bar
// under each current one, with a legend.
func pairChart(title, legendCur, legendPrev string, rows []pair) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	maxAbs, neg := 0.0, false
	for _, r := range rows {
		maxAbs = max(maxAbs, abs64(r.Cur), abs64(r.Prev))
		neg = neg || r.Cur < 0 || r.Prev < 0
	}
	if maxAbs == 0 {
		maxAbs = 1
	}
	const width, labelW, rowH, pad = 640, 150, 34, 70
	span := float64(width - labelW - pad)
	zero, scale := float64(labelW), span/maxAbs
	if neg {
		zero, scale = float64(labelW)+span/2, span/2/maxAbs
	}
	h := len(rows)*rowH + 44
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><figcaption>%s</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" font-size="13">`, esc(title), width, h)
	legend(&b, 8, []string{legendCur, legendPrev}, []string{colorCur, colorPrev})
	bar := func(v float64, y, hh int, color string) {
		w := abs64(v) * scale
		x := zero
		if v < 0 {
			x, color = zero-w, colorNeg
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`, x, y, max(w, 1), hh, color)
		tx, anchor := zero+w+4, "start"
		if v < 0 {
			tx, anchor = zero-w-4, "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="%s">%s</text>`, tx, y+hh-1, anchor, esc(trimFloat(v)))
	}
	for i, r := range rows {
		y := 30 + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+15, esc(r.Label))
		bar(r.Cur, y, 16, colorCur)
		if r.HasPrev {
			bar(r.Prev, y+18, 9, colorPrev)
		}
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="26" y2="%d" stroke="#888"/>`, zero, zero, h-8)
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

// legend draws colored squares with their labels in a row at y.
func legend(b *strings.Builder, y int, labels, colors []string) {
	x := 150
	for i, l := range labels {
		if l == "" {
			continue
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12">%s</text>`, x, y, colors[i], x+16, y+11, esc(l))
		x += 40 + 13*len([]rune(l))
	}
}

// column is one month (or period) of a trend chart.
type column struct {
	Label     string
	Value     float64
	Line      *float64 // the line's height, 0..1 of the right axis; nil: none
	LineLabel string   // the line's figure at this column: "98%", "2.71"
	NoValue   bool     // no column: the period is not covered whole
	Note      string   // under the label: "评级 2.71"
}

// tick is a label of the right axis at a height 0..1.
type tick struct {
	At    float64
	Label string
}

// shareTicks label the right axis of a share.
var shareTicks = []tick{{0, "0%"}, {0.5, "50%"}, {1, "100%"}}

// trendChart draws columns (points) and, when given, a line on a right
// axis labelled by ticks (a share, an average rating).
func trendChart(title, legendCols, legendLine string, cols []column, ticks []tick) template.HTML {
	if len(cols) == 0 {
		return ""
	}
	maxV, minV := 0.0, 0.0
	hasLine := false
	for _, c := range cols {
		if c.NoValue {
			continue
		}
		maxV, minV = max(maxV, c.Value), min(minV, c.Value)
		hasLine = hasLine || c.Line != nil
	}
	if maxV == minV {
		maxV = minV + 1
	}
	if hasLine {
		maxV *= 1.35 // the columns' labels stay under the line near 100%
	}
	const width, height, left, right, top, bottom = 640, 260, 40, 50, 34, 40
	plotW, plotH := float64(width-left-right), float64(height-top-bottom)
	y := func(v float64) float64 { return top + (maxV-v)/(maxV-minV)*plotH }
	step := plotW / float64(len(cols))
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><figcaption>%s</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" font-size="12">`, esc(title), width, height)
	if !hasLine {
		legendLine = ""
	}
	legend(&b, 6, []string{legendCols, legendLine}, []string{colorCur, colorLine})
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#888"/>`, left, width-right, y(0), y(0))
	var pts []string
	for i, c := range cols {
		x := float64(left) + float64(i)*step
		bw := step * 0.6
		yt, yb := y(max(c.Value, 0)), y(min(c.Value, 0))
		color := colorCur
		if c.Value < 0 {
			color = colorNeg
		}
		if c.NoValue {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="#888">—</text>`, x+step/2, y(0)-4)
		} else {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x+step*0.2, yt, bw, max(yb-yt, 1), color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11">%s</text>`, x+step/2, yt-4, esc(trimFloat(c.Value)))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+step/2, height-bottom+16, esc(c.Label))
		if c.Note != "" {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#555">%s</text>`, x+step/2, height-bottom+31, esc(c.Note))
		}
		if c.Line != nil {
			py := float64(top) + (1-*c.Line)*plotH
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x+step/2, py))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/><text x="%.1f" y="%.1f" font-size="10" fill="%s" text-anchor="middle" stroke="#fff" stroke-width="3" paint-order="stroke">%s</text>`,
				x+step/2, py, colorLine, x+step/2, py-6, colorLine, esc(c.LineLabel))
		}
	}
	if len(pts) > 1 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), colorLine)
	}
	if hasLine {
		for _, tk := range ticks {
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="10" fill="%s">%s</text>`, width-right+6, float64(top)+(1-tk.At)*plotH+4, colorLine, esc(tk.Label))
		}
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

// stack is one question's answers: the count of each answer, in order.
type stack struct {
	Label  string
	Counts []int
}

// stackedChart draws one 100% bar per question, a segment per answer,
// colored from red (the lowest) to green (the highest) when scaled, with
// the answers' names in the legend.
func stackedChart(title string, names []string, scaled bool, rows []stack) template.HTML {
	if len(rows) == 0 || len(names) == 0 {
		return ""
	}
	colors := make([]string, len(names))
	palette := []string{"#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#e15759", "#86bcb6"}
	for i := range names {
		if scaled {
			// red → amber → green
			f := float64(i) / float64(max(1, len(names)-1))
			r, g := 200, 200
			if f < 0.5 {
				g = int(60 + 280*f)
			} else {
				r = int(200 - 300*(f-0.5))
			}
			colors[i] = fmt.Sprintf("#%02x%02x50", r, g)
		} else {
			colors[i] = palette[i%len(palette)]
		}
	}
	const width, labelW, rowH = 640, 210, 28
	legendRows := (len(names) + 7) / 8
	h := len(rows)*rowH + 20 + legendRows*18
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><figcaption>%s</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" font-size="12">`, esc(title), width, h)
	for i, n := range names {
		x, y := 10+(i%8)*78, 4+(i/8)*18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`, x, y, colors[i], x+15, y+11, esc(n))
	}
	span := float64(width - labelW - 10)
	for i, r := range rows {
		y := 12 + legendRows*18 + i*rowH
		label := []rune(r.Label)
		if len(label) > 16 {
			label = append(label[:15], '…')
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end"><title>%s</title>%s</text>`, labelW-8, y+15, esc(r.Label), esc(string(label)))
		total := 0
		for _, n := range r.Counts {
			total += n
		}
		if total == 0 {
			continue
		}
		x := float64(labelW)
		for k, n := range r.Counts {
			w := float64(n) / float64(total) * span
			if w <= 0 {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="20" fill="%s"><title>%s: %d</title></rect>`, x, y+1, w, colors[k], esc(names[k]), n)
			if w >= 22 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#fff">%d</text>`, x+w/2, y+15, n)
			}
			x += w
		}
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}
