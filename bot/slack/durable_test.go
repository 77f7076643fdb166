package slack

import (
	"fmt"
	"testing"
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
