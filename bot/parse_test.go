package bot

import (
	"slices"
	"testing"
	"unicode/utf8"

	"jifen"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, text, cmd string
		args            []string
		errKey          string
	}{
		{"slash command", "/award @alice 10 客户好评", "award", []string{"@alice", "10", "客户好评"}, ""},
		{"chinese alias", "/加分 @王芳 10 客户好评", "award", []string{"@王芳", "10", "客户好评"}, ""},
		{"no slash as in Feishu", "加分 @王芳 10 客户好评", "award", []string{"@王芳", "10", "客户好评"}, ""},
		{"full-width slash and spaces", "／扣分　@王芳　5　迟到", "deduct", []string{"@王芳", "5", "迟到"}, ""},
		{"case-insensitive", "/AWARD @a 1 x", "award", []string{"@a", "1", "x"}, ""},
		{"points prefix", "/points leaderboard week", "leaderboard", []string{"week"}, ""},
		{"积分 prefix", "/积分 排行 本周", "leaderboard", []string{"本周"}, ""},
		{"score of someone", "/积分 @王芳", "score", []string{"@王芳"}, ""},
		{"bare score", "/score", "score", nil, ""},
		{"slack escaped mention", "/award <@U123|alice> 10 好评", "award", []string{"<@U123|alice>", "10", "好评"}, ""},
		{"help question mark", "？", "help", nil, ""},
		{"empty", "   ", "", nil, "err.empty_command"},
		{"unknown", "/dance", "", nil, "err.unknown_command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd, err := Parse(c.text)
			if got := errKey(err); got != c.errKey {
				t.Fatalf("error %q, want %q", got, c.errKey)
			}
			if cmd.Name != c.cmd || !slices.Equal(cmd.Args, c.args) {
				t.Fatalf("got %q %q", cmd.Name, cmd.Args)
			}
		})
	}
}

func TestParsePoints(t *testing.T) {
	cases := []struct {
		tok    string
		n      int64
		ok     bool
		errKey string
	}{
		{"10", 10, true, ""},
		{"+10", 10, true, ""},
		{"１０", 10, true, ""},
		{"10分", 10, true, ""},
		{"-5", -5, true, ""},
		{"－５", -5, true, ""},
		{"客户好评", 0, false, ""},
		{"#好评", 0, false, ""},
		{"1o", 0, true, "err.points_invalid"},
		{"10.5", 0, true, "err.points_invalid"},
		{"1e3", 0, true, "err.points_invalid"},
		{"1000001", 0, true, "err.points_huge"},
		{"99999999999999999999999", 0, true, "err.points_huge"},
	}
	for _, c := range cases {
		n, ok, err := parsePoints(c.tok)
		if n != c.n || ok != c.ok || errKey(err) != c.errKey {
			t.Errorf("%q: got %d %v %q, want %d %v %q", c.tok, n, ok, errKey(err), c.n, c.ok, c.errKey)
		}
	}
}

// FuzzParse: no input makes the parser panic, every error is an application
// error with a message key, and a parsed command has a known name and
// arguments without white space, control, bidi or zero-width characters.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/award @alice 10 客户好评", "加分 @张三 @李四 20 #大单 年底冲刺", "/deduct @bob -5 迟到",
		"/points leaderboard quarter 销售部", "/积分", "／感谢　@王芳　２", "/revoke #12 重复", "/approve A7",
		"<@U1|a>", "@", "/", "", "分", "/award @a 99999999999999999999", "\u3000\u3000", "/award @a 1e9 x",
		// Hostile characters: stripped before the line is split.
		"/award @a 10 好评\u202Egpj.exe", "/thanks @a \u200B\u200C\u2060\uFEFF", "/revoke 1 \x07\x1b[2J\x00",
		"/award\u2066 @a\u2069 10 x", "\u200D/award @a 👩\u200D💻 \u200D", "/feedback @a 🏴\U000E0067\U000E007F\U000E0041",
		"/award @a 1\u200B0 x", "/reject A1 a\r\nb\u2028c", "/survey answer s-1 q \xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := Parse(text)
		if err != nil {
			if jifen.ErrorCode(err) != jifen.EINVALID {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		if _, ok := commandNames[cmd.Name]; !ok {
			t.Fatalf("%q: unknown name %q", text, cmd.Name)
		}
		for _, a := range cmd.Args {
			if a == "" || slices.ContainsFunc([]rune(a), isSpaceRune) {
				t.Fatalf("%q: bad token %q", text, a)
			}
			if CleanText(a) != a {
				t.Fatalf("%q: token %+q is not clean", text, a)
			}
			if utf8.ValidString(text) && !utf8.ValidString(a) {
				t.Fatalf("%q: token %q is not UTF-8", text, a)
			}
			if n, ok, err := parsePoints(a); err == nil && ok && (n > maxPoints || n < -maxPoints) {
				t.Fatalf("%q: points %d out of bounds", a, n)
			}
		}
	})
}

func isSpaceRune(r rune) bool { return len(Fields(string(r))) == 0 }
