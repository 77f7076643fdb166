package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

// TestHomeGolden renders the Home of an admin and of an employee of the
// example company, after an award and an award that waits for approval,
// and checks them against Block Kit's limits for a home view.
func TestHomeGolden(t *testing.T) {
	b, st := exampleBot(t)
	ctx := context.Background()
	run := func(who, text string) {
		m, _ := st.Member(who)
		if r := b.Handle(ctx, bot.Request{Caller: m, Text: text, Source: "slack", Key: who + text}); r.Reply.Kind == "error" {
			t.Fatalf("%s: %v", text, r.Reply.Text)
		}
	}
	run("zhangwei", "/award @王芳 10 客户好评 华为来信表扬 <!channel>")
	run("wangfang", "/thanks @刘洋 3 帮我整理报价单")
	run("zhangwei", "/award @刘洋 80 签大单 中标某汽车零部件项目")
	run("hr_li", "/award @王芳 60 签大单 补录")
	run("wangfang", "/redeem 咖啡券")
	for _, c := range []struct{ name, who string }{{"home-admin", "hr_li"}, {"home-manager", "zhangwei"}, {"home-employee", "wangfang"}} {
		m, _ := st.Member(c.who)
		blocks := RenderHome(b.Home(ctx, m))
		raw, err := json.MarshalIndent(blocks, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, append(raw, '\n'))
		var back slackapi.Blocks
		if err := json.Unmarshal(raw, &back); err != nil || len(back.BlockSet) != len(blocks) {
			t.Errorf("%s: blocks do not round-trip: %v", c.name, err)
		}
		checkBlocks(t, c.name, blocks, maxHomeBlocks)
		if strings.Contains(string(raw), "<!channel>") {
			t.Errorf("%s: a reason mentions @channel", c.name)
		}
	}
}

// TestHomeStaysWithinLimits renders a page far larger than any Home.
func TestHomeStaysWithinLimits(t *testing.T) {
	long := strings.Repeat("很长的理由 & <!here> ", 400)
	v := bot.HomeView{Title: strings.Repeat("标题", 200), Text: []string{long}}
	for range 30 {
		v.Fields = append(v.Fields, bot.Field{Label: "f", Value: long})
		v.Actions = append(v.Actions, bot.Button{Label: long, ActionID: bot.ActionCommand, Value: "/score"})
	}
	for s := range 10 {
		sec := bot.HomeSection{ID: fmt.Sprint(s), Title: long, Text: []string{long}}
		for i := range 20 {
			it := bot.Block{Text: long, Note: long}
			for j := range i % 3 {
				it.Buttons = append(it.Buttons, bot.Button{Label: "b", ActionID: bot.ActionCommand, Value: fmt.Sprintf("/redeem %d", j)})
			}
			sec.Items = append(sec.Items, it)
		}
		v.Sections = append(v.Sections, sec)
	}
	blocks := RenderHome(v)
	if len(blocks) != maxHomeBlocks {
		t.Errorf("%d blocks, want the page cut at %d", len(blocks), maxHomeBlocks)
	}
	checkBlocks(t, "huge home", blocks, maxHomeBlocks)
}

func (h *harness) event(id, inner string) {
	h.t.Helper()
	ev := fmt.Sprintf(`{"type":"event_callback","event_id":%q,"event_time":1700000000,"team_id":"T0001","api_app_id":"A0JIFEN","event":%s}`, id, inner)
	if code, body := h.post("/slack/events", "application/json", ev, nil); code != 200 {
		h.t.Fatalf("event %s: %d %s", id, code, body)
	}
	h.wait()
}

// published are the views.publish calls for user, oldest first.
func (h *harness) published(user string) []post {
	var out []post
	for _, p := range h.slack.sent() {
		if p.Path == "/views.publish" && p.User == user {
			out = append(out, p)
		}
	}
	return out
}

func viewText(p post) string {
	raw, _ := json.Marshal(p.Body["view"])
	return strings.Join(jsonStrings(raw), "\n")
}

func (h *harness) openHome(user, id string) {
	h.event(id, fmt.Sprintf(`{"type":"app_home_opened","user":%q,"channel":"D0HOME","tab":"home","event_ts":"1700000000.1"}`, user))
}

func TestAppHomeOpenedPublishesTheHome(t *testing.T) {
	h := newHarness(t)
	h.openHome(wang, "EvH1")
	h.openHome(wang, "EvH1") // a redelivery
	pubs := h.published(wang)
	if len(pubs) != 1 {
		t.Fatalf("%d publishes: %+v", len(pubs), h.slack.sent())
	}
	view, _ := pubs[0].Body["view"].(map[string]any)
	if view["type"] != "home" || !strings.Contains(viewText(pubs[0]), "王芳 的积分主页") {
		t.Fatalf("view: %v", pubs[0].Body)
	}
	// The messages tab publishes nothing.
	h.event("EvH2", fmt.Sprintf(`{"type":"app_home_opened","user":%q,"channel":"D0HOME","tab":"messages","event_ts":"1700000000.2"}`, wang))
	if n := len(h.published(wang)); n != 1 {
		t.Fatalf("%d publishes after the messages tab", n)
	}
}

func TestAwardRepublishesTheHome(t *testing.T) {
	h := newHarness(t)
	h.openHome(wang, "EvH1")
	h.openHome(zhang, "EvH2")
	if _, msg := h.command(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "t-award"); msg.ResponseType != "in_channel" {
		t.Fatalf("award: %+v", msg)
	}
	h.wait()
	for _, u := range []string{wang, zhang} { // the receiver's and the giver's
		pubs := h.published(u)
		if len(pubs) != 2 {
			t.Fatalf("%s: %d publishes", u, len(pubs))
		}
		if u == wang && !strings.Contains(viewText(pubs[1]), "客户好评") {
			t.Errorf("the new Home does not show the award: %s", viewText(pubs[1]))
		}
	}
	// A read changes nothing and publishes nothing.
	h.command(wang, "/score", "", "t-score")
	h.wait()
	if n := len(h.published(wang)); n != 2 {
		t.Errorf("%d publishes after /score", n)
	}
}

func TestThanksModalFromTheHome(t *testing.T) {
	h := newHarness(t)
	h.openHome(wang, "EvH1")
	click := fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-t","user":{"id":%q},
		"container":{"type":"view","view_id":"VHOME"},"view":{"id":"VHOME","type":"home"},
		"actions":[{"type":"button","action_id":"jifen_thanks:a0","block_id":"jifen_home_actions","value":"thanks","action_ts":"1.1"}]}`, wang)
	if code, _ := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(click), nil); code != 200 {
		t.Fatalf("click: %d", code)
	}
	var modal map[string]any
	for _, p := range h.slack.sent() {
		if p.Path == "/views.open" {
			modal = p.Body
		}
	}
	raw, _ := json.Marshal(modal)
	if modal == nil || !strings.Contains(string(raw), `"users_select"`) || !strings.Contains(string(raw), callbackThanks) {
		t.Fatalf("no thanks modal with a user picker: %s", raw)
	}

	submit := func(points string) (int, string) {
		sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":"VT1","hash":"h1","callback_id":%q,
			"state":{"values":{"who":{"who":{"type":"users_select","selected_user":%q}},
			"points":{"points":{"type":"plain_text_input","value":%q}},
			"reason":{"reason":{"type":"plain_text_input","value":"帮我整理\n报价单"}}}}}}`, wang, callbackThanks, zhang, points)
		code, body := h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(sub), nil)
		h.wait()
		return code, body
	}
	if code, body := submit("三"); code != 200 || !strings.Contains(body, `"points"`) {
		t.Fatalf("bad points: %d %s", code, body)
	}
	if h.st.EntryCount() != 0 {
		t.Fatal("bad points wrote an entry")
	}
	for range 2 { // a double submit
		if code, body := submit("3"); code != 200 || body != "" {
			t.Fatalf("submission: %d %q", code, body)
		}
	}
	if n := h.st.EntryCount(); n != 1 {
		t.Fatalf("%d entries after a double submit", n)
	}
	e, _, _ := h.st.Entry(1)
	if e.Kind != jifen.KindThanks || e.Giver != "wangfang" || e.Receiver != "zhangwei" || e.Points != 3 || e.Reason != "帮我整理 报价单" {
		t.Fatalf("entry: %+v", e)
	}
	var dms int
	for _, p := range h.slack.sent() {
		if p.Path == "/chat.postMessage" && p.Channel == wang {
			dms++
		}
	}
	if dms != 1 {
		t.Errorf("%d answers to the giver", dms)
	}
	if n := len(h.published(wang)); n != 2 {
		t.Errorf("the giver's Home published %d times", n)
	}
}

func TestHomeButtonsAnswerByDirectMessage(t *testing.T) {
	h := newHarness(t)
	h.openHome(wang, "EvH1")
	click := fmt.Sprintf(`{"type":"block_actions","trigger_id":"trig-h","user":{"id":%q},
		"container":{"type":"view","view_id":"VHOME"},"view":{"id":"VHOME","type":"home"},
		"actions":[{"type":"button","action_id":"jifen_command:a1","block_id":"jifen_home_actions","value":"/history","action_ts":"1.2"}]}`, wang)
	h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(click), nil)
	refresh := strings.Replace(strings.Replace(click, "jifen_command:a1", "jifen_home:a2", 1), `"/history"`, `"home"`, 1)
	h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(refresh), nil)
	h.wait()
	var dm bool
	for _, p := range h.slack.sent() {
		dm = dm || p.Path == "/chat.postMessage" && p.Channel == wang
	}
	if !dm {
		t.Errorf("the history was not sent: %+v", h.slack.sent())
	}
	if n := len(h.published(wang)); n != 2 {
		t.Errorf("refresh: %d publishes", n)
	}
}

// TestHomeLogsNoText: what people type (a reason) never reaches the logs,
// whatever the Home does with it.
func TestHomeLogsNoText(t *testing.T) {
	h := newHarness(t)
	var buf strings.Builder
	var mu sync.Mutex
	h.a.log = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.openHome(wang, "EvH1")
	for i, who := range []string{zhang, "U0NOSUCH1"} { // a colleague, then one views.publish cannot show
		sub := fmt.Sprintf(`{"type":"view_submission","user":{"id":%q},"view":{"id":"VT%d","hash":"h1","callback_id":%q,
			"state":{"values":{"who":{"who":{"type":"users_select","selected_user":%q}},
			"points":{"points":{"type":"plain_text_input","value":"2"}},
			"reason":{"reason":{"type":"plain_text_input","value":"秘密理由"}}}}}}`, wang, i, callbackThanks, who)
		h.post("/slack/interactions", "application/x-www-form-urlencoded", interactionForm(sub), nil)
		h.wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(buf.String(), "秘密理由") {
		t.Fatalf("a reason in the logs:\n%s", buf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// lookups counts the members a Read looked up by id.
type lookups struct {
	store.Ledger
	mu  sync.Mutex
	ids []string
}

func (l *lookups) Read(ctx context.Context, fn func(store.Reader) error) error {
	return l.Ledger.Read(ctx, func(r store.Reader) error { return fn(lookupReader{r, l}) })
}

type lookupReader struct {
	store.Reader
	l *lookups
}

func (r lookupReader) Member(id string) (jifen.Member, bool) {
	r.l.mu.Lock()
	r.l.ids = append(r.l.ids, id)
	r.l.mu.Unlock()
	return r.Reader.Member(id)
}

// An admin's command concerns every admin's Home; with no Home open the
// adapter looks none of them up (each was a read of the store after
// every command, hundreds in a company with many admins).
func TestACommandLooksUpNoHomeWhenNoneIsOpen(t *testing.T) {
	l := &lookups{}
	h := newHarnessWith(t, func(st store.Ledger) store.Ledger { l.Ledger = st; return l })
	const zhao = "U01ZHAOQ1" // 赵强, an admin
	if _, msg := h.command(zhao, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "t-admin-award"); msg.ResponseType != "in_channel" {
		t.Fatalf("award: %+v", msg)
	}
	h.wait()
	l.mu.Lock()
	if slices.Contains(l.ids, "hr_li") {
		t.Errorf("the other admin was looked up with no Home open: %v", l.ids)
	}
	l.mu.Unlock()

	// With Homes open, those concerned are published again, whichever
	// list is shorter: the other admin's, after an admin's award; the
	// giver's and the receiver's, not the admin's, after a manager's.
	const li = "U02LINA01"
	h.openHome(li, "EvH1")
	h.openHome(wang, "EvH2")
	h.openHome(zhang, "EvH3")
	h.wait()
	before := map[string]int{li: len(h.published(li)), wang: len(h.published(wang)), zhang: len(h.published(zhang))}
	h.command(zhao, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "t-admin-award-2")
	h.wait()
	for u, want := range map[string]int{li: 1, wang: 1, zhang: 0} {
		if got := len(h.published(u)) - before[u]; got != want {
			t.Errorf("after an admin's award: %s's Home published %d times, want %d", u, got, want)
		}
		before[u] = len(h.published(u))
	}
	h.command(zhang, "/award", "<@U0456EFGH|wangfang> 10 客户好评", "t-manager-award")
	h.wait()
	for u, want := range map[string]int{li: 0, wang: 1, zhang: 1} {
		if got := len(h.published(u)) - before[u]; got != want {
			t.Errorf("after a manager's award: %s's Home published %d times, want %d", u, got, want)
		}
	}
}
