package feishu

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"jifen/store"
)

// A burst of commands while Feishu does not answer keeps no reply waiting
// in memory: each is queued in the outbox, only the sender's few sends
// wait on the platform, and every reply goes out, once, when it answers
// again.
func TestReplyBacklogStaysInTheOutbox(t *testing.T) {
	h := newHarness(t, false)
	hold := make(chan struct{})
	h.api.mu.Lock()
	h.api.hold = hold
	h.api.mu.Unlock()
	before := runtime.NumGoroutine()
	const n = 300
	for i := range n {
		code, _ := h.send(event(fmt.Sprintf("ev-burst-%03d", i), "im.message.receive_v1", testToken,
			textMessage(fmt.Sprintf("om_burst%03d", i), "p2p", zhang, "/score")))
		if code != 200 {
			t.Fatalf("command %d: %d", i, code)
		}
	}
	// Each reply waiting in a goroutine of its own would be n more.
	if grew := runtime.NumGoroutine() - before; grew > 60 {
		t.Errorf("%d more goroutines with %d replies waiting", grew, n)
	}
	if queued := outboxLen(t, h.st, "feishu"); queued < n-16 {
		t.Errorf("%d replies in the outbox, want the %d not sent (less the few in flight)", queued, n)
	}
	close(hold)
	h.wait()
	got := map[string]int{}
	for _, s := range h.api.messages() {
		if strings.Contains(s.Path, "/om_burst") {
			got[s.Path]++
		}
	}
	if len(got) != n {
		t.Fatalf("%d of %d commands answered", len(got), n)
	}
	for path, c := range got {
		if c != 1 {
			t.Errorf("%s answered %d times", path, c)
		}
	}
}

// outboxLen is how many messages of platform wait in st.
func outboxLen(t testing.TB, st store.Ledger, platform string) int {
	t.Helper()
	n, err := st.OutboxLen(platform)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
