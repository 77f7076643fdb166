package slack

import (
	"context"
	"testing"

	"jifen"
	"jifen/bot"
	"jifen/store/storetest"
)

// When the store cannot be read, a user is not taken for one jifen does
// not know (and registered again), and a queued message is kept to be
// sent later rather than dropped or sent to nobody.
func TestAFailedReadRegistersNoOneAndKeepsTheMessage(t *testing.T) {
	h := newHarness(t)
	a, err := New(Options{Bot: h.a.bot, Store: &storetest.LostReads{Ledger: h.st}, Config: h.a.cfg})
	if err != nil {
		t.Fatal(err)
	}
	members := len(h.st.Members())
	// W012A3CDE is a member; U0NEW0001 is nobody jifen knows yet.
	for _, user := range []string{"W012A3CDE", "U0NEW0001"} {
		if m, err := a.member(context.Background(), user); err == nil {
			t.Errorf("%s on a failed read: %+v, no error", user, m)
		}
	}
	if n := len(h.st.Members()); n != members {
		t.Errorf("members = %d, want %d: someone was registered on a failed read", n, members)
	}
	var to jifen.Member
	for _, m := range h.st.Members() {
		if m.SlackID != "" && !m.Bot {
			to = m
			break
		}
	}
	o, err := Outgoing(Address{}, bot.Message{Kind: "info", Text: []string{"hello"}}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	o.To, o.Address = to.ID, nil
	before := len(h.slack.sent())
	if err := a.Deliver(context.Background(), o); err == nil {
		t.Error("a message to a member was delivered, or dropped, on a failed read")
	}
	if n := len(h.slack.sent()); n != before {
		t.Errorf("Slack was called %d times on a failed read", n-before)
	}
}
