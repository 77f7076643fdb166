package bot

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"jifen/locale"
)

// Issue 15, defect 9: replies that misled, each now says what is wrong,
// and writes nothing.
func TestRepliesThatMisled(t *testing.T) {
	cases := []struct {
		name, as, text, key string
		want                string // the whole reply, in Chinese
	}{
		{"deduct without arguments has its own usage", "zhang", "/deduct", "err.receiver_required.deduct",
			"请 @ 要扣分的同事，例如 /deduct @王芳 迟到。"},
		{"thanks without arguments has its own usage", "wang", "/感谢", "err.receiver_required.thanks",
			"请 @ 要感谢的同事并写明感谢什么，例如 /thanks @王芳 帮我整理报价单。"},
		{"a fixed value is one number", "zhang", "/award @王芳 20 全勤", "err.points_fixed",
			"「全勤」每次 10 分，你写的是 20 分；可以不写分数。"},
		{"a mention after the reason", "zhang", "/award @王芳 10 客户好评 @李娜", "err.mention_after_reason.award",
			"「@李娜」写在了理由里：@ 要写在分数和理由之前，例如 /award @王芳 @刘洋 10 客户好评。"},
		{"a mention after the points", "zhang", "/deduct @王芳 5 @李娜 迟到", "err.mention_after_reason.deduct", ""},
		{"a mention in a thanks", "wang", "/thanks @李娜 2 和 @陈静 一起帮忙", "err.mention_after_reason.thanks", ""},
		{"thanks need a reason", "wang", "/thanks @李娜", "err.thanks_reason_required",
			"请写明感谢什么，例如 /thanks @王芳 帮我整理报价单。"},
		{"thanks with points need a reason too", "wang", "/thanks @李娜 2", "err.thanks_reason_required", ""},
		{"huge points say the range", "zhang", "/award @王芳 999999999999 客户好评", "err.points_huge",
			"分数「999999999999」太大了：「客户好评」每次 5 ~ 20 分。"},
		{"points beyond int64 are huge, not a non-number", "zhang", "/award @王芳 99999999999999999999 客户好评", "err.points_huge", ""},
		{"huge points for a fixed value", "zhang", "/deduct @王芳 999999999999 迟到", "err.points_huge_fixed",
			"分数「999999999999」太大了：「迟到」每次 5 分，可以不写分数。"},
		{"huge thanks say the thanks range", "wang", "/thanks @李娜 999999999999 帮忙", "err.points_huge",
			"分数「999999999999」太大了：「感谢」每次 1 ~ 3 分。"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.try(c.as, c.text, "")
			if got := errKey(err); got != c.key {
				t.Fatalf("%q: got %q, want %q", c.text, got, c.key)
			}
			if e.store.EntryCount() != 0 {
				t.Fatal("written")
			}
			if got := locale.Error(locale.ZH, err); c.want != "" && got != c.want {
				t.Fatalf("reply %q\nwant  %q", got, c.want)
			}
			if en := locale.Error(locale.EN, err); strings.Contains(en, "%!") || strings.Contains(en, "{") {
				t.Fatalf("en %q", en)
			}
		})
	}
}

// "最多还能加 0 分" read like a puzzle: a cap with nothing left says it is
// reached, and when it starts again.
func TestCapReachedSaysSoAndWhen(t *testing.T) {
	e := newEnv(t)
	e.run("hr", "/award @王芳 100 大单")
	e.run("hr", "/award @王芳 50 大单")
	_, err := e.try("hr", "/award @王芳 20 大单", "")
	if got, want := locale.Error(locale.ZH, err), "王芳 本月的积分已达上限 150 分，2026-12-01 起重新计算。"; got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
	if got, want := locale.Error(locale.EN, err), "王芳 has reached the limit of 150 points this month; it starts again on 2026-12-01."; got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
	for range 4 {
		e.run("zhang", "/deduct @李娜 迟到")
	}
	_, err = e.try("zhang", "/deduct @李娜 迟到", "")
	if got, want := locale.Error(locale.ZH, err), "李娜 本月的积分已达下限 -20 分，不能再扣；2026-12-01 起重新计算。"; got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
}

// fullWidth is punctuation of Chinese text that must not appear in English.
var fullWidth = regexp.MustCompile(`[（）【】，。：；！？、「」《》　]`)

// badEnglish is wording the English replies used to have: a count of one
// with a plural noun, "per this week", full-width punctuation.
var badEnglish = regexp.MustCompile(`(^|[^0-9.,])[+−-]?1 (points|times|members|entries|answers|comments|units|rules|requests)\b|per (this|all)\b|\ba [aeiou]`)

// The English catalog has no full-width punctuation (Chinese member and
// behavior names are data, not the catalog's text).
func TestEnglishCatalogHasNoFullWidthPunctuation(t *testing.T) {
	for _, key := range locale.Keys(locale.EN) {
		if s := locale.T(locale.EN, key); fullWidth.MatchString(s) {
			t.Errorf("%s: %q", key, s)
		}
	}
}

// English replies in ordinary use: singular counts read as such, periods
// read as English, and no full-width punctuation comes from the code.
func TestEnglishRepliesReadAsEnglish(t *testing.T) {
	e := newEnv(t)
	e.bot.lang = locale.EN
	// Names and behaviors are Chinese data; keep them out of the check.
	data := regexp.MustCompile(`[\p{Han}]+`)
	check := func(as, text string) {
		t.Helper()
		resp := e.bot.Handle(context.Background(), Request{Caller: e.member(as), Text: text, Source: "test"})
		msgs := []Message{resp.Reply}
		for _, n := range resp.Notices {
			msgs = append(msgs, n.Message)
		}
		for _, m := range msgs {
			all := []string{m.Title, m.Footer}
			all = append(all, m.Text...)
			for _, f := range m.Fields {
				all = append(all, f.Label, f.Value)
			}
			if m.Table != nil {
				for _, r := range m.Table.Rows {
					all = append(all, r...)
				}
			}
			for _, s := range all {
				s = data.ReplaceAllString(s, "")
				if fullWidth.MatchString(s) || badEnglish.MatchString(s) {
					t.Errorf("%s: %q", text, s)
				}
			}
		}
	}
	check("zhang", "/award @王芳 1 协助同事 helped")
	check("wang", "/thanks @李娜 1 thanks")
	check("zhang", "/award @王芳 30 好评")
	check("wang", "/rules")
	check("wang", "/shop")
	e.give("wang", 100)
	check("wang", "/redeem 咖啡券 2")
	check("wang", "/redeem 咖啡券")
	check("zhang", "/deduct @李娜 迟到")
	check("hr", "/award @王芳 50 大单")
	check("hr", "/award @王芳 50 大单")
	check("wang", "/award @李娜 10 客户好评")
}

// A count in the English catalog meets its noun through a plural choice
// ({N:point|points}), so that 1 reads "1 point". The report's own texts
// (report.*, digest.*) are left to the report.
func TestEnglishCountsHavePluralChoices(t *testing.T) {
	choice := regexp.MustCompile(`\{\d+:[^{}]*\}`)
	bare := regexp.MustCompile(`%\[\d\]d( more)? (points|times|members|entries|answers|comments|rules|people|characters|receivers)\b`)
	for _, key := range locale.Keys(locale.EN) {
		if strings.HasPrefix(key, "report.") || strings.HasPrefix(key, "digest.") {
			continue
		}
		s := locale.T(locale.EN, key)
		s = choice.ReplaceAllString(s, "") // a count inside a choice is chosen already
		if bare.MatchString(s) || strings.Contains(s, "per %") {
			t.Errorf("%s: %q", key, s)
		}
	}
}
