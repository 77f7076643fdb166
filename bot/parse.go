package bot

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"jifen"
)

// Command is a parsed command line: its canonical name and its arguments
// as tokens. Each command reads its own arguments from Args.
type Command struct {
	Name string   // canonical name: award, deduct, thanks, score …
	Args []string // whitespace-separated tokens after the name
}

// commandNames maps every name and alias to the canonical name.
var commandNames = map[string]string{
	"award": "award", "加分": "award", "奖励": "award",
	"deduct": "deduct", "扣分": "deduct",
	"thanks": "thanks", "thank": "thanks", "感谢": "thanks", "谢谢": "thanks",
	"score": "score", "积分": "score", "我的积分": "score", "points": "score",
	"leaderboard": "leaderboard", "top": "leaderboard", "排行": "leaderboard", "排行榜": "leaderboard",
	"history": "history", "明细": "history",
	"rules": "rules", "规则": "rules", "积分规则": "rules",
	"revoke": "revoke", "撤销": "revoke",
	"approve": "approve", "批准": "approve", "通过": "approve",
	"reject": "reject", "驳回": "reject", "拒绝": "reject",
	"shop": "shop", "商城": "shop", "积分商城": "shop",
	"redeem": "redeem", "兑换": "redeem",
	"redemptions": "redemptions", "兑换记录": "redemptions",
	"report": "report", "小结": "report", "总结": "report",
	"feedback": "feedback", "反馈": "feedback", "点评": "feedback",
	"survey": "survey", "调查": "survey", "问卷": "survey",
	"help": "help", "帮助": "help", "?": "help", "？": "help",
}

// Fields splits text on any Unicode white space, including the full-width
// space (U+3000) that Chinese input methods type.
func Fields(text string) []string {
	return strings.FieldsFunc(text, unicode.IsSpace)
}

// Parse reads a command line: an optional leading slash (Feishu has no slash
// commands, so "加分 @张三 10 客户好评" works as well as "/award …"), the
// command name or alias, and the arguments. "/points <sub> …" and
// "/积分 <sub> …" run <sub>. An unknown command is an EINVALID error.
// The line is cleaned first (CleanText): no argument holds a control,
// bidi or zero-width character.
func Parse(text string) (Command, error) {
	toks := Fields(CleanText(text))
	if len(toks) == 0 {
		return Command{}, jifen.Errorf(jifen.EINVALID, "err.empty_command")
	}
	name := normalizeName(toks[0])
	canon, ok := commandNames[name]
	if !ok {
		return Command{}, jifen.Errorf(jifen.EINVALID, "err.unknown_command", toks[0])
	}
	args := toks[1:]
	if canon == "score" && len(args) > 0 {
		if sub, ok := commandNames[normalizeName(args[0])]; ok && !isMention(args[0]) {
			canon, args = sub, args[1:]
		}
	}
	return Command{Name: canon, Args: args}, nil
}

func normalizeName(tok string) string {
	tok = strings.TrimLeft(tok, "/／")
	return strings.ToLower(tok)
}

// isMention reports whether a token names a member: @name, the full-width
// ＠name, Slack's escaped <@U123|name>, or a Feishu placeholder @_user_1.
func isMention(tok string) bool {
	return strings.HasPrefix(tok, "@") || strings.HasPrefix(tok, "＠") || strings.HasPrefix(tok, "<@")
}

// splitMentions takes the leading mention tokens off args.
func splitMentions(args []string) (mentions, rest []string) {
	i := 0
	for i < len(args) && isMention(args[i]) {
		i++
	}
	return args[:i], args[i:]
}

// maxPoints bounds any number of points typed in a command; the catalog's
// ranges are far lower, this only keeps arithmetic safe.
const maxPoints = 1_000_000

// parsePoints reads a points token: digits (ASCII or full-width), an
// optional sign, an optional trailing 分. ok is false when the token is
// not meant as a number at all (no digits): then it starts the reason.
func parsePoints(tok string) (n int64, ok bool, err error) {
	t := strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		if r == '＋' {
			return '+'
		}
		if r == '－' {
			return '-'
		}
		return r
	}, tok)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "分"), "pts")
	if !strings.ContainsAny(t, "0123456789") {
		return 0, false, nil
	}
	v, perr := strconv.ParseInt(strings.TrimPrefix(t, "+"), 10, 64)
	if errors.Is(perr, strconv.ErrRange) {
		return 0, true, jifen.Errorf(jifen.EINVALID, "err.points_huge", tok)
	}
	if perr != nil {
		return 0, true, jifen.Errorf(jifen.EINVALID, "err.points_invalid", tok)
	}
	if v > maxPoints || v < -maxPoints {
		return 0, true, jifen.Errorf(jifen.EINVALID, "err.points_huge", tok)
	}
	return v, true, nil
}

// parseID reads an entry or approval id: 12, #12, A12.
func parseID(tok string) (uint64, bool) {
	t := strings.TrimLeft(strings.ToUpper(tok), "#＃A")
	v, err := strconv.ParseUint(t, 10, 64)
	return v, err == nil && v > 0
}
