//go:build !race

// These tests run the Feishu SDK's own long-connection client, whose
// goroutines race on its connection fields (see bot/feishu's
// longconn_test.go), so they run without the race detector.

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jifen/bot/feishu/feishutest"
	"jifen/store"
)

// withFakeLongConnection writes the example config with Feishu enabled in
// long-connection mode against a fake of Feishu (the Open API's tenant
// token and the long connection), with the given shutdown timeout, and
// returns the config's path, the store's and the fake.
func withFakeLongConnection(t *testing.T, shutdown string) (path, db string, ws *feishutest.LongConnection) {
	t.Helper()
	ws = feishutest.New()
	mux := http.NewServeMux()
	ws.Register(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
			fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-fake","expire":7200}`)
			return
		}
		fmt.Fprint(w, `{"code":0,"msg":"ok","data":{}}`)
	})
	fake := httptest.NewServer(mux)
	t.Cleanup(fake.Close)
	t.Cleanup(ws.Drop)
	dir := t.TempDir()
	path = exampleConfig(t, dir, "feishu:\n  enabled: false", "feishu:\n  enabled: true",
		"  mode: webhook", "  mode: websocket", "base_url: https://open.feishu.cn", "base_url: "+fake.URL,
		"shutdown_timeout: 15s", "shutdown_timeout: "+shutdown)
	t.Setenv("FEISHU_APP_ID", "cli_ws")
	t.Setenv("FEISHU_APP_SECRET", "fake-app-secret")
	t.Setenv("FEISHU_VERIFICATION_TOKEN", "fake-token")
	t.Setenv("FEISHU_ENCRYPT_KEY", "")
	return path, filepath.Join(dir, "jifen.db"), ws
}

func waitChan[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// `jifen serve` in long-connection mode stops when asked, before its
// shutdown deadline: the connection is closed, nothing waits for the
// SDK's client (whose Start never returns), and the store is released,
// so another jifen opens it at once, with the award received before.
func TestServeLongConnectionStops(t *testing.T) {
	path, db, ws := withFakeLongConnection(t, "20s")
	_, stderr, stop := startServeLog(t, path, nil)
	waitChan(t, ws.Connected(), "long connection")
	content := `{\"text\":\"/award @_user_1 10 客户好评 华为来信表扬\"}`
	id, err := ws.Send([]byte(`{"schema":"2.0","header":{"event_id":"ev-ws-serve","event_type":"im.message.receive_v1","create_time":"1700000000000","token":"fake-token","app_id":"cli_ws","tenant_key":"t"},
		"event":{"sender":{"sender_id":{"open_id":"ou_3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"},"sender_type":"user"},
		"message":{"message_id":"om_ws_serve","chat_id":"oc_dm","chat_type":"p2p","message_type":"text","content":"` + content + `",
		"mentions":[{"key":"@_user_1","id":{"open_id":"ou_5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"},"name":"王芳"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ack := waitChan(t, ws.Acks(), "ack"); ack.MessageID != id || ack.Code != 200 {
		t.Fatalf("ack %+v", ack)
	}

	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Minute): // a liveness bound, well past the 20 s deadline
		t.Fatalf("serve did not stop: %s", stderr)
	}
	if log := stderr.String(); strings.Contains(log, "still running at the deadline") {
		t.Fatalf("serve waited for its deadline:\n%s", log)
	}
	waitChan(t, ws.Gone(), "close of the long connection")
	st, err := store.Open(db, store.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("the store is still held after serve returned: %v", err)
	}
	defer st.Close()
	if n := st.EntryCount(); n != 1 {
		t.Errorf("%d entries, want the award", n)
	}
}

// /readyz follows the long connection: 200 while it is up, 503 with the
// Feishu check failing when Feishu drops it (and refuses a new one for a
// while), 200 again once the client has reconnected.
func TestReadyzFollowsTheLongConnection(t *testing.T) {
	path, _, ws := withFakeLongConnection(t, "15s")
	base, stop := startServe(t, path, nil)
	defer stop()
	waitFor := func(what string, wantCode int) readyAnswer { return waitReady(t, base, what, wantCode, 30*time.Second) }
	waitFor("connected", 200)
	ws.Refuse(true)
	ws.Drop()
	a := waitFor("dropped", 503)
	if f := a.Checks["feishu"]; f.OK || !strings.Contains(f.Detail, "long connection") || !a.Checks["store"].OK {
		t.Fatalf("after the drop: %+v", a)
	}
	ws.Refuse(false)
	waitFor("reconnected", 200)
}
