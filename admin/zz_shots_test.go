package admin

import (
	"context"
	"os"
	"testing"

	"jifen/bot"
)

func TestZZShots(t *testing.T) {
	dir := os.Getenv("SHOTS")
	if dir == "" {
		t.Skip()
	}
	e := newTestEnv(t, nil)
	ctx := context.Background()
	hr, _ := e.st.Member("hr")
	mgr, _ := e.st.Member("mgr")
	r := e.bot.Handle(ctx, bot.Request{Caller: hr, Text: "/award @张伟 10 客户好评 谢谢", Source: "slack"})
	t.Log(r.Reply.Text)
	r = e.bot.Handle(ctx, bot.Request{Caller: mgr, Text: "/shop", Source: "slack"})
	t.Log(r.Reply.Text)
	b := e.browser(t)
	b.signIn(e.s, "hr")
	for name, u := range map[string]string{"rules": "/admin/rules", "decisions": "/admin/decisions", "members": "/admin/members", "audit": "/admin/audit", "surveys": "/admin/surveys", "overview": "/admin/"} {
		w := b.get(u)
		os.WriteFile(dir+"/"+name+".html", w.Body.Bytes(), 0o644)
	}
}
