package slack

import (
	"context"
	"errors"
	"testing"
	"time"

	"jifen"
)

// Issue 18, item 1: at start-up, members with an email and no Slack id
// are looked up (users.lookupByEmail) and linked, so that scheduled direct
// messages reach them before their first command.
func TestLinkByEmail(t *testing.T) {
	h := newHarness(t)
	h.a.lookupPace = 0
	ctx := t.Context()
	members := []jifen.Member{
		{ID: "E1024", Name: "赵敏", Email: "Zhao.Min@example.com", Role: jifen.RoleManager},
		{ID: "E2048", Name: "钱进", Email: "qian@example.com", SlackID: "U0QIANOLD", Role: jifen.RoleEmployee},
		{ID: "E3001", Name: "孙无", Email: "nobody@example.com", Role: jifen.RoleEmployee},
		{ID: "E3002", Name: "周离", Email: "gone@example.com", Role: jifen.RoleEmployee},
		{ID: "E3003", Name: "吴客", Email: "guest@example.com", Role: jifen.RoleEmployee},
		{ID: "E3004", Name: "郑重", Email: "twin@example.com", Role: jifen.RoleEmployee},
		{ID: "E3005", Name: "郑双", SlackID: "U0TWIN", Role: jifen.RoleEmployee},
	}
	if err := h.st.SyncMembers(ctx, members); err != nil {
		t.Fatal(err)
	}
	h.slack.byEmail["Zhao.Min@example.com"] = `{"id":"U0ZHAOMIN","team_id":"T024BE7LD","name":"zhaomin","profile":{"email":"zhao.min@example.com"}}`
	h.slack.byEmail["qian@example.com"] = `{"id":"U0QIANNEW","team_id":"T024BE7LD","name":"qian"}`
	h.slack.byEmail["gone@example.com"] = `{"id":"U0GONE","team_id":"T024BE7LD","name":"gone","deleted":true}`
	h.slack.byEmail["guest@example.com"] = `{"id":"U0GUEST","team_id":"T024BE7LD","name":"guest","is_restricted":true}`
	h.slack.byEmail["twin@example.com"] = `{"id":"U0TWIN","team_id":"T024BE7LD","name":"twin"}`

	linked, err := h.a.LinkByEmail(ctx)
	if err != nil || linked != 1 {
		t.Fatalf("linked %d, %v; want 1", linked, err)
	}
	want := map[string]string{
		"E1024": "U0ZHAOMIN", // found by email
		"E2048": "U0QIANOLD", // had an id: not even looked up
		"E3001": "",          // users_not_found
		"E3002": "",          // a deactivated account
		"E3003": "",          // a guest slack.guests does not allow
		"E3004": "",          // the account is another member's
		"E3005": "U0TWIN",
	}
	for id, slackID := range want {
		if m, _ := h.st.Member(id); m.SlackID != slackID {
			t.Errorf("%s: slack_id %q, want %q", id, m.SlackID, slackID)
		}
	}
	if n := h.slack.lookupCount(); n != 5 {
		t.Errorf("users.lookupByEmail called %d times, want 5", n)
	}

	// Once linked, nobody is looked up again for them.
	if linked, err := h.a.LinkByEmail(ctx); err != nil || linked != 0 || h.slack.lookupCount() != 5+4 {
		t.Fatalf("second run: linked %d, %v, %d look-ups in all", linked, err, h.slack.lookupCount())
	}
}

// A 429 is waited out (Retry-After) by the client's retries, and the
// look-ups are paced; a cancelled context stops them at once.
func TestLinkByEmailWaitsAndStops(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	members := []jifen.Member{
		{ID: "E1024", Name: "赵敏", Email: "zhao@example.com", Role: jifen.RoleManager},
		{ID: "E3001", Name: "孙无", Email: "nobody@example.com", Role: jifen.RoleEmployee},
	}
	if err := h.st.SyncMembers(ctx, members); err != nil {
		t.Fatal(err)
	}
	h.slack.byEmail["zhao@example.com"] = `{"id":"U0ZHAOMIN","team_id":"T024BE7LD","name":"zhaomin"}`
	h.slack.mu.Lock()
	h.slack.throttle = 1
	h.slack.mu.Unlock()

	// The pace between the two look-ups outlasts the context.
	h.a.lookupPace = time.Hour
	stop, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	linked, err := h.a.LinkByEmail(stop)
	if linked != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("linked %d, %v; want 1 and the context's end", linked, err)
	}
	if took := time.Since(start); took < time.Second || took > 5*time.Second {
		t.Fatalf("took %v: want the 1 s Retry-After waited, then a stop at the deadline", took)
	}
	if m, _ := h.st.Member("E1024"); m.SlackID != "U0ZHAOMIN" {
		t.Fatalf("not linked after the 429: %+v", m)
	}
	if n := h.slack.lookupCount(); n != 2 {
		t.Fatalf("%d look-ups, want 2 (a 429, then the answer)", n)
	}
}
