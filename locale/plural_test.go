package locale

import (
	"testing"

	"jifen"
)

// {N:one|other} picks by argument N: 1 and -1 take "one".
func TestPluralChoices(t *testing.T) {
	for _, c := range []struct {
		key  string
		args []any
		want string
	}{
		{"rules.limit_times", []any{jifen.Month, 1}, "at most once this month"},
		{"rules.limit_times", []any{jifen.Week, 3}, "at most 3 times this week"},
		{"award.text.thanks.one", []any{"Wang", []string{"Li"}, int64(1), "thanks"}, "Wang thanked Li, +1 point: thanks"},
		{"award.text.thanks.one", []any{"Wang", []string{"Li"}, int64(2), "thanks"}, "Wang thanked Li, +2 points: thanks"},
		{"shop.limit_value", []any{jifen.Week, int64(2)}, "at most 2 this week"},
		{"notice.pending", []any{int64(1)}, "Another 1 point waits for approval and counts once approved."},
	} {
		if got := T(EN, c.key, c.args...); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.key, c.args, got, c.want)
		}
	}
	// Chinese has no choices, and a text without any is left alone.
	if got := plurals("{x} {9:a|b} {1:a|b}", []any{1}); got != "{x} {9:a|b} a" {
		t.Errorf("%q", got)
	}
}
