package bot

import (
	"context"

	"jifen"
	"jifen/store"
)

// revoke handles /revoke ENTRY-ID reason (admins only). The entry stays in
// the ledger; a compensating entry cancels it in the period it counted in.
// What may be revoked is decided by revocable.
func (b *Bot) revoke(ctx context.Context, req Request, cmd Command) (Response, error) {
	if req.Caller.Role != jifen.RoleAdmin {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.admin_only", "/revoke")
	}
	if len(cmd.Args) == 0 {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.id_required", "/revoke")
	}
	id, ok := parseID(cmd.Args[0])
	if !ok {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.bad_id", cmd.Args[0])
	}
	reason, err := b.reasonOf(cmd.Args[1:])
	if err != nil {
		return Response{}, err
	}
	if reason == "" {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.revoke_reason")
	}
	return b.write(ctx, req.Key, req.Reply, func(tx store.Txn) (Response, error) {
		orig, ok := tx.Entry(id)
		if !ok {
			return Response{}, jifen.Errorf(jifen.ENOTFOUND, "err.entry_not_found", id)
		}
		if err := b.revocable(tx, orig); err != nil {
			return Response{}, err
		}
		// Separation of duties: nobody revokes an entry they received (a
		// deduction of their own, say); another admin does.
		if orig.Receiver == req.Caller.ID {
			return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.revoke_own", id)
		}
		rid, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: req.Caller.ID, Reverses: id,
			Reason: reason, RuleVersion: b.version, Source: req.Source})
		if err != nil {
			return Response{}, err
		}
		receiver := memberName(tx, orig.Receiver)
		text := b.t("revoke.text", req.Caller.Name, id, receiver, signed(orig.Points), b.behaviorName(orig.Behavior), reason)
		return Response{
			Reply: Message{Kind: "revoke", Title: b.t("revoke.title"), Text: []string{text},
				Fields: []Field{{b.t("field.entries"), entryIDs([]uint64{rid})}}, Public: true},
			Notices: []Notice{{To: orig.Receiver, Message: Message{Kind: "revoke", Text: []string{text}}}},
		}, nil
	})
}

// revocable says whether /revoke may reverse e, and if not, why and what
// to do instead:
//
//   - award, deduction, thanks, import, adjustment: yes, once (a correction
//     of the past, also for a member who has left since);
//   - a revoke, including the refund of a rejected or cancelled redemption:
//     no; to restore reversed points, record them again;
//   - a redeem entry: no. Its points come back only with its redemption
//     (/redemptions reject or cancel, before the item is handed out), so an
//     item is never handed out for points that were given back; a handed-out
//     or imported redemption is not refunded at all.
func (b *Bot) revocable(tx store.Txn, e jifen.Entry) error {
	if e.Kind == jifen.KindRevoke {
		if o, ok := tx.Entry(e.Reverses); ok && o.Kind == jifen.KindRedeem {
			if r, ok := tx.RedemptionOf(o.ID); ok {
				return jifen.Errorf(jifen.EINVALID, "err.revoke_refund", e.ID, r.ID)
			}
		}
		return jifen.Errorf(jifen.EINVALID, "err.revoke_revoke", e.ID)
	}
	if by := tx.ReversedBy(e.ID); by != 0 {
		return jifen.Errorf(jifen.ECONFLICT, "err.already_revoked", e.ID, by)
	}
	if e.Kind != jifen.KindRedeem {
		return nil
	}
	r, ok := tx.RedemptionOf(e.ID)
	switch {
	case !ok:
		return jifen.Errorf(jifen.EINVALID, "err.revoke_redeem_imported", e.ID)
	case r.Status == store.RedemptionPending:
		return jifen.Errorf(jifen.EINVALID, "err.revoke_redeem_pending", e.ID, r.ID)
	case r.Status == store.RedemptionApproved:
		return jifen.Errorf(jifen.EINVALID, "err.revoke_redeem_approved", e.ID, r.ID)
	default:
		return jifen.Errorf(jifen.EINVALID, "err.revoke_redeem_fulfilled", e.ID, r.ID)
	}
}
