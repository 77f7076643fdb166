package console

import (
	"fmt"
	"strings"
	"unicode"

	"jifen/bot"
)

// Render writes a message as plain text for a terminal: the title, the
// paragraphs, "label: value" fields, an aligned table (wide characters count
// two columns), buttons as the command they run, and the footer.
func Render(m bot.Message) string {
	var b strings.Builder
	if m.Title != "" {
		fmt.Fprintf(&b, "【%s】\n", m.Title)
	}
	prefix := ""
	if m.Kind == "error" {
		prefix = "✗ "
	}
	for _, t := range m.Text {
		b.WriteString(prefix + t + "\n")
	}
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "  %s: %s\n", f.Label, f.Value)
	}
	if m.Table != nil {
		writeTable(&b, m.Table)
	}
	for _, btn := range m.Buttons {
		fmt.Fprintf(&b, "  [%s] %s\n", btn.Label, btn.Value)
	}
	if m.Footer != "" {
		b.WriteString(m.Footer + "\n")
	}
	return b.String()
}

func writeTable(b *strings.Builder, t *bot.Table) {
	widths := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = Width(c)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], Width(c))
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
				line.WriteString(strings.Repeat(" ", widths[i]-Width(c)+1))
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
}

// Width is the number of terminal columns s takes: East Asian wide and
// full-width characters and emoji take two.
func Width(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case r == 0 || unicode.Is(unicode.Mn, r):
		case wide(r):
			w += 2
		default:
			w++
		}
	}
	return w
}

func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		(r >= 0x3000 && r <= 0x303F) || // CJK punctuation
		(r >= 0xFF01 && r <= 0xFF60) || // full-width forms
		(r >= 0xFFE0 && r <= 0xFFE6) ||
		(r >= 0x1F300 && r <= 0x1FAFF) // emoji, medals
}
