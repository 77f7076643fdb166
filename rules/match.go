package rules

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"jifen"
)

// Match is the behavior a reason names, and what is left of the reason as a
// free note once the naming word or tag is taken out.
type Match struct {
	Behavior *Behavior
	Note     string
}

// Behavior returns the behavior with the given id, or nil.
func (c *Catalog) Behavior(id string) *Behavior {
	for i := range c.Behaviors {
		if c.Behaviors[i].ID == id {
			return &c.Behaviors[i]
		}
	}
	return nil
}

// Category returns the category with the given id, or nil.
func (c *Catalog) Category(id string) *Category {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i]
		}
	}
	return nil
}

// Match finds the behavior a reason names. In order:
//
//  1. the first #tag (or ＃tag) in the text that is a behavior's tag, name,
//     alias or id;
//  2. the whole text is a behavior's name, alias or id;
//  3. the first word is one.
//
// Comparison ignores case. When nothing matches, the error is EINVALID
// err.unknown_behavior with the text and up to three suggestions: there is
// never a silent fallback to some "other" behavior.
func (c *Catalog) Match(reason string) (Match, error) {
	text := strings.TrimSpace(reason)
	if text == "" {
		return Match{}, jifen.Errorf(jifen.EINVALID, "err.reason_required")
	}
	words := strings.Fields(text)
	for i, w := range words {
		tag, ok := cutTag(w)
		if !ok {
			continue
		}
		if b := c.lookup(tag, true); b != nil {
			return Match{Behavior: b, Note: strings.Join(append(append([]string{}, words[:i]...), words[i+1:]...), " ")}, nil
		}
	}
	if b := c.lookup(text, false); b != nil {
		return Match{Behavior: b}, nil
	}
	if b := c.lookup(words[0], false); b != nil {
		return Match{Behavior: b, Note: strings.Join(words[1:], " ")}, nil
	}
	shown := words[0]
	for _, w := range words {
		if tag, ok := cutTag(w); ok {
			shown = "#" + tag
			break
		}
	}
	if len(words) == 1 {
		shown = text
	}
	return Match{}, jifen.Errorf(jifen.EINVALID, "err.unknown_behavior", shown, c.Suggest(strings.TrimLeft(shown, "#＃"), 3))
}

// cutTag strips a leading '#' or '＃' (full width, as Chinese input methods
// type it) and any trailing punctuation.
func cutTag(w string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(w, "#"):
		rest = w[1:]
	case strings.HasPrefix(w, "＃"):
		rest = w[len("＃"):]
	default:
		return "", false
	}
	rest = strings.TrimRightFunc(rest, unicode.IsPunct)
	return rest, rest != ""
}

// lookup finds the behavior whose name, id, alias (or, for tags, tag) is s.
func (c *Catalog) lookup(s string, tag bool) *Behavior {
	for i := range c.Behaviors {
		b := &c.Behaviors[i]
		if tag {
			for _, t := range b.Tags {
				if strings.EqualFold(t, s) {
					return b
				}
			}
		}
		if strings.EqualFold(b.Name, s) || strings.EqualFold(b.ID, s) {
			return b
		}
		for _, a := range b.Aliases {
			if strings.EqualFold(a, s) {
				return b
			}
		}
	}
	return nil
}

// Suggest returns the names of up to n behaviors closest to text: those
// whose name, alias or tag contains it or is contained in it come first, then
// those within a small edit distance.
func (c *Catalog) Suggest(text string, n int) []string {
	text = strings.ToLower(strings.TrimSpace(text))
	if text == "" || n <= 0 {
		return nil
	}
	type cand struct {
		name  string
		score int // lower is closer
		order int
	}
	var cands []cand
	tl := utf8.RuneCountInString(text)
	for i := range c.Behaviors {
		b := &c.Behaviors[i]
		best := -1
		words := append(append([]string{b.Name, b.ID}, b.Aliases...), b.Tags...)
		for _, w := range words {
			w = strings.ToLower(w)
			var s int
			switch {
			case w == "":
				continue
			case strings.Contains(w, text) || strings.Contains(text, w):
				s = 0
			default:
				d := EditDistance(text, w)
				wl := utf8.RuneCountInString(w)
				// Close enough: at most a third of the longer word differs,
				// or they share all but one rune.
				limit := max(tl, wl) / 3
				if limit < 1 {
					limit = 1
				}
				if d > limit || d >= max(tl, wl) {
					continue
				}
				s = d
			}
			if best < 0 || s < best {
				best = s
			}
		}
		if best >= 0 {
			cands = append(cands, cand{b.Name, best, i})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score < cands[j].score })
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// EditDistance is the Levenshtein distance between a and b in runes (a
// Chinese character counts as one). The config loader uses it too, to
// suggest the key an operator meant.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
