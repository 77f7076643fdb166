package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"jifen"
	"jifen/locale"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain Chinese", "客户好评 谢谢", "客户好评 谢谢"},
		{"right-to-left override", "报销\u202Egpj.exe", "报销gpj.exe"},
		{"every bidi embedding, override and isolate", "a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069j", "abcdefghij"},
		{"bidi marks", "a\u200Eb\u200Fc\u061Cd", "abcd"},
		{"zero width space, non-joiner, word joiner, BOM, soft hyphen", "迟\u200B到\u200C \u2060好\uFEFF评\u00AD", "迟到 好评"},
		{"BEL, ESC, NUL, DEL, C1", "a\x07b\x1b[31mc\x00d\x7fe\u0085f\u009bg", "ab[31mcde fg"},
		{"line breaks and tabs become spaces", "a\tb\nc\r\nd\u2028e\u2029f", "a b c  d e f"},
		{"a joiner between emoji stays", "👩‍💻 🏳️‍🌈 👩🏽‍💻 ❤️‍🔥", "👩‍💻 🏳️‍🌈 👩🏽‍💻 ❤️‍🔥"},
		{"a joiner elsewhere goes", "迟\u200D到 a\u200D \u200D👍 ^\u200D💻", "迟到 a 👍 ^💻"},
		{"flag tag sequences stay", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"},
		{"tag characters elsewhere go", "ok\U000E0041\U000E0042 🏴\U000E0067\U000E007F\U000E0041", "ok 🏴\U000E0067\U000E007F"},
		{"variation selectors and combining marks stay", "❤️ 葛\U000E0100 é", "❤️ 葛\U000E0100 é"},
		{"mentions are left to the platforms to escape", "<@U123|王芳> @channel <!here> &amp;", "<@U123|王芳> @channel <!here> &amp;"},
		{"not UTF-8", "a\xffb", "a\uFFFDb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CleanText(tc.in)
			if got != tc.want {
				t.Errorf("CleanText(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
			if again := CleanText(got); again != got {
				t.Errorf("not idempotent: %+q → %+q", got, again)
			}
		})
	}
}

// hostile is what the review stored and echoed: an override that reverses
// what follows, zero-width characters, BEL, ESC and NUL.
const hostile = "\u202Egpj.exe\u200B\u200C\u2066\x07\x1b[2J\x00"

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	if i := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}); i >= 0 {
		t.Errorf("%s keeps %+q", what, s)
	}
}

func TestHostileCharactersAreStrippedFromEveryFreeText(t *testing.T) {
	e := newSurveyEnv(t, false)
	resp := e.run("zhang", "/award @王芳 10 客户好评 "+hostile)
	for _, f := range resp.Reply.Fields {
		assertClean(t, "the announcement's "+f.Label, f.Value)
	}
	e.run("wang", "/thanks @李娜 1 帮我"+hostile+"整理报价单")
	e.run("zhang", "/deduct @李娜 迟到 "+hostile)
	e.run("hr", "/revoke 1 重复"+hostile)
	e.run("zhang", "/award @王芳 80 大单")
	e.run("hr", "/reject A1 证据"+hostile+"不足")
	e.run("zhang", "/feedback @王芳 做得好"+hostile)
	e.give("chen", 100)
	e.run("chen", "/redeem 培训课程")
	e.run("hr", "/redemptions reject R1 不符合"+hostile)
	e.run("hr", "/survey start pulse")
	e.run("wang", "/survey answer pulse-1 note 希望"+hostile+"更透明")

	for id := uint64(1); id <= uint64(e.store.EntryCount()); id++ {
		en, _, _ := e.store.Entry(id)
		assertClean(t, fmt.Sprintf("entry #%d's reason", id), en.Reason)
	}
	if en, _, _ := e.store.Entry(1); en.Reason != "客户好评 gpj.exe[2J" {
		t.Errorf("reason stored as %+q", en.Reason)
	}
	if ap, _ := e.store.Approval(1); ap.Note != "证据gpj.exe[2J不足" {
		t.Errorf("rejection note stored as %+q", ap.Note)
	}
	for _, f := range e.store.FeedbackIn("wang", jifen.PeriodOf(jifen.Month, e.clock.Now(), shanghai)) {
		assertClean(t, "feedback", f.Text)
	}
	if rs := e.store.Redemptions("chen", 1); len(rs) != 1 {
		t.Fatal("no redemption")
	} else {
		assertClean(t, "redemption note", rs[0].Note)
	}
	for _, a := range e.store.Answers("pulse", 1) {
		for _, v := range a.Values["note"] {
			assertClean(t, "survey answer", v)
		}
	}
}

func TestReasonOverTheLimitIsRefusedAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @王芳 80 大单") // A1, pending
	e.give("chen", 100)
	e.run("chen", "/redeem 培训课程") // R1, pending
	entries := e.store.EntryCount()

	long := func(n int) string { return strings.Repeat("好", n) }
	megabyte := long(350_000) // 1 MB of UTF-8
	for _, tc := range []struct{ as, cmd string }{
		{"zhang", "/award @王芳 10 客户好评 " + long(496)},
		{"zhang", "/award @王芳 10 客户好评 " + megabyte},
		{"zhang", "/deduct @王芳 迟到 " + long(498)},
		{"wang", "/thanks @李娜 " + long(501)},
		{"wang", "/thanks @李娜 1 " + megabyte},
		{"hr", "/revoke 1 " + long(501)},
		{"hr", "/reject A1 " + long(501)},
		{"hr", "/approve A1 " + long(501)},
		{"hr", "/redemptions reject R1 " + long(501)},
	} {
		_, err := e.try(tc.as, tc.cmd, "")
		if errKey(err) != "err.reason_long" {
			t.Fatalf("%s %.40q…: %v", tc.as, tc.cmd, err)
		}
		msg := locale.Error(locale.ZH, err)
		if !strings.Contains(msg, "500") {
			t.Errorf("the message does not say the limit: %s", msg)
		}
	}
	if e.store.EntryCount() != entries {
		t.Fatalf("a refusal wrote: %d entries, want %d", e.store.EntryCount(), entries)
	}
	if ap, _ := e.store.Approval(1); ap.DecidedBy != "" {
		t.Fatalf("a refusal decided A1: %+v", ap)
	}
	if rs := e.store.Redemptions("chen", 1); rs[0].DecidedBy != "" {
		t.Fatalf("a refusal decided R1: %+v", rs[0])
	}
	// Exactly at the limit is fine: 客户好评 and a space are 5 of the 500.
	e.run("zhang", "/award @王芳 10 客户好评 "+long(495))
	// English says so too, with the count.
	_, err := e.try("zhang", "/award @王芳 10 客户好评 "+long(496), "")
	if msg := locale.Error(locale.EN, err); !strings.Contains(msg, "at most 500 characters; yours has 501") {
		t.Errorf("English: %s", msg)
	}

	// The limit is configurable.
	e.bot.cat.MaxReason = 10
	if _, err := e.try("zhang", "/award @王芳 10 客户好评 很好很好很好", ""); errKey(err) != "err.reason_long" {
		t.Fatalf("limit 10: %v", err)
	}
	e.run("zhang", "/award @王芳 10 客户好评 很好")
}

// A parsed argument is always clean (FuzzParse checks it over any input).
func TestParsedArgumentsAreClean(t *testing.T) {
	cmd, err := Parse("/award @王芳 10 客户好评" + hostile + "\u200D")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cmd.Args, []string{"@王芳", "10", "客户好评gpj.exe[2J"}) {
		t.Fatalf("%+q", cmd.Args)
	}
}

// FuzzCleanText: the result is UTF-8, clean (cleaning it again changes
// nothing), never longer than the input in characters, and holds no
// control character and no format character but an emoji's joiner or tag.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "客户好评", hostile, "👩\u200D💻", "🏴\U000E0067\U000E007F", "\u200D\u200D", "a\xffb", "\r\n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := CleanText(in)
		if !utf8.ValidString(out) || CleanText(out) != out || utf8.RuneCountInString(out) > utf8.RuneCountInString(in) {
			t.Fatalf("%+q → %+q", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != 0x200D && (r < 0xE0020 || r > 0xE007F)) {
				t.Fatalf("%+q → %+q keeps %U", in, out, r)
			}
		}
	})
}
