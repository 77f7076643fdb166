package slack

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"jifen/bot/bottest"
	"jifen/store"
)

// An event answered 200 is not delivered again: the award in an
// @mention must be in the store when the answer leaves.
func TestMentionWrittenBeforeTheAnswer(t *testing.T) {
	h := newHarness(t)
	body := fmt.Sprintf(`{"type":"event_callback","event_id":"EvDurable","event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN",
		"event":{"type":"app_mention","user":%q,"text":"<@U0BOT> /award <@U0456EFGH> 10 客户好评","ts":"1700000000.000200","channel":"C0SALES","event_ts":"1700000000.000200"}}`, zhang)
	code, _ := h.post("/slack/events", "application/json", body, nil)
	// No h.wait(): the reply may still be on its way, the write may not.
	if n := h.st.EntryCount(); code != 200 || n != 1 {
		t.Fatalf("answered %d with %d entries in the store", code, n)
	}
}

// The answer to an @mention that writes is queued in the command's own
// write: it is answered 200 and its answer posted though a write of its
// own would fail (the answer took a second commit before the event was
// answered, and a failure there had Slack deliver the event again). One
// that writes nothing is answered by a write of its own.
func TestAMentionsAnswerIsQueuedInItsWrite(t *testing.T) {
	var down atomic.Bool
	h := newHarnessWith(t, func(st store.Ledger) store.Ledger { return bottest.OutboxDown{Ledger: st, Down: &down} })
	down.Store(true)
	mention := func(id, text string) int {
		body := fmt.Sprintf(`{"type":"event_callback","event_id":%q,"event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN",
		"event":{"type":"app_mention","user":%q,"text":%q,"ts":"1700000000.000300","channel":"C0SALES","event_ts":"1700000000.000300"}}`, id, zhang, text)
		code, _ := h.post("/slack/events", "application/json", body, nil)
		return code
	}
	if code := mention("EvQueued", "<@U0BOT> /award <@U0456EFGH> 10 客户好评"); code != 200 {
		t.Fatalf("the award was answered %d", code)
	}
	h.wait()
	posted := false
	for _, p := range h.slack.sent() {
		if p.Path == "/chat.postMessage" && p.Channel == "C0SALES" && strings.Contains(p.Text+p.Blocks, "客户好评") {
			posted = true
		}
	}
	if !posted || h.st.EntryCount() != 1 {
		t.Errorf("posted %v, %d entries: %+v", posted, h.st.EntryCount(), h.slack.sent())
	}
	if code := mention("EvScore", "<@U0BOT> score"); code < 500 {
		t.Errorf("a score not answered was answered %d", code)
	}
}
