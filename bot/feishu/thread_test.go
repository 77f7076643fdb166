package feishu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// groupMessage is a text message in a group chat: chatType group or
// topic_group, in a thread when thread is set; root is the message it
// replies to, if any. mentions are open_id, name pairs for @_user_1….
func groupMessage(messageID, chatID, chatType, thread, root, text string, mentions ...[2]string) string {
	content, _ := json.Marshal(map[string]string{"text": text})
	var ms []string
	for i, m := range mentions {
		ms = append(ms, fmt.Sprintf(`{"key":"@_user_%d","id":{"open_id":%q},"name":%q}`, i+1, m[0], m[1]))
	}
	return fmt.Sprintf(`{"sender":{"sender_id":{"open_id":%q},"sender_type":"user"},"message":{"message_id":%q,"root_id":%q,"parent_id":%q,"thread_id":%q,"chat_id":%q,"chat_type":%q,"message_type":"text","content":%q,"mentions":[%s]}}`,
		zhang, messageID, root, root, thread, chatID, chatType, content, strings.Join(ms, ","))
}

// A public answer to a message in a thread, or in a topic group, stays in
// the thread (reply_in_thread); elsewhere it is a plain reply.
func TestRepliesStayInTheThread(t *testing.T) {
	for _, tc := range []struct {
		name, chatType, thread, root string
		inThread                     bool
	}{
		{"a thread in a group", "group", "omt_1a2b", "om_root", true},
		{"a topic group", "topic_group", "", "", true},
		{"a topic in a topic group", "topic_group", "omt_3c4d", "om_root", true},
		{"a group, no thread", "group", "", "", false},
		{"a quoted reply is not a thread", "group", "", "om_root", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			msg := groupMessage("om_cmd", "oc_sales", tc.chatType, tc.thread, tc.root, "@_user_1 /award @_user_2 10 客户好评",
				[2]string{botID, "jifen"}, [2]string{wang, "王芳"})
			if code, _ := h.send(event("ev-thread", "im.message.receive_v1", testToken, msg)); code != 200 {
				t.Fatalf("status %d", code)
			}
			h.wait()
			var replies []sent
			for _, s := range h.api.messages() {
				if s.Path == "/open-apis/im/v1/messages/om_cmd/reply" {
					replies = append(replies, s)
				}
			}
			if len(replies) != 1 || replies[0].InThread != tc.inThread {
				t.Fatalf("replies %+v", h.api.messages())
			}
		})
	}
}

// A private answer in an ordinary group is a card only the caller sees
// (仅对你可见); in a topic group, where Feishu has no such cards, and when
// Feishu refuses one, it is a direct message.
func TestPrivateAnswersInGroups(t *testing.T) {
	for _, tc := range []struct {
		name, chatID, chatType string
		ephemeral              bool // shown in the group
		tries                  int  // calls of the ephemeral API
	}{
		{"an ordinary group", "oc_sales", "group", true, 1},
		{"refused by Feishu", "oc_refuses_1", "group", false, 1},
		{"a topic group", "oc_topic_1", "topic_group", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			msg := groupMessage("om_score", tc.chatID, tc.chatType, "", "", "@_user_1 /score", [2]string{botID, "jifen"})
			if code, _ := h.send(event("ev-score", "im.message.receive_v1", testToken, msg)); code != 200 {
				t.Fatalf("status %d", code)
			}
			h.wait()
			got := h.api.messages()
			if len(got) != 1 {
				t.Fatalf("sent %+v", got)
			}
			s := got[0]
			if tc.ephemeral {
				if s.Path != "/open-apis/ephemeral/v1/send" || s.ChatID != tc.chatID || s.OpenID != zhang || s.MsgType != "interactive" ||
					s.Content["schema"] != "2.0" || !strings.Contains(fmt.Sprint(s.Content), "张伟") {
					t.Fatalf("ephemeral card %+v", s)
				}
			} else if s.Path != "/open-apis/im/v1/messages" || s.IDType != "open_id" || s.ReceiveID != zhang || s.MsgType != "interactive" {
				t.Fatalf("direct message %+v", s)
			}
			h.api.mu.Lock()
			tries := h.api.ephemeral
			h.api.mu.Unlock()
			if tries != tc.tries {
				t.Fatalf("ephemeral API called %d times", tries)
			}
		})
	}
}
