package bot

import (
	"regexp"
	"strings"

	"jifen"
)

// inlinePoints is the points of a recognition written in an ordinary
// message: "+5" (or the full-width "＋5").
var inlinePoints = regexp.MustCompile(`^[+＋]([0-9]{1,4})$`)

// Inline reads a recognition written in an ordinary channel message, as
// people already write it — "+5 @王芳 #客户好评", "@王芳 +5 客户好评",
// "@王芳 @刘洋 +10 签单" — into the command it stands for: /award for a
// manager or an admin, /thanks for an employee. ok is false for a message
// that is not one: a command, or without exactly one "+N" and a mention.
// The command is then run like any other, so a recognition that does not
// hold (no reason, an unknown behavior, an allowance used up) is refused
// with the usual message, and nothing is written.
func Inline(caller jifen.Member, text string) (command string, ok bool) {
	text = strings.TrimSpace(CleanText(text))
	if text == "" || strings.HasPrefix(text, "/") || caller.Bot {
		return "", false
	}
	var mentions, rest []string
	points := ""
	for _, tok := range strings.Fields(text) {
		switch m := inlinePoints.FindStringSubmatch(tok); {
		case m != nil:
			if points != "" {
				return "", false // two amounts: not a recognition we can read
			}
			points = m[1]
		case isMention(tok):
			mentions = append(mentions, tok)
		default:
			rest = append(rest, tok)
		}
	}
	if points == "" || len(mentions) == 0 {
		return "", false
	}
	verb := "/award"
	if caller.Role == jifen.RoleEmployee {
		verb = "/thanks"
	}
	parts := append([]string{verb}, mentions...)
	parts = append(parts, points)
	return strings.Join(append(parts, rest...), " "), true
}
