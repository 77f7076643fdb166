package bot

import (
	"context"
	"fmt"
	"strings"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// awardPlan is a validated award, deduction or thanks, ready to be checked
// against the limits and written.
type awardPlan struct {
	kind      jifen.EntryKind
	giver     jifen.Member
	receivers []jifen.Member
	behavior  *rules.Behavior
	points    int64 // signed, per receiver
	reason    string
	source    string
}

// award handles /award, /deduct and /thanks:
//
//	/award @a [@b …] [N] reason-or-#tag
//
// Every receiver gets N points for the behavior the reason names. All
// receivers are checked before anything is written: if the giver's allowance
// covers only some of them, nobody gets anything.
func (b *Bot) award(ctx context.Context, req Request, cmd Command, kind jifen.EntryKind) (Response, error) {
	plan, err := b.planAward(req, cmd, kind)
	if err != nil {
		return Response{}, err
	}
	return b.apply(ctx, req.Key, req.Reply, plan)
}

// apply checks a planned award against employment (see employment.go) and
// the limits and writes it (or, above the approval threshold, files it for
// approval), in one transaction.
func (b *Bot) apply(ctx context.Context, key string, reply func(Response) ([]store.Outgoing, error), plan awardPlan) (Response, error) {
	return b.write(ctx, key, reply, func(tx store.Txn) (Response, error) {
		if err := checkGiver(plan.giver, tx.Now(), tx.Location()); err != nil {
			return Response{}, err
		}
		for _, m := range plan.receivers {
			if err := checkReceiver(m, tx.Now(), tx.Location()); err != nil {
				return Response{}, err
			}
		}
		r := rules.Request{
			Kind: plan.kind, Giver: plan.giver, GiverTeamSize: tx.DepartmentSize(plan.giver.Department),
			Receivers: plan.receivers, Behavior: plan.behavior, Points: plan.points, At: tx.Now(), Loc: tx.Location(),
		}
		dec, err := b.cat.Check(r, tx.Usage())
		if err != nil {
			return Response{}, err
		}
		if dec.NeedsApproval {
			return b.requestApproval(tx, plan, admins(tx))
		}
		ids := make([]uint64, 0, len(plan.receivers))
		for _, m := range plan.receivers {
			id, err := tx.Append(&jifen.Entry{
				Kind: plan.kind, Giver: plan.giver.ID, Receiver: m.ID, Points: plan.points,
				Category: plan.behavior.Category, Behavior: plan.behavior.ID, Reason: plan.reason,
				RuleVersion: b.version, Source: plan.source,
			})
			if err != nil {
				return Response{}, err
			}
			ids = append(ids, id)
		}
		return b.announce(tx, plan, ids, 0), nil
	})
}

// planAward parses and validates everything that does not depend on the
// ledger: receivers, points and behavior.
func (b *Bot) planAward(req Request, cmd Command, kind jifen.EntryKind) (awardPlan, error) {
	plan := awardPlan{kind: kind, giver: req.Caller, source: req.Source}
	if req.Caller.Bot {
		return plan, jifen.Errorf(jifen.EFORBIDDEN, "err.bot_caller")
	}
	mentions, rest := splitMentions(cmd.Args)
	if len(mentions) == 0 {
		return plan, jifen.Errorf(jifen.EINVALID, "err.receiver_required."+string(kind))
	}
	// A mention after the points or the reason would otherwise be read as
	// part of the reason, and its member silently get nothing.
	for _, tok := range rest {
		if isMention(tok) {
			return plan, jifen.Errorf(jifen.EINVALID, "err.mention_after_reason."+string(kind), tok)
		}
	}
	seen := map[string]bool{}
	for _, tok := range mentions {
		m, err := req.Resolve(tok)
		if err != nil {
			return plan, err
		}
		switch {
		case m.Bot:
			return plan, jifen.Errorf(jifen.EINVALID, "err.receiver_bot", m.Name)
		case m.ID == req.Caller.ID:
			return plan, jifen.Errorf(jifen.EINVALID, "err.self_"+string(kind))
		case seen[m.ID]:
			return plan, jifen.Errorf(jifen.EINVALID, "err.duplicate_receiver", m.Name)
		}
		seen[m.ID] = true
		plan.receivers = append(plan.receivers, m)
	}
	var (
		n      int64
		hasNum bool
	)
	// A number too large to be meant is answered with the behavior's
	// range, once the reason has named the behavior.
	var huge string
	if len(rest) > 0 {
		v, ok, err := parsePoints(rest[0])
		if ok && errKeyOf(err) == "err.points_huge" {
			huge, ok, err = rest[0], false, nil
			rest = rest[1:]
			hasNum = true
		}
		if err != nil {
			return plan, err
		}
		if ok {
			n, hasNum, rest = v, true, rest[1:]
		}
	}
	reason, err := b.reasonOf(rest)
	if err != nil {
		return plan, err
	}
	plan.reason = reason
	if kind == jifen.KindThanks {
		if b.cat.Thanks == nil {
			return plan, jifen.Errorf(jifen.EFORBIDDEN, "err.thanks_disabled")
		}
		if plan.reason == "" {
			return plan, jifen.Errorf(jifen.EINVALID, "err.thanks_reason_required")
		}
		plan.behavior = b.cat.Behavior(b.cat.Thanks.Behavior)
		if !hasNum {
			n, hasNum = 1, true
		}
	} else {
		if plan.reason == "" {
			return plan, jifen.Errorf(jifen.EINVALID, "err.reason_required")
		}
		match, err := b.cat.Match(plan.reason)
		if err != nil {
			return plan, err
		}
		plan.behavior = match.Behavior
		if !hasNum {
			if !plan.behavior.Fixed() {
				return plan, jifen.Errorf(jifen.EINVALID, "err.points_required", plan.behavior.Name, abs(plan.behavior.Min), abs(plan.behavior.Max))
			}
			n, hasNum = abs(plan.behavior.Min), true
		}
	}
	if huge != "" {
		return plan, b.hugePoints(huge, kind, plan.behavior)
	}
	switch {
	case n == 0:
		return plan, jifen.Errorf(jifen.EINVALID, "err.points_zero")
	case n < 0 && kind == jifen.KindDeduct:
		n = -n // "/deduct @a -5 迟到" means the same as 5
	case n < 0:
		return plan, jifen.Errorf(jifen.EINVALID, "err.points_negative")
	}
	plan.points = n
	if kind == jifen.KindDeduct {
		plan.points = -n
	}
	return plan, nil
}

// hugePoints refuses a number of points far too large, with the range the
// behavior allows.
func (b *Bot) hugePoints(tok string, kind jifen.EntryKind, bh *rules.Behavior) error {
	lo, hi := abs(bh.Min), abs(bh.Max)
	if lo > hi {
		lo, hi = hi, lo
	}
	if th := b.cat.Thanks; kind == jifen.KindThanks && th.MaxPerThanks > 0 && th.MaxPerThanks < hi {
		hi = th.MaxPerThanks
	}
	if lo == hi {
		return jifen.Errorf(jifen.EINVALID, "err.points_huge_fixed", tok, bh.Name, lo)
	}
	return jifen.Errorf(jifen.EINVALID, "err.points_huge", tok, bh.Name, lo, hi)
}

// errKeyOf is the message key of an application error, or "".
func errKeyOf(err error) string {
	if e, ok := err.(*jifen.Error); ok {
		return e.Key
	}
	return ""
}

// announce is the response to an applied award: a public announcement and
// a notice to each receiver.
func (b *Bot) announce(tx store.Txn, plan awardPlan, ids []uint64, approval uint64) Response {
	return b.announceApproved(tx, plan, ids, approval, "")
}

// announceApproved is announce for an award an admin approved: the footer
// names the request and who approved it.
func (b *Bot) announceApproved(tx store.Txn, plan awardPlan, ids []uint64, approval uint64, approver string) Response {
	names := make([]string, len(plan.receivers))
	for i, m := range plan.receivers {
		names[i] = m.Name
	}
	kind := string(plan.kind)
	msg := Message{
		Kind:   kind,
		Title:  b.t("award.title." + kind),
		Text:   []string{b.t(countKey("award.text."+kind, len(plan.receivers)), plan.giver.Name, names, abs(plan.points), plan.behavior.Name)},
		Public: true,
	}
	msg.Fields = append(msg.Fields,
		Field{b.t("field.category"), b.categoryName(plan.behavior.Category)},
		Field{b.t("field.points"), signed(plan.points)})
	if plan.reason != "" {
		msg.Fields = append(msg.Fields, Field{b.t("field.reason"), plan.reason})
	}
	msg.Fields = append(msg.Fields, Field{b.t("field.entries"), entryIDs(ids)})
	if approval != 0 {
		msg.Footer = b.t("award.approved_footer", approval, approver)
	}
	resp := Response{Reply: msg, Entries: ids}
	month := jifen.PeriodOf(jifen.Month, tx.Now(), tx.Location())
	for _, m := range plan.receivers {
		// The month's figure is what /score shows: applied entries only.
		// Awards still waiting for approval are named apart, as pending.
		text := []string{b.t("notice.received."+kind, plan.giver.Name, abs(plan.points), plan.behavior.Name, tx.Net(m.ID, month))}
		if pending := tx.PendingPoints(m.ID, month); pending != 0 {
			text = append(text, b.t("notice.pending", pending))
		}
		resp.Notices = append(resp.Notices, Notice{To: m.ID, Message: Message{Kind: kind, Text: text}})
	}
	return resp
}

func signed(n int64) string {
	if n > 0 {
		return fmt.Sprintf("+%d", n)
	}
	return fmt.Sprint(n)
}

func entryIDs(ids []uint64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprintf("#%d", id)
	}
	return strings.Join(s, " ")
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// countKey picks the message for one receiver ("….one", without "each")
// or for several.
func countKey(key string, n int) string {
	if n == 1 {
		return key + ".one"
	}
	return key
}
