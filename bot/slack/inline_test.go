package slack

import (
	"fmt"
	"testing"
)

// With slack.inline_recognition, a recognition written in an ordinary
// channel message is run as the command it stands for and answered in the
// message's thread: accepted, or refused to its author alone. Ordinary
// messages, the bot's own posts, and messages that name the bot (its
// app_mention answers those) get nothing.
func TestInlineRecognitionInChannels(t *testing.T) {
	const ts = "1700000000.000300"
	for _, tc := range []struct {
		name    string
		event   string
		entries int
		path    string // where the answer went; "" none
	}{
		{"accepted", `{"type":"message","channel_type":"channel","user":%q,"text":"+10 <@U0456EFGH> 客户好评 华为来信表扬","ts":"` + ts + `","channel":"C0SALES"}`,
			1, "/chat.postMessage"},
		{"refused: no reason", `{"type":"message","channel_type":"channel","user":%q,"text":"<@U0456EFGH> +10","ts":"` + ts + `","channel":"C0SALES"}`,
			0, "/chat.postEphemeral"},
		{"an ordinary message", `{"type":"message","channel_type":"channel","user":%q,"text":"<@U0456EFGH> 明天见","ts":"` + ts + `","channel":"C0SALES"}`,
			0, ""},
		{"the bot's own post", `{"type":"message","channel_type":"channel","user":%q,"bot_id":"B0JIFEN","text":"+10 <@U0456EFGH> 客户好评","ts":"` + ts + `","channel":"C0SALES"}`,
			0, ""},
		{"names the bot", `{"type":"message","channel_type":"channel","user":%q,"text":"<@W012A3CDE> +10 <@U0456EFGH> 客户好评","ts":"` + ts + `","channel":"C0SALES"}`,
			0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.a.cfg.InlineRecognition = true
			body := fmt.Sprintf(`{"type":"event_callback","event_id":"EvInline","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN","event":`+tc.event+`}`, zhang)
			if code, out := h.post("/slack/events", "application/json", body, nil); code != 200 {
				t.Fatalf("%d %s", code, out)
			}
			h.wait()
			if n := h.st.EntryCount(); n != tc.entries {
				t.Fatalf("entries %d, want %d", n, tc.entries)
			}
			var answers []post
			for _, p := range h.slack.sent() {
				if p.Channel == "C0SALES" {
					answers = append(answers, p)
				}
			}
			if tc.path == "" {
				if len(answers) != 0 {
					t.Fatalf("answered: %+v", answers)
				}
				return
			}
			if len(answers) != 1 || answers[0].Path != tc.path || answers[0].Form.Get("thread_ts") != ts {
				t.Fatalf("answers: %+v", answers)
			}
		})
	}
	// Off by default: nothing is read.
	h := newHarness(t)
	body := fmt.Sprintf(`{"type":"event_callback","event_id":"EvInline","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN","event":{"type":"message","channel_type":"channel","user":%q,"text":"+10 <@U0456EFGH> 客户好评","ts":"`+ts+`","channel":"C0SALES"}}`, zhang)
	h.post("/slack/events", "application/json", body, nil)
	h.wait()
	if h.st.EntryCount() != 0 || len(h.slack.sent()) != 0 {
		t.Fatalf("inline recognition off, yet %d entries, %d posts", h.st.EntryCount(), len(h.slack.sent()))
	}
}
