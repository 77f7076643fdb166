package slack

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Two workspace users first seen at the same moment with the same display
// name become two members with two names: both users.info lookups are
// held until both have arrived, so both registrations run at once.
func TestNewUsersSeenAtOnceGetDistinctNames(t *testing.T) {
	h := newHarness(t)
	users := []string{"U0NEWAAA1", "U0NEWBBB2"}
	arrived, release := 0, make(chan struct{})
	var mu sync.Mutex
	h.slack.mu.Lock()
	h.slack.onUserInfo = func() {
		mu.Lock()
		arrived++
		if arrived == len(users) {
			close(release)
		}
		mu.Unlock()
		select {
		case <-release:
		case <-time.After(10 * time.Second): // a liveness bound: the other never came
		}
	}
	for _, u := range users {
		h.slack.users[u] = fmt.Sprintf(`{"id":%q,"team_id":"T024BE7LD","name":"zhaoxin","profile":{"display_name":"赵新"}}`, u)
	}
	h.slack.mu.Unlock()
	var wg sync.WaitGroup
	codes := make([]int, len(users))
	for i, u := range users {
		wg.Go(func() { codes[i], _ = h.command(u, "/score", "", fmt.Sprintf("t-first-%d", i)) })
	}
	wg.Wait()
	names := map[string]bool{}
	for i, u := range users {
		m, ok := h.st.MemberBySlackID(u)
		if codes[i] != 200 || !ok {
			t.Fatalf("user %s: answered %d, registered %v", u, codes[i], ok)
		}
		names[m.Name] = true
	}
	if len(names) != 2 {
		t.Fatalf("two users got names %v", names)
	}
}
