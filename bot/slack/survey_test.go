package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// A survey round started with a slash command reaches the audience on
// Slack as cards; a click on an answer button saves it and replaces the
// card with the answer marked; a second click changes the answer; after
// the round closes, a click shows that it is closed.
func TestSurveyAnsweredWithButtons(t *testing.T) {
	h := newHarness(t)
	if code, msg := h.command(lina, "/survey", "start satisfaction", "t-start"); code != 200 || !strings.Contains(msg.Text+fmt.Sprint(msg.Blocks), "satisfaction-1") {
		t.Fatalf("start: %d %+v", code, msg)
	}
	h.wait()
	cards := 0
	for _, p := range h.slack.sent() {
		if p.Path == "/chat.postMessage" && strings.HasPrefix(p.Channel, "U") && strings.Contains(p.Blocks, "积分制度满意度调查") {
			cards++
			if p.Channel == wang && !strings.Contains(p.Blocks, "/survey answer satisfaction-1 fair 4") {
				t.Errorf("wang's card has no answer buttons: %s", p.Blocks)
			}
		}
	}
	onSlack := 0
	for _, m := range h.cfg.Members {
		if m.SlackID != "" && !m.Bot {
			onSlack++
		}
	}
	if cards != onSlack {
		t.Errorf("%d cards sent, want one to each of the %d members on Slack", cards, onSlack)
	}

	click := func(trigger, value string) map[string]any {
		t.Helper()
		cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":%q,"response_url":%q,"user":{"id":%q},
			"container":{"type":"message","message_ts":"1700000000.000002","channel_id":"D0WANG"},
			"actions":[{"type":"button","action_id":%q,"block_id":"jifen_q:1","value":%q,"action_ts":"1700000002.1"}]}`,
			trigger, h.slack.GetAPIURL()+"response", wang, CommandActionID(0), value)
		before := len(h.slack.sent())
		if code, _ := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil); code != 200 {
			t.Fatalf("click: %d", code)
		}
		h.wait()
		for _, p := range h.slack.sent()[before:] {
			if p.Path == "/response" {
				return p.Body
			}
		}
		t.Fatalf("no answer to the click %s", value)
		return nil
	}
	blocksOf := func(body map[string]any) string {
		raw, _ := json.Marshal(body["blocks"])
		return strings.Join(jsonStrings(raw), "\n")
	}
	body := click("c1", "/survey answer satisfaction-1 fair 4")
	if body["replace_original"] != true || !strings.Contains(blocksOf(body), "你的回答：4") {
		t.Fatalf("first click: %v", body)
	}
	body = click("c2", "/survey answer satisfaction-1 fair 2")
	if !strings.Contains(blocksOf(body), "你的回答：2") {
		t.Fatalf("changed answer: %v", blocksOf(body))
	}
	answers := h.st.Answers("satisfaction", 1)
	if len(answers) != 1 || answers[0].Value("fair") != "2" || answers[0].Member != "" {
		t.Fatalf("answers: %+v", answers)
	}

	// The free-text question: its button opens a modal; the submission
	// runs the command with the text and replaces the card.
	cb := fmt.Sprintf(`{"type":"block_actions","trigger_id":"t-ask","response_url":%q,"user":{"id":%q},
		"actions":[{"type":"button","action_id":%q,"block_id":"jifen_block:5","value":"/survey answer satisfaction-1 comments","text":{"type":"plain_text","text":"填写"},"action_ts":"1.2"}]}`,
		h.slack.GetAPIURL()+"response", wang, AskActionID("b5:0", "其他意见或建议"))
	before := len(h.slack.sent())
	h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(cb), nil)
	opened := false
	for _, p := range h.slack.sent()[before:] {
		opened = opened || p.Path == "/views.open"
	}
	if !opened {
		t.Fatal("the free-text button opened no modal")
	}
	meta, _ := json.Marshal(askMeta{Command: "/survey answer satisfaction-1 comments", ResponseURL: h.slack.GetAPIURL() + "response"})
	sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":"V9","hash":"h9","callback_id":%q,"private_metadata":%q,
		"state":{"values":{"text":{"text":{"type":"plain_text_input","value":"规则 再透明些"}}}}}}`, wang, callbackAsk, meta)
	for range 2 { // a retried submission changes nothing
		if code, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(sub), nil); code != 200 || body != "" {
			t.Fatalf("submission: %d %q", code, body)
		}
	}
	h.wait()
	replaced := false
	for _, p := range h.slack.sent()[before:] {
		replaced = replaced || (p.Path == "/response" && strings.Contains(blocksOf(p.Body), "你的回答：规则 再透明些"))
	}
	if a := h.st.Answers("satisfaction", 1); len(a) != 1 || a[0].Value("comments") != "规则 再透明些" || !replaced {
		t.Fatalf("free text: %+v, card replaced %v", a, replaced)
	}
	// An empty text is refused in the modal.
	empty := strings.Replace(sub, "规则 再透明些", " ", 1)
	if _, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(empty), nil); !strings.Contains(body, `"response_action":"errors"`) {
		t.Errorf("empty text: %s", body)
	}

	h.command(lina, "/survey", "close satisfaction", "t-close")
	body = click("c3", "/survey answer satisfaction-1 fair 5")
	raw, _ := json.Marshal(body["blocks"])
	if body["replace_original"] != true || !strings.Contains(blocksOf(body), "结束") || strings.Contains(string(raw), `"actions"`) {
		t.Fatalf("click after closing: %s", raw)
	}
	if got := h.st.Answers("satisfaction", 1)[0].Value("fair"); got != "2" {
		t.Errorf("a closed survey took an answer: %s", got)
	}
}
