package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"jifen"
	"jifen/rules"
)

// CleanText removes from text a user typed the characters that have no
// place in a reason, a note, feedback or a survey answer, and that could
// deceive whoever reads it in a chat post, the report or a spreadsheet:
//
//   - control characters (C0, DEL, C1): BEL, ESC, NUL and the like go;
//     tab, line and page breaks (also U+0085, U+2028, U+2029) become a
//     space, as any white space between words does in a command;
//   - invisible format characters (Unicode category Cf), among them the
//     bidi embeddings, overrides and isolates U+202A–U+202E and
//     U+2066–U+2069 (U+202E can make "exe.txt" read "txt.exe"), the marks
//     U+200E, U+200F and U+061C, ZERO WIDTH SPACE U+200B, ZERO WIDTH
//     NON-JOINER U+200C, WORD JOINER U+2060, the BOM U+FEFF and the soft
//     hyphen U+00AD. Chinese and English text needs none of them, and they
//     let two texts that look the same differ;
//   - except what emoji need: ZERO WIDTH JOINER U+200D between two emoji
//     (👩‍💻, 🏳️‍🌈), and the tag characters U+E0020–U+E007F after the black
//     flag U+1F3F4 (the flags of England, Scotland, Wales). A joiner
//     anywhere else goes.
//
// Bytes that are not UTF-8 become U+FFFD. Everything else is kept: @, <
// and & are escaped where a platform renders the text, as before.
//
// Parse cleans every command line with it, so every command's arguments
// (every free text a user gives in chat) are clean.
func CleanText(text string) string {
	if isClean(text) {
		return text
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	rs := []rune(text)
	var b strings.Builder
	b.Grow(len(text))
	tag := false // inside an emoji tag sequence
	for i, r := range rs {
		switch {
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
			tag = false
		case unicode.IsControl(r):
			// dropped
		case r == 0x200D:
			if i > 0 && i+1 < len(rs) && emojiBefore(rs[i-1]) && emoji(rs[i+1]) {
				b.WriteRune(r)
			}
		case r >= 0xE0020 && r <= 0xE007F:
			if tag || (i > 0 && rs[i-1] == 0x1F3F4) {
				b.WriteRune(r)
				tag = r != 0xE007F // CANCEL TAG ends the sequence
			}
		case unicode.Is(unicode.Cf, r):
			// dropped
		default:
			b.WriteRune(r)
			tag = false
		}
	}
	return b.String()
}

// isClean reports quickly whether CleanText would leave text as it is; most
// texts are plain.
func isClean(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < 0x20 || c == 0x7F {
			return false
		}
		if c >= utf8.RuneSelf {
			for _, r := range text[i:] {
				if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
					return false
				}
			}
			return true
		}
	}
	return true
}

// emoji reports whether r is a pictograph an emoji ZWJ sequence joins
// (other symbols, So: 👩, 💻, ❤, ♀, 🌈).
func emoji(r rune) bool { return unicode.Is(unicode.So, r) }

// emojiBefore reports whether r may end the emoji before a joiner: the
// emoji itself, a skin tone modifier or the emoji presentation selector.
func emojiBefore(r rune) bool { return emoji(r) || (r >= 0x1F3FB && r <= 0x1F3FF) || r == 0xFE0F }

// maxReason is the longest reason or note, in characters.
func (b *Bot) maxReason() int {
	if b.cat != nil && b.cat.MaxReason > 0 {
		return b.cat.MaxReason
	}
	return rules.DefaultMaxReason
}

// reasonOf joins the argument tokens of a reason or note and refuses one
// longer than the configured limit, before anything is written. The tokens
// are clean already (Parse).
func (b *Bot) reasonOf(args []string) (string, error) {
	s := strings.Join(args, " ")
	if n, limit := utf8.RuneCountInString(s), b.maxReason(); n > limit {
		return "", jifen.Errorf(jifen.EINVALID, "err.reason_long", limit, n)
	}
	return s, nil
}
