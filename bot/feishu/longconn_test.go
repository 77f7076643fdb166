//go:build !race

// The SDK's long-connection client (oapi-sdk-go v3.9.2, package ws) reads
// and writes its connection fields without a lock (conn, connID,
// autoReconnect), so the race detector reports its own goroutines whenever
// a connection drops or is closed. These tests run its client end to end
// against a fake of Feishu, and so run without the race detector; the
// adapter's own part of the lifecycle (the frame gate) is tested under it
// in ws_test.go.

package feishu

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The long connection's state follows the connection itself, run by the
// SDK's own client against a fake of Feishu: connected, then dropped by
// the server while Feishu refuses new connections, connected again once it
// takes them, and stopped with its context.
func TestHealthFollowsTheLongConnection(t *testing.T) {
	h := newHarness(t, false)
	a := h.longConnection(t)
	if ok, _ := a.Health(); ok {
		t.Fatal("healthy before connecting")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunWebsocket(ctx) }()
	ws := h.api.ws
	waitFor(t, ws.Connected(), "a connection")
	waitHealth(t, a, true, "connected")

	ws.Refuse(true)
	ws.Drop()
	waitHealth(t, a, false, "dropped")
	if _, detail := a.Health(); !strings.Contains(detail, "long connection") {
		t.Fatalf("detail %q", detail)
	}
	ws.Refuse(false)
	waitFor(t, ws.Connected(), "a reconnection")
	waitHealth(t, a, true, "reconnected")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("RunWebsocket did not return after its context ended")
	}
	if ok, detail := a.Health(); ok || detail == "" {
		t.Fatalf("after the end: %v %q", ok, detail)
	}
}

// waitHealth waits until the adapter's health is want: the client
// reconnects on its own schedule, so this is a liveness bound, not a
// speed requirement.
func waitHealth(t *testing.T, a *Adapter, want bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, detail := a.Health()
		if ok == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: health %v (%q), want %v", what, ok, detail, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// longConnection is an adapter of the harness's bot and store in
// long-connection mode, against the harness's fake (whose mux serves the
// long connection too).
func (h *harness) longConnection(t *testing.T) *Adapter {
	t.Helper()
	cfg := h.a.cfg
	cfg.Mode = "websocket"
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// waitFor waits for a value on c: a liveness bound, not a speed requirement.
func waitFor[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// drain empties c.
func drain[T any](c <-chan T) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// RunWebsocket returns when its context ends, though the SDK's client
// never returns from Start: it closes the connection, and a connection the
// client's own reconnect loop opens afterwards has its frames refused,
// unhandled, so nothing is written once RunWebsocket has returned.
func TestLongConnectionEndsWithItsContext(t *testing.T) {
	h := newHarness(t, false)
	a := h.longConnection(t)
	ws := h.api.ws
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.RunWebsocket(ctx) }()
	waitFor(t, ws.Connected(), "connection")

	// An award over the connection is written and acknowledged.
	award := func(n int) []byte {
		return []byte(event(fmt.Sprintf("ev-end-%d", n), "im.message.receive_v1", testToken,
			textMessage(fmt.Sprintf("om_end_%d", n), "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"})))
	}
	id, err := ws.Send(award(1))
	if err != nil {
		t.Fatal(err)
	}
	if ack := waitFor(t, ws.Acks(), "ack"); ack.MessageID != id || ack.Code != 200 {
		t.Fatalf("ack %+v", ack)
	}
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}

	// The connection drops and Feishu refuses new ones for a while: the
	// client is in its reconnect loop when the context ends.
	ws.Refuse(true)
	drain(ws.Lookups())
	ws.Drop()
	waitFor(t, ws.Lookups(), "a refused reconnection")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("RunWebsocket did not return after its context ended")
	}

	// The SDK's loop, which cannot be stopped, connects again: what it
	// receives is refused and writes nothing.
	ws.Refuse(false)
	waitFor(t, ws.Connected(), "reconnection by the SDK's loop")
	id, err = ws.Send(award(2))
	if err != nil {
		t.Fatal(err)
	}
	if ack := waitFor(t, ws.Acks(), "answer"); ack.MessageID != id || ack.Code == 200 {
		t.Fatalf("a frame after the end was acknowledged: %+v", ack)
	}
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d after the end, want 1", n)
	}
	ws.Drop()
}
