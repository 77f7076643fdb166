package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"jifen/bot/bottest"
)

// socketServer fakes Slack's Socket Mode endpoint for one connection of
// an app: envelopes given to send go to the client, its acknowledgements
// come back on acks. Web API calls go on to api.
type socketServer struct {
	*httptest.Server
	send      chan string
	acks      chan map[string]any
	connected chan struct{}
}

func newSocketServer(t *testing.T, api string) *socketServer {
	t.Helper()
	target, err := url.Parse(api)
	if err != nil {
		t.Fatal(err)
	}
	s := &socketServer{send: make(chan string), acks: make(chan map[string]any, 4), connected: make(chan struct{}, 4)}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	proxy := httputil.NewSingleHostReverseProxy(target)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/apps.connections.open":
			fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/ws"}`, r.Host)
		case "/ws":
			conn, err := upgrader.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":2,"connection_info":{"app_id":"A0JIFEN"}}`))
			s.connected <- struct{}{}
			go func() {
				for {
					_, msg, err := conn.ReadMessage()
					if err != nil {
						return
					}
					var ack map[string]any
					if json.Unmarshal(msg, &ack) == nil && ack["envelope_id"] != nil {
						s.acks <- ack
					}
				}
			}()
			for {
				select {
				case env := <-s.send:
					if conn.WriteMessage(websocket.TextMessage, []byte(env)) != nil {
						return
					}
				case <-r.Context().Done():
					return
				}
			}
		default:
			r.URL.Path = strings.TrimPrefix(r.URL.Path, "/")
			r.URL.Path = target.Path + r.URL.Path
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// ack waits for the acknowledgement of envelope id.
func (s *socketServer) ack(t *testing.T, id string) map[string]any {
	t.Helper()
	select {
	case ack := <-s.acks:
		if ack["envelope_id"] != id {
			t.Fatalf("acknowledged %v, want %s", ack["envelope_id"], id)
		}
		return ack
	case <-time.After(30 * time.Second): // a liveness bound only
		t.Fatalf("no acknowledgement of %s", id)
		return nil
	}
}

// Two replicas in Socket Mode, each with a connection of its own (Slack
// delivers each envelope to one of an app's connections): an event goes
// to one and its retry to the other, a slash command's envelope to one and
// again to the other; each is written once, and the slash command's second
// acknowledgement carries the same reply. What dedupes the second copy is
// the ledger's key (the event id, the trigger id), not the first
// replica's memory.
func TestTwoReplicasInSocketModeApplyAReDeliveryOnce(t *testing.T) {
	h := newHarness(t)
	var adapters []*Adapter
	var servers []*socketServer
	for i := range 2 {
		b := h.a.bot
		if i == 1 {
			b = bottest.Replica(t, h.cfg, h.st)
			b.SetPlatforms("slack")
		}
		srv := newSocketServer(t, h.slack.GetAPIURL())
		cfg := h.a.cfg
		cfg.Mode, cfg.AppToken, cfg.APIURL = "socket", "xapp-test-token", srv.URL+"/"
		a, err := New(Options{Bot: b, Store: h.st, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		adapters, servers = append(adapters, a), append(servers, srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, a := range adapters {
		go func() { done <- a.RunSocket(ctx) }()
	}
	for _, s := range servers {
		select {
		case <-s.connected:
		case <-time.After(30 * time.Second):
			t.Fatal("a replica did not connect")
		}
	}

	mention := func(envelope string, retry int) string {
		return fmt.Sprintf(`{"envelope_id":%q,"type":"events_api","accepts_response_payload":false,"retry_attempt":%d,"retry_reason":"timeout",
			"payload":{"type":"event_callback","event_id":"Ev0REPLICA","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN",
			"event":{"type":"app_mention","user":%q,"text":"<@U0BOT> /award <@U0456EFGH> 10 客户好评","ts":"1700000000.000300","channel":"C0SALES","event_ts":"1700000000.000300"}}}`,
			envelope, retry, zhang)
	}
	payload, _ := json.Marshal(map[string]string{"team_id": "T0001", "channel_id": "C0SALES", "user_id": zhang,
		"command": "/award", "text": "<@U0456EFGH|wangfang> 10 客户好评 华为来信表扬", "trigger_id": "sock.replicas", "response_url": ""})
	command := func(envelope string) string {
		return fmt.Sprintf(`{"envelope_id":%q,"type":"slash_commands","accepts_response_payload":true,"payload":%s}`, envelope, payload)
	}
	servers[0].send <- mention("env-ev-1", 0)
	servers[0].ack(t, "env-ev-1")
	adapters[0].Wait()
	servers[1].send <- mention("env-ev-2", 1)
	servers[1].ack(t, "env-ev-2")
	adapters[1].Wait()

	var replies []string
	for i, s := range servers {
		id := fmt.Sprintf("env-cmd-%d", i+1)
		s.send <- command(id)
		raw, _ := json.Marshal(s.ack(t, id)["payload"])
		lines := jsonStrings(raw)
		slices.Sort(lines) // the strings of the JSON, in no order of theirs
		replies = append(replies, strings.Join(lines, "\n"))
	}
	if n := h.st.EntryCount(); n != 2 {
		t.Fatalf("%d entries after two deliveries each of an event and a command over two replicas, want 2", n)
	}
	if !strings.Contains(replies[0], "王芳") || replies[1] != replies[0] {
		t.Errorf("the command's replies:\n%s\n---\n%s\nwant the same reply twice", replies[0], replies[1])
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range adapters {
		a.Wait()
	}
	h.wait()
	answers := 0
	for _, p := range h.slack.sent() {
		if p.Path == "/chat.postMessage" && p.Channel == "C0SALES" && strings.Contains(p.Text+p.Blocks, "客户好评") {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("the mention was answered %d times in the channel, want once", answers)
	}
}
