package feishu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// A survey round started in chat reaches the audience on Feishu as cards;
// an answer button's callback saves the answer and returns the card with
// it marked; the free-text form sends its text with the command; a second
// answer replaces the first; after closing, the card says it is closed.
func TestSurveyAnsweredFromCards(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-start", "im.message.receive_v1", testToken, textMessage("om_start", "p2p", lina, "/survey start satisfaction")))
	h.wait()
	cards := 0
	for _, s := range h.api.messages() {
		raw, _ := json.Marshal(s.Content)
		if s.IDType == "open_id" && strings.Contains(string(raw), "积分制度满意度调查") && strings.Contains(string(raw), "/survey answer satisfaction-1") {
			cards++
			// The free-text question is a form of its own, its input
			// named uniquely in the card.
			if !strings.Contains(string(raw), `"name":"jifen_form_5_text"`) || !strings.Contains(string(raw), `"form_action_type":"submit"`) {
				t.Errorf("no form for the free-text question: %s", raw)
			}
		}
	}
	onFeishu := 0
	for _, m := range h.cfg.Members {
		if m.FeishuOpenID != "" && !m.Bot {
			onFeishu++
		}
	}
	if cards != onFeishu {
		t.Errorf("%d survey cards sent, want one to each of the %d members on Feishu", cards, onFeishu)
	}

	click := func(token, value string) map[string]any {
		t.Helper()
		code, out := h.send(event("ev-"+token, "card.action.trigger", testToken, cardCallback(token, wang, value)))
		if code != 200 || out["card"] == nil {
			t.Fatalf("click %s: %d %v", value, code, out)
		}
		return out
	}
	cardText := func(out map[string]any) string {
		raw, _ := json.Marshal(out["card"])
		return string(raw)
	}
	if c := cardText(click("s1", "/survey answer satisfaction-1 recommend 9")); !strings.Contains(c, "你的回答：9") {
		t.Fatalf("card after the answer: %s", c)
	}
	click("s2", "/survey answer satisfaction-1 recommend 6")
	// The free-text question: the form's input comes back in form_value.
	cb := fmt.Sprintf(`{"operator":{"open_id":%q},"token":"s3","action":{"value":{"command":"/survey answer satisfaction-1 comments","ask":"1"},"tag":"button","name":"button_0","form_value":{"jifen_form_5_text":"兑换 能再快些"}},"context":{"open_message_id":"om_card"}}`, wang)
	if code, out := h.send(event("ev-s3", "card.action.trigger", testToken, cb)); code != 200 || !strings.Contains(cardText(out), "兑换 能再快些") {
		t.Fatalf("free text: %d %v", code, out)
	}
	answers := h.st.Answers("satisfaction", 1)
	if len(answers) != 1 || answers[0].Value("recommend") != "6" || answers[0].Value("comments") != "兑换 能再快些" {
		t.Fatalf("answers: %+v", answers)
	}
	h.send(event("ev-close", "im.message.receive_v1", testToken, textMessage("om_close", "p2p", lina, "/survey close satisfaction")))
	h.wait()
	c := cardText(click("s4", "/survey answer satisfaction-1 recommend 10"))
	if !strings.Contains(c, "结束") || strings.Contains(c, "/survey answer") {
		t.Fatalf("card after closing: %s", c)
	}
	if got := h.st.Answers("satisfaction", 1)[0].Value("recommend"); got != "6" {
		t.Errorf("a closed survey took an answer: %s", got)
	}
}
