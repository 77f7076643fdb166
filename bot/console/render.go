package console

import (
	"fmt"
	"strings"

	"jifen/bot"
)

// Render writes a message as plain text for a terminal: the title, the
// paragraphs, "label: value" fields, an aligned table (wide characters count
// two columns), buttons as the command they run (to type it), the blocks
// with their buttons, and the footer.
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
		button(&b, btn, false)
	}
	for _, blk := range m.Blocks {
		if blk.Text != "" {
			b.WriteString(blk.Text + "\n")
		}
		if blk.Note != "" {
			fmt.Fprintf(&b, "    %s\n", blk.Note)
		}
		if prefix, ok := commonCommand(blk.Buttons); ok {
			// One line for a row of answers to the same command: the
			// answers, then the command to type with one of them.
			var opts []string
			for _, btn := range blk.Buttons {
				v := btn.Value[len(prefix)+1:]
				opt := v
				if v != btn.Label {
					opt = v + "=" + btn.Label
				}
				if btn.Style == "primary" {
					opt += "✓"
				}
				opts = append(opts, opt)
			}
			fmt.Fprintf(&b, "  %s\n  → %s …\n", strings.Join(opts, " · "), prefix)
			continue
		}
		for _, btn := range blk.Buttons {
			button(&b, btn, true)
		}
	}
	if m.Footer != "" {
		b.WriteString(m.Footer + "\n")
	}
	return b.String()
}

// button shows a button as the command it runs; one that asks for a text
// says where the text goes. In a block, a primary button is the current
// answer, and is marked.
func button(b *strings.Builder, btn bot.Button, inBlock bool) {
	mark := ""
	if inBlock && btn.Style == "primary" {
		mark = " ✓"
	}
	switch {
	case btn.URL != "":
		fmt.Fprintf(b, "  [%s] %s\n", btn.Label, btn.URL)
	case btn.Ask != "":
		fmt.Fprintf(b, "  [%s] %s <%s>\n", btn.Label, btn.Value, btn.Ask)
	default:
		fmt.Fprintf(b, "  [%s%s] %s\n", btn.Label, mark, btn.Value)
	}
}

// commonCommand reports whether several buttons run one command that
// differs only in its last word (the answer), and that command.
func commonCommand(bs []bot.Button) (string, bool) {
	if len(bs) < 2 {
		return "", false
	}
	var prefix string
	for i, btn := range bs {
		j := strings.LastIndexByte(btn.Value, ' ')
		if j < 0 || btn.Ask != "" || btn.URL != "" || (i > 0 && btn.Value[:j] != prefix) {
			return "", false
		}
		prefix = btn.Value[:j]
	}
	return prefix, true
}
