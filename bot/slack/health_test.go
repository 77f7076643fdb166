package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"jifen/bot"
	"jifen/config"
)

// In HTTP mode Health follows the Web API calls: a refused call marks it
// failed, the next answered one healthy again. Socket Mode's connection
// events are tested end to end in cmd/jifen (TestReadyzFollowsSocketMode).
func TestHealthFollowsTheWebAPI(t *testing.T) {
	h := newHarness(t)
	var refuse atomic.Bool
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true,"channel":"C0SALES","ts":"1.1"}`)
	}))
	defer fake.Close()
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: func() (c config.Slack) {
		c = h.a.cfg
		c.APIURL = fake.URL + "/"
		return
	}()})
	if err != nil {
		t.Fatal(err)
	}
	if ok, detail := a.Health(); !ok {
		t.Fatalf("before any call: %q", detail)
	}
	msg := bot.Message{Kind: "info", Text: []string{"月度排行榜"}}
	refuse.Store(true)
	if err := a.post(context.Background(), "C0SALES", "", false, msg); err == nil {
		t.Fatal("a refused post worked")
	}
	if ok, detail := a.Health(); ok || detail == "" {
		t.Fatalf("after a refused call: %v %q", ok, detail)
	}
	refuse.Store(false)
	if err := a.post(context.Background(), "C0SALES", "", false, msg); err != nil {
		t.Fatal(err)
	}
	if ok, detail := a.Health(); !ok {
		t.Fatalf("after a call that worked: %q", detail)
	}
}
