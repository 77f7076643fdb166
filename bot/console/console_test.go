package console

import (
	"context"
	"strings"
	"testing"

	"jifen"
)

// A person at a terminal is greeted with who they are and where help is;
// scripted input (tests, pipes) gets no greeting.
func TestGreetingOnATerminalOnly(t *testing.T) {
	me := jifen.Member{ID: "E1001", Name: "张伟", Role: jifen.RoleManager}
	for _, tc := range []struct {
		lang   string
		prompt bool
		want   []string
	}{
		{"zh", true, []string{"你好，张伟（E1001", "/help", ":as"}},
		{"en", true, []string{"Hello, 张伟 (E1001", "/help", ":as"}},
		{"zh", false, nil},
	} {
		var out strings.Builder
		s := &Session{Caller: me, Lang: tc.lang, Prompt: tc.prompt}
		if err := s.Run(context.Background(), strings.NewReader(""), &out); err != nil {
			t.Fatal(err)
		}
		if tc.want == nil && out.Len() != 0 {
			t.Errorf("scripted session printed %q", out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s greeting %q lacks %q", tc.lang, out.String(), w)
			}
		}
	}
}
