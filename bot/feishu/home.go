package feishu

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

// The personal card: the member's own page (bot.HomeView) as a card 2.0,
// sent on their first direct message to the bot and from the bot menu
// (event key "home"), and updated in place when one of its buttons is
// used: the callback answers with the card built anew.

// MenuHome is the bot menu's event key of the personal card.
const MenuHome = "home"

// Names of the thank-a-colleague form's inputs (unique in the card).
const (
	thanksForm   = "home_thanks"
	thanksWho    = thanksForm + "_who"
	thanksPoints = thanksForm + "_points"
	thanksReason = thanksForm + "_reason"
)

// RenderHomeCard renders a page as a card: the figures two to a row, the
// lines under them, the common actions, then each part of the page under
// a heading of its own, its items each with their buttons, and the form
// that thanks a colleague. Every button calls back with "home" set, so
// that the answer is the card built anew. All text is plain_text.
// t translates the form's labels.
func RenderHomeCard(v bot.HomeView, t func(key string, args ...any) string) Card {
	var els []any
	plain := func(s string) map[string]any { return map[string]any{"tag": "plain_text", "content": s} }
	div := func(s string) map[string]any { return map[string]any{"tag": "div", "text": plain(s)} }
	note := func(s string) map[string]any {
		return map[string]any{"tag": "div", "text": map[string]any{"tag": "plain_text", "content": s, "text_size": "notation", "text_color": "grey"}}
	}
	for i := 0; i < len(v.Fields); i += 2 {
		var cols []any
		for _, f := range v.Fields[i:min(i+2, len(v.Fields))] {
			cols = append(cols, map[string]any{"tag": "column", "width": "weighted", "weight": 1,
				"elements": []any{note(f.Label), div(f.Value)}})
		}
		els = append(els, map[string]any{"tag": "column_set", "columns": cols})
	}
	for _, p := range v.Text {
		els = append(els, div(p))
	}
	var actions []bot.Button
	thanks := false
	for _, b := range v.Actions {
		if b.ActionID == bot.ActionThanks {
			thanks = true
			continue
		}
		actions = append(actions, b)
	}
	if len(actions) > 0 {
		els = append(els, homeRow(actions, "home_actions"))
	}
	for si, s := range v.Sections {
		els = append(els, map[string]any{"tag": "hr"},
			map[string]any{"tag": "div", "text": map[string]any{"tag": "plain_text", "content": s.Title, "text_size": "heading"}})
		for _, p := range s.Text {
			els = append(els, div(p))
		}
		for ii, it := range s.Items {
			els = append(els, div(it.Text))
			if it.Note != "" {
				els = append(els, note(it.Note))
			}
			if len(it.Buttons) > 0 {
				els = append(els, homeRow(it.Buttons, fmt.Sprintf("home_%d_%d", si, ii)))
			}
		}
	}
	if thanks {
		els = append(els, map[string]any{"tag": "hr"}, thanksFormElement(v, t))
	}
	if v.Footer != "" {
		els = append(els, note(v.Footer))
	}
	return Card{
		"schema": "2.0",
		"config": map[string]any{"update_multi": true},
		"header": map[string]any{"title": plain(v.Title), "template": "blue"},
		"body":   map[string]any{"elements": els},
	}
}

// homeRow is buttonRow with every callback marked as the personal card's.
func homeRow(bs []bot.Button, form string) map[string]any {
	bs = slices.Clone(bs)
	for i := range bs {
		if bs[i].ActionID == bot.ActionHome {
			bs[i].Value = "" // refresh runs no command
		}
	}
	row := buttonRow(bs, form)
	markHome(row)
	return row
}

// markHome sets "home" in the value of every callback behavior under v.
func markHome(v any) {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "callback" {
			if val, ok := v["value"].(map[string]string); ok {
				val["home"] = "1"
			}
		}
		for _, e := range v {
			markHome(e)
		}
	case []any:
		for _, e := range v {
			markHome(e)
		}
	}
}

// thanksFormElement is the form that thanks a colleague: their name (or
// id, as in a command's @mention), the points and the reason.
func thanksFormElement(v bot.HomeView, t func(key string, args ...any) string) map[string]any {
	input := func(name, key string, multiline bool) map[string]any {
		label := map[string]any{"tag": "plain_text", "content": t(key)}
		in := map[string]any{"tag": "input", "name": name, "required": true, "max_length": 500, "label": label, "placeholder": label}
		if multiline {
			in["input_type"] = "multiline_text"
			in["rows"] = 2
		}
		return in
	}
	submit := t("home.thanks.submit")
	for _, b := range v.Actions {
		if b.ActionID == bot.ActionThanks {
			submit = b.Label
		}
	}
	return map[string]any{"tag": "form", "name": thanksForm, "elements": []any{
		input(thanksWho, "home.thanks.who", false),
		input(thanksPoints, "home.thanks.points", false),
		input(thanksReason, "home.thanks.reason", true),
		map[string]any{"tag": "button", "name": thanksForm + "_submit", "type": "primary", "form_action_type": "submit",
			"text":      map[string]any{"tag": "plain_text", "content": submit},
			"behaviors": []any{map[string]any{"type": "callback", "value": map[string]string{"command": "/thanks", "home": "1", "form": "thanks"}}}},
	}}
}

// homeCard builds a member's personal card.
func (a *Adapter) homeCard(ctx context.Context, m jifen.Member) Card {
	return RenderHomeCard(a.bot.Home(ctx, m), a.bot.T)
}

// firstContact reports whether this is the member's first direct message
// to the bot, recording that it was: the mark is kept in the store, so a
// restart does not greet them again. It is named by a hash of the Feishu
// account, not by the member's id, which jifen member forget replaces
// everywhere else.
func (a *Adapter) firstContact(ctx context.Context, m jifen.Member) bool {
	if m.FeishuOpenID == "" {
		return false
	}
	name := "feishu.home:" + uuid("home:"+m.FeishuOpenID)
	// A read first: most messages are not the first. A failed read
	// greets no one.
	var seen bool
	if err := a.st.Read(ctx, func(r store.Reader) error {
		seen = !r.LastRun(name).IsZero()
		return nil
	}); err != nil || seen {
		return false
	}
	ok, err := a.st.ClaimRun(ctx, name, time.UnixMilli(1))
	return err == nil && ok
}

// homeAction handles a button of the personal card: the command runs for
// the operator (its answer, a survey card say, comes as a message of its
// own), and the callback answers with a toast and the card built anew.
func (a *Adapter) homeAction(ctx context.Context, ev cardEvent, command, form, key, home string) any {
	caller, err := a.member(ctx, user{OpenID: ev.Operator.OpenID, Tenant: ev.Operator.TenantKey}, home)
	if err != nil {
		return toast("error", a.bot.ErrorResponse(asCaller(err)).Reply.Text[0])
	}
	if form == "thanks" {
		str := func(name string) string {
			s, _ := ev.Action.FormValue[name].(string)
			return strings.Join(strings.Fields(s), " ")
		}
		who, points := strings.TrimLeft(str(thanksWho), "@＠"), str(thanksPoints)
		if who == "" {
			return toast("error", a.bot.T("home.thanks.no_colleague"))
		}
		if n, err := strconv.Atoi(points); err != nil || n < 1 || n > 1000 {
			return toast("error", a.bot.T("home.thanks.bad_points", 1000))
		}
		command = fmt.Sprintf("/thanks @%s %s %s", strings.ReplaceAll(who, " ", ""), points, str(thanksReason))
	}
	out := map[string]any{}
	if command != "" {
		resp := a.bot.Handle(ctx, bot.Request{Caller: caller, Text: command, Source: "feishu", Key: key})
		if resp.Reply.Kind == "error" {
			out = toast("error", strings.Join(resp.Reply.Text, " "))
		} else {
			out = toast("success", firstLine(resp.Reply))
			_ = a.queue(ctx, Address{IDType: "open_id", ID: caller.FeishuOpenID}, "", resp.Reply, key)
		}
	}
	out["card"] = map[string]any{"type": "raw", "data": a.homeCard(ctx, caller)}
	return out
}
