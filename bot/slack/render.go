package slack

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"jifen/bot"
)

// Block Kit limits (https://api.slack.com/reference/block-kit): a message
// holds 50 blocks, a section's text 3,000 characters, 10 fields of 2,000,
// a header 150, a button label 75 and its value 2,000.
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxFields      = 10
	maxFieldText   = 2000
	maxHeader      = 150
	maxButtonLabel = 75
	maxButtonValue = 2000
	maxButtons     = 25
)

// RowsPerPage is how many table rows one message shows; longer tables
// (the rule list, long histories) get Previous/Next buttons.
const RowsPerPage = 15

// ActionPage is the action id prefix of pagination buttons.
const ActionPage = "jifen_page"

// Rendered is a message ready for chat.postMessage, a response_url or a
// Socket Mode acknowledgement.
type Rendered struct {
	Blocks []slackapi.Block
	Text   string // plain-text fallback for notifications, escaped
}

// pageLabels are the pagination texts per language: previous, next, and
// "page %d of %d".
var pageLabels = map[string][3]string{
	"zh": {"上一页", "下一页", "第 %d/%d 页"},
	"en": {"Previous", "Next", "Page %d of %d"},
}

// Render renders m in Chinese; see RenderLang.
func Render(m bot.Message, command string, page int) Rendered {
	return RenderLang(m, command, page, "zh")
}

// RenderLang renders m as Block Kit. Every string is escaped, so nothing a
// user typed can mention @channel or form a link. command is the command
// text that produced m, carried by pagination buttons so a click re-runs
// it for another page (only read-only replies have tables); page selects
// the page of a long table.
func RenderLang(m bot.Message, command string, page int, lang string) Rendered {
	labels, ok := pageLabels[lang]
	if !ok {
		labels = pageLabels["zh"]
	}
	var blocks []slackapi.Block
	mrkdwn := func(s string) *slackapi.TextBlockObject {
		return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
	}
	section := func(s string) {
		for _, part := range split(s, maxSectionText) {
			blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(part), nil, nil))
		}
	}

	if m.Kind == "error" {
		section("⚠️ " + Escape(strings.Join(m.Text, "\n")))
	} else {
		if m.Title != "" {
			blocks = append(blocks, slackapi.NewHeaderBlock(
				slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(m.Title, maxHeader), false, false)))
		}
		for _, p := range m.Text {
			section(Escape(p))
		}
	}

	for i := 0; i < len(m.Fields); i += maxFields {
		var fields []*slackapi.TextBlockObject
		for _, f := range m.Fields[i:min(i+maxFields, len(m.Fields))] {
			fields = append(fields, mrkdwn(truncate("*"+Escape(f.Label)+"*\n"+Escape(f.Value), maxFieldText)))
		}
		blocks = append(blocks, slackapi.NewSectionBlock(nil, fields, nil))
	}

	if t := m.Table; t != nil && len(t.Rows) > 0 {
		pages := (len(t.Rows) + RowsPerPage - 1) / RowsPerPage
		page = max(0, min(page, pages-1))
		shown := &bot.Table{Columns: t.Columns, Rows: t.Rows[page*RowsPerPage : min((page+1)*RowsPerPage, len(t.Rows))]}
		// A code block keeps the columns aligned; each section holds whole
		// lines within the text limit.
		for _, chunk := range split(Escape(shown.Text()), maxSectionText-8) {
			section("```" + chunk + "```")
		}
		if pages > 1 {
			blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(fmt.Sprintf(labels[2], page+1, pages))))
			var nav []slackapi.BlockElement
			if page > 0 {
				nav = append(nav, button(ActionPage+":prev", labels[0], EncodePage(command, page-1), ""))
			}
			if page < pages-1 {
				nav = append(nav, button(ActionPage+":next", labels[1], EncodePage(command, page+1), ""))
			}
			blocks = append(blocks, slackapi.NewActionBlock("jifen_pages", nav...))
		}
	}

	if len(m.Buttons) > 0 {
		var els []slackapi.BlockElement
		for i, b := range m.Buttons[:min(len(m.Buttons), maxButtons)] {
			els = append(els, button(CommandActionID(i), b.Label, b.Value, b.Style))
		}
		blocks = append(blocks, slackapi.NewActionBlock("jifen_actions", els...))
	}

	if m.Footer != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(truncate(Escape(m.Footer), maxSectionText))))
	}

	if len(blocks) > maxBlocks {
		blocks = append(blocks[:maxBlocks-1], slackapi.NewContextBlock("", mrkdwn("…")))
	}
	return Rendered{Blocks: blocks, Text: fallback(m)}
}

func button(actionID, label, value, style string) *slackapi.ButtonBlockElement {
	b := slackapi.NewButtonBlockElement(actionID, truncateBytes(value, maxButtonValue),
		slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(label, maxButtonLabel), false, false))
	switch style {
	case "primary":
		b.Style = slackapi.StylePrimary
	case "danger":
		b.Style = slackapi.StyleDanger
	}
	return b
}

// fallback is the notification text: the title and the first paragraph.
func fallback(m bot.Message) string {
	parts := []string{}
	if m.Title != "" {
		parts = append(parts, m.Title)
	}
	if len(m.Text) > 0 {
		parts = append(parts, m.Text[0])
	}
	return truncate(Escape(strings.Join(parts, "\n")), maxSectionText)
}

// Escape escapes the three characters Slack treats as markup in message
// text: & < >. With them escaped, "<!channel>" or "<http://x|y>" typed by a
// user is shown as typed and does nothing.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// CommandActionID is the action id of the i-th button of a message: Slack
// wants action ids unique within a message.
func CommandActionID(i int) string { return fmt.Sprintf("%s:%d", bot.ActionCommand, i) }

// IsCommandAction reports whether a clicked action id is a command button.
func IsCommandAction(id string) bool {
	rest, ok := strings.CutPrefix(id, bot.ActionCommand)
	return ok && (rest == "" || strings.HasPrefix(rest, ":"))
}

// pageValue is what a pagination button carries.
type pageValue struct {
	Command string `json:"c"`
	Page    int    `json:"p"`
}

// EncodePage packs a command and a page into a button value.
func EncodePage(command string, page int) string {
	raw, _ := json.Marshal(pageValue{command, page})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// DecodePage unpacks EncodePage's value; anything else is rejected.
func DecodePage(v string) (command string, page int, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", 0, false
	}
	var pv pageValue
	if json.Unmarshal(raw, &pv) != nil || pv.Page < 0 || !strings.HasPrefix(pv.Command, "/") {
		return "", 0, false
	}
	return pv.Command, pv.Page, true
}

// split cuts s into pieces of at most n characters, at line ends where it
// can.
func split(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		r := []rune(s)
		cut := n
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		out = append(out, string(r[:cut]))
		s = strings.TrimPrefix(string(r[cut:]), "\n")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// truncateBytes keeps a value within n bytes without splitting a rune.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
