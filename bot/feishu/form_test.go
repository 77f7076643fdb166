package feishu

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"jifen/bot"
	"jifen/store"
)

// surveyLike is a card of blocks: a 1–5 scale, a 0–10 scale, a choice and
// a question answered with a text (here a rejection's reason, a command
// that exists with a visible effect).
func surveyLike() bot.Message {
	scale := func(q string, lo, hi, chosen int) []bot.Button {
		var bs []bot.Button
		for v := lo; v <= hi; v++ {
			b := bot.Button{Label: strconv.Itoa(v), ActionID: bot.ActionCommand, Value: fmt.Sprintf("/survey answer s-1 %s %d", q, v)}
			if v == chosen {
				b.Style = "primary"
			}
			bs = append(bs, b)
		}
		return bs
	}
	return bot.Message{Kind: "survey", Title: "调查", Blocks: []bot.Block{
		{Text: "1. 规则清楚吗", Note: "当前回答：4", Buttons: scale("clear", 1, 5, 4)},
		{Text: "2. 会推荐吗", Buttons: scale("nps", 0, 10, -1)},
		{Text: "3. 想要什么", Buttons: []bot.Button{{Label: "调休", ActionID: bot.ActionCommand, Value: "/survey answer s-1 want +1"},
			{Label: "培训", ActionID: bot.ActionCommand, Value: "/survey answer s-1 want -2", Style: "primary"}}},
		{Text: "4. 为什么驳回", Buttons: []bot.Button{{Label: "填写", ActionID: bot.ActionCommand, Value: "/reject 1", Ask: "驳回理由"}}},
	}}
}

// elements lists a card's elements depth first, with those of forms and
// column sets.
func elements(v any) []map[string]any {
	var out []map[string]any
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["tag"]; ok {
			out = append(out, x)
		}
		for _, e := range x {
			out = append(out, elements(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, elements(e)...)
		}
	}
	return out
}

// Blocks are plain-text divs, a grey note, and a row of buttons that wraps;
// the block whose button asks for a text is a form of its own, with an
// input named uniquely in the card.
func TestBlocksRenderAsRowsAndForms(t *testing.T) {
	m := surveyLike()
	m.Buttons = []bot.Button{{Label: "驳回", ActionID: bot.ActionCommand, Value: "/reject 2", Ask: "理由"}} // a second form
	var card any
	if err := json.Unmarshal([]byte(RenderCard(m).JSON()), &card); err != nil {
		t.Fatal(err)
	}
	body := card.(map[string]any)["body"].(map[string]any)["elements"].([]any)
	var forms, rows []map[string]any
	names := map[string]bool{}
	for _, e := range elements(body) {
		switch e["tag"] {
		case "markdown", "lark_md":
			t.Errorf("a markdown element: %v", e)
		case "form":
			forms = append(forms, e)
		case "column_set":
			if e["flex_mode"] != "flow" {
				t.Errorf("a row that does not wrap: %v", e)
			}
			rows = append(rows, e)
		}
		if n, ok := e["name"].(string); ok {
			if names[n] {
				t.Errorf("name %s twice in the card", n)
			}
			names[n] = true
		}
	}
	if len(forms) != 2 || len(rows) != 5 {
		t.Fatalf("%d forms, %d button rows", len(forms), len(rows))
	}
	if n := len(rows[2]["columns"].([]any)); n != 11 {
		t.Errorf("the 0–10 row has %d buttons", n)
	}
	input := forms[1]["elements"].([]any)[0].(map[string]any)
	if input["tag"] != "input" || input["max_length"] != float64(1000) || input["input_type"] != "multiline_text" ||
		input["placeholder"].(map[string]any)["content"] != "驳回理由" {
		t.Errorf("input %v", input)
	}
	raw, _ := json.Marshal(body)
	for _, want := range []string{`{"content":"4. 为什么驳回","tag":"plain_text"}`,
		`{"content":"当前回答：4","tag":"plain_text","text_color":"grey","text_size":"notation"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("no %s in %s", want, raw)
		}
	}
}

// The text typed in a block's form comes back in form_value under the
// input's name, and is appended to the command of the button that sent it.
func TestBlockFormSubmissionAppendsTheText(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-req", "im.message.receive_v1", testToken,
		textMessage("om_req", "p2p", zhang, "/award @_user_1 80 签大单 中标", [2]string{wang, "王芳"})))
	h.wait()
	if _, ok := h.st.Approval(1); !ok {
		t.Fatal("no pending approval")
	}
	// What the client sends back for the block's form: the button's name
	// and value, and the input's text under the input's name.
	var form map[string]any
	for _, e := range elements(map[string]any(RenderCard(surveyLike()))) {
		if e["tag"] == "form" {
			form = e
		}
	}
	var input, button map[string]any
	for _, e := range elements(form["elements"]) {
		switch e["tag"] {
		case "input":
			input = e
		case "button":
			button = e
		}
	}
	if form == nil || input == nil || button == nil || button["form_action_type"] != "submit" {
		t.Fatalf("form %v", form)
	}
	value, _ := json.Marshal(button["behaviors"].([]any)[0].(map[string]any)["value"])
	formValue, _ := json.Marshal(map[string]string{input["name"].(string): "预算 不足\n下季度再议"})
	cb := fmt.Sprintf(`{"operator":{"open_id":%q},"token":"blk-1","action":{"value":%s,"tag":"button","name":%q,"form_value":%s},"context":{"open_message_id":"om_card","open_chat_id":"oc_dm"}}`,
		lina, value, button["name"], formValue)
	for range 2 { // a re-delivered callback changes nothing
		if code, out := h.send(event("ev-blk", "card.action.trigger", testToken, cb)); code != 200 || out["card"] == nil {
			t.Fatalf("%d %v", code, out)
		}
	}
	a, ok := h.st.Approval(1)
	if !ok || a.Status != store.Rejected || a.Note != "预算 不足 下季度再议" {
		t.Fatalf("%+v", a)
	}
}
