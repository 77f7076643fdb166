package bot

import (
	"strings"

	"jifen/locale"
)

// Text renders the table as aligned plain text, one line per row after a
// header and a rule, for monospace output (the console, a Slack code
// block). Column widths count East Asian wide characters as two.
func (t *Table) Text() string {
	var b strings.Builder
	widths := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = TextWidth(c)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], TextWidth(c))
			}
		}
	}
	row := func(cells []string) {
		var line strings.Builder
		line.WriteString(" ")
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			line.WriteString(" " + c)
			if i < len(cells)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-TextWidth(c)+1))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	row(t.Columns)
	sep := make([]string, len(widths))
	for i, w := range widths {
		sep[i] = strings.Repeat("-", w)
	}
	row(sep)
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

// TextWidth is the number of terminal columns s takes (see locale.Width).
func TextWidth(s string) int { return locale.Width(s) }
