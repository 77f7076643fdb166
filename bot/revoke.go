package bot

import (
	"context"
	"strings"

	"jifen"
	"jifen/store"
)

// revoke handles /revoke ENTRY-ID reason (admins only). The entry stays in
// the ledger; a compensating entry cancels it in the period it counted in.
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
	reason := strings.Join(cmd.Args[1:], " ")
	if reason == "" {
		return Response{}, jifen.Errorf(jifen.EINVALID, "err.revoke_reason")
	}
	return b.write(ctx, req.Key, func(tx *store.Tx) (Response, error) {
		orig, ok := tx.Entry(id)
		if !ok {
			return Response{}, jifen.Errorf(jifen.ENOTFOUND, "err.entry_not_found", id)
		}
		if orig.Kind == jifen.KindRevoke {
			return Response{}, jifen.Errorf(jifen.EINVALID, "err.revoke_revoke", id)
		}
		if by := tx.ReversedBy(id); by != 0 {
			return Response{}, jifen.Errorf(jifen.ECONFLICT, "err.already_revoked", id, by)
		}
		rid, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: req.Caller.ID, Reverses: id,
			Reason: reason, RuleVersion: b.version, Source: req.Source})
		if err != nil {
			return Response{}, err
		}
		receiver := b.memberName(orig.Receiver)
		text := b.t("revoke.text", req.Caller.Name, id, receiver, signed(orig.Points), b.behaviorName(orig.Behavior), reason)
		return Response{
			Reply: Message{Kind: "revoke", Title: b.t("revoke.title"), Text: []string{text},
				Fields: []Field{{b.t("field.entries"), entryIDs([]uint64{rid})}}, Public: true},
			Notices: []Notice{{To: orig.Receiver, Message: Message{Kind: "revoke", Text: []string{text}}}},
		}, nil
	})
}
