package feishu

import "testing"

// An event answered 200 is not delivered again: the award it carries must
// be in the store when the answer leaves, not written afterwards.
func TestMessageWrittenBeforeTheAnswer(t *testing.T) {
	h := newHarness(t, true)
	code, _ := h.send(event("ev-durable", "im.message.receive_v1", testToken,
		textMessage("om_durable", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"})))
	// No h.wait(): the reply may still be on its way, the write may not.
	if n := h.st.EntryCount(); code != 200 || n != 1 {
		t.Fatalf("answered %d with %d entries in the store", code, n)
	}
}
