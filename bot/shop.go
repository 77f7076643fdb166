package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// maxRedeemUnits bounds one redemption.
const maxRedeemUnits = 100

// shop handles /shop: the items, what they cost, what is left, and what
// the caller can afford.
func (b *Bot) shop(ctx context.Context, req Request) (Response, error) {
	if len(b.cat.Rewards) == 0 {
		return Response{}, jifen.Errorf(jifen.ENOTFOUND, "err.shop_empty")
	}
	var msg Message
	err := b.st.Read(ctx, func(r store.Reader) error {
		msg = b.shopMessage(r, req.Caller)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// shopMessage is /shop's reply for caller, read from rd.
func (b *Bot) shopMessage(rd store.Reader, caller jifen.Member) Message {
	balance := rd.Balance(caller.ID)
	msg := Message{Kind: "shop", Title: b.t("shop.title"),
		Table: &Table{Columns: []string{b.t("shop.col.item"), b.t("shop.col.cost"), b.t("shop.col.stock"), b.t("shop.col.limit"), b.t("shop.col.note")}}}
	for _, r := range b.cat.Rewards {
		stock := b.t("shop.unlimited")
		if !r.Unlimited() {
			stock = strconv.FormatInt(max(r.Stock-rd.StockUsed(r.ID), 0), 10)
		}
		limit := "—"
		if r.Limit != nil {
			limit = b.t("shop.limit_value", r.Limit.Period, r.Limit.Units)
		}
		var notes []string
		if r.Approval {
			notes = append(notes, b.t("shop.needs_approval"))
		}
		if balance < r.Cost {
			notes = append(notes, b.t("shop.cannot_afford"))
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{r.Name, strconv.FormatInt(r.Cost, 10), stock, limit, strings.Join(notes, b.t("list.sep"))})
	}
	msg.Footer = b.t("shop.footer", balance)
	return msg
}

// redeem handles /redeem ITEM [N]: balance, stock and the per-member limit
// are checked and the points taken in one transaction, so two racing
// redemptions can never take the last item twice or overdraw a balance.
func (b *Bot) redeem(ctx context.Context, req Request, cmd Command) (Response, error) {
	if req.Caller.Bot {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.bot_caller")
	}
	if len(cmd.Args) == 0 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.item_required")
	}
	units := int64(1)
	args := cmd.Args
	if len(args) > 1 {
		if n, ok, err := parsePoints(args[len(args)-1]); err != nil {
			return Response{}, jifen.Errorf(jifen.EINVALID, "err.quantity", args[len(args)-1], maxRedeemUnits)
		} else if ok {
			if n < 1 || n > maxRedeemUnits {
				return Response{}, jifen.Errorf(jifen.EINVALID, "err.quantity", args[len(args)-1], maxRedeemUnits)
			}
			units, args = n, args[:len(args)-1]
		}
	}
	name := strings.Join(args, " ")
	item := b.cat.Reward(name)
	if item == nil {
		names := make([]string, len(b.cat.Rewards))
		for i, r := range b.cat.Rewards {
			names[i] = r.Name
		}
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.unknown_reward", name, names)
	}
	return b.write(ctx, req.Key, req.Reply, func(tx store.Txn) (Response, error) {
		if err := checkRedeemer(req.Caller, tx.Now(), tx.Location()); err != nil {
			return Response{}, err
		}
		// The admins decide an item that needs approval, and hand out
		// one nobody else hands out.
		var adms []jifen.Member
		if item.Approval || item.Fulfiller == "" {
			adms = admins(tx)
		}
		// An item that needs approval needs an admin other than the
		// redeemer; without one the points would be held for ever.
		var deciders []jifen.Member
		if item.Approval {
			if deciders = deciderAmong(adms, req.Caller.ID); len(deciders) == 0 {
				return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.redeem_no_decider", item.Name)
			}
		}
		cost := item.Cost * units
		if bal := tx.Balance(req.Caller.ID); bal < cost {
			return Response{}, jifen.Errorf(jifen.ELIMIT, "err.balance_low", item.Name, units, cost, bal)
		}
		if !item.Unlimited() {
			if left := item.Stock - tx.StockUsed(item.ID); left < units {
				return Response{}, jifen.Errorf(jifen.ELIMIT, "err.out_of_stock", item.Name, max(left, 0))
			}
		}
		if l := item.Limit; l != nil {
			used, _ := tx.Usage().BehaviorUse(req.Caller.ID, store.RewardBehavior(item.ID), jifen.PeriodOf(l.Period, tx.Now(), tx.Location()))
			if left := l.Units - int64(used); left < units {
				return Response{}, jifen.Errorf(jifen.ELIMIT, "err.redeem_limit", item.Name, l.Period, l.Units, max(left, 0))
			}
		}
		eid, err := tx.Append(&jifen.Entry{Kind: jifen.KindRedeem, Receiver: req.Caller.ID, Points: -cost,
			Behavior: store.RewardBehavior(item.ID), Reason: item.Name, Quantity: units, RuleVersion: b.version, Source: req.Source})
		if err != nil {
			return Response{}, err
		}
		r := &store.Redemption{Member: req.Caller.ID, Item: item.ID, Quantity: units, Points: cost, Entry: eid,
			Status: store.RedemptionApproved}
		if item.Approval {
			r.Status = store.RedemptionPending
		}
		id, err := tx.AddRedemption(r)
		if err != nil {
			return Response{}, err
		}
		balance := tx.Balance(req.Caller.ID)
		resp := Response{Entries: []uint64{eid}, Reply: Message{Kind: "redeem", Title: b.t("redeem.title"),
			Fields: []Field{{b.t("field.item"), fmt.Sprintf("%s × %d", item.Name, units)}, {b.t("field.points"), strconv.FormatInt(-cost, 10)},
				{b.t("field.balance"), strconv.FormatInt(balance, 10)}, {b.t("field.redemption"), fmt.Sprintf("R%d", id)}}}}
		if item.Approval {
			resp.Reply.Text = []string{b.t("redeem.pending", item.Name, id)}
			card := b.redemptionCard(*r, req.Caller.Name, item)
			card.Footer = b.soleDecider(deciders, adms)
			for _, m := range deciders {
				resp.Notices = append(resp.Notices, Notice{To: m.ID, Message: card})
			}
		} else {
			resp.Reply.Text = []string{b.t("redeem.done", item.Name)}
			resp.Notices = append(resp.Notices, b.fulfilNotice(*r, req.Caller.Name, item, adms)...)
		}
		return resp, nil
	})
}

func (b *Bot) redemptionCard(r store.Redemption, member string, item *rules.Reward) Message {
	return Message{Kind: "approval", Title: b.t("redeem.card_title", r.ID),
		Text: []string{b.t("redeem.card_text", member, item.Name, r.Quantity, r.Points)},
		Buttons: []Button{
			{Label: b.t("button.approve"), ActionID: ActionCommand, Value: fmt.Sprintf("/redemptions approve R%d", r.ID), Style: "primary"},
			{Label: b.t("button.reject"), ActionID: ActionCommand, Value: fmt.Sprintf("/redemptions reject R%d", r.ID), Style: "danger", Ask: b.t("button.reject_reason")},
		}}
}

// fulfilNotice asks whoever hands the item out to do it: its fulfiller,
// or else each of the admins.
func (b *Bot) fulfilNotice(r store.Redemption, member string, item *rules.Reward, admins []jifen.Member) []Notice {
	to := item.Fulfiller
	if to == "" {
		var out []Notice
		for _, a := range admins {
			out = append(out, b.fulfilNotice(r, member, &rules.Reward{Name: item.Name, Fulfiller: a.ID}, nil)...)
		}
		return out
	}
	return []Notice{{To: to, Message: Message{Kind: "redeem", Text: []string{b.t("redeem.fulfil_notice", member, item.Name, r.Quantity, r.ID)},
		Buttons: []Button{{Label: b.t("button.fulfilled"), ActionID: ActionCommand, Value: fmt.Sprintf("/redemptions fulfil R%d", r.ID), Style: "primary"}}}}}
}

// redemptions handles /redemptions: the caller's redemptions; with
// "open", the requests waiting to be decided or handed out (admins and
// fulfillers); and approve / reject / fulfil R-ID.
func (b *Bot) redemptions(ctx context.Context, req Request, cmd Command) (Response, error) {
	if len(cmd.Args) > 0 {
		switch strings.ToLower(cmd.Args[0]) {
		case "approve", "批准", "通过":
			return b.decideRedemption(ctx, req, cmd.Args[1:], "approve")
		case "reject", "驳回", "拒绝":
			return b.decideRedemption(ctx, req, cmd.Args[1:], "reject")
		case "cancel", "取消":
			return b.decideRedemption(ctx, req, cmd.Args[1:], "cancel")
		case "fulfil", "fulfill", "发放", "已发放":
			return b.decideRedemption(ctx, req, cmd.Args[1:], "fulfil")
		case "open", "待处理":
			return b.listRedemptions(ctx, req, "")
		}
	}
	return b.listRedemptions(ctx, req, req.Caller.ID)
}

func (b *Bot) listRedemptions(ctx context.Context, req Request, member string) (Response, error) {
	if member == "" && req.Caller.Role != jifen.RoleAdmin && !b.isFulfiller(req.Caller.ID) {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.admin_only", "/redemptions open")
	}
	var msg Message
	err := b.st.Read(ctx, func(r store.Reader) error {
		msg = b.redemptionsMessage(r, member)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// redemptionsMessage lists member's latest redemptions (all members':
// ""), read from rd.
func (b *Bot) redemptionsMessage(rd store.Reader, member string) Message {
	rs := rd.Redemptions(member, 20)
	msg := Message{Kind: "redemptions", Title: b.t("redemptions.title")}
	if member == "" {
		msg.Title = b.t("redemptions.open_title")
	}
	if len(rs) == 0 {
		msg.Text = []string{b.t("redemptions.none")}
		return msg
	}
	msg.Table = &Table{Columns: []string{b.t("col.redemption"), b.t("col.time"), b.t("col.member"), b.t("shop.col.item"), b.t("col.points"), b.t("col.status")}}
	for _, r := range rs {
		name := r.Item
		if it := b.cat.Reward(r.Item); it != nil {
			name = it.Name
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{fmt.Sprintf("R%d", r.ID), r.CreatedAt.In(rd.Location()).Format("2006-01-02 15:04"),
			memberName(rd, r.Member), fmt.Sprintf("%s × %d", name, r.Quantity), strconv.FormatInt(-r.Points, 10), b.t("redemption." + string(r.Status))})
	}
	return msg
}

func (b *Bot) isFulfiller(id string) bool {
	for _, r := range b.cat.Rewards {
		if r.Fulfiller == id {
			return true
		}
	}
	return false
}

// decideRedemption approves or rejects a pending redemption, cancels an
// approved one before it is handed out (rejecting and cancelling refund it
// in full), or marks an approved one fulfilled. A decision applies once: a
// second click is told who decided. Points refunded are never followed by
// the item: a handed-out redemption cannot be refunded, and a refunded one
// cannot be approved or handed out.
func (b *Bot) decideRedemption(ctx context.Context, req Request, args []string, action string) (Response, error) {
	if len(args) == 0 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.id_required", "/redemptions "+action)
	}
	id, ok := parseRedemptionID(args[0])
	if !ok {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.bad_id", args[0])
	}
	note, err := b.reasonOf(args[1:])
	if err != nil {
		return Response{}, err
	}
	return b.write(ctx, req.Key, req.Reply, func(tx store.Txn) (Response, error) {
		// An approved item nobody else hands out goes to the admins.
		var adms []jifen.Member
		if action == "approve" {
			adms = admins(tx)
		}
		r, ok := tx.Redemption(id)
		if !ok {
			return Response{}, jifen.Errorf(jifen.ENOTFOUND, "err.redemption_not_found", id)
		}
		item := b.cat.Reward(r.Item)
		if item == nil {
			item = &rules.Reward{ID: r.Item, Name: r.Item}
		}
		admin := req.Caller.Role == jifen.RoleAdmin
		switch action {
		case "approve", "reject", "cancel":
			if !admin {
				return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.admin_only", "/redemptions "+action)
			}
		case "fulfil":
			if !admin && req.Caller.ID != item.Fulfiller {
				return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.not_fulfiller", item.Name)
			}
		}
		// Separation of duties: nobody approves, rejects or cancels their
		// own redemption. Cancelling one's own would refund an item that
		// may already be in hand. Marking it handed out is allowed: it
		// spends nothing and only closes the way to a refund.
		if action != "fulfil" && req.Caller.ID == r.Member {
			return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.redemption_own", id)
		}
		switch {
		case action == "cancel" && r.Status == store.RedemptionFulfilled:
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_fulfilled", id, memberName(tx, r.FulfilledBy))
		case action == "cancel" && !r.Refundable():
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_decided", id, b.t("redemption."+string(r.Status)), memberName(tx, r.DecidedBy))
		case action == "reject" && r.Status == store.RedemptionApproved:
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_approved", id, memberName(tx, r.DecidedBy))
		case (action == "approve" || action == "reject") && r.Status != store.RedemptionPending:
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_decided", id, b.t("redemption."+string(r.Status)), memberName(tx, r.DecidedBy))
		case action == "fulfil" && r.Status != store.RedemptionApproved:
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_not_open", id, b.t("redemption."+string(r.Status)))
		}
		if by := tx.ReversedBy(r.Entry); by != 0 && (action == "approve" || action == "fulfil") {
			// Only a ledger written before /revoke refused redeem entries
			// gets here: its points are back, so the item is not given.
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_refunded", id, by)
		}
		switch {
		case action == "cancel" && r.Status == store.RedemptionApproved:
			r.CancelledBy, r.CancelledAt, r.Note = req.Caller.ID, tx.Now(), note
		case action != "fulfil":
			r.DecidedBy, r.DecidedAt, r.Note = req.Caller.ID, tx.Now(), note
		}
		if action == "approve" {
			if m, ok := tx.Member(r.Member); ok && m.HasLeft(tx.Now(), tx.Location()) {
				return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.redemption_member_left", id, m.Name, dateText(m.Left))
			}
		}
		member := memberName(tx, r.Member)
		var resp Response
		switch action {
		case "approve":
			r.Status = store.RedemptionApproved
			resp.Reply = Message{Kind: "redeem", Title: b.t("redeem.card_title", id),
				Text: []string{b.t("redeem.approved", member, item.Name, r.Quantity, req.Caller.Name)}}
			resp.Notices = append(resp.Notices, Notice{To: r.Member, Message: Message{Kind: "redeem", Text: []string{b.t("notice.redeem_approved", id, item.Name, req.Caller.Name)}}})
			resp.Notices = append(resp.Notices, b.fulfilNotice(r, member, item, adms)...)
		case "reject", "cancel":
			status := store.RedemptionRejected
			if action == "cancel" {
				status = store.RedemptionCancelled
			}
			rid, err := tx.RefundRedemption(&r, status, jifen.Entry{Giver: req.Caller.ID,
				Reason: note, RuleVersion: b.version, Source: req.Source})
			if err != nil {
				return Response{}, err
			}
			reason := note
			if reason == "" {
				reason = b.t("approval.no_reason")
			}
			resp.Entries = []uint64{rid}
			done, notice := "redeem.rejected", "notice.redeem_rejected"
			if action == "cancel" {
				done, notice = "redeem.cancelled", "notice.redeem_cancelled"
			}
			resp.Reply = Message{Kind: "redeem", Title: b.t("redeem.card_title", id),
				Text: []string{b.t(done, member, item.Name, r.Quantity, req.Caller.Name, reason, r.Points)}}
			resp.Notices = append(resp.Notices, Notice{To: r.Member, Message: Message{Kind: "redeem", Text: []string{b.t(notice, id, item.Name, req.Caller.Name, reason, r.Points)}}})
		case "fulfil":
			r.Status, r.FulfilledBy, r.FulfilledAt = store.RedemptionFulfilled, req.Caller.ID, tx.Now()
			resp.Reply = Message{Kind: "redeem", Text: []string{b.t("redeem.fulfilled", id, member, item.Name)}}
			resp.Notices = append(resp.Notices, Notice{To: r.Member, Message: Message{Kind: "redeem", Text: []string{b.t("notice.redeem_fulfilled", id, item.Name, req.Caller.Name)}}})
		}
		if err := tx.PutRedemption(&r); err != nil {
			return Response{}, err
		}
		return resp, nil
	})
}

func parseRedemptionID(tok string) (uint64, bool) {
	v, err := strconv.ParseUint(strings.TrimLeft(strings.ToUpper(tok), "#＃R"), 10, 64)
	return v, err == nil && v > 0
}
