package feishu

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Two users first seen at the same moment, with the same name and the same
// last six characters of their open_ids, become two members, each with
// their own open_id, id and name. Both lookups are held at the department
// lookup, after the contact lookup, until both have arrived, so both
// registrations run at once.
func TestNewUsersSeenAtOnceBecomeTwoMembers(t *testing.T) {
	h := newHarness(t, true)
	users := []string{"ou_aaaa111122223333444455556a7b8c", "ou_bbbb111122223333444455556a7b8c"}
	arrived, release := 0, make(chan struct{})
	var mu sync.Mutex
	h.api.mu.Lock()
	h.api.onDepartment = func() {
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
	for _, u := range users { // the contact API knows both as 赵新 of 市场部
		h.api.users[u] = fmt.Sprintf(`{"name":"赵新","open_id":%q,"department_ids":["od-market"]}`, u)
	}
	h.api.mu.Unlock()

	var wg sync.WaitGroup
	codes := make([]int, len(users))
	for i, u := range users {
		wg.Go(func() {
			codes[i], _ = h.send(event(fmt.Sprintf("ev-first-%d", i), "im.message.receive_v1", testToken,
				textMessage(fmt.Sprintf("om_first_%d", i), "p2p", u, "/score")))
		})
	}
	wg.Wait()
	h.wait()
	ids, names := map[string]bool{}, map[string]bool{}
	for i, u := range users {
		m, ok := h.st.MemberByFeishuOpenID(u)
		if codes[i] != 200 || !ok {
			t.Fatalf("user %d: answered %d, registered %v", i, codes[i], ok)
		}
		ids[m.ID], names[m.Name] = true, true
	}
	if len(ids) != 2 || len(names) != 2 {
		t.Fatalf("two users became ids %v, names %v", ids, names)
	}
}
