package bot

import (
	"testing"

	"jifen"
)

func TestInline(t *testing.T) {
	manager := jifen.Member{ID: "zhang", Role: jifen.RoleManager}
	employee := jifen.Member{ID: "wang", Role: jifen.RoleEmployee}
	for _, c := range []struct {
		caller jifen.Member
		text   string
		want   string // "": not a recognition
	}{
		{manager, "+5 @王芳 #客户好评", "/award @王芳 5 #客户好评"},
		{manager, "@王芳 +5 客户好评 华为来信表扬", "/award @王芳 5 客户好评 华为来信表扬"},
		{manager, "<@U0456EFGH|wangfang> <@U0789|liuyang> ＋10 签单", "/award <@U0456EFGH|wangfang> <@U0789|liuyang> 10 签单"},
		{employee, "谢谢 @李娜 +1 帮我整理报价单", "/thanks @李娜 1 谢谢 帮我整理报价单"},
		{manager, "@王芳 +5", "/award @王芳 5"}, // the command asks for the reason
		{manager, "大家 +1", ""},           // nobody named
		{manager, "@王芳 今天辛苦了", ""},       // no points
		{manager, "@王芳 +5 +3 好评", ""},    // two amounts
		{manager, "@王芳 +12345 好评", ""},   // not a number people write
		{manager, "/award @王芳 5 好评", ""}, // a command is a command
		{manager, "@王芳 C++5 好评", ""},     // not a +N token
		{jifen.Member{ID: "bot", Role: jifen.RoleAdmin, Bot: true}, "+5 @王芳 好评", ""},
	} {
		got, ok := Inline(c.caller, c.text)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("Inline(%s, %q) = %q, %v; want %q", c.caller.Role, c.text, got, ok, c.want)
		}
	}
}

// A recognition is run as the command it stands for: accepted within the
// rules, refused with the usual message (nothing written) when it does
// not hold.
func TestInlineRunsAsTheCommand(t *testing.T) {
	e := newEnv(t)
	cmd, ok := Inline(e.member("zhang"), "@王芳 +10 客户好评 华为来信表扬")
	if !ok {
		t.Fatal("not read")
	}
	e.run("zhang", cmd)
	if got := e.store.Balance("wang"); got != 10 {
		t.Errorf("王芳 has %d, want 10", got)
	}
	n := e.store.EntryCount()
	cmd, _ = Inline(e.member("zhang"), "@王芳 +10")
	if _, err := e.try("zhang", cmd, ""); errKeyOf(err) != "err.reason_required" || e.store.EntryCount() != n {
		t.Errorf("no reason: %v, entries %d → %d", err, n, e.store.EntryCount())
	}
}
