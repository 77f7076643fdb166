package locale

import "unicode"

// Width is the number of columns s takes in a terminal or a spreadsheet:
// East Asian wide and full-width characters and emoji take two, combining
// marks none. Chat tables (the console, Slack code blocks) and the
// report's workbook are laid out with it.
func Width(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case r == 0 || unicode.Is(unicode.Mn, r):
		case wide(r):
			w += 2
		default:
			w++
		}
	}
	return w
}

func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		(r >= 0x3000 && r <= 0x303F) || // CJK punctuation
		(r >= 0xFF01 && r <= 0xFF60) || // full-width forms
		(r >= 0xFFE0 && r <= 0xFFE6) ||
		(r >= 0x1F300 && r <= 0x1FAFF) // emoji, medals
}
