package feishu

import (
	"encoding/json"
	"fmt"

	"jifen/bot"
)

// Card JSON 2.0 rendering of the neutral message model. Everything a user
// may have typed goes into plain_text elements, which Feishu never parses:
// a reason cannot @所有人, form a link, or change the card's markup, and
// json.Marshal keeps it from breaking the JSON.

// Card is a message card, ready to be JSON-encoded as a message's content
// or a callback's card.
type Card map[string]any

// templates colour the header by kind.
var templates = map[string]string{
	"award": "green", "thanks": "turquoise", "deduct": "orange", "revoke": "grey", "approval": "purple",
	"leaderboard": "gold", "score": "blue", "error": "red", "survey": "indigo",
}

const (
	maxTableRows = 50 // more rows go to further pages of the table component
	pageSize     = 10
)

// RenderCard renders m as a card.
func RenderCard(m bot.Message) Card {
	var els []any
	plain := func(s string) map[string]any { return map[string]any{"tag": "plain_text", "content": s} }
	div := func(s string) map[string]any { return map[string]any{"tag": "div", "text": plain(s)} }

	prefix := ""
	if m.Kind == "error" {
		prefix = "⚠️ "
	}
	for i, p := range m.Text {
		if i == 0 {
			p = prefix + p
		}
		els = append(els, div(p))
	}
	// Fields two to a row.
	for i := 0; i < len(m.Fields); i += 2 {
		var cols []any
		for _, f := range m.Fields[i:min(i+2, len(m.Fields))] {
			cols = append(cols, map[string]any{"tag": "column", "width": "weighted", "weight": 1,
				"elements": []any{
					map[string]any{"tag": "div", "text": map[string]any{"tag": "plain_text", "content": f.Label, "text_color": "grey", "text_size": "notation"}},
					div(f.Value),
				}})
		}
		els = append(els, map[string]any{"tag": "column_set", "columns": cols})
	}
	if c := m.Chart; c != nil && len(c.Values) > 1 {
		els = append(els, chart(c))
	}
	if t := m.Table; t != nil && len(t.Rows) > 0 {
		els = append(els, table(t))
	}
	if len(m.Buttons) > 0 {
		els = append(els, buttonRow(m.Buttons, "jifen_form"))
	}
	// Blocks: a paragraph, its note and its own buttons each (a survey's
	// questions).
	for i, blk := range m.Blocks {
		if blk.Text != "" {
			els = append(els, div(blk.Text))
		}
		if blk.Note != "" {
			els = append(els, map[string]any{"tag": "div", "text": map[string]any{"tag": "plain_text", "content": blk.Note, "text_size": "notation", "text_color": "grey"}})
		}
		if len(blk.Buttons) > 0 {
			els = append(els, buttonRow(blk.Buttons, fmt.Sprintf("jifen_form_%d", i)))
		}
	}
	if m.Footer != "" {
		els = append(els, map[string]any{"tag": "div", "text": map[string]any{"tag": "plain_text", "content": m.Footer, "text_size": "notation", "text_color": "grey"}})
	}
	card := Card{
		"schema": "2.0",
		"config": map[string]any{"update_multi": true},
		"body":   map[string]any{"elements": els},
	}
	if m.Title != "" {
		tmpl := templates[m.Kind]
		if tmpl == "" {
			tmpl = "blue"
		}
		card["header"] = map[string]any{"title": plain(m.Title), "template": tmpl}
	}
	return card
}

// table is the card table component: it paginates by itself.
func table(t *bot.Table) map[string]any {
	var cols []any
	for i, c := range t.Columns {
		cols = append(cols, map[string]any{"name": fmt.Sprintf("c%d", i), "display_name": c, "data_type": "text", "width": "auto"})
	}
	var rows []any
	for _, r := range t.Rows[:min(len(t.Rows), maxTableRows)] {
		row := map[string]any{}
		for i, v := range r {
			row[fmt.Sprintf("c%d", i)] = v
		}
		rows = append(rows, row)
	}
	return map[string]any{"tag": "table", "page_size": pageSize, "row_height": "low",
		"header_style": map[string]any{"bold": true, "background_style": "grey"}, "columns": cols, "rows": rows}
}

// chart is a horizontal bar chart of the top members (VChart spec).
func chart(c *bot.Chart) map[string]any {
	var values []any
	for i, l := range c.Labels {
		values = append(values, map[string]any{"name": l, "points": c.Values[i]})
	}
	spec := map[string]any{
		"type": "bar", "direction": "horizontal",
		"data":   map[string]any{"values": values},
		"xField": "points", "yField": "name",
		"axes":  []any{map[string]any{"orient": "left", "type": "band", "inverse": true}},
		"label": map[string]any{"visible": true},
	}
	if c.Title != "" {
		spec["title"] = map[string]any{"text": c.Title}
	}
	return map[string]any{"tag": "chart", "aspect_ratio": "4:3", "chart_spec": spec}
}

// JSON is the card as a message content string.
func (c Card) JSON() string {
	raw, _ := json.Marshal(c)
	return string(raw)
}

// buttonRow lays buttons out in a row that wraps. When one of them asks
// for a text, the row becomes a form: a text input (named form+"_text",
// unique in the card as Feishu requires) above the buttons, which submit
// it; its value comes back in the callback's form_value and is appended to
// the commands of the buttons that ask for it.
func buttonRow(bs []bot.Button, form string) map[string]any {
	ask := askOf(bs)
	var cols []any
	for j, b := range bs {
		typ := "default"
		switch b.Style {
		case "primary":
			typ = "primary"
		case "danger":
			typ = "danger"
		}
		btn := map[string]any{"tag": "button", "text": map[string]any{"tag": "plain_text", "content": b.Label}, "type": typ,
			"behaviors": []any{behavior(b)}}
		if ask != "" && b.URL == "" {
			btn["form_action_type"] = "submit"
			btn["name"] = fmt.Sprintf("%s_b%d", form, j)
		}
		cols = append(cols, map[string]any{"tag": "column", "width": "auto", "elements": []any{btn}})
	}
	row := map[string]any{"tag": "column_set", "flex_mode": "flow", "columns": cols}
	if ask == "" {
		return row
	}
	return map[string]any{"tag": "form", "name": form, "elements": []any{
		map[string]any{"tag": "input", "name": form + "_text", "placeholder": map[string]any{"tag": "plain_text", "content": ask},
			"max_length": 1000, "input_type": "multiline_text", "rows": 3},
		row,
	}}
}

// behavior is what a button does: open a link, or call back with its
// command.
func behavior(b bot.Button) map[string]any {
	if b.URL != "" {
		return map[string]any{"type": "open_url", "default_url": b.URL}
	}
	v := map[string]string{"command": b.Value}
	if b.Ask != "" {
		v["ask"] = "1" // append the form's text to the command
	}
	return map[string]any{"type": "callback", "value": v}
}

// askOf is the prompt of the first button that asks for a text.
func askOf(bs []bot.Button) string {
	for _, b := range bs {
		if b.Ask != "" {
			return b.Ask
		}
	}
	return ""
}
