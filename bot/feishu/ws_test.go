package feishu

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// The long connection hands frames to the SDK's dispatcher; the adapter's
// dispatcher routes them into the same handling as webhook deliveries.
func TestLongConnectionFrames(t *testing.T) {
	h := newHarness(t, true)
	d := h.a.wsDispatcher()
	ctx := context.Background()
	msg := event("ev-ws-1", "im.message.receive_v1", testToken,
		textMessage("om_ws", "p2p", zhang, "/award @_user_1 80 签大单 中标", [2]string{wang, "王芳"}))
	if _, err := d.Do(ctx, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	h.wait()
	// The award waits for approval; the admin approves from the card.
	resp, err := d.Do(ctx, []byte(event("ev-ws-2", "card.action.trigger", testToken, cardCallback("ws-tok", lina, "/approve 1"))))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(resp)
	if !strings.Contains(string(raw), `"toast"`) || !strings.Contains(string(raw), "由 李娜 批准") {
		t.Fatalf("card answer: %s", raw)
	}
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
	// A frame with the wrong verification token is refused.
	if _, err := d.Do(ctx, []byte(event("ev-ws-3", "im.message.receive_v1", "wrong", textMessage("om_ws2", "p2p", zhang, "/score")))); err == nil {
		t.Fatal("a frame with a wrong token was accepted")
	}
}
