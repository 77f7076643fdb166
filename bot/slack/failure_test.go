package slack

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// A reaction whose users.info lookup gets no answer from Slack is not
// answered 200: Slack delivers it again, and the re-delivery, not taken
// for one already seen, gives the thanks.
func TestReactionRedeliveredAfterAFailedLookup(t *testing.T) {
	h := newHarness(t)
	// slack-go retries a 503 itself; this client does not, so one 503
	// stands for a Slack that does not answer within the delivery.
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: h.a.cfg,
		Client: slackapi.New("xoxb-test-token", slackapi.OptionAPIURL(h.slack.GetAPIURL()))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	h.a, h.srv = a, httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	h.slack.mu.Lock()
	h.slack.usersDown = 1
	h.slack.mu.Unlock()
	// The message's author is a workspace user jifen has not seen yet.
	ev := `{"type":"event_callback","event_id":"EvDown","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN",
		"event":{"type":"reaction_added","user":"U0456EFGH","reaction":"clap","item_user":"W012A3CDE",
		"item":{"type":"message","channel":"C0SALES","ts":"1700000000.000300"},"event_ts":"1700000001.000100"}}`
	if code, _ := h.post("/slack/events", "application/json", ev, nil); code < 500 {
		t.Fatalf("a reaction not applied was answered %d", code)
	}
	a.Wait()
	if n := h.st.EntryCount(); n != 0 {
		t.Fatalf("entries = %d", n)
	}
	if code, _ := h.post("/slack/events", "application/json", ev, nil); code != 200 {
		t.Fatalf("the re-delivery: %d", code)
	}
	a.Wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries after the re-delivery = %d, want the thanks", n)
	}
}

// logBuffer collects log lines from the adapter's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// An acknowledgement the Socket Mode client cannot pass on (its
// connection is gone, its queue full) fails after a bound and is logged,
// instead of holding the adapter's background work, and so shutdown, for
// ever.
func TestSocketModeAckIsBounded(t *testing.T) {
	h := newHarness(t)
	defer func(d time.Duration) { ackTimeout = d }(ackTimeout)
	ackTimeout = 10 * time.Millisecond
	var log logBuffer
	c := h.a.cfg
	c.Mode, c.AppToken = "socket", "xapp-test-token"
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: c, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// A client that is not running: nothing writes its responses out.
	client := socketmode.New(slackapi.New("xoxb-test-token", slackapi.OptionAppLevelToken("xapp-test-token")))
	for range 20 { // its queue's size
		if err := client.AckCtx(context.Background(), "env-queued", nil); err != nil {
			t.Fatal(err)
		}
	}
	ev := slackevents.EventsAPIEvent{Type: slackevents.CallbackEvent,
		Data:       &slackevents.EventsAPICallbackEvent{EventID: "EvAck"},
		InnerEvent: slackevents.EventsAPIInnerEvent{Type: "app_home_opened", Data: &slackevents.AppHomeOpenedEvent{Tab: "about"}}}
	a.socketEvent(context.Background(), client, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev,
		Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env-stuck"}})
	waited := make(chan struct{})
	go func() { a.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second): // a liveness bound
		t.Fatal("an acknowledgement nobody takes holds the adapter")
	}
	if !strings.Contains(log.String(), "socket mode acknowledgement failed") {
		t.Fatalf("the failed acknowledgement is not logged:\n%s", log.String())
	}
}
