package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"jifen/store"
)

type readyAnswer struct {
	Ready  bool             `json:"ready"`
	Checks map[string]check `json:"checks"`
}

// waitReady asks serve's /readyz at base until it answers want, and
// fails the test if it has not within d.
func waitReady(t *testing.T, base, what string, want int, d time.Duration) readyAnswer {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, a := getReady(t, nil, base)
		if code == want {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: readyz %d, want %d: %+v", what, code, want, a)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getReady(t *testing.T, h http.Handler, base string) (int, readyAnswer) {
	t.Helper()
	var code int
	var body []byte
	if h != nil {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		code, body = rec.Code, rec.Body.Bytes()
	} else {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		code = resp.StatusCode
		body, _ = io.ReadAll(resp.Body)
	}
	var a readyAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("readyz %d: %s: %v", code, body, err)
	}
	if a.Ready != (code == http.StatusOK) {
		t.Fatalf("readyz %d says ready=%v: %s", code, a.Ready, body)
	}
	return code, a
}

// A closed store fails the store check, and with it readiness.
func TestReadyzStoreClosed(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "jifen.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &readiness{store: st}
	r.ticked(time.Now())
	if code, a := getReady(t, r, ""); code != 200 || !a.Checks["store"].OK || !a.Checks["scheduler"].OK || a.Checks["scheduler"].LastTick == "" {
		t.Fatalf("open store: %d %+v", code, a)
	}
	st.Close()
	if code, a := getReady(t, r, ""); code != 503 || a.Checks["store"].OK || a.Checks["store"].Detail == "" {
		t.Fatalf("closed store: %d %+v", code, a)
	}
	// Just started, before the first tick: ready; a scheduler that never
	// ticked two minutes after the start is not.
	fresh := &readiness{started: time.Now()}
	if c := fresh.scheduler(time.Now()); !c.OK || c.Detail != "starting" {
		t.Fatalf("just started: %+v", c)
	}
	if c := fresh.scheduler(time.Now().Add(3 * time.Minute)); c.OK {
		t.Fatalf("never ticked: %+v", c)
	}
	// A scheduler silent for over two minutes fails too.
	r.ticked(time.Now().Add(-3 * time.Minute))
	if c := r.scheduler(time.Now()); c.OK || !strings.Contains(c.Detail, "no tick") {
		t.Fatalf("stale scheduler: %+v", c)
	}
}

// A normal serve (Slack over HTTP) is ready, and says so in /metrics too.
func TestReadyzServe(t *testing.T) {
	path, _ := withFakeSlack(t)
	base, stop := startServe(t, path, nil)
	defer stop()
	code, a := getReady(t, nil, base)
	if code != 200 {
		t.Fatalf("readyz %d: %+v", code, a)
	}
	for _, name := range []string{"store", "slack", "scheduler"} {
		if c, ok := a.Checks[name]; !ok || !c.OK {
			t.Errorf("check %s: %+v (present %v)", name, c, ok)
		}
	}
	if _, ok := a.Checks["feishu"]; ok {
		t.Error("feishu is checked though not enabled")
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`jifen_platform_connected{platform="slack"} 1`, "jifen_store_ready 1", "jifen_scheduler_last_tick_timestamp_seconds 1."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Issue 19, item 4: when the Socket Mode connection drops, /readyz says
// 503 with the Slack check failing, and 200 again once it reconnects.
func TestReadyzFollowsSocketMode(t *testing.T) {
	var opens atomic.Int32
	drop := make(chan struct{})      // closes the first connection
	reconnect := make(chan struct{}) // lets the second connections.open answer
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/apps.connections.open":
			if opens.Add(1) > 1 {
				<-reconnect
			}
			fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/ws"}`, r.Host)
		case "/ws":
			conn, err := upgrader.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"connection_info":{"app_id":"A0JIFEN"}}`))
			if opens.Load() == 1 {
				<-drop
				return
			}
			// The second connection stays until the client goes.
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	defer fake.Close()
	defer func() {
		select {
		case <-reconnect:
		default:
			close(reconnect)
		}
	}()
	path := exampleConfig(t, t.TempDir(), "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.URL+"/",
		"  mode: http", "  mode: socket")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_SIGNING_SECRET", "fake-secret")
	t.Setenv("SLACK_APP_TOKEN", "xapp-fake")
	base, stop := startServe(t, path, nil)
	defer stop()

	waitFor := func(what string, wantCode int) readyAnswer { return waitReady(t, base, what, wantCode, 10*time.Second) }
	waitFor("connected", 200)
	close(drop)
	a := waitFor("dropped", 503)
	if s := a.Checks["slack"]; s.OK || !strings.Contains(s.Detail, "socket mode") || !a.Checks["store"].OK {
		t.Fatalf("after the drop: %+v", a)
	}
	close(reconnect)
	waitFor("reconnected", 200)
}
