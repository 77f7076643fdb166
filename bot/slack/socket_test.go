package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	slackapi "github.com/slack-go/slack"

	"jifen/bot"
	"jifen/config"
)

// TestSocketModeAnswersASlashCommand runs the adapter in Socket Mode
// against a fake of Slack's WebSocket endpoint: a slash command arrives in
// an envelope, and the acknowledgement carries the reply.
func TestSocketModeAnswersASlashCommand(t *testing.T) {
	h := newHarness(t)
	acks := make(chan map[string]any, 1)
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/apps.connections.open":
			if r.Header.Get("Authorization") != "Bearer xapp-test-token" {
				http.Error(w, `{"ok":false,"error":"invalid_auth"}`, 200)
				return
			}
			fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/ws"}`, r.Host)
		case "/ws":
			conn, err := upgrader.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"connection_info":{"app_id":"A0JIFEN"}}`))
			payload, _ := json.Marshal(map[string]string{"team_id": "T0001", "channel_id": "C0SALES", "user_id": zhang,
				"command": "/award", "text": "<@U0456EFGH|wangfang> 10 客户好评", "trigger_id": "sock.1", "response_url": ""})
			env := fmt.Sprintf(`{"envelope_id":"env-1","type":"slash_commands","accepts_response_payload":true,"payload":%s}`, payload)
			_ = conn.WriteMessage(websocket.TextMessage, []byte(env))
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					return
				}
				var ack map[string]any
				if json.Unmarshal(msg, &ack) == nil && ack["envelope_id"] == "env-1" {
					acks <- ack
					return
				}
			}
		default:
			fmt.Fprint(w, `{"ok":true,"channel":"D1","ts":"1.1"}`) // chat.postMessage for the notice
		}
	}))
	defer fake.Close()

	h.a.cfg.Mode, h.a.cfg.AppToken = "socket", "xapp-test-token"
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: func() (c config.Slack) {
		c = h.a.cfg
		c.APIURL = fake.URL
		return
	}()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunSocket(ctx) }()
	select {
	case ack := <-acks:
		raw, _ := json.Marshal(ack["payload"])
		if !strings.Contains(strings.Join(jsonStrings(raw), "\n"), "王芳") || ack["payload"].(map[string]any)["response_type"] != "in_channel" {
			t.Fatalf("ack payload: %s", raw)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no acknowledgement")
	}
	cancel()
	<-done
	a.Wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries = %d", n)
	}
}

// Web API calls are retried by slack-go's own retry options: a 429 after
// its Retry-After, a 503 with backoff; a 400 is not retried.
func TestPostRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    func(w http.ResponseWriter)
		calls   int
		ok      bool
		atLeast time.Duration
	}{
		{"429 waits Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 2, true, time.Second},
		{"503 is retried", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, 2, true, 0},
		{"400 is not retried", func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) }, 1, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var calls atomic.Int32
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					tc.fail(w)
					return
				}
				fmt.Fprint(w, `{"ok":true,"channel":"C0SALES","ts":"1.1"}`)
			}))
			defer fake.Close()
			c := h.a.cfg
			c.APIURL = fake.URL
			a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: c})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = a.post(context.Background(), "C0SALES", "", false, bot.Message{Kind: "info", Text: []string{"月度排行榜"}})
			if (err == nil) != tc.ok || int(calls.Load()) != tc.calls || time.Since(start) < tc.atLeast {
				t.Fatalf("err %v, calls %d after %v", err, calls.Load(), time.Since(start))
			}
		})
	}
}

// A response_url, which slack-go does not retry, is retried by
// retryWebhook in the same cases.
func TestRespondRetries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func(w http.ResponseWriter)
		calls int
		ok    bool
	}{
		{"429", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 2, true},
		{"503", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, 2, true},
		{"400", func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) }, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var calls atomic.Int32
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					tc.fail(w)
					return
				}
				fmt.Fprint(w, "ok")
			}))
			defer fake.Close()
			err := h.a.respond(context.Background(), fake.URL, &slackapi.Msg{Text: "x"})
			if (err == nil) != tc.ok || int(calls.Load()) != tc.calls {
				t.Fatalf("err %v, calls %d", err, calls.Load())
			}
		})
	}
}
