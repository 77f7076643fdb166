package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"jifen/bot"
)

// askButton renders m and returns its button labelled label, as Slack
// would send it back in a click.
func askButton(t *testing.T, m bot.Message, label string) *slackapi.ButtonBlockElement {
	t.Helper()
	for _, b := range Render(m, "", 0).Blocks {
		if ab, ok := b.(*slackapi.ActionBlock); ok {
			for _, e := range ab.Elements.ElementSet {
				if btn := e.(*slackapi.ButtonBlockElement); btn.Text.Text == label {
					return btn
				}
			}
		}
	}
	t.Fatalf("no button %s", label)
	return nil
}

// Any button that asks for a text, not only a rejection's, opens a modal
// labelled with its prompt; the submission runs the command with the text
// appended, once however often Slack delivers it; a refused command shows
// its error in the modal.
func TestAskButtonOpensAModalAndRunsOnce(t *testing.T) {
	h := newHarness(t)
	for _, where := range []string{"message", "block"} {
		t.Run(where, func(t *testing.T) {
			before := h.st.EntryCount()
			ask := bot.Button{Label: "写理由并发放", ActionID: bot.ActionCommand, Value: "/award <@U0456EFGH|wangfang> 10", Ask: "发放理由（规则名）"}
			m := bot.Message{Kind: "info", Text: []string{"给王芳发积分"}, Buttons: []bot.Button{{Label: "取消", ActionID: bot.ActionCommand, Value: "/help"}, ask}}
			if where == "block" {
				m = bot.Message{Kind: "survey", Blocks: []bot.Block{{Text: "1. 打分", Buttons: []bot.Button{{Label: "5", ActionID: bot.ActionCommand, Value: "/help"}}},
					{Text: "2. 理由", Buttons: []bot.Button{ask}}}}
			}
			btn := askButton(t, m, ask.Label)
			cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":"t-ask-%s","response_url":%q,"user":{"id":%q},
				"container":{"type":"message","message_ts":"1700000000.000003","channel_id":"D0ZHANG"},
				"actions":[{"type":"button","action_id":%q,"block_id":"b","value":%q,"text":{"type":"plain_text","text":%q},"action_ts":"1.3"}]}`,
				where, h.slack.GetAPIURL()+"response", zhang, btn.ActionID, btn.Value, btn.Text.Text)
			sent := len(h.slack.sent())
			if code, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil); code != 200 || body != "" {
				t.Fatalf("click: %d %q", code, body)
			}
			h.wait()
			var view map[string]any
			for _, p := range h.slack.sent()[sent:] {
				switch p.Path {
				case "/views.open":
					view, _ = p.Body["view"].(map[string]any)
				case "/response":
					t.Fatalf("the click answered instead of asking: %v", p.Body)
				}
			}
			if view == nil {
				t.Fatal("no modal opened")
			}
			if h.st.EntryCount() != before {
				t.Fatal("the click ran the command before the text was given")
			}
			raw, _ := json.Marshal(view)
			var modal slackapi.ModalViewRequest
			if err := json.Unmarshal(raw, &modal); err != nil {
				t.Fatal(err)
			}
			input, _ := modal.Blocks.BlockSet[0].(*slackapi.InputBlock)
			if modal.CallbackID != callbackAsk || modal.Title.Text != "写理由并发放" || input == nil || input.Label.Text != "发放理由（规则名）" {
				t.Fatalf("modal: %s", raw)
			}
			if el, _ := input.Element.(*slackapi.PlainTextInputBlockElement); el == nil || !el.Multiline || el.MaxLength != 2000 {
				t.Fatalf("input: %s", raw)
			}
			var meta askMeta
			if json.Unmarshal([]byte(modal.PrivateMetadata), &meta) != nil || meta.Command != ask.Value {
				t.Fatalf("private_metadata %q", modal.PrivateMetadata)
			}

			submit := func(viewID, text string) string {
				t.Helper()
				sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":%q,"hash":"h1","callback_id":%q,"private_metadata":%q,
					"state":{"values":{%q:{%q:{"type":"plain_text_input","value":%q}}}}}}`,
					zhang, viewID, modal.CallbackID, modal.PrivateMetadata, input.BlockID, input.Element.(*slackapi.PlainTextInputBlockElement).ActionID, text)
				code, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(sub), nil)
				if code != 200 {
					t.Fatalf("submission: %d", code)
				}
				return body
			}
			for range 3 { // Slack retries a submission it saw no answer to
				if body := submit("V-"+where, "客户好评 回访满意"); body != "" {
					t.Fatalf("submission answered %q", body)
				}
			}
			h.wait()
			if n := h.st.EntryCount(); n != before+1 {
				t.Fatalf("entries %d after a retried submission, want %d", n, before+1)
			}
			replaced := 0
			for _, p := range h.slack.sent()[sent:] {
				if p.Path == "/response" && p.Body["replace_original"] == true && strings.Contains(fmt.Sprint(p.Body["text"]), "王芳") {
					replaced++
				}
			}
			if replaced == 0 {
				t.Error("the card was not replaced by the answer")
			}
			// A text the command refuses: the error shows in the modal,
			// which stays open, and nothing is written.
			if body := submit("V-bad-"+where, "没有这条规则"); !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"text"`) {
				t.Errorf("refused text: %s", body)
			}
			if n := h.st.EntryCount(); n != before+1 {
				t.Errorf("entries %d after a refused text", n)
			}
		})
	}
}

// An ask button clicked where no modal can open (no trigger_id) runs its
// command as it is, which answers for itself.
func TestAskButtonWithoutATriggerRunsTheCommand(t *testing.T) {
	h := newHarness(t)
	btn := askButton(t, bot.Message{Kind: "info", Buttons: []bot.Button{{Label: "写", ActionID: bot.ActionCommand, Value: "/score", Ask: "?"}}}, "写")
	cb := fmt.Sprintf(`{"type":"block_actions","response_url":%q,"user":{"id":%q},
		"actions":[{"type":"button","action_id":%q,"block_id":"b","value":"/score","action_ts":"1.4"}]}`, h.slack.GetAPIURL()+"response", wang, btn.ActionID)
	h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil)
	h.wait()
	answered := false
	for _, p := range h.slack.sent() {
		if p.Path == "/views.open" {
			t.Fatal("a modal without a trigger")
		}
		answered = answered || (p.Path == "/response" && strings.Contains(fmt.Sprint(p.Body), "王芳"))
	}
	if !answered {
		t.Fatalf("no answer: %+v", h.slack.sent())
	}
}
