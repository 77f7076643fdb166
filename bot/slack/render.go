package slack

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"jifen/bot"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit): a message
// holds 50 blocks, a section's text 3,000 characters, 10 fields of 2,000,
// a header 150, an actions block 25 elements, a button label 75 and its
// value 2,000.
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

// ActionPage is the action id prefix of pagination buttons: the buttons
// are ActionPage+":prev" and ActionPage+":next", their value EncodePage's.
const ActionPage = "jifen_page"

// Rendered is a message ready for chat.postMessage, a response_url or a
// Socket Mode acknowledgement.
type Rendered struct {
	Blocks []slackapi.Block
	Text   string // plain-text fallback for notifications, escaped
}

// pageLabels are the pagination texts per language: previous, next, and
// "page %d of %d". Unknown languages get Chinese, the bot's default.
var pageLabels = map[string][3]string{
	"zh": {"上一页", "下一页", "第 %d/%d 页"},
	"en": {"Previous", "Next", "Page %d of %d"},
}

// Render renders m in Chinese; see RenderLang.
func Render(m bot.Message, command string, page int) Rendered {
	return RenderLang(m, command, page, "zh")
}

// RenderLang renders m as Block Kit:
//
//   - the title as a header (an error has none: its text starts with ⚠️);
//   - each paragraph as a section, split at line ends to fit;
//   - fields as section fields, ten to a section;
//   - the table as an aligned code block, RowsPerPage rows per page, with
//     "page x of y" and Previous/Next buttons when it has several pages;
//   - buttons as one actions block;
//   - each block as a section, its note as a context block and its
//     buttons as an actions block of their own;
//   - the footer as a context block.
//
// A button that asks for a text (Button.Ask) gets an action id that says
// so (AskActionID): its click opens a modal for the text.
//
// Charts are left out: the table or the fields carry the same figures.
//
// Every mrkdwn string is escaped and marked verbatim, so nothing a user
// typed (a reason, a name) can mention @channel, link a #channel or form a
// link. Plain-text objects (the header, button labels) are sent as typed:
// Slack parses no markup in them.
//
// command is the command text that produced m; pagination buttons carry it
// so that a click re-runs it for another page (only read-only replies have
// tables). Without a command there are no pagination buttons. page
// (0-based) selects the page of a long table and is clamped to the pages
// there are.
func RenderLang(m bot.Message, command string, page int, lang string) Rendered {
	labels, ok := pageLabels[lang]
	if !ok {
		labels = pageLabels["zh"]
	}
	var blocks []slackapi.Block
	section := func(escaped string) {
		for _, part := range split(escaped, maxSectionText) {
			blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(part), nil, nil))
		}
	}

	if m.Kind == "error" {
		section("⚠️ " + Escape(strings.Join(m.Text, "\n")))
	} else {
		if title := clipPlain(strings.TrimSpace(m.Title), maxHeader); title != "" {
			blocks = append(blocks, slackapi.NewHeaderBlock(plainText(title)))
		}
		for _, p := range m.Text {
			section(Escape(p))
		}
	}

	for fields := range slices.Chunk(m.Fields, maxFields) {
		var objs []*slackapi.TextBlockObject
		for _, f := range fields {
			text := Escape(f.Value)
			if f.Label != "" {
				text = "*" + Escape(f.Label) + "*\n" + text
			}
			if text = clipEscaped(text, maxFieldText); text != "" {
				objs = append(objs, mrkdwn(text))
			}
		}
		if len(objs) > 0 {
			blocks = append(blocks, slackapi.NewSectionBlock(nil, objs, nil))
		}
	}

	if t := m.Table; t != nil && len(t.Rows) > 0 {
		pages := (len(t.Rows) + RowsPerPage - 1) / RowsPerPage
		page = max(0, min(page, pages-1))
		shown := &bot.Table{Columns: t.Columns, Rows: t.Rows[page*RowsPerPage : min((page+1)*RowsPerPage, len(t.Rows))]}
		// A code block keeps the columns aligned. A backtick in a cell
		// would close it, so cells show a look-alike of the same width.
		// Each section holds whole lines within the text limit.
		text := strings.ReplaceAll(shown.Text(), "`", "ˋ")
		for _, chunk := range split(Escape(text), maxSectionText-2*len("```")) {
			blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn("```"+chunk+"```"), nil, nil))
		}
		if pages > 1 {
			blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(fmt.Sprintf(labels[2], page+1, pages))))
			var nav []slackapi.BlockElement
			add := func(suffix, label string, to int) {
				if v := EncodePage(command, to); command != "" && len(v) <= maxButtonValue {
					nav = append(nav, button(ActionPage+":"+suffix, label, v, ""))
				}
			}
			if page > 0 {
				add("prev", labels[0], page-1)
			}
			if page < pages-1 {
				add("next", labels[1], page+1)
			}
			if len(nav) > 0 {
				blocks = append(blocks, slackapi.NewActionBlock("jifen_pages", nav...))
			}
		}
	}

	var els []slackapi.BlockElement
	for i, b := range m.Buttons {
		// A cut command would be a different command: a button whose
		// value does not fit is left out rather than shortened.
		if len(els) == maxButtons || len(b.Value) > maxButtonValue {
			continue
		}
		els = append(els, commandButton(strconv.Itoa(i), b))
	}
	if len(els) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock("jifen_actions", els...))
	}

	// Blocks: a paragraph, its note and its own row of buttons each (a
	// survey's questions). A button that asks for a text opens a modal.
	// Action ids carry the block's index, so they stay unique in the
	// message; block ids too.
	for i, blk := range m.Blocks {
		if text := clipEscaped(Escape(blk.Text), maxSectionText); strings.TrimSpace(text) != "" {
			blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(text), nil, nil))
		}
		if note := clipEscaped(Escape(blk.Note), maxSectionText); strings.TrimSpace(note) != "" {
			blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(note)))
		}
		var row []slackapi.BlockElement
		for j, b := range blk.Buttons {
			if len(row) == maxButtons || len(b.Value) > maxButtonValue {
				continue
			}
			row = append(row, commandButton(fmt.Sprintf("b%d:%d", i, j), b))
		}
		if len(row) > 0 {
			blocks = append(blocks, slackapi.NewActionBlock(fmt.Sprintf("jifen_block:%d", i), row...))
		}
	}

	if footer := clipEscaped(Escape(m.Footer), maxSectionText); strings.TrimSpace(footer) != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(footer)))
	}

	if len(blocks) > maxBlocks {
		blocks = append(blocks[:maxBlocks-1], slackapi.NewContextBlock("", mrkdwn("…")))
	}
	return Rendered{Blocks: blocks, Text: fallback(m)}
}

// mrkdwn is a text object for escaped text. Verbatim stops Slack's
// automatic parsing, which would otherwise turn a bare URL, a #channel
// name or certain @mentions in the text into links and mentions.
func mrkdwn(escaped string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, escaped, false, true)
}

// plainText is a plain-text object; emoji codes such as :tada: stay as typed.
func plainText(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
}

// commandButton is the element of a neutral button: a link, a button that
// asks for a text first (see AskActionID), or one that runs its command.
// pos makes its action id unique in the message: "3" for the fourth of the
// message's buttons, "b2:0" for the first of its third block's.
func commandButton(pos string, b bot.Button) *slackapi.ButtonBlockElement {
	switch {
	case b.URL != "":
		// A link button opens the address; Slack still sends the click.
		bt := button("jifen_link:"+pos, b.Label, "", b.Style)
		bt.URL = b.URL
		return bt
	case b.Ask != "":
		return button(AskActionID(pos, b.Ask), b.Label, b.Value, b.Style)
	}
	return button(bot.ActionCommand+":"+pos, b.Label, b.Value, b.Style)
}

func button(actionID, label, value, style string) *slackapi.ButtonBlockElement {
	if strings.TrimSpace(label) == "" {
		label = value // Slack refuses a button without text
	}
	b := slackapi.NewButtonBlockElement(actionID, value, plainText(clipPlain(label, maxButtonLabel)))
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
	var parts []string
	if m.Title != "" {
		parts = append(parts, m.Title)
	}
	if len(m.Text) > 0 {
		parts = append(parts, m.Text[0])
	}
	return clipEscaped(Escape(strings.Join(parts, "\n")), maxSectionText)
}

// Escape escapes the three characters Slack treats as markup in message
// text: & < >. With them escaped, "<!channel>" or "<http://x|y>" typed by a
// user is shown as typed and does nothing.
func Escape(s string) string { return slackutilsx.EscapeMessage(s) }

// CommandActionID is the action id of the i-th button of a message: Slack
// wants action ids unique within a message.
func CommandActionID(i int) string { return fmt.Sprintf("%s:%d", bot.ActionCommand, i) }

// BlockActionID is the action id of button j of block i, when it does
// not ask for a text.
func BlockActionID(i, j int) string { return fmt.Sprintf("%s:b%d:%d", bot.ActionCommand, i, j) }

// maxActionID is Slack's limit on an action id.
const maxActionID = 255

// askPrefix starts the action id of a button that asks for a text.
const askPrefix = bot.ActionCommand + ":ask:"

// AskActionID is the action id of a button that asks for a text before
// its command runs (Button.Ask): the click opens a modal instead. Slack
// sends back only a button's action id, value and label, so the id carries
// the prompt, for the modal's label: base64url after ":p:", cut to fit
// Slack's 255 characters. pos makes the id unique in the message, as for
// the other buttons; IsCommandAction accepts it.
func AskActionID(pos, prompt string) string {
	id := askPrefix + pos
	room := (maxActionID - len(id) - len(":p:")) * 3 / 4 // bytes that fit once encoded
	if prompt = clipBytes(strings.TrimSpace(prompt), room); prompt == "" {
		return id
	}
	return id + ":p:" + base64.RawURLEncoding.EncodeToString([]byte(prompt))
}

// IsAskAction reports whether a clicked action id is a button that asks
// for a text before its command runs.
func IsAskAction(id string) bool { return strings.HasPrefix(id, askPrefix) }

// AskPrompt is the prompt AskActionID put in id, or "" when there is none
// or it does not decode: the id comes back from the client, and a wrong
// one only costs the modal its label.
func AskPrompt(id string) string {
	rest, ok := strings.CutPrefix(id, askPrefix)
	if !ok {
		return ""
	}
	_, enc, ok := strings.Cut(rest, ":p:")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !utf8.Valid(raw) {
		return ""
	}
	return strings.TrimSpace(string(raw))
}

// clipBytes shortens s to at most n bytes of whole characters, ending in
// "…" when it cuts.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := 0
	for i := range s { // i is where each character starts
		if i+len("…") > n {
			break
		}
		cut = i
	}
	if cut == 0 {
		return ""
	}
	return s[:cut] + "…"
}

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

// EncodePage packs a command and a page into a button value: URL-safe
// base64 of a small JSON object, opaque to whoever reads the payload.
func EncodePage(command string, page int) string {
	raw, _ := json.Marshal(pageValue{command, page})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// DecodePage unpacks EncodePage's value. Anything else, a negative page or
// a value that is not a command, is rejected: the value comes back from
// the client and is not trusted.
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

// split cuts escaped text into pieces of at most n characters, at line
// ends where it can and never inside an entity. It returns no pieces for
// empty text: Slack refuses an empty section.
func split(escaped string, n int) []string {
	var out []string
	r := []rune(escaped)
	for len(r) > n {
		cut := lastIndex(r[:n], '\n')
		if cut <= 0 {
			cut = entityBoundary(r, n)
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
		if len(r) > 0 && r[0] == '\n' {
			r = r[1:]
		}
	}
	if strings.TrimSpace(string(r)) != "" {
		out = append(out, string(r))
	}
	return out
}

// clipEscaped shortens escaped text to at most n characters, ending in "…"
// when it cuts, and never cuts inside an entity.
func clipEscaped(escaped string, n int) string {
	r := []rune(escaped)
	if len(r) <= n {
		return escaped
	}
	return string(r[:entityBoundary(r, n-1)]) + "…"
}

// clipPlain shortens plain text to at most n characters, ending in "…"
// when it cuts.
func clipPlain(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// entityBoundary is the largest cut ≤ n that does not fall inside one of
// Escape's entities (&amp; &lt; &gt;, at most five characters): in escaped
// text every & starts one.
func entityBoundary(r []rune, n int) int {
	n = min(n, len(r))
	for i := n - 1; i >= max(0, n-4); i-- {
		switch r[i] {
		case ';':
			return n
		case '&':
			return i
		}
	}
	return n
}

func lastIndex(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}
