package slack

import (
	"fmt"
	"testing"
)

// A command typed in a thread is answered in that thread: public
// announcements (also in the channel with slack.reply_broadcast), private
// answers as ephemeral messages in the thread, direct messages in their
// thread without a broadcast. A command outside a thread gets no thread_ts.
func TestEventsAnswerInTheThread(t *testing.T) {
	const parent = "1700000000.000100"
	for _, tc := range []struct {
		name      string
		broadcast bool
		event     string
		path      string // where the reply went
		channel   string
		thread    string
		replyAll  string // reply_broadcast sent
	}{
		{"award in a thread", false,
			`{"type":"app_mention","user":%q,"text":"<@U0BOT> /award <@U0456EFGH> 10 客户好评","ts":"1700000000.000200","thread_ts":"` + parent + `","channel":"C0SALES"}`,
			"/chat.postMessage", "C0SALES", parent, ""},
		{"award in a thread, also to the channel", true,
			`{"type":"app_mention","user":%q,"text":"<@U0BOT> /award <@U0456EFGH> 10 客户好评","ts":"1700000000.000200","thread_ts":"` + parent + `","channel":"C0SALES"}`,
			"/chat.postMessage", "C0SALES", parent, "true"},
		{"a private answer in the thread, never broadcast", true,
			`{"type":"app_mention","user":%q,"text":"<@U0BOT> score","ts":"1700000000.000200","thread_ts":"` + parent + `","channel":"C0SALES"}`,
			"/chat.postEphemeral", "C0SALES", parent, ""},
		{"a direct message's thread", true,
			`{"type":"message","channel_type":"im","user":%q,"text":"award <@U0456EFGH> 10 客户好评","ts":"1700000000.000200","thread_ts":"` + parent + `","channel":"D0ZHANG"}`,
			"/chat.postMessage", "D0ZHANG", parent, ""},
		{"no thread", true,
			`{"type":"app_mention","user":%q,"text":"<@U0BOT> /award <@U0456EFGH> 10 客户好评","ts":"1700000000.000200","channel":"C0SALES"}`,
			"/chat.postMessage", "C0SALES", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.a.cfg.ReplyBroadcast = tc.broadcast
			body := fmt.Sprintf(`{"type":"event_callback","event_id":"EvThread","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN","event":`+tc.event+`}`, zhang)
			if code, out := h.post("/slack/events", "application/json", body, nil); code != 200 {
				t.Fatalf("%d %s", code, out)
			}
			h.wait()
			var replies []post
			for _, p := range h.slack.sent() {
				if p.Channel == tc.channel {
					replies = append(replies, p)
				}
			}
			if len(replies) != 1 {
				t.Fatalf("replies in %s: %+v", tc.channel, h.slack.sent())
			}
			r := replies[0]
			if r.Path != tc.path || r.Form.Get("thread_ts") != tc.thread || r.Form.Get("reply_broadcast") != tc.replyAll {
				t.Fatalf("%s thread_ts %q reply_broadcast %q", r.Path, r.Form.Get("thread_ts"), r.Form.Get("reply_broadcast"))
			}
			if tc.path == "/chat.postEphemeral" && r.User != zhang {
				t.Fatalf("ephemeral to %q", r.User)
			}
		})
	}
}
