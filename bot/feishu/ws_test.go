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
	d := h.a.wsDispatcher(new(gate))
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

// Once the long connection is closing, a frame is refused unhandled (the
// SDK answers it as failed, so Feishu delivers it again), and closing
// waits for a frame being handled, so nothing is written afterwards.
func TestLongConnectionGate(t *testing.T) {
	h := newHarness(t, true)
	var frames gate
	d := h.a.wsDispatcher(&frames)
	if !frames.enter() { // a frame being handled
		t.Fatal("an open gate refused a frame")
	}
	closed := make(chan struct{})
	go func() { frames.close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close did not wait for the frame being handled")
	default:
	}
	frames.leave()
	<-closed
	msg := event("ev-gate", "im.message.receive_v1", testToken,
		textMessage("om_gate", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"}))
	if _, err := d.Do(context.Background(), []byte(msg)); err == nil {
		t.Fatal("a frame after the close was handled")
	}
	h.wait()
	if n := h.st.EntryCount(); n != 0 {
		t.Fatalf("entries = %d", n)
	}
}
