package bot

import (
	"context"
	"fmt"
	"slices"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// requestApproval stores an award above the approval threshold as pending.
// Its points are reserved against caps and allowances until an admin
// decides; every admin who may decide it (see deciders) gets a card with
// Approve and Reject buttons. If nobody may, nothing is filed: a request
// no one can decide would hold its points for ever. admins are the admins
// as read before the transaction.
func (b *Bot) requestApproval(tx store.Txn, plan awardPlan, admins []jifen.Member) (Response, error) {
	ids := make([]string, len(plan.receivers))
	names := make([]string, len(plan.receivers))
	for i, m := range plan.receivers {
		ids[i], names[i] = m.ID, m.Name
	}
	deciders := deciderAmong(admins, append([]string{plan.giver.ID}, ids...)...)
	if len(deciders) == 0 {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.approval_no_decider", plan.points, b.cat.ApprovalThreshold)
	}
	a := &store.Approval{
		Giver: plan.giver.ID, Receivers: ids, Points: plan.points, Category: plan.behavior.Category,
		Behavior: plan.behavior.ID, Reason: plan.reason, RuleVersion: b.version, Source: plan.source,
	}
	id, err := tx.AddApproval(a)
	if err != nil {
		return Response{}, err
	}
	resp := Response{Reply: Message{
		Kind:  "approval",
		Title: b.t("approval.pending_title"),
		Text:  []string{b.t(countKey("approval.pending_text", len(plan.receivers)), id, names, plan.points, plan.behavior.Name, b.cat.ApprovalThreshold)},
	}}
	card := b.approvalCard(*a, plan.giver.Name, names)
	card.Footer = b.soleDecider(deciders, admins)
	for _, m := range deciders {
		resp.Notices = append(resp.Notices, Notice{To: m.ID, Message: card})
	}
	return resp, nil
}

// deciderAmong are the admins who may decide a request whose parties (its
// giver or requester, and its receivers) are given: separation of duties
// means nobody decides a request they give or receive by.
func deciderAmong(admins []jifen.Member, parties ...string) []jifen.Member {
	var out []jifen.Member
	for _, m := range admins {
		if !slices.Contains(parties, m.ID) {
			out = append(out, m)
		}
	}
	return out
}

// soleDecider is the footer of a request's card when only one admin may
// decide it, so that they know no one else will check it: either jifen has
// a single admin, or the others are its parties. "" otherwise.
func (b *Bot) soleDecider(deciders, admins []jifen.Member) string {
	switch {
	case len(deciders) != 1:
		return ""
	case len(admins) == 1:
		return b.t("approval.only_admin")
	default:
		return b.t("approval.sole_decider")
	}
}

// CheckDuties logs a warning for the operator when jifen has fewer than two
// admins: then nobody can check the single admin's own decisions, awards to
// them wait for a decider who does not exist, and they cannot redeem an
// item that needs approval. It returns the number of admins (0, logged,
// if the store cannot be read).
func (b *Bot) CheckDuties() int {
	var n int
	if err := b.st.Read(context.Background(), func(r store.Reader) error { n = len(admins(r)); return nil }); err != nil {
		b.log.Error("separation of duties: the admins could not be read", "err", err)
		return 0
	}
	if n < 2 {
		b.log.Warn("separation of duties: fewer than two admins; awards to an admin above the approval threshold and an admin's redemptions that need approval are refused, and nobody checks the admin's decisions (add a second admin in members)", "admins", n)
	}
	return n
}

// approvalCard is what admins see for a pending approval.
func (b *Bot) approvalCard(a store.Approval, giver string, receivers []string) Message {
	msg := Message{
		Kind:  "approval",
		Title: b.t("approval.card_title", a.ID),
		Text:  []string{b.t(countKey("approval.card_text", len(a.Receivers)), giver, receivers, a.Points, b.behaviorName(a.Behavior))},
		Fields: []Field{
			{b.t("field.category"), b.categoryName(a.Category)},
			{b.t("field.points"), fmt.Sprintf("+%d × %d", a.Points, len(a.Receivers))},
		},
		Buttons: []Button{
			{Label: b.t("button.approve"), ActionID: ActionCommand, Value: fmt.Sprintf("/approve %d", a.ID), Style: "primary"},
			{Label: b.t("button.reject"), ActionID: ActionCommand, Value: fmt.Sprintf("/reject %d", a.ID), Style: "danger", Ask: b.t("button.reject_reason")},
		},
	}
	if a.Reason != "" {
		msg.Fields = append(msg.Fields, Field{b.t("field.reason"), a.Reason})
	}
	return msg
}

// decide handles /approve ID and /reject ID [reason] (admins only). A
// decision applies once: a second click, or a second admin, is told who
// decided first.
func (b *Bot) decide(ctx context.Context, req Request, cmd Command, approve bool) (Response, error) {
	if req.Caller.Role != jifen.RoleAdmin {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.admin_only", "/"+cmd.Name)
	}
	if len(cmd.Args) == 0 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.id_required", "/"+cmd.Name)
	}
	id, ok := parseID(cmd.Args[0])
	if !ok {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.bad_id", cmd.Args[0])
	}
	note, err := b.reasonOf(cmd.Args[1:])
	if err != nil {
		return Response{}, err
	}
	return b.write(ctx, req.Key, req.Reply, func(tx store.Txn) (Response, error) { return b.decideIn(tx, req, id, note, approve) })
}

// decideIn decides approval id in tx.
func (b *Bot) decideIn(tx store.Txn, req Request, id uint64, note string, approve bool) (Response, error) {
	a, ok := tx.Approval(id)
	if !ok {
		return Response{}, jifen.Errorf(jifen.ENOTFOUND, "err.approval_not_found", id)
	}
	if a.Status != store.Pending {
		return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.approval_decided", id, b.t("status."+string(a.Status)), memberName(tx, a.DecidedBy))
	}
	// Separation of duties: neither the giver nor a receiver decides,
	// not even to reject; a giver who changed their mind asks another
	// admin to reject it.
	if req.Caller.ID == a.Giver || slices.Contains(a.Receivers, req.Caller.ID) {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.approval_own", id)
	}
	a.DecidedBy, a.DecidedAt, a.Note = req.Caller.ID, tx.Now(), note
	giver, _ := tx.Member(a.Giver)
	if giver.ID == "" {
		giver = jifen.Member{ID: a.Giver, Name: a.Giver}
	}
	receivers := make([]jifen.Member, len(a.Receivers))
	names := make([]string, len(a.Receivers))
	for i, rid := range a.Receivers {
		m, _ := tx.Member(rid)
		if m.ID == "" {
			m = jifen.Member{ID: rid, Name: rid}
		}
		receivers[i], names[i] = m, m.Name
	}
	if !approve {
		a.Status = store.Rejected
		if err := tx.DecideApproval(&a); err != nil {
			return Response{}, err
		}
		reason := note
		if reason == "" {
			reason = b.t("approval.no_reason")
		}
		return Response{
			Reply: Message{Kind: "approval", Title: b.t("approval.rejected_title", id, req.Caller.Name),
				Text: []string{b.t(countKey("approval.rejected_text", len(names)), memberName(tx, a.Giver), names, a.Points, b.behaviorName(a.Behavior), reason)}},
			Notices: []Notice{{To: a.Giver, Message: Message{Kind: "approval",
				Text: []string{b.t("notice.rejected", id, req.Caller.Name, reason)}}}},
		}, nil
	}
	// A request is approved only for receivers still employed: one who
	// left (or whose start was moved later) meanwhile gets nothing.
	// The giver's employment counted when they asked.
	for _, m := range receivers {
		if err := checkReceiver(m, tx.Now(), tx.Location()); err != nil {
			key := "err.approval_receiver_left"
			if !m.HasLeft(tx.Now(), tx.Location()) {
				key = "err.approval_receiver_not_joined"
			}
			return Response{}, jifen.Errorf(jifen.ECONFLICT, key, id, m.Name, dateText(m.Left), dateText(m.Joined))
		}
	}
	bh := b.cat.Behavior(a.Behavior)
	if bh == nil {
		return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.behavior_gone", a.Behavior)
	}
	// The limits are checked again at approval time, without this
	// approval's own reservation: periods may have turned meanwhile.
	r := rules.Request{Kind: jifen.KindAward, Giver: giver, GiverTeamSize: tx.DepartmentSize(giver.Department),
		Receivers: receivers, Behavior: bh, Points: a.Points, At: tx.Now(), Loc: tx.Location()}
	if _, err := b.cat.Check(r, withoutApproval{tx.Usage(), a}); err != nil {
		return Response{}, err
	}
	plan := awardPlan{kind: jifen.KindAward, giver: giver, receivers: receivers, behavior: bh, points: a.Points, reason: a.Reason, source: a.Source}
	for _, m := range receivers {
		eid, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: a.Giver, Receiver: m.ID, Points: a.Points,
			Category: bh.Category, Behavior: bh.ID, Reason: a.Reason, RuleVersion: a.RuleVersion, Approval: a.ID, Source: a.Source})
		if err != nil {
			return Response{}, err
		}
		a.Entries = append(a.Entries, eid)
	}
	a.Status = store.Approved
	if err := tx.DecideApproval(&a); err != nil {
		return Response{}, err
	}
	resp := b.announceApproved(tx, plan, a.Entries, a.ID, req.Caller.Name)
	resp.Notices = append(resp.Notices, Notice{To: a.Giver, Message: Message{Kind: "approval",
		Text: []string{b.t("notice.approved", id, req.Caller.Name)}}})
	return resp, nil
}

// withoutApproval is the usage as if one pending approval did not exist.
type withoutApproval struct {
	rules.Usage
	a store.Approval
}

func (u withoutApproval) inPeriod(p jifen.Period) bool { return p.Contains(u.a.CreatedAt) }

func (u withoutApproval) has(member string) bool {
	for _, r := range u.a.Receivers {
		if r == member {
			return true
		}
	}
	return false
}

func (u withoutApproval) Net(member string, p jifen.Period) int64 {
	n := u.Usage.Net(member, p)
	if u.inPeriod(p) && u.has(member) {
		n -= u.a.Points
	}
	return n
}

func (u withoutApproval) BehaviorUse(member, behavior string, p jifen.Period) (int, int64) {
	t, n := u.Usage.BehaviorUse(member, behavior, p)
	if u.inPeriod(p) && u.has(member) && behavior == u.a.Behavior {
		t, n = t-1, n-abs(u.a.Points)
	}
	return t, n
}

func (u withoutApproval) GiverUse(giver string, pool rules.Pool, p jifen.Period) int64 {
	n := u.Usage.GiverUse(giver, pool, p)
	if pool == rules.PoolAward && u.inPeriod(p) && giver == u.a.Giver {
		n -= u.a.Points * int64(len(u.a.Receivers))
	}
	return n
}
