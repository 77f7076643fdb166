package feishu

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// fromTenant marks the sender of a message event as a user of tenant.
func fromTenant(msg, tenant string) string {
	return strings.Replace(msg, `"sender_type":"user"}`, `"sender_type":"user","tenant_key":"`+tenant+`"}`, 1)
}

// Issue 16, item 6: a Feishu user of another tenant (tenant_key other
// than the tenant the app serves) is not registered as an employee unless
// feishu.guests allows it; they are told why, and nothing is written.
func TestUsersOfAnotherTenantAreRefusedUnlessAllowed(t *testing.T) {
	h := newHarness(t, true)
	// 张伟 has written to the bot before: his first direct message would
	// record that he got his personal card (home.go), a commit that is
	// not the outsider's.
	zw, _ := h.st.Member("zhangwei")
	h.a.firstContact(context.Background(), zw)
	members := len(h.st.Members())
	sentTo := func(receiver, text string) bool {
		for _, s := range h.api.messages() {
			if (s.ReceiveID == receiver || strings.Contains(s.Path, receiver)) && strings.Contains(fmt.Sprint(s.Content), text) {
				return true
			}
		}
		return false
	}

	// Typing a command.
	h.send(event("ev-o1", "im.message.receive_v1", testToken, fromTenant(textMessage("om_o1", "p2p", outsider, "/score"), "t-other")))
	h.wait()
	if !sentTo("om_o1", h.a.bot.T("err.guest_caller")) {
		t.Fatalf("the outsider is not told why: %+v", h.api.messages())
	}
	// Named in a colleague's award.
	award := textMessage("om_o2", "p2p", zhang, "/award @_user_1 10 客户好评", [2]string{outsider, "外人"})
	award = strings.Replace(award, `"name":"外人"}`, `"name":"外人","tenant_key":"t-other"}`, 1)
	h.send(event("ev-o2", "im.message.receive_v1", testToken, fromTenant(award, "t1")))
	h.wait()
	if !sentTo("om_o2", h.a.bot.T("err.guest_member", "外人")) {
		t.Fatalf("the awarder is not told why: %+v", h.api.messages())
	}
	// Clicking a card button.
	cb := strings.Replace(cardCallback("c-o3", outsider, "/score"), `"operator":{`, `"operator":{"tenant_key":"t-other",`, 1)
	code, out := h.send(event("ev-o3", "card.action.trigger", testToken, cb))
	if toast, _ := out["toast"].(map[string]any); code != 200 || toast["type"] != "error" || toast["content"] != h.a.bot.T("err.guest_caller") {
		t.Fatalf("card click: %d %v", code, out)
	}
	// Thanked with a reaction on their message.
	h.send(event("ev-o4", "im.message.reaction.created_v1", testToken, fmt.Sprintf(`{"message_id":"om_by_outsider","reaction_type":{"emoji_type":"THUMBSUP"},"operator_type":"user","user_id":{"open_id":%q}}`, wang)))
	h.wait()
	// Nothing is written of them: the answers passed through the outbox,
	// which is empty again.
	if _, ok := h.st.MemberByFeishuOpenID(outsider); ok || len(h.st.Members()) != members || h.st.EntryCount() != 0 || outboxLen(t, h.st, "feishu") != 0 {
		t.Fatalf("refused outsider: registered %v, %d members, %d entries", ok, len(h.st.Members()), h.st.EntryCount())
	}

	// A newcomer of the app's own tenant is registered as before.
	h.send(event("ev-o5", "im.message.receive_v1", testToken, fromTenant(textMessage("om_o5", "p2p", "ou_colleague00000000000000000001", "/score"), "t1")))
	h.wait()
	if _, ok := h.st.MemberByFeishuOpenID("ou_colleague00000000000000000001"); !ok {
		t.Fatal("a colleague of the same tenant was not registered")
	}

	// Allowed by feishu.guests, the outsider joins.
	h.a.cfg.Guests.External = true
	h.send(event("ev-o6", "im.message.receive_v1", testToken, fromTenant(textMessage("om_o6", "p2p", outsider, "/score"), "t-other")))
	h.wait()
	if _, ok := h.st.MemberByFeishuOpenID(outsider); !ok {
		t.Fatal("an allowed outsider was not registered")
	}
}
