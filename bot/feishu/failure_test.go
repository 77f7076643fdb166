package feishu

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"jifen/bot/bottest"
	"jifen/store"
)

func thumbsUp(eventID string) string {
	return event(eventID, "im.message.reaction.created_v1", testToken,
		fmt.Sprintf(`{"message_id":"om_by_zhang","reaction_type":{"emoji_type":"THUMBSUP"},"operator_type":"user","user_id":{"open_id":%q},"action_time":"1700000000000"}`, wang))
}

// A reaction whose message lookup gets no answer from the Open API is not
// answered 200: Feishu delivers it again, and the re-delivery, not taken
// for one already seen, gives the thanks.
func TestReactionRedeliveredAfterAFailedLookup(t *testing.T) {
	h := newHarness(t, true)
	h.api.mu.Lock()
	h.api.lookupsDown = 1
	h.api.mu.Unlock()
	if code, _ := h.send(thumbsUp("ev-react-down")); code < 500 {
		t.Fatalf("a reaction not applied was answered %d", code)
	}
	if n := h.st.EntryCount(); n != 0 {
		t.Fatalf("entries = %d", n)
	}
	if code, _ := h.send(thumbsUp("ev-react-down")); code != 200 {
		t.Fatalf("the re-delivery: %d", code)
	}
	h.wait()
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("entries after the re-delivery = %d, want the thanks", n)
	}
	// A third delivery is a repeat, answered 200 without a second entry.
	if code, _ := h.send(thumbsUp("ev-react-down")); code != 200 || h.st.EntryCount() != 1 {
		t.Fatalf("a repeat: %d, %d entries", code, h.st.EntryCount())
	}
}

// A command from a user seen for the first time, whose contact lookup
// gets no answer, is not answered 200 either (nor taken for an unknown
// user): the re-delivery registers them and runs it.
func TestCommandRedeliveredAfterAFailedLookup(t *testing.T) {
	h := newHarness(t, true)
	const newcomer = "ou_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	h.api.mu.Lock()
	h.api.lookupsDown = 1
	h.api.mu.Unlock()
	msg := event("ev-new-down", "im.message.receive_v1", testToken,
		textMessage("om_new_down", "p2p", newcomer, "/thanks @_user_1 谢谢帮忙", [2]string{wang, "王芳"}))
	if code, _ := h.send(msg); code < 500 {
		t.Fatalf("a command not run was answered %d", code)
	}
	h.wait()
	if _, ok := h.st.MemberByFeishuOpenID(newcomer); ok || h.st.EntryCount() != 0 {
		t.Fatalf("written though not run: %d entries", h.st.EntryCount())
	}
	if code, _ := h.send(msg); code != 200 {
		t.Fatalf("the re-delivery: %d", code)
	}
	h.wait()
	if _, ok := h.st.MemberByFeishuOpenID(newcomer); !ok || h.st.EntryCount() != 1 {
		t.Fatalf("after the re-delivery: registered %v, %d entries", ok, h.st.EntryCount())
	}
}

// A menu click from a user seen for the first time, whose contact lookup
// gets no answer, is not answered 200: the re-delivery registers them
// and answers the click, once.
func TestMenuRedeliveredAfterAFailedLookup(t *testing.T) {
	h := newHarness(t, true)
	const newcomer = "ou_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	h.api.mu.Lock()
	h.api.lookupsDown = 1
	h.api.mu.Unlock()
	click := event("ev-menu-down", "application.bot.menu_v6", testToken,
		fmt.Sprintf(`{"operator":{"operator_id":{"open_id":%q}},"event_key":"score","timestamp":1700000000}`, newcomer))
	if code, _ := h.send(click); code < 500 {
		t.Fatalf("a menu click not run was answered %d", code)
	}
	h.wait()
	if code, _ := h.send(click); code != 200 {
		t.Fatalf("the re-delivery: %d", code)
	}
	h.wait()
	if _, ok := h.st.MemberByFeishuOpenID(newcomer); !ok {
		t.Fatal("the re-delivery did not register the member")
	}
	// The first try told them it failed; the re-delivery answers, once.
	answers, failures := 0, 0
	for _, s := range h.api.messages() {
		if s.ReceiveID != newcomer {
			continue
		}
		if strings.Contains(fmt.Sprint(s.Content), "赵新 的积分") {
			answers++
		} else {
			failures++
		}
	}
	if answers != 1 || failures != 1 {
		t.Fatalf("%d answers and %d failure notes to the click, want one each: %+v", answers, failures, h.api.messages())
	}
}

// The answer to a command that writes is queued in the command's own
// write: an award is answered 200 and its answer sent though a write of
// its own would fail (it took a second commit before the event was
// answered, and a failure there had Feishu deliver the event again).
// A command that writes nothing is answered by a write of its own.
func TestAnAwardsAnswerIsQueuedInItsWrite(t *testing.T) {
	var down atomic.Bool
	h := newHarnessWith(t, true, func(st store.Ledger) store.Ledger { return bottest.OutboxDown{Ledger: st, Down: &down} })
	// The first direct message is answered with the personal card first,
	// queued with the answer by a write of their own.
	if code, _ := h.send(event("ev-hello", "im.message.receive_v1", testToken, textMessage("om_hello", "p2p", zhang, "/help"))); code != 200 {
		t.Fatalf("the first message was answered %d", code)
	}
	h.wait()
	down.Store(true)
	for _, chat := range []string{"group", "p2p"} {
		id := "om_award_" + chat
		msg := event("ev-"+id, "im.message.receive_v1", testToken,
			textMessage(id, chat, zhang, "/award @_user_1 10 客户好评", [2]string{wang, "王芳"}))
		if code, _ := h.send(msg); code != 200 {
			t.Fatalf("%s: the award was answered %d", chat, code)
		}
		h.wait()
		replied := false
		for _, m := range h.api.messages() {
			if strings.Contains(m.Path, id) && strings.Contains(fmt.Sprint(m.Content), "客户好评") {
				replied = true
			}
		}
		if !replied {
			t.Errorf("%s: no answer to the award: %+v", chat, h.api.messages())
		}
	}
	if n := h.st.EntryCount(); n != 2 {
		t.Errorf("entries = %d, want 2", n)
	}
	// /score writes nothing: its answer needs the outbox, which is down.
	msg := event("ev-score", "im.message.receive_v1", testToken, textMessage("om_score", "group", wang, "/score"))
	if code, _ := h.send(msg); code < 500 {
		t.Errorf("a score not answered was answered %d", code)
	}
}
