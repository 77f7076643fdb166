package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"jifen"
	"jifen/bot"
)

// TestHomeCardGolden renders the personal card of an admin and of an
// employee of the example company.
func TestHomeCardGolden(t *testing.T) {
	h := newHarness(t, false)
	ctx := context.Background()
	run := func(who, text string) {
		m, _ := h.st.Member(who)
		if r := h.a.bot.Handle(ctx, bot.Request{Caller: m, Text: text, Source: "feishu", Key: who + text}); r.Reply.Kind == "error" {
			t.Fatalf("%s: %v", text, r.Reply.Text)
		}
	}
	run("zhangwei", "/award @王芳 10 客户好评 华为来信表扬")
	run("zhangwei", "/award @刘洋 80 签大单 中标某汽车零部件项目")
	run("hr_li", "/award @王芳 60 签大单 补录")
	run("wangfang", "/redeem 咖啡券")
	for _, c := range []struct{ name, who string }{{"home-admin", "hr_li"}, {"home-employee", "wangfang"}} {
		m, _ := h.st.Member(c.who)
		card := h.a.homeCard(ctx, m)
		raw, err := json.MarshalIndent(card, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, append(raw, '\n'))
		if n := len(card.JSON()); n > 30*1024 {
			t.Errorf("%s: a card of %d bytes", c.name, n)
		}
		if card["schema"] != "2.0" {
			t.Errorf("%s: schema %v", c.name, card["schema"])
		}
	}
}

// homeCards are the personal cards sent to open.
func (h *harness) homeCards(open, title string) int {
	n := 0
	for _, s := range h.api.messages() {
		if s.ReceiveID == open && strings.Contains(fmt.Sprint(s.Content["header"]), title) {
			n++
		}
	}
	return n
}

func TestFirstDirectMessageSendsThePersonalCard(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-first", "im.message.receive_v1", testToken, textMessage("om_first", "p2p", wang, "/score")))
	h.wait()
	if n := h.homeCards(wang, "王芳 的积分主页"); n != 1 {
		t.Fatalf("%d personal cards: %+v", n, h.api.messages())
	}
	h.send(event("ev-second", "im.message.receive_v1", testToken, textMessage("om_second", "p2p", wang, "/score")))
	h.wait()
	if n := h.homeCards(wang, "王芳 的积分主页"); n != 1 {
		t.Fatalf("%d personal cards after a second message", n)
	}
	// A mention in a group is no direct message.
	h.send(event("ev-group", "im.message.receive_v1", testToken, textMessage("om_group", "group", zhang, "@_user_1 /score", [2]string{botID, "jifen"})))
	h.wait()
	if n := h.homeCards(zhang, "张伟 的积分主页"); n != 0 {
		t.Fatalf("a group message sent a personal card")
	}
}

func TestBotMenuSendsThePersonalCard(t *testing.T) {
	h := newHarness(t, true)
	h.send(event("ev-menu-home", "application.bot.menu_v6", testToken, fmt.Sprintf(`{"operator":{"operator_id":{"open_id":%q}},"event_key":"home","timestamp":1700000000}`, wang)))
	h.wait()
	if n := h.homeCards(wang, "王芳 的积分主页"); n != 1 {
		t.Fatalf("%d personal cards: %+v", n, h.api.messages())
	}
}

func homeCallback(token, operator, value string, form map[string]string) string {
	fv, _ := json.Marshal(form)
	return fmt.Sprintf(`{"operator":{"open_id":%q},"token":%q,"action":{"value":%s,"tag":"button","form_value":%s},"context":{"open_message_id":"om_home","open_chat_id":"oc_dm"}}`,
		operator, token, value, fv)
}

func TestPersonalCardButtonsUpdateTheCard(t *testing.T) {
	h := newHarness(t, true)
	ctx := context.Background()
	li, _ := h.st.Member("hr_li")
	h.a.bot.Handle(ctx, bot.Request{Caller: li, Text: "/award @王芳 60 签大单 补录", Key: "give"})

	// Redeem from the card: the answer is the card built anew, with the new balance.
	code, out := h.send(event("ev-h1", "card.action.trigger", testToken, homeCallback("h-tok-1", wang, `{"command":"/redeem 咖啡券","home":"1"}`, nil)))
	card, _ := json.Marshal(out["card"])
	if code != 200 || !strings.Contains(string(card), "王芳 的积分主页") || !strings.Contains(string(card), "积分商城（余额 30 分）") {
		t.Fatalf("redeem: %d %v", code, out)
	}
	// Thanks through the card's form, clicked twice.
	for _, tok := range []string{"h-tok-2", "h-tok-2"} {
		code, out = h.send(event("ev-"+tok, "card.action.trigger", testToken, homeCallback(tok, wang, `{"command":"/thanks","home":"1","form":"thanks"}`,
			map[string]string{thanksWho: "@张伟", thanksPoints: "3", thanksReason: "帮我整理\n报价单"})))
		if toast, _ := out["toast"].(map[string]any); code != 200 || toast["type"] != "success" || out["card"] == nil {
			t.Fatalf("thanks: %d %v", code, out)
		}
	}
	h.wait()
	var thanks int
	_ = h.st.ForEachEntry(func(e *jifen.Entry) error {
		if e.Kind == jifen.KindThanks && e.Giver == "wangfang" && e.Receiver == "zhangwei" && e.Points == 3 && e.Reason == "帮我整理 报价单" {
			thanks++
		}
		return nil
	})
	if thanks != 1 {
		t.Fatalf("%d thanks entries", thanks)
	}
	// A bad form changes nothing and keeps the card.
	code, out = h.send(event("ev-h3", "card.action.trigger", testToken, homeCallback("h-tok-3", wang, `{"command":"/thanks","home":"1","form":"thanks"}`,
		map[string]string{thanksWho: "张伟", thanksPoints: "三"})))
	if toast, _ := out["toast"].(map[string]any); code != 200 || toast["type"] != "error" || out["card"] != nil {
		t.Fatalf("bad points: %d %v", code, out)
	}
	// Refresh runs nothing.
	before := h.st.EntryCount()
	code, out = h.send(event("ev-h4", "card.action.trigger", testToken, homeCallback("h-tok-4", wang, `{"home":"1"}`, nil)))
	if code != 200 || out["card"] == nil || h.st.EntryCount() != before {
		t.Fatalf("refresh: %d %v", code, out)
	}
}
