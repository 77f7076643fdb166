package feishu

import (
	"strings"
	"testing"
)

// With feishu.inline_recognition (and the permission to read every group
// message), a recognition written in an ordinary group message is run as
// the command it stands for, answered in its thread, or refused to its
// author alone; an ordinary message gets nothing, and a message that names
// the bot is a command as before.
func TestInlineRecognitionInGroups(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		mentions [][2]string
		entries  int
		reply    bool // a public reply in the message's thread
		private  bool // an answer to the author alone
	}{
		{"accepted", "+10 @_user_1 客户好评 华为来信表扬", [][2]string{{wang, "王芳"}}, 1, true, false},
		{"refused: no reason", "@_user_1 +10", [][2]string{{wang, "王芳"}}, 0, false, true},
		{"an ordinary message", "@_user_1 明天见", [][2]string{{wang, "王芳"}}, 0, false, false},
		{"names the bot: a command", "@_user_1 /award @_user_2 10 客户好评", [][2]string{{botID, "jifen"}, {wang, "王芳"}}, 1, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.a.cfg.InlineRecognition = true
			msg := groupMessage("om_inline", "oc_sales", "group", "", "", tc.text, tc.mentions...)
			if code, _ := h.send(event("ev-inline", "im.message.receive_v1", testToken, msg)); code != 200 {
				t.Fatalf("status %d", code)
			}
			h.wait()
			if n := h.st.EntryCount(); n != tc.entries {
				t.Fatalf("entries %d, want %d", n, tc.entries)
			}
			var reply, private int
			for _, s := range h.api.messages() {
				switch {
				case s.Path == "/open-apis/im/v1/messages/om_inline/reply":
					reply++
					if tc.name == "accepted" && !s.InThread {
						t.Errorf("the answer is not in the thread: %+v", s)
					}
				case s.Path == ephemeralPath || s.IDType == "open_id" && s.ReceiveID == zhang:
					private++
				}
			}
			if (reply == 1) != tc.reply || (private > 0) != tc.private || reply > 1 {
				t.Fatalf("replies %d, private %d: %+v", reply, private, h.api.messages())
			}
		})
	}
}

// The bot's own posts (and any app's) never count.
func TestInlineRecognitionIgnoresApps(t *testing.T) {
	h := newHarness(t, true)
	h.a.cfg.InlineRecognition = true
	msg := strings.Replace(groupMessage("om_inline", "oc_sales", "group", "", "", "+10 @_user_1 客户好评", [2]string{wang, "王芳"}),
		`"sender_type":"user"`, `"sender_type":"app"`, 1)
	h.send(event("ev-inline", "im.message.receive_v1", testToken, msg))
	h.wait()
	if n, sent := h.st.EntryCount(), h.api.messages(); n != 0 || len(sent) != 0 {
		t.Fatalf("entries %d, sent %+v", n, sent)
	}
}

// Off by default: a group message that does not name the bot is read as
// before (it can only arrive with the permission to read every message).
func TestInlineRecognitionIsOffByDefault(t *testing.T) {
	h := newHarness(t, true)
	msg := groupMessage("om_inline", "oc_sales", "group", "", "", "+10 @_user_1 客户好评", [2]string{wang, "王芳"})
	h.send(event("ev-inline", "im.message.receive_v1", testToken, msg))
	h.wait()
	if n := h.st.EntryCount(); n != 0 {
		t.Fatalf("entries %d", n)
	}
}
