package console

import (
	"fmt"
	"strings"

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
		b.WriteString(m.Table.Text())
	}
	for _, btn := range m.Buttons {
		fmt.Fprintf(&b, "  [%s] %s\n", btn.Label, btn.Value)
	}
	if m.Footer != "" {
		b.WriteString(m.Footer + "\n")
	}
	return b.String()
}
