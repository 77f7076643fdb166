//go:build !race

// Runs the SDK's long-connection client end to end: without the race
// detector, as longconn_test.go says why.

package feishu

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"jifen/bot/bottest"
	"jifen/bot/feishu/feishutest"
)

// Two replicas on the long connection, each with a client of its own
// (Feishu pushes each event to one of an app's clients): an event goes to
// one, its re-delivery (the first answer was late) to the other, and the
// award is written once and answered once. What dedupes the second is the
// ledger's key for the message, not the first replica's memory.
func TestTwoReplicasOnTheLongConnectionApplyAReDeliveryOnce(t *testing.T) {
	h := newHarness(t, false)
	first := h.longConnection(t)

	// The second replica: a bot of its own on the same ledger, connected
	// to a long-connection endpoint of its own; the Open API is the
	// harness's.
	ws := feishutest.New()
	mux := http.NewServeMux()
	ws.Register(mux)
	api, err := url.Parse(h.api.URL)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", httputil.NewSingleHostReverseProxy(api))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cfg := h.a.cfg
	cfg.Mode, cfg.BaseURL = "websocket", srv.URL
	b := bottest.Replica(t, h.cfg, h.st)
	b.SetPlatforms("feishu")
	second, err := New(Options{Bot: b, Store: h.st, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	second.now = first.now

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	for _, a := range []*Adapter{first, second} {
		go func() { done <- a.RunWebsocket(ctx) }()
	}
	waitFor(t, h.api.ws.Connected(), "the first replica's connection")
	waitFor(t, ws.Connected(), "the second replica's connection")

	award := []byte(event("ev-replicas-1", "im.message.receive_v1", testToken,
		textMessage("om_replicas_1", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"})))
	for i, conn := range []*feishutest.LongConnection{h.api.ws, ws} {
		id, err := conn.Send(award)
		if err != nil {
			t.Fatal(err)
		}
		if ack := waitFor(t, conn.Acks(), "an answer"); ack.MessageID != id || ack.Code != 200 {
			t.Fatalf("delivery %d answered %+v", i+1, ack)
		}
	}
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("%d entries after a delivery and its re-delivery to another replica, want 1", n)
	}
	h.wait()
	replies := 0
	for _, s := range h.api.messages() {
		if strings.Contains(s.Path, "/om_replicas_1/") {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("the command was answered %d times, want once", replies)
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	ws.Drop()
	h.api.ws.Drop()
}
